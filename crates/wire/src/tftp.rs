//! TFTP (RFC 1350) with option negotiation (RFC 2347, 2348 blksize, 2349 tsize): a read
//! request out, the first packet back.
//!
//! The probe asks for one file in `octet` mode. A server answers with the first DATA block,
//! with an OACK when options were sent and it accepts some, or with an ERROR (file not
//! found, access violation...). Every one of those proves a TFTP server: an ERROR is as
//! good a "LISTENING" as DATA.
//!
//! The answer does **not** come from port 69: the server opens a new socket (its transfer
//! id, RFC 1350 section 4) and replies from that ephemeral port to the client's port. The
//! codec does not care, but the engine must accept a reply from any source port of the
//! target, and must send its [`error_packet`] (which politely aborts the transfer after the
//! first DATA or OACK, so the server stops retransmitting) to that new port, not to 69.

use core::fmt;

use crate::simple::Escaped;
use crate::{Error, Result};

/// Operation codes (RFC 1350 section 5, RFC 2347).
pub mod opcode {
    /// Read request.
    pub const RRQ: u16 = 1;
    /// Write request.
    pub const WRQ: u16 = 2;
    /// Data block.
    pub const DATA: u16 = 3;
    /// Acknowledgement.
    pub const ACK: u16 = 4;
    /// Error.
    pub const ERROR: u16 = 5;
    /// Option acknowledgement.
    pub const OACK: u16 = 6;
}

/// Error codes (RFC 1350 appendix, RFC 2347 code 8).
pub mod error_code {
    /// Not defined, see the message.
    pub const UNDEFINED: u16 = 0;
    /// File not found.
    pub const FILE_NOT_FOUND: u16 = 1;
    /// Access violation.
    pub const ACCESS_VIOLATION: u16 = 2;
    /// Disk full or allocation exceeded.
    pub const DISK_FULL: u16 = 3;
    /// Illegal TFTP operation.
    pub const ILLEGAL_OPERATION: u16 = 4;
    /// Unknown transfer id.
    pub const UNKNOWN_TID: u16 = 5;
    /// File already exists.
    pub const FILE_EXISTS: u16 = 6;
    /// No such user.
    pub const NO_SUCH_USER: u16 = 7;
    /// Option negotiation refused: what a client sends to turn down an OACK.
    pub const OPTION_REFUSED: u16 = 8;
}

/// Longest file name, mode, option name or value accepted in a request we build.
pub const MAX_FIELD: usize = 255;
/// Most options parsed from an OACK.
pub const MAX_OPTIONS: usize = 16;
/// Bytes of a DATA block kept for display.
pub const DATA_PREVIEW: usize = 64;
/// Largest TFTP packet accepted (a 65464-byte block, RFC 2348, plus its header).
pub const MAX_PACKET: usize = 65_468;

fn push_field(packet: &mut Vec<u8>, field: &str, what: &'static str) -> Result<()> {
    if field.len() > MAX_FIELD {
        return Err(Error::too_large(what, field.len(), MAX_FIELD));
    }
    if field.is_empty() || field.bytes().any(|b| b == 0) {
        return Err(Error::malformed(what, "empty or holds a NUL byte"));
    }
    packet.extend_from_slice(field.as_bytes());
    packet.push(0);
    Ok(())
}

/// Builds a read request for `file` in octet mode, with RFC 2347 options such as
/// `("tsize", "0")` or `("blksize", "1428")` (none for a plain RFC 1350 request).
pub fn read_request(file: &str, options: &[(&str, &str)]) -> Result<Vec<u8>> {
    if options.len() > MAX_OPTIONS {
        return Err(Error::too_large("TFTP options", options.len(), MAX_OPTIONS));
    }
    let mut packet = opcode::RRQ.to_be_bytes().to_vec();
    push_field(&mut packet, file, "TFTP file name")?;
    push_field(&mut packet, "octet", "TFTP mode")?;
    for (name, value) in options {
        push_field(&mut packet, name, "TFTP option name")?;
        push_field(&mut packet, value, "TFTP option value")?;
    }
    Ok(packet)
}

