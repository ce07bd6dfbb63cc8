//! SMB2 NEGOTIATE ([MS-SMB2] sections 2.2.3 and 2.2.4) over direct TCP (port 445) or a
//! NetBIOS session (port 139, RFC 1002 section 4.3), and the SMB1 negotiate answer of
//! servers that refuse SMB2 or SMB1 ([MS-CIFS] 2.2.4.52).
//!
//! * **Framing.** On 445 every message follows a 4-byte header: a zero byte and a 24-bit
//!   big-endian length ([MS-SMB2] 2.1). On 139 the NetBIOS session message header has the
//!   same layout (type 0x00, a flags byte whose low bit extends the length to 17 bits, a
//!   16-bit length), so one framing serves both once the NetBIOS session is up.
//! * **NetBIOS session** (139): [`session_request`] sends the called name (`*SMBSERVER`
//!   by default, which Samba and Windows accept for any host) and a calling name, both in
//!   the first-level encoding of RFC 1001 section 14.1; [`parse_session_response`] reads
//!   the positive (0x82), negative (0x83, with its error by name) or retarget (0x84)
//!   answer.
//! * **NEGOTIATE request**: [`NegotiateRequest`] offers dialects 2.0.2 to 3.1.1 and, since
//!   3.1.1 requires them, a preauthentication-integrity context (SHA-512 with the caller's
//!   salt) and an encryption context. [`smb1_negotiate_request`] builds the old SMB1
//!   negotiate, optionally offering `SMB 2.002` and `SMB 2.???` as Windows clients did.
//! * **NEGOTIATE response**: [`parse_negotiate_response`] reads the selected dialect,
//!   security mode, server GUID, capabilities, size limits, times and negotiate contexts
//!   of an SMB2 answer, the status of an SMB2 error, or the dialect index of an SMB1
//!   answer (0xFFFF when no offered dialect is accepted: Samba with SMB1 off answers an
//!   SMB1-only negotiate that way).
//!
//! The session setup that would follow is out of scope: the negotiate answer already
//! proves an SMB server and says which dialects and security it insists on.

use core::fmt;
use std::net::Ipv4Addr;

use crate::{Error, Result};

/// Length of the direct-TCP / NetBIOS session header.
pub const FRAME_HEADER_LEN: usize = 4;

/// Largest framed message accepted (a negotiate answer is a few hundred bytes).
pub const MAX_MESSAGE: usize = 64 * 1024;

/// Most negotiate contexts read from one response.
pub const MAX_CONTEXTS: usize = 32;

/// Most algorithm identifiers read from one negotiate context.
pub const MAX_ALGORITHMS: usize = 64;

/// Length of the SMB2 header.
pub const SMB2_HEADER_LEN: usize = 64;

/// Length of the SMB1 header.
pub const SMB1_HEADER_LEN: usize = 32;

/// The NetBIOS name that any SMB server answers to on port 139.
pub const SMBSERVER: &str = "*SMBSERVER";

const SMB2_MAGIC: [u8; 4] = [0xFE, b'S', b'M', b'B'];
const SMB1_MAGIC: [u8; 4] = [0xFF, b'S', b'M', b'B'];
const COMMAND_NEGOTIATE: u16 = 0x0000;
const SMB1_COMMAND_NEGOTIATE: u8 = 0x72;
const FLAGS_SERVER_TO_REDIR: u32 = 0x0000_0001;
const REQUEST_STRUCTURE_SIZE: u16 = 36;
const RESPONSE_STRUCTURE_SIZE: u16 = 65;
const SHA_512: u16 = 0x0001;

/// Byte offsets in the SMB2 header ([MS-SMB2] 2.2.1.2).
mod header {
    use core::ops::Range;
    pub const STRUCTURE_SIZE: Range<usize> = 4..6;
    pub const STATUS: Range<usize> = 8..12;
    pub const COMMAND: Range<usize> = 12..14;
    pub const FLAGS: Range<usize> = 16..20;
    pub const MESSAGE_ID: Range<usize> = 24..32;
}

/// Byte offsets in the NEGOTIATE request body (after the SMB2 header).
mod request {
    use core::ops::Range;
    pub const STRUCTURE_SIZE: Range<usize> = 0..2;
    pub const DIALECT_COUNT: Range<usize> = 2..4;
    pub const SECURITY_MODE: Range<usize> = 4..6;
    pub const CAPABILITIES: Range<usize> = 8..12;
    pub const CLIENT_GUID: Range<usize> = 12..28;
    pub const CONTEXT_OFFSET: Range<usize> = 28..32;
    pub const CONTEXT_COUNT: Range<usize> = 32..34;
    pub const DIALECTS: usize = 36;
}

/// Byte offsets in the NEGOTIATE response body (after the SMB2 header).
mod response {
    use core::ops::Range;
    pub const STRUCTURE_SIZE: Range<usize> = 0..2;
    pub const SECURITY_MODE: Range<usize> = 2..4;
    pub const DIALECT: Range<usize> = 4..6;
    pub const CONTEXT_COUNT: Range<usize> = 6..8;
    pub const SERVER_GUID: Range<usize> = 8..24;
    pub const CAPABILITIES: Range<usize> = 24..28;
    pub const MAX_TRANSACT: Range<usize> = 28..32;
    pub const MAX_READ: Range<usize> = 32..36;
    pub const MAX_WRITE: Range<usize> = 36..40;
    pub const SYSTEM_TIME: Range<usize> = 40..48;
    pub const START_TIME: Range<usize> = 48..56;
    pub const SECURITY_OFFSET: Range<usize> = 56..58;
    pub const SECURITY_LENGTH: Range<usize> = 58..60;
    pub const CONTEXT_OFFSET: Range<usize> = 60..64;
    pub const FIXED_LEN: usize = 64;
}

fn truncated(what: &'static str, need: usize, have: usize) -> Error {
    Error::truncated(what, need, have)
}

fn malformed(what: &'static str, why: &'static str) -> Error {
    Error::malformed(what, why)
}

fn array<const N: usize>(
    bytes: &[u8],
    at: core::ops::Range<usize>,
    what: &'static str,
) -> Result<[u8; N]> {
    bytes
        .get(at.clone())
        .and_then(|slice| slice.try_into().ok())
        .ok_or(truncated(what, at.end, bytes.len()))
}

fn le16(bytes: &[u8], at: core::ops::Range<usize>, what: &'static str) -> Result<u16> {
    array(bytes, at, what).map(u16::from_le_bytes)
}

fn le32(bytes: &[u8], at: core::ops::Range<usize>, what: &'static str) -> Result<u32> {
    array(bytes, at, what).map(u32::from_le_bytes)
}

fn le64(bytes: &[u8], at: core::ops::Range<usize>, what: &'static str) -> Result<u64> {
    array(bytes, at, what).map(u64::from_le_bytes)
}

// ---------------------------------------------------------------------------------------
// Framing
// ---------------------------------------------------------------------------------------

/// Prefixes `message` with the direct-TCP header (also the NetBIOS session message header).
pub fn frame(message: &[u8]) -> Result<Vec<u8>> {
    if message.len() > MAX_MESSAGE {
        return Err(Error::too_large("SMB message", message.len(), MAX_MESSAGE));
    }
    let len = (message.len() as u32).to_be_bytes();
    let mut out = Vec::with_capacity(FRAME_HEADER_LEN + message.len());
    out.extend_from_slice(&[0, len[1], len[2], len[3]]);
    out.extend_from_slice(message);
    Ok(out)
}

