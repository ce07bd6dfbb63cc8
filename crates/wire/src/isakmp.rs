//! ISAKMP / IKE on UDP 500, and the same inside NAT traversal on UDP 4500: an IKEv1 Main
//! Mode first message (RFC 2408, RFC 2409), an IKEv2 IKE_SA_INIT request (RFC 7296), and
//! the parse of whatever header and payload chain comes back.
//!
//! Both versions share the 28-byte header (initiator SPI, responder SPI, next payload,
//! version, exchange type, flags, message id, length) and the generic payload header (next
//! payload, a flags byte, length), so one parser walks either.
//!
//! Requests:
//! * [`ikev1_main_mode`]: a Security Association payload with one proposal (protocol
//!   ISAKMP) and one transform: AES-CBC-128, SHA-1, pre-shared key, MODP 2048 (group 14),
//!   lifetime 8 hours.
//! * [`ikev2_sa_init`]: SA (one IKE proposal offering AES-CBC-256 or -128, HMAC-SHA2-256-128
//!   or HMAC-SHA1-96, PRF-HMAC-SHA2-256 or PRF-HMAC-SHA1, and MODP 2048), a Key Exchange
//!   payload for group 14 carrying the caller's 256 bytes, and the caller's nonce.
//! * [`nat_t`]: the UDP 4500 form, the same message behind a four-byte zero "non-ESP
//!   marker" (RFC 3948 section 2.2). Without the marker the receiver takes the datagram as
//!   ESP, and a Linux responder with no matching SA answers ICMP port unreachable: an ICMP
//!   answer on 4500 is not proof that nothing listens there.
//!
//! SPIs, key exchange data and nonces are the caller's: the engine owns randomness. The
//! KE data need not be a real public value for a port check; a responder answers SA_INIT
//! before it does anything expensive with it.
//!
//! [`parse_reply`] accepts a message with or without the marker, checks the header, walks
//! the payload chain (stopping at an encrypted payload) and collects notify types and a
//! count of vendor ids. A notify such as `NO_PROPOSAL_CHOSEN`, `INVALID_KE_PAYLOAD` or
//! `COOKIE` is still proof of an IKE responder. Responders rate-limit half-open SAs per
//! source (strongSwan answers `COOKIE`, then nothing), so probes should stay few.

use core::fmt;

use crate::error::{answering, check_room, slice};
use crate::{Error, Result};

/// IKE port.
pub const PORT: u16 = 500;
/// NAT traversal port.
pub const NAT_T_PORT: u16 = 4500;
/// Marker that tells IKE from ESP on the NAT traversal port.
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];
/// Length of the ISAKMP/IKE header.
pub const HEADER_LEN: usize = 28;
/// Most payloads walked in one message.
pub const MAX_PAYLOADS: usize = 64;
/// Length of the group 14 (MODP 2048) key exchange value.
pub const MODP2048_KE_LEN: usize = 256;
/// Bytes of notify data kept.
pub const NOTIFY_DATA_KEPT: usize = 64;

/// Exchange types (RFC 2408 section 3.1, RFC 7296 section 3.1).
pub mod exchange {
    /// IKEv1 Identity Protection (Main Mode).
    pub const IDENTITY_PROTECTION: u8 = 2;
    /// IKEv1 Aggressive Mode.
    pub const AGGRESSIVE: u8 = 4;
    /// IKEv1 Informational.
    pub const INFORMATIONAL_V1: u8 = 5;
    /// IKEv2 IKE_SA_INIT.
    pub const IKE_SA_INIT: u8 = 34;
    /// IKEv2 IKE_AUTH.
    pub const IKE_AUTH: u8 = 35;
    /// IKEv2 INFORMATIONAL.
    pub const INFORMATIONAL: u8 = 37;
}

/// Payload types (RFC 2408 section 3.1, RFC 3947, RFC 7296 section 3.2).
pub mod payload {
    /// IKEv1 Security Association.
    pub const SA_V1: u8 = 1;
    /// IKEv1 Proposal.
    pub const PROPOSAL_V1: u8 = 2;
    /// IKEv1 Transform.
    pub const TRANSFORM_V1: u8 = 3;
    /// IKEv1 Key Exchange.
    pub const KE_V1: u8 = 4;
    /// IKEv1 Nonce.
    pub const NONCE_V1: u8 = 10;
    /// IKEv1 Notification.
    pub const NOTIFY_V1: u8 = 11;
    /// IKEv1 Delete.
    pub const DELETE_V1: u8 = 12;
    /// IKEv1 Vendor ID.
    pub const VENDOR_ID_V1: u8 = 13;
    /// IKEv2 Security Association.
    pub const SA: u8 = 33;
    /// IKEv2 Key Exchange.
    pub const KE: u8 = 34;
    /// IKEv2 Nonce.
    pub const NONCE: u8 = 40;
    /// IKEv2 Notify.
    pub const NOTIFY: u8 = 41;
    /// IKEv2 Vendor ID.
    pub const VENDOR_ID: u8 = 43;
    /// IKEv2 Encrypted and Authenticated.
    pub const ENCRYPTED: u8 = 46;
    /// IKEv2 Encrypted and Authenticated Fragment (RFC 7383).
    pub const ENCRYPTED_FRAGMENT: u8 = 53;
}

