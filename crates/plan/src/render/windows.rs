//! What the two Windows dialects (PowerShell and netsh) share: Windows Firewall names the RPC
//! endpoint mapper and the dynamic RPC ports with keywords scoped to a service, so those uses
//! become their own rules and only the remaining ports are folded.

use portolan_catalog::Transport;

use crate::plan::{Plan, UseKind};
use crate::ports::PortRange;
use crate::render::text;

/// The service that hosts the endpoint mapper.
const EPMAP_SERVICE: &str = "RpcSs";
/// The program that hosts RpcSs.
const SVCHOST: &str = "%SystemRoot%\\System32\\svchost.exe";
/// The Local Security Authority is a process, not a service: rules name its program.
const LSASS_SERVICE: &str = "LSASS";
const LSASS_PROGRAM: &str = "%SystemRoot%\\System32\\lsass.exe";

/// The ports of a Windows rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WinPorts {
    /// The endpoint mapper keyword (`RPCEPMap`, `RPC-EPMap`).
    EndpointMapper,
    /// The dynamic RPC keyword (`RPC`).
    DynamicRpc,
    /// Port numbers and ranges.
    List(Vec<PortRange>),
    /// An IP protocol without ports.
    NoPorts,
}

/// One Windows Firewall rule.
#[derive(Debug, Clone)]
pub(crate) struct WinRule {
    /// Short display text after "portolan: ".
    pub display: String,
    pub transport: Transport,
    pub ports: WinPorts,
    pub service: Option<String>,
    pub program: Option<String>,
    /// The full explanation.
    pub lines: Vec<String>,
    pub optional: bool,
    /// The remote addresses admitted; `None` for any.
    pub remote: Option<Vec<String>>,
}

/// The Windows rules of a plan, in order: endpoint mapper, dynamic RPC per service, the rest;
/// with sources per class, those of each audience in turn.
pub(crate) fn rules(plan: &Plan) -> Vec<WinRule> {
    let mut out = Vec::new();
    for sub in plan.audience_plans() {
        let mut rules = audience_rules(&sub);
        let remote = remote_addresses(&sub);
        let heading = text::audience_heading(&sub);
        let label = sub.focus_audience().map(|a| a.label());
        for rule in &mut rules {
            rule.remote = remote.clone();
            if let Some(label) = &label {
                rule.display = format!("{} from {label}", rule.display);
            }
            if let Some(heading) = &heading {
                rule.lines.insert(0, heading.clone());
            }
        }
        out.extend(rules);
    }
    out
}

/// The rules of a plan of one audience.
fn audience_rules(plan: &Plan) -> Vec<WinRule> {
    let mut out = Vec::new();
    let in_focus = |u: &&crate::plan::PortUse| plan.focus.is_none_or(|f| f == u.audience);
    let epmap: Vec<_> = plan
        .uses
        .iter()
        .filter(in_focus)
        .filter(|u| u.kind == UseKind::RpcEndpointMapper)
        .collect();
    if !epmap.is_empty() {
        let mut services: Vec<usize> = Vec::new();
        for u in &epmap {
            if !services.contains(&u.service) {
                services.push(u.service);
            }
        }
        out.push(WinRule {
            display: "TCP 135 RPC endpoint mapper".to_string(),
            transport: Transport::Tcp,
            ports: WinPorts::EndpointMapper,
            service: Some(EPMAP_SERVICE.to_string()),
            program: Some(SVCHOST.to_string()),
            lines: vec![format!(
                "TCP 135 RPC endpoint mapper: {}",
                labels(plan, &services)
            )],
            optional: epmap.iter().all(|u| u.optional),
            remote: None,
        });
    }
    let mut dynamic: Vec<usize> = Vec::new();
    for u in plan
        .uses
        .iter()
        .filter(in_focus)
        .filter(|u| u.kind == UseKind::RpcDynamic)
    {
        if !dynamic.contains(&u.service) {
            dynamic.push(u.service);
        }
    }
    for &index in &dynamic {
        let Some(service) = plan.service(index) else {
            continue;
        };
        let optional = plan
            .uses
            .iter()
            .filter(in_focus)
            .filter(|u| u.kind == UseKind::RpcDynamic && u.service == index)
            .all(|u| u.optional);
        let (svc, program, scope) = match service.windows_service.as_deref() {
            Some(ws) if ws.eq_ignore_ascii_case(LSASS_SERVICE) => (
                None,
                Some(LSASS_PROGRAM.to_string()),
                "scoped to lsass.exe (the Local Security Authority is a process, not a service)",
            ),
            Some(ws) => (Some(ws.to_string()), None, "scoped to the service"),
            None => (
                None,
                None,
                "not scoped: the catalog names no Windows service, so any RPC server is admitted",
            ),
        };
        out.push(WinRule {
            display: format!("dynamic RPC for {}", service.short_name()),
            transport: Transport::Tcp,
            ports: WinPorts::DynamicRpc,
            service: svc,
            program,
            lines: vec![format!(
                "TCP dynamic RPC (the RPC keyword): {}, {scope}",
                service.label()
            )],
            optional,
            remote: None,
        });
    }
    let rest = plan.fold(|u| !matches!(u.kind, UseKind::RpcEndpointMapper | UseKind::RpcDynamic));
    for group in plan.groups(&rest) {
        let ports = if group.transport.has_ports() {
            WinPorts::List(group.ranges.clone())
        } else {
            WinPorts::NoPorts
        };
        let names = text::short_names(plan, &group.services).join(", ");
        let what = match &ports {
            WinPorts::List(r) => format!("{} {}", group.transport, join(r, "-")),
            _ => group.transport.to_string(),
        };
        out.push(WinRule {
            display: format!("{what} ({names})"),
            transport: group.transport,
            ports,
            service: None,
            program: None,
            lines: text::explain_group(plan, &rest, &group),
            optional: group.optional,
            remote: None,
        });
    }
    out
}

