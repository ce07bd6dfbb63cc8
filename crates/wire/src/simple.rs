//! The "Simple TCP/IP Services": echo (RFC 862), discard (RFC 863), chargen (RFC 864),
//! quote of the day (RFC 865) and daytime (RFC 867), over UDP or TCP.
//!
//! None of these has a header, so the codecs check content instead:
//! * **echo** (port 7): the reply must be byte for byte the payload that was sent
//!   ([`parse_echo`]); [`echo_payload`] makes a recognisable payload from a caller nonce.
//! * **discard** (port 9): nothing ever comes back, by design. Over UDP a silent discard
//!   port cannot be told apart from a filtered one (the checker's "LISTENING OR FILTERED"
//!   unless an ICMP port unreachable arrives); over TCP the accepted connection is the proof.
//!   No parser exists for it.
//! * **chargen** (port 19): every line is a run of the 95 printable ASCII characters
//!   `0x20..=0x7e`, each one the successor of the one before, wrapping from `~` to space; a
//!   UDP reply is one such datagram, a TCP read is any slice of the endless stream
//!   ([`parse_chargen`]).
//! * **daytime** (port 13) and **qotd** (port 17): one short human-readable text
//!   ([`parse_text`]). The text is kept as received but escaped and cut short in `Display`.
//!
//! Also here: [`Escaped`], the display helper that every module of this crate uses to show
//! remote text safely on one terminal line.

use core::fmt;

use crate::{Error, Result};

/// Longest reply accepted from any of these services (a UDP datagram can be no longer).
pub const MAX_REPLY: usize = 65_535;

/// Longest text line kept from a daytime or qotd reply (RFC 865 asks for under 512 bytes).
pub const MAX_TEXT: usize = 1024;

const FIRST_PRINTABLE: u8 = 0x20;
const LAST_PRINTABLE: u8 = 0x7e;

/// Shows remote bytes on one line: printable ASCII as is, `\n`, `\r`, `\t`, `\\`, `"` and
/// every other byte escaped, and an ellipsis after `limit` characters.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a> {
    bytes: &'a [u8],
    limit: usize,
}

impl<'a> Escaped<'a> {
    /// Wraps `bytes`, showing at most `limit` of them.
    pub fn new(bytes: &'a [u8], limit: usize) -> Self {
        Escaped { bytes, limit }
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &byte in self.bytes.iter().take(self.limit) {
            match byte {
                b'\n' => f.write_str("\\n")?,
                b'\r' => f.write_str("\\r")?,
                b'\t' => f.write_str("\\t")?,
                b'\\' => f.write_str("\\\\")?,
                b'"' => f.write_str("\\\"")?,
                FIRST_PRINTABLE..=LAST_PRINTABLE => write!(f, "{}", char::from(byte))?,
                _ => write!(f, "\\x{byte:02x}")?,
            }
        }
        if self.bytes.len() > self.limit {
            f.write_str("...")?;
        }
        Ok(())
    }
}

/// Builds an echo payload that names the tool and carries `nonce`, so that a reply can be
/// told apart from a stray datagram: `portolan echo <16 hex digits>\r\n` (32 bytes).
pub fn echo_payload(nonce: u64) -> Vec<u8> {
    format!("portolan echo {nonce:016x}\r\n").into_bytes()
}

/// An echo reply that returned the payload unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoReply {
    /// Length of the returned payload in bytes.
    pub len: usize,
}

/// Checks an echo reply against the payload `sent`.
///
/// A TCP echo may return the payload in pieces; the caller joins them before calling.
pub fn parse_echo(sent: &[u8], reply: &[u8]) -> Result<EchoReply> {
    if reply.len() > MAX_REPLY {
        return Err(Error::too_large("echo reply", reply.len(), MAX_REPLY));
    }
    if reply == sent {
        Ok(EchoReply { len: reply.len() })
    } else if reply.len() < sent.len() && sent.starts_with(reply) {
        Err(Error::truncated("echo reply", sent.len(), reply.len()))
    } else {
        Err(Error::Unexpected(
            "echo reply differs from the payload sent",
        ))
    }
}

impl fmt::Display for EchoReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "echo: {} bytes returned unchanged", self.len)
    }
}

/// A reply that follows the chargen pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargenReply {
    /// Bytes received, line ends included.
    pub len: usize,
    /// Number of pattern lines (complete or not) in the reply.
    pub lines: usize,
    /// Length of the longest line, line end excluded (72 for a classic server).
    pub longest_line: usize,
}