/// Builds an ERROR packet, sent to the server's transfer port to stop a transfer
/// (code [`error_code::OPTION_REFUSED`] after an OACK, [`error_code::UNDEFINED`] after DATA).
pub fn error_packet(code: u16, message: &str) -> Result<Vec<u8>> {
    Reply::Error {
        code,
        message: message.as_bytes().to_vec(),
    }
    .emit()
}

/// Builds an ACK for `block`.
pub fn ack(block: u16) -> [u8; 4] {
    let mut packet = [0u8; 4];
    packet[..2].copy_from_slice(&opcode::ACK.to_be_bytes());
    packet[2..].copy_from_slice(&block.to_be_bytes());
    packet
}

/// A packet a server sends back to a read request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A data block: its number, its full length, and its first bytes.
    Data {
        /// Block number (1 for the first).
        block: u16,
        /// Length of the block's data; shorter than the block size means the last block.
        len: usize,
        /// The first [`DATA_PREVIEW`] bytes of the data.
        preview: Vec<u8>,
    },
    /// An error: code and message.
    Error {
        /// Error code, see [`error_code`].
        code: u16,
        /// The server's message, as sent (NUL excluded).
        message: Vec<u8>,
    },
    /// Options the server accepted, as name/value pairs.
    OptionAck(Vec<(String, String)>),
    /// An acknowledgement (the answer to a write request; odd after a read request).
    Ack {
        /// Block number acknowledged.
        block: u16,
    },
}

/// Splits NUL-terminated strings off the front of `bytes`.
fn split_strings(bytes: &[u8]) -> Result<Vec<&[u8]>> {
    let mut strings = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if strings.len() >= 2 * MAX_OPTIONS {
            return Err(Error::too_large(
                "TFTP options",
                strings.len() / 2 + 1,
                MAX_OPTIONS,
            ));
        }
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(Error::malformed("TFTP string", "not NUL-terminated"))?;
        let (string, tail) = rest.split_at(end);
        strings.push(string);
        rest = tail.get(1..).unwrap_or_default();
    }
    Ok(strings)
}

impl Reply {
    /// Parses a server's packet.
    pub fn parse(bytes: &[u8]) -> Result<Reply> {
        if bytes.len() > MAX_PACKET {
            return Err(Error::too_large("TFTP packet", bytes.len(), MAX_PACKET));
        }
        let (head, body) = bytes.split_first_chunk::<2>().ok_or(Error::truncated(
            "TFTP opcode",
            2,
            bytes.len(),
        ))?;
        let read_u16 = |what| {
            body.first_chunk::<2>()
                .map(|b| u16::from_be_bytes(*b))
                .ok_or(Error::truncated(what, 4, bytes.len()))
        };
        match u16::from_be_bytes(*head) {
            opcode::DATA => {
                let block = read_u16("TFTP block number")?;
                let data = body.get(2..).unwrap_or_default();
                Ok(Reply::Data {
                    block,
                    len: data.len(),
                    preview: data.get(..DATA_PREVIEW).unwrap_or(data).to_vec(),
                })
            }
            opcode::ERROR => {
                let code = read_u16("TFTP error code")?;
                let text = body.get(2..).unwrap_or_default();
                // Some servers omit the final NUL; take the message up to the first NUL.
                let message = text.split(|&b| b == 0).next().unwrap_or_default();
                Ok(Reply::Error {
                    code,
                    message: message.get(..MAX_FIELD).unwrap_or(message).to_vec(),
                })
            }
            opcode::OACK => {
                let strings = split_strings(body)?;
                if strings.len() % 2 != 0 {
                    return Err(Error::malformed("TFTP OACK", "an option has no value"));
                }
                // Each string as text, bounded as the fields of a request; the bound is on
                // the text (where invalid UTF-8 grows threefold), so that what parses can
                // be written back.
                let mut texts = Vec::with_capacity(strings.len());
                for string in strings {
                    let text = String::from_utf8_lossy(string).into_owned();
                    if text.len() > MAX_FIELD {
                        return Err(Error::too_large("TFTP OACK option", text.len(), MAX_FIELD));
                    }
                    texts.push(text);
                }
                let mut texts = texts.into_iter();
                let mut options = Vec::with_capacity(texts.len() / 2);
                while let (Some(name), Some(value)) = (texts.next(), texts.next()) {
                    options.push((name, value));
                }
                Ok(Reply::OptionAck(options))
            }
            opcode::ACK => Ok(Reply::Ack {
                block: read_u16("TFTP block number")?,
            }),
            opcode::RRQ | opcode::WRQ => {
                Err(Error::Unexpected("TFTP packet is a request, not a reply"))
            }
            _ => Err(Error::malformed("TFTP opcode", "not 1 to 6")),
        }
    }

