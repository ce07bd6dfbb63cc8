//! Reading saved results: check, scan and audit output, as one JSON document or JSON Lines,
//! into typed records. Every record remembers the file and line it came from.
//!
//! Which vantage a result was seen from: the `vantage` field `check --vantage` writes, and,
//! for results without one (older checks, scans), the file's stem: `dmz.jsonl` is vantage
//! `dmz`, standard input (`-`) is `stdin`.

use std::fmt;
use std::path::Path;

use portolan_core::{NmapState, Verdict};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{ReadError, Skipped};
use crate::model;

/// TCP or UDP: the transports a check or scan result can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Transport {
    fn parse(word: &str) -> Option<Transport> {
        match word {
            "tcp" => Some(Transport::Tcp),
            "udp" => Some(Transport::Udp),
            _ => None,
        }
    }

    /// `tcp` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

/// A port of a transport: a column of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortKey {
    /// TCP sorts before UDP.
    pub transport: Transport,
    /// The port number.
    pub port: u16,
}

impl fmt::Display for PortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.transport.as_str(), self.port)
    }
}

/// One port of one host as seen from one vantage: a check result or a scan port.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Where it was seen from.
    pub vantage: String,
    /// The host as the run named it.
    pub host: String,
    /// The address probed.
    pub address: String,
    /// Transport and port.
    pub key: PortKey,
    /// PortQry's verdict.
    pub verdict: Verdict,
    /// nmap's word for why (`syn-ack`, `no-response`).
    pub reason: Option<String>,
    /// What was sent.
    pub probe: Option<String>,
    /// What came back.
    pub answer: Option<String>,
    /// The decoded reply, or what the protocol verification found. Untrusted: it holds
    /// the peer's own bytes (banners).
    pub evidence: Option<String>,
    /// Why the verdict cannot be more precise.
    pub note: Option<String>,
    /// Round trip of the deciding answer.
    pub rtt_ms: Option<f64>,
    /// What the port stands for (catalog services and protocols).
    pub services: Vec<String>,
    /// The port came from an endpoint mapper's list (dynamic RPC).
    pub from_endpoint_mapper: bool,
    /// `FILE:LINE` of the record.
    pub origin: String,
    /// The record's line (of a document: where the document starts).
    pub line: usize,
}

/// A row a check could not probe (an IP protocol, dynamic RPC without a mapper).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchecked {
    /// Where the check ran from.
    pub vantage: String,
    /// The host.
    pub host: String,
    /// Service and protocol, in one line.
    pub what: String,
    /// Transport and port as the check wrote them.
    pub port: String,
    /// Why it was not probed.
    pub reason: String,
}

/// A host whose endpoint mapper's list was not whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapperGap {
    /// Where the check ran from.
    pub vantage: String,
    /// The host.
    pub host: String,
    /// Why the list is not whole.
    pub reason: String,
}

/// One expected port of an audited host and what the audit found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedPort {
    /// `tcp/445`, `tcp/dynamic RPC`.
    pub key: String,
    /// The audit's status (`listening`, `missing`, `not-covered`, ...).
    pub status: String,
    /// Catalog ids of the services that expect it.
    pub services: Vec<String>,
    /// Only optional services expect it.
    pub optional: bool,
    /// One line.
    pub detail: Option<String>,
}

/// A listening port the audit could not explain by the roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnexpectedPort {
    /// Transport and port.
    pub key: PortKey,
    /// What the port is, in one line.
    pub name: String,
}

/// One audited host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHost {
    /// The host, or `this machine`.
    pub host: String,
    /// What it was compared with (roles, then services); empty without a comparison.
    pub subjects: Vec<String>,
    /// The audit's one-line verdict.
    pub verdict: String,
    /// Expected ports, in the audit's order.
    pub expected: Vec<ExpectedPort>,
    /// Unexpected listeners.
    pub unexpected: Vec<UnexpectedPort>,
    /// `FILE:LINE` of the record.
    pub origin: String,
    /// The record's line.
    pub line: usize,
}