/// Notify types used by name in tests and callers (RFC 7296 section 3.10.1).
pub mod notify {
    /// NO_PROPOSAL_CHOSEN (same number in IKEv1).
    pub const NO_PROPOSAL_CHOSEN: u16 = 14;
    /// INVALID_KE_PAYLOAD: the data names the group the responder wants.
    pub const INVALID_KE_PAYLOAD: u16 = 17;
    /// COOKIE: the responder asks to be asked again with this cookie.
    pub const COOKIE: u16 = 16390;
}

/// IKEv2 header flags (RFC 7296 section 3.1).
mod flag {
    pub const INITIATOR: u8 = 0x08;
    pub const RESPONSE: u8 = 0x20;
    /// IKEv1: the payloads after the header are encrypted.
    pub const ENCRYPTED_V1: u8 = 0x01;
}

/// Name of an IKEv2 notify type, or of an IKEv1 one when `ikev1` is set.
pub fn notify_name(kind: u16, ikev1: bool) -> Option<&'static str> {
    if ikev1 {
        return Some(match kind {
            1 => "INVALID-PAYLOAD-TYPE",
            2 => "DOI-NOT-SUPPORTED",
            3 => "SITUATION-NOT-SUPPORTED",
            4 => "INVALID-COOKIE",
            5 => "INVALID-MAJOR-VERSION",
            6 => "INVALID-MINOR-VERSION",
            7 => "INVALID-EXCHANGE-TYPE",
            8 => "INVALID-FLAGS",
            9 => "INVALID-MESSAGE-ID",
            10 => "INVALID-PROTOCOL-ID",
            11 => "INVALID-SPI",
            12 => "INVALID-TRANSFORM-ID",
            13 => "ATTRIBUTES-NOT-SUPPORTED",
            14 => "NO-PROPOSAL-CHOSEN",
            15 => "BAD-PROPOSAL-SYNTAX",
            16 => "PAYLOAD-MALFORMED",
            17 => "INVALID-KEY-INFORMATION",
            18 => "INVALID-ID-INFORMATION",
            24 => "AUTHENTICATION-FAILED",
            24576 => "RESPONDER-LIFETIME",
            24578 => "INITIAL-CONTACT",
            _ => return None,
        });
    }
    Some(match kind {
        1 => "UNSUPPORTED_CRITICAL_PAYLOAD",
        4 => "INVALID_IKE_SPI",
        5 => "INVALID_MAJOR_VERSION",
        7 => "INVALID_SYNTAX",
        9 => "INVALID_MESSAGE_ID",
        11 => "INVALID_SPI",
        14 => "NO_PROPOSAL_CHOSEN",
        17 => "INVALID_KE_PAYLOAD",
        24 => "AUTHENTICATION_FAILED",
        34 => "SINGLE_PAIR_REQUIRED",
        35 => "NO_ADDITIONAL_SAS",
        36 => "INTERNAL_ADDRESS_FAILURE",
        37 => "FAILED_CP_REQUIRED",
        38 => "TS_UNACCEPTABLE",
        39 => "INVALID_SELECTORS",
        43 => "TEMPORARY_FAILURE",
        44 => "CHILD_SA_NOT_FOUND",
        16384 => "INITIAL_CONTACT",
        16385 => "SET_WINDOW_SIZE",
        16386 => "ADDITIONAL_TS_POSSIBLE",
        16387 => "IPCOMP_SUPPORTED",
        16388 => "NAT_DETECTION_SOURCE_IP",
        16389 => "NAT_DETECTION_DESTINATION_IP",
        16390 => "COOKIE",
        16391 => "USE_TRANSPORT_MODE",
        16392 => "HTTP_CERT_LOOKUP_SUPPORTED",
        16393 => "REKEY_SA",
        16394 => "ESP_TFC_PADDING_NOT_SUPPORTED",
        16395 => "NON_FIRST_FRAGMENTS_ALSO",
        16404 => "MULTIPLE_AUTH_SUPPORTED",
        16405 => "ANOTHER_AUTH_FOLLOWS",
        16406 => "REDIRECT_SUPPORTED",
        16407 => "REDIRECT",
        16408 => "REDIRECTED_FROM",
        16418 => "CHILDLESS_IKEV2_SUPPORTED",
        16430 => "IKEV2_FRAGMENTATION_SUPPORTED",
        16431 => "SIGNATURE_HASH_ALGORITHMS",
        _ => return None,
    })
}

/// Name of an exchange type.
pub fn exchange_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        2 => "Main Mode",
        4 => "Aggressive Mode",
        5 => "Informational",
        32 => "Quick Mode",
        34 => "IKE_SA_INIT",
        35 => "IKE_AUTH",
        36 => "CREATE_CHILD_SA",
        37 => "INFORMATIONAL",
        _ => return None,
    })
}

