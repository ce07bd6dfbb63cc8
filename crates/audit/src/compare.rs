//! Comparing a host's listening ports with roles or services: what is expected, what is
//! missing, what is unexpected.

use std::collections::BTreeSet;

use portolan_catalog::{
    Catalog, PortSpec, ResolveError, Service, Transport,
    model::{RPC_DYNAMIC_LEGACY, RPC_DYNAMIC_MODERN, RowFilter},
};
use serde::Serialize;

use crate::listener::Coverage;
use crate::report::{
    Comparison, CoverageStatus, ExpectedPort, ExpectedStatus, PortExpectation, PortReport,
    Relation, ServiceCoverage,
};
use crate::rpc::ResolvedEndpoint;

/// The first port of the dynamic range where a bound UDP socket is taken as a client socket
/// or a socket pool.
const EPHEMERAL_UDP_FIRST: u16 = 49152;

/// What a server is expected to run: the services of roles, and services given one by one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expectation {
    /// Role ids.
    pub roles: Vec<String>,
    /// Service ids given one by one.
    pub services: Vec<String>,
    /// Every expected service, or part of one, roles' first: one per role entry, with
    /// entries that take the same rows of the same service merged.
    pub expected: Vec<ExpectedService>,
}

/// One expected service, or the rows of it that a role entry takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedService {
    /// Catalog service id.
    pub id: String,
    /// Why it is expected (the role's reason).
    pub reason: Option<String>,
    /// Only some deployments of the role need it.
    pub optional: bool,
    /// The rows expected (`tcp/636`); every row of the service when empty.
    #[serde(skip_serializing_if = "RowFilter::is_all")]
    pub ports: RowFilter,
}

impl ExpectedService {
    /// The listener rows expected: those the entry takes that have a port and are real
    /// listeners, as (transport, port spec).
    fn listener_rows(&self, service: &Service) -> Vec<(Transport, PortSpec)> {
        service
            .ports
            .iter()
            .filter(|row| self.ports.includes(row) && row.listener && row.transport.has_ports())
            .filter_map(|row| row.port.map(|spec| (row.transport, spec)))
            .collect()
    }
}

impl Expectation {
    /// The services of `roles` and `services` (by id or any name the catalog resolves), checked against the
    /// catalog.
    pub fn new(
        catalog: &Catalog,
        roles: &[&str],
        services: &[&str],
    ) -> Result<Expectation, ResolveError> {
        let mut expectation = Expectation {
            roles: Vec::new(),
            services: Vec::new(),
            expected: Vec::new(),
        };
        for &wanted in roles {
            let role = catalog.resolve_role(wanted)?;
            expectation.roles.push(role.id.clone());
            for rs in &role.services {
                expectation.add(&rs.service, Some(rs.reason.clone()), rs.optional, &rs.ports);
            }
        }
        for &wanted in services {
            let id = catalog.resolve_service(wanted)?.id.clone();
            expectation.services.push(id.clone());
            expectation.add(&id, None, false, &RowFilter::all());
        }
        Ok(expectation)
    }

    fn add(&mut self, id: &str, reason: Option<String>, optional: bool, ports: &RowFilter) {
        let same_rows = |e: &&mut ExpectedService| {
            e.id == id
                && e.ports.keys().len() == ports.keys().len()
                && e.ports.keys().iter().all(|k| ports.includes_key(k))
        };
        match self.expected.iter_mut().find(same_rows) {
            // Needed by anyone means needed.
            Some(existing) => existing.optional &= optional,
            None => self.expected.push(ExpectedService {
                id: id.to_string(),
                reason,
                optional,
                ports: ports.clone(),
            }),
        }
    }

    /// "role domain-controller", "services dns-server, wins".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.roles.is_empty() {
            let word = if self.roles.len() == 1 {
                "role"
            } else {
                "roles"
            };
            parts.push(format!("{word} {}", self.roles.join(", ")));
        }
        if !self.services.is_empty() {
            let word = if self.services.len() == 1 {
                "service"
            } else {
                "services"
            };
            parts.push(format!("{word} {}", self.services.join(", ")));
        }
        if parts.is_empty() {
            "nothing".to_string()
        } else {
            parts.join(" and ")
        }
    }
}

