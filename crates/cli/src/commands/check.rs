//! `check`: PortQry's verdicts for every port of the selected services, roles or ports, on
//! every host, in parallel.

use std::collections::BTreeMap;

use portolan_catalog::Catalog;
use portolan_core::target::{self, SizeGuard};
use portolan_output::{Grid, GridCell, Tone};
use portolan_probe::check::MapperSummary;
use portolan_probe::engine::{CheckOptions, Host, ProbeContext};
use portolan_probe::select::{ServiceChoice, Unchecked};
use portolan_probe::{Origin, PortResult, Selection, Status, VerifyOutcome};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::cli::{CheckArgs, CheckFormat, Global};
use crate::commands::roles::find_role;
use crate::exit::{Failure, Status as Exit};
use crate::render::{self, terminal_style};

/// The id of the one service `name` designates: an exact name first, else the only partial
/// match; several partial matches or none are an input error.
pub fn resolve_service(catalog: &Catalog, name: &str) -> Result<String, Failure> {
    let found = catalog.find_services(name);
    let exact = found.iter().find(|s| {
        [Some(&s.id), Some(&s.name), s.windows_service.as_ref()]
            .into_iter()
            .flatten()
            .any(|n| n.eq_ignore_ascii_case(name.trim()))
    });
    match (exact, found.as_slice()) {
        (Some(one), _) | (None, [one]) => Ok(one.id.clone()),
        (None, []) => {
            let mut failure = Failure::new(format!(
                "no service matches `{name}`; `portolan export` lists every service"
            ));
            let suggestions = catalog.suggest_services(name);
            if !suggestions.is_empty() {
                failure = failure.detail("did you mean:");
                for s in suggestions {
                    failure = failure.detail(format!("  {} ({})", s.name, s.id));
                }
            }
            Err(failure)
        }
        (None, many) => {
            let mut failure = Failure::new(format!(
                "`{name}` matches {} services; name one of them by id",
                many.len()
            ));
            for s in many {
                failure = failure.detail(format!("  {} ({})", s.name, s.id));
            }
            Err(failure)
        }
    }
}

/// The services named by `--service` (every row) and `--role` (the rows its required entries
/// take), and the optional role entries left unchecked.
fn chosen_services(
    catalog: &Catalog,
    args: &CheckArgs,
) -> Result<(Vec<ServiceChoice>, Vec<String>), Failure> {
    let mut choices = Vec::new();
    let mut skipped_optional = Vec::new();
    for name in &args.service {
        let id = resolve_service(catalog, name)?;
        ServiceChoice::merge_into(&mut choices, ServiceChoice::whole(id));
    }
    for wanted in &args.role {
        let role = find_role(catalog, wanted)?;
        for member in &role.services {
            if member.optional && !args.include_optional {
                let rows = if member.ports.is_all() {
                    String::new()
                } else {
                    format!("{}; ", member.ports)
                };
                skipped_optional.push(format!("{} ({rows}role {})", member.service, role.id));
                continue;
            }
            let choice = ServiceChoice {
                id: member.service.clone(),
                rows: member.ports.clone(),
            };
            ServiceChoice::merge_into(&mut choices, choice);
        }
    }
    Ok((choices, skipped_optional))
}

/// The options of the engine from the arguments.
fn options(args: &CheckArgs) -> Result<CheckOptions, Failure> {
    if args.min_timeout > args.timeout {
        return Err(Failure::new(format!(
            "--min-timeout {:?} is longer than --timeout {:?}; the shortest wait cannot exceed the longest",
            args.min_timeout, args.timeout
        )));
    }
    let defaults = CheckOptions::default();
    Ok(CheckOptions {
        ceiling: args.timeout,
        floor: args.min_timeout,
        udp_floor: defaults.udp_floor.min(args.timeout),
        tcp_attempts: args.retries.saturating_add(1),
        udp_attempts: args.udp_retries.saturating_add(1),
        concurrency: args.concurrency as usize,
        verify: !args.no_verify,
        context: ProbeContext {
            snmp_community: args.community.clone(),
            domain: args.domain.clone(),
            radius_secret: args.radius_secret.clone(),
        },
    })
}

#[derive(Serialize)]
struct HostJson<'a> {
    host: &'a str,
    address: String,
    results: Vec<&'a PortResult>,
    unchecked: &'a [Unchecked],
    endpoint_mapper: Option<&'a MapperSummary>,
}

#[derive(Serialize, Default)]
struct Summary {
    listening: usize,
    not_listening: usize,
    filtered: usize,
    listening_or_filtered: usize,
    error: usize,
    unchecked: usize,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    schema_version: u32,
    hosts: Vec<HostJson<'a>>,
    summary: Summary,
    exit_code: u8,
}

