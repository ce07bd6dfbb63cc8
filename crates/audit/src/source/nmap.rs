//! nmap's XML output (`nmap -oX`).
//!
//! Every `<host>` that is up contributes its `open` ports, and its `open|filtered` ports
//! flagged as unconfirmed (a UDP probe that got no answer). `<scaninfo services="...">`
//! says which ports were scanned, so a port outside them is "not scanned" rather than
//! "missing". Ports folded into `<extraports>` are counted, never listed. The reader is
//! quick-xml's event reader: it expands no external entities.

use std::net::IpAddr;

use portolan_catalog::Transport;
use quick_xml::XmlVersion;
use quick_xml::errors::SyntaxError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::error::{AuditError, ErrorKind};
use crate::listener::{Format, Listener, Origin, Parsed, ScanRange, SocketState};
use crate::source::proc_net::too_many;
use crate::text::{LineCursor, MAX_LISTENERS, line_of_offset};

const EXPECTED: &str = "nmap XML as `nmap -oX` writes it (`<nmaprun>` ... `</nmaprun>`)";
/// The most scan ranges kept; nmap's own lists are far shorter.
const MAX_RANGES: usize = 65_536;

/// Reads one nmap XML document.
pub fn parse(origin: &str, text: &str) -> Result<Parsed, AuditError> {
    let mut parsed = Parsed::new(Format::NmapXml, origin);
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut state = ReadState::default();
    let mut ranges: Vec<ScanRange> = Vec::new();
    let mut lines = LineCursor::new(text);
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        // The event starts after the whitespace the reader trims.
        let rest = text.get(before..).unwrap_or_default();
        let start = before + (rest.len() - rest.trim_start().len());
        let line = lines.line_at(start);
        let event = reader.read_event().map_err(|e| {
            let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
            // Syntax errors other than bad `<!` markup mean the input ended inside markup.
            let kind = match e {
                quick_xml::Error::Syntax(SyntaxError::InvalidBangMarkup) => ErrorKind::Malformed,
                quick_xml::Error::Syntax(_) => ErrorKind::Truncated,
                _ => ErrorKind::Malformed,
            };
            AuditError::new(
                kind,
                origin,
                line_of_offset(text.as_bytes(), at),
                format!("not well-formed XML: {e}"),
                EXPECTED,
            )
        })?;
        let malformed = |problem: String| {
            AuditError::new(ErrorKind::Malformed, origin, line, problem, EXPECTED)
        };
        let is_empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name();
                let name = name.as_ref();
                if !state.saw_root {
                    if name != "nmaprun" {
                        return Err(malformed(format!(
                            "the root element is <{}>, not <nmaprun>",
                            name
                        )));
                    }
                    state.saw_root = true;
                    continue;
                }
                match name {
                    "scaninfo" => {
                        let protocol = attribute(&e, "protocol").unwrap_or_default();
                        let services = attribute(&e, "services").unwrap_or_default();
                        if let Some(transport) = transport_of(&protocol) {
                            read_ranges(transport, &services, &mut ranges).map_err(&malformed)?;
                        }
                    }
                    "host" => state.host = Some(HostState::default()),
                    "status" => {
                        if let Some(host) = state.host.as_mut() {
                            host.up = Some(attribute(&e, "state").as_deref() == Some("up"));
                        }
                    }
                    "address" => {
                        if let Some(host) = state.host.as_mut() {
                            let kind = attribute(&e, "addrtype").unwrap_or_default();
                            if (kind == "ipv4" || kind == "ipv6") && host.address.is_none() {
                                let text = attribute(&e, "addr").unwrap_or_default();
                                let addr: IpAddr = text.parse().map_err(|_| {
                                    malformed(format!("address `{text}` is not an IP address"))
                                })?;
                                host.address = Some(addr);
                            }
                        }
                    }
                    "port" => {
                        let protocol = attribute(&e, "protocol").unwrap_or_default();
                        let portid = attribute(&e, "portid").unwrap_or_default();
                        let port = portid.parse::<u16>().map_err(|_| {
                            malformed(format!("portid `{portid}` is not a port number"))
                        })?;
                        state.port = Some(PortState {
                            transport: transport_of(&protocol),
                            port,
                            line,
                            ..PortState::default()
                        });
                        if is_empty {
                            finish_port(origin, &mut state, &mut parsed);
                        }
                    }
                    "state" => {
                        if let Some(port) = state.port.as_mut() {
                            port.state = attribute(&e, "state");
                        }
                    }
                    "service" => {
                        if let Some(port) = state.port.as_mut() {
                            port.service = attribute(&e, "name").filter(|n| n != "unknown");
                            let product = [
                                attribute(&e, "product"),
                                attribute(&e, "version"),
                                attribute(&e, "extrainfo").map(|x| format!("({x})")),
                            ]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" ");
                            port.product = (!product.is_empty()).then_some(product);
                        }
                    }
                    "extraports" => {
                        let count = attribute(&e, "count").unwrap_or_default();
                        let kind = attribute(&e, "state").unwrap_or_default();
                        if kind.starts_with("open") {
                            parsed.note(format!(
                                "{count} ports reported as {kind} in bulk (<extraports>) are not \
                                 listed one by one"
                            ));
                        }
                        // The count is the input's word: a huge one must not overflow.
                        parsed.not_listening = parsed
                            .not_listening
                            .saturating_add(count.parse::<usize>().unwrap_or(0));
                    }
                    _ => {}
                }
            }
            Event::End(e) => match e.name().as_ref() {
                "port" => finish_port(origin, &mut state, &mut parsed),
                "host" => {
                    let host = state.host.take().unwrap_or_default();
                    if host.ports.len() + parsed.listeners.len() > MAX_LISTENERS {
                        return Err(too_many(origin, line));
                    }
                    // A host without <status> is taken as up: it has ports.
                    if let (true, Some(address)) = (host.up != Some(false), host.address) {
                        for mut listener in host.ports {
                            listener.address = address;
                            listener.host = Some(address.to_string());
                            parsed.listeners.push(listener);
                        }
                    }
                }
                "nmaprun" => state.closed_root = true,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !state.saw_root {
        return Err(AuditError::new(
            ErrorKind::Malformed,
            origin,
            0,
            "no <nmaprun> element",
            EXPECTED,
        ));
    }
    if !state.closed_root {
        return Err(AuditError::new(
            ErrorKind::Truncated,
            origin,
            line_of_offset(text.as_bytes(), text.len()),
            "the document ends before </nmaprun> (an interrupted scan?)",
            EXPECTED,
        ));
    }
    parsed.coverage.tcp = ranges.iter().any(|r| r.transport == Transport::Tcp);
    parsed.coverage.udp = ranges.iter().any(|r| r.transport == Transport::Udp);
    parsed.coverage.scanned = Some(ranges);
    Ok(parsed)
}

