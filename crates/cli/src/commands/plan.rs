//! `plan`: firewall rules for roles and services in a firewall dialect.

use std::path::Path;

use portolan_output::{Grid, xlsx};
use portolan_plan::render::change_request;
use portolan_plan::{OptionalPolicy, Plan, Request, render};
use serde::Serialize;

use crate::cli::{Global, PlanArgs, PlanFormat};
use crate::exit::{Failure, Status};
use crate::render as out;

/// `--format json`: the plan, versioned like every JSON document (docs/json.md).
#[derive(Serialize)]
struct PlanJson<'a> {
    schema_version: u32,
    #[serde(flatten)]
    plan: &'a Plan,
}

pub fn run(global: &Global, args: &PlanArgs) -> Result<Status, Failure> {
    let catalog = super::load_catalog(global)?;
    // The plan resolves role and service names itself, through the catalog's one resolver.
    let mut request = Request::new(&args.subjects.role, &args.subjects.service);
    for source in &args.from {
        match portolan_plan::parse_class_source(source)? {
            (None, net) => request.sources.push(net),
            (Some(class), net) => request.class_sources.push((class, net)),
        }
    }
    if let Some(to) = &args.to {
        request.destination = Some(portolan_plan::parse_destination(to)?);
    }
    request.rpc_range = args.rpc_range;
    if let Some(range) = &args.ftp_passive {
        request.ftp_passive = Some(portolan_plan::parse_ftp_passive(range)?);
    }
    if args.pin.pin_rpc.is_some() && args.rpc_range != portolan_plan::RpcRange::Modern {
        return Err(Failure::new(
            "--pin-rpc and --rpc-range both say which RPC ports to open: the pinned ports replace the dynamic range, so give one of them",
        ));
    }
    request.pin_rpc = args.pin.pin_rpc;
    if args.no_optional {
        request.optional = OptionalPolicy::Exclude;
    }
    let mut plan = Plan::build(&catalog, &request)?;
    plan.note_port_conflicts(super::conflicts::load()?);
    let output = args.output.output.as_deref();
    if args.format() == PlanFormat::Json {
        let text = out::to_json(&PlanJson {
            schema_version: portolan_output::catalog::SCHEMA_VERSION,
            plan: &plan,
        })?;
        out::write_output(output, text.as_bytes(), false)?;
        return Ok(Status::Clean);
    }
    if matches!(args.format(), PlanFormat::Csv | PlanFormat::Xlsx) {
        return change_request(&plan, args.format(), output);
    }
    let rendered = render(&plan, args.dialect.0);
    match (output, rendered.files.as_slice()) {
        (None, _) => out::print(rendered.to_text().as_bytes())?,
        (Some(path), [one]) => out::write_output(Some(path), one.text.as_bytes(), false)?,
        (Some(dir), files) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                Failure::runtime(format!(
                    "cannot create folder {} for the {} files of this dialect: {e}",
                    dir.display(),
                    files.len()
                ))
            })?;
            for file in files {
                out::write_output(Some(&dir.join(&file.name)), file.text.as_bytes(), false)?;
            }
        }
    }
    Ok(Status::Clean)
}

/// `--format csv` / `xlsx`: the plan as a change request, one line per rule.
fn change_request(
    plan: &Plan,
    format: PlanFormat,
    output: Option<&Path>,
) -> Result<Status, Failure> {
    // The documents come from the built-in layer over the built-in seed: a site catalog
    // overlay changes ports, not which Microsoft document requires them.
    let (_, modern) = super::builtin_layer()?;
    let mut grid = Grid::new(change_request::HEADERS);
    for row in change_request::rows(plan, modern) {
        grid.push(row.cells());
    }
    if format == PlanFormat::Xlsx {
        let bytes = xlsx::grid_workbook("Change request", &grid)
            .map_err(|e| Failure::runtime(format!("cannot build the spreadsheet: {e}")))?;
        out::write_output(output, &bytes, true)?;
    } else {
        out::write_output(output, grid.to_csv().as_bytes(), false)?;
    }
    Ok(Status::Clean)
}
