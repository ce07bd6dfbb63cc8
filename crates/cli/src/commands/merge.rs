//! `merge`: check results from many vantage points as one matrix.

use clap::ValueEnum;
use portolan_report::{Matrix, MergeReport, Results};

use crate::cli::{Global, MergeArgs};
use crate::exit::{Failure, Status};
use crate::render::{self, terminal_style};

/// Output formats of `merge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// The ports the vantages see differently, then the whole matrix, then the totals.
    Table,
    /// One JSON document: vantages, summary, differences and every row (docs/json.md).
    Json,
    /// The two tables as Markdown.
    Md,
}

pub fn run(global: &Global, args: &MergeArgs) -> Result<Status, Failure> {
    let results =
        Results::read_files(&args.files.files).map_err(|e| Failure::new(e.to_string()))?;
    let matrix = Matrix::new(&results);
    let report = MergeReport::new(&matrix);
    let text = match args.format {
        MergeFormat::Json => render::to_json(&report.json())?,
        MergeFormat::Table | MergeFormat::Md => {
            let mut text = String::new();
            let grids = report
                .has_differences()
                .then(|| report.differences_grid())
                .into_iter()
                .chain([report.matrix_grid()]);
            for (i, grid) in grids.enumerate() {
                if args.format == MergeFormat::Md {
                    let title = if i == 0 && report.has_differences() {
                        "## Differences between vantages\n\n"
                    } else {
                        "## Every port of every host\n\n"
                    };
                    text.push_str(title);
                    text.push_str(&grid.to_markdown());
                } else {
                    text.push_str(&grid.to_terminal(terminal_style(global.color)));
                }
                text.push('\n');
            }
            text
        }
    };
    render::print(text.as_bytes())?;
    Ok(if report.exit_code() == 0 {
        Status::Clean
    } else {
        Status::Negative
    })
}