#[derive(Default)]
struct ReadState {
    saw_root: bool,
    closed_root: bool,
    host: Option<HostState>,
    port: Option<PortState>,
}

#[derive(Default)]
struct HostState {
    up: Option<bool>,
    address: Option<IpAddr>,
    ports: Vec<Listener>,
}

#[derive(Default)]
struct PortState {
    transport: Option<Transport>,
    port: u16,
    line: usize,
    state: Option<String>,
    service: Option<String>,
    product: Option<String>,
}

/// Ends a `<port>`: open and open|filtered ports become listeners of the current host.
fn finish_port(origin: &str, state: &mut ReadState, parsed: &mut Parsed) {
    let Some(port) = state.port.take() else {
        return;
    };
    let socket_state = match port.state.as_deref() {
        Some("open") => SocketState::Open,
        Some("open|filtered") => SocketState::OpenFiltered,
        _ => {
            parsed.not_listening += 1;
            return;
        }
    };
    let (Some(transport), Some(host), true) = (port.transport, state.host.as_mut(), port.port != 0)
    else {
        parsed.not_listening += 1;
        return;
    };
    if host.ports.len() >= MAX_LISTENERS {
        return;
    }
    let mut listener = Listener::new(
        transport,
        crate::listener::ANY_V4,
        port.port,
        socket_state,
        Origin {
            format: Format::NmapXml,
            source: origin.to_string(),
            line: port.line,
        },
    );
    listener.service = port.service;
    listener.product = port.product;
    host.ports.push(listener);
}

