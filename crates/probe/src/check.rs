//! A whole check: the selected ports of every host, and, for services reached through
//! dynamic RPC, the ports their host's endpoint mapper hands out, in a second wave that starts
//! as soon as the mapper has answered (while the first wave is still running).

use std::collections::BTreeMap;
use std::sync::Arc;

use portolan_catalog::{Catalog, Transport};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::engine::{self, CheckOptions, Host, Job};
use crate::result::{Origin, PortResult, Status};
use crate::rpc::{self, Enumeration, RpcEndpoint};
use crate::select::{RowLabel, Selection, Target, Unchecked};
use crate::timing::HostTiming;

/// What a host's check found beyond its port results.
#[derive(Debug, Clone, Serialize)]
pub struct HostExtras {
    /// Rows that were not probed, and why.
    pub unchecked: Vec<Unchecked>,
    /// The endpoint mapper's answer, when it was asked.
    pub endpoint_mapper: Option<MapperSummary>,
}

/// The endpoint mapper's answer, in short.
#[derive(Debug, Clone, Serialize)]
pub struct MapperSummary {
    /// Endpoints registered (all protocol sequences).
    pub endpoints: usize,
    /// TCP endpoints of the selected services, checked in the second wave.
    pub checked_ports: Vec<u16>,
    /// How the list ended, or why the mapper could not be read.
    pub outcome: String,
    /// False when the list is not the mapper's whole list: cut short, a mapper that repeats
    /// itself, or no list at all. The check then fails (exit 1), as `portolan rpc` does.
    pub complete: bool,
    /// Why the list is incomplete, else null.
    pub incomplete: Option<String>,
    /// With `--pin-rpc`: the interfaces of the role outside the pinned ports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<crate::pinned::PinVerdict>,
}

impl MapperSummary {
    /// What the check says of its dynamic ports when the list is incomplete.
    fn partial_note(why: &str) -> String {
        format!(
            "the endpoint mapper's list is INCOMPLETE ({why}): this port is one it gave before \
             the list ended; other dynamic ports may be missing"
        )
    }
}