/// The total length (header included) of the framed packet at the start of `bytes`, once
/// its 4-byte header is there. Works for SMB messages and every NetBIOS session packet
/// (the 17-bit NetBIOS length is the low bits of the 24-bit one).
pub fn frame_len(bytes: &[u8]) -> Option<usize> {
    match bytes {
        [_, b1, b2, b3, ..] => Some(
            FRAME_HEADER_LEN + usize::from(*b1) * 65536 + usize::from(*b2) * 256 + usize::from(*b3),
        ),
        _ => None,
    }
}

/// Whether the engine has read a whole framed packet, or enough to know it never will be
/// one worth reading (a first byte that is no session packet type, a length over
/// [`MAX_MESSAGE`]).
pub fn is_complete(bytes: &[u8]) -> bool {
    match bytes.first() {
        None => false,
        Some(0x00 | 0x82..=0x85) => frame_len(bytes)
            .is_some_and(|len| bytes.len() >= len || len > FRAME_HEADER_LEN + MAX_MESSAGE),
        Some(_) => true,
    }
}

/// Checks the frame header of a session message and returns the message inside.
fn unframe(bytes: &[u8]) -> Result<&[u8]> {
    const WHAT: &str = "SMB frame";
    crate::error::need(bytes, FRAME_HEADER_LEN, WHAT)?;
    if bytes.first() != Some(&0x00) {
        return Err(Error::Unexpected(
            "not a session message (first byte is not 0)",
        ));
    }
    let len = frame_len(bytes).unwrap_or_default();
    if len > FRAME_HEADER_LEN + MAX_MESSAGE {
        return Err(Error::too_large(WHAT, len - FRAME_HEADER_LEN, MAX_MESSAGE));
    }
    crate::error::need(bytes, len, WHAT)?;
    Ok(bytes.get(FRAME_HEADER_LEN..len).unwrap_or_default())
}

// ---------------------------------------------------------------------------------------
// Values shown to people
// ---------------------------------------------------------------------------------------

/// An SMB2 dialect revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dialect(pub u16);

impl Dialect {
    /// SMB 2.0.2.
    pub const SMB_2_0_2: Dialect = Dialect(0x0202);
    /// SMB 2.1.
    pub const SMB_2_1: Dialect = Dialect(0x0210);
    /// SMB 3.0.
    pub const SMB_3_0: Dialect = Dialect(0x0300);
    /// SMB 3.0.2.
    pub const SMB_3_0_2: Dialect = Dialect(0x0302);
    /// SMB 3.1.1.
    pub const SMB_3_1_1: Dialect = Dialect(0x0311);
    /// The wildcard a server answers to an SMB1 negotiate that offered `SMB 2.???`.
    pub const WILDCARD: Dialect = Dialect(0x02FF);

    /// Every dialect [`NegotiateRequest::new`] offers, oldest first.
    pub const ALL: [Dialect; 5] = [
        Dialect::SMB_2_0_2,
        Dialect::SMB_2_1,
        Dialect::SMB_3_0,
        Dialect::SMB_3_0_2,
        Dialect::SMB_3_1_1,
    ];
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Dialect::SMB_2_0_2 => f.write_str("2.0.2"),
            Dialect::SMB_2_1 => f.write_str("2.1"),
            Dialect::SMB_3_0 => f.write_str("3.0"),
            Dialect::SMB_3_0_2 => f.write_str("3.0.2"),
            Dialect::SMB_3_1_1 => f.write_str("3.1.1"),
            Dialect::WILDCARD => f.write_str("2.??? (wildcard)"),
            Dialect(other) => write!(f, "{other:#06x}"),
        }
    }
}

/// A GUID as SMB carries it: the first three fields little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Guid(pub [u8; 16]);

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{{{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}}}",
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            u16::from_le_bytes([b[4], b[5]]),
            u16::from_le_bytes([b[6], b[7]]),
            b[8],
            b[9],
            b[10],
            b[11],
            b[12],
            b[13],
            b[14],
            b[15]
        )
    }
}

/// A Windows FILETIME: 100-nanosecond intervals since 1601-01-01 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct FileTime(pub u64);

/// FILETIME of 1970-01-01 (seconds from 1601 to 1970, times 10^7).
const UNIX_EPOCH_AS_FILETIME: u64 = 11_644_473_600 * 10_000_000;

impl FileTime {
    /// Seconds since 1970-01-01 UTC, or `None` for 0 (not set) and times before 1970.
    pub fn to_unix(self) -> Option<i64> {
        if self.0 == 0 {
            return None;
        }
        let seconds = self.0.checked_sub(UNIX_EPOCH_AS_FILETIME)? / 10_000_000;
        i64::try_from(seconds).ok()
    }
}

impl fmt::Display for FileTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_unix() {
            Some(seconds) => f.write_str(&utc_string(seconds)),
            None if self.0 == 0 => f.write_str("not set"),
            None => write!(f, "FILETIME {:#x}", self.0),
        }
    }
}

/// Formats seconds since 1970 as `YYYY-MM-DD HH:MM:SS UTC` (proleptic Gregorian calendar).
pub(crate) fn utc_string(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let second_of_day = unix_seconds.rem_euclid(86_400);
    // Civil-from-days over 400-year eras of 146097 days, counted from 0000-03-01.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// SMB2 security mode bits.
pub mod security_mode {
    /// Signing is enabled.
    pub const SIGNING_ENABLED: u16 = 0x0001;
    /// Signing is required.
    pub const SIGNING_REQUIRED: u16 = 0x0002;
}

/// SMB2 global capability bits ([MS-SMB2] 2.2.3).
pub mod capabilities {
    /// Distributed File System.
    pub const DFS: u32 = 0x01;
    /// Leasing.
    pub const LEASING: u32 = 0x02;
    /// Multi-credit operations (large MTU).
    pub const LARGE_MTU: u32 = 0x04;
    /// Multichannel.
    pub const MULTI_CHANNEL: u32 = 0x08;
    /// Persistent handles.
    pub const PERSISTENT_HANDLES: u32 = 0x10;
    /// Directory leasing.
    pub const DIRECTORY_LEASING: u32 = 0x20;
    /// Encryption (SMB 3.0 and 3.0.2).
    pub const ENCRYPTION: u32 = 0x40;
    /// One-way notifications.
    pub const NOTIFICATIONS: u32 = 0x80;
}

/// Encryption cipher identifiers (SMB2_ENCRYPTION_CAPABILITIES).
pub mod cipher {
    /// AES-128-CCM.
    pub const AES_128_CCM: u16 = 0x0001;
    /// AES-128-GCM.
    pub const AES_128_GCM: u16 = 0x0002;
    /// AES-256-CCM.
    pub const AES_256_CCM: u16 = 0x0003;
    /// AES-256-GCM.
    pub const AES_256_GCM: u16 = 0x0004;

    /// A short name for a cipher identifier.
    pub fn name(id: u16) -> Option<&'static str> {
        Some(match id {
            AES_128_CCM => "AES-128-CCM",
            AES_128_GCM => "AES-128-GCM",
            AES_256_CCM => "AES-256-CCM",
            AES_256_GCM => "AES-256-GCM",
            _ => return None,
        })
    }
}

