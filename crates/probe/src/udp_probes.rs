//! Protocol-aware UDP probes: for each port, the datagram that provokes an answer from the
//! service the catalog says listens there, and how to read that answer. The bytes are built
//! and parsed by `portolan-wire`; this module only chooses and wires them.
//!
//! A UDP port that answers nothing cannot be told from a filtered one. The probes exist so
//! that a listening service does answer; where no request can provoke an answer (NetBIOS
//! datagrams, RTP), the exchange says why silence is all one can get.

use std::net::{IpAddr, Ipv4Addr};

use portolan_wire as wire;

use crate::engine::ProbeContext;
use crate::select::Target;

/// How a datagram from the probed port relates to the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classified {
    /// The expected protocol answered; the evidence line.
    Recognised(String),
    /// Something answered, but not as the expected protocol's answer to this probe.
    Unrecognised(String),
}

type Classifier = Box<dyn Fn(&[u8]) -> Classified + Send + Sync>;
type Farewell = Box<dyn Fn(&[u8]) -> Option<Vec<u8>> + Send + Sync>;

/// One UDP probe: what to send, how to read the answer, what silence means.
pub struct UdpExchange {
    /// What is sent, for the report ("DNS query . SOA").
    pub name: String,
    /// The protocol expected ("DNS").
    pub protocol: &'static str,
    /// The datagrams sent on each try (most probes send one).
    pub requests: Vec<Vec<u8>>,
    /// Accept answers from any port of the target (TFTP answers from a new port).
    pub any_source_port: bool,
    /// Reads an answer.
    pub classify: Classifier,
    /// A datagram to send after an answer, to close what the probe opened.
    pub farewell: Option<Farewell>,
    /// What silence means for this port.
    pub silence: String,
}

impl std::fmt::Debug for UdpExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpExchange")
            .field("name", &self.name)
            .field("requests", &self.requests.len())
            .finish_non_exhaustive()
    }
}

/// Reads the answer with a parser: a parse error means "something else answered".
fn recognise<T: std::fmt::Display>(
    parsed: wire::Result<T>,
    matches: impl FnOnce(&T) -> bool,
) -> Classified {
    match parsed {
        Ok(reply) if matches(&reply) => Classified::Recognised(reply.to_string()),
        // The probe's own socket only hears from the probed port, so a message that parses but
        // answers another exchange (an echo of the request itself) still shows that something
        // listens there; it is only not evidence of the protocol.
        Ok(reply) => {
            Classified::Unrecognised(format!("a message that does not answer the probe: {reply}"))
        }
        Err(e) => Classified::Unrecognised(e.to_string()),
    }
}

fn exchange(
    name: impl Into<String>,
    protocol: &'static str,
    request: Vec<u8>,
    classify: impl Fn(&[u8]) -> Classified + Send + Sync + 'static,
) -> UdpExchange {
    UdpExchange {
        name: name.into(),
        protocol,
        requests: vec![request],
        any_source_port: false,
        classify: Box::new(classify),
        farewell: None,
        silence: format!(
            "no answer to the {protocol} probe: a {protocol} service that ignores it (wrong \
             community, domain or secret, an unregistered client) and a firewall that drops it look \
             the same from here"
        ),
    }
}

/// Ports where no request provokes an answer, and why.
fn unanswerable(port: u16) -> Option<&'static str> {
    Some(match port {
        9 => "discard (RFC 863) never answers by design",
        138 => {
            "the NetBIOS datagram service delivers datagrams to mailboxes and never replies to a sender"
        }
        162 => {
            "an SNMP trap receiver answers only informs and SNMPv3 discovery, and only when it accepts the community"
        }
        5004 | 5005 => {
            "RTP and RTCP carry media of a session set up by RTSP or MMS; a stray datagram gets no answer"
        }
        3343 => "the cluster network driver answers only its own authenticated heartbeats",
        2460 => "MS Theater carries streams for Windows Media Services sessions only",
        _ => return None,
    })
}

/// The probe for a UDP port: a protocol request where the catalog or the port number names a
/// protocol portolan speaks, else an empty datagram (as PortQry and nmap send).
/// `local` is this machine's address toward the target: DHCP and PXE requests name it as
/// the client address, which servers require of an INFORM.
pub fn exchange_for(target: &Target, ctx: &ProbeContext, local: Option<IpAddr>) -> UdpExchange {
    let exchange = protocol_exchange(target, ctx, local);
    match ctx.listener {
        Some(token) => with_hello(exchange, token),
        None => exchange,
    }
}