pub fn run(global: &Global, args: &CheckArgs) -> Result<Exit, Failure> {
    let catalog = super::load_catalog(global)?;
    let (services, skipped_optional) = chosen_services(&catalog, args)?;
    let spec = match &args.ports {
        Some(text) => portolan_probe::parse_port_spec(text)?,
        None => Vec::new(),
    };
    if services.is_empty() && spec.is_empty() && !args.role.is_empty() {
        return Err(Failure::new("the roles given have no required services"));
    }
    let selection = portolan_probe::select(&catalog, &services, &spec)?;
    let options = options(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(check(
        global,
        args,
        &catalog,
        &selection,
        &options,
        &skipped_optional,
    ))
}

async fn check(
    global: &Global,
    args: &CheckArgs,
    catalog: &Catalog,
    selection: &Selection,
    options: &CheckOptions,
    skipped_optional: &[String],
) -> Result<Exit, Failure> {
    let targets = target::resolve_arguments(
        &args.hosts,
        SizeGuard::Cap {
            cap: target::CHECK_CAP,
            command: "check",
        },
    )?;
    let hosts = Host::from_targets(&targets);
    let (sender, mut receiver) = mpsc::channel(256);
    let stream = args.format == CheckFormat::Jsonl;
    let engine =
        portolan_probe::check::run(catalog, &hosts, selection, options, !args.no_rpc, sender);
    let collect = async {
        let mut results = Vec::new();
        while let Some(result) = receiver.recv().await {
            if stream {
                let line = serde_json::to_string(&result).unwrap_or_default();
                render::print(format!("{line}\n").as_bytes())?;
            }
            results.push(result);
        }
        Ok::<_, Failure>(results)
    };
    let (extras, results) = tokio::join!(engine, collect);
    let mut results = results?;
    let order: BTreeMap<&str, usize> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.name.as_str(), i))
        .collect();
    results.sort_by_key(|r| (order.get(r.host.as_str()).copied(), r.transport, r.port));

    let all_listening = results.iter().all(|r| r.status == Status::Listening);
    let exit = if all_listening && !results.is_empty() {
        Exit::Clean
    } else {
        Exit::Negative
    };
    if !skipped_optional.is_empty() && args.format == CheckFormat::Table {
        eprintln!(
            "note: optional services of the role not checked (--include-optional checks them): {}",
            skipped_optional.join(", ")
        );
    }
    match args.format {
        CheckFormat::Jsonl => {}
        CheckFormat::Json => {
            let mut summary = Summary {
                unchecked: extras.iter().map(|e| e.unchecked.len()).sum(),
                ..Summary::default()
            };
            for r in &results {
                match r.status {
                    Status::Listening => summary.listening += 1,
                    Status::NotListening => summary.not_listening += 1,
                    Status::Filtered => summary.filtered += 1,
                    Status::ListeningOrFiltered => summary.listening_or_filtered += 1,
                    Status::Error => summary.error += 1,
                }
            }
            let json = CheckJson {
                schema_version: portolan_output::catalog::SCHEMA_VERSION,
                hosts: hosts
                    .iter()
                    .zip(&extras)
                    .map(|(h, extra)| HostJson {
                        host: &h.name,
                        address: h.address.to_string(),
                        results: results.iter().filter(|r| r.host == h.name).collect(),
                        unchecked: &extra.unchecked,
                        endpoint_mapper: extra.endpoint_mapper.as_ref(),
                    })
                    .collect(),
                summary,
                exit_code: if exit == Exit::Clean { 0 } else { 1 },
            };
            render::print(render::to_json(&json)?.as_bytes())?;
        }
        CheckFormat::Csv => render::print(csv_grid(&results).to_csv().as_bytes())?,
        CheckFormat::Table => {
            let style = terminal_style(global.color);
            let mut out = String::new();
            for (host, extra) in hosts.iter().zip(&extras) {
                out.push_str(&format!("{} ({})\n", host.name, host.address));
                if let Some(mapper) = &extra.endpoint_mapper {
                    out.push_str(&format!(
                        "endpoint mapper: {} endpoints, dynamic ports checked: {} ({})\n",
                        mapper.endpoints,
                        if mapper.checked_ports.is_empty() {
                            "none".to_string()
                        } else {
                            mapper
                                .checked_ports
                                .iter()
                                .map(u16::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        },
                        mapper.outcome
                    ));
                }
                let mine: Vec<&PortResult> =
                    results.iter().filter(|r| r.host == host.name).collect();
                out.push_str(&host_grid(&mine, &extra.unchecked).to_terminal(style));
                out.push('\n');
            }
            out.push_str(&summary_line(&results));
            render::print(out.as_bytes())?;
        }
    }
    Ok(exit)
}