/// Options of the comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CompareOptions {
    pub include_optional: bool,
    pub ephemeral_udp_unexpected: bool,
}

/// An expected transport and port spec with the services that list it.
struct Want {
    transport: Transport,
    spec: PortSpec,
    services: Vec<String>,
    /// False when only optional services or rows list it and optional ones were not asked
    /// for: it may listen, but need not.
    required: bool,
}

/// Compares the named ports of one host with the expectation, and marks each port.
pub(crate) fn compare(
    catalog: &Catalog,
    expectation: &Expectation,
    ports: &mut [PortReport],
    coverage: &Coverage,
    endpoints: &[ResolvedEndpoint],
    options: &CompareOptions,
) -> Comparison {
    let mut wants: Vec<Want> = Vec::new();
    let mut active: Vec<&str> = Vec::new();
    for expected in &expectation.expected {
        let Some(service) = catalog.service(&expected.id) else {
            continue;
        };
        // Optional services and rows are allowed (they explain listeners) but, unless asked
        // for, not required (their absence is not "missing").
        let service_required = !expected.optional || options.include_optional;
        if !active.contains(&service.id.as_str()) {
            active.push(&service.id);
        }
        for row in &service.ports {
            let Some(spec) = row.port else { continue };
            if !row.listener || !row.transport.has_ports() || !expected.ports.includes(row) {
                continue;
            }
            let required = service_required && (!row.optional || options.include_optional);
            match wants
                .iter_mut()
                .find(|w| w.transport == row.transport && w.spec == spec)
            {
                Some(want) => {
                    if !want.services.contains(&service.id) {
                        want.services.push(service.id.clone());
                    }
                    want.required |= required;
                }
                None => wants.push(Want {
                    transport: row.transport,
                    spec,
                    services: vec![service.id.clone()],
                    required,
                }),
            }
        }
    }
    wants.sort_by_key(|w| (w.spec.is_dynamic(), w.transport, w.spec));
    let wants_dynamic_rpc = wants.iter().any(|w| w.spec == PortSpec::RpcDynamic);
    let endpoint_ports: BTreeSet<(Transport, u16)> =
        endpoints.iter().map(|e| (e.transport, e.port)).collect();

    // Mark each listening port first: dynamic RPC expectations are satisfied by the ports
    // marked as expected dynamic RPC.
    for port in ports.iter_mut() {
        port.expectation = Some(judge_port(
            port,
            &wants,
            &active,
            wants_dynamic_rpc,
            &endpoint_ports,
            options,
        ));
    }

    let expected: Vec<ExpectedPort> = wants
        .iter()
        .map(|w| evaluate(w, ports, coverage, endpoints))
        .collect();
    let keys_with = |pred: fn(ExpectedStatus) -> bool| -> Vec<String> {
        expected
            .iter()
            .filter(|e| pred(e.status))
            .map(ExpectedPort::key)
            .collect()
    };
    let missing: Vec<String> = expected
        .iter()
        .filter(|e| e.status.is_missing() && !e.optional)
        .map(ExpectedPort::key)
        .collect();
    let not_covered: Vec<String> = expected
        .iter()
        .filter(|e| e.status == ExpectedStatus::NotCovered && !e.optional)
        .map(ExpectedPort::key)
        .collect();
    let unconfirmed = keys_with(|s| s == ExpectedStatus::Unconfirmed);
    let unexpected: Vec<String> = ports
        .iter()
        .filter(|p| p.expectation == Some(PortExpectation::Unexpected))
        .map(|p| format!("{}/{}", p.transport.key(), p.port))
        .collect();
    let service_coverage = expectation
        .expected
        .iter()
        .filter_map(|e| {
            let service = catalog.service(&e.id)?;
            let not_required = e.optional && !options.include_optional;
            let rows = e.listener_rows(service);
            let mine: Vec<&ExpectedPort> = wants
                .iter()
                .zip(&expected)
                .filter(|(w, _)| rows.contains(&(w.transport, w.spec)))
                .map(|(_, x)| x)
                .collect();
            let missing: Vec<String> = mine
                .iter()
                .filter(|x| x.status.is_missing())
                .map(|x| x.key())
                .collect();
            let present = mine.iter().filter(|x| x.status.is_present()).count();
            let uncovered = mine
                .iter()
                .filter(|x| x.status == ExpectedStatus::NotCovered)
                .count();
            let status = if not_required && present == 0 {
                CoverageStatus::Skipped
            } else if !missing.is_empty() && present == 0 {
                CoverageStatus::Absent
            } else if !missing.is_empty() {
                CoverageStatus::Partial
            } else if uncovered > 0 {
                CoverageStatus::NotCovered
            } else {
                CoverageStatus::Complete
            };
            Some(ServiceCoverage {
                service: service.id.clone(),
                name: service.name.clone(),
                reason: e.reason.clone(),
                optional: e.optional,
                status,
                missing,
            })
        })
        .collect();
    let matches = missing.is_empty() && unexpected.is_empty();
    Comparison {
        roles: expectation.roles.clone(),
        services: expectation.services.clone(),
        include_optional: options.include_optional,
        service_coverage,
        expected,
        missing,
        unexpected,
        not_covered,
        unconfirmed,
        matches,
        conflicts: Vec::new(),
    }
}

