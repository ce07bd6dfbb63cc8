//! Building a plan: resolve roles and services to catalog rows, leave out rows that must not
//! be opened, resolve dynamic ranges, and fold the ports into deduplicated rules.

use std::collections::BTreeMap;

use ipnet::IpNet;
use portolan_catalog::model::{RowFilter, RowKey};
use portolan_catalog::{
    Catalog, ErratumKind, PortRow, PortSharing, PortSpec, Service, SourceClass, Transport,
};
use serde::Serialize;

use crate::caveat::{self, Caveat};
use crate::error::PlanError;
use crate::pin::PinLayout;
use crate::ports::{self, PortRange};
use crate::request::{OptionalPolicy, Request, RpcRange};

/// The port of the RPC endpoint mapper; Windows firewalls name it with a keyword.
pub const RPC_ENDPOINT_MAPPER_PORT: u16 = 135;

/// A role of the plan, as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleRef {
    /// Role id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One line on the role.
    pub summary: String,
}

/// Why a role brings a service, or some of its rows, in: one entry of the role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceReason {
    /// The role id.
    pub role: String,
    /// The role's reason, in one line.
    pub reason: String,
    /// True when the role marks the entry optional.
    pub optional: bool,
    /// The rows the entry takes (`tcp/636`); every row when empty.
    #[serde(skip_serializing_if = "RowFilter::is_all")]
    pub ports: RowFilter,
    /// Who needs the entry (every class when the role names none).
    pub who: Vec<SourceClass>,
}

/// A service the plan opens ports for (or, in [`Plan::left_out_services`], does not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedService {
    /// Catalog id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Windows service name, for `-Service` / `service=`.
    pub windows_service: Option<String>,
    /// True when asked for with `--service` rather than through a role.
    pub requested: bool,
    /// The roles that bring it in, with their reasons.
    pub reasons: Vec<ServiceReason>,
    /// True when only optional role entries bring it in.
    pub optional: bool,
}

impl PlannedService {
    /// How the plan takes `row` of the service: `None` when neither `--service` nor any role
    /// entry takes it, `Some(true)` when only optional entries do, `Some(false)` when
    /// `--service` or a required entry does.
    pub fn row_optional(&self, row: &PortRow) -> Option<bool> {
        if self.requested {
            return Some(false);
        }
        self.reasons
            .iter()
            .filter(|r| r.ports.includes(row))
            .map(|r| r.optional)
            .reduce(|a, b| a && b)
    }

    /// The classes of hosts that need `row`: every class for `--service`, else the union of
    /// the `who` of the entries that take it (of the required ones when `required_only` and
    /// one is required).
    pub fn row_classes(&self, row: &PortRow, required_only: bool) -> Vec<SourceClass> {
        if self.requested {
            return SourceClass::ALL.to_vec();
        }
        let taking: Vec<&ServiceReason> = self
            .reasons
            .iter()
            .filter(|r| r.ports.includes(row))
            .collect();
        let required: Vec<&&ServiceReason> = taking.iter().filter(|r| !r.optional).collect();
        let mut classes: Vec<SourceClass> = if required_only && !required.is_empty() {
            required
                .iter()
                .flat_map(|r| r.who.iter().copied())
                .collect()
        } else {
            taking.iter().flat_map(|r| r.who.iter().copied()).collect()
        };
        classes.sort_unstable();
        classes.dedup();
        classes
    }

    /// The optional role entries that take the row named `key`.
    pub fn optional_reasons<'s>(
        &'s self,
        key: &'s RowKey,
    ) -> impl Iterator<Item = &'s ServiceReason> + 's {
        self.reasons
            .iter()
            .filter(move |r| r.optional && r.ports.includes_key(key))
    }

    /// "Local Security Authority (LSASS)", or the name alone without a Windows service name.
    pub fn label(&self) -> String {
        match &self.windows_service {
            Some(ws) => format!("{} ({ws})", self.name),
            None => self.name.clone(),
        }
    }

    /// The shortest recognisable name: the Windows service name, or the catalog id.
    pub fn short_name(&self) -> &str {
        self.windows_service.as_deref().unwrap_or(&self.id)
    }
}

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

