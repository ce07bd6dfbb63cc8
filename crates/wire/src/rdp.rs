//! RDP's first exchange: the X.224 Connection Request and Connection Confirm, each in a
//! TPKT ([MS-RDPBCGR] sections 2.2.1.1 and 2.2.1.2).
//!
//! Layers, outside in:
//! * **TPKT** (RFC 1006 section 6, T.123): version 3, a reserved byte, and the 16-bit
//!   big-endian length of the whole packet, header included.
//! * **X.224** (ISO 8073 class 0): a length indicator (the header length not counting
//!   itself), the TPDU code (`0xE0` Connection Request, `0xD0` Connection Confirm, `0x80`
//!   Disconnect Request), destination and source references, and the class option.
//! * **RDP negotiation** inside the variable part: the client may send a `Cookie:
//!   mstshash=<name>\r\n` line (used by load balancers) and an 8-byte RDP_NEG_REQ naming
//!   the security protocols it supports; the server answers with RDP_NEG_RSP (the
//!   protocol it selected), RDP_NEG_FAILURE (a code), or, if it predates negotiation,
//!   nothing at all.
//!
//! The checker stops after the Connection Confirm: its presence proves an RDP listener and
//! the selected protocol says whether TLS or CredSSP comes next. Routing tokens and the
//! correlation info of RDP_NEG_REQ are skipped when read and never sent.

use core::fmt;

use crate::{Error, Result};

/// TPKT header length.
pub const TPKT_HEADER_LEN: usize = 4;

/// The only TPKT version.
pub const TPKT_VERSION: u8 = 3;

/// Longest `mstshash` cookie value [`connection_request`] sends.
pub const MAX_COOKIE: usize = 64;

/// X.224 TPDU codes (upper four bits of the second header byte).
pub mod tpdu {
    /// Connection Request.
    pub const CONNECTION_REQUEST: u8 = 0xE0;
    /// Connection Confirm.
    pub const CONNECTION_CONFIRM: u8 = 0xD0;
    /// Disconnect Request.
    pub const DISCONNECT_REQUEST: u8 = 0x80;
    /// TPDU Error.
    pub const ERROR: u8 = 0x70;
}

/// Byte offsets in a TPKT-framed X.224 connection TPDU.
mod field {
    pub const TPKT_LENGTH: core::ops::Range<usize> = 2..4;
    pub const LENGTH_INDICATOR: usize = 4;
    pub const CODE: usize = 5;
    pub const SRC_REF: core::ops::Range<usize> = 8..10;
    /// First byte of the variable part (after the class option).
    pub const VARIABLE: usize = 11;
}

/// Negotiation structure types.
const TYPE_NEG_REQ: u8 = 0x01;
const TYPE_NEG_RSP: u8 = 0x02;
const TYPE_NEG_FAILURE: u8 = 0x03;
const NEG_LEN: usize = 8;
/// RDP_NEG_REQ flag: a 36-byte RDP_NEG_CORRELATION_INFO follows.
const CORRELATION_INFO_PRESENT: u8 = 0x08;
const CORRELATION_INFO_LEN: usize = 36;

const COOKIE_PREFIX: &[u8] = b"Cookie: mstshash=";

/// A set of RDP security protocols (the `requestedProtocols` and `selectedProtocol`
/// fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Protocols(pub u32);

impl Protocols {
    /// Standard RDP security (no bit set).
    pub const RDP: Protocols = Protocols(0);
    /// TLS 1.0 to 1.2 (PROTOCOL_SSL).
    pub const SSL: Protocols = Protocols(0x01);
    /// CredSSP (PROTOCOL_HYBRID).
    pub const HYBRID: Protocols = Protocols(0x02);
    /// RDSTLS.
    pub const RDSTLS: Protocols = Protocols(0x04);
    /// CredSSP with the early user authorization result PDU (PROTOCOL_HYBRID_EX).
    pub const HYBRID_EX: Protocols = Protocols(0x08);
    /// RDS AAD authentication (PROTOCOL_RDSAAD).
    pub const RDSAAD: Protocols = Protocols(0x10);

