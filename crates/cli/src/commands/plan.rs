//! `plan`: firewall rules for roles and services in a firewall dialect.

use portolan_plan::{Dialect, OptionalPolicy, Plan, Request, RpcRange, render};

use crate::cli::{Global, PlanArgs};
use crate::exit::{Failure, Status};
use crate::render as out;

pub fn run(global: &Global, args: &PlanArgs) -> Result<Status, Failure> {
    let catalog = super::load_catalog(global)?;
    // The plan resolves role and service names itself, through the catalog's one resolver.
    let mut request = Request::new(&args.role, &args.service);
    for source in &args.from {
        request.sources.push(portolan_plan::parse_source(source)?);
    }
    if let Some(to) = &args.to {
        request.destination = Some(portolan_plan::parse_destination(to)?);
    }
    request.rpc_range = args.rpc_range.parse::<RpcRange>()?;
    if let Some(range) = &args.ftp_passive {
        request.ftp_passive = Some(portolan_plan::parse_ftp_passive(range)?);
    }
    if args.no_optional {
        request.optional = OptionalPolicy::Exclude;
    }
    let dialect: Dialect = args.dialect.parse()?;
    let plan = Plan::build(&catalog, &request)?;
    if args.json {
        let text = out::to_json(&plan)?;
        out::write_output(args.output.as_deref(), text.as_bytes(), false)?;
        return Ok(Status::Clean);
    }
    let rendered = render(&plan, dialect);
    match (&args.output, rendered.files.as_slice()) {
        (None, _) => out::print(rendered.to_text().as_bytes())?,
        (Some(path), [one]) => out::write_output(Some(path), one.text.as_bytes(), false)?,
        (Some(dir), files) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                Failure::new(format!(
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