impl Family {
    /// "IPv4" or "IPv6".
    pub fn name(self) -> &'static str {
        match self {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        }
    }

    /// The family of a network.
    pub fn of(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::Ipv4,
            IpNet::V6(_) => Family::Ipv6,
        }
    }

    /// The network that holds every address of the family.
    pub fn any_net(self) -> IpNet {
        match self {
            Family::Ipv4 => IpNet::V4(ipnet::Ipv4Net::default()),
            Family::Ipv6 => IpNet::V6(ipnet::Ipv6Net::default()),
        }
    }
}

/// The sources of one address family the rules admit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// The family.
    pub family: Family,
    /// Source networks, aggregated; empty means any address of the family.
    pub sources: Vec<IpNet>,
}

impl Scope {
    /// True when any source address of the family is admitted.
    pub fn is_any(&self) -> bool {
        self.sources.is_empty()
    }

    /// The sources, with `any` written as the family's whole network (0.0.0.0/0, ::/0).
    pub fn sources_or_any(&self) -> Vec<IpNet> {
        if self.sources.is_empty() {
            vec![self.family.any_net()]
        } else {
            self.sources.clone()
        }
    }
}

/// What kind of port a use is, which decides how Windows dialects write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UseKind {
    /// A fixed port or range from the catalog.
    Fixed,
    /// TCP 135, the RPC endpoint mapper (Windows: `RPCEPMap` / `RPC-EPMap`).
    RpcEndpointMapper,
    /// The dynamic RPC range (Windows: `RPC`).
    RpcDynamic,
    /// The fixed ports `portolan pin` puts the RPC servers on (`--pin-rpc`): written as ports
    /// in every dialect, Windows' too.
    RpcPinned,
    /// The FTP passive data range.
    FtpPassive,
    /// An IP protocol without ports (GRE, ESP, AH).
    IpProtocol,
}

/// One row of one service that the plan opens, with its ports resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortUse {
    /// Index into [`Plan::services`].
    pub service: usize,
    /// The application protocol, as the catalog names it.
    pub app: String,
    /// The catalog row, by key (`tcp/636`, `tcp/rpc-dynamic`, `gre`).
    pub row: RowKey,
    /// The transport.
    pub transport: Transport,
    /// The ports; `None` for IP protocols.
    pub ports: Option<PortRange>,
    /// What kind of port it is.
    pub kind: UseKind,
    /// True when only optional role entries take the row, or the row is an optional feature.
    pub optional: bool,
    /// The classes of hosts admitted to the row (those with sources, when the request gives
    /// sources per class).
    pub classes: Vec<SourceClass>,
    /// Index into [`Plan::audiences`]: whose sources the row is opened to.
    pub audience: usize,
}

/// Whom rules admit: the classes of hosts sharing one set of sources. A plan without
/// `--from CLASS=CIDR` has one audience, every class, with the plan's scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Audience {
    /// The classes (those of the rows opened to these sources).
    pub classes: Vec<SourceClass>,
    /// One scope per address family, IPv4 first.
    pub scopes: Vec<Scope>,
}

impl Audience {
    /// "clients, peers".
    pub fn label(&self) -> String {
        self.classes
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "clients_peers": a name for sets, zones and groups.
    pub fn slug(&self) -> String {
        self.classes
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join("_")
    }
}

/// One rule: a transport and a folded port range (or an IP protocol), with everything it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The transport.
    pub transport: Transport,
    /// The folded range; `None` for IP protocols.
    pub ports: Option<PortRange>,
    /// Indices into [`Plan::uses`] of the rows the rule serves.
    pub uses: Vec<usize>,
    /// Indices into [`Plan::services`] of the services the rule serves, without repeats.
    pub services: Vec<usize>,
    /// True when every row the rule serves is optional.
    pub optional: bool,
    /// Index into [`Plan::audiences`]: whose sources the rule admits.
    pub audience: usize,
}

impl Rule {
    /// "TCP 135", "UDP 137-138", "GRE".
    pub fn label(&self) -> String {
        match self.ports {
            Some(p) => format!("{} {p}", self.transport),
            None => self.transport.to_string(),
        }
    }
}

