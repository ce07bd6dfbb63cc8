//! RADIUS authentication (RFC 2865, UDP 1812 and the old 1645) and accounting (RFC 2866,
//! UDP 1813 and the old 1646), with Message-Authenticator (RFC 3579 section 3.2).
//!
//! Builders:
//! * [`access_request`]: User-Name, User-Password hidden with the shared secret and the
//!   caller's 16-byte request authenticator (RFC 2865 section 5.2), NAS-Identifier, and a
//!   Message-Authenticator (HMAC-MD5 over the packet) placed first, as the 2024
//!   "Blast-RADIUS" advisories recommend against forged replies.
//! * [`accounting_request`]: Acct-Status-Type, Acct-Session-Id, NAS-Identifier and an
//!   optional User-Name; its authenticator is MD5 over the packet and the secret (RFC 2866
//!   section 3).
//!
//! [`parse_response`] reads Access-Accept, Access-Reject, Access-Challenge and
//! Accounting-Response, refuses another identifier, and, when the caller knows the secret,
//! checks the response authenticator (MD5 over code, identifier, length, the request
//! authenticator, the attributes and the secret) and any Message-Authenticator. A mismatch
//! is not an error: the answer still proves a RADIUS server, it only says the secret is
//! wrong, so it is reported in [`Response::authenticator`].
//!
//! What a server does with a wrong secret matters to the checker: FreeRADIUS drops a
//! request whose Message-Authenticator or accounting authenticator does not verify, with no
//! answer at all, but answers a plain Access-Request (no Message-Authenticator) with an
//! Access-Reject signed with its own secret. A check that does not know the secret should
//! therefore send [`AccessRequest::message_authenticator`] off; see
//! `tests/fixtures/radius/README.md` for what the lab's server did. (Servers hardened
//! against Blast-RADIUS may demand the attribute and drop such a request instead.)

use core::fmt;

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};

use crate::error::slice;
use crate::simple::Escaped;
use crate::{Error, Result};

/// Length of the header: code, identifier, length, authenticator.
pub const HEADER_LEN: usize = 20;
/// Largest RADIUS packet (RFC 2865 section 3).
pub const MAX_PACKET: usize = 4096;
/// Longest password that can be hidden (RFC 2865 section 5.2).
pub const MAX_PASSWORD: usize = 128;

/// Packet codes (RFC 2865 section 3, RFC 2866 section 3).
pub mod code {
    /// Access-Request.
    pub const ACCESS_REQUEST: u8 = 1;
    /// Access-Accept.
    pub const ACCESS_ACCEPT: u8 = 2;
    /// Access-Reject.
    pub const ACCESS_REJECT: u8 = 3;
    /// Accounting-Request.
    pub const ACCOUNTING_REQUEST: u8 = 4;
    /// Accounting-Response.
    pub const ACCOUNTING_RESPONSE: u8 = 5;
    /// Access-Challenge.
    pub const ACCESS_CHALLENGE: u8 = 11;
    /// Status-Server (RFC 5997).
    pub const STATUS_SERVER: u8 = 12;
}

/// Attribute types used here.
pub mod attribute {
    /// User-Name.
    pub const USER_NAME: u8 = 1;
    /// User-Password.
    pub const USER_PASSWORD: u8 = 2;
    /// Reply-Message.
    pub const REPLY_MESSAGE: u8 = 18;
    /// State.
    pub const STATE: u8 = 24;
    /// NAS-Identifier.
    pub const NAS_IDENTIFIER: u8 = 32;
    /// Acct-Status-Type.
    pub const ACCT_STATUS_TYPE: u8 = 40;
    /// Acct-Session-Id.
    pub const ACCT_SESSION_ID: u8 = 44;
    /// Message-Authenticator.
    pub const MESSAGE_AUTHENTICATOR: u8 = 80;
}

/// Acct-Status-Type values (RFC 2866 section 5.1).
pub mod status_type {
    /// Start of a session.
    pub const START: u32 = 1;
    /// End of a session.
    pub const STOP: u32 = 2;
    /// Interim update.
    pub const INTERIM_UPDATE: u32 = 3;
    /// The NAS starts accounting.
    pub const ACCOUNTING_ON: u32 = 7;
    /// The NAS stops accounting.
    pub const ACCOUNTING_OFF: u32 = 8;
}

fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn hmac_md5(key: &[u8], data: &[u8]) -> [u8; 16] {
    // HMAC takes a key of any length, so this cannot fail; a zero tag would only mismatch.
    match <Hmac<Md5> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 16],
    }
}

fn push_attribute(packet: &mut Vec<u8>, kind: u8, value: &[u8], what: &'static str) -> Result<()> {
    if value.is_empty() || value.len() > 253 {
        return Err(Error::malformed(
            what,
            "attribute value must be 1 to 253 bytes",
        ));
    }
    packet.push(kind);
    packet.push((value.len() + 2) as u8);
    packet.extend_from_slice(value);
    Ok(())
}

fn set_length(packet: &mut [u8]) -> Result<()> {
    let len = u16::try_from(packet.len())
        .ok()
        .filter(|&l| usize::from(l) <= MAX_PACKET)
        .ok_or(Error::too_large("RADIUS packet", packet.len(), MAX_PACKET))?;
    if let Some(field) = packet.get_mut(2..4) {
        field.copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

/// Hides a password as RFC 2865 section 5.2 describes: NUL-padded to 16-byte blocks, each
/// block XORed with MD5(secret + previous ciphertext block), the first with the request
/// authenticator in place of a previous block.
pub fn hide_password(password: &[u8], secret: &[u8], authenticator: &[u8; 16]) -> Result<Vec<u8>> {
    if password.len() > MAX_PASSWORD {
        return Err(Error::too_large(
            "RADIUS password",
            password.len(),
            MAX_PASSWORD,
        ));
    }
    let blocks = password.len().div_ceil(16).max(1);
    let mut hidden = password.to_vec();
    hidden.resize(blocks * 16, 0);
    let mut previous = *authenticator;
    for block in hidden.chunks_exact_mut(16) {
        let key = md5(&[secret, &previous]);
        for (byte, k) in block.iter_mut().zip(key) {
            *byte ^= k;
        }
        previous.copy_from_slice(block);
    }
    Ok(hidden)
}

/// Recovers a password hidden by [`hide_password`] (trailing NUL padding removed).
pub fn reveal_password(hidden: &[u8], secret: &[u8], authenticator: &[u8; 16]) -> Vec<u8> {
    let mut plain = Vec::with_capacity(hidden.len());
    let mut previous = *authenticator;
    for block in hidden.chunks_exact(16) {
        let key = md5(&[secret, &previous]);
        plain.extend(block.iter().zip(key).map(|(b, k)| b ^ k));
        previous.copy_from_slice(block);
    }
    while plain.last() == Some(&0) {
        plain.pop();
    }
    plain
}

/// What an Access-Request carries.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// Identifier, echoed by the response.
    pub identifier: u8,
    /// Request authenticator: 16 unpredictable bytes from the caller.
    pub authenticator: [u8; 16],
    /// User-Name.
    pub user: &'a str,
    /// Password, hidden in User-Password.
    pub password: &'a str,
    /// Shared secret.
    pub secret: &'a [u8],
    /// NAS-Identifier, naming the probe (RFC 2865 requires it or NAS-IP-Address).
    pub nas_identifier: &'a str,
    /// Add a Message-Authenticator. Keep it when the secret is known. Without the secret,
    /// leave it out: a server drops a request whose HMAC fails without a word, whereas a
    /// plain request with a wrong secret still gets an Access-Reject (see the module doc).
    pub message_authenticator: bool,
}

/// Builds an Access-Request, with a Message-Authenticator placed first when asked for.
pub fn access_request(request: &AccessRequest<'_>) -> Result<Vec<u8>> {
    let mut packet = vec![code::ACCESS_REQUEST, request.identifier, 0, 0];
    packet.extend_from_slice(&request.authenticator);
    if request.message_authenticator {
        // Zeroed while the HMAC is computed, filled in at the end.
        push_attribute(
            &mut packet,
            attribute::MESSAGE_AUTHENTICATOR,
            &[0; 16],
            "Message-Authenticator",
        )?;
    }
    push_attribute(
        &mut packet,
        attribute::USER_NAME,
        request.user.as_bytes(),
        "User-Name",
    )?;
    let hidden = hide_password(
        request.password.as_bytes(),
        request.secret,
        &request.authenticator,
    )?;
    push_attribute(
        &mut packet,
        attribute::USER_PASSWORD,
        &hidden,
        "User-Password",
    )?;
    finish(&mut packet, request.nas_identifier)?;
    if request.message_authenticator {
        let tag = hmac_md5(request.secret, &packet);
        if let Some(field) = packet.get_mut(HEADER_LEN + 2..HEADER_LEN + 18) {
            field.copy_from_slice(&tag);
        }
    }
    Ok(packet)
}

/// Ends a request: NAS-Identifier, the last attribute of every request here, then the length.
fn finish(packet: &mut Vec<u8>, nas_identifier: &str) -> Result<()> {
    push_attribute(
        packet,
        attribute::NAS_IDENTIFIER,
        nas_identifier.as_bytes(),
        "NAS-Identifier",
    )?;
    set_length(packet)
}

/// What an Accounting-Request carries.
#[derive(Debug, Clone, Copy)]
pub struct AccountingRequest<'a> {
    /// Identifier, echoed by the response.
    pub identifier: u8,
    /// Acct-Status-Type, see [`status_type`].
    pub status_type: u32,
    /// Acct-Session-Id.
    pub session_id: &'a str,
    /// User-Name, if any.
    pub user: Option<&'a str>,
    /// Shared secret.
    pub secret: &'a [u8],
    /// NAS-Identifier, naming the probe.
    pub nas_identifier: &'a str,
}

