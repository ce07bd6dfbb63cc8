//! `audit`: listeners named from the catalog and compared with roles or services.

use portolan_audit::{
    AuditOptions, AuditReport, Expectation, Parsed, PortExpectation, RpcEndpoint,
};
use portolan_output::{Grid, GridCell, Tone};
use serde::Serialize;

use crate::cli::{AuditArgs, Global, LookupFormat};
use crate::exit::{Failure, Status};
use crate::render::{self, terminal_style};

#[derive(Serialize)]
struct AuditJson<'a> {
    schema_version: u32,
    reports: &'a [AuditReport],
    exit_code: u8,
}

fn read_inputs(args: &AuditArgs) -> Result<Parsed, Failure> {
    let format = args.input_format.map(|f| f.0);
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
        let parsed = portolan_audit::parse(origin, &bytes, format)?;
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
        ..AuditOptions::default()
    };
    let reports = portolan_audit::audit(&catalog, &parsed, expectation.as_ref(), &options);
    let code = portolan_audit::exit_code(&reports);
    let json = AuditJson {
        schema_version: portolan_output::catalog::SCHEMA_VERSION,
        reports: &reports,
        exit_code: code,
    };
    let style = terminal_style(global.color);
    let text = match args.format {
        LookupFormat::Table => {
            let mut out = String::new();
            for report in &reports {
                out.push_str(&format!(
                    "{}\n",
                    report.host.as_deref().unwrap_or("this machine")
                ));
                out.push_str(&grid(report).to_terminal(style));
                out.push_str(&format!("{}\n\n", report.verdict));
            }
            out
        }
        other => {
            let mut all = Grid::default();
            for report in &reports {
                let g = grid(report);
                all.headers = g.headers;
                all.rows.extend(g.rows);
                all.notes.extend(g.notes);
            }
            render::lookup(other, style, &all, &json)?
        }
    };
    render::print(text.as_bytes())?;
    Ok(if code == 0 {
        Status::Clean
    } else {
        Status::Negative
    })
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