/// Rules of one transport that serve exactly the same services, for dialects that take port
/// lists: one rule in the output (chunked where the dialect limits list lengths) with one comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleGroup {
    /// The transport.
    pub transport: Transport,
    /// The ranges, ascending; empty for IP protocols.
    pub ranges: Vec<PortRange>,
    /// Indices of the rules (in the slice given to [`Plan::groups`]).
    pub rules: Vec<usize>,
    /// Indices into [`Plan::services`].
    pub services: Vec<usize>,
    /// True when every rule of the group is optional.
    pub optional: bool,
    /// Index into [`Plan::audiences`].
    pub audience: usize,
}

/// Why a catalog row is not opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum LeftOutReason {
    /// An erratum decided nothing listens there.
    Spurious {
        /// The erratum's id.
        erratum: String,
        /// Its title.
        title: String,
    },
    /// FTP's active-mode data port: the server connects out from it, nothing listens on it.
    FtpActiveData,
    /// The row is an optional feature and the request leaves optional ports out.
    OptionalRow,
    /// Only optional entries of these roles take the row, and the request leaves optional
    /// ports out.
    OptionalForRole {
        /// The role ids.
        roles: Vec<String>,
    },
    /// The request gives sources per class, and none to the classes that need the row.
    NoSources {
        /// The classes that need the row.
        classes: Vec<SourceClass>,
    },
}

/// A catalog row of a planned service that the plan does not open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// Index into [`Plan::services`].
    pub service: usize,
    /// The row's application protocol.
    pub app: String,
    /// The row's transport.
    pub transport: Transport,
    /// The row's port as the catalog gives it ("25", "dynamic RPC", "n/a").
    pub port: String,
    /// Why.
    pub reason: LeftOutReason,
}

/// A firewall plan: deduplicated rules with what they serve, and the caveats that go with them.
/// Renderers turn it into a dialect; it holds no dialect-specific text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The roles asked for.
    pub roles: Vec<RoleRef>,
    /// The service ids asked for directly.
    pub requested_services: Vec<String>,
    /// The services the rules serve, roles' first, in order.
    pub services: Vec<PlannedService>,
    /// Optional services the request leaves out.
    pub left_out_services: Vec<PlannedService>,
    /// One scope per address family the rules admit, IPv4 first (with sources per class:
    /// every source of every class).
    pub scopes: Vec<Scope>,
    /// Whom the rules admit: one audience without sources per class, else one per distinct
    /// set of sources.
    pub audiences: Vec<Audience>,
    /// True when the request gives sources per class (`--from CLASS=CIDR`).
    pub by_class: bool,
    /// In a plan of one audience made by [`Plan::audience_plans`]: that audience's index, so
    /// folds keep only its rows.
    #[serde(skip)]
    pub focus: Option<usize>,
    /// The protected server or network; `None` for "this host" / any.
    pub destination: Option<IpNet>,
    /// The dynamic RPC range in force.
    pub rpc_range: RpcRange,
    /// With `--pin-rpc`: which port each RPC server is pinned to; the plan opens exactly these
    /// instead of the dynamic range. Absent from JSON without `--pin-rpc`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<PinLayout>,
    /// The FTP passive range in force.
    pub ftp_passive: PortRange,
    /// Whether optional services and rows are opened.
    pub optional: OptionalPolicy,
    /// Every opened row with its ports resolved.
    pub uses: Vec<PortUse>,
    /// The rules, by transport (TCP, UDP, then IP protocols) and port.
    pub rules: Vec<Rule>,
    /// Rows of planned services that are not opened, and why.
    pub left_out: Vec<LeftOut>,
    /// Notes every dialect prints: what the rules cannot do alone, and what was left out.
    pub caveats: Vec<Caveat>,
}

