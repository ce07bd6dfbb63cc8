//! Connection-oriented DCE/RPC PDUs (C706 chapter 12.6, [MS-RPCE] 2.2.2).
//!
//! Every PDU starts with the same 16-byte header; `frag_length` in it says how long the
//! whole PDU is, so a stream reader needs only the first ten bytes to know how much to read
//! ([`pdu_length`]). Only the little-endian data representation is accepted: Windows and
//! Samba always send it, and a big-endian peer is refused rather than misread.
//!
//! Built here: `bind` (one presentation context, NDR) and `request`. Parsed: `bind_ack`,
//! `bind_nak`, `response` and `fault`. Authentication trailers are skipped, never checked:
//! the endpoint mapper is queried without authentication.

use core::fmt;

use crate::{Error, Result};

use super::printable;
use super::uuid::{NDR_SYNTAX, SYNTAX_ID_LEN, SyntaxId};

/// Length of the common header.
pub const HEADER_LEN: usize = 16;

/// Bytes of a PDU [`pdu_length`] needs to see: the header up to and including `frag_length`.
pub const LENGTH_PREFIX_LEN: usize = 10;

/// Length of the header of request, response and fault PDUs (common header + 8).
pub const CALL_HEADER_LEN: usize = 24;

/// Length of the bind PDU [`bind`] builds.
pub const BIND_LEN: usize = 72;

/// Length of the authentication trailer that precedes `auth_length` bytes of credentials.
const SEC_TRAILER_LEN: usize = 8;

/// The fragment size we offer in a bind: the value Windows itself uses.
pub const DEFAULT_MAX_FRAG: u16 = 4280;

/// Byte offsets of the common header (C706 section 12.6.3.1).
mod field {
    pub const VERSION: usize = 0;
    pub const VERSION_MINOR: usize = 1;
    pub const PTYPE: usize = 2;
    pub const FLAGS: usize = 3;
    pub const DREP: usize = 4;
    pub const FRAG_LENGTH: usize = 8;
    pub const AUTH_LENGTH: usize = 10;
    pub const CALL_ID: usize = 12;
    // Request, response and fault.
    pub const ALLOC_HINT: usize = 16;
    pub const CONTEXT_ID: usize = 20;
    pub const CANCEL_COUNT: usize = 22;
    pub const FAULT_STATUS: usize = 24;
    // bind_ack.
    pub const MAX_XMIT_FRAG: usize = 16;
    pub const MAX_RECV_FRAG: usize = 18;
    pub const ASSOC_GROUP: usize = 20;
    pub const SEC_ADDR: usize = 24;
    // bind_nak.
    pub const REJECT_REASON: usize = 16;
    pub const NAK_VERSIONS: usize = 18;
}

/// `pfc_flags` bits (C706 section 12.6.3.1).
pub mod flags {
    /// First fragment of a call.
    pub const FIRST_FRAG: u8 = 0x01;
    /// Last fragment of a call.
    pub const LAST_FRAG: u8 = 0x02;
    /// A cancel was pending at send time.
    pub const PENDING_CANCEL: u8 = 0x04;
    /// Concurrent multiplexing supported (bind only).
    pub const CONC_MPX: u8 = 0x10;
    /// On a fault: the call was not executed.
    pub const DID_NOT_EXECUTE: u8 = 0x20;
    /// `maybe` call semantics.
    pub const MAYBE: u8 = 0x40;
    /// An object UUID follows the request header.
    pub const OBJECT_UUID: u8 = 0x80;
}

/// The PDU type (`PTYPE`), C706 table 12-1 plus [MS-RPCE]'s `auth3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketType {
    /// 0
    Request,
    /// 2
    Response,
    /// 3
    Fault,
    /// 11
    Bind,
    /// 12
    BindAck,
    /// 13
    BindNak,
    /// 14
    AlterContext,
    /// 15
    AlterContextResp,
    /// 16, [MS-RPCE] 2.2.2.10
    Auth3,
    /// 17
    Shutdown,
    /// 18
    CoCancel,
    /// 19
    Orphaned,
    /// Any other value, including the connectionless-only types.
    Other(u8),
}

impl PacketType {
    /// Decodes a `PTYPE` byte.
    pub fn from_byte(byte: u8) -> PacketType {
        match byte {
            0 => PacketType::Request,
            2 => PacketType::Response,
            3 => PacketType::Fault,
            11 => PacketType::Bind,
            12 => PacketType::BindAck,
            13 => PacketType::BindNak,
            14 => PacketType::AlterContext,
            15 => PacketType::AlterContextResp,
            16 => PacketType::Auth3,
            17 => PacketType::Shutdown,
            18 => PacketType::CoCancel,
            19 => PacketType::Orphaned,
            other => PacketType::Other(other),
        }
    }