    const NAMES: [(u32, &'static str); 5] = [
        (0x01, "TLS"),
        (0x02, "CredSSP"),
        (0x04, "RDSTLS"),
        (0x08, "CredSSP+EUA"),
        (0x10, "RDSAAD"),
    ];

    /// Whether every bit of `other` is set here.
    pub fn contains(self, other: Protocols) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for Protocols {
    type Output = Protocols;
    fn bitor(self, other: Protocols) -> Protocols {
        Protocols(self.0 | other.0)
    }
}

impl fmt::Display for Protocols {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("standard RDP security");
        }
        let mut rest = self.0;
        let mut first = true;
        for (bit, name) in Protocols::NAMES {
            if rest & bit != 0 {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                rest &= !bit;
                first = false;
            }
        }
        if rest != 0 {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{rest:#x}")?;
        }
        Ok(())
    }
}

/// The RDP_NEG_REQ of a Connection Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiationRequest {
    /// Flags (restricted admin, redirected authentication; correlation info is never
    /// emitted by this module).
    pub flags: u8,
    /// The protocols the client supports.
    pub protocols: Protocols,
}

/// An X.224 Connection Request as [`connection_request`] builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRequest {
    /// The `mstshash` cookie value, if any.
    pub cookie: Option<String>,
    /// The negotiation request, if any (without it, servers assume standard security).
    pub negotiation: Option<NegotiationRequest>,
}

fn valid_cookie(cookie: &str) -> bool {
    !cookie.is_empty() && cookie.len() <= MAX_COOKIE && cookie.bytes().all(|b| b.is_ascii_graphic())
}

impl ConnectionRequest {
    /// Encodes the request in a TPKT: X.224 header with both references 0 and class 0,
    /// then the cookie line and the RDP_NEG_REQ when present.
    pub fn emit(&self) -> Result<Vec<u8>> {
        let mut variable = Vec::new();
        if let Some(cookie) = &self.cookie {
            if !valid_cookie(cookie) {
                return Err(Error::malformed(
                    "RDP cookie",
                    "must be 1-64 printable ASCII characters without spaces",
                ));
            }
            variable.extend_from_slice(COOKIE_PREFIX);
            variable.extend_from_slice(cookie.as_bytes());
            variable.extend_from_slice(b"\r\n");
        }
        if let Some(negotiation) = self.negotiation {
            if negotiation.flags & CORRELATION_INFO_PRESENT != 0 {
                return Err(Error::malformed(
                    "RDP_NEG_REQ",
                    "correlation info is not supported",
                ));
            }
            variable.extend_from_slice(&[TYPE_NEG_REQ, negotiation.flags]);
            variable.extend_from_slice(&(NEG_LEN as u16).to_le_bytes());
            variable.extend_from_slice(&negotiation.protocols.0.to_le_bytes());
        }
        // Length indicator: code, two references and class (6 bytes) plus the variable part.
        let length_indicator = 6 + variable.len();
        let total = TPKT_HEADER_LEN + 1 + length_indicator;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&[TPKT_VERSION, 0]);
        out.extend_from_slice(&(total as u16).to_be_bytes());
        out.extend_from_slice(&[
            length_indicator as u8,
            tpdu::CONNECTION_REQUEST,
            0,
            0,
            0,
            0,
            0,
        ]);
        out.extend_from_slice(&variable);
        Ok(out)
    }

    /// Reads a Connection Request (the inverse of [`ConnectionRequest::emit`]); a routing
    /// token in place of the cookie and correlation info are skipped.
    pub fn parse(bytes: &[u8]) -> Result<ConnectionRequest> {
        let (code, _, variable) = x224_connection_tpdu(bytes)?;
        if code != tpdu::CONNECTION_REQUEST {
            return Err(Error::Unexpected("not an X.224 connection request"));
        }
        let mut rest = variable;
        let mut cookie = None;
        if rest.first() != Some(&TYPE_NEG_REQ) && !rest.is_empty() {
            let end = rest
                .windows(2)
                .position(|pair| pair == b"\r\n")
                .ok_or(Error::malformed(
                    "X.224 connection request",
                    "cookie or routing token without CR LF",
                ))?;
            let line = rest.get(..end).unwrap_or_default();
            if let Some(value) = line.strip_prefix(COOKIE_PREFIX) {
                let value = core::str::from_utf8(value)
                    .ok()
                    .filter(|value| valid_cookie(value))
                    .ok_or(Error::malformed(
                        "RDP cookie",
                        "not 1-64 printable ASCII characters",
                    ))?;
                cookie = Some(value.to_owned());
            }
            rest = rest.get(end + 2..).unwrap_or_default();
        }
        let negotiation = match rest {
            [] => None,
            [
                TYPE_NEG_REQ,
                flags,
                len_lo,
                len_hi,
                p0,
                p1,
                p2,
                p3,
                tail @ ..,
            ] => {
                if u16::from_le_bytes([*len_lo, *len_hi]) as usize != NEG_LEN {
                    return Err(Error::malformed("RDP_NEG_REQ", "length is not 8"));
                }
                let expected_tail = if flags & CORRELATION_INFO_PRESENT != 0 {
                    CORRELATION_INFO_LEN
                } else {
                    0
                };
                if tail.len() != expected_tail {
                    return Err(Error::malformed(
                        "RDP_NEG_REQ",
                        "unexpected bytes after the negotiation request",
                    ));
                }
                Some(NegotiationRequest {
                    flags: *flags,
                    protocols: Protocols(u32::from_le_bytes([*p0, *p1, *p2, *p3])),
                })
            }
            _ => {
                return Err(Error::malformed(
                    "X.224 connection request",
                    "variable part is neither cookie nor RDP_NEG_REQ",
                ));
            }
        };
        Ok(ConnectionRequest {
            cookie,
            negotiation,
        })
    }
}