/// The evidence of a pong: the probe reached `portolan listen` itself.
pub const LISTENER_EVIDENCE: &str = "reached the portolan listener (the run's token came back)";

/// The exchange for a host that runs `portolan listen`: the portolan hello goes first (its
/// pong, the run's token, is the proof of delivery), then the protocol's own request, whose
/// answer still counts if the pong is lost. The listener answers the hello on every port,
/// also where the protocol's request is too small to be answered without amplification
/// (an empty datagram, SQL Server's one-byte request).
fn with_hello(mut exchange: UdpExchange, token: wire::hello::Token) -> UdpExchange {
    exchange.requests.insert(0, wire::hello::ping(&token));
    exchange.name = format!("portolan hello, {}", exchange.name);
    let protocol = exchange.classify;
    exchange.classify = Box::new(move |bytes| {
        if wire::hello::find_pong(bytes, &token) {
            Classified::Recognised(LISTENER_EVIDENCE.to_string())
        } else if wire::hello::find_any_pong(bytes) {
            Classified::Unrecognised(
                "a portolan listener answered with another run's token".to_string(),
            )
        } else {
            protocol(bytes)
        }
    });
    exchange.silence = format!(
        "no answer to the portolan hello nor to the protocol's request: the listener is not \
         running there or a firewall drops the datagrams; {}",
        exchange.silence
    );
    exchange
}

/// A random token for a run of `check --expect-listener`.
pub fn listener_token() -> wire::hello::Token {
    let mut bytes = [0u8; 16];
    fastrand::fill(&mut bytes);
    wire::hello::Token::from_bytes(bytes)
}

fn protocol_exchange(target: &Target, ctx: &ProbeContext, local: Option<IpAddr>) -> UdpExchange {
    let local_v4 = match local {
        Some(IpAddr::V4(v4)) => v4,
        _ => Ipv4Addr::UNSPECIFIED,
    };
    let protocol_probe = match target.port {
        53 => Some(dns()),
        69 => Some(tftp()),
        88 | 464 => Some(kerberos(ctx)),
        123 => Some(ntp()),
        137 => Some(nbns()),
        161 => Some(snmp(ctx)),
        162 => Some(snmp_trap()),
        389 => Some(cldap(ctx)),
        500 => Some(isakmp(false)),
        4500 => Some(isakmp(true)),
        1434 => Some(ssrp()),
        1701 => Some(l2tp()),
        1812 | 1645 => Some(radius_access(ctx)),
        1813 | 1646 => Some(radius_accounting(ctx)),
        1900 => Some(ssdp()),
        67 => Some(dhcp_inform(local_v4)),
        4011 => Some(pxe(local_v4)),
        7 => Some(echo()),
        13 => Some(text(wire::simple::TextService::Daytime)),
        17 => Some(text(wire::simple::TextService::Qotd)),
        19 => Some(chargen()),
        _ => None,
    };
    if let Some(probe) = protocol_probe {
        return probe;
    }
    let mut empty = exchange("empty datagram", "any", Vec::new(), |bytes| {
        Classified::Recognised(format!(
            "{} byte answer to an empty datagram: {}",
            bytes.len(),
            wire::simple::Escaped::new(bytes, 48)
        ))
    });
    empty.silence = match unanswerable(target.port) {
        Some(why) => format!("no answer, as expected: {why}"),
        None => {
            let apps: Vec<&str> = target
                .rows
                .iter()
                .map(|r| r.app_protocol.as_str())
                .collect();
            let what = if apps.is_empty() {
                "this port".to_string()
            } else {
                apps.join(", ")
            };
            format!(
                "portolan has no request that {what} answers, and the empty datagram got no answer: \
                 a listener that ignores it and a firewall that drops it look the same"
            )
        }
    };
    empty
}

fn id16() -> u16 {
    fastrand::u16(1..)
}

fn id32() -> u32 {
    fastrand::u32(1..0x7fff_ffff)
}

fn dns() -> UdpExchange {
    let id = id16();
    // The root's SOA without recursion: any DNS server answers it from what it has (a
    // referral, REFUSED, the data) and never asks another server on our behalf.
    let request = wire::dns::query(id, ".", wire::dns::RecordType::SOA).unwrap_or_default();
    exchange("DNS query . SOA (no recursion)", "DNS", request, move |b| {
        recognise(wire::dns::parse_reply(b), |r| r.matches(id))
    })
}

