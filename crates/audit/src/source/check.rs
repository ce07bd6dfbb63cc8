//! portolan's own `check` output: the JSON document (`--format json`) or its JSON Lines
//! (`--format jsonl`), as docs/json.md describes them.
//!
//! A check looks from the outside, like a scan: a LISTENING port becomes an open listener of
//! its host, LISTENING OR FILTERED an uncertain one, and every port the check probed counts as
//! covered, so a port that was probed and found closed or filtered is "missing", while a port
//! the check never probed is "not covered".

use portolan_catalog::{PortRange, Transport};
use portolan_core::Verdict;
use portolan_report::Results;

use crate::error::{AuditError, ErrorKind};
use crate::listener::{
    Coverage, Format, Listener, Origin, Parsed, ScanRange, ScannedHost, SocketState, StateCount,
};
use crate::text::MAX_LISTENERS;

const EXPECTED: &str =
    "portolan check output: the document of `--format json` or the lines of `--format jsonl`";

/// Whether `text` looks like check output (and not like PowerShell's JSON).
pub fn looks_like(text: &str) -> bool {
    let head = text.get(..text.len().min(4096)).unwrap_or(text);
    let start = head.trim_start();
    start.starts_with('{')
        && ((head.contains("\"schema_version\"") && head.contains("\"hosts\""))
            || (head.contains("\"probe\"") && head.contains("\"status\"")))
}

/// Reads check output; a result that cannot be read is skipped (see [`read`]).
pub fn parse(origin: &str, text: &str) -> Result<Parsed, AuditError> {
    read(origin, text, false)
}

/// Reads check output (and `scan`'s JSON, the same outside view) through the one reader of
/// saved results, `portolan_report::Results`; `strict` makes a result that cannot be read an
/// error. Every probed address is a host of [`Parsed::hosts`], with or without a listening
/// port.
pub fn read(origin: &str, text: &str, strict: bool) -> Result<Parsed, AuditError> {
    let mut parsed = Parsed::new(Format::Check, origin);
    parsed.strict = strict;
    let error =
        |kind, line, problem: String| AuditError::new(kind, origin, line, problem, EXPECTED);
    let mut results = Results::default();
    let read = if strict {
        results.add_text(origin, "", text)
    } else {
        results.add_text_lenient(origin, "", text)
    };
    read.map_err(|e| match e.skipped() {
        Some(s) => error(kind_of(s.truncated), s.line, s.problem),
        None => error(ErrorKind::Io, 0, e.to_string()),
    })?;
    for s in results.skipped {
        parsed.skip(error(kind_of(s.truncated), s.line, s.problem))?;
    }
    if let Some(audit) = results.audits.first() {
        return Err(AuditError::new(
            ErrorKind::WrongFormat,
            origin,
            audit.line,
            "an audit report is not a list of listeners".to_string(),
            EXPECTED,
        ));
    }
    if results.observations.len() > MAX_LISTENERS {
        return Err(error(
            ErrorKind::TooManyRows,
            1,
            format!("more than {MAX_LISTENERS} results"),
        ));
    }
    let mut scanned = Vec::new();
    let mut hosts: Vec<ScannedHost> = Vec::new();
    // Hosts by address, so a check of many hosts is read in linear time.
    let mut host_index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for r in results.observations {
        let line = r.line;
        let transport = match r.key.transport {
            portolan_report::Transport::Tcp => Transport::Tcp,
            portolan_report::Transport::Udp => Transport::Udp,
        };
        let port = r.key.port;
        if port == 0 {
            parsed.skip(error(
                ErrorKind::Malformed,
                line,
                "port 0 is not a port a check probes".to_string(),
            ))?;
            continue;
        }
        let Ok(address) = r.address.parse::<std::net::IpAddr>() else {
            parsed.skip(error(
                ErrorKind::Malformed,
                line,
                format!("address `{}` is not an IP address", r.address),
            ))?;
            continue;
        };
        let state = match r.verdict {
            Verdict::Listening => Some(SocketState::Open),
            Verdict::ListeningOrFiltered => Some(SocketState::OpenFiltered),
            Verdict::NotListening | Verdict::Filtered => None,
            // Not probed: says nothing of the port, so it is not counted as covered.
            Verdict::Error => continue,
        };
        let status = r.verdict.as_str();
        let host = address.to_string();
        let at = match host_index.get(&host) {
            Some(&at) => at,
            None => {
                host_index.insert(host.clone(), hosts.len());
                hosts.push(ScannedHost {
                    host: host.clone(),
                    addresses: vec![host.clone()],
                    names: Vec::new(),
                    up: true,
                    reason: None,
                    states: Vec::new(),
                    coverage: Coverage::default(),
                    source: origin.to_string(),
                });
                hosts.len() - 1
            }
        };
        if let Some(h) = hosts.get_mut(at) {
            let key = Some(transport.key());
            match h
                .states
                .iter_mut()
                .find(|c| c.transport == key && c.state == status)
            {
                Some(c) => c.count += 1,
                None => h.states.push(StateCount {
                    transport: key,
                    state: status.to_string(),
                    count: 1,
                }),
            }
        }
        match transport {
            Transport::Tcp => parsed.coverage.tcp = true,
            _ => parsed.coverage.udp = true,
        }
        scanned.push(ScanRange {
            transport,
            first: port,
            last: port,
        });
        let Some(state) = state else {
            parsed.not_listening += 1;
            continue;
        };
        let mut listener = Listener::new(
            transport,
            address,
            port,
            state,
            Origin {
                format: Format::Check,
                source: origin.to_string(),
                line,
            },
        );
        listener.host = Some(host);
        parsed.listeners.push(listener);
    }
    parsed.coverage.scanned = Some(fold(scanned));
    for mut host in hosts {
        host.coverage = parsed.coverage.clone();
        parsed.hosts.push(host);
    }
    Ok(parsed)
}