/// Negotiate context types ([MS-SMB2] 2.2.3.1).
pub mod context_type {
    /// SMB2_PREAUTH_INTEGRITY_CAPABILITIES.
    pub const PREAUTH_INTEGRITY: u16 = 0x0001;
    /// SMB2_ENCRYPTION_CAPABILITIES.
    pub const ENCRYPTION: u16 = 0x0002;
    /// SMB2_COMPRESSION_CAPABILITIES.
    pub const COMPRESSION: u16 = 0x0003;
    /// SMB2_NETNAME_NEGOTIATE_CONTEXT_ID.
    pub const NETNAME: u16 = 0x0005;
    /// SMB2_TRANSPORT_CAPABILITIES.
    pub const TRANSPORT: u16 = 0x0006;
    /// SMB2_RDMA_TRANSFORM_CAPABILITIES.
    pub const RDMA_TRANSFORM: u16 = 0x0007;
    /// SMB2_SIGNING_CAPABILITIES.
    pub const SIGNING: u16 = 0x0008;
}

// ---------------------------------------------------------------------------------------
// NEGOTIATE request
// ---------------------------------------------------------------------------------------

/// An SMB2 NEGOTIATE request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateRequest {
    /// The message id (0 for the first message of a connection).
    pub message_id: u64,
    /// Security mode bits ([`security_mode`]).
    pub security_mode: u16,
    /// Capability bits ([`capabilities`]).
    pub capabilities: u32,
    /// The client GUID (random per client; given by the caller).
    pub client_guid: Guid,
    /// The dialects offered, 1 to 16 of them.
    pub dialects: Vec<Dialect>,
    /// The preauthentication-integrity salt (sent only when 3.1.1 is offered).
    pub salt: [u8; 32],
    /// The ciphers offered in the encryption context (sent only when 3.1.1 is offered).
    pub ciphers: Vec<u16>,
}

const MAX_DIALECTS: usize = 16;
const MAX_CIPHERS: usize = 16;

fn pad8(out: &mut Vec<u8>, origin: usize) {
    while (out.len() - origin) % 8 != 0 {
        out.push(0);
    }
}

impl NegotiateRequest {
    /// The request the checker sends: all five dialects, signing enabled, the usual client
    /// capabilities, SHA-512 with `salt`, and the four AES ciphers (GCM first).
    pub fn new(client_guid: [u8; 16], salt: [u8; 32]) -> NegotiateRequest {
        NegotiateRequest {
            message_id: 0,
            security_mode: security_mode::SIGNING_ENABLED,
            capabilities: capabilities::DFS
                | capabilities::LEASING
                | capabilities::LARGE_MTU
                | capabilities::MULTI_CHANNEL
                | capabilities::PERSISTENT_HANDLES
                | capabilities::DIRECTORY_LEASING
                | capabilities::ENCRYPTION,
            client_guid: Guid(client_guid),
            dialects: Dialect::ALL.to_vec(),
            salt,
            ciphers: vec![
                cipher::AES_128_GCM,
                cipher::AES_128_CCM,
                cipher::AES_256_GCM,
                cipher::AES_256_CCM,
            ],
        }
    }

    fn offers_contexts(&self) -> bool {
        self.dialects.contains(&Dialect::SMB_3_1_1)
    }