impl Plan {
    /// Builds the plan for `request` from `catalog`.
    pub fn build(catalog: &Catalog, request: &Request) -> Result<Plan, PlanError> {
        if request.roles.is_empty() && request.services.is_empty() {
            return Err(PlanError::Empty);
        }
        let roles = resolve_roles(catalog, &request.roles)?;
        let (services, left_out_services) = resolve_services(catalog, request, &roles)?;
        let mut notes = Vec::new();
        let destination = request.destination.map(|d| {
            let clean = d.trunc();
            if clean != d {
                notes.push(caveat::host_bits(&d, &clean));
            }
            clean
        });
        let all_sources: Vec<IpNet> = request
            .sources
            .iter()
            .copied()
            .chain(request.class_sources.iter().map(|(_, n)| *n))
            .collect();
        let scopes = scopes(&all_sources, destination.as_ref(), &mut notes)?;
        let by_class = !request.class_sources.is_empty();
        let ftp_passive = request.ftp_passive_range();
        let pin = match request.pin_rpc {
            // The roles' every entry (optional ones too), so that the ports do not depend on
            // --no-optional: the same base gives the ports `portolan pin` printed.
            Some(base) => Some(PinLayout::for_subjects(
                catalog,
                &portolan_builtin::pinning(catalog)?,
                &request.roles,
                &request.services,
                base,
            )?),
            None => None,
        };
        let mut plan = Plan {
            roles: roles
                .iter()
                .map(|r| RoleRef {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    summary: r.summary.clone(),
                })
                .collect(),
            requested_services: requested_ids(catalog, &request.services)?,
            services,
            left_out_services,
            audiences: vec![Audience {
                classes: SourceClass::ALL.to_vec(),
                scopes: scopes.clone(),
            }],
            scopes,
            by_class,
            focus: None,
            destination,
            rpc_range: match &pin {
                Some(layout) => RpcRange::Pinned(layout.ports()),
                None => request.rpc_range,
            },
            pin,
            ftp_passive,
            optional: request.optional,
            uses: Vec::new(),
            rules: Vec::new(),
            left_out: Vec::new(),
            caveats: Vec::new(),
        };
        plan.collect_uses(catalog);
        plan.add_pinned_servers();
        if by_class {
            plan.split_audiences(request)?;
        }
        plan.rules = plan.fold(|_| true);
        plan.caveats = caveat::collect(&plan, catalog);
        plan.caveats.extend(notes);
        Ok(plan)
    }

    fn collect_uses(&mut self, catalog: &Catalog) {
        let exclude_optional = self.optional == OptionalPolicy::Exclude;
        for index in 0..self.services.len() {
            let Some(service) = self
                .services
                .get(index)
                .and_then(|s| catalog.service(&s.id))
            else {
                continue;
            };
            let Some(planned) = self.services.get(index) else {
                continue;
            };
            let mut taken = Vec::new();
            for row in &service.ports {
                // Rows no entry takes are not part of the plan at all.
                let Some(entry_optional) = planned.row_optional(row) else {
                    continue;
                };
                let reason = if !row.listener {
                    Some(spurious_reason(catalog, service, row))
                } else if is_ftp_active_data(service, row) {
                    Some(LeftOutReason::FtpActiveData)
                } else if row.optional && exclude_optional {
                    Some(LeftOutReason::OptionalRow)
                } else if entry_optional && exclude_optional {
                    let mut roles: Vec<String> = Vec::new();
                    for r in planned.optional_reasons(&row.key()) {
                        if !roles.contains(&r.role) {
                            roles.push(r.role.clone());
                        }
                    }
                    Some(LeftOutReason::OptionalForRole { roles })
                } else {
                    None
                };
                taken.push((row, entry_optional || row.optional, reason));
            }
            for (row, optional, reason) in taken {
                if let Some(reason) = reason {
                    self.left_out.push(LeftOut {
                        service: index,
                        app: row.app.clone(),
                        transport: row.transport,
                        port: row.port_text(),
                        reason,
                    });
                    continue;
                }
                let (ports, kind) = self.resolve(row);
                let classes = planned.row_classes(row, exclude_optional);
                let candidate = PortUse {
                    service: index,
                    app: row.app.clone(),
                    row: row.key(),
                    transport: row.transport,
                    ports,
                    kind,
                    optional,
                    classes,
                    audience: 0,
                };
                let duplicate = self.uses.iter().any(|u| {
                    u.service == index
                        && u.transport == candidate.transport
                        && u.ports == candidate.ports
                        && u.app == candidate.app
                });
                if !duplicate {
                    self.uses.push(candidate);
                }
            }
        }
    }

