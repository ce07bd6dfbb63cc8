//! `audit`: listeners named from the catalog and compared with roles or services.

use portolan_audit::{
    AuditOptions, AuditReport, Expectation, Parsed, PortExpectation, ReadOptions, RpcEndpoint,
    SkippedRow,
};
use portolan_output::{Grid, GridCell, Tone};
use serde::Serialize;

use crate::cli::{AuditArgs, Global, LookupFormat, ResultFormat};
use crate::exit::{Failure, Status};
use crate::render::{self, terminal_style};

#[derive(Serialize)]
struct AuditJson<'a> {
    schema_version: u32,
    reports: &'a [AuditReport],
    /// Some rows of the inputs could not be read and were left out.
    partial: bool,
    /// Those rows: `source`, `line`, `problem`.
    skipped: &'a [SkippedRow],
    exit_code: u8,
}

fn read_inputs(args: &AuditArgs) -> Result<Parsed, Failure> {
    let format = args.input_format.map(|f| f.0);
    let options = ReadOptions {
        format,
        strict: args.strict,
        host: args.host.clone(),
    };
    if args.inputs.is_empty() {
        // This machine's own sockets: reading them is not the user's input.
        return portolan_audit::system::read_local().map_err(|e| Failure::runtime(e.to_string()));
    }
    let mut all: Option<Parsed> = None;
    for input in &args.inputs {
        let bytes = portolan_audit::system::read_input(input)?;
        let origin = if input == "-" {
            "standard input"
        } else {
            input
        };
        let parsed = portolan_audit::parse_with(origin, &bytes, &options)?;
        match &mut all {
            Some(all) => all.extend(parsed),
            None => all = Some(parsed),
        }
    }
    all.ok_or_else(|| Failure::new("no input given"))
}

/// Endpoints of the host's endpoint mapper, as the audit's dump format.
fn mapper_endpoints(host: &str) -> Result<Vec<RpcEndpoint>, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the async runtime: {e}")))?;
    let address = runtime.block_on(portolan_probe::resolve::resolve(host))?;
    let enumeration = runtime
        .block_on(portolan_probe::rpc::enumerate(
            address,
            portolan_probe::rpc::EPM_PORT,
            std::time::Duration::from_secs(3),
        ))
        .map_err(|e| Failure::runtime(format!("--endpoint-mapper {host}: {e}")))?;
    Ok(enumeration
        .endpoints
        .iter()
        // ncacn_http ports (RPC over HTTP) are TCP listeners too.
        .filter(|e| e.protocol == "ncacn_ip_tcp" || e.protocol == "ncacn_http")
        .filter_map(|e| Some(RpcEndpoint::tcp(e.port?, e.interface.clone())))
        .collect())
}