    /// The `PTYPE` byte.
    pub fn to_byte(self) -> u8 {
        match self {
            PacketType::Request => 0,
            PacketType::Response => 2,
            PacketType::Fault => 3,
            PacketType::Bind => 11,
            PacketType::BindAck => 12,
            PacketType::BindNak => 13,
            PacketType::AlterContext => 14,
            PacketType::AlterContextResp => 15,
            PacketType::Auth3 => 16,
            PacketType::Shutdown => 17,
            PacketType::CoCancel => 18,
            PacketType::Orphaned => 19,
            PacketType::Other(byte) => byte,
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            PacketType::Request => "request",
            PacketType::Response => "response",
            PacketType::Fault => "fault",
            PacketType::Bind => "bind",
            PacketType::BindAck => "bind_ack",
            PacketType::BindNak => "bind_nak",
            PacketType::AlterContext => "alter_context",
            PacketType::AlterContextResp => "alter_context_resp",
            PacketType::Auth3 => "auth3",
            PacketType::Shutdown => "shutdown",
            PacketType::CoCancel => "co_cancel",
            PacketType::Orphaned => "orphaned",
            PacketType::Other(byte) => return write!(f, "ptype {byte}"),
        };
        f.write_str(name)
    }
}

fn le16(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(&[a, b]) => u16::from_le_bytes([a, b]),
        _ => 0,
    }
}

fn le32(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// Checks version and data representation in the first ten bytes and returns `frag_length`.
fn checked_prefix(prefix: &[u8]) -> Result<usize> {
    crate::error::need(prefix, LENGTH_PREFIX_LEN, "DCE/RPC header")?;
    if prefix[field::VERSION] != 5 || prefix[field::VERSION_MINOR] > 1 {
        return Err(Error::Malformed {
            what: "DCE/RPC header",
            why: "not connection-oriented RPC version 5.0",
        });
    }
    if prefix[field::DREP] & 0xf0 != 0x10 {
        return Err(Error::Malformed {
            what: "DCE/RPC data representation",
            why: "only little-endian integers are supported",
        });
    }
    let frag_length = usize::from(le16(prefix, field::FRAG_LENGTH));
    if frag_length < HEADER_LEN {
        return Err(Error::Malformed {
            what: "DCE/RPC frag_length",
            why: "shorter than the common header",
        });
    }
    Ok(frag_length)
}

/// How many bytes the PDU that starts with `prefix` occupies in total, from its first
/// [`LENGTH_PREFIX_LEN`] bytes; the engine reads exactly that much before parsing. Refuses a
/// prefix that is not a version 5 little-endian PDU, so garbage on port 135 is caught early.
pub fn pdu_length(prefix: &[u8]) -> Result<usize> {
    checked_prefix(prefix)
}

/// A checked view of one complete PDU: the buffer holds at least `frag_length` bytes and
/// the header is version 5, little-endian, with an authentication trailer that fits.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` without any check; accessors then return 0 for missing fields.
    pub fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps `buffer` after checking the header and that the whole PDU is present.
    /// Bytes after `frag_length` (the next PDU of a stream) are ignored.
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let bytes = buffer.as_ref();
        crate::error::need(bytes, HEADER_LEN, "DCE/RPC header")?;
        let frag_length = checked_prefix(bytes)?;
        crate::error::need(bytes, frag_length, "DCE/RPC PDU (frag_length)")?;
        let auth_length = usize::from(le16(bytes, field::AUTH_LENGTH));
        if auth_length > 0 && HEADER_LEN + SEC_TRAILER_LEN + auth_length > frag_length {
            return Err(Error::Malformed {
                what: "DCE/RPC auth_length",
                why: "authentication trailer does not fit in the PDU",
            });
        }
        Ok(Packet { buffer })
    }

    /// The PDU's bytes, `frag_length` long (or the whole buffer if unchecked and shorter).
    pub fn as_bytes(&self) -> &[u8] {
        let bytes = self.buffer.as_ref();
        let end = self.frag_length().min(bytes.len());
        bytes.get(..end).unwrap_or(bytes)
    }

    fn byte(&self, at: usize) -> u8 {
        self.buffer.as_ref().get(at).copied().unwrap_or(0)
    }

    /// `rpc_vers.rpc_vers_minor`.
    pub fn version(&self) -> (u8, u8) {
        (self.byte(field::VERSION), self.byte(field::VERSION_MINOR))
    }

    /// The PDU type.
    pub fn packet_type(&self) -> PacketType {
        PacketType::from_byte(self.byte(field::PTYPE))
    }

    /// `pfc_flags`.
    pub fn flags(&self) -> u8 {
        self.byte(field::FLAGS)
    }

    /// True when the first-fragment flag is set.
    pub fn is_first_fragment(&self) -> bool {
        self.flags() & flags::FIRST_FRAG != 0
    }

    /// True when the last-fragment flag is set.
    pub fn is_last_fragment(&self) -> bool {
        self.flags() & flags::LAST_FRAG != 0
    }

    /// The four data representation bytes.
    pub fn drep(&self) -> [u8; 4] {
        [
            self.byte(field::DREP),
            self.byte(field::DREP + 1),
            self.byte(field::DREP + 2),
            self.byte(field::DREP + 3),
        ]
    }

    /// Length of the whole PDU.
    pub fn frag_length(&self) -> usize {
        usize::from(le16(self.buffer.as_ref(), field::FRAG_LENGTH))
    }

    /// Length of the authentication credentials (0 without authentication).
    pub fn auth_length(&self) -> usize {
        usize::from(le16(self.buffer.as_ref(), field::AUTH_LENGTH))
    }

    /// The call identifier a reply echoes.
    pub fn call_id(&self) -> u32 {
        le32(self.buffer.as_ref(), field::CALL_ID)
    }

    /// Where the PDU body ends: before the authentication trailer and its padding, if any.
    fn body_end(&self) -> Result<usize> {
        let frag_length = self.frag_length();
        let auth_length = self.auth_length();
        if auth_length == 0 {
            return Ok(frag_length);
        }
        let trailer = frag_length
            .checked_sub(auth_length + SEC_TRAILER_LEN)
            .ok_or(Error::Malformed {
                what: "DCE/RPC auth_length",
                why: "authentication trailer does not fit in the PDU",
            })?;
        // sec_trailer: auth_type, auth_level, auth_pad_length, ...
        let pad = usize::from(self.byte(trailer + 2));
        trailer.checked_sub(pad).ok_or(Error::Malformed {
            what: "DCE/RPC auth_pad_length",
            why: "padding runs before the start of the PDU",
        })
    }

    /// Where the stub data of a request, response or fault lies in the PDU.
    fn stub_range(&self) -> Result<core::ops::Range<usize>> {
        let start = CALL_HEADER_LEN
            + match self.packet_type() {
                PacketType::Request if self.flags() & flags::OBJECT_UUID != 0 => 16,
                PacketType::Fault => 8,
                _ => 0,
            };
        let end = self.body_end()?;
        if start > end {
            return Err(Error::Truncated {
                what: "DCE/RPC stub data",
                need: start,
                have: end,
            });
        }
        Ok(start..end)
    }

    /// The stub data of a request, response or fault, without header and trailer.
    pub fn stub(&self) -> Result<&[u8]> {
        let range = self.stub_range()?;
        let have = self.as_bytes().len();
        self.as_bytes().get(range.clone()).ok_or(Error::Truncated {
            what: "DCE/RPC stub data",
            need: range.end,
            have,
        })
    }

    fn expect(&self, wanted: PacketType, message: &'static str) -> Result<()> {
        if self.packet_type() == wanted {
            Ok(())
        } else {
            Err(Error::Unexpected(message))
        }
    }
}