/// Builds an Accounting-Request; its authenticator is computed from the packet and secret
/// (read it back with [`request_authenticator`] to check the response).
pub fn accounting_request(request: &AccountingRequest<'_>) -> Result<Vec<u8>> {
    let mut packet = vec![code::ACCOUNTING_REQUEST, request.identifier, 0, 0];
    packet.extend_from_slice(&[0; 16]);
    push_attribute(
        &mut packet,
        attribute::ACCT_STATUS_TYPE,
        &request.status_type.to_be_bytes(),
        "Acct-Status-Type",
    )?;
    push_attribute(
        &mut packet,
        attribute::ACCT_SESSION_ID,
        request.session_id.as_bytes(),
        "Acct-Session-Id",
    )?;
    if let Some(user) = request.user {
        push_attribute(
            &mut packet,
            attribute::USER_NAME,
            user.as_bytes(),
            "User-Name",
        )?;
    }
    finish(&mut packet, request.nas_identifier)?;
    let authenticator = md5(&[&packet, request.secret]);
    if let Some(field) = packet.get_mut(4..HEADER_LEN) {
        field.copy_from_slice(&authenticator);
    }
    Ok(packet)
}

/// The identifier and request authenticator of a request we built, to check the answer.
pub fn request_authenticator(request: &[u8]) -> Option<(u8, [u8; 16])> {
    let identifier = *request.get(1)?;
    let authenticator = *request.get(4..HEADER_LEN)?.first_chunk::<16>()?;
    Some((identifier, authenticator))
}

/// Outcome of the authenticator checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authenticator {
    /// No secret was given, nothing was checked.
    NotChecked,
    /// The response authenticator (and the Message-Authenticator, if any) verify.
    Valid,
    /// A check failed: most likely the secret is not the server's.
    Mismatch,
}

/// What the checker needs to match and verify a response.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// Identifier of our request.
    pub identifier: u8,
    /// Authenticator of our request.
    pub request_authenticator: [u8; 16],
    /// The shared secret, when known.
    pub secret: Option<&'a [u8]>,
}

/// A response from a RADIUS server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Packet code, see [`code`].
    pub code: u8,
    /// Identifier, the one of our request.
    pub identifier: u8,
    /// Result of the authenticator checks.
    pub authenticator: Authenticator,
    /// First Reply-Message, if any (at most 253 bytes).
    pub reply_message: Option<Vec<u8>>,
    /// True when a Message-Authenticator attribute is present.
    pub has_message_authenticator: bool,
    /// True when a State attribute is present (a challenge expects it back).
    pub has_state: bool,
    /// Number of attributes.
    pub attributes: usize,
}

/// Name of a packet code.
pub fn code_name(code: u8) -> Option<&'static str> {
    Some(match code {
        code::ACCESS_REQUEST => "Access-Request",
        code::ACCESS_ACCEPT => "Access-Accept",
        code::ACCESS_REJECT => "Access-Reject",
        code::ACCOUNTING_REQUEST => "Accounting-Request",
        code::ACCOUNTING_RESPONSE => "Accounting-Response",
        code::ACCESS_CHALLENGE => "Access-Challenge",
        code::STATUS_SERVER => "Status-Server",
        _ => return None,
    })
}

