//! What the listener answers: for each UDP port, the smallest answer a real server of that
//! port gives the requests `portolan check` (and PortQry, nmap) send; for each TCP port
//! where the server speaks first, its greeting. Pure functions over bytes: the sockets are
//! in [`crate::serve`], the encoders in `portolan-wire`.
//!
//! Every answer is a refusal or a status, never data: DNS REFUSED, a Kerberos "client
//! unknown", NTP from an unsynchronised clock (stratum 16), a negative NetBIOS name
//! response, SNMP noSuchObject, RADIUS Access-Reject, TFTP "file not found", IKE
//! NO_PROPOSAL_CHOSEN. Each one proves that the request arrived and that a server of the
//! protocol answered, and none of them can mislead a real client into using the stand-in.

use std::time::{SystemTime, UNIX_EPOCH};

use portolan_wire as wire;
use wire::hello;

/// An answer and what it is, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The bytes to send.
    pub bytes: Vec<u8>,
    /// What was answered ("DNS REFUSED").
    pub what: String,
}

impl Answer {
    fn new(bytes: Vec<u8>, what: impl Into<String>) -> Answer {
        Answer {
            bytes,
            what: what.into(),
        }
    }
}

/// Settings of the responders.
#[derive(Debug, Clone)]
pub struct Responders {
    /// The RADIUS shared secret the Response Authenticator is computed with.
    pub radius_secret: String,
}

impl Default for Responders {
    fn default() -> Self {
        Responders {
            // check's own default, so that check verifies the listener's authenticator.
            radius_secret: "portolan-probe".to_string(),
        }
    }
}

/// The UDP ports with a protocol responder (the portolan hello is answered on every port).
pub const UDP_RESPONDERS: &[u16] = &[
    7, 53, 67, 69, 88, 123, 137, 161, 162, 389, 464, 500, 1645, 1646, 1701, 1812, 1813, 1900, 4011,
    4500,
];

/// The answer to a datagram on UDP `port`, if any, before the size rule of
/// [`udp_answer`].
fn udp_protocol_answer(port: u16, request: &[u8], responders: &Responders) -> Option<Answer> {
    match port {
        53 => wire::dns::emit_refusal(request, wire::dns::rcode::REFUSED)
            .ok()
            .map(|b| Answer::new(b, "DNS REFUSED")),
        69 => tftp(request),
        88 | 464 => kerberos(request).map(|b| Answer::new(b, "Kerberos KRB-ERROR client unknown")),
        123 => wire::ntp::emit_server_reply(request, ntp_now())
            .ok()
            .map(|b| Answer::new(b.to_vec(), "NTP server reply (stratum 16, unsynchronised)")),
        137 => wire::nbns::emit_negative_response(request)
            .ok()
            .map(|b| Answer::new(b.to_vec(), "NetBIOS negative name response")),
        161 | 162 => snmp(request),
        500 | 4500 => {
            let mut spi = [0u8; 8];
            fastrand::fill(&mut spi);
            spi[0] |= 1;
            wire::isakmp::emit_no_proposal_chosen(request, spi)
                .ok()
                .map(|b| Answer::new(b, "IKE NO_PROPOSAL_CHOSEN"))
        }
        1645 | 1646 | 1812 | 1813 => {
            wire::radius::emit_refusal(request, responders.radius_secret.as_bytes())
                .ok()
                .map(|b| {
                    let what = if b[0] == 3 {
                        "RADIUS Access-Reject"
                    } else {
                        "RADIUS Accounting-Response"
                    };
                    Answer::new(b.to_vec(), what)
                })
        }
        389 => wire::ldap::emit_search_done(request)
            .ok()
            .map(|b| Answer::new(b, "CLDAP searchResDone success, no entry")),
        1701 => wire::l2tp::emit_refusal(request, fastrand::u16(1..))
            .ok()
            .map(|b| Answer::new(b, "L2TP StopCCN")),
        1900 => wire::ssdp::emit_search_response(request, "portolan-listen")
            .ok()
            .map(|b| Answer::new(b, "SSDP search response")),
        67 | 4011 => wire::dhcp::emit_ack(request)
            .ok()
            .map(|b| Answer::new(b, "DHCPACK (no address, no options)")),
        // Echo (RFC 862) sends back what it got: never larger by construction.
        7 if !request.is_empty() => Some(Answer::new(request.to_vec(), "echo")),
        _ => None,
    }
}

/// The answer to a datagram on UDP `port`: the pong to a portolan hello, else the
/// protocol's answer. Never larger than the request: an answer that would be is not sent
/// (the size rule is here, once, for every responder).
pub fn udp_answer(port: u16, request: &[u8], responders: &Responders) -> Option<Answer> {
    let answer = match hello::pong_for(request) {
        Ok(pong) => Some(Answer::new(pong, "portolan hello")),
        Err(_) => udp_protocol_answer(port, request, responders),
    }?;
    (answer.bytes.len() <= request.len()).then_some(answer)
}