fn write_header(out: &mut Vec<u8>, ptype: PacketType, frag_length: u16, call_id: u32) {
    out.extend_from_slice(&[5, 0, ptype.to_byte(), flags::FIRST_FRAG | flags::LAST_FRAG]);
    out.extend_from_slice(&[0x10, 0, 0, 0]); // little-endian, ASCII, IEEE
    out.extend_from_slice(&frag_length.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // no authentication
    out.extend_from_slice(&call_id.to_le_bytes());
}

/// Builds a bind PDU that proposes one presentation context (id 0): `interface` over NDR
/// v2, with `max_frag` as both transmit and receive fragment size and a new association
/// group.
pub fn bind(call_id: u32, interface: SyntaxId, max_frag: u16) -> [u8; BIND_LEN] {
    let mut out = Vec::with_capacity(BIND_LEN);
    write_header(&mut out, PacketType::Bind, BIND_LEN as u16, call_id);
    out.extend_from_slice(&max_frag.to_le_bytes());
    out.extend_from_slice(&max_frag.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // assoc_group_id: new group
    out.extend_from_slice(&[1, 0, 0, 0]); // n_context_elem, reserved
    out.extend_from_slice(&0u16.to_le_bytes()); // p_cont_id
    out.extend_from_slice(&[1, 0]); // n_transfer_syn, reserved
    out.extend_from_slice(&interface.to_le_bytes());
    out.extend_from_slice(&NDR_SYNTAX.to_le_bytes());
    let mut pdu = [0u8; BIND_LEN];
    pdu.copy_from_slice(&out);
    pdu
}

/// Builds a single-fragment request PDU calling `opnum` in presentation context
/// `context_id`, with `stub` as its NDR arguments. Refuses a stub that would not fit in
/// one fragment (the endpoint mapper's arguments are well under 100 bytes).
pub fn request(call_id: u32, context_id: u16, opnum: u16, stub: &[u8]) -> Result<Vec<u8>> {
    let limit = usize::from(u16::MAX) - CALL_HEADER_LEN;
    if stub.len() > limit {
        return Err(Error::TooLarge {
            what: "DCE/RPC request stub",
            value: stub.len(),
            limit,
        });
    }
    let frag_length = (CALL_HEADER_LEN + stub.len()) as u16;
    let mut out = Vec::with_capacity(usize::from(frag_length));
    write_header(&mut out, PacketType::Request, frag_length, call_id);
    out.extend_from_slice(&(stub.len() as u32).to_le_bytes()); // alloc_hint
    out.extend_from_slice(&context_id.to_le_bytes());
    out.extend_from_slice(&opnum.to_le_bytes());
    out.extend_from_slice(stub);
    Ok(out)
}

/// How the server answered one proposed presentation context (`p_cont_def_result_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextResult {
    /// 0: the context can be used.
    Acceptance,
    /// 1
    UserRejection,
    /// 2
    ProviderRejection,
    /// 3: [MS-RPCE] bind time feature negotiation acknowledgement.
    NegotiateAck,
    /// Any other value.
    Other(u16),
}

impl ContextResult {
    fn from_u16(value: u16) -> ContextResult {
        match value {
            0 => ContextResult::Acceptance,
            1 => ContextResult::UserRejection,
            2 => ContextResult::ProviderRejection,
            3 => ContextResult::NegotiateAck,
            other => ContextResult::Other(other),
        }
    }
}

/// Name of a `provider_reason` code in a rejected context result.
pub fn context_reason_name(reason: u16) -> &'static str {
    match reason {
        0 => "reason not specified",
        1 => "abstract syntax not supported",
        2 => "proposed transfer syntaxes not supported",
        3 => "local limit exceeded",
        _ => "unknown reason",
    }
}