    /// With sources per class: each use keeps the classes that have sources and goes to the
    /// audience of their sources; a use no class with sources needs is left out.
    fn split_audiences(&mut self, request: &Request) -> Result<(), PlanError> {
        let nets_of = |class: SourceClass| -> Vec<IpNet> {
            request
                .sources
                .iter()
                .copied()
                .chain(
                    request
                        .class_sources
                        .iter()
                        .filter(|(c, _)| *c == class)
                        .map(|(_, n)| *n),
                )
                .map(|n| n.trunc())
                .collect()
        };
        // Audiences are told apart by the sources they admit once aggregated: classes whose
        // sources amount to the same networks share rules.
        let mut keys: Vec<Vec<Scope>> = Vec::new();
        let mut audiences: Vec<Audience> = Vec::new();
        let mut kept = Vec::new();
        for mut u in std::mem::take(&mut self.uses) {
            let (sourced, unsourced): (Vec<SourceClass>, Vec<SourceClass>) =
                u.classes.iter().partition(|c| !nets_of(**c).is_empty());
            if sourced.is_empty() {
                self.left_out.push(LeftOut {
                    service: u.service,
                    app: u.app.clone(),
                    transport: u.transport,
                    port: match u.ports {
                        Some(p) => p.to_string(),
                        None => "n/a".to_string(),
                    },
                    reason: LeftOutReason::NoSources { classes: unsourced },
                });
                continue;
            }
            let mut nets: Vec<IpNet> = sourced.iter().flat_map(|c| nets_of(*c)).collect();
            nets.sort_unstable();
            nets.dedup();
            let scopes = scopes(&nets, self.destination.as_ref(), &mut Vec::new())?;
            let at = match keys.iter().position(|k| *k == scopes) {
                Some(at) => at,
                None => {
                    keys.push(scopes.clone());
                    audiences.push(Audience {
                        classes: Vec::new(),
                        scopes,
                    });
                    keys.len() - 1
                }
            };
            if let Some(a) = audiences.get_mut(at) {
                a.classes.extend(sourced.iter().copied());
                a.classes.sort_unstable();
                a.classes.dedup();
            }
            u.classes = sourced;
            u.audience = at;
            kept.push(u);
        }
        self.uses = kept;
        if !audiences.is_empty() {
            self.audiences = audiences;
        }
        Ok(())
    }

    /// The plan cut to each audience: its rules, and its sources as the plan's scopes. A
    /// plan of one audience gives itself. Renderers write each in turn.
    pub fn audience_plans(&self) -> Vec<Plan> {
        if self.audiences.len() <= 1 {
            return vec![self.clone()];
        }
        self.audiences
            .iter()
            .enumerate()
            .map(|(i, audience)| {
                let mut sub = self.clone();
                sub.scopes = audience.scopes.clone();
                sub.rules.retain(|r| r.audience == i);
                sub.focus = Some(i);
                sub
            })
            .collect()
    }

    /// The audience a plan of [`Plan::audience_plans`] is cut to, when the plan has several:
    /// its name for sets, zones, groups and comments.
    pub fn focus_audience(&self) -> Option<&Audience> {
        self.focus.and_then(|i| self.audiences.get(i))
    }

    fn resolve(&self, row: &PortRow) -> (Option<PortRange>, UseKind) {
        match row.port {
            None => (None, UseKind::IpProtocol),
            Some(PortSpec::Single(p)) => {
                let kind = if row.transport == Transport::Tcp && p == RPC_ENDPOINT_MAPPER_PORT {
                    UseKind::RpcEndpointMapper
                } else {
                    UseKind::Fixed
                };
                (Some(PortRange::single(p)), kind)
            }
            Some(PortSpec::Range(a, b)) => (
                Some(PortRange::new(a, b).unwrap_or(PortRange::single(a))),
                UseKind::Fixed,
            ),
            Some(PortSpec::RpcDynamic) => match self.rpc_range {
                RpcRange::Pinned(ports) => (Some(ports), UseKind::RpcPinned),
                _ => (Some(self.rpc_range.ports()), UseKind::RpcDynamic),
            },
            Some(PortSpec::FtpPassive) => (Some(self.ftp_passive), UseKind::FtpPassive),
        }
    }