/// A file that was read, and what it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path as given.
    pub path: String,
    /// The vantage given to results without one.
    pub default_vantage: String,
    /// Results read (check and scan).
    pub results: usize,
    /// Audited hosts read.
    pub audits: usize,
}

/// Everything read from the files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    /// Check and scan results, in file order.
    pub observations: Vec<Observation>,
    /// Rows checks could not probe.
    pub unchecked: Vec<Unchecked>,
    /// Endpoint mapper lists that were not whole.
    pub mapper_gaps: Vec<MapperGap>,
    /// Audited hosts.
    pub audits: Vec<AuditHost>,
    /// The files, in the order given.
    pub sources: Vec<SourceFile>,
    /// Records a lenient read ([`Results::add_text_lenient`]) left out.
    pub skipped: Vec<Skipped>,
}

/// The vantage of a file's results that carry none: the file's stem (`zone-a.jsonl` is
/// `zone-a`), `stdin` for `-`.
pub fn default_vantage(path: &str) -> String {
    if path == "-" {
        return "stdin".to_string();
    }
    Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| path.to_string())
}

impl Results {
    /// Reads each file (`-` is standard input) and adds what it holds.
    pub fn read_files<P: AsRef<str>>(paths: &[P]) -> Result<Results, ReadError> {
        let mut results = Results::default();
        for path in paths {
            let path = path.as_ref();
            let bytes = if path == "-" {
                let mut buffer = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buffer)
                    .map(|_| buffer)
            } else {
                std::fs::read(path)
            }
            .map_err(|source| ReadError::Io {
                path: path.to_string(),
                source,
            })?;
            results.add_bytes(path, &default_vantage(path), &bytes)?;
        }
        Ok(results)
    }

    /// Adds the records of one file's bytes: UTF-8 JSON, one document or JSON Lines.
    pub fn add_bytes(&mut self, path: &str, vantage: &str, bytes: &[u8]) -> Result<(), ReadError> {
        self.add(path, vantage, utf8(path, bytes)?, false)
    }

    /// [`Results::add_bytes`], leniently (see [`Results::add_text_lenient`]).
    pub fn add_bytes_lenient(
        &mut self,
        path: &str,
        vantage: &str,
        bytes: &[u8],
    ) -> Result<(), ReadError> {
        self.add(path, vantage, utf8(path, bytes)?, true)
    }

    /// Adds the records of one file's text; the first record that cannot be read is an error.
    pub fn add_text(&mut self, path: &str, vantage: &str, text: &str) -> Result<(), ReadError> {
        self.add(path, vantage, text, false)
    }

    /// Adds the records of one file's text, leaving out (into [`Results::skipped`]) a record
    /// that cannot be read, once the file has shown it holds results: a file whose first
    /// record is not one is still an error. A record whose JSON is broken is skipped to the
    /// next line, so JSON Lines lose only the broken line.
    pub fn add_text_lenient(
        &mut self,
        path: &str,
        vantage: &str,
        text: &str,
    ) -> Result<(), ReadError> {
        self.add(path, vantage, text, true)
    }

    fn add(
        &mut self,
        path: &str,
        vantage: &str,
        text: &str,
        lenient: bool,
    ) -> Result<(), ReadError> {
        let mut reader = FileReader {
            path,
            vantage,
            text,
            results: self,
            counted_to: 0,
            line: 1,
            observations: 0,
            audits: 0,
            lenient,
        };
        reader.read_all()?;
        let (results, audits) = (reader.observations, reader.audits);
        self.sources.push(SourceFile {
            path: path.to_string(),
            default_vantage: vantage.to_string(),
            results,
            audits,
        });
        Ok(())
    }

    /// Every vantage, sorted.
    pub fn vantages(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .observations
            .iter()
            .map(|o| o.vantage.clone())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// The bytes as text; saved results are UTF-8 JSON.
fn utf8<'a>(path: &str, bytes: &'a [u8]) -> Result<&'a str, ReadError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        ReadError::malformed(path, line, "not UTF-8 text")
    })
}

