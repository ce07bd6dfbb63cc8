//! `check`: PortQry's verdicts for every port of the selected services, roles or ports, on
//! every host, in parallel.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use portolan_catalog::{Catalog, PortRange, Transport};
use portolan_core::target::{self, SizeGuard};
use portolan_probe::Selection;
use portolan_probe::engine::{CheckOptions, Host, ProbeContext};
use portolan_probe::report::CheckReport;
use portolan_probe::select::ServiceChoice;

use crate::cli::{CheckArgs, Global, ResultFormat};
use crate::exit::{Failure, Status as Exit};
use crate::groups::{IncludeOptional, PortSelection, Subjects};
use crate::render::{self, terminal_style};

/// The services named by `--service` (every row) and `--role` (the rows its required entries
/// take), and the optional role entries left unchecked.
fn chosen_services(
    catalog: &Catalog,
    subjects: &Subjects,
    optional: &IncludeOptional,
) -> Result<(Vec<ServiceChoice>, Vec<String>), Failure> {
    let mut choices = Vec::new();
    let mut skipped_optional = Vec::new();
    for name in &subjects.service {
        let id = catalog.resolve_service(name)?.id.clone();
        ServiceChoice::merge_into(&mut choices, ServiceChoice::whole(id));
    }
    for wanted in &subjects.role {
        let role = catalog.resolve_role(wanted)?;
        for member in &role.services {
            if member.optional && !optional.include_optional {
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

/// What a `check` or `listen` selection names.
pub(crate) struct Chosen {
    /// The services of `--service` and `--role`.
    pub services: Vec<ServiceChoice>,
    /// The optional role entries left out (check notes them under its table).
    pub skipped_optional: Vec<String>,
    /// The ports of `--ports`.
    pub ports: Vec<(Transport, PortRange)>,
}

/// The services and ports of a selection.
pub(crate) fn chosen(catalog: &Catalog, selection: &PortSelection) -> Result<Chosen, Failure> {
    let (services, skipped_optional) =
        chosen_services(catalog, &selection.subjects, &selection.optional)?;
    let ports = match &selection.ports {
        Some(text) => portolan_probe::parse_port_spec(catalog, text)?,
        None => Vec::new(),
    };
    Ok(Chosen {
        services,
        skipped_optional,
        ports,
    })
}

/// The options of the engine from the arguments.
fn options(catalog: &Catalog, args: &CheckArgs) -> Result<CheckOptions, Failure> {
    let timing = &args.timing;
    timing.validate()?;
    let defaults = CheckOptions::default();
    Ok(CheckOptions {
        ceiling: timing.timeout(),
        floor: timing.min_timeout,
        udp_floor: defaults.udp_floor.min(timing.timeout()),
        tcp_attempts: u32::from(timing.retries) + 1,
        udp_attempts: args.udp_retries.saturating_add(1),
        concurrency: timing.concurrency().unwrap_or(defaults.concurrency),
        verify: !args.no_verify,
        verify_timeout: args.verify_timeout.unwrap_or(defaults.verify_timeout),
        context: ProbeContext {
            snmp_community: args.community.clone(),
            domain: args.domain.clone(),
            radius_secret: args.radius_secret.radius_secret.clone(),
            listener: args
                .expect_listener
                .then(portolan_probe::udp_probes::listener_token),
        },
        mapper_port: defaults.mapper_port,
        rate: defaults.rate,
        pin: super::pin::check_for(catalog, &args.pin, &args.selection.subjects)?,
    })
}

pub fn run(global: &Global, args: &CheckArgs) -> Result<Exit, Failure> {
    let catalog = super::load_catalog(global)?;
    let chosen = chosen(&catalog, &args.selection)?;
    if chosen.services.is_empty()
        && chosen.ports.is_empty()
        && !args.selection.subjects.role.is_empty()
    {
        return Err(Failure::new("the roles given have no required services"));
    }
    let selection = portolan_probe::select(&catalog, &chosen.services, &chosen.ports)?;
    let options = options(&catalog, args)?;
    // Bad targets (a malformed address, too many) stop here with exit 2; names are looked
    // up in the runtime, in parallel, and one that does not resolve is that host's ERROR.
    let specs = target::parse_arguments(
        &args.hosts,
        SizeGuard::Cap {
            cap: target::CHECK_SCALE_CAP,
            command: "check",
        },
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let mut hosts =
            portolan_probe::resolve::hosts(&specs, portolan_probe::resolve::NAME_TIMEOUT).await?;
        if let Some(shard) = args.sharding.shard {
            // Positions in the expanded list, so every worker cuts the same list the same way.
            let mut position = 0u64;
            hosts.retain(|_| {
                let keep = shard.contains(position);
                position += 1;
                keep
            });
        }
        check(
            global,
            args,
            &hosts,
            &catalog,
            &selection,
            &options,
            &chosen.skipped_optional,
        )
        .await
    })
}

/// How long a check runs before its progress bar appears: shorter checks never flash one.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

/// A progress bar on standard error for a check that lasts, only on a terminal and not
/// under NO_COLOR; hidden until [`PROGRESS_AFTER`] has passed.
fn progress_bar(probes: u64) -> Option<ProgressBar> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if probes == 0 || no_color || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(probes), ProgressDrawTarget::hidden());
    let style = ProgressStyle::with_template("{bar:24} {pos}/{len} ports, eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    let shown = bar.clone();
    tokio::spawn(async move {
        tokio::time::sleep(PROGRESS_AFTER).await;
        if !shown.is_finished() {
            shown.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        }
    });
    Some(bar)
}

async fn check(
    global: &Global,
    args: &CheckArgs,
    hosts: &[Host],
    catalog: &Catalog,
    selection: &Selection,
    options: &CheckOptions,
    skipped_optional: &[String],
) -> Result<Exit, Failure> {
    let stream = args.format == ResultFormat::Jsonl;
    // The fixed ports; the endpoint mapper's, found on the way, lengthen the bar.
    let probes = (hosts.len() as u64).saturating_mul(selection.targets.len() as u64);
    let bar = progress_bar(probes);
    let gathered = portolan_probe::check::gather(
        catalog,
        hosts,
        selection,
        options,
        !args.rpc.no_rpc,
        // A stream prints every result as it comes: keeping them all would make memory grow
        // with the hosts checked; the exit code needs only one.
        !stream,
        |result| {
            if let Some(bar) = &bar {
                if bar.position() >= bar.length().unwrap_or(0) {
                    bar.inc_length(1);
                }
                bar.inc(1);
            }
            if !stream {
                return Ok(());
            }
            // Each result is written the moment its verdict is final (render::print flushes).
            let tagged = portolan_probe::result::ResultLine {
                vantage: args.vantage.as_deref(),
                result,
            };
            let mut line = serde_json::to_string(&tagged).unwrap_or_default();
            line.push('\n');
            match &bar {
                Some(bar) => bar.suspend(|| render::print(line.as_bytes())),
                None => render::print(line.as_bytes()),
            }
        },
    )
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let (extras, results) = gathered?;
    let report = CheckReport::new(hosts, &extras, results).with_vantage(args.vantage.clone());
    // A shard that holds no host (more workers than hosts) passes: it has nothing to fail.
    let exit = if report.passes() {
        Exit::Clean
    } else {
        Exit::Negative
    };
    if !skipped_optional.is_empty() && args.format == ResultFormat::Table {
        eprintln!(
            "note: optional services of the role not checked (--include-optional checks them): {}",
            skipped_optional.join(", ")
        );
    }
    let text = match args.format {
        ResultFormat::Jsonl => report.incomplete_mapper_lines(),
        ResultFormat::Json => render::to_json(&report.json())?,
        ResultFormat::Csv => report.csv(),
        ResultFormat::Md => report.markdown(),
        ResultFormat::Junit => report.junit(),
        ResultFormat::Tap => report.tap(),
        ResultFormat::Table => report.table(terminal_style(global.color)),
    };
    render::print(text.as_bytes())?;
    Ok(exit)
}