    /// Encodes the request as an SMB2 message, without framing.
    pub fn emit_message(&self) -> Result<Vec<u8>> {
        if self.dialects.is_empty() || self.dialects.len() > MAX_DIALECTS {
            return Err(malformed(
                "SMB2 NEGOTIATE request",
                "needs 1 to 16 dialects",
            ));
        }
        if self.ciphers.len() > MAX_CIPHERS {
            return Err(malformed("SMB2 NEGOTIATE request", "at most 16 ciphers"));
        }
        let mut out = Vec::with_capacity(256);
        // SMB2 header: credit charge 0 and one credit asked, as for any first message.
        out.extend_from_slice(&SMB2_MAGIC);
        out.extend_from_slice(&(SMB2_HEADER_LEN as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // credit charge
        out.extend_from_slice(&0u32.to_le_bytes()); // channel sequence / status
        out.extend_from_slice(&COMMAND_NEGOTIATE.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // credits requested
        out.extend_from_slice(&0u32.to_le_bytes()); // flags
        out.extend_from_slice(&0u32.to_le_bytes()); // next command
        out.extend_from_slice(&self.message_id.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // reserved (process id)
        out.extend_from_slice(&0u32.to_le_bytes()); // tree id
        out.extend_from_slice(&0u64.to_le_bytes()); // session id
        out.extend_from_slice(&[0; 16]); // signature

        let contexts = self.offers_contexts();
        out.extend_from_slice(&REQUEST_STRUCTURE_SIZE.to_le_bytes());
        out.extend_from_slice(&(self.dialects.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.security_mode.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&self.capabilities.to_le_bytes());
        out.extend_from_slice(&self.client_guid.0);
        let context_offset_at = out.len();
        // Context offset and count (3.1.1), or a zero ClientStartTime otherwise.
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(if contexts { 2u16 } else { 0 }).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        for dialect in &self.dialects {
            out.extend_from_slice(&dialect.0.to_le_bytes());
        }
        if contexts {
            pad8(&mut out, 0);
            let offset = (out.len() as u32).to_le_bytes();
            if let Some(slot) = out.get_mut(context_offset_at..context_offset_at + 4) {
                slot.copy_from_slice(&offset);
            }

            let mut preauth = Vec::with_capacity(38);
            preauth.extend_from_slice(&1u16.to_le_bytes()); // one hash algorithm
            preauth.extend_from_slice(&(self.salt.len() as u16).to_le_bytes());
            preauth.extend_from_slice(&SHA_512.to_le_bytes());
            preauth.extend_from_slice(&self.salt);
            push_context(&mut out, context_type::PREAUTH_INTEGRITY, &preauth);
            pad8(&mut out, 0);

            let mut encryption = Vec::with_capacity(2 + 2 * self.ciphers.len());
            encryption.extend_from_slice(&(self.ciphers.len() as u16).to_le_bytes());
            for id in &self.ciphers {
                encryption.extend_from_slice(&id.to_le_bytes());
            }
            push_context(&mut out, context_type::ENCRYPTION, &encryption);
        }
        Ok(out)
    }

    /// Encodes the request framed for port 445 (or a NetBIOS session on 139).
    pub fn emit(&self) -> Result<Vec<u8>> {
        frame(&self.emit_message()?)
    }

    /// Reads a framed NEGOTIATE request (the inverse of [`NegotiateRequest::emit`]); it
    /// must carry the two contexts [`NegotiateRequest::emit`] writes when 3.1.1 is offered.
    pub fn parse(bytes: &[u8]) -> Result<NegotiateRequest> {
        const WHAT: &str = "SMB2 NEGOTIATE request";
        let message = unframe(bytes)?;
        let header = smb2_header(message)?;
        if header.command != COMMAND_NEGOTIATE || header.flags & FLAGS_SERVER_TO_REDIR != 0 {
            return Err(Error::Unexpected("not an SMB2 NEGOTIATE request"));
        }
        let body = message.get(SMB2_HEADER_LEN..).unwrap_or_default();
        if le16(body, request::STRUCTURE_SIZE, WHAT)? != REQUEST_STRUCTURE_SIZE {
            return Err(malformed(WHAT, "structure size is not 36"));
        }
        let count = usize::from(le16(body, request::DIALECT_COUNT, WHAT)?);
        if count == 0 || count > MAX_DIALECTS {
            return Err(malformed(WHAT, "needs 1 to 16 dialects"));
        }
        let dialects = (0..count)
            .map(|i| {
                let at = request::DIALECTS + 2 * i;
                le16(body, at..at + 2, WHAT).map(Dialect)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut parsed = NegotiateRequest {
            message_id: header.message_id,
            security_mode: le16(body, request::SECURITY_MODE, WHAT)?,
            capabilities: le32(body, request::CAPABILITIES, WHAT)?,
            client_guid: Guid(array(body, request::CLIENT_GUID, WHAT)?),
            dialects,
            salt: [0; 32],
            ciphers: Vec::new(),
        };
        if !parsed.offers_contexts() {
            return Ok(parsed);
        }
        let offset = le32(body, request::CONTEXT_OFFSET, WHAT)? as usize;
        let context_count = usize::from(le16(body, request::CONTEXT_COUNT, WHAT)?);
        let contexts = read_contexts(message, offset, context_count)?;
        for context in contexts {
            match context {
                NegotiateContext::PreauthIntegrity {
                    hash_algorithms,
                    salt,
                } if hash_algorithms == [SHA_512] => {
                    parsed.salt = salt
                        .as_slice()
                        .try_into()
                        .map_err(|_| malformed(WHAT, "salt is not 32 bytes"))?;
                }
                NegotiateContext::Encryption { ciphers } if ciphers.len() <= MAX_CIPHERS => {
                    parsed.ciphers = ciphers;
                }
                _ => return Err(malformed(WHAT, "unexpected negotiate context")),
            }
        }
        Ok(parsed)
    }
}

fn push_context(out: &mut Vec<u8>, context_type: u16, data: &[u8]) {
    out.extend_from_slice(&context_type.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(data);
}

/// The request the checker sends on 445: [`NegotiateRequest::new`], framed.
pub fn negotiate_request(client_guid: [u8; 16], salt: [u8; 32]) -> Vec<u8> {
    // The default request is far below every bound, so encoding cannot fail.
    NegotiateRequest::new(client_guid, salt)
        .emit()
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Negotiate contexts
// ---------------------------------------------------------------------------------------

/// One negotiate context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiateContext {
    /// The hash algorithms (0x0001 is SHA-512) and the salt.
    PreauthIntegrity {
        /// Hash algorithm ids.
        hash_algorithms: Vec<u16>,
        /// The salt.
        salt: Vec<u8>,
    },
    /// Cipher ids ([`cipher`]); a server answers with the one it selected (0 for none).
    Encryption {
        /// Cipher ids.
        ciphers: Vec<u16>,
    },
    /// Signing algorithm ids (0 HMAC-SHA256, 1 AES-CMAC, 2 AES-GMAC).
    Signing {
        /// Algorithm ids.
        algorithms: Vec<u16>,
    },
    /// Any other context, kept by type and data length.
    Other {
        /// The context type.
        context_type: u16,
        /// Length of its data.
        data_len: usize,
    },
}

/// Reads a count-prefixed list of 16-bit ids at the start of `data`.
fn id_list(
    data: &[u8],
    count_at: core::ops::Range<usize>,
    first: usize,
    what: &'static str,
) -> Result<Vec<u16>> {
    let count = usize::from(le16(data, count_at, what)?);
    if count > MAX_ALGORITHMS {
        return Err(Error::too_large(what, count, MAX_ALGORITHMS));
    }
    (0..count)
        .map(|i| le16(data, first + 2 * i..first + 2 * i + 2, what))
        .collect()
}

fn parse_context(context_type: u16, data: &[u8]) -> Result<NegotiateContext> {
    Ok(match context_type {
        context_type::PREAUTH_INTEGRITY => {
            const WHAT: &str = "preauth integrity context";
            let hash_algorithms = id_list(data, 0..2, 4, WHAT)?;
            let salt_len = usize::from(le16(data, 2..4, WHAT)?);
            let salt_at = 4 + 2 * hash_algorithms.len();
            let salt = data.get(salt_at..salt_at + salt_len).ok_or(truncated(
                WHAT,
                salt_at + salt_len,
                data.len(),
            ))?;
            NegotiateContext::PreauthIntegrity {
                hash_algorithms,
                salt: salt.to_vec(),
            }
        }
        context_type::ENCRYPTION => NegotiateContext::Encryption {
            ciphers: id_list(data, 0..2, 2, "encryption context")?,
        },
        context_type::SIGNING => NegotiateContext::Signing {
            algorithms: id_list(data, 0..2, 2, "signing context")?,
        },
        other => NegotiateContext::Other {
            context_type: other,
            data_len: data.len(),
        },
    })
}

/// Reads `count` negotiate contexts starting at `offset` from the SMB2 header, each
/// aligned to 8 bytes from the header.
fn read_contexts(message: &[u8], offset: usize, count: usize) -> Result<Vec<NegotiateContext>> {
    const WHAT: &str = "negotiate context";
    if count > MAX_CONTEXTS {
        return Err(Error::too_large(WHAT, count, MAX_CONTEXTS));
    }
    if count > 0 && offset < SMB2_HEADER_LEN {
        return Err(malformed(WHAT, "context offset points into the header"));
    }
    let mut contexts = Vec::with_capacity(count);
    let mut at = offset;
    for _ in 0..count {
        if at > message.len() {
            return Err(truncated(WHAT, at, message.len()));
        }
        at = at.next_multiple_of(8);
        let context_type = le16(message, at..at + 2, WHAT)?;
        let data_len = usize::from(le16(message, at + 2..at + 4, WHAT)?);
        let data_at = at + 8;
        let data = message.get(data_at..data_at + data_len).ok_or(truncated(
            WHAT,
            data_at + data_len,
            message.len(),
        ))?;
        contexts.push(parse_context(context_type, data)?);
        at = data_at + data_len;
    }
    Ok(contexts)
}

// ---------------------------------------------------------------------------------------
// NEGOTIATE response
// ---------------------------------------------------------------------------------------

struct Smb2Header {
    status: u32,
    command: u16,
    flags: u32,
    message_id: u64,
}

fn smb2_header(message: &[u8]) -> Result<Smb2Header> {
    const WHAT: &str = "SMB2 header";
    crate::error::need(message, SMB2_HEADER_LEN, WHAT)?;
    if message.get(..4) != Some(&SMB2_MAGIC[..]) {
        return Err(Error::Unexpected("not an SMB2 message"));
    }
    if usize::from(le16(message, header::STRUCTURE_SIZE, WHAT)?) != SMB2_HEADER_LEN {
        return Err(malformed(WHAT, "structure size is not 64"));
    }
    Ok(Smb2Header {
        status: le32(message, header::STATUS, WHAT)?,
        command: le16(message, header::COMMAND, WHAT)?,
        flags: le32(message, header::FLAGS, WHAT)?,
        message_id: le64(message, header::MESSAGE_ID, WHAT)?,
    })
}

/// What an SMB2 server said in its NEGOTIATE response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smb2Negotiate {
    /// The message id of the response (equal to the request's).
    pub message_id: u64,
    /// Security mode bits ([`security_mode`]).
    pub security_mode: u16,
    /// The dialect the server selected.
    pub dialect: Dialect,
    /// The server GUID.
    pub server_guid: Guid,
    /// Capability bits ([`capabilities`]).
    pub capabilities: u32,
    /// Largest transaction the server accepts.
    pub max_transact_size: u32,
    /// Largest read the server accepts.
    pub max_read_size: u32,
    /// Largest write the server accepts.
    pub max_write_size: u32,
    /// The server's clock.
    pub system_time: FileTime,
    /// When the server started (often not set).
    pub server_start_time: FileTime,
    /// Length of the security buffer (a SPNEGO token).
    pub security_buffer_len: usize,
    /// Negotiate contexts (3.1.1 only).
    pub contexts: Vec<NegotiateContext>,
}

impl Smb2Negotiate {
    /// Whether the server requires signing.
    pub fn signing_required(&self) -> bool {
        self.security_mode & security_mode::SIGNING_REQUIRED != 0
    }

    /// The cipher the server selected in its encryption context, if it sent one.
    pub fn selected_cipher(&self) -> Option<u16> {
        self.contexts.iter().find_map(|context| match context {
            NegotiateContext::Encryption { ciphers } => ciphers.first().copied(),
            _ => None,
        })
    }
}

/// The answer to a negotiate request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiateReply {
    /// An SMB2 NEGOTIATE response.
    Smb2(Smb2Negotiate),
    /// An SMB2 header with an error status instead of a NEGOTIATE response.
    Smb2Error {
        /// The NTSTATUS code.
        status: u32,
    },
    /// An SMB1 NEGOTIATE response.
    Smb1 {
        /// The NTSTATUS (or DOS error) of the SMB1 header.
        status: u32,
        /// The index of the accepted dialect in the request's list; 0xFFFF for none.
        dialect_index: u16,
    },
}

impl fmt::Display for NegotiateReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NegotiateReply::Smb2(negotiate) => {
                write!(
                    f,
                    "SMB2 negotiate: dialect {}, server GUID {}, signing {}",
                    negotiate.dialect,
                    negotiate.server_guid,
                    if negotiate.signing_required() {
                        "required"
                    } else if negotiate.security_mode & security_mode::SIGNING_ENABLED != 0 {
                        "enabled"
                    } else {
                        "off"
                    }
                )?;
                match negotiate.selected_cipher() {
                    Some(id) => match cipher::name(id) {
                        Some(name) => write!(f, ", {name}"),
                        None if id == 0 => f.write_str(", no encryption"),
                        None => write!(f, ", cipher {id:#06x}"),
                    },
                    None => Ok(()),
                }
            }
            NegotiateReply::Smb2Error { status } => {
                write!(f, "SMB2 negotiate: error status {status:#010x}")
            }
            NegotiateReply::Smb1 {
                dialect_index: 0xFFFF,
                ..
            } => f.write_str("SMB1 negotiate: no offered dialect accepted (index 0xFFFF)"),
            NegotiateReply::Smb1 { dialect_index, .. } => {
                write!(f, "SMB1 negotiate: dialect #{dialect_index} accepted")
            }
        }
    }
}

/// Reads a framed answer to an SMB2 or SMB1 negotiate request.
pub fn parse_negotiate_response(bytes: &[u8]) -> Result<NegotiateReply> {
    let message = unframe(bytes)?;
    match message.get(..4) {
        Some(magic) if magic == SMB1_MAGIC => parse_smb1_negotiate(message),
        Some(magic) if magic == SMB2_MAGIC => parse_smb2_negotiate(message),
        Some(_) => Err(Error::Unexpected("neither SMB1 nor SMB2")),
        None => Err(truncated("SMB header", 4, message.len())),
    }
}

fn parse_smb2_negotiate(message: &[u8]) -> Result<NegotiateReply> {
    const WHAT: &str = "SMB2 NEGOTIATE response";
    let header = smb2_header(message)?;
    if header.command != COMMAND_NEGOTIATE || header.flags & FLAGS_SERVER_TO_REDIR == 0 {
        return Err(Error::Unexpected("not an SMB2 NEGOTIATE response"));
    }
    if header.status != 0 {
        return Ok(NegotiateReply::Smb2Error {
            status: header.status,
        });
    }
    let body = message.get(SMB2_HEADER_LEN..).unwrap_or_default();
    crate::error::need(body, response::FIXED_LEN, WHAT)?;
    if le16(body, response::STRUCTURE_SIZE, WHAT)? != RESPONSE_STRUCTURE_SIZE {
        return Err(malformed(WHAT, "structure size is not 65"));
    }
    let dialect = Dialect(le16(body, response::DIALECT, WHAT)?);
    let security_offset = usize::from(le16(body, response::SECURITY_OFFSET, WHAT)?);
    let security_buffer_len = usize::from(le16(body, response::SECURITY_LENGTH, WHAT)?);
    if security_buffer_len > 0 {
        let end = security_offset + security_buffer_len;
        if security_offset < SMB2_HEADER_LEN + response::FIXED_LEN || end > message.len() {
            return Err(malformed(WHAT, "security buffer lies outside the message"));
        }
    }
    let contexts = if dialect == Dialect::SMB_3_1_1 {
        let count = usize::from(le16(body, response::CONTEXT_COUNT, WHAT)?);
        let offset = le32(body, response::CONTEXT_OFFSET, WHAT)? as usize;
        read_contexts(message, offset, count)?
    } else {
        Vec::new()
    };
    Ok(NegotiateReply::Smb2(Smb2Negotiate {
        message_id: header.message_id,
        security_mode: le16(body, response::SECURITY_MODE, WHAT)?,
        dialect,
        server_guid: Guid(array(body, response::SERVER_GUID, WHAT)?),
        capabilities: le32(body, response::CAPABILITIES, WHAT)?,
        max_transact_size: le32(body, response::MAX_TRANSACT, WHAT)?,
        max_read_size: le32(body, response::MAX_READ, WHAT)?,
        max_write_size: le32(body, response::MAX_WRITE, WHAT)?,
        system_time: FileTime(le64(body, response::SYSTEM_TIME, WHAT)?),
        server_start_time: FileTime(le64(body, response::START_TIME, WHAT)?),
        security_buffer_len,
        contexts,
    }))
}

/// SMB1 header offsets ([MS-CIFS] 2.2.3.1).
mod smb1 {
    pub const COMMAND: usize = 4;
    pub const STATUS: core::ops::Range<usize> = 5..9;
    pub const FLAGS: usize = 9;
    pub const WORD_COUNT: usize = 32;
    pub const DIALECT_INDEX: core::ops::Range<usize> = 33..35;
    /// FLAGS bit: the message is a reply.
    pub const FLAGS_REPLY: u8 = 0x80;
}

fn parse_smb1_negotiate(message: &[u8]) -> Result<NegotiateReply> {
    const WHAT: &str = "SMB1 NEGOTIATE response";
    crate::error::need(message, smb1::DIALECT_INDEX.end, WHAT)?;
    let command = message.get(smb1::COMMAND).copied().unwrap_or_default();
    let flags = message.get(smb1::FLAGS).copied().unwrap_or_default();
    if command != SMB1_COMMAND_NEGOTIATE || flags & smb1::FLAGS_REPLY == 0 {
        return Err(Error::Unexpected("not an SMB1 NEGOTIATE response"));
    }
    if message.get(smb1::WORD_COUNT).copied().unwrap_or_default() == 0 {
        return Err(malformed(WHAT, "no parameter words"));
    }
    Ok(NegotiateReply::Smb1 {
        status: le32(message, smb1::STATUS, WHAT)?,
        dialect_index: le16(message, smb1::DIALECT_INDEX, WHAT)?,
    })
}

/// Builds a framed SMB1 NEGOTIATE request offering `NT LM 0.12`, and, with `offer_smb2`,
/// also `SMB 2.002` and `SMB 2.???` (an SMB2 server then answers with an SMB2 response).
/// Process id and multiplex id are 0; flags ask for case-insensitive canonical paths, and
/// flags2 for long names, NT status codes, extended security and Unicode.
pub fn smb1_negotiate_request(offer_smb2: bool) -> Vec<u8> {
    let mut dialects: Vec<&str> = vec!["NT LM 0.12"];
    if offer_smb2 {
        dialects.extend(["SMB 2.002", "SMB 2.???"]);
    }
    let mut message = Vec::with_capacity(64);
    message.extend_from_slice(&SMB1_MAGIC);
    message.push(SMB1_COMMAND_NEGOTIATE);
    message.extend_from_slice(&[0; 4]); // status
    message.push(0x18); // flags: case insensitive, canonicalized paths
    message.extend_from_slice(&0xC801u16.to_le_bytes()); // flags2
    message.extend_from_slice(&[0; 12]); // pid high, security features, reserved
    message.extend_from_slice(&[0; 8]); // tid, pid low, uid, mid
    message.push(0); // word count
    let bytes: Vec<u8> = dialects
        .iter()
        .flat_map(|dialect| [&[0x02][..], dialect.as_bytes(), &[0]].concat())
        .collect();
    message.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    message.extend_from_slice(&bytes);
    // A few dozen bytes: framing cannot exceed the bound.
    frame(&message).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// NetBIOS session service (port 139)
// ---------------------------------------------------------------------------------------

const SESSION_REQUEST: u8 = 0x81;
const POSITIVE_RESPONSE: u8 = 0x82;
const NEGATIVE_RESPONSE: u8 = 0x83;
const RETARGET_RESPONSE: u8 = 0x84;
const KEEP_ALIVE: u8 = 0x85;
/// Encoded name: length byte, 32 letters, empty scope terminator.
const ENCODED_NAME_LEN: usize = 34;

/// A NetBIOS name: up to 15 characters and a suffix byte naming the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetbiosName {
    /// The name, upper case, without its padding.
    pub name: String,
    /// The 16th byte: 0x20 for a file server, 0x00 for a workstation.
    pub suffix: u8,
}

fn valid_netbios(name: &str) -> bool {
    !name.is_empty() && name.len() <= 15 && name.bytes().all(|b| b.is_ascii_graphic() && b != b'.')
}

/// First-level encoding (RFC 1001 section 14.1): pad to 15 bytes with spaces, add the
/// suffix, split every byte into two nibbles each written as `'A' + nibble`.
fn encode_name(name: &str, suffix: u8, out: &mut Vec<u8>) {
    let mut raw = [b' '; 16];
    for (slot, byte) in raw.iter_mut().zip(name.bytes()) {
        *slot = byte.to_ascii_uppercase();
    }
    raw[15] = suffix;
    out.push(32);
    for byte in raw {
        out.push(b'A' + (byte >> 4));
        out.push(b'A' + (byte & 0x0F));
    }
    out.push(0);
}

fn decode_name(encoded: &[u8]) -> Result<NetbiosName> {
    const WHAT: &str = "NetBIOS name";
    let [32, letters @ .., 0] = encoded else {
        return Err(malformed(WHAT, "not a 32-letter name without scope"));
    };
    let mut raw = [0u8; 16];
    for (slot, pair) in raw.iter_mut().zip(letters.chunks_exact(2)) {
        let (hi, lo) = (pair[0].wrapping_sub(b'A'), pair[1].wrapping_sub(b'A'));
        if hi > 15 || lo > 15 {
            return Err(malformed(WHAT, "letter outside A-P"));
        }
        *slot = (hi << 4) | lo;
    }
    let name = raw.get(..15).unwrap_or_default();
    let name = core::str::from_utf8(name.trim_ascii_end())
        .ok()
        .filter(|name| valid_netbios(name))
        .ok_or(malformed(WHAT, "not printable ASCII"))?;
    Ok(NetbiosName {
        name: name.to_owned(),
        suffix: raw[15],
    })
}

/// Builds a NetBIOS SESSION REQUEST (RFC 1002 section 4.3.2) to `called` (suffix 0x20, the
/// file server service; use [`SMBSERVER`] when the server's name is unknown) from
/// `calling` (suffix 0x00). Names are 1 to 15 printable ASCII characters without dots
/// (scopes are not supported); they are sent in upper case.
pub fn session_request(called: &str, calling: &str) -> Result<Vec<u8>> {
    if !valid_netbios(called) || !valid_netbios(calling) {
        return Err(malformed(
            "NetBIOS session request",
            "names must be 1-15 printable ASCII characters without dots",
        ));
    }
    let mut out = vec![SESSION_REQUEST, 0, 0, 2 * ENCODED_NAME_LEN as u8];
    encode_name(called, 0x20, &mut out);
    encode_name(calling, 0x00, &mut out);
    Ok(out)
}

/// Reads a SESSION REQUEST back: the called and the calling name.
pub fn parse_session_request(bytes: &[u8]) -> Result<(NetbiosName, NetbiosName)> {
    const WHAT: &str = "NetBIOS session request";
    crate::error::need(bytes, FRAME_HEADER_LEN, WHAT)?;
    if bytes.first() != Some(&SESSION_REQUEST) {
        return Err(Error::Unexpected("not a NetBIOS session request"));
    }
    if frame_len(bytes) != Some(FRAME_HEADER_LEN + 2 * ENCODED_NAME_LEN) {
        return Err(malformed(WHAT, "length is not two names without scope"));
    }
    crate::error::need(bytes, FRAME_HEADER_LEN + 2 * ENCODED_NAME_LEN, WHAT)?;
    let called = bytes.get(4..4 + ENCODED_NAME_LEN).unwrap_or_default();
    let calling = bytes
        .get(4 + ENCODED_NAME_LEN..4 + 2 * ENCODED_NAME_LEN)
        .unwrap_or_default();
    Ok((decode_name(called)?, decode_name(calling)?))
}

/// Why a NetBIOS session was refused (RFC 1002 section 4.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionError {
    /// 0x80: not listening on the called name.
    NotListeningOnCalledName,
    /// 0x81: not listening for the calling name.
    NotListeningForCallingName,
    /// 0x82: the called name is not present.
    CalledNameNotPresent,
    /// 0x83: the called name is present but resources are short.
    InsufficientResources,
    /// 0x8F: unspecified error.
    Unspecified,
    /// Any other code.
    Other(u8),
}

impl SessionError {
    fn from_byte(code: u8) -> SessionError {
        match code {
            0x80 => SessionError::NotListeningOnCalledName,
            0x81 => SessionError::NotListeningForCallingName,
            0x82 => SessionError::CalledNameNotPresent,
            0x83 => SessionError::InsufficientResources,
            0x8F => SessionError::Unspecified,
            other => SessionError::Other(other),
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::NotListeningOnCalledName => f.write_str("not listening on called name"),
            SessionError::NotListeningForCallingName => {
                f.write_str("not listening for calling name")
            }
            SessionError::CalledNameNotPresent => f.write_str("called name not present"),
            SessionError::InsufficientResources => {
                f.write_str("called name present, insufficient resources")
            }
            SessionError::Unspecified => f.write_str("unspecified error"),
            SessionError::Other(code) => write!(f, "error {code:#04x}"),
        }
    }
}

/// The answer to a SESSION REQUEST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionResponse {
    /// 0x82: the session is up; SMB messages follow.
    Positive,
    /// 0x83: refused.
    Negative(SessionError),
    /// 0x84: try again at another address and port.
    Retarget {
        /// The address to use.
        address: Ipv4Addr,
        /// The port to use.
        port: u16,
    },
}

impl fmt::Display for SessionResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionResponse::Positive => f.write_str("NetBIOS session: positive response"),
            SessionResponse::Negative(error) => {
                write!(f, "NetBIOS session: negative response, {error}")
            }
            SessionResponse::Retarget { address, port } => {
                write!(f, "NetBIOS session: retarget to {address}:{port}")
            }
        }
    }
}