    /// Encodes the packet, the inverse of [`Reply::parse`]: a DATA block is its preview
    /// followed by zeros up to its length; an ERROR's message and an OACK's strings get
    /// their final NUL. Refuses what would read back differently: a preview that is not
    /// the block's first bytes, a block or packet over [`MAX_PACKET`], a message over
    /// [`MAX_FIELD`] bytes, more than [`MAX_OPTIONS`] options, NUL bytes inside strings.
    pub fn emit(&self) -> Result<Vec<u8>> {
        let no_nul = |text: &[u8], what| {
            if text.contains(&0) {
                Err(Error::malformed(what, "holds a NUL byte"))
            } else {
                Ok(())
            }
        };
        let mut packet = Vec::new();
        match self {
            Reply::Data {
                block,
                len,
                preview,
            } => {
                if *len > MAX_PACKET - 4 {
                    return Err(Error::too_large("TFTP DATA block", *len, MAX_PACKET - 4));
                }
                if preview.len() != (*len).min(DATA_PREVIEW) {
                    return Err(Error::malformed(
                        "TFTP DATA block",
                        "preview is not the block's first bytes",
                    ));
                }
                packet.extend_from_slice(&opcode::DATA.to_be_bytes());
                packet.extend_from_slice(&block.to_be_bytes());
                packet.extend_from_slice(preview);
                packet.resize(4 + len, 0);
            }
            Reply::Error { code, message } => {
                if message.len() > MAX_FIELD {
                    return Err(Error::too_large(
                        "TFTP error message",
                        message.len(),
                        MAX_FIELD,
                    ));
                }
                no_nul(message, "TFTP error message")?;
                packet.extend_from_slice(&opcode::ERROR.to_be_bytes());
                packet.extend_from_slice(&code.to_be_bytes());
                packet.extend_from_slice(message);
                packet.push(0);
            }
            Reply::OptionAck(options) => {
                if options.len() > MAX_OPTIONS {
                    return Err(Error::too_large("TFTP options", options.len(), MAX_OPTIONS));
                }
                packet.extend_from_slice(&opcode::OACK.to_be_bytes());
                for (name, value) in options {
                    for text in [name, value] {
                        if text.len() > MAX_FIELD {
                            return Err(Error::too_large(
                                "TFTP OACK option",
                                text.len(),
                                MAX_FIELD,
                            ));
                        }
                        no_nul(text.as_bytes(), "TFTP OACK option")?;
                        packet.extend_from_slice(text.as_bytes());
                        packet.push(0);
                    }
                }
            }
            Reply::Ack { block } => {
                packet.extend_from_slice(&opcode::ACK.to_be_bytes());
                packet.extend_from_slice(&block.to_be_bytes());
            }
        }
        Ok(packet)
    }

