//! L2TP version 2 control messages (RFC 2661) on UDP 1701: the SCCRQ that opens a control
//! connection, the StopCCN that closes it, and the parse of any control message.
//!
//! A probe sends a Start-Control-Connection-Request (section 6.1) carrying the mandatory
//! AVPs Message Type, Protocol Version, Host Name, Framing Capabilities and Assigned Tunnel
//! ID. A live LNS answers with a Start-Control-Connection-Reply (SCCRP) naming itself, with
//! a StopCCN when it refuses (a missing Assigned Tunnel ID gets one from xl2tpd), or with a
//! bare acknowledgement (ZLB: a control header with no AVPs) when it has seen our tunnel id
//! before. All three prove an L2TP responder.
//!
//! The SCCRP opens half a tunnel on the server, so the probe closes it with [`stop_ccn`]
//! sent to the tunnel id the server assigned, echoing our own. A random tunnel id per probe
//! keeps repeated probes from landing on an old tunnel. xl2tpd answers from port 1701.
//!
//! AVPs whose H (hidden) bit is set are kept as raw bytes: unhiding them needs the tunnel
//! secret. Only vendor 0 (IETF) attributes are interpreted.

use core::fmt;

use crate::error::{answering, check_room, slice};
use crate::simple::Escaped;
use crate::{Error, Result};

/// The L2TP port.
pub const PORT: u16 = 1701;
/// Header length of a control message (T, L and S bits set, no offset).
pub const CONTROL_HEADER_LEN: usize = 12;
/// Most AVPs read from one message.
pub const MAX_AVPS: usize = 128;

/// Bits of the first header word (RFC 2661 section 3.1).
mod flag {
    pub const TYPE: u16 = 0x8000;
    pub const LENGTH: u16 = 0x4000;
    pub const SEQUENCE: u16 = 0x0800;
    pub const OFFSET: u16 = 0x0200;
    pub const PRIORITY: u16 = 0x0100;
    pub const VERSION_MASK: u16 = 0x000f;
    /// T, L and S set, version 2: every control message we send.
    pub const CONTROL_V2: u16 = TYPE | LENGTH | SEQUENCE | 2;
}

/// Bits of an AVP's first word (RFC 2661 section 4.1).
mod avp_flag {
    pub const MANDATORY: u16 = 0x8000;
    pub const HIDDEN: u16 = 0x4000;
    pub const LENGTH_MASK: u16 = 0x03ff;
}

/// Attribute types (RFC 2661 section 4.4).
pub mod attribute {
    /// Message Type.
    pub const MESSAGE_TYPE: u16 = 0;
    /// Result Code (StopCCN, CDN).
    pub const RESULT_CODE: u16 = 1;
    /// Protocol Version.
    pub const PROTOCOL_VERSION: u16 = 2;
    /// Framing Capabilities.
    pub const FRAMING_CAPABILITIES: u16 = 3;
    /// Bearer Capabilities.
    pub const BEARER_CAPABILITIES: u16 = 4;
    /// Firmware Revision.
    pub const FIRMWARE_REVISION: u16 = 6;
    /// Host Name.
    pub const HOST_NAME: u16 = 7;
    /// Vendor Name.
    pub const VENDOR_NAME: u16 = 8;
    /// Assigned Tunnel ID.
    pub const ASSIGNED_TUNNEL_ID: u16 = 9;
    /// Receive Window Size.
    pub const RECEIVE_WINDOW_SIZE: u16 = 10;
}

/// Control message types (RFC 2661 section 3.2).
pub mod message {
    /// Start-Control-Connection-Request.
    pub const SCCRQ: u16 = 1;
    /// Start-Control-Connection-Reply.
    pub const SCCRP: u16 = 2;
    /// Start-Control-Connection-Connected.
    pub const SCCCN: u16 = 3;
    /// Stop-Control-Connection-Notification.
    pub const STOP_CCN: u16 = 4;
    /// Hello.
    pub const HELLO: u16 = 6;
}