fn tftp(request: &[u8]) -> Option<Answer> {
    // RRQ (1) or WRQ (2): a file name, a mode. Anything else is not a request to answer.
    let opcode = u16::from_be_bytes([*request.first()?, *request.get(1)?]);
    if !(1..=2).contains(&opcode) || !request.get(2..)?.contains(&0) {
        return None;
    }
    wire::tftp::error_packet(1, "File not found")
        .ok()
        .map(|b| Answer::new(b, "TFTP ERROR file not found"))
}

fn kerberos(request: &[u8]) -> Option<Vec<u8>> {
    let parsed = wire::kerberos::AsRequest::parse(request).ok()?;
    wire::kerberos::KrbError::principal_unknown(&parsed, &generalized_time(unix_now()))
        .emit()
        .ok()
}

fn snmp(request: &[u8]) -> Option<Answer> {
    use wire::snmp::{PduType, Value, Version};
    let mut message = wire::snmp::parse_community(request).ok()?;
    let pdu = &mut message.pdu;
    match pdu.pdu_type {
        PduType::GetRequest | PduType::GetNextRequest | PduType::GetBulkRequest => {
            if message.version == Version::V1 {
                // v1 has no exceptions: noSuchName (2) on the first binding.
                pdu.error_status = 2;
                pdu.error_index = 1;
            } else {
                pdu.error_status = 0;
                pdu.error_index = 0;
                for binding in &mut pdu.varbinds {
                    binding.value = Value::NoSuchObject;
                }
            }
        }
        // An inform is acknowledged with its own bindings (RFC 3416 4.2.7).
        PduType::InformRequest => {}
        _ => return None,
    }
    pdu.pdu_type = PduType::Response;
    message
        .emit()
        .ok()
        .map(|b| Answer::new(b, "SNMP response (noSuchObject)"))
}

/// Greeting of a TCP port where the server speaks first, and the protocol's name.
pub fn tcp_greeting(port: u16) -> Option<(&'static [u8], &'static str)> {
    Some(match port {
        21 => (
            &b"220 portolan listen: FTP stand-in\r\n"[..],
            "FTP greeting",
        ),
        25 | 587 => (
            &b"220 portolan.invalid ESMTP portolan listen stand-in\r\n"[..],
            "SMTP greeting",
        ),
        110 => (
            &b"+OK portolan listen: POP3 stand-in\r\n"[..],
            "POP3 greeting",
        ),
        119 => (
            &b"201 portolan listen: NNTP stand-in, no posting\r\n"[..],
            "NNTP greeting",
        ),
        143 => (
            &b"* OK portolan listen: IMAP stand-in\r\n"[..],
            "IMAP greeting",
        ),
        13 => (
            &b"portolan listen: daytime stand-in\r\n"[..],
            "daytime text",
        ),
        17 => (
            &b"portolan listen: a quote of the day stand-in\r\n"[..],
            "qotd text",
        ),
        19 => (
            &b"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n"[..],
            "chargen line",
        ),
        _ => return None,
    })
}

/// Whether a TCP port's service closes after its text (daytime, qotd, chargen): the
/// listener waits only briefly for a hello there.
pub fn tcp_speaks_and_closes(port: u16) -> bool {
    matches!(port, 13 | 17 | 19)
}

/// The answer to what a TCP client sent first on `port`: the pong to a hello, a DNS or
/// Kerberos refusal in their TCP framing, an echo. `None` while more bytes are needed or
/// when the port has nothing to say.
pub fn tcp_answer(port: u16, received: &[u8]) -> Option<Answer> {
    if let Ok(pong) = hello::pong_for(received) {
        return Some(Answer::new(pong, "portolan hello"));
    }
    match port {
        53 => {
            let (message, _) = wire::dns::split_tcp_frame(received).ok()?;
            let reply = wire::dns::emit_refusal(message, wire::dns::rcode::REFUSED).ok()?;
            wire::dns::tcp_frame(&reply)
                .ok()
                .map(|b| Answer::new(b, "DNS REFUSED"))
        }
        88 | 464 => {
            let message = wire::kerberos::unframe_tcp(received).ok()?;
            let reply = kerberos(message)?;
            wire::kerberos::frame_tcp(&reply)
                .ok()
                .map(|b| Answer::new(b, "Kerberos KRB-ERROR client unknown"))
        }
        389 | 3268 => {
            let whole = wire::ber::element_len(received).ok()??;
            let message = received.get(..whole)?;
            wire::ldap::emit_search_done(message)
                .ok()
                .map(|b| Answer::new(b, "LDAP searchResDone success, no entry"))
        }
        7 => Some(Answer::new(received.to_vec(), "echo")),
        _ => None,
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Now in NTP's format (seconds since 1900 and a binary fraction).
fn ntp_now() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = now.as_secs() + wire::ntp::UNIX_EPOCH_OFFSET;
    let fraction = (u64::from(now.subsec_nanos()) << 32) / 1_000_000_000;
    (seconds << 32) | fraction
}

/// Civil date of a day count since 1970-01-01 (Howard Hinnant's days_from_civil inverse).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn split_time(unix: u64) -> (i64, u32, u32, u64, u64, u64) {
    let days = i64::try_from(unix / 86_400).unwrap_or_default();
    let (year, month, day) = civil(days);
    let rest = unix % 86_400;
    (year, month, day, rest / 3600, rest % 3600 / 60, rest % 60)
}

