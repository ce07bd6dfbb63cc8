//! Naming a listening port from the catalog: its candidate services and how each relates to
//! the port, the well-known ports the catalog lacks, and flags.
//!
//! The rules, in order:
//! 1. Rows with a fixed port or range on the port's transport (listener rows only: rows an
//!    erratum marks spurious never name anything) give the candidates. On a port several
//!    services share, the service known to hold the socket is the owner and the others are
//!    "reached through" it (TCP 135: RpcSs owns the endpoint mapper). Otherwise a single
//!    service is the owner and several are candidates.
//! 2. A Windows service tag (`netstat -b`) or an executable that belongs to a candidate
//!    confirms it as the owner.
//! 3. With no fixed row, a port named by an endpoint-mapper dump belongs to the services of
//!    those interfaces; otherwise rows with dynamic ports (dynamic RPC, FTP passive) whose
//!    ranges hold the port are possible, never certain.
//! 4. Today's Windows ([`crate::today`]): a service tag of a service the modern layer knows
//!    (IKEEXT, DFSR, ADWS, WinRM, SSDPSRV) makes it the owner under today's names, and ports
//!    only the layer lists (9389, 5985) are named by its services.

use std::collections::BTreeSet;

use portolan_catalog::{Catalog, PortRow, PortSpec, Service, Transport};

use crate::listener::{BindingKind, Listener};
use crate::report::{
    BoundAddress, Candidate, ExtraPortInfo, Flag, FlagKind, PortReport, ProcessRef, Relation,
};
use crate::rpc::ResolvedEndpoint;
use crate::tables::{PROCESS_SERVICES, extra_port, is_implementation, shared_port};
use crate::today::TodayOver;

/// Names listed in a one-line summary before "and N more".
const NAMES_SHOWN: usize = 4;

/// What the naming of one port needs to know about the rest of the host.
pub(crate) struct HostContext<'a> {
    /// SMB listens directly on TCP 445, reachable from the network.
    pub smb_direct: bool,
    /// Endpoints of an endpoint-mapper dump for this host.
    pub endpoints: &'a [ResolvedEndpoint],
    /// Today's Windows (the modern layer), when it fits the catalog.
    pub today: Option<&'a TodayOver<'a>>,
}