    /// A pinned server of a service the plan has, but whose catalog rows name no dynamic RPC
    /// port (Netlogon in the seed), still needs its port: one use per such service.
    fn add_pinned_servers(&mut self) {
        let Some(layout) = &self.pin else {
            return;
        };
        let ports = layout.ports();
        let mut added = Vec::new();
        for server in &layout.servers {
            for id in &server.services {
                let Some(index) = self.services.iter().position(|s| &s.id == id) else {
                    continue;
                };
                let covered = self
                    .uses
                    .iter()
                    .chain(&added)
                    .any(|u| u.service == index && u.kind == UseKind::RpcPinned);
                if covered {
                    continue;
                }
                // Whoever the service's other rows admit (every class when it has none yet):
                // the server answers the same clients on its pinned port.
                let mut classes: Vec<SourceClass> = self
                    .uses
                    .iter()
                    .filter(|u| u.service == index)
                    .flat_map(|u| u.classes.iter().copied())
                    .collect();
                classes.sort_unstable();
                classes.dedup();
                if classes.is_empty() {
                    classes = SourceClass::ALL.to_vec();
                }
                added.push(PortUse {
                    service: index,
                    classes,
                    audience: 0,
                    app: format!("RPC pinned to TCP {} ({})", server.port, server.id),
                    row: RowKey {
                        transport: Transport::Tcp,
                        port: Some(PortSpec::RpcDynamic),
                    },
                    transport: Transport::Tcp,
                    ports: Some(ports),
                    kind: UseKind::RpcPinned,
                    optional: self.services.get(index).is_some_and(|s| s.optional),
                });
            }
        }
        self.uses.extend(added);
    }

    /// Folds the uses that `keep` accepts into rules: per transport, overlapping and adjacent
    /// ranges become one rule; each IP protocol becomes one rule. Windows dialects fold without
    /// the RPC uses, which they write as keywords.
    pub fn fold(&self, keep: impl Fn(&PortUse) -> bool) -> Vec<Rule> {
        let mut by_transport: BTreeMap<(usize, Transport), Vec<usize>> = BTreeMap::new();
        for (i, u) in self.uses.iter().enumerate() {
            if keep(u) && self.focus.is_none_or(|f| f == u.audience) {
                by_transport
                    .entry((u.audience, u.transport))
                    .or_default()
                    .push(i);
            }
        }
        let mut rules = Vec::new();
        for ((audience, transport), mut indices) in by_transport {
            if !transport.has_ports() {
                rules.push(self.rule(audience, transport, None, indices));
                continue;
            }
            indices.sort_by_key(|&i| self.uses.get(i).and_then(|u| u.ports));
            let mut current: Option<(PortRange, Vec<usize>)> = None;
            for i in indices {
                let Some(range) = self.uses.get(i).and_then(|u| u.ports) else {
                    continue;
                };
                current = match current {
                    Some((run, mut members)) if run.joins(range) => {
                        members.push(i);
                        let last = run.last.max(range.last);
                        Some((PortRange { last, ..run }, members))
                    }
                    Some((run, members)) => {
                        rules.push(self.rule(audience, transport, Some(run), members));
                        Some((range, vec![i]))
                    }
                    None => Some((range, vec![i])),
                };
            }
            if let Some((run, members)) = current {
                rules.push(self.rule(audience, transport, Some(run), members));
            }
        }
        rules
    }

    fn rule(
        &self,
        audience: usize,
        transport: Transport,
        ports: Option<PortRange>,
        uses: Vec<usize>,
    ) -> Rule {
        let mut services = Vec::new();
        let mut optional = true;
        for u in uses.iter().filter_map(|&i| self.uses.get(i)) {
            if !services.contains(&u.service) {
                services.push(u.service);
            }
            optional &= u.optional;
        }
        Rule {
            transport,
            ports,
            uses,
            services,
            optional,
            audience,
        }
    }

