//! Running an audit: group the listeners by host and port, name each port, compare with the
//! expectation, and sum it up in a verdict.

use std::collections::BTreeMap;

use portolan_catalog::{Catalog, PortSharing, Transport};

use crate::compare::{CompareOptions, Expectation, compare, expected_claims};
use crate::listener::{Coverage, Listener, Parsed, ScannedHost, StateCount};
use crate::naming::{HostContext, name_port};
use crate::report::{AuditReport, Comparison, Flag, FlagKind, PortReport};
use crate::rpc::{RpcEndpoint, resolve_for};
use crate::today::{Today, TodayOver};

/// How to audit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditOptions {
    /// Expect the services and rows the catalog marks optional too.
    pub include_optional: bool,
    /// Count bound UDP ports in 49152-65535 as unexpected; by default they are taken as
    /// client sockets or socket pools (the Windows DNS server binds thousands).
    pub ephemeral_udp_unexpected: bool,
    /// Endpoints from an endpoint-mapper dump: they name dynamic RPC ports, and with them
    /// only the ports they name count as dynamic RPC.
    pub rpc_endpoints: Vec<RpcEndpoint>,
    /// Which services can share a port (portolan_catalog's reviewed decisions); expected
    /// services that cannot are flagged on their port. Empty: nothing is flagged.
    pub port_sharing: PortSharing,
}

/// Audits every host of `input`: one report per host, in the order hosts first appear
/// (a machine's own sockets make one report with no host).
pub fn audit(
    catalog: &Catalog,
    input: &Parsed,
    expectation: Option<&Expectation>,
    options: &AuditOptions,
) -> Vec<AuditReport> {
    // Hosts in the order they first appear: every host a scan names, then the hosts of the
    // listeners; the index keeps grouping linear for scans of many hosts.
    let mut hosts: Vec<(Option<&str>, Vec<&Listener>)> = Vec::new();
    let mut index: std::collections::HashMap<Option<&str>, usize> =
        std::collections::HashMap::new();
    let mut scanned: std::collections::HashMap<&str, Vec<&ScannedHost>> =
        std::collections::HashMap::new();
    for host in &input.hosts {
        let key = Some(host.host.as_str());
        index.entry(key).or_insert_with(|| {
            hosts.push((key, Vec::new()));
            hosts.len() - 1
        });
        scanned.entry(host.host.as_str()).or_default().push(host);
    }
    for listener in &input.listeners {
        let host = listener.host.as_deref();
        let at = *index.entry(host).or_insert_with(|| {
            hosts.push((host, Vec::new()));
            hosts.len() - 1
        });
        if let Some((_, list)) = hosts.get_mut(at) {
            list.push(listener);
        }
    }
    if hosts.is_empty() {
        hosts.push((None, Vec::new()));
    }
    // Naming follows the evidence, not `--windows`: a service tag such as IKEEXT says the
    // listing came from today's Windows, whatever version the audit compares with.
    let today = Today::builtin().map(|t| t.over(catalog));
    hosts
        .into_iter()
        .map(|(host, listeners)| {
            let seen = host.and_then(|h| scanned.get(h)).map(Vec::as_slice);
            let known = Known {
                catalog,
                today: today.as_ref(),
            };
            let mut report = audit_host(known, input, host, seen, &listeners, expectation, options);
            report.compared = expectation.is_some();
            report
        })
        .collect()
}

/// What the scans say of one host, merged over the inputs that name it.
struct HostScan {
    names: Vec<String>,
    up: bool,
    reasons: Vec<String>,
    states: Vec<StateCount>,
    coverage: Coverage,
}

