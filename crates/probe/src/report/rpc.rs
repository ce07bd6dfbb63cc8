//! What endpoint mappers answered, host by host: the JSON document (docs/json.md), one JSON
//! line per endpoint, and a grid for tables, CSV and Markdown.
//!
//! An endpoint is a registration, not a probed port: it has no verdict, and named pipes and
//! LRPC endpoints have no port at all. So its record is not `portolan_core::Record`; each JSON
//! line shares the record's identity fields instead (`host`, `address`, `transport`, `port`),
//! with the endpoint's own fields beside them.

use std::net::IpAddr;

use portolan_core::Transport;
use portolan_output::{Grid, GridCell, Tone};
use serde::Serialize;

use crate::pinned::{PinCheck, PinVerdict};
use crate::rpc::{Enumeration, RpcEndpoint, RpcError};

/// One host's endpoint mapper, as asked.
#[derive(Debug)]
pub struct HostAnswer {
    /// The host as given.
    pub host: String,
    /// The address asked.
    pub address: IpAddr,
    /// What it answered.
    pub answer: Result<Enumeration, RpcError>,
}

#[derive(Serialize)]
struct HostJson<'a> {
    host: &'a str,
    address: String,
    /// Null when the mapper answered; the reason otherwise.
    error: Option<String>,
    calls: u32,
    end: Option<&'a str>,
    complete: bool,
    /// Null when the list is complete; why it is not otherwise (the error, or how it was cut).
    incomplete: Option<String>,
    /// Entries the mapper sent more than once (listed once).
    duplicates: usize,
    endpoints: Vec<&'a RpcEndpoint>,
    unreadable: &'a [String],
    /// With `--pin-rpc`: the interfaces of the role outside the pinned ports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pinned: Option<PinVerdict>,
}

/// The JSON document of `rpc`.
#[derive(Serialize)]
pub struct RpcJson<'a> {
    schema_version: u32,
    hosts: Vec<HostJson<'a>>,
}

/// One line of `rpc --format jsonl`: an endpoint, or a host whose mapper did not answer.
#[derive(Serialize)]
struct EndpointLine<'a> {
    host: &'a str,
    address: String,
    /// `tcp` for endpoints reached over TCP (`ncacn_ip_tcp`, `ncacn_http`), else null.
    transport: Option<Transport>,
    #[serde(flatten)]
    endpoint: Option<&'a RpcEndpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// On the last line of a host whose list is incomplete: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    incomplete: Option<String>,
}

/// The listing of every host's endpoints.
pub struct RpcReport<'a> {
    answers: &'a [HostAnswer],
    tcp_only: bool,
    pin: Option<&'a PinCheck>,
}

impl<'a> RpcReport<'a> {
    /// The report; `tcp_only` keeps the endpoints reached over TCP only.
    pub fn new(answers: &'a [HostAnswer], tcp_only: bool) -> Self {
        RpcReport {
            answers,
            tcp_only,
            pin: None,
        }
    }

    /// The report with each host's endpoints compared with the pinned ports (`--pin-rpc`).
    pub fn with_pin(mut self, pin: Option<&'a PinCheck>) -> Self {
        self.pin = pin;
        self
    }

    fn pinned(&self, answer: &HostAnswer) -> Option<PinVerdict> {
        let pin = self.pin?;
        let enumeration = answer.answer.as_ref().ok()?;
        Some(pin.verdict(&enumeration.endpoints))
    }

    /// False when a host lists an interface of the role outside the pinned ports.
    pub fn pin_obeyed(&self) -> bool {
        self.answers
            .iter()
            .all(|a| self.pinned(a).is_none_or(|v| v.obeyed()))
    }

    /// True when every host's mapper answered and ended its list itself: anything less (no
    /// answer, cut short, a looping mapper) is a negative answer (exit 1).
    pub fn all_complete(&self) -> bool {
        self.answers.iter().all(|a| incomplete(a).is_none())
    }

    fn endpoints(&self, e: &'a Enumeration) -> Vec<&'a RpcEndpoint> {
        let tcp_only = self.tcp_only;
        e.endpoints
            .iter()
            .filter(|e| !tcp_only || e.port.is_some())
            .collect()
    }

    /// The JSON document.
    pub fn json(&self) -> RpcJson<'a> {
        RpcJson {
            schema_version: portolan_output::catalog::SCHEMA_VERSION,
            hosts: self
                .answers
                .iter()
                .map(|a| {
                    let ok = a.answer.as_ref().ok();
                    HostJson {
                        host: &a.host,
                        address: a.address.to_string(),
                        error: a.answer.as_ref().err().map(ToString::to_string),
                        calls: ok.map_or(0, |e| e.calls),
                        end: ok.map(|e| e.end.as_str()),
                        complete: ok.is_some_and(|e| e.complete),
                        incomplete: incomplete(a),
                        duplicates: ok.map_or(0, |e| e.duplicates),
                        endpoints: ok.map_or(Vec::new(), |e| self.endpoints(e)),
                        unreadable: ok.map_or(&[], |e| &e.unreadable),
                        pinned: self.pinned(a),
                    }
                })
                .collect(),
        }
    }