/// Name of a control message type.
pub fn message_name(kind: u16) -> Option<&'static str> {
    Some(match kind {
        1 => "SCCRQ",
        2 => "SCCRP",
        3 => "SCCCN",
        4 => "StopCCN",
        6 => "HELLO",
        7 => "OCRQ",
        8 => "OCRP",
        9 => "OCCN",
        10 => "ICRQ",
        11 => "ICRP",
        12 => "ICCN",
        14 => "CDN",
        15 => "WEN",
        16 => "SLI",
        _ => return None,
    })
}

/// Builds an SCCRQ offering our tunnel id `tunnel_id` (not 0) and naming us `host_name`.
pub fn sccrq(tunnel_id: u16, host_name: &str) -> Result<Vec<u8>> {
    if tunnel_id == 0 {
        return Err(Error::malformed("L2TP Assigned Tunnel ID", "0 is reserved"));
    }
    if host_name.is_empty() {
        return Err(Error::malformed("L2TP Host Name", "empty"));
    }
    ControlMessage {
        tunnel_id: 0,
        session_id: 0,
        ns: 0,
        nr: 0,
        avps: vec![
            Avp::ietf(attribute::MESSAGE_TYPE, &message::SCCRQ.to_be_bytes()),
            Avp::ietf(attribute::PROTOCOL_VERSION, &[1, 0]),
            Avp::ietf(attribute::HOST_NAME, host_name.as_bytes()),
            // Synchronous and asynchronous framing.
            Avp::ietf(attribute::FRAMING_CAPABILITIES, &3u32.to_be_bytes()),
            Avp::ietf(attribute::ASSIGNED_TUNNEL_ID, &tunnel_id.to_be_bytes()),
            Avp::ietf(attribute::RECEIVE_WINDOW_SIZE, &4u16.to_be_bytes()),
        ],
    }
    .emit()
}

/// Builds a StopCCN that closes the tunnel the server assigned (`peer_tunnel_id`, from its
/// SCCRP), repeating our own `tunnel_id`, with result code 1 (general request to clear the
/// control connection). After an SCCRP with Ns 0, our next Ns is 1 and Nr is 1.
pub fn stop_ccn(peer_tunnel_id: u16, tunnel_id: u16, ns: u16, nr: u16) -> Result<Vec<u8>> {
    ControlMessage {
        tunnel_id: peer_tunnel_id,
        session_id: 0,
        ns,
        nr,
        avps: vec![
            Avp::ietf(attribute::MESSAGE_TYPE, &message::STOP_CCN.to_be_bytes()),
            Avp::ietf(attribute::RESULT_CODE, &1u16.to_be_bytes()),
            Avp::ietf(attribute::ASSIGNED_TUNNEL_ID, &tunnel_id.to_be_bytes()),
        ],
    }
    .emit()
}

/// One attribute-value pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avp {
    /// M bit: the receiver must understand it.
    pub mandatory: bool,
    /// H bit: the value is hidden with the tunnel secret and kept as sent.
    pub hidden: bool,
    /// Vendor id (0 for IETF attributes).
    pub vendor: u16,
    /// Attribute type.
    pub kind: u16,
    /// The value.
    pub value: Vec<u8>,
}

impl Avp {
    /// A mandatory, visible IETF attribute: what every message we send carries.
    pub fn ietf(kind: u16, value: &[u8]) -> Avp {
        Avp {
            mandatory: true,
            hidden: false,
            vendor: 0,
            kind,
            value: value.to_vec(),
        }
    }
}

/// A result code AVP (RFC 2661 section 4.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultCode {
    /// Result code.
    pub result: u16,
    /// Error code, when sent.
    pub error: Option<u16>,
    /// Error message, when sent.
    pub message: Vec<u8>,
}

/// A control message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlMessage {
    /// Tunnel id in the header: the receiver's (so ours, in a reply to us).
    pub tunnel_id: u16,
    /// Session id in the header.
    pub session_id: u16,
    /// Sequence number of this message.
    pub ns: u16,
    /// Next sequence number expected from the peer.
    pub nr: u16,
    /// The AVPs in order (none for a ZLB).
    pub avps: Vec<Avp>,
}