/// The expected services' listener rows with a single port, as (service id, row key): what
/// port conflicts are computed over.
pub(crate) fn expected_claims(
    catalog: &Catalog,
    expectation: &Expectation,
) -> Vec<(String, portolan_catalog::RowKey)> {
    let mut claims = Vec::new();
    for expected in &expectation.expected {
        let Some(service) = catalog.service(&expected.id) else {
            continue;
        };
        for (transport, spec) in expected.listener_rows(service) {
            if let PortSpec::Single(_) = spec {
                claims.push((
                    service.id.clone(),
                    portolan_catalog::RowKey {
                        transport,
                        port: Some(spec),
                    },
                ));
            }
        }
    }
    claims
}

pub(crate) fn in_dynamic_rpc_range(port: u16) -> bool {
    [RPC_DYNAMIC_LEGACY, RPC_DYNAMIC_MODERN]
        .iter()
        .any(|&(a, b)| a <= port && port <= b)
}

fn judge_port(
    port: &PortReport,
    wants: &[Want],
    active: &[&str],
    wants_dynamic_rpc: bool,
    endpoint_ports: &BTreeSet<(Transport, u16)>,
    options: &CompareOptions,
) -> PortExpectation {
    let listing: Vec<&Want> = wants
        .iter()
        .filter(|w| {
            w.transport == port.transport
                && w.spec
                    .fixed_range()
                    .is_some_and(|(a, b)| a <= port.port && port.port <= b)
        })
        .collect();
    if !port.reachable {
        return PortExpectation::LoopbackOnly;
    }
    if listing.iter().any(|w| w.required) {
        return PortExpectation::Expected;
    }
    if !listing.is_empty() {
        return PortExpectation::Optional;
    }
    if !port.certain {
        return PortExpectation::Unconfirmed;
    }
    if wants_dynamic_rpc && port.transport == Transport::Tcp && in_dynamic_rpc_range(port.port) {
        // With an endpoint-mapper dump, only the ports it names are RPC; without one, any port
        // no fixed row claims may be.
        // A service named here through its dynamic RPC row (a DFSR or EventLog service tag)
        // is dynamic RPC too.
        let unclaimed = port.candidates.iter().all(|c| {
            matches!(
                c.relation,
                Relation::PossibleDynamic | Relation::RpcEndpoint
            ) || c.port_kind == PortSpec::RpcDynamic.kind()
        });
        let is_rpc = if endpoint_ports.is_empty() {
            unclaimed && port.extra.is_none()
        } else {
            endpoint_ports.contains(&(port.transport, port.port))
        };
        if is_rpc {
            return PortExpectation::ExpectedDynamic;
        }
    }
    if port
        .extra
        .as_ref()
        .and_then(|e| e.companion_of.as_deref())
        .is_some_and(|owner| active.contains(&owner))
    {
        return PortExpectation::Companion;
    }
    if port.transport == Transport::Udp
        && port.port >= EPHEMERAL_UDP_FIRST
        && !options.ephemeral_udp_unexpected
    {
        return PortExpectation::Ephemeral;
    }
    PortExpectation::Unexpected
}

