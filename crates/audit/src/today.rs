//! Naming listeners as today's Windows has them, from the modern layer
//! (portolan_catalog::Modern): the services Windows Server 2008 and later run under their own
//! service names (IKEEXT, DFSR, ADWS, WinRM, ...), the ports only they hold, and today's
//! display names of the seed's services.
//!
//! The rules, applied after the seed's ([`crate::naming`]):
//! 1. A Windows service tag (`netstat -b`) or an executable that names a layer service with a
//!    row on the port (fixed, or dynamic RPC whose range holds it) at any version from 2008
//!    makes that service the owner. A seed candidate whose row on the port the layer hands to
//!    it (`owner`: LSASS's UDP 500 and 4500 to IKEEXT) is dropped; other fixed candidates
//!    stay as "also listed for"; possible dynamic ones go, the owner being known.
//! 2. A port no seed service lists is named by the layer services that have a row there
//!    and a Windows service name (a service Windows runs, not a product or a feature the
//!    documents only mention): TCP 9389 is ADWS, 5985 WinRM, UDP 443 the Server service's SMB
//!    over QUIC. One such service is the owner; several are candidates.
//!
//! A service rule 1 names is shown under today's display and service names (`SSDP Discovery
//! (SSDPSRV)`, `Remote Desktop Services (TermService)`): a service tag is itself a sign of
//! Windows Vista or later.

use std::cell::OnceCell;

use portolan_catalog::{Catalog, Modern, ModernService, PortSpec, Transport, WindowsVersion};

use crate::listener::Listener;
use crate::report::{Candidate, Relation};

/// Executables (lower case) of layer services that run in a process of their own, where
/// `netstat -b` may print the executable without a service tag.
pub(crate) const TODAY_PROCESSES: &[(&str, &str)] = &[
    (
        "microsoft.activedirectory.webservices.exe",
        "ad-web-services",
    ),
    ("dfsrs.exe", "dfs-replication"),
];

/// What the layer knows about today's listeners.
pub(crate) struct Today {
    modern: &'static Modern,
}

/// The layer read over one catalog: what [`Today::name`] works from. Each service's rows at
/// every version from 2008 are worked out once, on first use, and then serve every port of
/// the audit (working them out per port made a large listing slow).
pub(crate) struct TodayOver<'c> {
    today: &'static Today,
    catalog: &'c Catalog,
    rows: OnceCell<Vec<ServiceRows>>,
}

/// One layer service's rows at every version from 2008, as the port ranges they hold.
struct ServiceRows {
    service: &'static ModernService,
    /// Fixed rows (a port or a range), each range and application protocol once, in the
    /// order the versions first give them.
    fixed: Vec<HeldRange>,
    /// Dynamic rows with the range each version's endpoint mapper hands out, likewise.
    dynamic: Vec<HeldRange>,
}

/// Ports `first..=last` over `transport` that a row of `app` holds.
#[derive(PartialEq)]
struct HeldRange {
    transport: Transport,
    first: u16,
    last: u16,
    app: String,
}

impl HeldRange {
    fn holds(&self, transport: Transport, port: u16) -> bool {
        self.transport == transport && self.first <= port && port <= self.last
    }
}

/// A layer service's rows on one port, at any version from 2008.
struct Match {
    service: &'static ModernService,
    apps: Vec<String>,
    dynamic: bool,
}

impl Today {
    /// The built-in layer, over the built-in seed it is written against (a user catalog, or
    /// a version's view of the catalog, adds to what the audit names but does not change the
    /// layer), as compiled at build time; `None` only if the built-in data were broken (then
    /// the seed's rules alone name ports).
    pub(crate) fn builtin() -> Option<&'static Today> {
        static TODAY: std::sync::OnceLock<Option<Today>> = std::sync::OnceLock::new();
        TODAY
            .get_or_init(|| {
                portolan_builtin::layer()
                    .ok()
                    .map(|(_, modern)| Today { modern })
            })
            .as_ref()
    }

    /// This layer read over `catalog` (the seed, a version's view or a user catalog whose
    /// services the layer's rows are placed over).
    pub(crate) fn over<'c>(&'static self, catalog: &'c Catalog) -> TodayOver<'c> {
        TodayOver {
            today: self,
            catalog,
            rows: OnceCell::new(),
        }
    }

    /// The layer service a listener's service tag or executable names, and what named it.
    fn named_by(&self, listener: &Listener) -> Vec<(&'static ModernService, String)> {
        let mut out = Vec::new();
        if listener.origin.format.is_remote() {
            return out;
        }
        if let Some(tag) = &listener.service {
            for s in self.modern.services() {
                let names = s.windows_service.iter().chain(&s.also_windows_services);
                if names.into_iter().any(|n| n.eq_ignore_ascii_case(tag)) {
                    out.push((s, format!("service tag {tag}")));
                }
            }
        }
        if let Some(process) = &listener.process {
            let exe = process
                .rsplit(['\\', '/'])
                .next()
                .unwrap_or(process)
                .to_ascii_lowercase();
            for (name, id) in TODAY_PROCESSES {
                if exe == *name || format!("{exe}.exe") == *name {
                    if let Some(s) = self.modern.service(id) {
                        out.push((s, format!("process {process}")));
                    }
                }
            }
        }
        out
    }

    /// True when the layer says `c`'s row on the port is answered by one of `owners` (a
    /// re-owned row).
    fn handed_over(&self, c: &Candidate, owners: &[&str], transport: Transport, port: u16) -> bool {
        self.modern.service(&c.service).is_some_and(|s| {
            s.rows.iter().any(|r| {
                r.transport == transport
                    && r.port == Some(PortSpec::Single(port))
                    && r.owner.as_deref().is_some_and(|o| owners.contains(&o))
            })
        })
    }
}