/// Builds a Connection Request with an optional `mstshash` cookie and, when `requested` is
/// given, an RDP_NEG_REQ without flags. `Some(Protocols::SSL | Protocols::HYBRID)` is what
/// current clients send; `None` imitates a client older than RDP 5.2.
pub fn connection_request(cookie: Option<&str>, requested: Option<Protocols>) -> Result<Vec<u8>> {
    ConnectionRequest {
        cookie: cookie.map(str::to_owned),
        negotiation: requested.map(|protocols| NegotiationRequest {
            flags: 0,
            protocols,
        }),
    }
    .emit()
}

/// The length a TPKT header announces, or `None` while fewer than 4 bytes are there or
/// when the bytes are not a TPKT.
pub fn tpkt_len(bytes: &[u8]) -> Option<usize> {
    if bytes.first() != Some(&TPKT_VERSION) {
        return None;
    }
    let length: [u8; 2] = bytes.get(field::TPKT_LENGTH)?.try_into().ok()?;
    Some(usize::from(u16::from_be_bytes(length)))
}

/// Whether the engine has read a whole TPKT, or enough to know the bytes are not one.
pub fn is_complete(bytes: &[u8]) -> bool {
    match bytes.first() {
        None => false,
        Some(&TPKT_VERSION) => tpkt_len(bytes).is_some_and(|len| bytes.len() >= len),
        Some(_) => true,
    }
}

/// Checks the TPKT and X.224 headers of a connection-class TPDU and returns its code, the
/// source reference, and the variable part.
fn x224_connection_tpdu(bytes: &[u8]) -> Result<(u8, u16, &[u8])> {
    const WHAT: &str = "TPKT";
    match bytes.first() {
        None => crate::error::need(bytes, TPKT_HEADER_LEN, WHAT)?,
        Some(&TPKT_VERSION) => {}
        Some(_) => return Err(Error::Unexpected("not a TPKT (version is not 3)")),
    }
    crate::error::need(bytes, TPKT_HEADER_LEN, WHAT)?;
    let total = tpkt_len(bytes).unwrap_or_default();
    if total < field::VARIABLE {
        return Err(Error::malformed(
            WHAT,
            "length too short for an X.224 connection TPDU",
        ));
    }
    crate::error::need(bytes, total, WHAT)?;
    let packet = bytes.get(..total).unwrap_or_default();
    let length_indicator = usize::from(packet.get(field::LENGTH_INDICATOR).copied().unwrap_or(0));
    if length_indicator < 6 || field::LENGTH_INDICATOR + 1 + length_indicator != total {
        return Err(Error::malformed(
            "X.224 header",
            "length indicator disagrees with the TPKT length",
        ));
    }
    let code = packet.get(field::CODE).copied().unwrap_or(0) & 0xF0;
    let src_ref = packet
        .get(field::SRC_REF)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_be_bytes)
        .unwrap_or_default();
    Ok((
        code,
        src_ref,
        packet.get(field::VARIABLE..).unwrap_or_default(),
    ))
}