/// One entry of a bind_ack's result list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextAnswer {
    /// Accepted or why not.
    pub result: ContextResult,
    /// `provider_reason`, meaningful when rejected.
    pub reason: u16,
    /// The transfer syntax the server chose (nil when rejected).
    pub transfer_syntax: SyntaxId,
}

/// Longest secondary address kept (it is a port number or pipe name in practice).
const MAX_SECONDARY_ADDRESS: usize = 256;

/// A bind_ack (or alter_context_resp, same layout), C706 section 12.6.4.4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindAck {
    /// The call id of the bind it answers.
    pub call_id: u32,
    /// Largest fragment the server will send.
    pub max_xmit_frag: u16,
    /// Largest fragment the server accepts.
    pub max_recv_frag: u16,
    /// Association group the connection joined.
    pub assoc_group_id: u32,
    /// Secondary address: the server's port (`135`) or pipe, without the final NUL.
    pub secondary_address: String,
    /// One answer per proposed context, in order.
    pub results: Vec<ContextAnswer>,
}

impl BindAck {
    /// Parses a bind_ack or alter_context_resp PDU.
    pub fn parse(bytes: &[u8]) -> Result<BindAck> {
        let packet = Packet::new_checked(bytes)?;
        if !matches!(
            packet.packet_type(),
            PacketType::BindAck | PacketType::AlterContextResp
        ) {
            return Err(Error::Unexpected("DCE/RPC PDU is not a bind_ack"));
        }
        let body = packet.as_bytes().get(..packet.body_end()?).unwrap_or(&[]);
        crate::error::need(body, field::SEC_ADDR + 2, "DCE/RPC bind_ack")?;
        let address_len = usize::from(le16(body, field::SEC_ADDR));
        let address_start = field::SEC_ADDR + 2;
        let address =
            body.get(address_start..address_start + address_len)
                .ok_or(Error::Truncated {
                    what: "DCE/RPC bind_ack secondary address",
                    need: address_start + address_len,
                    have: body.len(),
                })?;
        let address = address.split(|&b| b == 0).next().unwrap_or(&[]);
        let address = &address[..address.len().min(MAX_SECONDARY_ADDRESS)];
        // The result list is 4-byte aligned from the start of the PDU.
        let list = (address_start + address_len + 3) & !3;
        crate::error::need(body, list + 4, "DCE/RPC bind_ack result list")?;
        let count = usize::from(body[list]);
        let mut results = Vec::with_capacity(count);
        for i in 0..count {
            let at = list + 4 + i * (4 + SYNTAX_ID_LEN);
            let entry = body
                .get(at..at + 4 + SYNTAX_ID_LEN)
                .ok_or(Error::Truncated {
                    what: "DCE/RPC bind_ack result",
                    need: at + 4 + SYNTAX_ID_LEN,
                    have: body.len(),
                })?;
            results.push(ContextAnswer {
                result: ContextResult::from_u16(le16(entry, 0)),
                reason: le16(entry, 2),
                transfer_syntax: SyntaxId::from_le_bytes(entry.get(4..).unwrap_or(&[]))?,
            });
        }
        Ok(BindAck {
            call_id: packet.call_id(),
            max_xmit_frag: le16(body, field::MAX_XMIT_FRAG),
            max_recv_frag: le16(body, field::MAX_RECV_FRAG),
            assoc_group_id: le32(body, field::ASSOC_GROUP),
            secondary_address: String::from_utf8_lossy(address).into_owned(),
            results,
        })
    }

    /// True when the first (our only) context was accepted.
    pub fn accepted(&self) -> bool {
        self.results
            .first()
            .is_some_and(|answer| answer.result == ContextResult::Acceptance)
    }
}

impl fmt::Display for BindAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DCE/RPC bind_ack: ")?;
        match self.results.first() {
            Some(answer) if answer.result == ContextResult::Acceptance => {
                write!(f, "accepted ({})", answer.transfer_syntax.uuid)?
            }
            Some(answer) => write!(
                f,
                "rejected ({:?}, {})",
                answer.result,
                context_reason_name(answer.reason)
            )?,
            None => f.write_str("no context results")?,
        }
        write!(
            f,
            ", max frag {}/{}, secondary address \"{}\"",
            self.max_xmit_frag,
            self.max_recv_frag,
            printable(&self.secondary_address, 32)
        )
    }
}