fn transport_of(protocol: &str) -> Option<Transport> {
    match protocol {
        "tcp" => Some(Transport::Tcp),
        "udp" => Some(Transport::Udp),
        _ => None,
    }
}

/// An attribute's value, with XML escapes resolved.
fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Reads `1-1024,3268-3269,49152-49160`.
fn read_ranges(
    transport: Transport,
    services: &str,
    ranges: &mut Vec<ScanRange>,
) -> Result<(), String> {
    for part in services.split(',').filter(|p| !p.trim().is_empty()) {
        if ranges.len() >= MAX_RANGES {
            return Err(format!("more than {MAX_RANGES} scanned port ranges"));
        }
        // nmap may list port 0, which no listener has: the grammar's ports start at 1.
        let part = part.trim();
        let without_zero = match part.strip_prefix("0-") {
            Some(rest) => format!("1-{rest}"),
            None if part == "0" => continue,
            None => part.to_string(),
        };
        let range = portolan_catalog::parse_port_range(&without_zero)
            .map_err(|problem| format!("scanned port list has `{part}`: {problem}"))?;
        let (first, last) = (range.first, range.last);
        ranges.push(ScanRange {
            transport,
            first,
            last,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanned_ranges_read_with_the_port_grammar() {
        let mut ranges = Vec::new();
        read_ranges(Transport::Tcp, "0-1024,3268-3269, 8080", &mut ranges).unwrap();
        let read: Vec<(u16, u16)> = ranges.iter().map(|r| (r.first, r.last)).collect();
        assert_eq!(read, [(1, 1024), (3268, 3269), (8080, 8080)]);
        let err = read_ranges(Transport::Tcp, "90-80", &mut Vec::new()).unwrap_err();
        assert!(
            err.contains("`90-80`") && err.contains("runs backwards"),
            "{err}"
        );
        assert!(read_ranges(Transport::Tcp, "http", &mut Vec::new()).is_err());
    }

    const SCAN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap">
<scaninfo type="udp" protocol="udp" numservices="3" services="53,161,389"/>
<host><status state="up"/>
<address addr="10.201.0.2" addrtype="ipv4"/>
<address addr="1E:AB:57:BD:6C:48" addrtype="mac"/>
<ports>
<port protocol="udp" portid="53"><state state="open"/><service name="domain" product="Samba &amp; co"/></port>
<port protocol="udp" portid="161"><state state="closed"/></port>
<port protocol="udp" portid="389"><state state="open|filtered"/></port>
</ports>
</host>
</nmaprun>
"#;

    #[test]
    fn reads_open_and_unconfirmed_ports() {
        let parsed = parse("scan.xml", SCAN).unwrap();
        assert_eq!(parsed.listeners.len(), 2);
        let dns = &parsed.listeners[0];
        assert_eq!(dns.host.as_deref(), Some("10.201.0.2"));
        assert_eq!(dns.service.as_deref(), Some("domain"));
        assert_eq!(dns.product.as_deref(), Some("Samba & co"));
        assert_eq!(dns.origin.line, 9);
        assert_eq!(parsed.listeners[1].state, SocketState::OpenFiltered);
        assert!(parsed.coverage.covers(Transport::Udp, 161));
        assert!(!parsed.coverage.covers(Transport::Udp, 162));
        assert!(!parsed.coverage.covers(Transport::Tcp, 53));
    }

    #[test]
    fn huge_extraports_counts_saturate() {
        let huge = usize::MAX;
        let xml = format!(
            "<nmaprun><host><status state=\"up\"/><address addr=\"10.0.0.1\" addrtype=\"ipv4\"/>\
             <ports><extraports state=\"closed\" count=\"{huge}\"/>\
             <extraports state=\"filtered\" count=\"{huge}\"/></ports></host></nmaprun>"
        );
        let parsed = parse("scan.xml", &xml).unwrap();
        assert_eq!(parsed.not_listening, usize::MAX);
    }

    #[test]
    fn truncated_and_foreign_documents() {
        let cut = &SCAN[..SCAN.len() - 20];
        let err = parse("scan.xml", cut).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Truncated);
        let err = parse("x.xml", "<svg></svg>").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Malformed);
        let err = parse("x.xml", "<nmaprun><host></nmaprun>").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Malformed);
    }
}