/// The attributes as `(type, value, offset of the value in the packet)`.
fn attributes(packet: &[u8]) -> Result<Vec<(u8, &[u8], usize)>> {
    let mut found = Vec::new();
    let mut at = HEADER_LEN;
    // Every attribute is at least 2 bytes, so a 4096-byte packet bounds the loop.
    while at < packet.len() {
        let (kind, len) = match packet.get(at..at + 2) {
            Some(&[kind, len]) => (kind, usize::from(len)),
            _ => {
                return Err(Error::truncated("RADIUS attribute", at + 2, packet.len()));
            }
        };
        if len < 2 {
            return Err(Error::malformed("RADIUS attribute", "length below 2"));
        }
        let value = slice(packet, at + 2..at + len, "RADIUS attribute")?;
        found.push((kind, value, at + 2));
        at += len;
    }
    Ok(found)
}

/// Parses a response and checks it against our request; see the module doc.
pub fn parse_response(bytes: &[u8], expected: &Expected<'_>) -> Result<Response> {
    let header: &[u8; HEADER_LEN] =
        bytes
            .first_chunk()
            .ok_or(Error::truncated("RADIUS header", HEADER_LEN, bytes.len()))?;
    let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if !(HEADER_LEN..=MAX_PACKET).contains(&length) {
        return Err(Error::malformed("RADIUS length", "outside 20 to 4096"));
    }
    // Bytes past the length field are padding and ignored (RFC 2865 section 3).
    let packet = slice(bytes, 0..length, "RADIUS packet")?;
    let code = header[0];
    if !matches!(
        code,
        code::ACCESS_ACCEPT
            | code::ACCESS_REJECT
            | code::ACCESS_CHALLENGE
            | code::ACCOUNTING_RESPONSE
    ) {
        return Err(Error::Unexpected("RADIUS packet is not a response"));
    }
    if header[1] != expected.identifier {
        return Err(Error::Unexpected(
            "RADIUS response carries another identifier",
        ));
    }
    let attributes = attributes(packet)?;
    let message_authenticator = attributes
        .iter()
        .find(|(kind, _, _)| *kind == attribute::MESSAGE_AUTHENTICATOR)
        .map(|&(_, value, at)| (value, at));
    let authenticator = match expected.secret {
        None => Authenticator::NotChecked,
        Some(secret) => {
            let response_ok = md5(&[
                &packet[..4],
                &expected.request_authenticator,
                &packet[HEADER_LEN..],
                secret,
            ]) == header[4..HEADER_LEN];
            // RFC 3579 section 3.2: HMAC over the response with the request authenticator
            // in the authenticator field and the Message-Authenticator zeroed.
            let message_ok = message_authenticator.is_none_or(|(value, at)| {
                let mut copy = packet.to_vec();
                copy[4..HEADER_LEN].copy_from_slice(&expected.request_authenticator);
                if let Some(field) = copy.get_mut(at..at + value.len()) {
                    field.fill(0);
                }
                value.len() == 16 && hmac_md5(secret, &copy)[..] == *value
            });
            if response_ok && message_ok {
                Authenticator::Valid
            } else {
                Authenticator::Mismatch
            }
        }
    };
    let reply_message = attributes
        .iter()
        .find(|(kind, _, _)| *kind == attribute::REPLY_MESSAGE)
        .map(|(_, value, _)| value.to_vec());
    Ok(Response {
        code,
        identifier: header[1],
        authenticator,
        reply_message,
        has_message_authenticator: message_authenticator.is_some(),
        has_state: attributes.iter().any(|(k, _, _)| *k == attribute::STATE),
        attributes: attributes.len(),
    })
}

/// The attribute that stands for those a response keeps only in its count: Proxy-State,
/// which a server copies unchanged and a client ignores.
const PROXY_STATE: u8 = 33;