/// Name of a bind_nak `provider_reject_reason` (C706 section 12.6.3.1, [MS-RPCE] 2.2.2.5).
pub fn reject_reason_name(reason: u16) -> &'static str {
    match reason {
        0 => "reason not specified",
        1 => "temporary congestion",
        2 => "local limit exceeded",
        3 => "called address unknown",
        4 => "protocol version not supported",
        5 => "default context not supported",
        6 => "user data not readable",
        7 => "no PSAP available",
        8 => "authentication type not recognized",
        9 => "invalid checksum",
        _ => "unknown reason",
    }
}

/// A bind_nak: the server refused the association (C706 section 12.6.4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindNak {
    /// The call id of the bind it answers.
    pub call_id: u32,
    /// `provider_reject_reason`, see [`reject_reason_name`].
    pub reason: u16,
    /// Protocol versions (major, minor) the server supports, when it lists them.
    pub versions: Vec<(u8, u8)>,
}

impl BindNak {
    /// Parses a bind_nak PDU. The version list is optional: old servers stop after the reason.
    pub fn parse(bytes: &[u8]) -> Result<BindNak> {
        let packet = Packet::new_checked(bytes)?;
        packet.expect(PacketType::BindNak, "DCE/RPC PDU is not a bind_nak")?;
        let body = packet.as_bytes();
        crate::error::need(body, field::REJECT_REASON + 2, "DCE/RPC bind_nak")?;
        let mut versions = Vec::new();
        if let Some(&count) = body.get(field::NAK_VERSIONS) {
            for i in 0..usize::from(count) {
                let at = field::NAK_VERSIONS + 1 + 2 * i;
                match body.get(at..at + 2) {
                    Some(&[major, minor]) => versions.push((major, minor)),
                    _ => {
                        return Err(Error::Truncated {
                            what: "DCE/RPC bind_nak version list",
                            need: at + 2,
                            have: body.len(),
                        });
                    }
                }
            }
        }
        Ok(BindNak {
            call_id: packet.call_id(),
            reason: le16(body, field::REJECT_REASON),
            versions,
        })
    }
}

impl fmt::Display for BindNak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DCE/RPC bind_nak: {} (reason {})",
            reject_reason_name(self.reason),
            self.reason
        )?;
        for (i, (major, minor)) in self.versions.iter().take(4).enumerate() {
            let lead = if i == 0 { ", server speaks " } else { ", " };
            write!(f, "{lead}{major}.{minor}")?;
        }
        Ok(())
    }
}

/// One response fragment: header fields and a borrowed stub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    /// The call id of the request it answers.
    pub call_id: u32,
    /// `pfc_flags` (first/last fragment).
    pub flags: u8,
    /// The server's estimate of the whole stub size. Advisory: never used to allocate.
    pub alloc_hint: u32,
    /// Presentation context of the call.
    pub context_id: u16,
    /// Cancels the server saw.
    pub cancel_count: u8,
    /// This fragment's part of the stub data.
    pub stub: &'a [u8],
}

impl<'a> Response<'a> {
    /// Parses one response PDU.
    pub fn parse(bytes: &'a [u8]) -> Result<Response<'a>> {
        let packet = Packet::new_checked(bytes)?;
        packet.expect(PacketType::Response, "DCE/RPC PDU is not a response")?;
        let body = packet.as_bytes();
        crate::error::need(body, CALL_HEADER_LEN, "DCE/RPC response header")?;
        let stub_range = packet.stub_range()?;
        let stub = bytes.get(stub_range.clone()).ok_or(Error::Truncated {
            what: "DCE/RPC stub data",
            need: stub_range.end,
            have: bytes.len(),
        })?;
        Ok(Response {
            call_id: packet.call_id(),
            flags: packet.flags(),
            alloc_hint: le32(body, field::ALLOC_HINT),
            context_id: le16(body, field::CONTEXT_ID),
            cancel_count: body.get(field::CANCEL_COUNT).copied().unwrap_or(0),
            stub,
        })
    }

    /// True for the first fragment of the call's answer.
    pub fn is_first(&self) -> bool {
        self.flags & flags::FIRST_FRAG != 0
    }

    /// True for the last fragment of the call's answer.
    pub fn is_last(&self) -> bool {
        self.flags & flags::LAST_FRAG != 0
    }
}

impl fmt::Display for Response<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DCE/RPC response: call {}, {} stub bytes{}{}",
            self.call_id,
            self.stub.len(),
            if self.is_first() { ", first" } else { "" },
            if self.is_last() { ", last" } else { "" }
        )
    }
}

/// The `EPT_S_NOT_REGISTERED` status: the endpoint map has no (more) matching entries.
pub const EPT_S_NOT_REGISTERED: u32 = 0x16c9_a0d6;