/// Names one port from its listeners (all on the same transport and port).
pub(crate) fn name_port(
    catalog: &Catalog,
    transport: Transport,
    port: u16,
    listeners: &[&Listener],
    context: &HostContext<'_>,
) -> PortReport {
    let addresses = bound_addresses(listeners);
    let reachable = listeners.iter().any(|l| l.is_reachable());
    let certain = listeners.iter().any(|l| l.state.is_certain());
    let binding = widest_binding(listeners);
    let processes = processes(listeners);
    let source_services: Vec<String> = listeners
        .iter()
        .filter_map(|l| l.service.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    let mut candidates = fixed_candidates(catalog, transport, port);
    let mut rpc_interfaces = Vec::new();
    if candidates.is_empty() {
        let named: Vec<&ResolvedEndpoint> = context
            .endpoints
            .iter()
            .filter(|e| e.transport == transport && e.port == port)
            .collect();
        if named.is_empty() {
            candidates = dynamic_candidates(catalog, transport, port);
        } else {
            candidates = endpoint_candidates(catalog, &named);
            rpc_interfaces = named
                .iter()
                .map(|e| e.interface.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
        }
    }
    confirm_by_process(catalog, &mut candidates, listeners);
    let named_today = context
        .today
        .is_some_and(|t| t.name(transport, port, listeners, &mut candidates));
    if named_today {
        // The services the layer added may be confirmed by their process (kpasswd in lsass).
        confirm_by_process(catalog, &mut candidates, listeners);
    }
    let mismatch = owner_mismatch(&mut candidates, listeners);
    let dynamic_holder = narrow_dynamic(catalog, &mut candidates, listeners);
    let extra = extra_port(transport, port).map(|e| ExtraPortInfo {
        id: e.id.to_string(),
        name: e.name.to_string(),
        note: e.note.to_string(),
        companion_of: e.companion_of.map(str::to_string),
    });
    let mut flags = flags(catalog, transport, port, &candidates, certain, context);
    let mut name = summary(
        transport,
        port,
        &candidates,
        &rpc_interfaces,
        // A port today's layer names needs no name from outside the catalog.
        extra.as_ref().filter(|_| !named_today),
    );
    if let Some((owners, holder)) = mismatch {
        let text = format!(
            "{} {port} is {owners} in the catalog; held by {holder}",
            transport.key().to_ascii_uppercase()
        );
        flags.insert(
            0,
            Flag {
                kind: FlagKind::OwnerMismatch,
                service: None,
                certain: true,
                text: text.clone(),
            },
        );
        name = text;
    }
    if let Some(holder) = dynamic_holder {
        name = format!(
            "held by {holder}: none of the catalog's services with dynamic ports runs in it"
        );
    }
    PortReport {
        transport,
        port,
        reachable,
        binding,
        certain,
        addresses,
        processes,
        source_services,
        candidates,
        rpc_interfaces,
        extra,
        flags,
        name,
        expectation: None,
    }
}

fn bound_addresses(listeners: &[&Listener]) -> Vec<BoundAddress> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for l in listeners {
        let address = match (&l.local_name, &l.interface) {
            (Some(name), _) => name.clone(),
            (None, Some(zone)) => format!("{}%{zone}", l.address),
            (None, None) => l.address.to_string(),
        };
        if seen.insert(address.clone()) {
            out.push(BoundAddress {
                address,
                binding: l.binding(),
                state: l.state,
                origin: format!("{}:{}:{}", l.origin.format, l.origin.source, l.origin.line),
            });
        }
    }
    out
}

fn widest_binding(listeners: &[&Listener]) -> BindingKind {
    let kinds: Vec<BindingKind> = listeners.iter().map(|l| l.binding()).collect();
    if kinds.contains(&BindingKind::Wildcard) {
        BindingKind::Wildcard
    } else if kinds.contains(&BindingKind::Specific) {
        BindingKind::Specific
    } else {
        BindingKind::Loopback
    }
}

fn processes(listeners: &[&Listener]) -> Vec<ProcessRef> {
    let mut set = BTreeSet::new();
    for l in listeners {
        if l.pid.is_some() || l.process.is_some() {
            set.insert(ProcessRef {
                pid: l.pid,
                process: l.process.clone(),
            });
        }
        for o in &l.other_owners {
            set.insert(ProcessRef {
                pid: o.pid,
                process: o.process.clone(),
            });
        }
    }
    set.into_iter().collect()
}

fn candidate(service: &Service, rows: &[&PortRow], relation: Relation) -> Candidate {
    let mut apps: Vec<String> = Vec::new();
    for row in rows {
        if !apps.contains(&row.app) {
            apps.push(row.app.clone());
        }
    }
    let port_kind = rows
        .first()
        .and_then(|r| r.port)
        .map_or("fixed", PortSpec::kind)
        .to_string();
    Candidate {
        service: service.id.clone(),
        name: service.name.clone(),
        windows_service: service.windows_service.clone(),
        relation,
        apps,
        port_kind,
        confirmed_by: None,
    }
}

/// Services with listener rows whose fixed port or range holds `port`.
fn fixed_candidates(catalog: &Catalog, transport: Transport, port: u16) -> Vec<Candidate> {
    let mut matched: Vec<(&Service, Vec<&PortRow>)> = Vec::new();
    for service in catalog.services() {
        let rows: Vec<&PortRow> = service
            .ports
            .iter()
            .filter(|r| r.listens_on(transport, port))
            .collect();
        if !rows.is_empty() {
            matched.push((service, rows));
        }
    }
    let shared = shared_port(transport, port);
    let owner_present = shared
        .and_then(|s| s.owner)
        .is_some_and(|owner| matched.iter().any(|(s, _)| s.id == owner));
    let alone = matched.len() == 1;
    let mut out: Vec<Candidate> = matched
        .iter()
        .map(|(service, rows)| {
            let relation = match shared {
                Some(rule) if rule.owner == Some(service.id.as_str()) => Relation::Owner,
                Some(rule) if owner_present || rule.owner.is_none() => Relation::ReachedThrough,
                _ if alone => Relation::Owner,
                _ => Relation::Candidate,
            };
            candidate(service, rows, relation)
        })
        .collect();
    // The owner first, then the catalog's order.
    out.sort_by_key(|c| c.relation != Relation::Owner);
    out
}

/// Services whose dynamic rows' ranges hold `port`.
fn dynamic_candidates(catalog: &Catalog, transport: Transport, port: u16) -> Vec<Candidate> {
    let mut out = Vec::new();
    for service in catalog.services() {
        let rows: Vec<&PortRow> = service
            .ports
            .iter()
            .filter(|r| r.listener && r.transport == transport)
            .filter(|r| {
                r.port.is_some_and(|spec| {
                    spec.is_dynamic()
                        && spec
                            .candidate_ranges()
                            .iter()
                            .any(|&(a, b)| a <= port && port <= b)
                })
            })
            .collect();
        if !rows.is_empty() {
            out.push(candidate(service, &rows, Relation::PossibleDynamic));
        }
    }
    out
}

/// Services an endpoint-mapper dump places on the port.
fn endpoint_candidates(catalog: &Catalog, endpoints: &[&ResolvedEndpoint]) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    for endpoint in endpoints {
        let Some(service) = endpoint
            .service
            .as_deref()
            .and_then(|id| catalog.service(id))
        else {
            continue;
        };
        if let Some(existing) = out.iter_mut().find(|c| c.service == service.id) {
            if let Some(by) = existing.confirmed_by.as_mut() {
                if !by.contains(&endpoint.interface) {
                    by.push_str(", ");
                    by.push_str(&endpoint.interface);
                }
            }
            continue;
        }
        let rows: Vec<&PortRow> = service
            .ports
            .iter()
            .filter(|r| r.port == Some(PortSpec::RpcDynamic))
            .collect();
        let mut c = candidate(service, &rows, Relation::RpcEndpoint);
        c.port_kind = PortSpec::RpcDynamic.kind().to_string();
        c.confirmed_by = Some(format!("endpoint mapper: {}", endpoint.interface));
        out.push(c);
    }
    out
}