/// Runs the check to the end: hands each result to `on_result` the moment it is known
/// (to stream it), and returns every host's extras (in host order) and the results. The
/// first error of `on_result` is returned once the check is over.
///
/// With `keep_all` false (a caller that streamed every result and needs only the exit code)
/// at most one result is kept: the first that is not LISTENING, else the first, so that
/// memory does not grow with the hosts checked and "was everything LISTENING" still reads
/// the same.
pub async fn gather<E>(
    catalog: &Catalog,
    hosts: &[Host],
    selection: &Selection,
    options: &CheckOptions,
    rpc: bool,
    keep_all: bool,
    mut on_result: impl FnMut(&PortResult) -> Result<(), E>,
) -> Result<(Vec<HostExtras>, Vec<PortResult>), E> {
    let (sender, mut receiver) = mpsc::channel(256);
    let engine = run(catalog, hosts, selection, options, rpc, sender);
    let collect = async {
        let mut results = Vec::new();
        let mut failed = None;
        while let Some(result) = receiver.recv().await {
            if failed.is_none()
                && let Err(e) = on_result(&result)
            {
                failed = Some(e);
            }
            if keep_all || results.is_empty() {
                results.push(result);
            } else if result.status() != Status::Listening
                && results
                    .iter()
                    .all(|r: &PortResult| r.status() == Status::Listening)
            {
                results.clear();
                results.push(result);
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(results),
        }
    };
    let (extras, results) = tokio::join!(engine, collect);
    Ok((extras, results?))
}

/// Runs the check. `rpc`: ask the endpoint mapper for the dynamic RPC services' ports.
/// Results are sent as they come; the extras are returned per host, in host order.
pub async fn run(
    catalog: &Catalog,
    hosts: &[Host],
    selection: &Selection,
    options: &CheckOptions,
    rpc: bool,
    results: mpsc::Sender<PortResult>,
) -> Vec<HostExtras> {
    let timings: Vec<Arc<HostTiming>> = hosts
        .iter()
        .map(|_| Arc::new(HostTiming::new(engine::timeout_policy(options))))
        .collect();
    // Probes, endpoint-mapper look-ups and verifications share one budget of sockets.
    let permits = engine::budget(options);
    // Built as permits free up, not all at once.
    let first_wave = (0..hosts.len()).flat_map(|host| {
        selection.targets.iter().map(move |target| Job {
            host,
            target: target.clone(),
            origin: Origin::Catalog,
            note: None,
        })
    });
    let dynamic = &selection.dynamic_rpc.services;
    let first = engine::run_with_timings(
        hosts,
        &timings,
        first_wave,
        options,
        &permits,
        results.clone(),
    );
    let second = async {
        let mut extras: Vec<HostExtras> = hosts
            .iter()
            .map(|_| HostExtras {
                unchecked: selection.unchecked.clone(),
                endpoint_mapper: None,
            })
            .collect();
        if dynamic.is_empty() {
            return extras;
        }
        if !rpc {
            for extra in &mut extras {
                extra.unchecked.extend(dynamic_unchecked(
                    catalog,
                    dynamic,
                    "the endpoint mapper was not asked (--no-rpc), so the dynamic ports are unknown",
                ));
            }
            return extras;
        }
        let mut lookups = tokio::task::JoinSet::new();
        for (index, host) in hosts.iter().enumerate() {
            if let Some(problem) = &host.unresolved {
                if let Some(extra) = extras.get_mut(index) {
                    extra.unchecked.extend(dynamic_unchecked(
                        catalog,
                        dynamic,
                        &format!("the dynamic ports are unknown: {problem}"),
                    ));
                }
                continue;
            }
            let target = portolan_core::target::socket_addr(
                host.address,
                host.scope_id,
                options.mapper_port,
            );
            let wait = options.ceiling;
            let permits = Arc::clone(&permits);
            lookups.spawn(async move {
                // A look-up holds a connection: it waits for a permit like any probe (the
                // semaphore is never closed, so the error arm is unreachable in practice).
                let _permit = permits.acquire_owned().await.ok();
                (index, rpc::enumerate_at(target, wait).await)
            });
        }
        let mut second_wave = Vec::new();
        while let Some(done) = lookups.join_next().await {
            let Ok((index, enumeration)) = done else {
                continue;
            };
            let Some(extra) = extras.get_mut(index) else {
                continue;
            };
            match enumeration {
                Ok(enumeration) => {
                    let (targets, missing) =
                        rpc_targets(catalog, dynamic, &enumeration, &selection.targets);
                    let incomplete = enumeration.incomplete().map(str::to_string);
                    let note = incomplete.as_deref().map(MapperSummary::partial_note);
                    extra.endpoint_mapper = Some(MapperSummary {
                        endpoints: enumeration.endpoints.len(),
                        checked_ports: targets.iter().map(|t| t.port).collect(),
                        outcome: enumeration.end.clone(),
                        complete: enumeration.complete,
                        incomplete,
                        pinned: options
                            .pin
                            .as_ref()
                            .map(|pin| pin.verdict(&enumeration.endpoints)),
                    });
                    extra.unchecked.extend(missing);
                    second_wave.extend(targets.into_iter().map(|target| Job {
                        host: index,
                        target,
                        origin: Origin::EndpointMapper,
                        note: note.clone(),
                    }));
                }
                Err(e) => {
                    extra.endpoint_mapper = Some(MapperSummary {
                        endpoints: 0,
                        checked_ports: Vec::new(),
                        outcome: e.to_string(),
                        complete: false,
                        incomplete: Some(e.to_string()),
                        pinned: None,
                    });
                    extra.unchecked.extend(dynamic_unchecked(
                        catalog,
                        dynamic,
                        &format!("the dynamic ports are unknown: {e}"),
                    ));
                }
            }
        }
        engine::run_with_timings(
            hosts,
            &timings,
            second_wave,
            options,
            &permits,
            results.clone(),
        )
        .await;
        extras
    };
    let ((), extras) = tokio::join!(first, second);
    extras
}

fn label(catalog: &Catalog, service_id: &str, app: String) -> RowLabel {
    RowLabel {
        service_id: service_id.to_string(),
        service: catalog
            .service(service_id)
            .map_or_else(|| service_id.to_string(), |s| s.name.clone()),
        app_protocol: app,
    }
}

fn dynamic_unchecked(catalog: &Catalog, services: &[String], reason: &str) -> Vec<Unchecked> {
    services
        .iter()
        .map(|id| Unchecked {
            row: label(catalog, id, "Randomly allocated high TCP ports".to_string()),
            transport: "tcp".to_string(),
            port: "dynamic RPC".to_string(),
            reason: reason.to_string(),
        })
        .collect()
}

/// The TCP ports of the endpoints that belong to the selected dynamic services, and the
/// services none of whose interfaces the mapper lists.
pub fn rpc_targets(
    catalog: &Catalog,
    services: &[String],
    enumeration: &Enumeration,
    already: &[Target],
) -> (Vec<Target>, Vec<Unchecked>) {
    let mut ports: BTreeMap<u16, Vec<RowLabel>> = BTreeMap::new();
    let mut found: Vec<&str> = Vec::new();
    for endpoint in &enumeration.endpoints {
        let Some(port) = endpoint.port else {
            continue;
        };
        for service in services
            .iter()
            .filter(|s| endpoint.services.contains(&s.as_str()))
        {
            if !found.contains(&service.as_str()) {
                found.push(service);
            }
            let already_checked = already
                .iter()
                .any(|t| t.transport == Transport::Tcp && t.port == port);
            if already_checked {
                continue;
            }
            let rows = ports.entry(port).or_default();
            let row = label(catalog, service, interface_text(endpoint));
            if !rows.contains(&row) {
                rows.push(row);
            }
        }
    }
    let targets = ports
        .into_iter()
        .map(|(port, rows)| Target {
            transport: Transport::Tcp,
            port,
            rows,
        })
        .collect();
    let reason = match enumeration.incomplete() {
        // A list cut short says nothing of what it did not reach.
        Some(why) => format!(
            "the endpoint mapper's list is INCOMPLETE ({why}): the {} endpoints it gave hold \
             no TCP endpoint of this service's RPC interfaces, and the rest was never read",
            enumeration.endpoints.len()
        ),
        None => format!(
            "the endpoint mapper lists no TCP endpoint of this service's RPC interfaces \
             ({} endpoints registered): the service does not run, or portolan does not know \
             its interfaces",
            enumeration.endpoints.len()
        ),
    };
    let missing = services
        .iter()
        .filter(|s| !found.contains(&s.as_str()))
        .map(|s| Unchecked {
            row: label(catalog, s, "Randomly allocated high TCP ports".to_string()),
            transport: "tcp".to_string(),
            port: "dynamic RPC".to_string(),
            reason: reason.clone(),
        })
        .collect();
    (targets, missing)
}

/// "lsarpc v0.0 over ncacn_ip_tcp", or the raw UUID for an unknown interface.
fn interface_text(endpoint: &RpcEndpoint) -> String {
    format!(
        "{} v{} over {}",
        endpoint.name.unwrap_or(&endpoint.interface),
        endpoint.version,
        endpoint.protocol
    )
}