/// Reads a big-endian u16 at `at`, or 0 when out of range (callers check length first).
fn be16(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

impl ControlMessage {
    /// Parses a control message (T bit set, version 2).
    pub fn parse(bytes: &[u8]) -> Result<ControlMessage> {
        crate::error::need(bytes, 2, "L2TP header")?;
        let flags = be16(bytes, 0);
        if flags & flag::TYPE == 0 {
            return Err(Error::Unexpected("L2TP packet is a data message"));
        }
        if flags & flag::VERSION_MASK != 2 {
            return Err(Error::malformed("L2TP header", "version is not 2"));
        }
        if flags & flag::LENGTH == 0 || flags & flag::SEQUENCE == 0 {
            return Err(Error::malformed(
                "L2TP header",
                "control message without length or sequence bits",
            ));
        }
        if flags & (flag::OFFSET | flag::PRIORITY) != 0 {
            return Err(Error::malformed(
                "L2TP header",
                "offset or priority bit set in a control message",
            ));
        }
        crate::error::need(bytes, CONTROL_HEADER_LEN, "L2TP control header")?;
        let length = usize::from(be16(bytes, 2));
        if length < CONTROL_HEADER_LEN {
            return Err(Error::malformed("L2TP length", "shorter than the header"));
        }
        let message = slice(bytes, 0..length, "L2TP control message")?;
        let mut avps = Vec::new();
        let mut at = CONTROL_HEADER_LEN;
        while at < message.len() {
            check_room(&avps, MAX_AVPS, "L2TP AVPs")?;
            let head = be16(message, at);
            let len = usize::from(head & avp_flag::LENGTH_MASK);
            if len < 6 {
                return Err(Error::malformed("L2TP AVP", "length below 6"));
            }
            let avp = slice(message, at..at + len, "L2TP AVP")?;
            avps.push(Avp {
                mandatory: head & avp_flag::MANDATORY != 0,
                hidden: head & avp_flag::HIDDEN != 0,
                vendor: be16(avp, 2),
                kind: be16(avp, 4),
                value: avp.get(6..).unwrap_or_default().to_vec(),
            });
            at += len;
        }
        Ok(ControlMessage {
            tunnel_id: be16(message, 4),
            session_id: be16(message, 6),
            ns: be16(message, 8),
            nr: be16(message, 10),
            avps,
        })
    }

    /// Encodes the message, the inverse of [`ControlMessage::parse`]: a version 2 control
    /// header with the length and sequence bits (no offset, no priority) and the AVPs in
    /// order with their M and H bits. Refuses more than [`MAX_AVPS`] AVPs, an AVP longer
    /// than its 10-bit length field allows, and a message longer than 65,535 bytes.
    pub fn emit(&self) -> Result<Vec<u8>> {
        if self.avps.len() > MAX_AVPS {
            return Err(Error::too_large("L2TP AVPs", self.avps.len(), MAX_AVPS));
        }
        let mut packet = Vec::with_capacity(96);
        packet.extend_from_slice(&flag::CONTROL_V2.to_be_bytes());
        packet.extend_from_slice(&[0, 0]); // length, set at the end
        for field in [self.tunnel_id, self.session_id, self.ns, self.nr] {
            packet.extend_from_slice(&field.to_be_bytes());
        }
        for avp in &self.avps {
            let len = 6 + avp.value.len();
            let limit = usize::from(avp_flag::LENGTH_MASK);
            if len > limit {
                return Err(Error::too_large("L2TP AVP", len, limit));
            }
            let mut head = len as u16;
            if avp.mandatory {
                head |= avp_flag::MANDATORY;
            }
            if avp.hidden {
                head |= avp_flag::HIDDEN;
            }
            packet.extend_from_slice(&head.to_be_bytes());
            packet.extend_from_slice(&avp.vendor.to_be_bytes());
            packet.extend_from_slice(&avp.kind.to_be_bytes());
            packet.extend_from_slice(&avp.value);
        }
        let len = u16::try_from(packet.len())
            .map_err(|_| Error::too_large("L2TP message", packet.len(), usize::from(u16::MAX)))?;
        packet[2..4].copy_from_slice(&len.to_be_bytes());
        Ok(packet)
    }

    /// The value of IETF attribute `kind`, unless it is hidden.
    pub fn attribute(&self, kind: u16) -> Option<&[u8]> {
        self.avps
            .iter()
            .find(|a| a.vendor == 0 && a.kind == kind && !a.hidden)
            .map(|a| a.value.as_slice())
    }

    fn attribute_u16(&self, kind: u16) -> Option<u16> {
        self.attribute(kind)
            .and_then(|v| v.first_chunk::<2>())
            .map(|b| u16::from_be_bytes(*b))
    }

    /// True for a zero-length body acknowledgement.
    pub fn is_zlb(&self) -> bool {
        self.avps.is_empty()
    }

    /// The Message Type AVP, which must come first (`None` for a ZLB).
    pub fn message_type(&self) -> Option<u16> {
        let first = self.avps.first()?;
        if first.vendor != 0 || first.kind != attribute::MESSAGE_TYPE {
            return None;
        }
        first
            .value
            .first_chunk::<2>()
            .map(|b| u16::from_be_bytes(*b))
    }

    /// Host Name AVP.
    pub fn host_name(&self) -> Option<&[u8]> {
        self.attribute(attribute::HOST_NAME)
    }

    /// Vendor Name AVP.
    pub fn vendor_name(&self) -> Option<&[u8]> {
        self.attribute(attribute::VENDOR_NAME)
    }

    /// Assigned Tunnel ID AVP: the id the sender wants us to use.
    pub fn assigned_tunnel_id(&self) -> Option<u16> {
        self.attribute_u16(attribute::ASSIGNED_TUNNEL_ID)
    }

    /// Result Code AVP.
    pub fn result_code(&self) -> Option<ResultCode> {
        let value = self.attribute(attribute::RESULT_CODE)?;
        let result = u16::from_be_bytes(*value.first_chunk::<2>()?);
        let error = value.get(2..4).map(|b| be16(b, 0));
        let message = value.get(4..).unwrap_or_default().to_vec();
        Some(ResultCode {
            result,
            error,
            message,
        })
    }

    /// True when this message is addressed to our tunnel `tunnel_id` (the header carries the
    /// receiver's tunnel id). Tunnel id 0 is accepted only on a StopCCN or a ZLB, the two
    /// answers a peer that did not read our Assigned Tunnel ID may send: an SCCRQ carries
    /// 0 too, and our own SCCRQ reflected back is no answer.
    pub fn matches(&self, tunnel_id: u16) -> bool {
        self.tunnel_id == tunnel_id
            || (self.tunnel_id == 0
                && (self.is_zlb() || self.message_type() == Some(message::STOP_CCN)))
    }
}

/// Parses a control message and checks that it is addressed to our tunnel id.
pub fn parse_reply_to(bytes: &[u8], tunnel_id: u16) -> Result<ControlMessage> {
    answering(
        ControlMessage::parse(bytes)?,
        |reply| reply.matches(tunnel_id),
        "L2TP message is for another tunnel",
    )
}

impl fmt::Display for ControlMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zlb() {
            return write!(
                f,
                "L2TP: ZLB ack (tunnel {}, Nr {})",
                self.tunnel_id, self.nr
            );
        }
        match self.message_type() {
            Some(kind) => match message_name(kind) {
                Some(name) => write!(f, "L2TP: {name}")?,
                None => write!(f, "L2TP: message type {kind}")?,
            },
            None => f.write_str("L2TP: control message without a type")?,
        }
        if let Some(host) = self.host_name() {
            write!(f, ", host {}", Escaped::new(host, 40))?;
        }
        if let Some(vendor) = self.vendor_name() {
            write!(f, ", vendor {}", Escaped::new(vendor, 32))?;
        }
        if let Some(code) = self.result_code() {
            write!(f, ", result {}", code.result)?;
            if let Some(error) = code.error {
                write!(f, "/{error}")?;
            }
            if !code.message.is_empty() {
                write!(f, " \"{}\"", Escaped::new(&code.message, 48))?;
            }
        }
        Ok(())
    }
}