fn tftp() -> UdpExchange {
    // A read request for a file that should not exist: a TFTP server answers with DATA or
    // an ERROR packet, from a new port of its own.
    let file = format!("portolan-probe-{:08x}", fastrand::u32(..));
    let request = wire::tftp::read_request(&file, &[]).unwrap_or_default();
    let mut x = exchange(format!("TFTP read request {file}"), "TFTP", request, |b| {
        recognise(wire::tftp::Reply::parse(b), |_| true)
    });
    x.any_source_port = true;
    x.farewell = Some(Box::new(|b| match wire::tftp::Reply::parse(b) {
        Ok(wire::tftp::Reply::Error { .. }) | Err(_) => None,
        Ok(_) => wire::tftp::error_packet(0, "portolan probe done").ok(),
    }));
    x
}

fn kerberos(ctx: &ProbeContext) -> UdpExchange {
    let realm = ctx
        .domain
        .as_deref()
        .map_or_else(|| "PORTOLAN.INVALID".to_string(), str::to_uppercase);
    let request = wire::kerberos::as_request("portolan-probe", &realm, id32()).unwrap_or_default();
    exchange(
        format!("Kerberos AS-REQ portolan-probe@{realm}"),
        "Kerberos",
        request,
        |b| recognise(wire::kerberos::parse(b), |_| true),
    )
}

fn ntp() -> UdpExchange {
    let transmit = fastrand::u64(1..);
    exchange(
        "NTP client request (mode 3)",
        "NTP",
        wire::ntp::client_request(transmit).to_vec(),
        move |b| recognise(wire::ntp::ServerReply::parse(b), |r| r.matches(transmit)),
    )
}

fn nbns() -> UdpExchange {
    let id = id16();
    exchange(
        "NetBIOS node status request (*)",
        "NetBIOS name service",
        wire::nbns::node_status_request(id).to_vec(),
        move |b| recognise(wire::nbns::NodeStatus::parse(b), |r| r.matches(id)),
    )
}

fn snmp(ctx: &ProbeContext) -> UdpExchange {
    let id = fastrand::i32(1..);
    let (message_id, discovery_id) = (fastrand::u32(1..0x7fff_ffff), fastrand::i32(1..));
    let community = ctx.snmp_community.clone();
    let request = wire::snmp::system_request(wire::snmp::Version::V2c, community.as_bytes(), id)
        .unwrap_or_default();
    let mut x = exchange(
        format!("SNMPv2c get sysDescr.0 sysName.0 (community {community}), SNMPv3 discovery"),
        "SNMP",
        request,
        move |b| {
            recognise(wire::snmp::parse(b), |r| {
                r.matches(id) || r.matches(discovery_id)
            })
        },
    );
    // An agent ignores a wrong community without a word, but answers an SNMPv3 engine
    // discovery whatever its communities: sent second, it proves the agent when the first
    // request goes unanswered.
    x.requests
        .push(wire::snmp::engine_discovery_request(message_id, discovery_id).unwrap_or_default());
    x.silence = "no answer to an SNMPv2c get nor to an SNMPv3 engine discovery: an agent with \
                 SNMPv3 turned off that does not accept the community, and a firewall that drops \
                 the requests, look the same"
        .to_string();
    x
}

fn snmp_trap() -> UdpExchange {
    // A trap receiver answers an SNMPv3 engine-ID discovery with a Report, whatever community
    // it accepts.
    let (message_id, request_id) = (fastrand::u32(1..0x7fff_ffff), fastrand::i32(1..));
    let request = wire::snmp::engine_discovery_request(message_id, request_id).unwrap_or_default();
    let mut x = exchange("SNMPv3 engine discovery", "SNMP", request, move |b| {
        recognise(wire::snmp::parse(b), |r| r.matches(request_id))
    });
    x.silence =
        "no answer to an SNMPv3 engine discovery: a trap receiver that accepts only v1/v2c \
                 traps never answers, and a firewall that drops the probe looks the same"
            .to_string();
    x
}