impl TodayOver<'_> {
    /// Every layer service's rows from 2008 on, worked out on first use.
    fn all_rows(&self) -> &[ServiceRows] {
        self.rows.get_or_init(|| {
            let modern = self.today.modern;
            modern
                .services()
                .iter()
                .map(|service| {
                    let mut rows = ServiceRows {
                        service,
                        fixed: Vec::new(),
                        dynamic: Vec::new(),
                    };
                    for version in WindowsVersion::ALL
                        .into_iter()
                        .filter(|v| *v > WindowsVersion::W2003)
                    {
                        for row in modern.service_rows(self.catalog, &service.id, version) {
                            let (into, range) = match row.port {
                                Some(spec) if spec.is_dynamic() => {
                                    (&mut rows.dynamic, modern.dynamic_range(spec, version))
                                }
                                Some(spec) => (&mut rows.fixed, spec.fixed_range()),
                                None => continue,
                            };
                            let Some((first, last)) = range else {
                                continue;
                            };
                            let held = HeldRange {
                                transport: row.transport,
                                first,
                                last,
                                app: row.app,
                            };
                            if !into.contains(&held) {
                                into.push(held);
                            }
                        }
                    }
                    rows
                })
                .collect()
        })
    }

    /// The rows `of` has on the port at any version from 2008, by application
    /// protocol; `dynamic` when only a dynamic RPC row whose range holds the port gives it.
    fn rows_on(&self, of: &ServiceRows, transport: Transport, port: u16) -> Option<Match> {
        let apps = |ranges: &[HeldRange]| {
            let mut apps: Vec<String> = Vec::new();
            for held in ranges.iter().filter(|h| h.holds(transport, port)) {
                if !apps.contains(&held.app) {
                    apps.push(held.app.clone());
                }
            }
            apps
        };
        let fixed = apps(&of.fixed);
        let dynamic = if fixed.is_empty() {
            apps(&of.dynamic)
        } else {
            Vec::new()
        };
        let service = of.service;
        match (fixed.is_empty(), dynamic.is_empty()) {
            (false, _) => Some(Match {
                service,
                apps: fixed,
                dynamic: false,
            }),
            (true, false) => Some(Match {
                service,
                apps: dynamic,
                dynamic: true,
            }),
            (true, true) => None,
        }
    }

    /// Applies the rules to the seed's candidates of one port; true when the layer named
    /// the port (rule 1 or 2), so the summary needs no "outside the catalog" name.
    pub(crate) fn name(
        &self,
        transport: Transport,
        port: u16,
        listeners: &[&Listener],
        candidates: &mut Vec<Candidate>,
    ) -> bool {
        // Rule 1: a tag or an executable names a layer service with a row here.
        let mut confirmed: Vec<(Match, String)> = Vec::new();
        for listener in listeners {
            for (service, by) in self.today.named_by(listener) {
                if confirmed.iter().any(|(m, _)| m.service.id == service.id) {
                    continue;
                }
                let rows = self.all_rows().iter().find(|r| r.service.id == service.id);
                if let Some(m) = rows.and_then(|r| self.rows_on(r, transport, port)) {
                    confirmed.push((m, by));
                }
            }
        }
        if !confirmed.is_empty() {
            let owners: Vec<&str> = confirmed
                .iter()
                .map(|(m, _)| m.service.id.as_str())
                .collect();
            // Seed rows the layer hands to the owner (LSASS's IKE) no longer name the port.
            candidates.retain(|c| {
                owners.contains(&c.service.as_str())
                    || !self.today.handed_over(c, &owners, transport, port)
            });
            candidates.retain(|c| c.relation != Relation::PossibleDynamic);
            for c in candidates.iter_mut() {
                if c.relation == Relation::Owner {
                    c.relation = Relation::Candidate;
                }
            }
            let mut named: Vec<Candidate> = Vec::new();
            for (m, by) in confirmed {
                let existing = candidates.iter().position(|c| c.service == m.service.id);
                let mut c = match existing {
                    Some(i) => candidates.remove(i),
                    None => candidate(&m),
                };
                // An endpoint-mapper dump already placed it here: that stays the evidence.
                if c.relation != Relation::RpcEndpoint {
                    c.relation = Relation::Owner;
                    c.confirmed_by = Some(by);
                }
                today_names(&mut c, m.service);
                named.push(c);
            }
            named.append(candidates);
            *candidates = named;
            return true;
        }
        // Rule 2: a port the seed does not list.
        if !candidates.is_empty() {
            return false;
        }
        let found: Vec<Match> = self
            .all_rows()
            .iter()
            .filter(|r| r.service.windows_service.is_some())
            .filter_map(|r| self.rows_on(r, transport, port))
            .filter(|m| !m.dynamic)
            .collect();
        let alone = found.len() == 1;
        for m in found {
            let mut c = candidate(&m);
            c.relation = if alone {
                Relation::Owner
            } else {
                Relation::Candidate
            };
            candidates.push(c);
        }
        !candidates.is_empty()
    }
}

fn candidate(m: &Match) -> Candidate {
    Candidate {
        service: m.service.id.clone(),
        name: m.service.name.clone(),
        windows_service: m.service.windows_service.clone(),
        relation: Relation::Candidate,
        apps: m.apps.clone(),
        port_kind: if m.dynamic {
            PortSpec::RpcDynamic.kind().to_string()
        } else {
            "fixed".to_string()
        },
        confirmed_by: None,
    }
}

/// Today's display and service names of a layer service.
fn today_names(c: &mut Candidate, service: &ModernService) {
    c.name = service.name.clone();
    if service.windows_service.is_some() {
        c.windows_service = service.windows_service.clone();
    }
}