impl Response {
    /// Encodes the response to the request `expected` describes, the inverse of
    /// [`parse_response`]: the first Reply-Message, a Message-Authenticator and a State when
    /// the response has them, then empty Proxy-State attributes up to its attribute count.
    /// A [`Authenticator::Valid`] response carries a correct Response Authenticator and
    /// Message-Authenticator for `expected.secret`, a [`Authenticator::Mismatch`] one wrong
    /// ones, a [`Authenticator::NotChecked`] one zeros. Refuses what would read back
    /// differently: a code that is not a response, another identifier, an outcome the
    /// secret (or its absence) cannot give, a Reply-Message over 253 bytes, fewer
    /// attributes than those kept, a packet over [`MAX_PACKET`].
    pub fn emit(&self, expected: &Expected<'_>) -> Result<Vec<u8>> {
        let bad = |why| Error::malformed("RADIUS response", why);
        if !matches!(
            self.code,
            code::ACCESS_ACCEPT
                | code::ACCESS_REJECT
                | code::ACCESS_CHALLENGE
                | code::ACCOUNTING_RESPONSE
        ) {
            return Err(bad("code is not a response"));
        }
        if self.identifier != expected.identifier {
            return Err(bad("identifier is not the request's"));
        }
        let secret = match (self.authenticator, expected.secret) {
            (Authenticator::NotChecked, None) => None,
            (Authenticator::Valid | Authenticator::Mismatch, Some(secret)) => Some(secret),
            _ => return Err(bad("authenticator outcome does not fit the secret")),
        };
        let kept = usize::from(self.reply_message.is_some())
            + usize::from(self.has_message_authenticator)
            + usize::from(self.has_state);
        let fillers = self
            .attributes
            .checked_sub(kept)
            .ok_or(bad("fewer attributes than those kept"))?;
        let mut packet = vec![self.code, self.identifier, 0, 0];
        packet.extend_from_slice(&[0; 16]);
        if let Some(message) = &self.reply_message {
            let len = u8::try_from(message.len() + 2)
                .map_err(|_| Error::too_large("RADIUS Reply-Message", message.len(), 253))?;
            packet.extend_from_slice(&[attribute::REPLY_MESSAGE, len]);
            packet.extend_from_slice(message);
        }
        let valid = self.authenticator == Authenticator::Valid;
        let message_authenticator = (self.has_message_authenticator).then_some(packet.len() + 2);
        if let Some(at) = message_authenticator {
            // Its 16 bytes only where they can verify; elsewhere an empty one says "present".
            let len = if valid { 16 } else { 0 };
            packet.extend_from_slice(&[attribute::MESSAGE_AUTHENTICATOR, len + 2]);
            packet.resize(at + usize::from(len), 0);
        }
        if self.has_state {
            packet.extend_from_slice(&[attribute::STATE, 2]);
        }
        let total = packet.len() + 2 * fillers;
        if total > MAX_PACKET {
            return Err(Error::too_large("RADIUS packet", total, MAX_PACKET));
        }
        for _ in 0..fillers {
            packet.extend_from_slice(&[PROXY_STATE, 2]);
        }
        packet[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        if let Some(secret) = secret {
            if let (true, Some(at)) = (valid, message_authenticator) {
                // RFC 3579 3.2: over the packet with the request authenticator in place.
                packet[4..HEADER_LEN].copy_from_slice(&expected.request_authenticator);
                let mac = hmac_md5(secret, &packet);
                packet[at..at + 16].copy_from_slice(&mac);
            }
            let mut authenticator = md5(&[
                &packet[..4],
                &expected.request_authenticator,
                &packet[HEADER_LEN..],
                secret,
            ]);
            if !valid {
                authenticator[0] ^= 0xff;
            }
            packet[4..HEADER_LEN].copy_from_slice(&authenticator);
        }
        Ok(packet)
    }

    /// True for Access-Accept.
    pub fn is_accept(&self) -> bool {
        self.code == code::ACCESS_ACCEPT
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match code_name(self.code) {
            Some(name) => write!(f, "RADIUS: {name}")?,
            None => write!(f, "RADIUS: code {}", self.code)?,
        }
        write!(f, " id {}", self.identifier)?;
        match self.authenticator {
            Authenticator::NotChecked => {}
            Authenticator::Valid => f.write_str(", authenticator ok")?,
            Authenticator::Mismatch => f.write_str(", authenticator mismatch: wrong secret?")?,
        }
        if let Some(message) = &self.reply_message {
            write!(f, ", \"{}\"", Escaped::new(message, 48))?;
        }
        Ok(())
    }
}

/// Emits the answer a server gives a request it turns down: Access-Reject to an
/// Access-Request, Accounting-Response to an Accounting-Request (RFC 2866 has no refusal;
/// the response acknowledges the record). No attributes: 20 bytes, never longer than the
/// request. The Response Authenticator is MD5(code, identifier, length, request
/// authenticator, secret) (RFC 2865 section 3), so a client with `secret` can verify it.
pub fn emit_refusal(request: &[u8], secret: &[u8]) -> Result<[u8; HEADER_LEN]> {
    let header: &[u8; HEADER_LEN] = request.first_chunk().ok_or(Error::truncated(
        "RADIUS header",
        HEADER_LEN,
        request.len(),
    ))?;
    let code = match header[0] {
        code::ACCESS_REQUEST => code::ACCESS_REJECT,
        code::ACCOUNTING_REQUEST => code::ACCOUNTING_RESPONSE,
        _ => return Err(Error::Unexpected("RADIUS packet is not a request")),
    };
    let expected = Expected {
        identifier: header[1],
        request_authenticator: *header[4..HEADER_LEN].first_chunk().unwrap_or(&[0; 16]),
        secret: Some(secret),
    };
    let reply = Response {
        code,
        identifier: header[1],
        authenticator: Authenticator::Valid,
        reply_message: None,
        has_message_authenticator: false,
        has_state: false,
        attributes: 0,
    }
    .emit(&expected)?;
    reply
        .as_slice()
        .try_into()
        .map_err(|_| Error::malformed("RADIUS refusal", "not a bare header"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"testing123";
    const AUTH: [u8; 16] = *b"portolan-auth-01";
    const REQUEST_OK: &[u8] = include_bytes!("../tests/fixtures/radius/request-access-labuser.bin");
    const ACCEPT: &[u8] =
        include_bytes!("../tests/fixtures/radius/freeradius-3.2-access-accept.bin");
    const REJECT: &[u8] =
        include_bytes!("../tests/fixtures/radius/freeradius-3.2-access-reject.bin");
    const ACCT_REQUEST: &[u8] =
        include_bytes!("../tests/fixtures/radius/request-accounting-start.bin");
    const ACCT_RESPONSE: &[u8] =
        include_bytes!("../tests/fixtures/radius/freeradius-3.2-accounting-response.bin");

    fn lab_request(identifier: u8, password: &'static str) -> AccessRequest<'static> {
        AccessRequest {
            identifier,
            authenticator: AUTH,
            user: "labuser",
            password,
            secret: SECRET,
            nas_identifier: "portolan",
            message_authenticator: true,
        }
    }

    fn lab_accounting() -> AccountingRequest<'static> {
        AccountingRequest {
            identifier: 3,
            status_type: status_type::START,
            session_id: "portolan-probe-0001",
            user: Some("labuser"),
            secret: SECRET,
            nas_identifier: "portolan",
        }
    }

    fn expect(identifier: u8, secret: Option<&'static [u8]>) -> Expected<'static> {
        Expected {
            identifier,
            request_authenticator: AUTH,
            secret,
        }
    }

    #[test]
    fn requests_are_what_was_sent() {
        assert_eq!(
            access_request(&lab_request(1, "labpass")).unwrap(),
            REQUEST_OK
        );
        assert_eq!(accounting_request(&lab_accounting()).unwrap(), ACCT_REQUEST);
    }

    #[test]
    fn request_without_message_authenticator() {
        // The request that drew the wrong-secret reject: secret "wrong-secret", no HMAC.
        let request = AccessRequest {
            identifier: 5,
            secret: b"wrong-secret",
            message_authenticator: false,
            ..lab_request(5, "labpass")
        };
        let bytes = access_request(&request).unwrap();
        assert_eq!(
            bytes,
            include_bytes!("../tests/fixtures/radius/request-access-wrong-secret-no-ma.bin")
        );
        assert_eq!(bytes.len(), REQUEST_OK.len() - 18);
        assert_eq!(bytes[HEADER_LEN], attribute::USER_NAME);
    }

    #[test]
    fn password_hiding_round_trips() {
        let hidden = hide_password(b"labpass", SECRET, &AUTH).unwrap();
        assert_eq!(hidden.len(), 16);
        assert_eq!(reveal_password(&hidden, SECRET, &AUTH), b"labpass");
        let long = hide_password(&[b'x'; 40], SECRET, &AUTH).unwrap();
        assert_eq!(long.len(), 48);
        assert!(hide_password(&[b'x'; 129], SECRET, &AUTH).is_err());
    }

    #[test]
    fn freeradius_accepts_labuser() {
        let response = parse_response(ACCEPT, &expect(1, Some(SECRET))).unwrap();
        assert!(response.is_accept());
        assert_eq!(response.authenticator, Authenticator::Valid);
        // FreeRADIUS 3.2 answers with a bare 20-byte packet: no attributes at all.
        assert!(!response.has_message_authenticator);
        assert_eq!(response.attributes, 0);
        assert_eq!(
            response.to_string(),
            "RADIUS: Access-Accept id 1, authenticator ok"
        );
    }

    #[test]
    fn freeradius_rejects_a_wrong_password() {
        let response = parse_response(REJECT, &expect(2, Some(SECRET))).unwrap();
        assert_eq!(response.code, code::ACCESS_REJECT);
        assert_eq!(response.authenticator, Authenticator::Valid);
    }

    #[test]
    fn wrong_secret_is_reported_not_fatal() {
        let response = parse_response(ACCEPT, &expect(1, Some(b"not-the-secret"))).unwrap();
        assert_eq!(response.authenticator, Authenticator::Mismatch);
        assert_eq!(
            response.to_string(),
            "RADIUS: Access-Accept id 1, authenticator mismatch: wrong secret?"
        );
        let unchecked = parse_response(ACCEPT, &expect(1, None)).unwrap();
        assert_eq!(unchecked.authenticator, Authenticator::NotChecked);
    }

    #[test]
    fn freeradius_signs_a_reject_with_its_own_secret() {
        // Request 5 was sent with the secret "wrong-secret" and no Message-Authenticator:
        // the server rejected it and signed the reject with its real secret.
        let reject = include_bytes!(
            "../tests/fixtures/radius/freeradius-3.2-access-reject-wrong-secret-no-ma.bin"
        );
        let ours = parse_response(reject, &expect(5, Some(b"wrong-secret"))).unwrap();
        assert_eq!(ours.code, code::ACCESS_REJECT);
        assert_eq!(ours.authenticator, Authenticator::Mismatch);
        let real = parse_response(reject, &expect(5, Some(SECRET))).unwrap();
        assert_eq!(real.authenticator, Authenticator::Valid);
    }

    #[test]
    fn accounting_response() {
        let (identifier, request_authenticator) = request_authenticator(ACCT_REQUEST).unwrap();
        let expected = Expected {
            identifier,
            request_authenticator,
            secret: Some(SECRET),
        };
        let response = parse_response(ACCT_RESPONSE, &expected).unwrap();
        assert_eq!(response.code, code::ACCOUNTING_RESPONSE);
        assert_eq!(response.authenticator, Authenticator::Valid);
        assert_eq!(
            response.to_string(),
            "RADIUS: Accounting-Response id 3, authenticator ok"
        );
    }

    #[test]
    fn other_identifier_and_requests_are_refused() {
        assert!(matches!(
            parse_response(ACCEPT, &expect(9, None)),
            Err(Error::Unexpected(_))
        ));
        assert!(matches!(
            parse_response(REQUEST_OK, &expect(1, None)),
            Err(Error::Unexpected(_))
        ));
    }

    #[test]
    fn malformed_packets() {
        let expected = expect(1, Some(SECRET));
        for cut in 0..ACCEPT.len() {
            assert!(parse_response(&ACCEPT[..cut], &expected).is_err());
        }
        let mut zero_length_attribute = ACCEPT.to_vec();
        zero_length_attribute.extend_from_slice(&[attribute::REPLY_MESSAGE, 0]);
        zero_length_attribute[3] = 22;
        assert!(parse_response(&zero_length_attribute, &expected).is_err());
        let mut huge = ACCEPT.to_vec();
        huge[2..4].copy_from_slice(&5000u16.to_be_bytes());
        assert!(parse_response(&huge, &expected).is_err());
        // Padding after the length is ignored.
        let mut padded = ACCEPT.to_vec();
        padded.extend_from_slice(&[0; 8]);
        assert_eq!(
            parse_response(&padded, &expected).unwrap().authenticator,
            Authenticator::Valid
        );
    }

    /// A server's side of the exchange, for round trips: signs a response to `request`.
    /// With `with_hmac`, a Message-Authenticator goes last, computed as RFC 3579 says.
    fn sign_response(
        request: &[u8],
        code: u8,
        message: &[u8],
        secret: &[u8],
        with_hmac: bool,
    ) -> Vec<u8> {
        let mut packet = vec![code, request[1], 0, 0];
        packet.extend_from_slice(&request[4..HEADER_LEN]);
        push_attribute(
            &mut packet,
            attribute::REPLY_MESSAGE,
            message,
            "Reply-Message",
        )
        .unwrap();
        if with_hmac {
            push_attribute(
                &mut packet,
                attribute::MESSAGE_AUTHENTICATOR,
                &[0; 16],
                "MA",
            )
            .unwrap();
        }
        set_length(&mut packet).unwrap();
        if with_hmac {
            let tag = hmac_md5(secret, &packet);
            let at = packet.len() - 16;
            packet[at..].copy_from_slice(&tag);
        }
        let authenticator = md5(&[&packet, secret]);
        packet[4..HEADER_LEN].copy_from_slice(&authenticator);
        packet
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), id in any::<u8>()) {
            let expected = Expected { identifier: id, request_authenticator: AUTH, secret: Some(SECRET) };
            if let Ok(response) = parse_response(&bytes, &expected) {
                prop_assert!(response.to_string().bytes().all(|b| (0x20..=0x7e).contains(&b)));
            }
        }

        #[test]
        fn signed_responses_verify(id in any::<u8>(), auth in any::<[u8; 16]>(), secret in proptest::collection::vec(any::<u8>(), 1..40), message in proptest::collection::vec(any::<u8>(), 1..100), with_hmac in any::<bool>(), flip in 0usize..200) {
            let request = access_request(&AccessRequest { identifier: id, authenticator: auth, user: "u", password: "p", secret: &secret, nas_identifier: "n", message_authenticator: with_hmac }).unwrap();
            let response = sign_response(&request, code::ACCESS_CHALLENGE, &message, &secret, with_hmac);
            let expected = Expected { identifier: id, request_authenticator: auth, secret: Some(&secret) };
            let parsed = parse_response(&response, &expected).unwrap();
            prop_assert_eq!(parsed.authenticator, Authenticator::Valid);
            prop_assert_eq!(parsed.has_message_authenticator, with_hmac);
            prop_assert_eq!(parsed.reply_message, Some(message));
            // Any changed byte after the header breaks a check.
            let mut tampered = response.clone();
            let at = HEADER_LEN + 2 + flip % (tampered.len() - HEADER_LEN - 2);
            tampered[at] ^= 0x01;
            if let Ok(parsed) = parse_response(&tampered, &expected) {
                prop_assert_eq!(parsed.authenticator, Authenticator::Mismatch);
            }
        }

        #[test]
        fn passwords_round_trip(password in "[ -~]{0,128}", secret in proptest::collection::vec(any::<u8>(), 1..40), auth in any::<[u8; 16]>()) {
            let hidden = hide_password(password.as_bytes(), &secret, &auth).unwrap();
            prop_assert_eq!(hidden.len() % 16, 0);
            prop_assert_eq!(reveal_password(&hidden, &secret, &auth), password.as_bytes());
        }
    }

    #[test]
    fn an_emitted_refusal_verifies_with_the_secret() {
        let request = access_request(&AccessRequest {
            identifier: 9,
            authenticator: [3; 16],
            user: "u",
            password: "p",
            secret: b"s3",
            nas_identifier: "n",
            message_authenticator: false,
        })
        .unwrap();
        let reply = emit_refusal(&request, b"s3").unwrap();
        let expected = Expected {
            identifier: 9,
            request_authenticator: [3; 16],
            secret: Some(b"s3"),
        };
        let parsed = parse_response(&reply, &expected).unwrap();
        assert_eq!(parsed.code, code::ACCESS_REJECT);
        assert_eq!(parsed.authenticator, Authenticator::Valid);
        let accounting = accounting_request(&AccountingRequest {
            identifier: 4,
            status_type: status_type::START,
            session_id: "x",
            user: None,
            secret: b"s3",
            nas_identifier: "n",
        })
        .unwrap();
        let (id, auth) = request_authenticator(&accounting).unwrap();
        let reply = emit_refusal(&accounting, b"s3").unwrap();
        let parsed = parse_response(
            &reply,
            &Expected {
                identifier: id,
                request_authenticator: auth,
                secret: Some(b"s3"),
            },
        )
        .unwrap();
        assert_eq!(parsed.code, code::ACCOUNTING_RESPONSE);
        assert_eq!(parsed.authenticator, Authenticator::Valid);
        assert!(emit_refusal(&reply, b"s3").is_err());
    }
}