/// Appends a generic payload: next payload, flags byte, length, body.
fn push_payload(message: &mut Vec<u8>, next: u8, body: &[u8]) -> Result<()> {
    let len = u16::try_from(body.len() + 4)
        .map_err(|_| Error::too_large("IKE payload", body.len() + 4, usize::from(u16::MAX)))?;
    message.push(next);
    message.push(0);
    message.extend_from_slice(&len.to_be_bytes());
    message.extend_from_slice(body);
    Ok(())
}

fn check_spi(initiator_spi: [u8; 8]) -> Result<()> {
    if initiator_spi == [0; 8] {
        return Err(Error::malformed("IKE initiator SPI", "must not be zero"));
    }
    Ok(())
}

fn header(initiator_spi: [u8; 8], next: u8, version: u8, exchange: u8, flags: u8) -> Vec<u8> {
    let mut message = Vec::with_capacity(512);
    message.extend_from_slice(&initiator_spi);
    message.extend_from_slice(&[0; 8]); // responder SPI: unknown yet
    message.extend_from_slice(&[next, version, exchange, flags]);
    message.extend_from_slice(&[0; 4]); // message id 0
    message.extend_from_slice(&[0; 4]); // length, set by `finish`
    message
}

fn finish(mut message: Vec<u8>) -> Result<Vec<u8>> {
    let len = u32::try_from(message.len())
        .map_err(|_| Error::too_large("IKE message", message.len(), u32::MAX as usize))?;
    if let Some(field) = message.get_mut(24..28) {
        field.copy_from_slice(&len.to_be_bytes());
    }
    Ok(message)
}

/// A two-byte ("TV", type/value) data attribute: the high bit of the type marks the form.
fn tv_attribute(kind: u16, value: u16) -> [u8; 4] {
    let mut attribute = [0u8; 4];
    attribute[..2].copy_from_slice(&(0x8000 | kind).to_be_bytes());
    attribute[2..].copy_from_slice(&value.to_be_bytes());
    attribute
}

/// Builds the first Main Mode message from initiator SPI (cookie) `initiator_spi`.
pub fn ikev1_main_mode(initiator_spi: [u8; 8]) -> Result<Vec<u8>> {
    check_spi(initiator_spi)?;
    // Transform 1, KEY_IKE, with its attributes (RFC 2409 appendix A).
    let mut transform = vec![1, 1, 0, 0];
    for (kind, value) in [
        (1, 7),      // encryption: AES-CBC
        (14, 128),   // key length
        (2, 2),      // hash: SHA
        (3, 1),      // authentication: pre-shared key
        (4, 14),     // group: MODP 2048
        (11, 1),     // life type: seconds
        (12, 28800), // life duration
    ] {
        transform.extend_from_slice(&tv_attribute(kind, value));
    }
    let mut transform_payload = Vec::new();
    push_payload(&mut transform_payload, 0, &transform)?;
    // Proposal 1, PROTO_ISAKMP, no SPI, one transform.
    let mut proposal = vec![1, 1, 0, 1];
    proposal.extend_from_slice(&transform_payload);
    let mut proposal_payload = Vec::new();
    push_payload(&mut proposal_payload, 0, &proposal)?;
    // DOI 1 (IPsec), situation 1 (identity only).
    let mut sa = vec![0, 0, 0, 1, 0, 0, 0, 1];
    sa.extend_from_slice(&proposal_payload);
    let mut message = header(
        initiator_spi,
        payload::SA_V1,
        0x10,
        exchange::IDENTITY_PROTECTION,
        0,
    );
    push_payload(&mut message, 0, &sa)?;
    finish(message)
}

/// One IKEv2 transform substructure: last-or-more, reserved, length, type, reserved, id,
/// attributes.
fn ikev2_transform(last: bool, kind: u8, id: u16, key_length: Option<u16>) -> Vec<u8> {
    let attribute = key_length.map(|bits| tv_attribute(14, bits));
    let len = 8 + attribute.map_or(0, |a| a.len());
    let mut transform = vec![if last { 0 } else { 3 }, 0];
    transform.extend_from_slice(&(len as u16).to_be_bytes());
    transform.extend_from_slice(&[kind, 0]);
    transform.extend_from_slice(&id.to_be_bytes());
    if let Some(attribute) = attribute {
        transform.extend_from_slice(&attribute);
    }
    transform
}