fn cldap(ctx: &ProbeContext) -> UdpExchange {
    let id = id32();
    let domain = ctx.domain.clone();
    let request = wire::ldap::netlogon_ping(id, domain.as_deref(), wire::ldap::NT_VERSION_DEFAULT)
        .unwrap_or_default();
    exchange(
        format!(
            "CLDAP netlogon ping{}",
            domain.map(|d| format!(" for {d}")).unwrap_or_default()
        ),
        "CLDAP",
        request,
        move |b| recognise(wire::ldap::parse_netlogon_reply(b, id), |r| r.matches(id)),
    )
}

fn isakmp(nat_t: bool) -> UdpExchange {
    let mut spi = [0u8; 8];
    fastrand::fill(&mut spi);
    spi[0] |= 1; // a zero SPI is invalid
    let message = wire::isakmp::ikev1_main_mode(spi).unwrap_or_default();
    let (name, request) = if nat_t {
        (
            "IKEv1 main mode with the NAT-T non-ESP marker",
            wire::isakmp::nat_t(&message),
        )
    } else {
        ("IKEv1 main mode", message)
    };
    exchange(name, "IKE", request, move |b| {
        recognise(wire::isakmp::parse_reply(b), |r| r.matches(spi))
    })
}

fn ssrp() -> UdpExchange {
    exchange(
        "SQL Server resolution CLNT_UCAST_EX",
        "SQL Server Resolution",
        wire::ssrp::request_all().to_vec(),
        |b| recognise(wire::ssrp::parse_response(b), |_| true),
    )
}

fn l2tp() -> UdpExchange {
    let tunnel = id16();
    let request = wire::l2tp::sccrq(tunnel, "portolan").unwrap_or_default();
    let mut x = exchange("L2TP SCCRQ", "L2TP", request, move |b| {
        recognise(wire::l2tp::parse_reply_to(b, tunnel), |_| true)
    });
    x.farewell = Some(Box::new(move |b| {
        let reply = wire::l2tp::parse_reply_to(b, tunnel).ok()?;
        let peer = reply.assigned_tunnel_id()?;
        wire::l2tp::stop_ccn(peer, tunnel, 1, reply.ns.wrapping_add(1)).ok()
    }));
    x
}

const RADIUS_PROBE_SECRET: &str = "portolan-probe";

fn radius_access(ctx: &ProbeContext) -> UdpExchange {
    let identifier = fastrand::u8(..);
    let mut authenticator = [0u8; 16];
    fastrand::fill(&mut authenticator);
    let secret = ctx
        .radius_secret
        .clone()
        .unwrap_or_else(|| RADIUS_PROBE_SECRET.to_string());
    let known = ctx.radius_secret.is_some();
    let request = wire::radius::access_request(&wire::radius::AccessRequest {
        identifier,
        authenticator,
        user: "portolan-probe",
        password: "portolan-probe",
        secret: secret.as_bytes(),
        nas_identifier: "portolan",
        // Without the server's secret a Message-Authenticator would fail its check and the
        // server would drop the request silently; a plain request still gets an answer.
        message_authenticator: known,
    })
    .unwrap_or_default();
    let mut x = exchange("RADIUS Access-Request", "RADIUS", request, move |b| {
        let expected = wire::radius::Expected {
            identifier,
            request_authenticator: authenticator,
            secret: known.then_some(secret.as_bytes()),
        };
        recognise(wire::radius::parse_response(b, &expected), |_| true)
    });
    x.silence = radius_silence(known);
    x
}

fn radius_accounting(ctx: &ProbeContext) -> UdpExchange {
    let identifier = fastrand::u8(..);
    let secret = ctx
        .radius_secret
        .clone()
        .unwrap_or_else(|| RADIUS_PROBE_SECRET.to_string());
    let known = ctx.radius_secret.is_some();
    let request = wire::radius::accounting_request(&wire::radius::AccountingRequest {
        identifier,
        status_type: wire::radius::status_type::START,
        session_id: "portolan-probe",
        user: None,
        secret: secret.as_bytes(),
        nas_identifier: "portolan",
    })
    .unwrap_or_default();
    let request_authenticator = wire::radius::request_authenticator(&request)
        .map(|(_, a)| a)
        .unwrap_or_default();
    let mut x = exchange("RADIUS Accounting-Request", "RADIUS", request, move |b| {
        let expected = wire::radius::Expected {
            identifier,
            request_authenticator,
            secret: known.then_some(secret.as_bytes()),
        };
        recognise(wire::radius::parse_response(b, &expected), |_| true)
    });
    x.silence = radius_silence(known);
    x
}