pub fn run(global: &Global, args: &AuditArgs) -> Result<Status, Failure> {
    let catalog = super::load_catalog(global)?;
    let parsed = read_inputs(args)?;
    let expectation = if args.subjects.role.is_empty() && args.subjects.service.is_empty() {
        None
    } else {
        let roles: Vec<&str> = args.subjects.role.iter().map(String::as_str).collect();
        let services: Vec<&str> = args.subjects.service.iter().map(String::as_str).collect();
        Some(Expectation::new(&catalog, &roles, &services)?)
    };
    let options = AuditOptions {
        include_optional: args.optional.include_optional,
        rpc_endpoints: match &args.endpoint_mapper {
            Some(host) => mapper_endpoints(host)?,
            None => Vec::new(),
        },
        port_sharing: super::conflicts::load()?.clone(),
        ..AuditOptions::default()
    };
    let reports = portolan_audit::audit(&catalog, &parsed, expectation.as_ref(), &options);
    let code = portolan_audit::exit_code_of(&reports, &parsed);
    for row in &parsed.skipped {
        eprintln!("portolan: {row} (row skipped)");
    }
    let json = AuditJson {
        schema_version: portolan_output::catalog::SCHEMA_VERSION,
        reports: &reports,
        partial: parsed.is_partial(),
        skipped: &parsed.skipped,
        exit_code: code,
    };
    let style = terminal_style(global.color);
    // The formats audit shares with the look-ups: every host's ports in one grid.
    let rows = |format: LookupFormat| {
        let mut all = Grid::default();
        for report in &reports {
            let g = grid(report);
            all.headers = g.headers;
            all.rows.extend(g.rows);
            all.notes.extend(g.notes);
        }
        render::lookup(format, style, &all, &json)
    };
    let text = match args.format {
        ResultFormat::Junit => portolan_audit::ci::junit(&reports),
        ResultFormat::Tap => portolan_audit::ci::tap(&reports),
        ResultFormat::Table => {
            let mut out = String::new();
            let down: Vec<&str> = reports
                .iter()
                .filter(|r| !r.audited)
                .filter_map(|r| r.host.as_deref())
                .collect();
            for report in reports.iter().filter(|r| r.audited) {
                out.push_str(&heading(report));
                let g = grid(report);
                if !g.rows.is_empty() {
                    out.push_str(&g.to_terminal(style));
                }
                out.push_str(&format!("{}\n\n", report.verdict));
            }
            if !down.is_empty() {
                out.push_str(&format!(
                    "not audited, the host did not answer the scan ({}): {}\n\n",
                    down.len(),
                    down.join(", ")
                ));
            }
            if parsed.is_partial() {
                out.push_str(&format!(
                    "partial: {} rows could not be read and were skipped:\n",
                    parsed.skipped.len()
                ));
                for row in &parsed.skipped {
                    out.push_str(&format!("  {row}\n"));
                }
            }
            out
        }
        ResultFormat::Json => rows(LookupFormat::Json)?,
        ResultFormat::Jsonl => rows(LookupFormat::Jsonl)?,
        ResultFormat::Csv => rows(LookupFormat::Csv)?,
        ResultFormat::Md => rows(LookupFormat::Md)?,
    };
    render::print(text.as_bytes())?;
    Ok(if code == 0 {
        Status::Clean
    } else {
        Status::Negative
    })
}

/// The line that heads a host's table: its name, its other names and addresses.
fn heading(report: &AuditReport) -> String {
    let host = report.host.as_deref().unwrap_or("this machine");
    if report.host_names.is_empty() {
        format!("{host}\n")
    } else {
        format!("{host} ({})\n", report.host_names.join(", "))
    }
}

fn grid(report: &AuditReport) -> Grid {
    let mut grid = Grid::new([
        "Host", "Port", "Listener", "Service", "Process", "Role", "Flags",
    ]);
    let host = report.host.clone().unwrap_or_default();
    for port in &report.ports {
        let (label, tone) = match port.expectation {
            None => (String::new(), Tone::Plain),
            Some(PortExpectation::Expected) => ("expected".to_string(), Tone::Good),
            Some(PortExpectation::ExpectedDynamic) => {
                ("expected (dynamic RPC)".to_string(), Tone::Good)
            }
            Some(PortExpectation::Optional) => ("optional".to_string(), Tone::Good),
            Some(PortExpectation::Companion) => ("companion".to_string(), Tone::Good),
            Some(PortExpectation::Unexpected) => ("UNEXPECTED".to_string(), Tone::Bad),
            Some(PortExpectation::LoopbackOnly) => ("loopback only".to_string(), Tone::Dim),
            Some(PortExpectation::Unconfirmed) => ("unconfirmed".to_string(), Tone::Warn),
            Some(PortExpectation::Ephemeral) => ("ephemeral".to_string(), Tone::Dim),
        };
        let binding = format!("{:?}", port.binding).to_lowercase();
        let processes: Vec<String> = port
            .processes
            .iter()
            .map(|p| match (&p.process, p.pid) {
                (Some(name), Some(pid)) => format!("{name} ({pid})"),
                (Some(name), None) => name.clone(),
                (None, Some(pid)) => format!("pid {pid}"),
                (None, None) => String::new(),
            })
            .collect();
        grid.push([
            GridCell::from(host.clone()),
            format!("{}/{}", port.port, port.transport.key()).into(),
            binding.into(),
            port.name.clone().into(),
            processes.join(", ").into(),
            GridCell::toned(label, tone),
            GridCell::toned(
                port.flags
                    .iter()
                    .map(|f| f.text.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                Tone::Warn,
            ),
        ]);
    }
    if let Some(comparison) = &report.comparison {
        for missing in &comparison.missing {
            grid.push([
                GridCell::from(host.clone()),
                missing.clone().into(),
                "".into(),
                "".into(),
                "".into(),
                GridCell::toned("MISSING", Tone::Bad),
                "".into(),
            ]);
        }
    }
    grid.notes = report.notes.clone();
    grid
}