fn kind_of(truncated: bool) -> ErrorKind {
    if truncated {
        ErrorKind::Truncated
    } else {
        ErrorKind::Malformed
    }
}

/// One range per run of probed ports of a transport: a check of many hosts probes the same
/// ports on each, and every look-up of the coverage walks this list.
fn fold(ranges: Vec<ScanRange>) -> Vec<ScanRange> {
    let mut out = Vec::new();
    for transport in [Transport::Tcp, Transport::Udp] {
        let of_transport = ranges
            .iter()
            .filter(|r| r.transport == transport)
            .filter_map(|r| PortRange::new(r.first, r.last));
        out.extend(
            portolan_catalog::fold(of_transport)
                .into_iter()
                .map(|r| ScanRange {
                    transport,
                    first: r.first,
                    last: r.last,
                }),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = r#"{
  "schema_version": 1,
  "hosts": [ { "host": "dc1", "address": "10.203.0.2", "results": [
    { "host": "dc1", "address": "10.203.0.2", "transport": "tcp", "port": 88, "status": "LISTENING", "probe": "TCP connect" },
    { "host": "dc1", "address": "10.203.0.2", "transport": "udp", "port": 138, "status": "LISTENING OR FILTERED", "probe": "empty datagram" },
    { "host": "dc1", "address": "10.203.0.2", "transport": "tcp", "port": 593, "status": "NOT LISTENING", "probe": "TCP connect" }
  ], "unchecked": [] } ],
  "exit_code": 1
}"#;

    #[test]
    fn reads_the_document() {
        assert!(looks_like(DOCUMENT));
        let parsed = parse("check.json", DOCUMENT).unwrap();
        assert_eq!(parsed.listeners.len(), 2);
        assert_eq!(parsed.listeners[0].port, 88);
        assert_eq!(parsed.listeners[1].state, SocketState::OpenFiltered);
        assert_eq!(parsed.listeners[0].host.as_deref(), Some("10.203.0.2"));
        assert_eq!(parsed.not_listening, 1);
        assert!(parsed.coverage.covers(Transport::Tcp, 593));
        assert!(!parsed.coverage.covers(Transport::Tcp, 445));
    }

    #[test]
    fn reads_json_lines() {
        let lines = "{\"host\":\"h\",\"address\":\"::1\",\"transport\":\"tcp\",\"port\":445,\"status\":\"LISTENING\",\"probe\":\"TCP connect\"}\n\
                     {\"host\":\"h\",\"address\":\"::1\",\"transport\":\"udp\",\"port\":53,\"status\":\"FILTERED\",\"probe\":\"DNS\"}\n";
        assert!(looks_like(lines));
        let parsed = parse("check.jsonl", lines).unwrap();
        assert_eq!(parsed.listeners.len(), 1);
        assert_eq!(parsed.not_listening, 1);
    }

    #[test]
    fn probed_ports_of_many_hosts_fold_into_runs() {
        let mut lines = String::new();
        for host in 1..=200 {
            for (transport, port) in [("tcp", 445), ("tcp", 88), ("tcp", 89), ("udp", 88)] {
                lines.push_str(&format!(
                    "{{\"host\":\"h{host}\",\"address\":\"10.0.0.{host}\",\"transport\":\"{transport}\",\"port\":{port},\"status\":\"FILTERED\",\"probe\":\"p\"}}\n"
                ));
            }
        }
        let parsed = parse("check.jsonl", &lines).unwrap();
        let runs: Vec<(Transport, u16, u16)> = parsed
            .coverage
            .scanned
            .iter()
            .flatten()
            .map(|r| (r.transport, r.first, r.last))
            .collect();
        assert_eq!(
            runs,
            [
                (Transport::Tcp, 88, 89),
                (Transport::Tcp, 445, 445),
                (Transport::Udp, 88, 88)
            ]
        );
        assert!(parsed.coverage.covers(Transport::Tcp, 89));
        assert!(!parsed.coverage.covers(Transport::Udp, 89));
    }

    #[test]
    fn reads_a_saved_scan_as_the_same_outside_view() {
        let scan = include_str!("../../../report/tests/fixtures/scan.json");
        let parsed = read("scan.json", scan, true).unwrap();
        let open: Vec<u16> = parsed.listeners.iter().map(|l| l.port).collect();
        assert_eq!(open, [18080]);
        assert_eq!(parsed.not_listening, 1);
        assert!(parsed.coverage.covers(Transport::Tcp, 18081));
    }

    #[test]
    fn an_audit_report_is_not_a_listener_source() {
        let audit = include_str!("../../../report/tests/fixtures/audit.json");
        let err = read("audit.json", audit, false).unwrap_err();
        assert_eq!(err.kind, ErrorKind::WrongFormat, "{err}");
    }

    #[test]
    fn a_bad_result_line_is_skipped_and_named() {
        let good = "{\"host\":\"h\",\"address\":\"::1\",\"transport\":\"tcp\",\"port\":445,\"status\":\"LISTENING\"}";
        let text = format!(
            "{good}\n{}\n",
            good.replace("445", "446").replace("LISTENING", "OPEN")
        );
        let parsed = read("c.jsonl", &text, false).unwrap();
        assert_eq!(parsed.listeners.len(), 1);
        assert_eq!(parsed.skipped.len(), 1);
        assert_eq!(parsed.skipped[0].line, 2);
        assert_eq!(read("c.jsonl", &text, true).unwrap_err().line, 2);
    }

    #[test]
    fn refuses_what_is_not_check_output() {
        for (text, kind) in [
            ("{\"hosts\": [", ErrorKind::Truncated),
            (
                "{\"host\":\"h\",\"address\":\"10.0.0.1\",\"transport\":\"sctp\",\"port\":1,\"status\":\"LISTENING\"}",
                ErrorKind::Malformed,
            ),
            (
                "{\"host\":\"h\",\"address\":\"10.0.0.1\",\"transport\":\"tcp\",\"port\":1,\"status\":\"OPEN\"}",
                ErrorKind::Malformed,
            ),
            (
                "{\"host\":\"h\",\"address\":\"10.0.0.1\",\"transport\":\"tcp\",\"port\":70000,\"status\":\"LISTENING\"}",
                ErrorKind::Malformed,
            ),
            (
                "{\"schema_version\": 9, \"hosts\": []}",
                ErrorKind::Malformed,
            ),
        ] {
            let err = read("x", text, true).unwrap_err();
            assert_eq!(err.kind, kind, "{text}: {err}");
        }
    }
}