    /// Groups rules that share a transport, the same services and the same optional mark,
    /// keeping the rules' order (a group sits where its first rule was).
    pub fn groups(&self, rules: &[Rule]) -> Vec<RuleGroup> {
        let mut groups: Vec<RuleGroup> = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let mut services = rule.services.clone();
            services.sort_unstable();
            let found = groups.iter_mut().find(|g| {
                rule.transport.has_ports()
                    && g.audience == rule.audience
                    && g.transport == rule.transport
                    && g.optional == rule.optional
                    && sorted(&g.services) == services
            });
            match found {
                Some(group) => {
                    group.rules.push(i);
                    group.ranges.extend(rule.ports);
                }
                None => groups.push(RuleGroup {
                    transport: rule.transport,
                    ranges: rule.ports.into_iter().collect(),
                    rules: vec![i],
                    services: rule.services.clone(),
                    optional: rule.optional,
                    audience: rule.audience,
                }),
            }
        }
        groups
    }

    /// The service at `index`.
    pub fn service(&self, index: usize) -> Option<&PlannedService> {
        self.services.get(index)
    }

    /// Adds a caveat for each pair of planned services that `sharing` says cannot listen on
    /// the same port (TCP 80 for IIS and Windows Media Services, TCP 3389 for Terminal
    /// Services and NetMeeting).
    pub fn note_port_conflicts(&mut self, sharing: &PortSharing) {
        let found = caveat::port_conflicts(self, sharing);
        self.caveats.extend(found);
    }

    /// The use at `index`.
    pub fn port_use(&self, index: usize) -> Option<&PortUse> {
        self.uses.get(index)
    }

    /// The scope of a family, if the rules admit that family.
    pub fn scope(&self, family: Family) -> Option<&Scope> {
        self.scopes.iter().find(|s| s.family == family)
    }

    /// The ports of all rules of a transport, folded: what the plan opens on it.
    pub fn open_ports(&self, transport: Transport) -> Vec<PortRange> {
        ports::fold(
            self.rules
                .iter()
                .filter(|r| r.transport == transport)
                .filter_map(|r| r.ports),
        )
    }

    /// Role ids and service ids of the request, for headers and names.
    pub fn subject_ids(&self) -> Vec<&str> {
        self.roles
            .iter()
            .map(|r| r.id.as_str())
            .chain(self.requested_services.iter().map(String::as_str))
            .collect()
    }

    /// Every service the rules serve, as labels joined by commas (for descriptions).
    pub fn service_labels(&self) -> String {
        self.services
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A short name for the plan's objects (firewalld service, ufw profile, ACL, group):
    /// `portolan-` and the requested ids, shortened past 48 characters.
    pub fn slug(&self) -> String {
        let ids = self.subject_ids();
        let joined = ids.join("-");
        if joined.len() <= 39 {
            return format!("portolan-{joined}");
        }
        let first = ids.first().copied().unwrap_or("plan");
        let first: String = first.chars().take(28).collect();
        format!("portolan-{first}-and-{}-more", ids.len().saturating_sub(1))
    }
}

fn sorted(v: &[usize]) -> Vec<usize> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v
}

fn spurious_reason(catalog: &Catalog, service: &Service, row: &PortRow) -> LeftOutReason {
    let erratum = catalog
        .row_errata(row)
        .chain(catalog.service_errata(service))
        .find(|e| e.kind == ErratumKind::Spurious);
    match erratum {
        Some(e) => LeftOutReason::Spurious {
            erratum: e.id.clone(),
            title: e.title.clone(),
        },
        None => LeftOutReason::Spurious {
            erratum: String::new(),
            title: "not a listener".to_string(),
        },
    }
}

/// FTP's active data port is the control port minus one (20 for 21): in a service with a
/// passive range, a fixed TCP port whose successor is another of its fixed TCP ports.
fn is_ftp_active_data(service: &Service, row: &PortRow) -> bool {
    let has_passive = service
        .ports
        .iter()
        .any(|r| r.port == Some(PortSpec::FtpPassive));
    let Some(PortSpec::Single(port)) = row.port else {
        return false;
    };
    has_passive
        && row.transport == Transport::Tcp
        && port < u16::MAX
        && service
            .ports
            .iter()
            .any(|r| r.transport == Transport::Tcp && r.port == Some(PortSpec::Single(port + 1)))
}

fn resolve_roles<'c>(
    catalog: &'c Catalog,
    names: &[String],
) -> Result<Vec<&'c portolan_catalog::Role>, PlanError> {
    let mut out: Vec<&portolan_catalog::Role> = Vec::new();
    for name in names {
        let role = catalog.resolve_role(name)?;
        if !out.iter().any(|r| r.id == role.id) {
            out.push(role);
        }
    }
    Ok(out)
}