/// The character after `c` in the chargen rotation.
fn chargen_next(c: u8) -> u8 {
    if c >= LAST_PRINTABLE {
        FIRST_PRINTABLE
    } else {
        c + 1
    }
}

/// Checks that `bytes` are a piece of the chargen stream: lines separated by CR LF (or a bare
/// LF), each line a run of consecutive printable characters. The first and last line may
/// be cut anywhere, as happens when a TCP read starts or ends in the middle of the stream.
pub fn parse_chargen(bytes: &[u8]) -> Result<ChargenReply> {
    const WHAT: &str = "chargen reply";
    if bytes.len() > MAX_REPLY {
        return Err(Error::too_large(WHAT, bytes.len(), MAX_REPLY));
    }
    let mut lines = 0;
    let mut longest_line = 0;
    let mut pattern_bytes = 0;
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let mut previous: Option<u8> = None;
        for &c in line {
            if !(FIRST_PRINTABLE..=LAST_PRINTABLE).contains(&c) {
                return Err(Error::malformed(
                    WHAT,
                    "holds a byte outside printable ASCII",
                ));
            }
            if previous.is_some_and(|p| chargen_next(p) != c) {
                return Err(Error::malformed(
                    WHAT,
                    "characters do not follow the rotating pattern",
                ));
            }
            previous = Some(c);
        }
        lines += 1;
        pattern_bytes += line.len();
        longest_line = longest_line.max(line.len());
    }
    // A single stray character would prove nothing: ask for at least two in sequence.
    if pattern_bytes < 2 {
        return Err(Error::truncated(WHAT, 2, pattern_bytes));
    }
    Ok(ChargenReply {
        len: bytes.len(),
        lines,
        longest_line,
    })
}

impl fmt::Display for ChargenReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.lines == 1 { "" } else { "s" };
        write!(
            f,
            "chargen: {} bytes, {} line{plural} of the rotating pattern (longest {})",
            self.len, self.lines, self.longest_line
        )
    }
}

/// Which text service answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextService {
    /// Daytime, RFC 867, port 13.
    Daytime,
    /// Quote of the day, RFC 865, port 17.
    Qotd,
}

impl TextService {
    fn name(self) -> &'static str {
        match self {
            TextService::Daytime => "daytime",
            TextService::Qotd => "qotd",
        }
    }
}

/// A daytime or qotd reply: human-readable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextReply {
    /// The service that was asked.
    pub service: TextService,
    /// The text, surrounding white space removed, at most [`MAX_TEXT`] bytes kept.
    pub text: Vec<u8>,
}

/// Checks that a daytime or qotd reply is non-empty text: after trimming, no control
/// characters other than tab, CR and LF (bytes from 0x80 are allowed, for UTF-8 quotes).
pub fn parse_text(service: TextService, bytes: &[u8]) -> Result<TextReply> {
    const WHAT: &str = "daytime/qotd reply";
    if bytes.len() > MAX_REPLY {
        return Err(Error::too_large(WHAT, bytes.len(), MAX_REPLY));
    }
    let text = bytes.trim_ascii();
    if text.is_empty() {
        return Err(Error::malformed(WHAT, "holds no text"));
    }
    let is_control = |b: &u8| (*b < FIRST_PRINTABLE && !b"\t\r\n".contains(b)) || *b == 0x7f;
    if text.iter().any(is_control) {
        return Err(Error::malformed(WHAT, "holds control characters"));
    }
    let kept = text.get(..MAX_TEXT).unwrap_or(text);
    Ok(TextReply {
        service,
        text: kept.to_vec(),
    })
}