/// Builds an IKE_SA_INIT request: SA, KE (group 14, `ke_data`), Nonce (`nonce`, 16 to 256
/// bytes as RFC 7296 section 3.9 requires).
pub fn ikev2_sa_init(
    initiator_spi: [u8; 8],
    ke_data: &[u8; MODP2048_KE_LEN],
    nonce: &[u8],
) -> Result<Vec<u8>> {
    check_spi(initiator_spi)?;
    if !(16..=256).contains(&nonce.len()) {
        return Err(Error::malformed("IKEv2 nonce", "must be 16 to 256 bytes"));
    }
    let transforms: [(u8, u16, Option<u16>); 7] = [
        (1, 12, Some(256)), // ENCR_AES_CBC 256
        (1, 12, Some(128)), // ENCR_AES_CBC 128
        (3, 12, None),      // AUTH_HMAC_SHA2_256_128
        (3, 2, None),       // AUTH_HMAC_SHA1_96
        (2, 5, None),       // PRF_HMAC_SHA2_256
        (2, 2, None),       // PRF_HMAC_SHA1
        (4, 14, None),      // DH group 14, MODP 2048
    ];
    let mut body = Vec::new();
    for (n, (kind, id, key_length)) in transforms.iter().enumerate() {
        body.extend(ikev2_transform(
            n + 1 == transforms.len(),
            *kind,
            *id,
            *key_length,
        ));
    }
    // Proposal: last, reserved, length, number 1, protocol IKE, SPI size 0, transforms.
    let mut proposal = vec![0, 0];
    proposal.extend_from_slice(&((8 + body.len()) as u16).to_be_bytes());
    proposal.extend_from_slice(&[1, 1, 0, transforms.len() as u8]);
    proposal.extend_from_slice(&body);

    let mut message = header(
        initiator_spi,
        payload::SA,
        0x20,
        exchange::IKE_SA_INIT,
        flag::INITIATOR,
    );
    push_payload(&mut message, payload::KE, &proposal)?;
    let mut ke = 14u16.to_be_bytes().to_vec();
    ke.extend_from_slice(&[0, 0]);
    ke.extend_from_slice(ke_data);
    push_payload(&mut message, payload::NONCE, &ke)?;
    push_payload(&mut message, 0, nonce)?;
    finish(message)
}

/// Wraps an IKE message for UDP 4500: the non-ESP marker, then the message.
pub fn nat_t(message: &[u8]) -> Vec<u8> {
    let mut wrapped = NON_ESP_MARKER.to_vec();
    wrapped.extend_from_slice(message);
    wrapped
}

/// A notify payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// Notify message type.
    pub kind: u16,
    /// Notification data (the first [`NOTIFY_DATA_KEPT`] bytes).
    pub data: Vec<u8>,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// True when the message came behind the non-ESP marker (UDP 4500).
    pub nat_t_marker: bool,
    /// Initiator SPI: ours, in a genuine reply.
    pub initiator_spi: [u8; 8],
    /// Responder SPI (zero in some error notifications).
    pub responder_spi: [u8; 8],
    /// Major version: 1 for IKEv1/ISAKMP, 2 for IKEv2.
    pub major_version: u8,
    /// Minor version.
    pub minor_version: u8,
    /// Exchange type, see [`exchange`].
    pub exchange: u8,
    /// Header flags.
    pub flags: u8,
    /// Message id.
    pub message_id: u32,
    /// Payload types in chain order.
    pub payloads: Vec<u8>,
    /// Notify payloads.
    pub notifies: Vec<Notify>,
    /// Number of vendor id payloads.
    pub vendor_ids: usize,
}

