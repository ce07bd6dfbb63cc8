//! What a sweep found, gathered and rendered: table, JSON, JSON lines, CSV, Markdown and
//! nmap XML, for TCP connect sweeps ([`tcp`]) and UDP probe sweeps ([`udp`]). Ports are
//! rendered from `portolan_core`'s one result model ([`portolan_core::Record`]), so both
//! sweeps share one port renderer ([`port`]).

pub mod port;
pub mod tcp;
pub mod udp;

use std::io;

use portolan_core::Record;
use portolan_output::{Grid, TerminalStyle};
use serde::Serialize;

use crate::engine::Progress;
use crate::naming::PortNames;

/// Where streamed output goes while a sweep runs.
pub trait Sink {
    /// Writes one line (a JSON object and its new line).
    fn line(&mut self, text: &str) -> io::Result<()>;

    /// How far the sweep is (for a progress bar).
    fn progress(&mut self, _progress: Progress) {}
}

/// What the report lists and how it was asked for.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The targets as written on the command line.
    pub targets: Vec<String>,
    /// List closed and filtered ports too, not only open ones.
    pub all: bool,
    /// Stream one JSON line per port while the sweep runs (instead of keeping them).
    pub stream: bool,
    /// The command line, for nmap XML's `args`.
    pub command_line: String,
    /// Seconds since the Unix epoch when the sweep began.
    pub start_unix: u64,
}

/// What was asked and how far it got, common to both sweeps' JSON (`scan`).
#[derive(Debug, Serialize)]
pub(crate) struct SweepInfo<'a> {
    pub targets: &'a [String],
    pub ports: String,
    pub port_count: usize,
    pub addresses: u64,
    pub probes: u64,
    pub done: u64,
    pub interrupted: bool,
    pub elapsed_ms: u128,
}

/// The JSON document of a sweep (docs/json.md), TCP or UDP: what was asked, each host, the
/// totals, and the exit code (1 when nothing is open). Each sweep has its own parts.
#[derive(Serialize)]
struct SweepJson<Scan, Host, Totals> {
    schema_version: u32,
    scan: Scan,
    hosts: Vec<Host>,
    summary: Totals,
    exit_code: u8,
}

impl<Scan, Host, Totals> SweepJson<Scan, Host, Totals> {
    fn new(scan: Scan, hosts: Vec<Host>, summary: Totals, open: u64) -> Self {
        SweepJson {
            schema_version: portolan_output::catalog::SCHEMA_VERSION,
            scan,
            hosts,
            summary,
            exit_code: u8::from(open == 0),
        }
    }
}

/// The formats every sweep report renders: table, Markdown and CSV from the records it
/// lists, JSON and nmap XML its own way.
pub trait Rendered {
    /// The records to list (open ports, or all with `--all`), in order.
    fn listed(&self) -> Vec<&Record>;
    /// Port names of the catalog.
    fn names(&self) -> &PortNames;
    /// The line of totals.
    fn totals_line(&self) -> String;
    /// The JSON document, pretty, with a final new line.
    fn json(&self) -> Result<String, serde_json::Error>;
    /// nmap's XML.
    fn nmap_xml(&self) -> String;

    /// The readable table, then the totals.
    fn table(&self, style: TerminalStyle) -> String {
        let grid = port::grid(self.listed(), self.names());
        ports_then_totals(&grid, |g| g.to_terminal(style), "", &self.totals_line())
    }

    /// The table as Markdown, then the totals.
    fn markdown(&self) -> String {
        let grid = port::grid(self.listed(), self.names());
        ports_then_totals(&grid, Grid::to_markdown, "\n", &self.totals_line())
    }

    /// CSV, one line per port listed.
    fn csv(&self) -> String {
        port::csv_grid(self.listed(), self.names()).to_csv()
    }
}

/// Pretty JSON with a final newline.
pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

/// The ports listed (or "no open ports") as `render` draws them, `gap`, then the totals.
fn ports_then_totals(
    grid: &Grid,
    render: impl FnOnce(&Grid) -> String,
    gap: &str,
    totals: &str,
) -> String {
    let mut out = if grid.rows.is_empty() {
        "no open ports\n".to_string()
    } else {
        render(grid)
    };
    out.push_str(gap);
    out.push_str(totals);
    out
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}
