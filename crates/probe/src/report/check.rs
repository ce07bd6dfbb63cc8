//! What a check found, gathered and rendered: the JSON document (docs/json.md), the readable
//! tables grouped by host and service, Markdown, CSV, and the line of totals.

use std::collections::BTreeMap;

use portolan_output::{Grid, GridCell, TerminalStyle, Tone};
use serde::Serialize;

use crate::check::{HostExtras, MapperSummary};
use crate::engine::Host;
use crate::result::{Origin, PortResult, Status, VerifyOutcome};
use crate::select::Unchecked;

#[derive(Serialize)]
struct HostJson<'a> {
    host: &'a str,
    address: String,
    results: Vec<&'a PortResult>,
    unchecked: &'a [Unchecked],
    endpoint_mapper: Option<&'a MapperSummary>,
}

/// Counts of each verdict.
#[derive(Serialize, Default)]
struct Summary {
    listening: usize,
    not_listening: usize,
    filtered: usize,
    listening_or_filtered: usize,
    error: usize,
    unchecked: usize,
}

/// The JSON document of a check.
#[derive(Serialize)]
pub struct CheckJson<'a> {
    schema_version: u32,
    hosts: Vec<HostJson<'a>>,
    summary: Summary,
    exit_code: u8,
}

/// A finished check: every host, what each found beyond its ports, and every result.
pub struct CheckReport<'a> {
    hosts: &'a [Host],
    extras: &'a [HostExtras],
    results: Vec<PortResult>,
}

