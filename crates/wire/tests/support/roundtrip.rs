//! Round trips of the messages portolan both writes and reads: whatever parses is emitted,
//! parsed again and must come back equal, and emitting the re-parse gives the same bytes
//! (the encoders are canonical: one byte string per parsed message). Shared by the
//! `wire_*_roundtrip` fuzz targets (included by path) and `crates/wire/tests/roundtrip.rs`,
//! so the normal test run checks the same property on fixtures and generated messages.
//!
//! Each function takes arbitrary bytes, tries every parser of its protocol on them and
//! panics with the message type when a round trip breaks.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use portolan_wire::dcerpc::pdu;
use portolan_wire::dcerpc::{
    BindAck, BindNak, Fault, LookupRequest, LookupResponse, Request, Response,
};
use portolan_wire::{dhcp, hello, isakmp, kerberos, l2tp, ldap, ntp, radius, snmp, ssdp, tftp};

/// Parse, emit, parse, equal; then emit of the re-parse gives the same bytes.
fn round_trip<T, E>(
    what: &str,
    first: T,
    emit: impl Fn(&T) -> Result<Vec<u8>, E>,
    parse: impl Fn(&[u8]) -> Option<T>,
) where
    T: PartialEq + core::fmt::Debug,
    E: core::fmt::Debug,
{
    let bytes = emit(&first)
        .unwrap_or_else(|e| panic!("{what}: a parsed {what} does not emit: {e:?} ({first:?})"));
    let second = parse(&bytes)
        .unwrap_or_else(|| panic!("{what}: an emitted {what} does not parse: {bytes:02x?}"));
    assert_eq!(second, first, "{what}: parse(emit(x)) differs from x");
    let again = emit(&second).expect("the re-parse emits");
    assert_eq!(again, bytes, "{what}: the encoder is not canonical");
}

/// NTP: the mode-4 server reply (built by `portolan listen`, read by `check`), and the
/// listener's answer to any client request read back as a reply to that request.
pub fn ntp(data: &[u8]) {
    if let Ok(reply) = ntp::ServerReply::parse(data) {
        round_trip(
            "NTP server reply",
            reply,
            |r| r.emit().map(|b| b.to_vec()),
            |b| ntp::ServerReply::parse(b).ok(),
        );
        // The header is the whole message: its 48 bytes come back unchanged.
        assert_eq!(reply.emit().unwrap().as_slice(), &data[..ntp::HEADER_LEN]);
    }
    if let Ok(reply) = ntp::emit_server_reply(data, 0x0102_0304_0506_0708) {
        let transmit = u64::from_be_bytes(data[40..48].try_into().unwrap());
        let parsed =
            ntp::parse_reply(&reply, transmit).expect("the listener's reply answers the request");
        assert_eq!((parsed.stratum, parsed.leap), (16, 3));
    }
}

/// Kerberos: the AS-REQ (built by `check`, read by the listener) and the KRB-ERROR (built by
/// the listener, read by `check`), each also inside its TCP record.
pub fn kerberos(data: &[u8]) {
    if let Ok(request) = kerberos::AsRequest::parse(data) {
        // Only the low 31 bits of the nonce go on the wire (Samba drops longer nonces), and
        // the encoder refuses what no probe sends (no client, no etype, an empty realm,
        // names over 255 bytes); within that, the round trip is exact.
        let request = kerberos::AsRequest {
            nonce: request.nonce & 0x7fff_ffff,
            ..request
        };
        if request.emit().is_ok() {
            round_trip("AS-REQ", request, kerberos::AsRequest::emit, |b| {
                kerberos::AsRequest::parse(b).ok()
            });
        }
    }
    if let Ok(kerberos::Reply::Error(error)) = kerberos::parse(data) {
        round_trip(
            "KRB-ERROR",
            error,
            kerberos::KrbError::emit,
            |b| match kerberos::parse(b) {
                Ok(kerberos::Reply::Error(error)) => Some(error),
                _ => None,
            },
        );
    }
    if let Ok(message) = kerberos::unframe_tcp(data) {
        let framed = kerberos::frame_tcp(message).expect("an unframed record fits");
        assert_eq!(kerberos::unframe_tcp(&framed), Ok(message));
    }
}