/// A service tag or an executable that belongs to a candidate makes it the owner.
fn confirm_by_process(catalog: &Catalog, candidates: &mut [Candidate], listeners: &[&Listener]) {
    let mut confirmed_any = false;
    for c in candidates.iter_mut() {
        if matches!(
            c.relation,
            Relation::RpcEndpoint | Relation::PossibleDynamic
        ) {
            continue;
        }
        let Some(service) = catalog.service(&c.service) else {
            continue;
        };
        let by = listeners.iter().find_map(|l| confirmation(service, l));
        if let Some(by) = by {
            c.relation = Relation::Owner;
            c.confirmed_by = Some(by);
            confirmed_any = true;
        }
    }
    if confirmed_any {
        for c in candidates.iter_mut() {
            if c.relation == Relation::Owner && c.confirmed_by.is_none() {
                c.relation = Relation::Candidate;
            }
        }
        candidates.sort_by_key(|c| c.relation != Relation::Owner);
    }
}

/// The port's catalog owner, when the source names a process (or service tag) that is not it
/// and not a generic host: the owners lose their certainty (they become candidates) and the
/// port is named by what holds it. Returns the owners' display and the holder.
fn owner_mismatch(
    candidates: &mut [Candidate],
    listeners: &[&Listener],
) -> Option<(String, String)> {
    if candidates
        .iter()
        .any(|c| c.confirmed_by.is_some() || c.relation == Relation::RpcEndpoint)
    {
        return None;
    }
    let owners: Vec<String> = candidates
        .iter()
        .filter(|c| c.relation == Relation::Owner)
        .map(|c| {
            let apps = c.apps.join(", ");
            if apps.is_empty() {
                c.name.clone()
            } else {
                format!("{apps} ({})", c.name)
            }
        })
        .collect();
    if owners.is_empty() {
        return None;
    }
    // Every socket of the port must be held by a named process that is not the owner: one
    // socket of a generic or unnamed holder may be the owner's.
    let holder = specific_holders(listeners)?;
    for c in candidates.iter_mut() {
        if c.relation == Relation::Owner {
            c.relation = Relation::Candidate;
        }
    }
    Some((owners.join(" or "), holder))
}