/// Why a server refused the requested security protocols (RDP_NEG_FAILURE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCode {
    /// The server requires TLS or CredSSP.
    SslRequiredByServer,
    /// The server allows standard RDP security only.
    SslNotAllowedByServer,
    /// The server has no certificate for TLS.
    SslCertNotOnServer,
    /// The request's flags contradict each other.
    InconsistentFlags,
    /// The server requires CredSSP.
    HybridRequiredByServer,
    /// The server requires TLS with user authentication (RDSTLS).
    SslWithUserAuthRequiredByServer,
    /// A code this module does not know.
    Other(u32),
}

impl FailureCode {
    fn from_u32(code: u32) -> FailureCode {
        match code {
            1 => FailureCode::SslRequiredByServer,
            2 => FailureCode::SslNotAllowedByServer,
            3 => FailureCode::SslCertNotOnServer,
            4 => FailureCode::InconsistentFlags,
            5 => FailureCode::HybridRequiredByServer,
            6 => FailureCode::SslWithUserAuthRequiredByServer,
            other => FailureCode::Other(other),
        }
    }

    /// The code's number.
    pub fn code(self) -> u32 {
        match self {
            FailureCode::SslRequiredByServer => 1,
            FailureCode::SslNotAllowedByServer => 2,
            FailureCode::SslCertNotOnServer => 3,
            FailureCode::InconsistentFlags => 4,
            FailureCode::HybridRequiredByServer => 5,
            FailureCode::SslWithUserAuthRequiredByServer => 6,
            FailureCode::Other(code) => code,
        }
    }

    /// The name [MS-RDPBCGR] gives the code.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            FailureCode::SslRequiredByServer => "SSL_REQUIRED_BY_SERVER",
            FailureCode::SslNotAllowedByServer => "SSL_NOT_ALLOWED_BY_SERVER",
            FailureCode::SslCertNotOnServer => "SSL_CERT_NOT_ON_SERVER",
            FailureCode::InconsistentFlags => "INCONSISTENT_FLAGS",
            FailureCode::HybridRequiredByServer => "HYBRID_REQUIRED_BY_SERVER",
            FailureCode::SslWithUserAuthRequiredByServer => "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
            FailureCode::Other(_) => return None,
        })
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "failure code {:#x}", self.code()),
        }
    }
}

/// What the server said about security in its Connection Confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NegotiationReply {
    /// No negotiation structure: a server older than RDP 5.2, or a request without
    /// RDP_NEG_REQ; standard RDP security follows.
    None,
    /// RDP_NEG_RSP: the protocol the server selected, and its flags.
    Selected {
        /// Server flags (extended client data, graphics pipeline, restricted admin, ...).
        flags: u8,
        /// The selected protocol (one bit, or none for standard security).
        protocol: Protocols,
    },
    /// RDP_NEG_FAILURE.
    Failure(FailureCode),
}

/// An X.224 Connection Confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionConfirm {
    /// The server's source reference (arbitrary; xrdp uses 0x1234).
    pub src_ref: u16,
    /// The negotiation result.
    pub negotiation: NegotiationReply,
}

impl fmt::Display for ConnectionConfirm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RDP: X.224 connection confirm, ")?;
        match self.negotiation {
            NegotiationReply::None => f.write_str("no negotiation (standard RDP security)"),
            NegotiationReply::Selected { protocol, .. } => write!(f, "selected {protocol}"),
            NegotiationReply::Failure(code) => write!(f, "negotiation failure {code}"),
        }
    }
}