/// DCE/RPC: the PDUs `rpc` sends and the listener's endpoint mapper reads (request, the
/// `ept_lookup` arguments) and those the mapper sends and `rpc` reads (bind_ack, response,
/// the `ept_lookup` answer), and the refusals a server gives (bind_nak, fault).
pub fn dcerpc(data: &[u8]) {
    if let Ok(ack) = BindAck::parse(data) {
        round_trip("bind_ack", ack, BindAck::emit, |b| BindAck::parse(b).ok());
    }
    if let Ok(nak) = BindNak::parse(data) {
        round_trip("bind_nak", nak, BindNak::emit, |b| BindNak::parse(b).ok());
    }
    if let Ok(fault) = Fault::parse(data) {
        round_trip("fault", fault, Fault::emit, |b| Fault::parse(b).ok());
    }
    // Request and response borrow their stub from the bytes, so they are checked here
    // rather than through `round_trip`.
    if let Ok(response) = Response::parse(data) {
        let bytes = response.emit().expect("a parsed response emits");
        let again = Response::parse(&bytes).expect("an emitted response parses");
        assert_eq!(again, response, "response: parse(emit(x)) differs from x");
        assert_eq!(
            again.emit().unwrap(),
            bytes,
            "response: the encoder is not canonical"
        );
    }
    if let Ok(request) = Request::parse(data) {
        let bytes = request.emit().expect("a parsed request emits");
        let again = Request::parse(&bytes).expect("an emitted request parses");
        assert_eq!(again, request, "request: parse(emit(x)) differs from x");
        assert_eq!(
            again.emit().unwrap(),
            bytes,
            "request: the encoder is not canonical"
        );
        let built = pdu::request(
            request.call_id,
            request.context_id,
            request.opnum,
            request.stub,
        );
        assert_eq!(
            built.unwrap(),
            bytes,
            "request: pdu::request is not Request::emit"
        );
    }
    if let Ok(lookup) = LookupRequest::parse(data) {
        round_trip(
            "ept_lookup request",
            lookup,
            |r| Ok::<_, ()>(r.emit().to_vec()),
            |b| LookupRequest::parse(b).ok(),
        );
    }
    if let Ok(answer) = LookupResponse::parse(data) {
        round_trip("ept_lookup response", answer, LookupResponse::emit, |b| {
            LookupResponse::parse(b).ok()
        });
    }
}

/// L2TP: any control message (the SCCRQ and StopCCN `check` sends, the StopCCN the
/// listener answers with, the SCCRP, ZLB and StopCCN an LNS sends).
pub fn l2tp(data: &[u8]) {
    if let Ok(message) = l2tp::ControlMessage::parse(data) {
        round_trip(
            "L2TP control message",
            message,
            l2tp::ControlMessage::emit,
            |b| l2tp::ControlMessage::parse(b).ok(),
        );
    }
    if let Ok(refusal) = l2tp::emit_refusal(data, 0x4242) {
        let answer = l2tp::ControlMessage::parse(&refusal).expect("the refusal parses");
        assert_eq!(answer.message_type(), Some(l2tp::message::STOP_CCN));
    }
}

/// TFTP: every packet a server sends (DATA, ERROR, OACK, ACK), among them the ERROR that
/// `check` sends to end a transfer and the listener answers a read request with.
pub fn tftp(data: &[u8]) {
    if let Ok(reply) = tftp::Reply::parse(data) {
        round_trip("TFTP packet", reply, tftp::Reply::emit, |b| {
            tftp::Reply::parse(b).ok()
        });
    }
}

/// SSDP: the search response (built by the listener, read by `check`), and the listener's
/// answer to any M-SEARCH, which must answer that search's target.
pub fn ssdp(data: &[u8]) {
    if let Ok(response) = ssdp::Response::parse(data) {
        round_trip("SSDP response", response, ssdp::Response::emit, |b| {
            ssdp::Response::parse(b).ok()
        });
    }
    if let Ok(answer) = ssdp::emit_search_response(data, "portolan-listen") {
        let response = ssdp::Response::parse(&answer).expect("the listener's answer parses");
        let st = response
            .st
            .clone()
            .expect("the answer names the search target");
        assert!(ssdp::parse_response(&answer, &st).is_ok());
    }
}

/// DHCP: the BOOTREPLY (the listener's DHCPACK, the servers' ACKs and PXE answers), and the
/// listener's answer to any INFORM or REQUEST, which must answer that request.
pub fn dhcp(data: &[u8]) {
    if let Ok(reply) = dhcp::Reply::parse(data) {
        round_trip("DHCP reply", reply, dhcp::Reply::emit, |b| {
            dhcp::Reply::parse(b).ok()
        });
    }
    if let Ok(ack) = dhcp::emit_ack(data) {
        let reply = dhcp::Reply::parse(&ack).expect("the listener's ACK parses");
        assert_eq!(reply.message_type, Some(dhcp::MessageType::Ack));
        assert_eq!(reply.xid.to_be_bytes(), data[4..8]);
    }
}