impl<'a> CheckReport<'a> {
    /// The report; results are sorted by host (in the order given), transport and port.
    pub fn new(hosts: &'a [Host], extras: &'a [HostExtras], mut results: Vec<PortResult>) -> Self {
        let order: BTreeMap<&str, usize> = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (h.name.as_str(), i))
            .collect();
        results.sort_by_key(|r| {
            (
                order.get(r.record.host.as_str()).copied(),
                r.record.transport,
                r.record.port,
            )
        });
        CheckReport {
            hosts,
            extras,
            results,
        }
    }

    /// The results, sorted.
    pub fn results(&self) -> &[PortResult] {
        &self.results
    }

    /// True when there were results, every one is LISTENING and, with `--pin-rpc`, no
    /// interface of the role is registered outside the pinned ports.
    pub fn all_listening(&self) -> bool {
        !self.results.is_empty()
            && self
                .results
                .iter()
                .all(|r| r.record.verdict == Status::Listening)
            && self.pin_obeyed()
    }

    /// False when a host's endpoint mapper lists an interface of the role outside the pinned
    /// ports (`--pin-rpc`).
    pub fn pin_obeyed(&self) -> bool {
        self.extras.iter().all(|e| {
            e.endpoint_mapper
                .as_ref()
                .and_then(|m| m.pinned.as_ref())
                .is_none_or(|p| p.obeyed())
        })
    }

    /// The JSON document.
    pub fn json(&self) -> CheckJson<'_> {
        let mut summary = Summary {
            unchecked: self.extras.iter().map(|e| e.unchecked.len()).sum(),
            ..Summary::default()
        };
        for r in &self.results {
            match r.record.verdict {
                Status::Listening => summary.listening += 1,
                Status::NotListening => summary.not_listening += 1,
                Status::Filtered => summary.filtered += 1,
                Status::ListeningOrFiltered => summary.listening_or_filtered += 1,
                Status::Error => summary.error += 1,
            }
        }
        CheckJson {
            schema_version: portolan_output::catalog::SCHEMA_VERSION,
            hosts: self
                .hosts
                .iter()
                .zip(self.extras)
                .map(|(h, extra)| HostJson {
                    host: &h.name,
                    address: h.address.to_string(),
                    results: self
                        .results
                        .iter()
                        .filter(|r| r.record.host == h.name)
                        .collect(),
                    unchecked: &extra.unchecked,
                    endpoint_mapper: extra.endpoint_mapper.as_ref(),
                })
                .collect(),
            summary,
            exit_code: u8::from(!self.all_listening()),
        }
    }

    /// One section per host (its endpoint mapper's answer, then its grid), each rendered by
    /// `render`, then the totals.
    fn sections(&self, render: impl Fn(&Grid) -> String, heading: &str) -> String {
        let mut out = String::new();
        for (host, extra) in self.hosts.iter().zip(self.extras) {
            out.push_str(&format!("{heading}{} ({})\n", host.name, host.address));
            if let Some(mapper) = &extra.endpoint_mapper {
                let ports = if mapper.checked_ports.is_empty() {
                    "none".to_string()
                } else {
                    mapper
                        .checked_ports
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out.push_str(&format!(
                    "endpoint mapper: {} endpoints, dynamic ports checked: {ports} ({})\n",
                    mapper.endpoints, mapper.outcome
                ));
                if let Some(pinned) = &mapper.pinned {
                    out.push_str(&pinned.summary());
                    out.push('\n');
                }
            }
            if !heading.is_empty() {
                out.push('\n');
            }
            let mine: Vec<&PortResult> = self
                .results
                .iter()
                .filter(|r| r.record.host == host.name)
                .collect();
            out.push_str(&render(&host_grid(&mine, &extra.unchecked)));
            out.push('\n');
        }
        out.push_str(&self.summary_line());
        out
    }

    /// Readable tables, one per host, then the totals.
    pub fn table(&self, style: TerminalStyle) -> String {
        self.sections(|grid| grid.to_terminal(style), "")
    }

    /// Markdown: a section per host with its table, then the totals.
    pub fn markdown(&self) -> String {
        self.sections(Grid::to_markdown, "## ")
    }

    /// CSV, one line per port.
    pub fn csv(&self) -> String {
        csv_grid(&self.results).to_csv()
    }

    /// The line of totals.
    pub fn summary_line(&self) -> String {
        let results = &self.results;
        let count = |s: Status| results.iter().filter(|r| r.record.verdict == s).count();
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
    let (_, answer, evidence) = r.exchanged();
    let mut parts = vec![evidence.unwrap_or(answer).to_string()];
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
    lines.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.record.port.cmp(&b.1.record.port)));
    for (service, r, app) in lines {
        let service = if r.origin == Origin::EndpointMapper {
            format!("{service}\n{app} (endpoint mapper)")
        } else {
            service
        };
        grid.push([
            GridCell::from(service),
            format!("{}/{}", r.record.port, r.record.transport).into(),
            GridCell::toned(r.record.verdict.as_str(), tone(r.record.verdict)),
            r.exchanged().0.into(),
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

fn csv_grid(results: &[PortResult]) -> Grid {
    let mut grid = Grid::new([
        "host",
        "address",
        "transport",
        "port",
        "status",
        "reason",
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
            r.record.host.clone(),
            r.record.address.to_string(),
            r.record.transport.to_string(),
            r.record.port.to_string(),
            r.record.verdict.as_str().to_string(),
            r.record.reason.as_str().to_string(),
            services.join(";"),
            match r.origin {
                Origin::Catalog => "catalog".to_string(),
                Origin::EndpointMapper => "endpoint-mapper".to_string(),
            },
            r.exchanged().0.to_string(),
            r.exchanged().1.to_string(),
            r.exchanged().2.unwrap_or_default().to_string(),
            r.verification
                .as_ref()
                .map(|v| format!("{:?}", v.outcome).to_lowercase())
                .unwrap_or_default(),
            r.verification
                .as_ref()
                .map(|v| v.detail.clone())
                .unwrap_or_default(),
            r.note.clone().unwrap_or_default(),
            r.record
                .rtt
                .map(|t| crate::result::millis(t).to_string())
                .unwrap_or_default(),
        ]);
    }
    grid
}
