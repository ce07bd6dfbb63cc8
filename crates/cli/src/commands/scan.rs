//! `scan`: being written (issue 7); owned by the scan work, see crates/scan.

use clap::Args;

use crate::cli::Global;
use crate::exit::{Failure, Status};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Targets.
    pub targets: Vec<String>,
}

pub fn run(_global: &Global, _args: &ScanArgs) -> Result<Status, Failure> {
    Err(Failure::new("scan is not available yet"))
}