/// ISAKMP/IKE: every message, with or without the NAT-T marker (the requests `check`
/// sends, the responders' answers, the listener's NO_PROPOSAL_CHOSEN), and the listener's
/// answer to any request, which must carry the request's initiator SPI.
pub fn isakmp(data: &[u8]) {
    if let Ok(reply) = isakmp::parse_reply(data) {
        round_trip("IKE message", reply, isakmp::Reply::emit, |b| {
            isakmp::parse_reply(b).ok()
        });
    }
    if let Ok(answer) = isakmp::emit_no_proposal_chosen(data, *b"responds") {
        let reply = isakmp::parse_reply(&answer).expect("the listener's answer parses");
        assert!(reply.notify(isakmp::notify::NO_PROPOSAL_CHOSEN).is_some());
        assert_eq!(reply.responder_spi, *b"responds");
    }
}

/// LDAP and CLDAP: every message of a reply (entries, results, references, extended
/// responses; the listener's searchResDone among them), and the listener's answer to any
/// search request, which must carry the request's message id.
pub fn ldap(data: &[u8]) {
    if let Ok((message, _)) = ldap::parse_message(data) {
        round_trip("LDAP message", message, ldap::Message::emit, |b| {
            ldap::parse_message(b).ok().map(|(message, _)| message)
        });
    }
    if let Ok(answer) = ldap::emit_search_done(data) {
        let (message, used) = ldap::parse_message(&answer).expect("the listener's answer parses");
        assert_eq!(used, answer.len());
        assert!(matches!(message.op, ldap::ProtocolOp::SearchResultDone(_)));
    }
}

/// RADIUS: every response (Access-Accept, -Reject, -Challenge, Accounting-Response) as
/// read against a request, with and without the secret to verify it, and the listener's
/// refusal of any request, which must verify against that request and secret.
pub fn radius(data: &[u8]) {
    let identifier = data.get(1).copied().unwrap_or_default();
    for secret in [None, Some(&b"testing123"[..])] {
        let expected = radius::Expected {
            identifier,
            request_authenticator: [0x42; 16],
            secret,
        };
        if let Ok(response) = radius::parse_response(data, &expected) {
            round_trip(
                "RADIUS response",
                response,
                |r| r.emit(&expected),
                |b| radius::parse_response(b, &expected).ok(),
            );
        }
    }
    if let Ok(refusal) = radius::emit_refusal(data, b"testing123") {
        let (identifier, request_authenticator) =
            radius::request_authenticator(data).expect("a refused request has a header");
        let expected = radius::Expected {
            identifier,
            request_authenticator,
            secret: Some(b"testing123"),
        };
        let response = radius::parse_response(&refusal, &expected).expect("the refusal parses");
        assert_eq!(response.authenticator, radius::Authenticator::Valid);
    }
}

/// SNMP: v1/v2c messages (the requests `check` sends, the agents' responses, the
/// listener's noSuchObject answers) and v3 messages (the engine discovery request and the
/// agents' Reports).
pub fn snmp(data: &[u8]) {
    if let Ok(message) = snmp::parse_community(data) {
        round_trip(
            "SNMP v1/v2c message",
            message,
            snmp::CommunityMessage::emit,
            |b| snmp::parse_community(b).ok(),
        );
    }
    if let Ok(message) = snmp::parse_v3(data) {
        round_trip("SNMPv3 message", message, snmp::V3Message::emit, |b| {
            snmp::parse_v3(b).ok()
        });
    }
}

/// The portolan hello: a ping (built by `check`, read by the listener) gives back its
/// token, written again as the same line (hex digits in lower case), and the listener's
/// pong names that token.
pub fn hello(data: &[u8]) {
    if let Ok(token) = hello::parse_ping(data) {
        let line = hello::ping(&token);
        assert_eq!(
            hello::parse_ping(&line),
            Ok(token),
            "hello: ping does not read back"
        );
        let digits = hello::LINE_LEN - 1 - hello::TOKEN_HEX;
        let sent = data[digits..hello::LINE_LEN - 1].to_ascii_lowercase();
        assert_eq!(&line[..digits], &data[..digits]);
        assert_eq!(
            &line[digits..hello::LINE_LEN - 1],
            sent.as_slice(),
            "hello: the token is not what was sent"
        );
        let pong = hello::pong_for(data).expect("a ping gets its pong");
        assert!(hello::find_pong(&pong, &token));
    }
}