fn be16(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

/// Reads a notify body: (v1: DOI), protocol, SPI size, type, SPI, data.
fn parse_notify(body: &[u8], ikev1: bool) -> Result<Notify> {
    let at = if ikev1 { 4 } else { 0 };
    let spi_size = usize::from(*body.get(at + 1).ok_or(Error::truncated(
        "IKE notify",
        at + 4,
        body.len(),
    ))?);
    crate::error::need(body, at + 4 + spi_size, "IKE notify")?;
    let data = body.get(at + 4 + spi_size..).unwrap_or_default();
    Ok(Notify {
        kind: be16(body, at + 2),
        data: data.get(..NOTIFY_DATA_KEPT).unwrap_or(data).to_vec(),
    })
}

/// Declared message length of a header starting at `at`, if there is one.
fn declared_length(bytes: &[u8], at: usize) -> Option<usize> {
    let field = bytes.get(at + 24..at + 28)?;
    Some(u32::from_be_bytes([field[0], field[1], field[2], field[3]]) as usize)
}

/// Tells whether `bytes` start with the non-ESP marker. An initiator SPI is never zero
/// (RFC 7296 section 3.1), so four zero bytes normally mean the marker; when both readings
/// are possible, the one whose length field matches the datagram wins.
fn split_marker(bytes: &[u8]) -> (bool, &[u8]) {
    match bytes.strip_prefix(&NON_ESP_MARKER) {
        Some(rest)
            if declared_length(bytes, 0) != Some(bytes.len())
                || declared_length(bytes, 4) == Some(rest.len()) =>
        {
            (true, rest)
        }
        _ => (false, bytes),
    }
}

/// Parses an ISAKMP/IKE message, with or without the non-ESP marker.
pub fn parse_reply(bytes: &[u8]) -> Result<Reply> {
    let (nat_t_marker, message) = split_marker(bytes);
    let head: &[u8; HEADER_LEN] =
        message
            .first_chunk()
            .ok_or(Error::truncated("IKE header", HEADER_LEN, message.len()))?;
    let major_version = head[17] >> 4;
    if !(1..=2).contains(&major_version) {
        return Err(Error::malformed(
            "IKE header",
            "major version is neither 1 nor 2",
        ));
    }
    let length = u32::from_be_bytes([head[24], head[25], head[26], head[27]]) as usize;
    if length < HEADER_LEN {
        return Err(Error::malformed("IKE length", "shorter than the header"));
    }
    let message = slice(message, 0..length, "IKE message")?;
    let ikev1 = major_version == 1;
    let mut reply = Reply {
        nat_t_marker,
        initiator_spi: *head.first_chunk::<8>().unwrap_or(&[0; 8]),
        responder_spi: head
            .get(8..16)
            .and_then(|s| s.first_chunk::<8>())
            .copied()
            .unwrap_or_default(),
        major_version,
        minor_version: head[17] & 0x0f,
        exchange: head[18],
        flags: head[19],
        message_id: u32::from_be_bytes([head[20], head[21], head[22], head[23]]),
        payloads: Vec::new(),
        notifies: Vec::new(),
        vendor_ids: 0,
    };
    // An encrypted IKEv1 body cannot be walked without the keys.
    if ikev1 && reply.flags & flag::ENCRYPTED_V1 != 0 {
        return Ok(reply);
    }
    let mut next = head[16];
    let mut at = HEADER_LEN;
    while next != 0 {
        check_room(&reply.payloads, MAX_PAYLOADS, "IKE payloads")?;
        let kind = next;
        crate::error::need(message, at + 4, "IKE payload header")?;
        next = message.get(at).copied().unwrap_or_default();
        let len = usize::from(be16(message, at + 2));
        if len < 4 {
            return Err(Error::malformed("IKE payload", "length below 4"));
        }
        let body = slice(message, at + 4..at + len, "IKE payload")?;
        reply.payloads.push(kind);
        match kind {
            payload::NOTIFY_V1 | payload::NOTIFY => {
                reply.notifies.push(parse_notify(body, ikev1)?);
            }
            payload::VENDOR_ID_V1 | payload::VENDOR_ID => reply.vendor_ids += 1,
            // The rest of the chain is inside the encrypted payload.
            payload::ENCRYPTED | payload::ENCRYPTED_FRAGMENT => break,
            _ => {}
        }
        at += len;
    }
    Ok(reply)
}

/// Parses a reply and checks that it answers our initiator SPI.
pub fn parse_reply_to(bytes: &[u8], initiator_spi: [u8; 8]) -> Result<Reply> {
    answering(
        parse_reply(bytes)?,
        |reply| reply.matches(initiator_spi),
        "IKE reply carries another initiator SPI",
    )
}

/// Short name of a payload type for the evidence line.
fn payload_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        1 | 33 => "SA",
        4 | 34 => "KE",
        5 => "ID",
        6 | 37 => "CERT",
        7 | 38 => "CERTREQ",
        8 => "HASH",
        10 | 40 => "Nonce",
        12 | 42 => "D",
        20 => "NAT-D",
        39 => "AUTH",
        46 => "SK",
        53 => "SKF",
        _ => return None,
    })
}

impl Reply {
    /// True when this reply carries our initiator SPI and comes from a responder (see
    /// [`Reply::is_response`]): our own request reflected back carries our SPI too.
    pub fn matches(&self, initiator_spi: [u8; 8]) -> bool {
        self.initiator_spi == initiator_spi && self.is_response()
    }

    /// True for IKEv2 messages with the response flag (RFC 7296 section 3.1), and for
    /// IKEv1 messages from the responder. IKEv1 has no such flag; an initiator's first
    /// message is told by its zero responder cookie and leading SA payload (RFC 2408
    /// section 3.1: the responder sets its cookie in every answer that proposes an SA).
    pub fn is_response(&self) -> bool {
        if self.major_version == 1 {
            let opens_an_exchange =
                self.responder_spi == [0; 8] && self.payloads.first() == Some(&payload::SA_V1);
            !opens_an_exchange
        } else {
            self.flags & flag::RESPONSE != 0
        }
    }

    /// The notify of type `kind`, if present.
    pub fn notify(&self, kind: u16) -> Option<&Notify> {
        self.notifies.iter().find(|n| n.kind == kind)
    }