/// Name of a fault or call status code: C706 appendix E (`nca_s_*`), the Windows codes
/// [MS-RPCE] 2.2.2.11 lists for faults, and the endpoint mapper's statuses.
pub fn status_name(status: u32) -> Option<&'static str> {
    Some(match status {
        0 => "success",
        0x0000_0005 => "access denied",
        0x0000_06d1 => "RPC_S_PROCNUM_OUT_OF_RANGE",
        0x0000_06d8 => "EPT_S_CANT_PERFORM_OP",
        0x0000_06e4 => "RPC_S_CANNOT_SUPPORT",
        0x0000_06f7 => "RPC_X_BAD_STUB_DATA",
        0x1c00_0001 => "nca_s_fault_int_div_by_zero",
        0x1c00_0002 => "nca_s_fault_addr_error",
        0x1c00_0003 => "nca_s_fault_fp_div_zero",
        0x1c00_0004 => "nca_s_fault_fp_underflow",
        0x1c00_0005 => "nca_s_fault_fp_overflow",
        0x1c00_0006 => "nca_s_fault_invalid_tag",
        0x1c00_0007 => "nca_s_fault_invalid_bound",
        0x1c00_0008 => "nca_s_rpc_version_mismatch",
        0x1c00_0009 => "nca_s_unspec_reject",
        0x1c00_000a => "nca_s_bad_actid",
        0x1c00_000b => "nca_s_who_are_you_failed",
        0x1c00_000c => "nca_s_manager_not_entered",
        0x1c00_000d => "nca_s_fault_cancel",
        0x1c00_000e => "nca_s_fault_ill_inst",
        0x1c00_000f => "nca_s_fault_fp_error",
        0x1c00_0010 => "nca_s_fault_int_overflow",
        0x1c00_0012 => "nca_s_fault_unspec",
        0x1c00_0013 => "nca_s_fault_remote_comm_failure",
        0x1c00_0014 => "nca_s_fault_pipe_empty",
        0x1c00_0015 => "nca_s_fault_pipe_closed",
        0x1c00_0016 => "nca_s_fault_pipe_order",
        0x1c00_0017 => "nca_s_fault_pipe_discipline",
        0x1c00_0018 => "nca_s_fault_pipe_comm_error",
        0x1c00_0019 => "nca_s_fault_pipe_memory",
        0x1c00_001a => "nca_s_fault_context_mismatch",
        0x1c00_001b => "nca_s_fault_remote_no_memory",
        0x1c00_001c => "nca_s_invalid_pres_context_id",
        0x1c00_001d => "nca_s_unsupported_authn_level",
        0x1c00_001f => "nca_s_invalid_checksum",
        0x1c00_0020 => "nca_s_invalid_crc",
        0x1c00_0021 => "nca_s_fault_user_defined",
        0x1c00_0022 => "nca_s_fault_tx_open_failed",
        0x1c00_0023 => "nca_s_fault_codeset_conv_error",
        0x1c00_0024 => "nca_s_fault_object_not_found",
        0x1c00_0025 => "nca_s_fault_no_client_stub",
        0x1c01_0001 => "nca_s_comm_failure",
        0x1c01_0002 => "nca_s_op_rng_error",
        0x1c01_0003 => "nca_s_unk_if",
        0x1c01_0006 => "nca_s_wrong_boot_time",
        0x1c01_0009 => "nca_s_you_crashed",
        0x1c01_000b => "nca_s_proto_error",
        0x1c01_0013 => "nca_s_out_args_too_big",
        0x1c01_0014 => "nca_s_server_too_busy",
        0x1c01_0015 => "nca_s_fault_string_too_long",
        0x1c01_0017 => "nca_s_unsupported_type",
        EPT_S_NOT_REGISTERED => "EPT_S_NOT_REGISTERED",
        _ => return None,
    })
}

/// A fault PDU: the call failed with a status code (C706 section 12.6.4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// The call id of the request it answers.
    pub call_id: u32,
    /// `pfc_flags`; [`flags::DID_NOT_EXECUTE`] says the operation never ran.
    pub flags: u8,
    /// Presentation context of the call.
    pub context_id: u16,
    /// The status code, see [`status_name`].
    pub status: u32,
}

impl Fault {
    /// Parses a fault PDU.
    pub fn parse(bytes: &[u8]) -> Result<Fault> {
        let packet = Packet::new_checked(bytes)?;
        packet.expect(PacketType::Fault, "DCE/RPC PDU is not a fault")?;
        let body = packet.as_bytes();
        crate::error::need(body, field::FAULT_STATUS + 4, "DCE/RPC fault")?;
        Ok(Fault {
            call_id: packet.call_id(),
            flags: packet.flags(),
            context_id: le16(body, field::CONTEXT_ID),
            status: le32(body, field::FAULT_STATUS),
        })
    }

    /// The status name, when known.
    pub fn status_name(&self) -> Option<&'static str> {
        status_name(self.status)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DCE/RPC fault: {} (0x{:08x}), call {}{}",
            self.status_name().unwrap_or("unknown status"),
            self.status,
            self.call_id,
            if self.flags & flags::DID_NOT_EXECUTE != 0 {
                ", not executed"
            } else {
                ""
            }
        )
    }
}

