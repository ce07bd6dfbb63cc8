//! Connection-oriented DCE/RPC PDUs (C706 chapter 12.6, [MS-RPCE] 2.2.2).
//!
//! Every PDU starts with the same 16-byte header; `frag_length` in it says how long the
//! whole PDU is, so a stream reader needs only the first ten bytes to know how much to read
//! ([`pdu_length`]). Only the little-endian data representation is accepted: Windows and
//! Samba always send it, and a big-endian peer is refused rather than misread.
//!
//! Built here: `bind` (one presentation context, NDR) and `request`. Parsed here: the
//! header view and `response` fragments; `bind_ack`/`bind_nak` live in [`super::bind`],
//! `fault` in [`super::fault`], and [`Pdu::parse`] dispatches to all of them.
//! Authentication trailers are skipped, never checked: the endpoint mapper is queried
//! without authentication.

use core::fmt;

use crate::{Error, Result};

use super::bind::{BindAck, BindNak};
use super::fault::Fault;
use super::uuid::{NDR_SYNTAX, SyntaxId};

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
pub(super) mod field {
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

pub(super) fn le16(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(&[a, b]) => u16::from_le_bytes([a, b]),
        _ => 0,
    }
}

pub(super) fn le32(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// Checks version and data representation in the first ten bytes and returns `frag_length`.
fn checked_prefix(prefix: &[u8]) -> Result<usize> {
    crate::error::need(prefix, LENGTH_PREFIX_LEN, "DCE/RPC header")?;
    if prefix[field::VERSION] != 5 || prefix[field::VERSION_MINOR] > 1 {
        return Err(Error::malformed(
            "DCE/RPC header",
            "not connection-oriented RPC version 5.0",
        ));
    }
    if prefix[field::DREP] & 0xf0 != 0x10 {
        return Err(Error::malformed(
            "DCE/RPC data representation",
            "only little-endian integers are supported",
        ));
    }
    let frag_length = usize::from(le16(prefix, field::FRAG_LENGTH));
    if frag_length < HEADER_LEN {
        return Err(Error::malformed(
            "DCE/RPC frag_length",
            "shorter than the common header",
        ));
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
            return Err(Error::malformed(
                "DCE/RPC auth_length",
                "authentication trailer does not fit in the PDU",
            ));
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
    pub(super) fn body_end(&self) -> Result<usize> {
        let frag_length = self.frag_length();
        let auth_length = self.auth_length();
        if auth_length == 0 {
            return Ok(frag_length);
        }
        let trailer = frag_length
            .checked_sub(auth_length + SEC_TRAILER_LEN)
            .ok_or(Error::malformed(
                "DCE/RPC auth_length",
                "authentication trailer does not fit in the PDU",
            ))?;
        // sec_trailer: auth_type, auth_level, auth_pad_length, ...
        let pad = usize::from(self.byte(trailer + 2));
        trailer.checked_sub(pad).ok_or(Error::malformed(
            "DCE/RPC auth_pad_length",
            "padding runs before the start of the PDU",
        ))
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
            return Err(Error::truncated("DCE/RPC stub data", start, end));
        }
        Ok(start..end)
    }

    /// The stub data of a request, response or fault, without header and trailer.
    pub fn stub(&self) -> Result<&[u8]> {
        stub_within(self.as_bytes(), self.stub_range()?)
    }

    pub(super) fn expect(&self, wanted: PacketType, message: &'static str) -> Result<()> {
        if self.packet_type() == wanted {
            Ok(())
        } else {
            Err(Error::Unexpected(message))
        }
    }
}

fn write_header(out: &mut Vec<u8>, ptype: PacketType, frag_length: u16, call_id: u32) {
    write_header_flags(
        out,
        ptype,
        flags::FIRST_FRAG | flags::LAST_FRAG,
        frag_length,
        call_id,
    );
}

fn write_header_flags(
    out: &mut Vec<u8>,
    ptype: PacketType,
    pfc_flags: u8,
    frag_length: u16,
    call_id: u32,
) {
    out.extend_from_slice(&[5, 0, ptype.to_byte(), pfc_flags]);
    out.extend_from_slice(&[0x10, 0, 0, 0]); // little-endian, ASCII, IEEE
    out.extend_from_slice(&frag_length.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // no authentication
    out.extend_from_slice(&call_id.to_le_bytes());
}

/// The stub data at `range` of a PDU's bytes, borrowed from them; one home for the bound
/// check that `Packet::stub` and the call parsers (which keep the buffer's lifetime) share.
fn stub_within(bytes: &[u8], range: core::ops::Range<usize>) -> Result<&[u8]> {
    let have = bytes.len();
    bytes
        .get(range.clone())
        .ok_or(Error::truncated("DCE/RPC stub data", range.end, have))
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
    Request {
        call_id,
        context_id,
        opnum,
        stub,
    }
    .emit()
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
        let stub = stub_within(bytes, packet.stub_range()?)?;
        Ok(Response {
            call_id: packet.call_id(),
            flags: packet.flags(),
            alloc_hint: le32(body, field::ALLOC_HINT),
            context_id: le16(body, field::CONTEXT_ID),
            cancel_count: body.get(field::CANCEL_COUNT).copied().unwrap_or(0),
            stub,
        })
    }

    /// Encodes the response fragment, the inverse of [`Response::parse`]: its own flags,
    /// allocation hint and cancel count, no authentication trailer. Refuses a stub that
    /// does not fit in one PDU.
    pub fn emit(&self) -> Result<Vec<u8>> {
        let mut body = Vec::with_capacity(8 + self.stub.len());
        body.extend_from_slice(&self.alloc_hint.to_le_bytes());
        body.extend_from_slice(&self.context_id.to_le_bytes());
        body.extend_from_slice(&[self.cancel_count, 0]); // cancel count, reserved
        body.extend_from_slice(self.stub);
        with_header_flags(PacketType::Response, self.flags, self.call_id, &body)
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

/// A single-fragment PDU of type `ptype` with `body` after the common header.
pub(super) fn with_header(ptype: PacketType, call_id: u32, body: &[u8]) -> Result<Vec<u8>> {
    with_header_flags(ptype, flags::FIRST_FRAG | flags::LAST_FRAG, call_id, body)
}

/// A PDU of type `ptype` with `pfc_flags` and `body` after the common header.
pub(super) fn with_header_flags(
    ptype: PacketType,
    pfc_flags: u8,
    call_id: u32,
    body: &[u8],
) -> Result<Vec<u8>> {
    let frag_length = u16::try_from(HEADER_LEN + body.len()).map_err(|_| {
        Error::too_large(
            "DCE/RPC PDU",
            HEADER_LEN + body.len(),
            usize::from(u16::MAX),
        )
    })?;
    let mut out = Vec::with_capacity(usize::from(frag_length));
    write_header_flags(&mut out, ptype, pfc_flags, frag_length, call_id);
    out.extend_from_slice(body);
    Ok(out)
}

/// Builds a single-fragment response PDU answering call `call_id` in `context_id` with
/// `stub` (a server's side; `portolan listen`'s endpoint mapper).
pub fn response(call_id: u32, context_id: u16, stub: &[u8]) -> Result<Vec<u8>> {
    Response {
        call_id,
        flags: flags::FIRST_FRAG | flags::LAST_FRAG,
        alloc_hint: u32::try_from(stub.len()).unwrap_or(u32::MAX),
        context_id,
        cancel_count: 0,
        stub,
    }
    .emit()
}

/// A request PDU as a server reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// Its call id.
    pub call_id: u32,
    /// Presentation context.
    pub context_id: u16,
    /// Operation number.
    pub opnum: u16,
    /// The NDR arguments of this fragment.
    pub stub: &'a [u8],
}

impl<'a> Request<'a> {
    /// Parses one request PDU.
    pub fn parse(bytes: &'a [u8]) -> Result<Request<'a>> {
        let packet = Packet::new_checked(bytes)?;
        packet.expect(PacketType::Request, "DCE/RPC PDU is not a request")?;
        crate::error::need(bytes, CALL_HEADER_LEN, "DCE/RPC request header")?;
        let stub = stub_within(bytes, packet.stub_range()?)?;
        Ok(Request {
            call_id: packet.call_id(),
            context_id: le16(bytes, field::CONTEXT_ID),
            opnum: le16(bytes, field::CONTEXT_ID + 2),
            stub,
        })
    }

    /// Encodes the request as one fragment, the inverse of [`Request::parse`] (no object
    /// UUID, no authentication). Refuses a stub that would not fit in one PDU.
    pub fn emit(&self) -> Result<Vec<u8>> {
        let limit = usize::from(u16::MAX) - CALL_HEADER_LEN;
        if self.stub.len() > limit {
            return Err(Error::too_large(
                "DCE/RPC request stub",
                self.stub.len(),
                limit,
            ));
        }
        let mut body = Vec::with_capacity(8 + self.stub.len());
        body.extend_from_slice(&(self.stub.len() as u32).to_le_bytes()); // alloc_hint
        body.extend_from_slice(&self.context_id.to_le_bytes());
        body.extend_from_slice(&self.opnum.to_le_bytes());
        body.extend_from_slice(self.stub);
        with_header(PacketType::Request, self.call_id, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dcerpc::bind::{BindAck, BindNak};
    use crate::dcerpc::fault::Fault;
    use crate::dcerpc::fixtures::{BIND_ACK, BIND_NAK, BIND_UNKNOWN, FAULT, LOOKUP_END};
    use crate::dcerpc::uuid::EPM_SYNTAX;
    use proptest::prelude::*;

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

    #[test]
    fn requests_and_responses_round_trip() {
        let pdu = request(9, 0, 2, &[1, 2, 3, 4]).unwrap();
        let parsed = Request::parse(&pdu).unwrap();
        assert_eq!((parsed.call_id, parsed.context_id, parsed.opnum), (9, 0, 2));
        assert_eq!(parsed.stub, &[1, 2, 3, 4]);
        let answer = response(9, 0, &[5, 6, 7, 8]).unwrap();
        let parsed = Response::parse(&answer).unwrap();
        assert_eq!(parsed.call_id, 9);
        assert_eq!(parsed.stub, &[5, 6, 7, 8]);
        assert!(parsed.is_first() && parsed.is_last());
        assert!(Request::parse(&answer).is_err());
    }
}