/// `YYYYMMDDhhmmssZ`, Kerberos' time format.
pub fn generalized_time(unix: u64) -> String {
    let (y, mo, d, h, mi, s) = split_time(unix);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z")
}

/// RFC 3339 in UTC with milliseconds, the log's time format.
pub fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (y, mo, d, h, mi, s) = split_time(since.as_secs());
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(generalized_time(0), "19700101000000Z");
        assert_eq!(generalized_time(951_782_400), "20000229000000Z");
        assert_eq!(generalized_time(1_798_761_599), "20261231235959Z");
    }

    #[test]
    fn greetings_satisfy_the_checks_verifier() {
        use wire::greeting::{Protocol, parse};
        for (port, protocol) in [
            (21, Protocol::Ftp),
            (25, Protocol::Smtp),
            (110, Protocol::Pop3),
            (119, Protocol::Nntp),
            (143, Protocol::Imap),
        ] {
            let (text, _) = tcp_greeting(port).unwrap();
            let greeting = parse(protocol, text).unwrap();
            assert!(greeting.is_ready(), "{port}");
            assert!(wire::greeting::is_complete(protocol, text));
        }
        let (daytime, _) = tcp_greeting(13).unwrap();
        wire::simple::parse_text(wire::simple::TextService::Daytime, daytime).unwrap();
        let (chargen, _) = tcp_greeting(19).unwrap();
        wire::simple::parse_chargen(chargen).unwrap();
    }

    #[test]
    fn tcp_refusals_are_framed() {
        let query = wire::dns::query(5, ".", wire::dns::RecordType::SOA).unwrap();
        let framed = wire::dns::tcp_frame(&query).unwrap();
        assert!(tcp_answer(53, &framed[..framed.len() - 1]).is_none());
        let answer = tcp_answer(53, &framed).unwrap();
        let (reply, _) = wire::dns::split_tcp_frame(&answer.bytes).unwrap();
        wire::dns::parse_reply_to(reply, 5).unwrap();
        let request = wire::kerberos::as_request("x", "R.EXAMPLE", 1).unwrap();
        let answer = tcp_answer(88, &wire::kerberos::frame_tcp(&request).unwrap()).unwrap();
        wire::kerberos::parse(wire::kerberos::unframe_tcp(&answer.bytes).unwrap()).unwrap();
    }

    #[test]
    fn junk_gets_no_answer_and_hello_gets_its_pong() {
        let responders = Responders::default();
        for port in UDP_RESPONDERS.iter().copied().chain([389, 1434, 9999]) {
            for junk in [&b""[..], b"\x00", b"\xff\xff", b"junk junk junk junk"] {
                if let Some(answer) = udp_answer(port, junk, &responders) {
                    assert_eq!(port, 7, "{port} answered junk {junk:?}: {answer:?}");
                    assert_eq!(answer.bytes, junk);
                }
            }
            let token = hello::Token::from_bytes([port as u8; 16]);
            let answer = udp_answer(port, &hello::ping(&token), &responders).unwrap();
            assert!(hello::find_pong(&answer.bytes, &token));
        }
    }

    #[test]
    fn random_bytes_never_panic_a_responder_nor_get_a_larger_answer() {
        let responders = Responders::default();
        let mut rng = fastrand::Rng::with_seed(13);
        for port in UDP_RESPONDERS.iter().copied().chain([21, 389, 3268, 135]) {
            for _ in 0..2000 {
                let len = rng.usize(..600);
                let mut bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
                // Half of them start like the real thing, to get past the first checks.
                if rng.bool() && len > 2 {
                    bytes[0] = [0x30, 0x6a, 0x01, 0x05, 0x00][rng.usize(..5)];
                }
                if let Some(answer) = udp_answer(port, &bytes, &responders) {
                    assert!(answer.bytes.len() <= bytes.len(), "{port}");
                }
                let _ = tcp_answer(port, &bytes);
                let _ = crate::mapper::answer(&bytes, &[], port);
            }
        }
    }
}