fn evaluate(
    want: &Want,
    ports: &[PortReport],
    coverage: &Coverage,
    endpoints: &[ResolvedEndpoint],
) -> ExpectedPort {
    let (status, satisfied_by, detail) = match want.spec.fixed_range() {
        Some((first, last)) => {
            let here: Vec<&PortReport> = ports
                .iter()
                .filter(|p| p.transport == want.transport && first <= p.port && p.port <= last)
                .collect();
            let reachable_certain: Vec<u16> = here
                .iter()
                .filter(|p| p.reachable && p.certain)
                .map(|p| p.port)
                .collect();
            if !reachable_certain.is_empty() {
                (
                    ExpectedStatus::Listening,
                    reachable_certain,
                    "listening".to_string(),
                )
            } else if here.iter().any(|p| p.reachable) {
                (
                    ExpectedStatus::Unconfirmed,
                    here.iter().map(|p| p.port).collect(),
                    "seen open|filtered only".to_string(),
                )
            } else if !here.is_empty() {
                (
                    ExpectedStatus::LoopbackOnly,
                    here.iter().map(|p| p.port).collect(),
                    "listening on loopback only: the network cannot reach it".to_string(),
                )
            } else if !coverage.covers_any(want.transport, first, last) {
                (
                    ExpectedStatus::NotCovered,
                    Vec::new(),
                    format!(
                        "the input does not list {} port {}",
                        want.transport, want.spec
                    ),
                )
            } else {
                (
                    ExpectedStatus::Missing,
                    Vec::new(),
                    "nothing listens".to_string(),
                )
            }
        }
        None if want.spec == PortSpec::RpcDynamic => {
            evaluate_dynamic_rpc(want, ports, coverage, endpoints)
        }
        None => (
            ExpectedStatus::NotChecked,
            Vec::new(),
            "passive FTP data ports open only during a transfer".to_string(),
        ),
    };
    ExpectedPort {
        transport: want.transport,
        port: want.spec.to_string(),
        port_kind: want.spec.kind().to_string(),
        services: want.services.clone(),
        optional: !want.required,
        status,
        satisfied_by,
        detail,
    }
}

fn evaluate_dynamic_rpc(
    want: &Want,
    ports: &[PortReport],
    coverage: &Coverage,
    endpoints: &[ResolvedEndpoint],
) -> (ExpectedStatus, Vec<u16>, String) {
    let listening = |port: u16| {
        ports
            .iter()
            .any(|p| p.transport == want.transport && p.port == port && p.reachable && p.certain)
    };
    let named: BTreeSet<u16> = endpoints
        .iter()
        .filter(|e| e.transport == want.transport && listening(e.port))
        .filter(|e| {
            e.service
                .as_ref()
                .is_some_and(|s| want.services.contains(s))
        })
        .map(|e| e.port)
        .collect();
    if !named.is_empty() {
        let interfaces: BTreeSet<&str> = endpoints
            .iter()
            .filter(|e| named.contains(&e.port))
            .map(|e| e.interface.as_str())
            .collect();
        return (
            ExpectedStatus::Listening,
            named.into_iter().collect(),
            format!(
                "the endpoint mapper names {}",
                interfaces.into_iter().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    let dynamic: Vec<u16> = ports
        .iter()
        .filter(|p| p.expectation == Some(PortExpectation::ExpectedDynamic))
        .map(|p| p.port)
        .collect();
    if !dynamic.is_empty() {
        let detail = if endpoints.is_empty() {
            "ports in the dynamic RPC range listen; no endpoint-mapper dump says whose they are"
        } else {
            "RPC endpoints listen, but the endpoint-mapper dump names no interface portolan \
             knows for these services"
        };
        return (
            ExpectedStatus::ListeningDynamic,
            dynamic,
            detail.to_string(),
        );
    }
    let covered = [RPC_DYNAMIC_LEGACY, RPC_DYNAMIC_MODERN]
        .iter()
        .any(|&(a, b)| coverage.covers_any(want.transport, a, b));
    if covered {
        (
            ExpectedStatus::Missing,
            Vec::new(),
            "nothing listens in the dynamic RPC ranges (1025-5000, 49152-65535)".to_string(),
        )
    } else {
        (
            ExpectedStatus::NotCovered,
            Vec::new(),
            "the input does not cover the dynamic RPC ranges".to_string(),
        )
    }
}