/// Any PDU a client can receive, decoded by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu<'a> {
    /// Answer to a bind (or alter_context).
    BindAck(BindAck),
    /// Refusal of a bind.
    BindNak(BindNak),
    /// One response fragment.
    Response(Response<'a>),
    /// A failed call.
    Fault(Fault),
    /// A well-formed PDU of another type (shutdown, a request from the server, ...).
    Other(PacketType),
}

impl<'a> Pdu<'a> {
    /// Parses one PDU, dispatching on its type.
    pub fn parse(bytes: &'a [u8]) -> Result<Pdu<'a>> {
        let packet = Packet::new_checked(bytes)?;
        Ok(match packet.packet_type() {
            PacketType::BindAck | PacketType::AlterContextResp => {
                Pdu::BindAck(BindAck::parse(bytes)?)
            }
            PacketType::BindNak => Pdu::BindNak(BindNak::parse(bytes)?),
            PacketType::Response => Pdu::Response(Response::parse(bytes)?),
            PacketType::Fault => Pdu::Fault(Fault::parse(bytes)?),
            other => Pdu::Other(other),
        })
    }
}

impl fmt::Display for Pdu<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pdu::BindAck(ack) => ack.fmt(f),
            Pdu::BindNak(nak) => nak.fmt(f),
            Pdu::Response(response) => response.fmt(f),
            Pdu::Fault(fault) => fault.fmt(f),
            Pdu::Other(ptype) => write!(f, "DCE/RPC {ptype} PDU"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dcerpc::uuid::EPM_SYNTAX;
    use proptest::prelude::*;

    const BIND_ACK: &[u8] =
        include_bytes!("../../tests/fixtures/dcerpc/samba-4.17-epm-bind-ack.bin");
    const BIND_UNKNOWN: &[u8] =
        include_bytes!("../../tests/fixtures/dcerpc/samba-4.17-bind-unknown-if.bin");
    const BIND_NAK: &[u8] =
        include_bytes!("../../tests/fixtures/dcerpc/samba-4.17-bind-version4.bin");
    const FAULT: &[u8] =
        include_bytes!("../../tests/fixtures/dcerpc/samba-4.17-epm-fault-opnum99.bin");
    const LOOKUP_END: &[u8] =
        include_bytes!("../../tests/fixtures/dcerpc/samba-4.17-ept-lookup-2.bin");
    const BIND_SENT: &[u8] = include_bytes!("../../tests/fixtures/dcerpc/request-epm-bind.bin");

    #[test]
    fn bind_matches_the_pdu_sent_to_samba() {
        let pdu = bind(1, EPM_SYNTAX, DEFAULT_MAX_FRAG);
        assert_eq!(pdu.as_slice(), BIND_SENT);
        assert_eq!(pdu_length(&pdu).unwrap(), BIND_LEN);
        let packet = Packet::new_checked(&pdu[..]).unwrap();
        assert_eq!(packet.packet_type(), PacketType::Bind);
        assert_eq!(packet.call_id(), 1);
    }

    #[test]
    fn request_layout() {
        let pdu = request(7, 0, 2, &[0xaa; 40]).unwrap();
        assert_eq!(pdu.len(), 64);
        assert_eq!(&pdu[..4], &[5, 0, 0, 3]);
        assert_eq!(pdu_length(&pdu).unwrap(), 64);
        assert_eq!(&pdu[16..24], &[40, 0, 0, 0, 0, 0, 2, 0]);
        let packet = Packet::new_checked(&pdu[..]).unwrap();
        assert_eq!(packet.stub().unwrap(), &[0xaa; 40]);
        assert!(matches!(
            request(1, 0, 2, &vec![0; 70_000]),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn samba_bind_ack() {
        let ack = BindAck::parse(BIND_ACK).unwrap();
        assert!(ack.accepted());
        assert_eq!(ack.call_id, 1);
        assert_eq!((ack.max_xmit_frag, ack.max_recv_frag), (4280, 4280));
        assert_eq!(ack.secondary_address, "135");
        assert_eq!(ack.results.len(), 1);
        assert_eq!(ack.results[0].transfer_syntax, NDR_SYNTAX);
        assert_eq!(
            ack.to_string(),
            "DCE/RPC bind_ack: accepted (8a885d04-1ceb-11c9-9fe8-08002b104860), \
             max frag 4280/4280, secondary address \"135\""
        );
        assert!(matches!(Pdu::parse(BIND_ACK).unwrap(), Pdu::BindAck(_)));
    }

    #[test]
    fn samba_rejects_an_unknown_interface() {
        let ack = BindAck::parse(BIND_UNKNOWN).unwrap();
        assert!(!ack.accepted());
        assert_eq!(ack.results[0].result, ContextResult::ProviderRejection);
        assert_eq!(ack.results[0].reason, 1);
        assert!(ack.to_string().contains("abstract syntax not supported"));
    }

    #[test]
    fn samba_bind_nak() {
        let nak = BindNak::parse(BIND_NAK).unwrap();
        assert_eq!(nak.reason, 4);
        assert_eq!(nak.versions, vec![(5, 0)]);
        assert_eq!(
            nak.to_string(),
            "DCE/RPC bind_nak: protocol version not supported (reason 4), server speaks 5.0"
        );
        // A bind_nak that stops after the reason, as old servers send it.
        let mut short = BIND_NAK[..18].to_vec();
        short[8] = 18;
        assert_eq!(BindNak::parse(&short).unwrap().versions, vec![]);
        assert!(matches!(
            BindAck::parse(BIND_NAK),
            Err(Error::Unexpected(_))
        ));
    }

    #[test]
    fn samba_fault_for_an_unknown_opnum() {
        let fault = Fault::parse(FAULT).unwrap();
        assert_eq!(fault.status, 0x1c01_0002);
        assert_eq!(fault.call_id, 4);
        assert_eq!(
            fault.to_string(),
            "DCE/RPC fault: nca_s_op_rng_error (0x1c010002), call 4, not executed"
        );
        assert_eq!(status_name(5), Some("access denied"));
        assert_eq!(status_name(0x1c01_0003), Some("nca_s_unk_if"));
        assert_eq!(status_name(0x1234_5678), None);
    }

    #[test]
    fn samba_single_fragment_response() {
        let response = Response::parse(LOOKUP_END).unwrap();
        assert!(response.is_first() && response.is_last());
        assert_eq!(response.call_id, 3);
        assert_eq!(response.alloc_hint, 40);
        assert_eq!(response.stub.len(), 40);
        assert_eq!(
            response.to_string(),
            "DCE/RPC response: call 3, 40 stub bytes, first, last"
        );
    }

    #[test]
    fn refuses_short_foreign_and_lying_headers() {
        assert!(matches!(
            pdu_length(&BIND_ACK[..9]),
            Err(Error::Truncated { need: 10, .. })
        ));
        assert!(pdu_length(b"HTTP/1.1 400 Bad").is_err());
        let mut big_endian = BIND_ACK.to_vec();
        big_endian[4] = 0x00;
        assert!(matches!(
            BindAck::parse(&big_endian),
            Err(Error::Malformed { .. })
        ));
        // frag_length larger than what arrived.
        assert!(matches!(
            BindAck::parse(&BIND_ACK[..59]),
            Err(Error::Truncated { .. })
        ));
        // frag_length below the header size.
        let mut tiny = BIND_ACK.to_vec();
        tiny[8] = 15;
        assert!(pdu_length(&tiny).is_err());
        // auth_length that does not fit.
        let mut auth = FAULT.to_vec();
        auth[10] = 20;
        assert!(Fault::parse(&auth).is_err());
        // A result count that runs past the end.
        let mut results = BIND_ACK.to_vec();
        results[32] = 3;
        assert!(matches!(
            BindAck::parse(&results),
            Err(Error::Truncated { .. })
        ));
        // A secondary address longer than the PDU.
        let mut address = BIND_ACK.to_vec();
        address[24] = 0xff;
        assert!(BindAck::parse(&address).is_err());
    }

    #[test]
    fn stub_skips_an_authentication_trailer() {
        // Response with 4 stub bytes, 4 bytes of auth padding, an 8-byte sec_trailer
        // (pad length 4) and 16 bytes of credentials.
        let mut pdu = request(9, 0, 0, &[1, 2, 3, 4, 0, 0, 0, 0]).unwrap();
        pdu[2] = PacketType::Response.to_byte();
        pdu.extend_from_slice(&[10, 2, 4, 0, 0, 0, 0, 0]);
        pdu.extend_from_slice(&[0xee; 16]);
        let len = pdu.len() as u16;
        pdu[8..10].copy_from_slice(&len.to_le_bytes());
        pdu[10] = 16;
        assert_eq!(Response::parse(&pdu).unwrap().stub, &[1, 2, 3, 4]);
        pdu[CALL_HEADER_LEN + 8 + 2] = 200; // padding longer than the body
        assert!(Response::parse(&pdu).is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = pdu_length(&bytes);
            if let Ok(pdu) = Pdu::parse(&bytes) {
                prop_assert!(pdu.to_string().len() < 160);
            }
            let _ = BindAck::parse(&bytes);
            let _ = BindNak::parse(&bytes);
            let _ = Response::parse(&bytes);
            let _ = Fault::parse(&bytes);
        }

        #[test]
        fn mutated_fixtures_never_panic(index in 0usize..60, value in any::<u8>(), cut in 0usize..61) {
            for fixture in [BIND_ACK, BIND_UNKNOWN, BIND_NAK, FAULT, LOOKUP_END] {
                let mut bytes = fixture.to_vec();
                if let Some(byte) = bytes.get_mut(index) {
                    *byte = value;
                }
                bytes.truncate(cut.max(1));
                let _ = Pdu::parse(&bytes).map(|p| p.to_string());
            }
        }

        #[test]
        fn request_round_trips(call_id in any::<u32>(), opnum in any::<u16>(), stub in proptest::collection::vec(any::<u8>(), 0..300)) {
            let pdu = request(call_id, 0, opnum, &stub).unwrap();
            prop_assert_eq!(pdu_length(&pdu).unwrap(), pdu.len());
            let packet = Packet::new_checked(&pdu[..]).unwrap();
            prop_assert_eq!(packet.call_id(), call_id);
            prop_assert_eq!(packet.stub().unwrap(), &stub[..]);
        }
    }
}