/// Reads the server's answer to a Connection Request. A Disconnect Request or TPDU Error
/// (the server refuses X.224) and anything that is not a TPKT give [`Error::Unexpected`].
pub fn parse_connection_confirm(bytes: &[u8]) -> Result<ConnectionConfirm> {
    let (code, src_ref, variable) = x224_connection_tpdu(bytes)?;
    match code {
        tpdu::CONNECTION_CONFIRM => {}
        tpdu::DISCONNECT_REQUEST => {
            return Err(Error::Unexpected("X.224 disconnect request"));
        }
        tpdu::ERROR => return Err(Error::Unexpected("X.224 TPDU error")),
        _ => return Err(Error::Unexpected("not an X.224 connection confirm")),
    }
    let negotiation = match variable {
        [] => NegotiationReply::None,
        [
            kind @ (TYPE_NEG_RSP | TYPE_NEG_FAILURE),
            flags,
            len_lo,
            len_hi,
            v0,
            v1,
            v2,
            v3,
        ] => {
            if usize::from(u16::from_le_bytes([*len_lo, *len_hi])) != NEG_LEN {
                return Err(Error::malformed("RDP negotiation reply", "length is not 8"));
            }
            let value = u32::from_le_bytes([*v0, *v1, *v2, *v3]);
            if *kind == TYPE_NEG_RSP {
                NegotiationReply::Selected {
                    flags: *flags,
                    protocol: Protocols(value),
                }
            } else {
                NegotiationReply::Failure(FailureCode::from_u32(value))
            }
        }
        _ => {
            return Err(Error::malformed(
                "X.224 connection confirm",
                "variable part is not an 8-byte negotiation reply",
            ));
        }
    };
    Ok(ConnectionConfirm {
        src_ref,
        negotiation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SENT_TLS_CREDSSP: &[u8] =
        include_bytes!("../tests/fixtures/rdp/request-cookie-tls-credssp.bin");
    const SENT_STANDARD: &[u8] = include_bytes!("../tests/fixtures/rdp/request-standard.bin");
    const SENT_NONE: &[u8] = include_bytes!("../tests/fixtures/rdp/request-no-negotiation.bin");
    const SENT_CREDSSP: &[u8] = include_bytes!("../tests/fixtures/rdp/request-credssp-only.bin");
    const XRDP_TLS: &[u8] = include_bytes!("../tests/fixtures/rdp/xrdp-0.9.21-cc-tls.bin");
    const XRDP_STANDARD: &[u8] =
        include_bytes!("../tests/fixtures/rdp/xrdp-0.9.21-cc-standard.bin");
    const XRDP_NONE: &[u8] =
        include_bytes!("../tests/fixtures/rdp/xrdp-0.9.21-cc-no-negotiation.bin");
    const XRDP_CREDSSP: &[u8] =
        include_bytes!("../tests/fixtures/rdp/xrdp-0.9.21-cc-credssp-only.bin");

    #[test]
    fn requests_match_the_bytes_sent_to_xrdp() {
        let tls_credssp = Protocols::SSL | Protocols::HYBRID;
        assert_eq!(
            connection_request(Some("portolan"), Some(tls_credssp)).unwrap(),
            SENT_TLS_CREDSSP
        );
        assert_eq!(
            connection_request(None, Some(Protocols::RDP)).unwrap(),
            SENT_STANDARD
        );
        assert_eq!(connection_request(None, None).unwrap(), SENT_NONE);
        assert_eq!(
            connection_request(None, Some(Protocols::HYBRID)).unwrap(),
            SENT_CREDSSP
        );
        let parsed = ConnectionRequest::parse(SENT_TLS_CREDSSP).unwrap();
        assert_eq!(parsed.cookie.as_deref(), Some("portolan"));
        assert_eq!(parsed.negotiation.unwrap().protocols, tls_credssp);
    }

    #[test]
    fn xrdp_selects_tls() {
        let confirm = parse_connection_confirm(XRDP_TLS).unwrap();
        assert_eq!(confirm.src_ref, 0x1234);
        assert_eq!(
            confirm.negotiation,
            NegotiationReply::Selected {
                flags: 0x01,
                protocol: Protocols::SSL
            }
        );
        assert_eq!(
            confirm.to_string(),
            "RDP: X.224 connection confirm, selected TLS"
        );
        assert!(is_complete(XRDP_TLS));
    }

    #[test]
    fn xrdp_standard_and_old_style() {
        let standard = parse_connection_confirm(XRDP_STANDARD).unwrap();
        assert_eq!(
            standard.to_string(),
            "RDP: X.224 connection confirm, selected standard RDP security"
        );
        // xrdp has no CredSSP and falls back to standard security instead of failing.
        assert_eq!(parse_connection_confirm(XRDP_CREDSSP).unwrap(), standard);
        let old = parse_connection_confirm(XRDP_NONE).unwrap();
        assert_eq!(old.negotiation, NegotiationReply::None);
        assert_eq!(
            old.to_string(),
            "RDP: X.224 connection confirm, no negotiation (standard RDP security)"
        );
    }

    #[test]
    fn failure_codes_by_name() {
        let mut bytes = XRDP_TLS.to_vec();
        bytes[11] = TYPE_NEG_FAILURE;
        bytes[12] = 0;
        bytes[15] = 5;
        let confirm = parse_connection_confirm(&bytes).unwrap();
        assert_eq!(
            confirm.negotiation,
            NegotiationReply::Failure(FailureCode::HybridRequiredByServer)
        );
        assert_eq!(
            confirm.to_string(),
            "RDP: X.224 connection confirm, negotiation failure HYBRID_REQUIRED_BY_SERVER"
        );
        bytes[15] = 0x42;
        assert_eq!(
            parse_connection_confirm(&bytes).unwrap().to_string(),
            "RDP: X.224 connection confirm, negotiation failure failure code 0x42"
        );
    }

    #[test]
    fn protocol_names() {
        assert_eq!(
            (Protocols::SSL | Protocols::HYBRID | Protocols::HYBRID_EX).to_string(),
            "TLS|CredSSP|CredSSP+EUA"
        );
        assert_eq!(Protocols(0x101).to_string(), "TLS|0x100");
        assert!((Protocols::SSL | Protocols::HYBRID).contains(Protocols::HYBRID));
    }

    #[test]
    fn truncated_lying_and_foreign() {
        for cut in 0..XRDP_TLS.len() {
            assert!(!is_complete(&XRDP_TLS[..cut]), "cut at {cut}");
            assert!(matches!(
                parse_connection_confirm(&XRDP_TLS[..cut]),
                Err(Error::Truncated { .. })
            ));
        }
        // The TPKT length claims more than the X.224 length indicator covers.
        let mut lying = XRDP_TLS.to_vec();
        lying[4] = 0x0d;
        assert!(matches!(
            parse_connection_confirm(&lying),
            Err(Error::Malformed { .. })
        ));
        let mut wrong_len = XRDP_TLS.to_vec();
        wrong_len[13] = 9;
        assert!(parse_connection_confirm(&wrong_len).is_err());
        let mut disconnect = XRDP_NONE.to_vec();
        disconnect[5] = tpdu::DISCONNECT_REQUEST;
        assert_eq!(
            parse_connection_confirm(&disconnect),
            Err(Error::Unexpected("X.224 disconnect request"))
        );
        assert!(matches!(
            parse_connection_confirm(b"HTTP/1.1 400 Bad"),
            Err(Error::Unexpected(_))
        ));
        assert!(is_complete(b"SSH-2.0"));
        // Our own request is not a confirm.
        assert!(parse_connection_confirm(SENT_NONE).is_err());
        assert!(connection_request(Some("two words"), None).is_err());
        assert!(connection_request(Some(""), None).is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(confirm) = parse_connection_confirm(&bytes) {
                prop_assert!(confirm.to_string().len() < 120);
            }
            let _ = ConnectionRequest::parse(&bytes);
            let _ = is_complete(&bytes);
        }

        #[test]
        fn framed_garbage_never_panics(li in 0u8..40, code in any::<u8>(),
                                       tail in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut bytes = vec![3, 0, 0, 0, li, code, 0, 0, 0, 0, 0];
            bytes.extend_from_slice(&tail);
            let total = bytes.len() as u16;
            bytes[2..4].copy_from_slice(&total.to_be_bytes());
            let _ = parse_connection_confirm(&bytes);
            let _ = ConnectionRequest::parse(&bytes);
        }

        #[test]
        fn request_round_trips(
            cookie in proptest::option::of("[!-~]{1,64}"),
            negotiation in proptest::option::of((0u8..8, any::<u32>())),
        ) {
            let request = ConnectionRequest {
                cookie,
                negotiation: negotiation.map(|(flags, protocols)| NegotiationRequest {
                    flags,
                    protocols: Protocols(protocols),
                }),
            };
            let bytes = request.emit().unwrap();
            prop_assert_eq!(tpkt_len(&bytes), Some(bytes.len()));
            prop_assert_eq!(ConnectionRequest::parse(&bytes).unwrap(), request);
        }
    }
}