struct FileReader<'a> {
    path: &'a str,
    vantage: &'a str,
    text: &'a str,
    results: &'a mut Results,
    /// Newlines are counted up to this byte offset...
    counted_to: usize,
    /// ...where this line starts or continues.
    line: usize,
    observations: usize,
    audits: usize,
    /// Skip what cannot be read instead of stopping (see [`Results::add_text_lenient`]).
    lenient: bool,
}

impl FileReader<'_> {
    /// In a lenient read, once something has been read, a record error is kept as skipped
    /// and the reading goes on; otherwise it stops the read.
    fn tolerate(&mut self, error: ReadError) -> Result<(), ReadError> {
        let read_something = self.observations + self.audits > 0;
        match error.skipped() {
            Some(skipped) if self.lenient && read_something => {
                self.results.skipped.push(skipped);
                Ok(())
            }
            _ => Err(error),
        }
    }

    fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset >= self.counted_to {
            self.line += self.text.as_bytes()[self.counted_to..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.counted_to = offset;
        }
        self.line
    }

    fn read_all(&mut self) -> Result<(), ReadError> {
        let text = self.text;
        // Where the JSON stream (re)starts: after a broken record, a lenient read goes on at
        // the next line, as serde_json's stream cannot go past a syntax error.
        let mut base = 0;
        let mut base_line = 1;
        'stream: loop {
            let rest = text.get(base..).unwrap_or_default();
            let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<&RawValue>();
            loop {
                let before = base + stream.byte_offset();
                let start = before
                    + text[before..]
                        .bytes()
                        .take_while(u8::is_ascii_whitespace)
                        .count();
                match stream.next() {
                    None => return Ok(()),
                    Some(Err(e)) => {
                        // A record cut short is reported where it starts, the rest where
                        // serde stopped.
                        let error = if e.is_eof() {
                            let line = self.line_at(start);
                            ReadError::Truncated {
                                path: self.path.to_string(),
                                line,
                                problem: e.to_string(),
                            }
                        } else {
                            let line = base_line + e.line().saturating_sub(1);
                            ReadError::malformed(self.path, line, e.to_string())
                        };
                        self.tolerate(error)?;
                        match text[start..].find('\n') {
                            Some(newline) => {
                                base = start + newline + 1;
                                base_line = self.line_at(base);
                                continue 'stream;
                            }
                            None => return Ok(()),
                        }
                    }
                    Some(Ok(raw)) => {
                        let line = self.line_at(start);
                        if let Err(error) = self.record(raw.get(), line) {
                            self.tolerate(error)?;
                        }
                    }
                }
            }
        }
    }

    fn typed<T: for<'de> Deserialize<'de>>(
        &self,
        raw: &str,
        line: usize,
        what: &str,
    ) -> Result<T, ReadError> {
        serde_json::from_str(raw).map_err(|e| {
            ReadError::malformed(
                self.path,
                line + e.line().saturating_sub(1),
                format!("{what}: {e}"),
            )
        })
    }

    fn record(&mut self, raw: &str, line: usize) -> Result<(), ReadError> {
        if !raw.starts_with('{') {
            return Err(ReadError::malformed(
                self.path,
                line,
                "a record is a JSON object, this is not",
            ));
        }
        let keys: model::Keys = self.typed(raw, line, "a record")?;
        if keys.reports.is_some() {
            let doc: model::AuditDocument = self.typed(raw, line, "an audit document")?;
            for report in doc.reports {
                self.audit(report, line);
            }
        } else if keys.hosts.is_some() && keys.scan.is_some() {
            let doc: model::ScanDocument = self.typed(raw, line, "a scan document")?;
            for port in doc.hosts.into_iter().flat_map(|h| h.ports) {
                if let Err(error) = self.scan_port(port, line) {
                    self.tolerate(error)?;
                }
            }
        } else if keys.hosts.is_some() {
            let doc: model::CheckDocument = self.typed(raw, line, "a check document")?;
            self.check_document(doc, line)?;
        } else if keys.status.is_some() {
            let result: model::CheckResult = self.typed(raw, line, "a check result")?;
            self.check_result(result, None, line)?;
        } else if keys.state.is_some() || keys.portqry.is_some() {
            let port: model::ScanPort = self.typed(raw, line, "a scan result")?;
            self.scan_port(port, line)?;
        } else if keys.endpoint_mapper.is_some() {
            let gap: model::MapperLine = self.typed(raw, line, "an endpoint-mapper line")?;
            self.mapper(gap.vantage, gap.host, &gap.endpoint_mapper);
        } else if keys.audited.is_some() {
            let report: model::AuditReport = self.typed(raw, line, "an audit report")?;
            self.audit(report, line);
        } else {
            return Err(ReadError::malformed(
                self.path,
                line,
                "not a check, scan or audit record (none of the fields status, state, hosts, reports, audited)",
            ));
        }
        Ok(())
    }

    fn vantage_or_default(&self, vantage: Option<String>) -> String {
        vantage
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| self.vantage.to_string())
    }

    fn check_document(&mut self, doc: model::CheckDocument, line: usize) -> Result<(), ReadError> {
        if let Some(version) = doc.schema_version.filter(|&v| v != 1) {
            return Err(ReadError::malformed(
                self.path,
                line,
                format!("schema_version {version} is not one this version reads (1)"),
            ));
        }
        for host in doc.hosts {
            for result in host.results {
                if let Err(error) = self.check_result(result, doc.vantage.clone(), line) {
                    self.tolerate(error)?;
                }
            }
            let vantage = self.vantage_or_default(doc.vantage.clone());
            for row in host.unchecked {
                let what = [row.service, row.app_protocol]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ");
                let port = match row.port {
                    Some(serde_json::Value::String(s)) => s,
                    Some(serde_json::Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                self.results.unchecked.push(Unchecked {
                    vantage: vantage.clone(),
                    host: host.host.clone(),
                    what,
                    port: format!("{} {port}", row.transport.unwrap_or_default())
                        .trim()
                        .to_string(),
                    reason: row.reason.unwrap_or_default(),
                });
            }
            if let Some(mapper) = &host.endpoint_mapper {
                self.mapper(doc.vantage.clone(), host.host.clone(), mapper);
            }
            let _ = &host.address;
        }
        Ok(())
    }

    fn mapper(&mut self, vantage: Option<String>, host: String, mapper: &model::Mapper) {
        if mapper.complete {
            return;
        }
        let vantage = self.vantage_or_default(vantage);
        self.results.mapper_gaps.push(MapperGap {
            vantage,
            host,
            reason: mapper
                .incomplete
                .clone()
                .unwrap_or_else(|| "the list is not whole".to_string()),
        });
    }

    fn key(&self, transport: &str, port: u16, line: usize) -> Result<PortKey, ReadError> {
        let transport = Transport::parse(transport).ok_or_else(|| {
            ReadError::malformed(
                self.path,
                line,
                format!("unknown transport {transport:?}; results are tcp or udp"),
            )
        })?;
        Ok(PortKey { transport, port })
    }

    fn verdict(&self, word: &str, line: usize) -> Result<Verdict, ReadError> {
        Verdict::from_portqry(word).ok_or_else(|| {
            ReadError::malformed(
                self.path,
                line,
                format!(
                    "unknown verdict {word:?}; a result is LISTENING, NOT LISTENING, FILTERED, LISTENING OR FILTERED or ERROR"
                ),
            )
        })
    }

    fn check_result(
        &mut self,
        result: model::CheckResult,
        document_vantage: Option<String>,
        line: usize,
    ) -> Result<(), ReadError> {
        let key = self.key(&result.transport, result.port, line)?;
        let verdict = self.verdict(&result.status, line)?;
        let vantage = self.vantage_or_default(result.vantage.or(document_vantage));
        let verification = result.verification.map(|v| {
            [v.outcome, v.detail]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ")
        });
        let evidence = match (result.evidence, verification) {
            (Some(e), Some(v)) => Some(format!("{e}; verification {v}")),
            (Some(e), None) => Some(e),
            (None, Some(v)) => Some(format!("verification {v}")),
            (None, None) => None,
        };
        let mut services: Vec<String> = Vec::new();
        for row in result.rows {
            let name = match (row.service, row.app_protocol) {
                (Some(s), Some(a)) => format!("{s} ({a})"),
                (Some(s), None) => s,
                (None, Some(a)) => a,
                (None, None) => continue,
            };
            if !services.contains(&name) {
                services.push(name);
            }
        }
        self.push(Observation {
            vantage,
            host: result.host.unwrap_or_else(|| result.address.clone()),
            address: result.address,
            key,
            verdict,
            reason: result.reason,
            probe: result.probe,
            answer: result.answer,
            evidence,
            note: result.note,
            rtt_ms: result.rtt_ms,
            services,
            from_endpoint_mapper: result.origin.as_deref() == Some("endpoint-mapper"),
            origin: format!("{}:{line}", self.path),
            line,
        });
        Ok(())
    }

    fn scan_port(&mut self, port: model::ScanPort, line: usize) -> Result<(), ReadError> {
        let key = self.key(&port.protocol, port.port, line)?;
        let verdict = match (&port.portqry, &port.state) {
            (Some(word), _) => self.verdict(word, line)?,
            (None, Some(state)) => NmapState::from_word(state)
                .map(NmapState::verdict)
                .ok_or_else(|| {
                    ReadError::malformed(
                        self.path,
                        line,
                        format!("unknown state {state:?}; a scan port is open, closed, filtered, open|filtered or error"),
                    )
                })?,
            (None, None) => {
                return Err(ReadError::malformed(self.path, line, "a scan result without a state"));
            }
        };
        self.push(Observation {
            vantage: self.vantage.to_string(),
            host: port.host,
            address: port.address,
            key,
            verdict,
            reason: port.reason,
            probe: port.probe,
            answer: port.answer,
            evidence: port.evidence,
            note: None,
            rtt_ms: port.rtt_us.map(|us| us as f64 / 1000.0),
            services: port.service.into_iter().collect(),
            from_endpoint_mapper: false,
            origin: format!("{}:{line}", self.path),
            line,
        });
        Ok(())
    }

    fn push(&mut self, observation: Observation) {
        self.observations += 1;
        self.results.observations.push(observation);
    }

    fn audit(&mut self, report: model::AuditReport, line: usize) {
        let (subjects, expected) = match report.comparison {
            Some(c) => {
                let mut subjects = c.roles;
                subjects.extend(c.services.into_iter().map(|s| format!("service {s}")));
                let expected = c
                    .expected
                    .into_iter()
                    .map(|e| ExpectedPort {
                        key: format!("{}/{}", e.transport, e.port),
                        status: e.status,
                        services: e.services,
                        optional: e.optional,
                        detail: e.detail,
                    })
                    .collect();
                (subjects, expected)
            }
            None => (Vec::new(), Vec::new()),
        };
        let unexpected = report
            .ports
            .into_iter()
            .filter(|p| p.expectation.as_deref() == Some("unexpected"))
            .filter_map(|p| {
                Transport::parse(&p.transport).map(|transport| UnexpectedPort {
                    key: PortKey {
                        transport,
                        port: p.port,
                    },
                    name: p.name,
                })
            })
            .collect();
        self.audits += 1;
        self.results.audits.push(AuditHost {
            host: report.host.unwrap_or_else(|| "this machine".to_string()),
            subjects,
            verdict: report.verdict,
            expected,
            unexpected,
            origin: format!("{}:{line}", self.path),
            line,
        });
    }
}
