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
    #[serde(skip_serializing_if = "Option::is_none")]
    vantage: Option<&'a str>,
    hosts: Vec<HostJson<'a>>,
    summary: Summary,
    exit_code: u8,
}

/// A finished check: every host, what each found beyond its ports, and every result.
pub struct CheckReport<'a> {
    hosts: &'a [Host],
    extras: &'a [HostExtras],
    results: Vec<PortResult>,
    vantage: Option<String>,
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
            vantage: None,
        }
    }

    /// The report as seen from a named vantage point (`check --vantage`): the JSON document,
    /// its JSON Lines records and the JUnit suites carry the name.
    pub fn with_vantage(mut self, vantage: Option<String>) -> Self {
        self.vantage = vantage;
        self
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

    /// The hosts whose endpoint mapper was asked and gave no whole list (cut short, a
    /// mapper that repeats itself, no list at all), with why.
    pub fn incomplete_mappers(&self) -> Vec<(&'a Host, &'a MapperSummary)> {
        self.hosts
            .iter()
            .zip(self.extras)
            .filter_map(|(host, extra)| {
                extra
                    .endpoint_mapper
                    .as_ref()
                    .filter(|m| !m.complete)
                    .map(|m| (host, m))
            })
            .collect()
    }

    /// The check passes: every result LISTENING and every endpoint mapper asked gave its
    /// whole list. A list that is not whole must not pass for the host's dynamic ports in a
    /// script, as with `portolan rpc`.
    /// A report of no host at all (a `--shard` part that holds none) has nothing to fail.
    pub fn passes(&self) -> bool {
        self.hosts.is_empty() || (self.all_listening() && self.incomplete_mappers().is_empty())
    }

    /// JSON Lines records of the endpoint mappers whose list is incomplete, one per host, to
    /// follow the streamed results: `{"host", "address", "endpoint_mapper"}`.
    pub fn incomplete_mapper_lines(&self) -> String {
        let mut out = String::new();
        for (host, mapper) in self.incomplete_mappers() {
            let mut line = serde_json::json!({
                "host": host.name,
                "address": host.address.to_string(),
                "endpoint_mapper": mapper,
            });
            if let (Some(vantage), Some(fields)) = (&self.vantage, line.as_object_mut()) {
                fields.insert("vantage".into(), vantage.as_str().into());
            }
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
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
            vantage: self.vantage.as_deref(),
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
            exit_code: u8::from(!self.passes()),
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
                out.push_str(&match &mapper.incomplete {
                    None => format!(
                        "endpoint mapper: {} endpoints, dynamic ports checked: {ports} ({})\n",
                        mapper.endpoints, mapper.outcome
                    ),
                    Some(why) => format!(
                        "endpoint mapper: INCOMPLETE list, {why}; {} endpoints read, dynamic \
                         ports checked: {ports}\n",
                        mapper.endpoints
                    ),
                });
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

/// The name of a result's case: `tcp/445 Server, Net Logon`.
fn case_name(r: &PortResult) -> String {
    let mut services: Vec<&str> = Vec::new();
    for row in &r.rows {
        if !services.contains(&row.service.as_str()) {
            services.push(&row.service);
        }
    }
    let services = if services.is_empty() {
        String::from("(not in the catalog)")
    } else {
        services.join(", ")
    };
    let origin = match r.origin {
        Origin::EndpointMapper => " (endpoint mapper)",
        Origin::Catalog => "",
    };
    format!(
        "{}/{} {services}{origin}",
        r.record.transport, r.record.port
    )
}

/// What a test report shows of a result: the verdict, why, the probe, the evidence, the
/// verification and the note.
fn diagnostics(r: &PortResult) -> Vec<(String, String)> {
    let (probe, answer, evidence) = r.exchanged();
    let mut out = vec![
        ("verdict".to_string(), r.record.verdict.as_str().to_string()),
        ("reason".to_string(), r.record.reason.as_str().to_string()),
        ("probe".to_string(), probe.to_string()),
        ("answer".to_string(), answer.to_string()),
    ];
    if let Some(evidence) = evidence {
        out.push(("evidence".to_string(), evidence.to_string()));
    }
    if let Some(v) = &r.verification {
        out.push(("verification".to_string(), v.detail.clone()));
    }
    if let Some(note) = &r.note {
        out.push(("note".to_string(), note.clone()));
    }
    out
}

impl CheckReport<'_> {
    /// JUnit XML: a suite per host, a case per port; every verdict but LISTENING fails with
    /// its evidence, a port not checked is skipped with the reason, and an endpoint mapper
    /// whose list is incomplete is a failing case of its own (it fails the check too).
    pub fn junit(&self) -> String {
        use portolan_output::junit::{Case, Outcome, Report, Suite};
        let suites = self
            .hosts
            .iter()
            .zip(self.extras)
            .map(|(host, extra)| {
                let classname = format!("portolan.check.{}", host.name);
                let mut cases: Vec<Case> = self
                    .results
                    .iter()
                    .filter(|r| r.record.host == host.name)
                    .map(|r| {
                        let text = diagnostics(r)
                            .into_iter()
                            .map(|(k, v)| format!("{k}: {v}"))
                            .collect::<Vec<_>>()
                            .join("\n");
                        let listening = r.record.verdict == Status::Listening;
                        Case {
                            classname: classname.clone(),
                            name: case_name(r),
                            seconds: r.record.rtt.map(|t| t.as_secs_f64()),
                            outcome: if listening {
                                Outcome::Passed
                            } else {
                                Outcome::Failed {
                                    kind: r.record.verdict.as_str().to_string(),
                                    message: format!(
                                        "{} {}/{}: {}",
                                        r.record.verdict.as_str(),
                                        r.record.transport,
                                        r.record.port,
                                        details(r).lines().next().unwrap_or_default()
                                    ),
                                    details: text.clone(),
                                }
                            },
                            output: listening.then_some(text),
                        }
                    })
                    .collect();
                if let Some(why) = extra
                    .endpoint_mapper
                    .as_ref()
                    .and_then(|m| m.incomplete.as_ref())
                {
                    cases.push(Case {
                        classname: classname.clone(),
                        name: String::from("tcp/135 endpoint mapper list complete"),
                        seconds: None,
                        outcome: Outcome::Failed {
                            kind: String::from("INCOMPLETE"),
                            message: format!("the endpoint mapper's list is incomplete: {why}"),
                            details: why.clone(),
                        },
                        output: None,
                    });
                }
                if let Some(pinned) = extra
                    .endpoint_mapper
                    .as_ref()
                    .and_then(|m| m.pinned.as_ref())
                    .filter(|p| !p.obeyed())
                {
                    cases.push(Case {
                        classname: classname.clone(),
                        name: String::from("tcp/135 RPC interfaces on the pinned ports"),
                        seconds: None,
                        outcome: Outcome::Failed {
                            kind: String::from("NOT PINNED"),
                            message: pinned.summary(),
                            details: pinned.summary(),
                        },
                        output: None,
                    });
                }
                cases.extend(extra.unchecked.iter().map(|u| Case {
                    classname: classname.clone(),
                    name: format!("{}/{} {}", u.transport, u.port, u.row.service),
                    seconds: None,
                    outcome: Outcome::Skipped(format!("NOT CHECKED: {}", u.reason)),
                    output: None,
                }));
                Suite {
                    name: host.name.clone(),
                    properties: std::iter::once(("address".to_string(), host.address.to_string()))
                        .chain(
                            self.vantage
                                .iter()
                                .map(|v| ("vantage".to_string(), v.clone())),
                        )
                        .collect(),
                    cases,
                }
            })
            .collect();
        Report {
            name: "portolan check".to_string(),
            suites,
        }
        .to_xml()
    }

    /// TAP: a test per host and port; every verdict but LISTENING is `not ok` with its
    /// diagnostics, and a port not checked is a skipped test.
    pub fn tap(&self) -> String {
        use portolan_output::tap::{Test, render};
        let mut tests = Vec::new();
        for (host, extra) in self.hosts.iter().zip(self.extras) {
            for r in self.results.iter().filter(|r| r.record.host == host.name) {
                tests.push(Test {
                    ok: r.record.verdict == Status::Listening,
                    description: format!("{} {}", host.name, case_name(r)),
                    skip: None,
                    diagnostics: diagnostics(r),
                });
            }
            if let Some(why) = extra
                .endpoint_mapper
                .as_ref()
                .and_then(|m| m.incomplete.as_ref())
            {
                tests.push(Test {
                    ok: false,
                    description: format!("{} tcp/135 endpoint mapper list complete", host.name),
                    skip: None,
                    diagnostics: vec![(String::from("incomplete"), why.clone())],
                });
            }
            if let Some(pinned) = extra
                .endpoint_mapper
                .as_ref()
                .and_then(|m| m.pinned.as_ref())
                .filter(|p| !p.obeyed())
            {
                tests.push(Test {
                    ok: false,
                    description: format!(
                        "{} tcp/135 RPC interfaces on the pinned ports",
                        host.name
                    ),
                    skip: None,
                    diagnostics: vec![(String::from("outside"), pinned.summary())],
                });
            }
            for u in &extra.unchecked {
                tests.push(Test {
                    ok: true,
                    description: format!(
                        "{} {}/{} {}",
                        host.name, u.transport, u.port, u.row.service
                    ),
                    skip: Some(format!("NOT CHECKED: {}", u.reason)),
                    diagnostics: Vec::new(),
                });
            }
        }
        render(&tests)
    }
}