    /// The DH group an `INVALID_KE_PAYLOAD` notify asks for.
    pub fn wanted_group(&self) -> Option<u16> {
        let data = &self.notify(notify::INVALID_KE_PAYLOAD)?.data;
        data.first_chunk::<2>().map(|b| u16::from_be_bytes(*b))
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ikev1 = self.major_version == 1;
        write!(f, "IKEv{}", self.major_version)?;
        if self.nat_t_marker {
            f.write_str(" (NAT-T)")?;
        }
        match exchange_name(self.exchange) {
            Some(name) => write!(f, " {name}")?,
            None => write!(f, " exchange {}", self.exchange)?,
        }
        let names: Vec<&str> = self
            .payloads
            .iter()
            .filter_map(|&kind| payload_name(kind))
            .collect();
        if !names.is_empty() {
            write!(f, ": {}", names.join(" "))?;
        }
        for (n, notify) in self.notifies.iter().take(3).enumerate() {
            f.write_str(if n == 0 { ", notify " } else { " " })?;
            match notify_name(notify.kind, ikev1) {
                Some(name) => f.write_str(name)?,
                None => write!(f, "{}", notify.kind)?,
            }
            if notify.kind == notify::INVALID_KE_PAYLOAD
                && !ikev1
                && let Some(group) = self.wanted_group()
            {
                write!(f, "(group {group})")?;
            }
        }
        if self.notifies.len() > 3 {
            write!(f, " +{}", self.notifies.len() - 3)?;
        }
        if self.vendor_ids > 0 {
            let plural = if self.vendor_ids == 1 { "" } else { "s" };
            write!(f, ", {} vendor ID{plural}", self.vendor_ids)?;
        }
        Ok(())
    }
}

/// Emits the answer a responder gives an IKE request whose proposals it cannot accept: an
/// unencrypted notification NO_PROPOSAL_CHOSEN carrying the request's initiator SPI, with a
/// responder SPI of `responder_spi` (IKEv1: an Informational exchange; IKEv2: the
/// IKE_SA_INIT response, RFC 7296 section 2.21.1). With the NAT-T marker when the request
/// had it. 40 bytes (44 with the marker), shorter than any proposal.
pub fn emit_no_proposal_chosen(request: &[u8], responder_spi: [u8; 8]) -> Result<Vec<u8>> {
    let (marker, message) = split_marker(request);
    let head: &[u8; HEADER_LEN] =
        message
            .first_chunk()
            .ok_or(Error::truncated("IKE header", HEADER_LEN, message.len()))?;
    let major_version = head[17] >> 4;
    let ikev1 = match major_version {
        1 => true,
        2 => false,
        _ => {
            return Err(Error::malformed(
                "IKE header",
                "major version is neither 1 nor 2",
            ));
        }
    };
    let (notify_payload, exchange, flags, message_id) = if ikev1 {
        (payload::NOTIFY_V1, exchange::INFORMATIONAL_V1, 0, 0)
    } else {
        let id = u32::from_be_bytes([head[20], head[21], head[22], head[23]]);
        (payload::NOTIFY, head[18], flag::RESPONSE, id)
    };
    Reply {
        nat_t_marker: marker,
        initiator_spi: *head.first_chunk::<8>().unwrap_or(&[0; 8]),
        responder_spi,
        major_version,
        minor_version: head[17] & 0x0f,
        exchange,
        flags,
        message_id,
        payloads: vec![notify_payload],
        notifies: vec![Notify {
            kind: notify::NO_PROPOSAL_CHOSEN,
            data: Vec::new(),
        }],
        vendor_ids: 0,
    }
    .emit()
}