fn labels(plan: &Plan, services: &[usize]) -> String {
    services
        .iter()
        .filter_map(|&i| plan.service(i))
        .map(|s| s.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a Windows firewall rule matches, shared by `netsh` and PowerShell, which spell the
/// keys differently.
pub(crate) enum Match {
    /// `tcp`, `udp` or the IP protocol number.
    Protocol(String),
    /// Local ports: a list, or the endpoint mapper / dynamic RPC keyword.
    LocalPort(String),
    /// The program path the rule is scoped to.
    Program(String),
    /// The service the rule is scoped to.
    Service(String),
}

/// The protocol, local ports, program and service `rule` matches, in that order. `epmap` is
/// the dialect's keyword for the endpoint mapper (`RPC-EPMap`, `RPCEPMap`).
pub(crate) fn matches(rule: &WinRule, epmap: &str) -> Vec<Match> {
    let mut out = vec![Match::Protocol(match rule.transport {
        Transport::Tcp => "tcp".to_string(),
        Transport::Udp => "udp".to_string(),
        other => other.protocol_number().to_string(),
    })];
    match &rule.ports {
        WinPorts::EndpointMapper => out.push(Match::LocalPort(epmap.to_string())),
        WinPorts::DynamicRpc => out.push(Match::LocalPort("RPC".to_string())),
        WinPorts::List(r) => out.push(Match::LocalPort(join(r, "-"))),
        WinPorts::NoPorts => {}
    }
    out.extend(rule.program.clone().map(Match::Program));
    out.extend(rule.service.clone().map(Match::Service));
    out
}

/// Ranges joined by commas, each written with `sep`.
pub(crate) fn join(ranges: &[PortRange], sep: &str) -> String {
    ranges
        .iter()
        .map(|r| r.with_separator(sep))
        .collect::<Vec<_>>()
        .join(",")
}

/// The remote addresses a rule admits, or `None` for any (both families, any address).
pub(crate) fn remote_addresses(plan: &Plan) -> Option<Vec<String>> {
    let both_any = plan.scopes.len() == 2 && plan.scopes.iter().all(|s| s.is_any());
    if both_any {
        return None;
    }
    Some(
        plan.scopes
            .iter()
            .flat_map(|s| s.sources_or_any())
            .map(|n| text::net(&n))
            .collect(),
    )
}

/// Notes both Windows dialects print.
pub(crate) fn notes() -> Vec<String> {
    vec![
        "The endpoint mapper (TCP 135) and dynamic RPC use Windows Firewall's RPC keywords: the dynamic rules admit only the ports the endpoint mapper hands to the named service, not a whole range.".to_string(),
        "Rules for fixed ports name no service: SMB, HTTP and other kernel-mode listeners do not run as the service that owns them, so a service filter would never match.".to_string(),
        "Rules are inbound allow rules in every profile; Windows Firewall blocks other inbound traffic by default.".to_string(),
    ]
}
