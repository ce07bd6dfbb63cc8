//! `report`: the self-contained HTML report of saved results.

use portolan_report::Results;

use crate::cli::ReportArgs;
use crate::exit::{Failure, Status};
use crate::render;

pub fn run(args: &ReportArgs) -> Result<Status, Failure> {
    let results =
        Results::read_files(&args.files.files).map_err(|e| Failure::new(e.to_string()))?;
    let page = portolan_report::html::render(&results);
    render::write_output(args.output.output.as_deref(), page.as_bytes(), false)?;
    Ok(Status::Clean)
}