impl Reply {
    /// Encodes the message, the inverse of [`parse_reply`]: the header, then the payload
    /// chain in order; a notify payload carries its type and data (IKEv1: DOI 1, IPsec;
    /// protocol 1, ISAKMP/IKE; no SPI), every other payload an empty body. Refuses what
    /// would read back differently: a version outside 1.0..=2.15, payload type 0 (the end
    /// of the chain), notifies or vendor ids that do not match the payload types, an
    /// encrypted payload before the end of the chain, payloads behind the IKEv1 encryption
    /// flag, notify data over [`NOTIFY_DATA_KEPT`] bytes, more than [`MAX_PAYLOADS`].
    pub fn emit(&self) -> Result<Vec<u8>> {
        let bad = |why| Error::malformed("IKE message", why);
        if !(1..=2).contains(&self.major_version) || self.minor_version > 0x0f {
            return Err(bad("version outside 1.0 to 2.15"));
        }
        let ikev1 = self.major_version == 1;
        if self.payloads.len() > MAX_PAYLOADS {
            return Err(Error::too_large(
                "IKE payloads",
                self.payloads.len(),
                MAX_PAYLOADS,
            ));
        }
        if ikev1 && self.flags & flag::ENCRYPTED_V1 != 0 && !self.payloads.is_empty() {
            return Err(bad("payloads behind the IKEv1 encryption flag"));
        }
        let is_notify = |kind: &u8| matches!(*kind, payload::NOTIFY_V1 | payload::NOTIFY);
        let is_vendor = |kind: &u8| matches!(*kind, payload::VENDOR_ID_V1 | payload::VENDOR_ID);
        if self.payloads.iter().filter(|k| is_notify(k)).count() != self.notifies.len()
            || self.payloads.iter().filter(|k| is_vendor(k)).count() != self.vendor_ids
        {
            return Err(bad("notifies or vendor ids do not match the payload types"));
        }
        let encrypted =
            |kind: &u8| matches!(*kind, payload::ENCRYPTED | payload::ENCRYPTED_FRAGMENT);
        let last = self.payloads.len().saturating_sub(1);
        if self
            .payloads
            .iter()
            .enumerate()
            .any(|(at, kind)| *kind == 0 || (encrypted(kind) && at != last))
        {
            return Err(bad(
                "payload type 0, or an encrypted payload before the end",
            ));
        }
        let mut notifies = self.notifies.iter();
        let mut body = Vec::new();
        for (at, &kind) in self.payloads.iter().enumerate() {
            let mut contents = Vec::new();
            if is_notify(&kind) {
                let notify = notifies
                    .next()
                    .ok_or(bad("fewer notifies than notify payloads"))?;
                if notify.data.len() > NOTIFY_DATA_KEPT {
                    return Err(Error::too_large(
                        "IKE notify data",
                        notify.data.len(),
                        NOTIFY_DATA_KEPT,
                    ));
                }
                if ikev1 {
                    contents.extend_from_slice(&1u32.to_be_bytes()); // DOI: IPsec
                }
                contents.extend_from_slice(&[1, 0]); // protocol ISAKMP/IKE, no SPI
                contents.extend_from_slice(&notify.kind.to_be_bytes());
                contents.extend_from_slice(&notify.data);
            }
            let next = self.payloads.get(at + 1).copied().unwrap_or(0);
            body.extend_from_slice(&[next, 0]);
            body.extend_from_slice(&((4 + contents.len()) as u16).to_be_bytes());
            body.extend_from_slice(&contents);
        }
        let total = HEADER_LEN + body.len();
        let mut out = Vec::with_capacity(total + NON_ESP_MARKER.len());
        if self.nat_t_marker {
            out.extend_from_slice(&NON_ESP_MARKER);
        }
        out.extend_from_slice(&self.initiator_spi);
        out.extend_from_slice(&self.responder_spi);
        let first = self.payloads.first().copied().unwrap_or(0);
        let version = (self.major_version << 4) | self.minor_version;
        out.extend_from_slice(&[first, version, self.exchange, self.flags]);
        out.extend_from_slice(&self.message_id.to_be_bytes());
        out.extend_from_slice(&(total as u32).to_be_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SPI_V1: [u8; 8] = *b"portola1";
    const SPI_V2: [u8; 8] = *b"portola2";
    const SPI_V2_NAT_T: [u8; 8] = *b"portola3";
    const MAIN_MODE: &[u8] = include_bytes!("../tests/fixtures/isakmp/request-ikev1-main-mode.bin");
    const SA_INIT: &[u8] = include_bytes!("../tests/fixtures/isakmp/request-ikev2-sa-init.bin");
    const SWAN_MM: &[u8] =
        include_bytes!("../tests/fixtures/isakmp/strongswan-5.9.8-ikev1-main-mode.bin");
    const SWAN_SA_INIT: &[u8] =
        include_bytes!("../tests/fixtures/isakmp/strongswan-5.9.8-ikev2-sa-init.bin");
    const SWAN_NAT_T: &[u8] =
        include_bytes!("../tests/fixtures/isakmp/strongswan-5.9.8-ikev2-sa-init-nat-t.bin");
    const SWAN_INVALID_KE: &[u8] =
        include_bytes!("../tests/fixtures/isakmp/strongswan-5.9.8-ikev2-invalid-ke.bin");

    fn ke_data() -> [u8; MODP2048_KE_LEN] {
        core::array::from_fn(|i| (i as u8).wrapping_mul(7).wrapping_add(1))
    }

    #[test]
    fn requests_are_what_was_sent() {
        assert_eq!(ikev1_main_mode(SPI_V1).unwrap(), MAIN_MODE);
        assert_eq!(
            ikev2_sa_init(SPI_V2, &ke_data(), &[0x4e; 32]).unwrap(),
            SA_INIT
        );
        // Our own requests parse: the chain is well formed.
        let v1 = parse_reply(MAIN_MODE).unwrap();
        assert_eq!(v1.payloads, [payload::SA_V1]);
        assert!(!v1.is_response());
        let v2 = parse_reply(SA_INIT).unwrap();
        assert_eq!(v2.payloads, [payload::SA, payload::KE, payload::NONCE]);
        assert!(!v2.is_response());
        // Reflected back, our own requests carry our SPI but answer nothing.
        assert!(matches!(
            parse_reply_to(MAIN_MODE, SPI_V1),
            Err(Error::Unexpected(_))
        ));
        assert!(matches!(
            parse_reply_to(SA_INIT, SPI_V2),
            Err(Error::Unexpected(_))
        ));
        assert!(ikev2_sa_init(SPI_V2, &ke_data(), &[0; 8]).is_err());
    }

    #[test]
    fn strongswan_main_mode() {
        let reply = parse_reply_to(SWAN_MM, SPI_V1).unwrap();
        assert_eq!(reply.major_version, 1);
        assert_eq!(reply.exchange, exchange::IDENTITY_PROTECTION);
        assert_eq!(reply.payloads.first(), Some(&payload::SA_V1));
        assert_ne!(reply.responder_spi, [0; 8]);
        assert!(reply.vendor_ids > 0);
        // The two vendor ids are XAUTH and Dead Peer Detection, as ike-scan -M shows.
        assert_eq!(reply.vendor_ids, 2);
        assert_eq!(reply.to_string(), "IKEv1 Main Mode: SA, 2 vendor IDs");
    }

    #[test]
    fn strongswan_sa_init() {
        let reply = parse_reply_to(SWAN_SA_INIT, SPI_V2).unwrap();
        assert_eq!(reply.major_version, 2);
        assert!(reply.is_response());
        assert_eq!(
            &reply.payloads[..3],
            &[payload::SA, payload::KE, payload::NONCE]
        );
        assert_eq!(
            reply.to_string(),
            "IKEv2 IKE_SA_INIT: SA KE Nonce, notify CHILDLESS_IKEV2_SUPPORTED \
             MULTIPLE_AUTH_SUPPORTED"
        );
    }

    #[test]
    fn strongswan_over_nat_t() {
        let reply = parse_reply_to(SWAN_NAT_T, SPI_V2_NAT_T).unwrap();
        assert!(reply.nat_t_marker);
        assert_eq!(reply.exchange, exchange::IKE_SA_INIT);
        assert!(reply.to_string().starts_with("IKEv2 (NAT-T) IKE_SA_INIT"));
        assert_eq!(nat_t(b"x"), b"\0\0\0\0x");
    }

    #[test]
    fn strongswan_invalid_ke_is_still_an_answer() {
        let reply = parse_reply(SWAN_INVALID_KE).unwrap();
        assert!(reply.matches(*b"portola4"));
        assert_eq!(reply.payloads, [payload::NOTIFY]);
        assert_eq!(reply.wanted_group(), Some(14));
        assert_eq!(
            reply.to_string(),
            "IKEv2 IKE_SA_INIT, notify INVALID_KE_PAYLOAD(group 14)"
        );
    }

    #[test]
    fn other_spi_and_malformed_input() {
        assert!(matches!(
            parse_reply_to(SWAN_SA_INIT, SPI_V1),
            Err(Error::Unexpected(_))
        ));
        assert!(parse_reply(&[0xff]).is_err());
        for cut in 0..SWAN_SA_INIT.len() {
            assert!(parse_reply(&SWAN_SA_INIT[..cut]).is_err());
        }
        let mut bad_version = SWAN_SA_INIT.to_vec();
        bad_version[17] = 0x30;
        assert!(parse_reply(&bad_version).is_err());
        let mut zero_payload = SWAN_SA_INIT.to_vec();
        zero_payload[30..32].copy_from_slice(&[0, 0]);
        assert!(parse_reply(&zero_payload).is_err());
    }

    #[test]
    fn notify_names() {
        assert_eq!(notify_name(16390, false), Some("COOKIE"));
        assert_eq!(notify_name(14, false), Some("NO_PROPOSAL_CHOSEN"));
        assert_eq!(notify_name(14, true), Some("NO-PROPOSAL-CHOSEN"));
        assert_eq!(notify_name(60000, false), None);
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(reply) = parse_reply(&bytes) {
                prop_assert!(reply.to_string().bytes().all(|b| (0x20..=0x7e).contains(&b)));
                prop_assert!(reply.payloads.len() <= MAX_PAYLOADS);
            }
        }

        #[test]
        fn requests_round_trip(spi in any::<[u8; 8]>().prop_filter("non-zero", |s| *s != [0; 8]), nonce in proptest::collection::vec(any::<u8>(), 16..=256), marker in any::<bool>()) {
            let v2 = ikev2_sa_init(spi, &ke_data(), &nonce).unwrap();
            let v1 = ikev1_main_mode(spi).unwrap();
            for (message, version) in [(v2, 2), (v1, 1)] {
                let sent = if marker { nat_t(&message) } else { message };
                let parsed = parse_reply(&sent).unwrap();
                prop_assert_eq!(parsed.initiator_spi, spi);
                prop_assert!(parse_reply_to(&sent, spi).is_err(), "a reflected request is no answer");
                prop_assert_eq!(parsed.major_version, version);
                prop_assert_eq!(parsed.nat_t_marker, marker);
                prop_assert!(parsed.notifies.is_empty());
            }
        }
    }

    #[test]
    fn an_emitted_refusal_answers_the_request() {
        let spi = [9, 8, 7, 6, 5, 4, 3, 2];
        for request in [
            ikev1_main_mode(spi).unwrap(),
            nat_t(&ikev1_main_mode(spi).unwrap()),
        ] {
            let reply = emit_no_proposal_chosen(&request, [1; 8]).unwrap();
            assert!(reply.len() < request.len());
            let parsed = parse_reply_to(&reply, spi).unwrap();
            assert!(parsed.notify(notify::NO_PROPOSAL_CHOSEN).is_some());
            assert_eq!(parsed.nat_t_marker, request.starts_with(&NON_ESP_MARKER));
        }
        assert!(emit_no_proposal_chosen(&[0; 10], [1; 8]).is_err());
    }
}