fn tone(status: Status) -> Tone {
    match status {
        Status::Listening => Tone::Good,
        Status::NotListening | Status::Error => Tone::Bad,
        Status::Filtered | Status::ListeningOrFiltered => Tone::Warn,
    }
}

/// What a result says beyond its status: the evidence, or the answer, and the verification.
fn details(r: &PortResult) -> String {
    let mut parts = Vec::new();
    match &r.evidence {
        Some(evidence) => parts.push(evidence.clone()),
        None => parts.push(r.answer.clone()),
    }
    if let Some(v) = &r.verification {
        let label = match v.outcome {
            VerifyOutcome::Verified => "",
            VerifyOutcome::Mismatch => "something else answers: ",
            VerifyOutcome::Silent => "no answer to the protocol probe: ",
            VerifyOutcome::Closed => "the protocol probe failed: ",
        };
        parts.push(format!("{label}{}", v.detail));
    }
    if let Some(note) = &r.note {
        parts.push(format!("note: {note}"));
    }
    parts.join("\n")
}

/// One host's results, one line per (service, port), grouped by service.
fn host_grid(results: &[&PortResult], unchecked: &[Unchecked]) -> Grid {
    let mut grid = Grid::new(["Service", "Port", "Status", "Probe", "What answered"]);
    let mut lines: Vec<(String, &PortResult, String)> = Vec::new();
    for r in results {
        if r.rows.is_empty() {
            lines.push((String::from("(not in the catalog)"), r, String::new()));
        }
        let mut seen = Vec::new();
        for row in &r.rows {
            if seen.contains(&row.service) {
                continue;
            }
            seen.push(row.service.clone());
            lines.push((row.service.clone(), r, row.app_protocol.clone()));
        }
    }
    lines.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.port.cmp(&b.1.port)));
    for (service, r, app) in lines {
        let service = if r.origin == Origin::EndpointMapper {
            format!("{service}\n{app} (endpoint mapper)")
        } else {
            service
        };
        grid.push([
            GridCell::from(service),
            format!("{}/{}", r.port, r.transport).into(),
            GridCell::toned(r.status.as_str(), tone(r.status)),
            r.probe.clone().into(),
            details(r).into(),
        ]);
    }
    for u in unchecked {
        grid.push([
            GridCell::from(u.row.service.clone()),
            format!("{}/{}", u.port, u.transport).into(),
            GridCell::toned("NOT CHECKED", Tone::Dim),
            "".into(),
            u.reason.clone().into(),
        ]);
    }
    grid
}

fn summary_line(results: &[PortResult]) -> String {
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    format!(
        "{} ports: {} LISTENING, {} NOT LISTENING, {} FILTERED, {} LISTENING OR FILTERED{}\n",
        results.len(),
        count(Status::Listening),
        count(Status::NotListening),
        count(Status::Filtered),
        count(Status::ListeningOrFiltered),
        match count(Status::Error) {
            0 => String::new(),
            n => format!(", {n} ERROR (not probed: failures on this machine)"),
        }
    )
}

fn csv_grid(results: &[PortResult]) -> Grid {
    let mut grid = Grid::new([
        "host",
        "address",
        "transport",
        "port",
        "status",
        "services",
        "origin",
        "probe",
        "answer",
        "evidence",
        "verification",
        "verification_detail",
        "note",
        "rtt_ms",
    ]);
    for r in results {
        let services: Vec<&str> = r.rows.iter().map(|row| row.service_id.as_str()).collect();
        grid.push([
            r.host.clone(),
            r.address.to_string(),
            r.transport.to_string(),
            r.port.to_string(),
            r.status.as_str().to_string(),
            services.join(";"),
            match r.origin {
                Origin::Catalog => "catalog".to_string(),
                Origin::EndpointMapper => "endpoint-mapper".to_string(),
            },
            r.probe.clone(),
            r.answer.clone(),
            r.evidence.clone().unwrap_or_default(),
            r.verification
                .as_ref()
                .map(|v| format!("{:?}", v.outcome).to_lowercase())
                .unwrap_or_default(),
            r.verification
                .as_ref()
                .map(|v| v.detail.clone())
                .unwrap_or_default(),
            r.note.clone().unwrap_or_default(),
            r.rtt_ms.map(|t| t.to_string()).unwrap_or_default(),
        ]);
    }
    grid
}