/// A port in a dynamic range whose sockets a listing gives to named, specific processes is
/// theirs: of the catalog services that may take a dynamic port, only those the holders run
/// stay candidates (lsass.exe keeps Netlogon, not Certificate Services). When the holders run
/// none of them (a third-party daemon on an ephemeral port), no candidate is left and the
/// holders are returned, to name the port by.
fn narrow_dynamic(
    catalog: &Catalog,
    candidates: &mut Vec<Candidate>,
    listeners: &[&Listener],
) -> Option<String> {
    if candidates.is_empty()
        || candidates
            .iter()
            .any(|c| c.relation != Relation::PossibleDynamic)
    {
        return None;
    }
    let holder = specific_holders(listeners)?;
    candidates.retain(|c| {
        catalog
            .service(&c.service)
            .is_some_and(|service| listeners.iter().any(|l| confirmation(service, l).is_some()))
    });
    if !candidates.is_empty() {
        return None;
    }
    Some(holder)
}

/// The specific holders of every socket of a port, sorted and joined ("a.exe, b.exe"); `None`
/// when there is no socket or one of them has no specific holder (unnamed, or a generic host
/// such as svchost that may be anyone's).
fn specific_holders(listeners: &[&Listener]) -> Option<String> {
    let mut names = listeners
        .iter()
        .map(|l| specific_holder(l))
        .collect::<Option<Vec<String>>>()?;
    if names.is_empty() {
        return None;
    }
    names.sort();
    names.dedup();
    Some(names.join(", "))
}

/// The process (or Windows service tag) a socket listing gives for a listener, unless it is
/// a generic holder.
fn specific_holder(listener: &Listener) -> Option<String> {
    if listener.origin.format.is_remote() {
        return None;
    }
    if let Some(tag) = &listener.service {
        return Some(format!("service {tag}"));
    }
    let process = listener.process.as_deref()?;
    let base = process.rsplit(['\\', '/']).next().unwrap_or(process);
    let stem = base
        .strip_suffix(".exe")
        .or_else(|| base.strip_suffix(".EXE"))
        .unwrap_or(base);
    // `kdc[master]`, `ldap_server[worker(0)]`, `rpc(3`: Samba's task names.
    let stem = stem
        .split(['[', '('])
        .next()
        .unwrap_or(stem)
        .to_ascii_lowercase();
    if stem.is_empty() || is_implementation(&stem) {
        return None;
    }
    Some(process.to_string())
}

fn confirmation(service: &Service, listener: &Listener) -> Option<String> {
    if let (Some(tag), Some(name)) = (&listener.service, &service.windows_service) {
        // nmap's service guesses are not Windows service tags.
        if !listener.origin.format.is_remote() && tag.eq_ignore_ascii_case(name) {
            return Some(format!("service tag {tag}"));
        }
    }
    let process = listener.process.as_deref()?;
    let mut exe = process
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or(process)
        .to_ascii_lowercase();
    // Get-Process names carry no extension ("lsass").
    if !exe.contains('.') {
        exe.push_str(".exe");
    }
    let own = service
        .process
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case(&exe));
    let hosted = PROCESS_SERVICES
        .iter()
        .any(|(name, ids)| *name == exe && ids.contains(&service.id.as_str()));
    (own || hosted).then(|| format!("process {process}"))
}