/// Emits the answer of an LNS that will not open a tunnel: a StopCCN to the tunnel the
/// SCCRQ assigned (its Assigned Tunnel ID), carrying our `tunnel_id` (not 0) and Nr 1, the
/// SCCRQ acknowledged. Shorter than an SCCRQ, which also carries a host name and framing.
pub fn emit_refusal(request: &[u8], tunnel_id: u16) -> Result<Vec<u8>> {
    let sccrq = ControlMessage::parse(request)?;
    if sccrq.message_type() != Some(message::SCCRQ) {
        return Err(Error::Unexpected("L2TP message is not an SCCRQ"));
    }
    let peer = sccrq
        .assigned_tunnel_id()
        .filter(|&id| id != 0)
        .ok_or(Error::malformed("L2TP SCCRQ", "no Assigned Tunnel ID"))?;
    if tunnel_id == 0 {
        return Err(Error::malformed("L2TP Assigned Tunnel ID", "0 is reserved"));
    }
    stop_ccn(peer, tunnel_id, 0, sccrq.ns.wrapping_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SCCRQ: &[u8] = include_bytes!("../tests/fixtures/l2tp/request-sccrq.bin");
    const SCCRP: &[u8] = include_bytes!("../tests/fixtures/l2tp/xl2tpd-1.3.18-sccrp.bin");
    const ZLB: &[u8] = include_bytes!("../tests/fixtures/l2tp/xl2tpd-1.3.18-zlb.bin");
    const STOP_NO_TID: &[u8] =
        include_bytes!("../tests/fixtures/l2tp/xl2tpd-1.3.18-stopccn-no-tunnel-id.bin");
    const OUR_TUNNEL: u16 = 0x7a41;

    #[test]
    fn sccrq_is_what_was_sent() {
        assert_eq!(sccrq(OUR_TUNNEL, "portolan").unwrap(), SCCRQ);
        assert!(sccrq(0, "portolan").is_err());
        assert!(sccrq(1, &"h".repeat(2000)).is_err());
    }

    #[test]
    fn xl2tpd_sccrp() {
        let reply = parse_reply_to(SCCRP, OUR_TUNNEL).unwrap();
        assert_eq!(reply.message_type(), Some(message::SCCRP));
        assert_eq!(reply.host_name(), Some(&b"apps.lab.example"[..]));
        assert_eq!(reply.vendor_name(), Some(&b"xelerance.com"[..]));
        assert!(reply.assigned_tunnel_id().is_some_and(|id| id != 0));
        assert_eq!((reply.ns, reply.nr), (0, 1));
        assert!(reply.avps.iter().all(|a| !a.hidden));
        assert_eq!(
            reply.to_string(),
            "L2TP: SCCRP, host apps.lab.example, vendor xelerance.com"
        );
        assert!(matches!(
            parse_reply_to(SCCRP, OUR_TUNNEL + 1),
            Err(Error::Unexpected(_))
        ));
    }

    #[test]
    fn xl2tpd_zlb_for_a_repeated_tunnel_id() {
        let reply = parse_reply_to(ZLB, OUR_TUNNEL).unwrap();
        assert!(reply.is_zlb());
        assert_eq!(reply.message_type(), None);
        assert!(reply.to_string().starts_with("L2TP: ZLB ack"));
    }

    #[test]
    fn xl2tpd_stopccn_without_tunnel_id() {
        let reply = ControlMessage::parse(STOP_NO_TID).unwrap();
        assert_eq!(reply.message_type(), Some(message::STOP_CCN));
        let code = reply.result_code().unwrap();
        assert_eq!(code.result, 2);
        assert_eq!(
            reply.to_string(),
            format!(
                "L2TP: StopCCN, result 2/{} \"{}\"",
                code.error.unwrap(),
                Escaped::new(&code.message, 48)
            )
        );
        assert!(String::from_utf8_lossy(&code.message).contains("assigned tunnel ID"));
    }

    #[test]
    fn tunnel_zero_is_accepted_only_on_a_stop_or_an_ack() {
        // Our own SCCRQ, reflected back: header tunnel 0, and no answer.
        assert!(matches!(
            parse_reply_to(SCCRQ, OUR_TUNNEL),
            Err(Error::Unexpected(_))
        ));
        let mut stop = stop_ccn(0, OUR_TUNNEL, 1, 1).unwrap();
        assert!(parse_reply_to(&stop, OUR_TUNNEL).is_ok());
        let mut zlb = ZLB.to_vec();
        zlb[4..6].copy_from_slice(&[0, 0]);
        assert!(parse_reply_to(&zlb, OUR_TUNNEL).is_ok());
        // An SCCRP to tunnel 0 is for someone else.
        let mut sccrp = SCCRP.to_vec();
        sccrp[4..6].copy_from_slice(&[0, 0]);
        assert!(parse_reply_to(&sccrp, OUR_TUNNEL).is_err());
        stop[4..6].copy_from_slice(&(OUR_TUNNEL + 1).to_be_bytes());
        assert!(parse_reply_to(&stop, OUR_TUNNEL).is_err());
    }

    #[test]
    fn stop_ccn_parses_back() {
        let stop = stop_ccn(0x1234, OUR_TUNNEL, 1, 1).unwrap();
        let parsed = ControlMessage::parse(&stop).unwrap();
        assert_eq!(parsed.tunnel_id, 0x1234);
        assert_eq!(parsed.message_type(), Some(message::STOP_CCN));
        assert_eq!(parsed.assigned_tunnel_id(), Some(OUR_TUNNEL));
        assert_eq!(parsed.result_code().unwrap().result, 1);
    }

    #[test]
    fn malformed_messages() {
        assert!(matches!(
            ControlMessage::parse(&[0x00, 0x02, 0, 0]),
            Err(Error::Unexpected(_))
        ));
        assert!(ControlMessage::parse(&[0xc8, 0x03]).is_err());
        for cut in 0..SCCRP.len() {
            assert!(ControlMessage::parse(&SCCRP[..cut]).is_err());
        }
        let mut short_avp = SCCRQ.to_vec();
        short_avp[12..14].copy_from_slice(&0x8003u16.to_be_bytes());
        assert!(ControlMessage::parse(&short_avp).is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(message) = ControlMessage::parse(&bytes) {
                prop_assert!(message.to_string().bytes().all(|b| (0x20..=0x7e).contains(&b)));
                let _ = message.result_code();
            }
        }

        #[test]
        fn sccrq_round_trips(tunnel in 1u16.., host in "[a-z0-9.-]{1,60}") {
            let packet = sccrq(tunnel, &host).unwrap();
            let parsed = ControlMessage::parse(&packet).unwrap();
            prop_assert_eq!(parsed.message_type(), Some(message::SCCRQ));
            prop_assert!(!parsed.matches(tunnel));
            prop_assert_eq!(parsed.assigned_tunnel_id(), Some(tunnel));
            prop_assert_eq!(parsed.host_name(), Some(host.as_bytes()));
            prop_assert!(parsed.avps.iter().all(|a| a.mandatory && !a.hidden));
        }
    }

    #[test]
    fn an_emitted_refusal_answers_the_sccrq() {
        let request = sccrq(0x1234, "portolan").unwrap();
        let reply = emit_refusal(&request, 0x0042).unwrap();
        assert!(reply.len() < request.len());
        let parsed = parse_reply_to(&reply, 0x1234).unwrap();
        assert_eq!(parsed.message_type(), Some(message::STOP_CCN));
        assert_eq!(parsed.assigned_tunnel_id(), Some(0x0042));
        assert!(emit_refusal(&reply, 1).is_err());
        assert!(emit_refusal(&request, 0).is_err());
    }
}