fn merge_scans(scans: &[&ScannedHost]) -> HostScan {
    let mut merged = HostScan {
        names: Vec::new(),
        up: false,
        reasons: Vec::new(),
        states: Vec::new(),
        coverage: Coverage::default(),
    };
    let mut first = true;
    for scan in scans {
        for name in scan.names.iter().chain(scan.addresses.iter()) {
            if *name != scan.host && !merged.names.contains(name) {
                merged.names.push(name.clone());
            }
        }
        merged.up |= scan.up;
        if let Some(reason) = &scan.reason
            && !merged.reasons.contains(reason)
        {
            merged.reasons.push(reason.clone());
        }
        for count in &scan.states {
            match merged
                .states
                .iter_mut()
                .find(|c| c.transport == count.transport && c.state == count.state)
            {
                Some(c) => c.count = c.count.saturating_add(count.count),
                None => merged.states.push(count.clone()),
            }
        }
        if first {
            merged.coverage = scan.coverage.clone();
            first = false;
        } else {
            merged.coverage.merge(&scan.coverage);
        }
    }
    merged
}

/// What names ports: the catalog, and today's Windows when its layer fits the catalog.
#[derive(Clone, Copy)]
struct Known<'a> {
    catalog: &'a Catalog,
    today: Option<&'a TodayOver<'a>>,
}