    /// One JSON line per endpoint; a host whose mapper did not answer gets one line with
    /// its `error`, and a host whose list is incomplete ends with a line saying why
    /// (`incomplete`).
    pub fn jsonl(&self) -> String {
        let mut out = String::new();
        for a in self.answers {
            let lines = match &a.answer {
                Ok(e) => {
                    let mut lines: Vec<EndpointLine> = self
                        .endpoints(e)
                        .into_iter()
                        .map(|endpoint| EndpointLine {
                            host: &a.host,
                            address: a.address.to_string(),
                            transport: endpoint.port.map(|_| Transport::Tcp),
                            endpoint: Some(endpoint),
                            error: None,
                            incomplete: None,
                        })
                        .collect();
                    if let Some(why) = e.incomplete() {
                        lines.push(EndpointLine {
                            host: &a.host,
                            address: a.address.to_string(),
                            transport: None,
                            endpoint: None,
                            error: None,
                            incomplete: Some(why.to_string()),
                        });
                    }
                    lines
                }
                Err(error) => vec![EndpointLine {
                    host: &a.host,
                    address: a.address.to_string(),
                    transport: None,
                    endpoint: None,
                    error: Some(error.to_string()),
                    incomplete: None,
                }],
            };
            for line in lines {
                out.push_str(&serde_json::to_string(&line).unwrap_or_default());
                out.push('\n');
            }
        }
        out
    }

    /// The grid of tables, CSV and Markdown, with a note per host.
    pub fn grid(&self) -> Grid {
        let mut grid = Grid::new([
            "Host",
            "Interface",
            "Version",
            "Protocol",
            "Port or endpoint",
            "Services",
            "Annotation",
        ]);
        let mut notes = Vec::new();
        for a in self.answers {
            let e = match &a.answer {
                Ok(e) => e,
                Err(error) => {
                    notes.push(format!("{}: {error}", a.host));
                    grid.push([
                        GridCell::from(a.host.clone()),
                        GridCell::toned("(no answer)", Tone::Bad),
                        "".into(),
                        "".into(),
                        "".into(),
                        "".into(),
                        "".into(),
                    ]);
                    continue;
                }
            };
            let endpoints = self.endpoints(e);
            let repeats = match e.duplicates {
                0 => String::new(),
                n => format!(" ({n} repeated entries listed once)"),
            };
            notes.push(match e.incomplete() {
                None => format!(
                    "{}: {} endpoints in {} ept_lookup call(s){repeats}, {}",
                    a.host,
                    endpoints.len(),
                    e.calls,
                    e.end
                ),
                Some(why) => format!(
                    "{}: INCOMPLETE list, {why}; {} endpoints in {} ept_lookup call(s){repeats}",
                    a.host,
                    endpoints.len(),
                    e.calls
                ),
            });
            if let Some(verdict) = self.pinned(a) {
                notes.push(format!("{}: {}", a.host, verdict.summary()));
            }
            for e in endpoints {
                let interface = match e.name {
                    Some(name) => format!("{name} ({})", e.interface),
                    None => e.interface.clone(),
                };
                let place = match (e.port, &e.endpoint_name) {
                    (Some(port), _) => port.to_string(),
                    (None, Some(name)) => name.clone(),
                    (None, None) => String::new(),
                };
                grid.push([
                    GridCell::from(a.host.clone()),
                    interface.into(),
                    e.version.clone().into(),
                    e.protocol.clone().into(),
                    place.into(),
                    e.services.join(", ").into(),
                    e.annotation.clone().into(),
                ]);
            }
        }
        grid.notes = notes;
        grid
    }
}

/// Why a host's list is incomplete: the mapper's error, or how the list was cut; `None` when
/// the mapper ended the list itself.
fn incomplete(answer: &HostAnswer) -> Option<String> {
    match &answer.answer {
        Ok(e) => e.incomplete().map(str::to_string),
        Err(error) => Some(error.to_string()),
    }
}