    /// The value of option `name` in an OACK (names compare without case, RFC 2347).
    pub fn option(&self, name: &str) -> Option<&str> {
        match self {
            Reply::OptionAck(options) => options
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }
}

/// Standard meaning of an error code.
pub fn error_name(code: u16) -> &'static str {
    match code {
        error_code::UNDEFINED => "not defined",
        error_code::FILE_NOT_FOUND => "file not found",
        error_code::ACCESS_VIOLATION => "access violation",
        error_code::DISK_FULL => "disk full",
        error_code::ILLEGAL_OPERATION => "illegal operation",
        error_code::UNKNOWN_TID => "unknown transfer id",
        error_code::FILE_EXISTS => "file exists",
        error_code::NO_SUCH_USER => "no such user",
        error_code::OPTION_REFUSED => "option refused",
        _ => "unknown code",
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Data {
                block,
                len,
                preview,
            } => write!(
                f,
                "TFTP: DATA block {block}, {len} bytes (\"{}\")",
                Escaped::new(preview, 40)
            ),
            Reply::Error { code, message } => write!(
                f,
                "TFTP: ERROR {code} {}: \"{}\"",
                error_name(*code),
                Escaped::new(message, 60)
            ),
            Reply::OptionAck(options) => {
                f.write_str("TFTP: OACK")?;
                for (name, value) in options.iter().take(6) {
                    write!(
                        f,
                        " {}={}",
                        Escaped::new(name.as_bytes(), 16),
                        Escaped::new(value.as_bytes(), 16)
                    )?;
                }
                Ok(())
            }
            Reply::Ack { block } => write!(f, "TFTP: ACK block {block}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RRQ_PLAIN: &[u8] = include_bytes!("../tests/fixtures/tftp/request-rrq-hello.txt.bin");
    const RRQ_OPTIONS: &[u8] =
        include_bytes!("../tests/fixtures/tftp/request-rrq-hello.txt-tsize-blksize.bin");
    const DATA: &[u8] = include_bytes!("../tests/fixtures/tftp/tftpd-hpa-5.2-data-hello.txt.bin");
    const OACK: &[u8] = include_bytes!("../tests/fixtures/tftp/tftpd-hpa-5.2-oack-hello.txt.bin");
    const NOT_FOUND: &[u8] =
        include_bytes!("../tests/fixtures/tftp/tftpd-hpa-5.2-error-missing.txt.bin");

    #[test]
    fn requests_are_what_was_sent() {
        assert_eq!(read_request("hello.txt", &[]).unwrap(), RRQ_PLAIN);
        assert_eq!(
            read_request("hello.txt", &[("tsize", "0"), ("blksize", "1428")]).unwrap(),
            RRQ_OPTIONS
        );
        assert_eq!(RRQ_PLAIN, b"\x00\x01hello.txt\x00octet\x00");
    }

    #[test]
    fn first_data_block() {
        let reply = Reply::parse(DATA).unwrap();
        let Reply::Data { block, len, .. } = &reply else {
            panic!("not DATA: {reply:?}");
        };
        assert_eq!((*block, *len), (1, DATA.len() - 4));
        assert!(reply.to_string().starts_with("TFTP: DATA block 1, "));
    }

    #[test]
    fn option_ack() {
        let reply = Reply::parse(OACK).unwrap();
        assert_eq!(
            reply.option("TSIZE"),
            Some(DATA.len().saturating_sub(4).to_string().as_str())
        );
        assert_eq!(reply.option("blksize"), Some("1428"));
        assert!(reply.to_string().starts_with("TFTP: OACK tsize="));
    }

    #[test]
    fn missing_file_error() {
        let reply = Reply::parse(NOT_FOUND).unwrap();
        assert_eq!(
            reply,
            Reply::Error {
                code: 1,
                message: b"File not found".to_vec()
            }
        );
        assert_eq!(
            reply.to_string(),
            "TFTP: ERROR 1 file not found: \"File not found\""
        );
    }

    #[test]
    fn abort_and_ack_packets() {
        assert_eq!(
            error_packet(error_code::UNDEFINED, "probe done").unwrap(),
            b"\x00\x05\x00\x00probe done\x00"
        );
        assert_eq!(ack(1), [0, 4, 0, 1]);
        assert!(error_packet(0, "a\0b").is_err());
    }

    #[test]
    fn bad_requests_are_refused() {
        assert!(read_request("", &[]).is_err());
        assert!(read_request("a\0b", &[]).is_err());
        assert!(read_request(&"x".repeat(300), &[]).is_err());
    }

    #[test]
    fn malformed_replies() {
        assert!(Reply::parse(b"").is_err());
        assert!(Reply::parse(b"\x00\x03\x00").is_err());
        assert!(Reply::parse(b"\x00\x06tsize\x00").is_err());
        assert!(Reply::parse(b"\x00\x06tsize\x0012").is_err());
        assert!(Reply::parse(b"\x00\x09").is_err());
        assert!(matches!(Reply::parse(RRQ_PLAIN), Err(Error::Unexpected(_))));
        let many = b"\x00\x06"
            .iter()
            .chain(b"a\x00b\x00".repeat(20).iter())
            .copied()
            .collect::<Vec<_>>();
        assert!(matches!(Reply::parse(&many), Err(Error::TooLarge { .. })));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(reply) = Reply::parse(&bytes) {
                prop_assert!(reply.to_string().bytes().all(|b| (0x20..=0x7e).contains(&b)));
            }
        }

        #[test]
        fn error_round_trips(code in any::<u16>(), message in "[ -~]{0,100}") {
            let packet = error_packet(code, &message).unwrap();
            prop_assert_eq!(
                Reply::parse(&packet).unwrap(),
                Reply::Error { code, message: message.into_bytes() }
            );
        }

        #[test]
        fn request_options_parse_back_as_oack(options in proptest::collection::vec(("[a-z]{1,10}", "[0-9]{1,6}"), 0..8)) {
            let pairs: Vec<(&str, &str)> = options.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let request = read_request("f", &pairs).unwrap();
            // The option part of a request is laid out exactly like an OACK body.
            let mut oack = opcode::OACK.to_be_bytes().to_vec();
            oack.extend_from_slice(&request[2 + b"f\0octet\0".len()..]);
            prop_assert_eq!(Reply::parse(&oack).unwrap(), Reply::OptionAck(options));
        }
    }

    /// Regression (found by the round trip): OACK strings had no bound, and one of invalid
    /// UTF-8 grew threefold as text, so a parsed OACK could exceed the packet size when
    /// written back.
    #[test]
    fn oack_options_are_bounded_like_request_fields() {
        let mut oack = opcode::OACK.to_be_bytes().to_vec();
        oack.extend_from_slice(&[0xff; MAX_FIELD + 1]);
        oack.extend_from_slice(b"\0v\0");
        assert!(matches!(Reply::parse(&oack), Err(Error::TooLarge { .. })));
        let mut oack = opcode::OACK.to_be_bytes().to_vec();
        oack.extend_from_slice(&[0xff; MAX_FIELD / 3 + 1]);
        oack.extend_from_slice(b"\0v\0");
        assert!(matches!(Reply::parse(&oack), Err(Error::TooLarge { .. })));
        let mut oack = opcode::OACK.to_be_bytes().to_vec();
        oack.extend_from_slice(&[0xff; MAX_FIELD / 3]);
        oack.extend_from_slice(b"\0v\0");
        let reply = Reply::parse(&oack).unwrap();
        assert_eq!(Reply::parse(&reply.emit().unwrap()).unwrap(), reply);
    }

    #[test]
    fn data_is_written_back_as_its_preview_and_zeros() {
        let reply = Reply::Data {
            block: 1,
            len: 100,
            preview: vec![7; DATA_PREVIEW],
        };
        let bytes = reply.emit().unwrap();
        assert_eq!(bytes.len(), 104);
        assert_eq!(Reply::parse(&bytes).unwrap(), reply);
        let inconsistent = Reply::Data {
            block: 1,
            len: 100,
            preview: vec![7; 3],
        };
        assert!(inconsistent.emit().is_err());
    }
}
