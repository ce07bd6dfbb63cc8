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
use std::collections::BTreeMap;

use crate::listener::{
    Coverage, Format, Listener, Origin, Parsed, ScanRange, ScannedHost, SocketState, StateCount,
};
use crate::source::proc_net::too_many;
use crate::text::{LineCursor, MAX_LISTENERS, line_of_offset};

const EXPECTED: &str = "nmap XML as `nmap -oX` writes it (`<nmaprun>` ... `</nmaprun>`)";
/// The most scan ranges kept; nmap's own lists are far shorter.
const MAX_RANGES: usize = 65_536;

/// Reads one nmap XML document; an element that cannot be read is skipped (see [`read`]).
pub fn parse(origin: &str, text: &str) -> Result<Parsed, AuditError> {
    read(origin, text, false)
}

/// Reads one nmap XML document: every host it names, up or down, with its ports' states.
/// `strict` makes an address or port that cannot be read an error instead of a skipped one.
pub fn read(origin: &str, text: &str, strict: bool) -> Result<Parsed, AuditError> {
    let mut parsed = Parsed::new(Format::NmapXml, origin);
    parsed.strict = strict;
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
                    "host" => {
                        state.host = Some(HostState {
                            line: Some(line),
                            ..HostState::default()
                        })
                    }
                    "status" => {
                        if let Some(host) = state.host.as_mut() {
                            host.up = Some(attribute(&e, "state").as_deref() == Some("up"));
                            host.reason = attribute(&e, "reason");
                        }
                    }
                    "address" => {
                        if let Some(host) = state.host.as_mut() {
                            let kind = attribute(&e, "addrtype").unwrap_or_default();
                            let text = attribute(&e, "addr").unwrap_or_default();
                            if (kind == "ipv4" || kind == "ipv6") && host.address.is_none() {
                                match text.parse::<IpAddr>() {
                                    Ok(addr) => host.address = Some(addr),
                                    Err(_) => {
                                        parsed.skip(malformed(format!(
                                            "address `{text}` is not an IP address"
                                        )))?;
                                        continue;
                                    }
                                }
                            }
                            if !text.is_empty()
                                && !host.addresses.contains(&text)
                                && host.addresses.len() < MAX_NAMES
                            {
                                host.addresses.push(text);
                            }
                        }
                    }
                    "hostname" => {
                        if let Some(host) = state.host.as_mut() {
                            let name = attribute(&e, "name").unwrap_or_default();
                            if !name.is_empty()
                                && !host.names.contains(&name)
                                && host.names.len() < MAX_NAMES
                            {
                                host.names.push(name);
                            }
                        }
                    }
                    "port" => {
                        let protocol = attribute(&e, "protocol").unwrap_or_default();
                        let portid = attribute(&e, "portid").unwrap_or_default();
                        let Ok(port) = portid.parse::<u16>() else {
                            parsed.skip(malformed(format!(
                                "portid `{portid}` is not a port number"
                            )))?;
                            // The port's <state> and <service> belong to no port now.
                            state.port = None;
                            continue;
                        };
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
                        let count = count.parse::<usize>().unwrap_or(0);
                        parsed.not_listening = parsed.not_listening.saturating_add(count);
                        if let Some(host) = state.host.as_mut() {
                            host.count(None, &kind, count);
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => match e.name().as_ref() {
                "port" => finish_port(origin, &mut state, &mut parsed),
                "host" => {
                    let host = state.host.take().unwrap_or_default();
                    if host.ports.len() + parsed.listeners.len() > MAX_LISTENERS
                        || parsed.hosts.len() >= MAX_LISTENERS
                    {
                        return Err(too_many(origin, line));
                    }
                    // The host's key: its IP address, else its first name, else its place.
                    let key = match (host.address, host.names.first()) {
                        (Some(address), _) => address.to_string(),
                        (None, Some(name)) => name.clone(),
                        (None, None) => {
                            format!("unnamed host ({origin}:{})", host.line.unwrap_or(line))
                        }
                    };
                    // A host without <status> is taken as up: it has ports.
                    let up = host.up != Some(false);
                    if up {
                        for mut listener in host.ports {
                            if let Some(address) = host.address {
                                listener.address = address;
                            }
                            listener.host = Some(key.clone());
                            parsed.listeners.push(listener);
                        }
                    }
                    let mut states: Vec<StateCount> = host
                        .states
                        .into_iter()
                        .map(|((transport, state), count)| StateCount {
                            transport,
                            state,
                            count,
                        })
                        .collect();
                    states.sort_by(|a, b| {
                        (a.transport.is_none(), &a.transport, &a.state).cmp(&(
                            b.transport.is_none(),
                            &b.transport,
                            &b.state,
                        ))
                    });
                    parsed.hosts.push(ScannedHost {
                        host: key,
                        addresses: host.addresses,
                        names: host.names,
                        up,
                        reason: host.reason,
                        states,
                        coverage: Coverage::default(),
                        source: origin.to_string(),
                    });
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
    // <extraports> has no protocol: with one scanned transport, it is that one.
    let only = match (parsed.coverage.tcp, parsed.coverage.udp) {
        (true, false) => Some(Transport::Tcp.key()),
        (false, true) => Some(Transport::Udp.key()),
        _ => None,
    };
    for host in &mut parsed.hosts {
        host.coverage = parsed.coverage.clone();
        if only.is_some() {
            for count in &mut host.states {
                if count.transport.is_none() {
                    count.transport.clone_from(&only);
                }
            }
        }
    }
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
    reason: Option<String>,
    line: Option<usize>,
    address: Option<IpAddr>,
    addresses: Vec<String>,
    names: Vec<String>,
    states: BTreeMap<(Option<String>, String), usize>,
    ports: Vec<Listener>,
}

impl HostState {
    fn count(&mut self, transport: Option<String>, state: &str, count: usize) {
        if self.states.len() >= MAX_NAMES
            && !self
                .states
                .contains_key(&(transport.clone(), state.to_string()))
        {
            return;
        }
        let entry = self
            .states
            .entry((transport, state.to_string()))
            .or_default();
        *entry = entry.saturating_add(count);
    }
}

/// The most addresses, names and distinct port states kept per host.
const MAX_NAMES: usize = 64;

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
    if let Some(host) = state.host.as_mut() {
        host.count(
            port.transport.map(|t| t.key()),
            port.state.as_deref().unwrap_or("unknown"),
            1,
        );
    }
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