/// The ids `names` resolve to, each once, in order: the plan names services by id, not as
/// typed.
fn requested_ids(catalog: &Catalog, names: &[String]) -> Result<Vec<String>, PlanError> {
    let mut ids: Vec<String> = Vec::new();
    for name in names {
        let id = &catalog.resolve_service(name)?.id;
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    Ok(ids)
}

type Services = (Vec<PlannedService>, Vec<PlannedService>);

fn resolve_services(
    catalog: &Catalog,
    request: &Request,
    roles: &[&portolan_catalog::Role],
) -> Result<Services, PlanError> {
    let mut all: Vec<PlannedService> = Vec::new();
    let mut entry = |service: &Service| -> usize {
        if let Some(i) = all.iter().position(|s| s.id == service.id) {
            return i;
        }
        all.push(PlannedService {
            id: service.id.clone(),
            name: service.name.clone(),
            windows_service: service.windows_service.clone(),
            requested: false,
            reasons: Vec::new(),
            optional: true,
        });
        all.len() - 1
    };
    let mut found = Vec::new();
    for role in roles {
        for rs in &role.services {
            // The loader checked that every role names a real service.
            if let Some(service) = catalog.service(&rs.service) {
                found.push((entry(service), Some((role.id.clone(), rs))));
            }
        }
    }
    for name in &request.services {
        let service = catalog.resolve_service(name)?;
        found.push((entry(service), None));
    }
    for (index, via) in found {
        let Some(planned) = all.get_mut(index) else {
            continue;
        };
        match via {
            Some((role, rs)) => {
                planned.optional &= rs.optional;
                planned.reasons.push(ServiceReason {
                    role,
                    reason: rs.reason.clone(),
                    optional: rs.optional,
                    ports: rs.ports.clone(),
                    who: rs.classes().to_vec(),
                });
            }
            None => {
                planned.requested = true;
                planned.optional = false;
            }
        }
    }
    if request.optional == OptionalPolicy::Exclude {
        let (left_out, kept): (Vec<_>, Vec<_>) = all.into_iter().partition(|s| s.optional);
        Ok((kept, left_out))
    } else {
        Ok((all, Vec::new()))
    }
}

fn scopes(
    sources: &[IpNet],
    destination: Option<&IpNet>,
    notes: &mut Vec<Caveat>,
) -> Result<Vec<Scope>, PlanError> {
    let mut cleaned = Vec::with_capacity(sources.len());
    for net in sources {
        let clean = net.trunc();
        if clean != *net {
            notes.push(caveat::host_bits(net, &clean));
        }
        cleaned.push(clean);
    }
    let wanted_family = destination.map(Family::of);
    if let (Some(family), false) = (wanted_family, cleaned.is_empty()) {
        let (kept, dropped): (Vec<IpNet>, Vec<IpNet>) =
            cleaned.into_iter().partition(|n| Family::of(n) == family);
        if kept.is_empty() {
            let other = match family {
                Family::Ipv4 => Family::Ipv6,
                Family::Ipv6 => Family::Ipv4,
            };
            return Err(PlanError::FamilyMismatch {
                destination: destination.map(|d| d.to_string()).unwrap_or_default(),
                family: family.name(),
                other: other.name(),
                sources: dropped
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if !dropped.is_empty() {
            notes.push(caveat::sources_dropped(&dropped, family));
        }
        cleaned = kept;
    }
    let families: Vec<Family> = if cleaned.is_empty() {
        match wanted_family {
            Some(f) => vec![f],
            None => vec![Family::Ipv4, Family::Ipv6],
        }
    } else {
        let mut f: Vec<Family> = cleaned.iter().map(Family::of).collect();
        f.sort_unstable();
        f.dedup();
        f
    };
    Ok(families
        .into_iter()
        .map(|family| {
            let nets: Vec<IpNet> = cleaned
                .iter()
                .copied()
                .filter(|n| Family::of(n) == family)
                .collect();
            let mut nets = IpNet::aggregate(&nets);
            if nets.iter().any(|n| n.prefix_len() == 0) {
                nets.clear();
            }
            Scope {
                family,
                sources: nets,
            }
        })
        .collect())
}