fn radius_silence(known: bool) -> String {
    if known {
        "no answer to the RADIUS request: the server ignores clients it does not know and \
         requests that fail its secret checks, and a firewall that drops the request looks the same"
            .to_string()
    } else {
        "no answer to the RADIUS request: a RADIUS server silently ignores clients it has no \
         shared secret for, so give --radius-secret to tell a listening server from a filtered port"
            .to_string()
    }
}

fn ssdp() -> UdpExchange {
    let st = wire::ssdp::ST_ALL;
    let request = wire::ssdp::m_search("239.255.255.250:1900", st, 1).unwrap_or_default();
    let mut x = exchange("SSDP M-SEARCH ssdp:all", "SSDP", request, move |b| {
        recognise(wire::ssdp::parse_response(b, st), |_| true)
    });
    x.silence = "no answer to an M-SEARCH for ssdp:all: SSDP answers only when it has devices \
                 registered, and a firewall that drops the search looks the same"
        .to_string();
    x
}

/// A locally administered MAC for DHCP probes, so no real client's lease is touched.
fn probe_mac() -> [u8; 6] {
    let mut mac = [0u8; 6];
    fastrand::fill(&mut mac);
    mac[0] = (mac[0] | 0x02) & 0xfe;
    mac
}

fn dhcp_inform(ciaddr: Ipv4Addr) -> UdpExchange {
    let (xid, mac) = (id32(), probe_mac());
    let request = wire::dhcp::inform(xid, ciaddr, mac);
    let mut x = exchange("DHCPINFORM (takes no lease)", "DHCP", request, move |b| {
        recognise(wire::dhcp::parse_reply_to(b, xid, mac), |_| true)
    });
    x.silence = "no answer to a DHCPINFORM: a DHCP server sends its answer to the client port 68 \
                 or to broadcast, which this probe cannot always receive, so silence is expected \
                 even from a listening server; a firewall that drops the request looks the same"
        .to_string();
    x
}

fn pxe(ciaddr: Ipv4Addr) -> UdpExchange {
    let (xid, mac) = (id32(), probe_mac());
    let mut uuid = [0u8; 16];
    fastrand::fill(&mut uuid);
    let request = wire::dhcp::pxe_request(&wire::dhcp::PxeRequest {
        xid,
        ciaddr,
        mac,
        arch: 0,
        uuid,
        boot_item: wire::dhcp::PXE_FIRST_SERVICE,
    });
    let mut x = exchange("PXE boot server request (BINL)", "PXE", request, move |b| {
        recognise(wire::dhcp::parse_reply_to(b, xid, mac), |_| true)
    });
    x.silence = "no answer to a PXE boot server request: a PXE server answers only requests for a \
                 boot service it offers from a client address it serves, and a firewall that drops \
                 the request looks the same"
        .to_string();
    x
}

fn echo() -> UdpExchange {
    let payload = wire::simple::echo_payload(fastrand::u64(..));
    let sent = payload.clone();
    exchange("echo datagram", "echo", payload, move |b| {
        recognise(wire::simple::parse_echo(&sent, b), |_| true)
    })
}

fn text(service: wire::simple::TextService) -> UdpExchange {
    let (name, protocol) = match service {
        wire::simple::TextService::Daytime => ("daytime request (empty datagram)", "daytime"),
        wire::simple::TextService::Qotd => ("quote of the day request (empty datagram)", "qotd"),
    };
    exchange(name, protocol, Vec::new(), move |b| {
        recognise(wire::simple::parse_text(service, b), |_| true)
    })
}

fn chargen() -> UdpExchange {
    exchange(
        "character generator request (empty datagram)",
        "chargen",
        Vec::new(),
        |b| recognise(wire::simple::parse_chargen(b), |_| true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(port: u16) -> Target {
        Target {
            transport: portolan_catalog::Transport::Udp,
            port,
            rows: Vec::new(),
        }
    }

    #[test]
    fn a_reflected_request_shows_a_listener_but_not_the_protocol() {
        // An echo service sends each request back: it parses, but answers nothing.
        for port in [500, 4500, 161, 1701] {
            let exchange = exchange_for(&target(port), &ProbeContext::default(), None);
            let request = exchange.requests.first().unwrap();
            assert!(
                matches!((exchange.classify)(request), Classified::Unrecognised(_)),
                "{port}: {:?}",
                (exchange.classify)(request)
            );
        }
    }
}