/// Reads the answer to a SESSION REQUEST.
pub fn parse_session_response(bytes: &[u8]) -> Result<SessionResponse> {
    const WHAT: &str = "NetBIOS session response";
    crate::error::need(bytes, FRAME_HEADER_LEN, WHAT)?;
    let kind = bytes.first().copied().unwrap_or_default();
    let len = frame_len(bytes)
        .unwrap_or_default()
        .saturating_sub(FRAME_HEADER_LEN);
    let expected = match kind {
        POSITIVE_RESPONSE => 0,
        NEGATIVE_RESPONSE => 1,
        RETARGET_RESPONSE => 6,
        KEEP_ALIVE => return Err(Error::Unexpected("NetBIOS keep-alive, not a response")),
        _ => return Err(Error::Unexpected("not a NetBIOS session response")),
    };
    if len != expected {
        return Err(malformed(WHAT, "length does not fit the response type"));
    }
    crate::error::need(bytes, FRAME_HEADER_LEN + expected, WHAT)?;
    let trailer = bytes.get(FRAME_HEADER_LEN..).unwrap_or_default();
    Ok(match (kind, trailer) {
        (NEGATIVE_RESPONSE, [code, ..]) => {
            SessionResponse::Negative(SessionError::from_byte(*code))
        }
        (RETARGET_RESPONSE, [a, b, c, d, p0, p1, ..]) => SessionResponse::Retarget {
            address: Ipv4Addr::new(*a, *b, *c, *d),
            port: u16::from_be_bytes([*p0, *p1]),
        },
        _ => SessionResponse::Positive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CLIENT_GUID: [u8; 16] = *b"portolan-client!";
    const SALT: [u8; 32] = *b"portolan preauth salt, 32 bytes!";

    const SENT_NEGOTIATE: &[u8] = include_bytes!("../tests/fixtures/smb2/request-negotiate.bin");
    const SENT_SMB1_ONLY: &[u8] = include_bytes!("../tests/fixtures/smb2/request-smb1-only.bin");
    const SENT_SMB1_SMB2: &[u8] =
        include_bytes!("../tests/fixtures/smb2/request-smb1-with-smb2.bin");
    const SENT_SESSION: &[u8] =
        include_bytes!("../tests/fixtures/smb2/request-session-smbserver.bin");
    const SAMBA_445: &[u8] = include_bytes!("../tests/fixtures/smb2/samba-4.17-negotiate-445.bin");
    const SAMBA_139: &[u8] = include_bytes!("../tests/fixtures/smb2/samba-4.17-negotiate-139.bin");
    const SAMBA_SMB1_ONLY: &[u8] =
        include_bytes!("../tests/fixtures/smb2/samba-4.17-smb1-only.bin");
    const SAMBA_WILDCARD: &[u8] =
        include_bytes!("../tests/fixtures/smb2/samba-4.17-smb1-with-smb2.bin");
    const SAMBA_SESSION: &[u8] =
        include_bytes!("../tests/fixtures/smb2/samba-4.17-session-positive.bin");
    const SAMBA_GUID: &str = include_str!("../tests/fixtures/smb2/samba-4.17-server-guid.txt");

    fn smb2(reply: NegotiateReply) -> Smb2Negotiate {
        match reply {
            NegotiateReply::Smb2(negotiate) => negotiate,
            other => panic!("not SMB2: {other:?}"),
        }
    }

    #[test]
    fn request_is_the_one_sent_to_samba() {
        assert_eq!(negotiate_request(CLIENT_GUID, SALT), SENT_NEGOTIATE);
        assert_eq!(frame_len(SENT_NEGOTIATE), Some(SENT_NEGOTIATE.len()));
        assert_eq!(SENT_NEGOTIATE.len(), 4 + 178);
        let parsed = NegotiateRequest::parse(SENT_NEGOTIATE).unwrap();
        assert_eq!(parsed, NegotiateRequest::new(CLIENT_GUID, SALT));
        assert_eq!(smb1_negotiate_request(false), SENT_SMB1_ONLY);
        assert_eq!(smb1_negotiate_request(true), SENT_SMB1_SMB2);
        assert_eq!(
            session_request(SMBSERVER, "PORTOLAN").unwrap(),
            SENT_SESSION
        );
    }

    #[test]
    fn samba_negotiate_on_445() {
        let reply = parse_negotiate_response(SAMBA_445).unwrap();
        let shown = reply.to_string();
        let negotiate = smb2(reply);
        assert_eq!(negotiate.dialect, Dialect::SMB_3_1_1);
        assert_eq!(negotiate.server_guid.to_string(), SAMBA_GUID.trim());
        assert!(negotiate.security_mode & security_mode::SIGNING_ENABLED != 0);
        assert!(negotiate.signing_required(), "an AD DC requires signing");
        assert_eq!(negotiate.max_read_size, 8 * 1024 * 1024);
        assert!(negotiate.security_buffer_len > 0);
        assert!(negotiate.system_time.to_unix().is_some());
        assert!(negotiate.contexts.iter().any(|c| matches!(
            c,
            NegotiateContext::PreauthIntegrity { hash_algorithms, salt }
                if hash_algorithms == &[SHA_512] && salt.len() == 32
        )));
        assert_eq!(negotiate.selected_cipher(), Some(cipher::AES_128_GCM));
        assert_eq!(
            shown,
            format!(
                "SMB2 negotiate: dialect 3.1.1, server GUID {}, signing required, AES-128-GCM",
                SAMBA_GUID.trim()
            )
        );
        assert!(is_complete(SAMBA_445));
    }

    #[test]
    fn samba_over_netbios_session_on_139() {
        assert_eq!(
            parse_session_response(SAMBA_SESSION).unwrap(),
            SessionResponse::Positive
        );
        let negotiate = smb2(parse_negotiate_response(SAMBA_139).unwrap());
        assert_eq!(negotiate.dialect, Dialect::SMB_3_1_1);
        assert_eq!(negotiate.server_guid.to_string(), SAMBA_GUID.trim());
        let (called, calling) = parse_session_request(SENT_SESSION).unwrap();
        assert_eq!((called.name.as_str(), called.suffix), ("*SMBSERVER", 0x20));
        assert_eq!((calling.name.as_str(), calling.suffix), ("PORTOLAN", 0x00));
    }

    #[test]
    fn samba_smb1_off() {
        let reply = parse_negotiate_response(SAMBA_SMB1_ONLY).unwrap();
        assert!(matches!(
            reply,
            NegotiateReply::Smb1 {
                dialect_index: 0xFFFF,
                ..
            }
        ));
        assert_eq!(
            reply.to_string(),
            "SMB1 negotiate: no offered dialect accepted (index 0xFFFF)"
        );
        assert_eq!(SAMBA_SMB1_ONLY.len(), 41);
        let wildcard = smb2(parse_negotiate_response(SAMBA_WILDCARD).unwrap());
        assert_eq!(wildcard.dialect, Dialect::WILDCARD);
        assert!(wildcard.contexts.is_empty());
    }

    #[test]
    fn session_responses() {
        assert_eq!(
            parse_session_response(&[0x83, 0, 0, 1, 0x82])
                .unwrap()
                .to_string(),
            "NetBIOS session: negative response, called name not present"
        );
        assert_eq!(
            parse_session_response(&[0x84, 0, 0, 6, 10, 201, 0, 2, 0, 139])
                .unwrap()
                .to_string(),
            "NetBIOS session: retarget to 10.201.0.2:139"
        );
        assert!(parse_session_response(&[0x83, 0, 0, 2, 0x82, 0]).is_err());
        assert!(parse_session_response(&[0x83, 0, 0, 1]).is_err());
        assert!(parse_session_response(&[0x85, 0, 0, 0]).is_err());
        assert!(parse_session_response(SAMBA_445).is_err());
        for bad in ["", "SIXTEEN-LETTERS!", "dotted.name", "two words"] {
            assert!(session_request(bad, "X").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_and_times() {
        let mut encoded = Vec::new();
        encode_name("*SMBSERVER", 0x20, &mut encoded);
        assert_eq!(&encoded[1..33], b"CKFDENECFDEFFCFGEFFCCACACACACACA");
        assert_eq!(utc_string(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_string(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_string(1_835_181_878), "2028-02-26 12:44:38 UTC");
        assert_eq!(utc_string(-1), "1969-12-31 23:59:59 UTC");
        assert_eq!(FileTime(UNIX_EPOCH_AS_FILETIME).to_unix(), Some(0));
        assert_eq!(FileTime(0).to_string(), "not set");
        assert_eq!(
            Guid(*b"\x33\x22\x11\x00\x55\x44\x77\x66\x88\x99\xaa\xbb\xcc\xdd\xee\xff").to_string(),
            "{00112233-4455-6677-8899-aabbccddeeff}"
        );
    }

    #[test]
    fn truncated_and_lying_responses() {
        for cut in 0..SAMBA_445.len() {
            assert!(!is_complete(&SAMBA_445[..cut]), "cut at {cut}");
            assert!(matches!(
                parse_negotiate_response(&SAMBA_445[..cut]),
                Err(Error::Truncated { .. })
            ));
        }
        // A context count larger than the contexts present.
        let mut lying = SAMBA_445.to_vec();
        let count_at = 4 + SMB2_HEADER_LEN + response::CONTEXT_COUNT.start;
        lying[count_at] = lying[count_at].wrapping_add(1);
        assert!(parse_negotiate_response(&lying).is_err());
        // A context offset far outside the message.
        let mut lying = SAMBA_445.to_vec();
        let offset_at = 4 + SMB2_HEADER_LEN + response::CONTEXT_OFFSET.start;
        lying[offset_at + 2] = 0xFF;
        assert!(parse_negotiate_response(&lying).is_err());
        // A security buffer longer than the message.
        let mut lying = SAMBA_445.to_vec();
        let length_at = 4 + SMB2_HEADER_LEN + response::SECURITY_LENGTH.start;
        lying[length_at + 1] = 0xFF;
        assert!(parse_negotiate_response(&lying).is_err());
        // A frame length over the bound.
        assert!(matches!(
            parse_negotiate_response(&[0, 0xFF, 0xFF, 0xFF]),
            Err(Error::TooLarge { .. })
        ));
        assert!(is_complete(&[0, 0xFF, 0xFF, 0xFF]));
        // Our own request is not a response.
        assert!(parse_negotiate_response(SENT_NEGOTIATE).is_err());
        assert!(parse_negotiate_response(b"\0\0\0\x04HTTP").is_err());
        let mut error = SAMBA_445[..4 + SMB2_HEADER_LEN].to_vec();
        error[3] = SMB2_HEADER_LEN as u8;
        error[1] = 0;
        error[2] = 0;
        error[4 + 8..4 + 12].copy_from_slice(&0xC000_0022u32.to_le_bytes());
        assert_eq!(
            parse_negotiate_response(&error).unwrap().to_string(),
            "SMB2 negotiate: error status 0xc0000022"
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(reply) = parse_negotiate_response(&bytes) {
                prop_assert!(reply.to_string().len() < 140);
            }
            let _ = parse_session_response(&bytes);
            let _ = parse_session_request(&bytes);
            let _ = NegotiateRequest::parse(&bytes);
            let _ = is_complete(&bytes);
        }

        #[test]
        fn mutated_samba_reply_never_panics(at in 0usize..400, value in any::<u8>()) {
            let mut bytes = SAMBA_445.to_vec();
            let len = bytes.len();
            bytes[at % len] = value;
            let _ = parse_negotiate_response(&bytes).map(|reply| reply.to_string());
        }

        #[test]
        fn negotiate_request_round_trips(
            guid in any::<[u8; 16]>(),
            salt in any::<[u8; 32]>(),
            message_id in any::<u64>(),
            dialects in proptest::collection::vec(any::<u16>(), 1..16),
            ciphers in proptest::collection::vec(any::<u16>(), 0..8),
        ) {
            let mut request = NegotiateRequest::new(guid, salt);
            request.message_id = message_id;
            request.dialects = dialects.into_iter().map(Dialect).collect();
            if request.dialects.contains(&Dialect::SMB_3_1_1) {
                request.ciphers = ciphers;
            } else {
                request.salt = [0; 32];
                request.ciphers.clear();
            }
            let bytes = request.emit().unwrap();
            prop_assert_eq!(NegotiateRequest::parse(&bytes).unwrap(), request);
        }

        #[test]
        fn session_request_round_trips(called in "[!-~&&[^.]]{1,15}", calling in "[A-Z0-9-]{1,15}") {
            let bytes = session_request(&called, &calling).unwrap();
            let (called_back, calling_back) = parse_session_request(&bytes).unwrap();
            prop_assert_eq!(called_back.name, called.to_ascii_uppercase());
            prop_assert_eq!(calling_back.name, calling);
        }
    }
}