fn audit_host(
    known: Known<'_>,
    input: &Parsed,
    host: Option<&str>,
    scans: Option<&[&ScannedHost]>,
    listeners: &[&Listener],
    expectation: Option<&Expectation>,
    options: &AuditOptions,
) -> AuditReport {
    let Known { catalog, today } = known;
    let scan = scans.map(merge_scans);
    let coverage = scan
        .as_ref()
        .map_or_else(|| input.coverage.clone(), |s| s.coverage.clone());
    let (host_names, port_states) = scan.as_ref().map_or((Vec::new(), Vec::new()), |s| {
        (s.names.clone(), s.states.clone())
    });
    if let Some(scan) = scan.as_ref().filter(|s| !s.up) {
        let reason = if scan.reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", scan.reasons.join(", "))
        };
        return AuditReport {
            host: host.map(str::to_string),
            host_names,
            audited: false,
            port_states,
            sources: input.sources.clone(),
            coverage,
            ports: Vec::new(),
            comparison: None,
            verdict: format!("not audited: the host did not answer the scan{reason}"),
            notes: input.notes.clone(),
            compared: false,
        };
    }
    let mut groups: BTreeMap<(u8, u16), Vec<&Listener>> = BTreeMap::new();
    for &listener in listeners {
        let order = match listener.transport {
            Transport::Tcp => 0,
            Transport::Udp => 1,
            Transport::Ip(n) => n.saturating_add(2),
        };
        groups
            .entry((order, listener.port))
            .or_default()
            .push(listener);
    }
    let endpoints = resolve_for(&options.rpc_endpoints, host);
    let smb_direct = listeners.iter().any(|l| {
        l.transport == Transport::Tcp && l.port == 445 && l.is_reachable() && l.state.is_certain()
    });
    let context = HostContext {
        smb_direct,
        endpoints: &endpoints,
        today,
    };
    let mut ports: Vec<PortReport> = groups
        .values()
        .filter_map(|group| {
            let first = group.first()?;
            Some(name_port(
                catalog,
                first.transport,
                first.port,
                group,
                &context,
            ))
        })
        .collect();
    let comparison = expectation.map(|e| {
        compare(
            catalog,
            e,
            &mut ports,
            &coverage,
            &endpoints,
            &CompareOptions {
                include_optional: options.include_optional,
                ephemeral_udp_unexpected: options.ephemeral_udp_unexpected,
            },
        )
    });
    let comparison = match (comparison, expectation) {
        (Some(mut c), Some(e)) => {
            c.conflicts = flag_conflicts(catalog, e, &options.port_sharing, &mut ports);
            Some(c)
        }
        (c, _) => c,
    };
    let verdict = match (&comparison, expectation) {
        (Some(c), Some(e)) => comparison_verdict(c, e),
        _ => listing_verdict(&ports),
    };
    let verdict = match (&scan, ports.is_empty()) {
        (Some(_), true) if port_states.is_empty() => verdict,
        (Some(_), true) => format!(
            "{verdict}; scanned: {}",
            port_states
                .iter()
                .map(|c| format!(
                    "{} {}{}",
                    c.count,
                    c.state,
                    c.transport
                        .as_deref()
                        .map_or(String::new(), |t| format!(" ({t})"))
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => verdict,
    };
    AuditReport {
        host: host.map(str::to_string),
        host_names,
        audited: true,
        port_states,
        sources: input.sources.clone(),
        coverage,
        ports,
        comparison,
        verdict,
        notes: input.notes.clone(),
        compared: false,
    }
}

/// The conflicts among the expected services, each flagged on the port it concerns when
/// something listens there: one listener, two expected services, only one can be it.
fn flag_conflicts(
    catalog: &Catalog,
    expectation: &Expectation,
    sharing: &PortSharing,
    ports: &mut [PortReport],
) -> Vec<portolan_catalog::PortConflict> {
    let claims = expected_claims(catalog, expectation);
    let conflicts = sharing.conflicts(claims.iter().map(|(s, k)| (s.as_str(), *k)));
    let name = |id: &str| {
        catalog
            .service(id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    };
    for c in &conflicts {
        let Some(port) = ports
            .iter_mut()
            .find(|p| p.transport == c.transport && p.port == c.port)
        else {
            continue;
        };
        let [a, b] = &c.services;
        port.flags.push(Flag {
            kind: FlagKind::PortConflict,
            service: None,
            certain: true,
            text: format!(
                "one listener, two expected services: {} and {} cannot both listen on {} {}{}",
                name(a),
                name(b),
                c.transport,
                c.port,
                c.rule
                    .as_deref()
                    .map_or_else(String::new, |r| format!(" ({r})"))
            ),
        });
    }
    conflicts
}

/// Items listed in a verdict before "and N more".
const VERDICT_ITEMS: usize = 6;

fn items(keys: &[String]) -> String {
    let shown: Vec<&str> = keys
        .iter()
        .take(VERDICT_ITEMS)
        .map(String::as_str)
        .collect();
    match keys.len().checked_sub(VERDICT_ITEMS) {
        Some(more) if more > 0 => format!("{} and {more} more", shown.join(", ")),
        _ => shown.join(", "),
    }
}

fn comparison_verdict(c: &Comparison, e: &Expectation) -> String {
    let target = e.describe();
    let mut text = if c.matches {
        let present = c.expected.iter().filter(|x| x.status.is_present()).count();
        format!("matches {target}: {present} expected ports listen")
    } else {
        let mut parts = Vec::new();
        if !c.missing.is_empty() {
            parts.push(format!("missing {}", items(&c.missing)));
        }
        if !c.unexpected.is_empty() {
            parts.push(format!("unexpected {}", items(&c.unexpected)));
        }
        format!("does not match {target}: {}", parts.join("; "))
    };
    if !c.unconfirmed.is_empty() {
        text.push_str(&format!("; unconfirmed {}", items(&c.unconfirmed)));
    }
    if !c.not_covered.is_empty() {
        text.push_str(&format!("; not in the input: {}", items(&c.not_covered)));
    }
    if !c.conflicts.is_empty() {
        let keys: Vec<String> = c
            .conflicts
            .iter()
            .map(|x| format!("{}/{}", x.transport.key(), x.port))
            .collect();
        text.push_str(&format!(
            "; expected services that cannot share a port: {}",
            items(&keys)
        ));
    }
    text
}

fn listing_verdict(ports: &[PortReport]) -> String {
    let reachable = ports.iter().filter(|p| p.reachable).count();
    let flagged = ports
        .iter()
        .filter(|p| p.flags.iter().any(|f| f.certain))
        .count();
    let unknown = ports
        .iter()
        .filter(|p| p.reachable && p.candidates.is_empty() && p.extra.is_none())
        .count();
    format!(
        "{} listening ports: {reachable} reachable from the network, {} loopback only; \
         {flagged} flagged, {unknown} unknown to the catalog",
        ports.len(),
        ports.len() - reachable
    )
}