impl fmt::Display for TextReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: \"{}\"",
            self.service.name(),
            Escaped::new(&self.text, 96)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ECHO_SENT: &[u8] = include_bytes!("../tests/fixtures/simple/request-echo.bin");
    const ECHO_REPLY: &[u8] = include_bytes!("../tests/fixtures/simple/inetd-udp-echo.bin");
    const DAYTIME_UDP: &[u8] = include_bytes!("../tests/fixtures/simple/inetd-udp-daytime.bin");
    const CHARGEN_UDP: &[u8] = include_bytes!("../tests/fixtures/simple/inetd-udp-chargen.bin");
    const CHARGEN_TCP: &[u8] = include_bytes!("../tests/fixtures/simple/inetd-tcp-chargen.bin");
    const QOTD_TCP: &[u8] = include_bytes!("../tests/fixtures/simple/inetd-tcp-qotd.bin");

    #[test]
    fn echo_from_inetd_matches_the_payload() {
        assert_eq!(ECHO_SENT, echo_payload(0x0123_4567_89ab_cdef).as_slice());
        let reply = parse_echo(ECHO_SENT, ECHO_REPLY).unwrap();
        assert_eq!(reply.len, 32);
        assert_eq!(reply.to_string(), "echo: 32 bytes returned unchanged");
    }

    #[test]
    fn echo_refuses_other_or_short_bytes() {
        let sent = echo_payload(1);
        assert!(matches!(
            parse_echo(&sent, &echo_payload(2)),
            Err(Error::Unexpected(_))
        ));
        assert!(matches!(
            parse_echo(&sent, &sent[..10]),
            Err(Error::Truncated {
                need: 32,
                have: 10,
                ..
            })
        ));
    }

    #[test]
    fn chargen_datagram_from_inetd() {
        let reply = parse_chargen(CHARGEN_UDP).unwrap();
        assert_eq!(reply.len, 74);
        assert_eq!(reply.lines, 1);
        assert_eq!(reply.longest_line, 72);
        assert_eq!(
            reply.to_string(),
            "chargen: 74 bytes, 1 line of the rotating pattern (longest 72)"
        );
    }

    #[test]
    fn chargen_stream_from_inetd_wraps_past_tilde() {
        // 60 lines of 74 bytes: the pattern wraps from '~' back to ' ' along the way.
        let reply = parse_chargen(CHARGEN_TCP).unwrap();
        assert_eq!(reply.lines, CHARGEN_TCP.len().div_ceil(74));
        assert_eq!(reply.longest_line, 72);
        // A read that stops mid-line is still the pattern.
        assert!(parse_chargen(&CHARGEN_TCP[100..1000]).is_ok());
    }

    #[test]
    fn chargen_refuses_text_that_is_not_the_pattern() {
        assert!(parse_chargen(DAYTIME_UDP).is_err());
        assert!(parse_chargen(b"abcdefgz\r\n").is_err());
        assert!(parse_chargen(b"abc\x00\r\n").is_err());
        assert!(parse_chargen(b"a").is_err());
        assert!(parse_chargen(b"").is_err());
    }

    #[test]
    fn daytime_and_qotd_from_inetd() {
        let daytime = parse_text(TextService::Daytime, DAYTIME_UDP).unwrap();
        assert_eq!(daytime.text, b"Thu Nov 26 14:08:52 2026");
        assert_eq!(daytime.to_string(), "daytime: \"Thu Nov 26 14:08:52 2026\"");
        let qotd = parse_text(TextService::Qotd, QOTD_TCP).unwrap();
        assert_eq!(
            qotd.to_string(),
            "qotd: \"portolan lab quote of the day: ports are cheap, firewalls are not.\""
        );
    }

    #[test]
    fn text_refuses_empty_and_binary() {
        assert!(parse_text(TextService::Daytime, b" \r\n").is_err());
        assert!(parse_text(TextService::Qotd, b"hello\x1b[2Jworld").is_err());
    }

    #[test]
    fn escaped_shows_control_bytes_and_truncates() {
        let shown = Escaped::new(b"a\"b\\c\n\x1b\xff", 64).to_string();
        assert_eq!(shown, "a\\\"b\\\\c\\n\\x1b\\xff");
        assert_eq!(Escaped::new(b"abcdef", 3).to_string(), "abc...");
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_chargen(&bytes);
            let _ = parse_text(TextService::Qotd, &bytes);
            let _ = parse_echo(&bytes, &bytes[..bytes.len() / 2]);
            let shown = Escaped::new(&bytes, 100).to_string();
            prop_assert!(shown.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        }

        #[test]
        fn echo_round_trips(nonce in any::<u64>()) {
            let payload = echo_payload(nonce);
            prop_assert_eq!(parse_echo(&payload, &payload).unwrap().len, payload.len());
        }

        #[test]
        fn any_slice_of_the_stream_is_chargen(start in 0usize..95, len in 2usize..400) {
            // Builds the classic 72-character lines, each starting one character later.
            let mut stream = Vec::new();
            for line in 0..10u8 {
                let mut c = FIRST_PRINTABLE + (line % 95);
                for _ in 0..72 {
                    stream.push(c);
                    c = chargen_next(c);
                }
                stream.extend_from_slice(b"\r\n");
            }
            let end = (start + len).min(stream.len());
            let piece = &stream[start..end];
            let printable = piece.iter().filter(|b| (0x20..=0x7e).contains(*b)).count();
            prop_assume!(printable >= 2);
            prop_assert!(parse_chargen(piece).is_ok());
        }
    }
}