fn flags(
    catalog: &Catalog,
    transport: Transport,
    port: u16,
    candidates: &[Candidate],
    certain: bool,
    context: &HostContext<'_>,
) -> Vec<Flag> {
    let mut out = Vec::new();
    if !certain {
        out.push(Flag {
            kind: FlagKind::Unconfirmed,
            service: None,
            certain: true,
            text: "seen open|filtered only: nothing confirmed that it listens".to_string(),
        });
    }
    let netbios = matches!(
        (transport, port),
        (Transport::Udp, 137) | (Transport::Udp, 138) | (Transport::Tcp, 139)
    );
    if netbios && context.smb_direct {
        out.push(Flag {
            kind: FlagKind::NetbiosWithSmb,
            service: None,
            certain: true,
            text: "NetBIOS over TCP/IP listens although SMB listens directly on TCP 445; only \
                   clients older than Windows 2000 need it"
                .to_string(),
        });
    }
    for c in candidates {
        let Some(service) = catalog.service(&c.service) else {
            continue;
        };
        let mut concerns: Vec<(FlagKind, String)> = Vec::new();
        if service.legacy {
            concerns.push((FlagKind::Legacy, "legacy service".to_string()));
        }
        if let Some(risk) = &service.risk {
            concerns.push((FlagKind::Risk, risk.trim_end_matches('.').to_string()));
        }
        if service.status == portolan_catalog::Status::OffByDefault {
            concerns.push((
                FlagKind::OffByDefault,
                "off by default, so someone enabled it".to_string(),
            ));
        }
        if c.relation.is_certain() {
            for (kind, text) in concerns {
                out.push(Flag {
                    kind,
                    service: Some(service.id.clone()),
                    certain: true,
                    text: format!("{}: {text}", service.name),
                });
            }
        } else if let Some(&(kind, _)) = concerns.first() {
            // A service that only may be here gets one flag, its concerns joined.
            let texts: Vec<&str> = concerns.iter().map(|(_, t)| t.as_str()).collect();
            out.push(Flag {
                kind,
                service: Some(service.id.clone()),
                certain: false,
                text: format!("possibly {}: {}", service.name, texts.join("; ")),
            });
        }
    }
    out
}

fn list(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(NAMES_SHOWN).map(String::as_str).collect();
    match names.len().checked_sub(NAMES_SHOWN) {
        Some(more) if more > 0 => format!("{} and {more} more", shown.join(", ")),
        _ => shown.join(", "),
    }
}

fn display(c: &Candidate) -> String {
    match &c.windows_service {
        Some(ws) => format!("{} ({ws})", c.name),
        None => c.name.clone(),
    }
}

fn summary(
    transport: Transport,
    port: u16,
    candidates: &[Candidate],
    rpc_interfaces: &[String],
    extra: Option<&ExtraPortInfo>,
) -> String {
    let of = |relation: Relation| -> Vec<String> {
        candidates
            .iter()
            .filter(|c| c.relation == relation)
            .map(display)
            .collect()
    };
    let owners = of(Relation::Owner);
    let through = of(Relation::ReachedThrough);
    let possible = of(Relation::Candidate);
    let dynamic = of(Relation::PossibleDynamic);
    let endpoints = of(Relation::RpcEndpoint);
    let mut parts: Vec<String> = Vec::new();
    if !owners.is_empty() {
        parts.push(list(&owners));
    }
    if !possible.is_empty() {
        if owners.is_empty() {
            parts.push(format!("one of: {}", list(&possible)));
        } else {
            parts.push(format!("also listed for: {}", list(&possible)));
        }
    }
    if !through.is_empty() {
        let via = shared_port(transport, port).map_or("its listener", |s| s.via);
        if owners.is_empty() {
            parts.push(format!("{via}, used by: {}", list(&through)));
        } else {
            parts.push(format!("reached through {via}: {}", list(&through)));
        }
    }
    if !endpoints.is_empty() {
        parts.push(format!(
            "dynamic RPC endpoint of: {} ({})",
            list(&endpoints),
            rpc_interfaces.join(", ")
        ));
    } else if !rpc_interfaces.is_empty() {
        parts.push(format!(
            "dynamic RPC endpoint ({})",
            rpc_interfaces.join(", ")
        ));
    }
    if !dynamic.is_empty() {
        let ftp = candidates
            .iter()
            .filter(|c| c.relation == Relation::PossibleDynamic)
            .all(|c| c.port_kind == PortSpec::FtpPassive.kind());
        let what = if ftp {
            "FTP passive data"
        } else {
            "dynamic RPC"
        };
        parts.push(format!(
            "possibly {what} of: {} (not certain)",
            list(&dynamic)
        ));
    }
    if let Some(extra) = extra {
        if parts.is_empty() {
            parts.push(format!("not in the catalog: {}", extra.name));
        } else {
            parts.push(format!("or, outside the catalog: {}", extra.name));
        }
    }
    if parts.is_empty() {
        "unknown to the catalog".to_string()
    } else {
        parts.join("; ")
    }
}
