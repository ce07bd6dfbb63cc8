//! portolan's own `check` output: the JSON document (`--format json`) or its JSON Lines
//! (`--format jsonl`), as docs/json.md describes them.
//!
//! A check looks from the outside, like a scan: a LISTENING port becomes an open listener of
//! its host, LISTENING OR FILTERED an uncertain one, and every port the check probed counts as
//! covered, so a port that was probed and found closed or filtered is "missing", while a port
//! the check never probed is "not covered".

use portolan_catalog::{PortRange, Transport};
use serde::Deserialize;

use crate::error::{AuditError, ErrorKind};
use crate::listener::{
    Coverage, Format, Listener, Origin, Parsed, ScanRange, ScannedHost, SocketState, StateCount,
};
use crate::text::MAX_LISTENERS;

const EXPECTED: &str =
    "portolan check output: the document of `--format json` or the lines of `--format jsonl`";

#[derive(Deserialize)]
struct Document {
    schema_version: Option<u32>,
    hosts: Vec<Host>,
}

#[derive(Deserialize)]
struct Host {
    results: Vec<Result1>,
}

/// One port's result; only the fields an audit needs are read.
#[derive(Deserialize)]
struct Result1 {
    address: std::net::IpAddr,
    transport: String,
    port: u16,
    status: String,
}

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

/// Reads check output; `strict` makes a result that cannot be read an error. Every probed
/// address is a host of [`Parsed::hosts`], with or without a listening port.
pub fn read(origin: &str, text: &str, strict: bool) -> Result<Parsed, AuditError> {
    let mut parsed = Parsed::new(Format::Check, origin);
    parsed.strict = strict;
    let error =
        |kind, line, problem: String| AuditError::new(kind, origin, line, problem, EXPECTED);
    let trimmed = text.trim_start();
    // A document has "hosts" at its top; JSON Lines have one result per line.
    let results: Vec<(usize, Result1)> = match serde_json::from_str::<Document>(trimmed) {
        Ok(document) => {
            if document.schema_version.is_some_and(|v| v != 1) {
                return Err(error(
                    ErrorKind::Malformed,
                    1,
                    format!(
                        "schema_version {} is not one this version reads (1)",
                        document.schema_version.unwrap_or_default()
                    ),
                ));
            }
            document
                .hosts
                .into_iter()
                .flat_map(|h| h.results)
                .map(|r| (1, r))
                .collect()
        }
        Err(document_error) => {
            let mut lines = Vec::new();
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let result: Result1 = match serde_json::from_str(line) {
                    Ok(result) => result,
                    Err(e) => {
                        let kind = if e.is_eof() {
                            ErrorKind::Truncated
                        } else {
                            ErrorKind::Malformed
                        };
                        if n == 0 || lines.is_empty() {
                            return Err(error(
                                kind,
                                n + 1,
                                format!(
                                    "neither a check document ({document_error}) nor a result \
                                     line ({e})"
                                ),
                            ));
                        }
                        parsed.skip(error(kind, n + 1, format!("not a check result: {e}")))?;
                        continue;
                    }
                };
                lines.push((n + 1, result));
                if lines.len() > MAX_LISTENERS {
                    return Err(error(
                        ErrorKind::TooManyRows,
                        n + 1,
                        format!("more than {MAX_LISTENERS} results"),
                    ));
                }
            }
            lines
        }
    };
    if results.len() > MAX_LISTENERS {
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
    for (line, r) in results {
        let transport = match r.transport.as_str() {
            "tcp" => Transport::Tcp,
            "udp" => Transport::Udp,
            other => {
                parsed.skip(error(
                    ErrorKind::Malformed,
                    line,
                    format!("transport `{other}` is neither tcp nor udp"),
                ))?;
                continue;
            }
        };
        if r.port == 0 {
            parsed.skip(error(
                ErrorKind::Malformed,
                line,
                "port 0 is not a port a check probes".to_string(),
            ))?;
            continue;
        }
        let state = match r.status.as_str() {
            "LISTENING" => Some(SocketState::Open),
            "LISTENING OR FILTERED" => Some(SocketState::OpenFiltered),
            "NOT LISTENING" | "FILTERED" => None,
            // Not probed: says nothing of the port, so it is not counted as covered.
            "ERROR" => continue,
            other => {
                parsed.skip(error(
                    ErrorKind::Malformed,
                    line,
                    format!("status `{other}` is not one of PortQry's verdicts"),
                ))?;
                continue;
            }
        };
        let host = r.address.to_string();
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
                .find(|c| c.transport == key && c.state == r.status)
            {
                Some(c) => c.count += 1,
                None => h.states.push(StateCount {
                    transport: key,
                    state: r.status.clone(),
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
            first: r.port,
            last: r.port,
        });
        let Some(state) = state else {
            parsed.not_listening += 1;
            continue;
        };
        let mut listener = Listener::new(
            transport,
            r.address,
            r.port,
            state,
            Origin {
                format: Format::Check,
                source: origin.to_string(),
                line,
            },
        );
        listener.host = Some(r.address.to_string());
        parsed.listeners.push(listener);
    }
    parsed.coverage.scanned = Some(fold(scanned));
    for mut host in hosts {
        host.coverage = parsed.coverage.clone();
        parsed.hosts.push(host);
    }
    Ok(parsed)
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
                    "{{\"address\":\"10.0.0.{host}\",\"transport\":\"{transport}\",\"port\":{port},\"status\":\"FILTERED\",\"probe\":\"p\"}}\n"
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
    fn refuses_what_is_not_check_output() {
        for (text, kind) in [
            ("{\"hosts\": [", ErrorKind::Truncated),
            (
                "{\"address\":\"10.0.0.1\",\"transport\":\"sctp\",\"port\":1,\"status\":\"LISTENING\"}",
                ErrorKind::Malformed,
            ),
            (
                "{\"address\":\"10.0.0.1\",\"transport\":\"tcp\",\"port\":1,\"status\":\"OPEN\"}",
                ErrorKind::Malformed,
            ),
            (
                "{\"address\":\"10.0.0.1\",\"transport\":\"tcp\",\"port\":70000,\"status\":\"LISTENING\"}",
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
