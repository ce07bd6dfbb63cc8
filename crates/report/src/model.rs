//! The records portolan writes, as this crate reads them back: only the fields the views use,
//! every other field ignored, so documents from newer versions of schema 1 still read.

use serde::Deserialize;
use serde::de::IgnoredAny;

/// Which keys a JSON object has: enough to tell the kinds of record apart.
#[derive(Debug, Deserialize)]
pub(crate) struct Keys {
    pub reports: Option<IgnoredAny>,
    pub scan: Option<IgnoredAny>,
    pub hosts: Option<IgnoredAny>,
    pub status: Option<IgnoredAny>,
    pub state: Option<IgnoredAny>,
    pub portqry: Option<IgnoredAny>,
    pub endpoint_mapper: Option<IgnoredAny>,
    pub audited: Option<IgnoredAny>,
}

/// `check --format json`.
#[derive(Debug, Deserialize)]
pub(crate) struct CheckDocument {
    #[serde(default)]
    pub schema_version: Option<u32>,
    #[serde(default)]
    pub vantage: Option<String>,
    pub hosts: Vec<CheckHost>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CheckHost {
    pub host: String,
    pub address: String,
    pub results: Vec<CheckResult>,
    #[serde(default)]
    pub unchecked: Vec<UncheckedRow>,
    #[serde(default)]
    pub endpoint_mapper: Option<Mapper>,
}

/// One result of a check: an element of a host's `results`, or a line of `--format jsonl`.
#[derive(Debug, Deserialize)]
pub(crate) struct CheckResult {
    #[serde(default)]
    pub vantage: Option<String>,
    /// The host as named; a result without one is named by its address.
    #[serde(default)]
    pub host: Option<String>,
    pub address: String,
    pub transport: String,
    pub port: u16,
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub probe: Option<String>,
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub evidence: Option<String>,
    #[serde(default)]
    pub verification: Option<Verification>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub rtt_ms: Option<f64>,
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub rows: Vec<CatalogRow>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct Verification {
    pub outcome: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct CatalogRow {
    pub service: Option<String>,
    pub app_protocol: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct UncheckedRow {
    pub service: Option<String>,
    pub app_protocol: Option<String>,
    pub transport: Option<String>,
    pub port: Option<serde_json::Value>,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Mapper {
    #[serde(default = "complete_by_default")]
    pub complete: bool,
    #[serde(default)]
    pub incomplete: Option<String>,
}

fn complete_by_default() -> bool {
    true
}

/// The line `check --format jsonl` adds for a host whose mapper list is not whole.
#[derive(Debug, Deserialize)]
pub(crate) struct MapperLine {
    #[serde(default)]
    pub vantage: Option<String>,
    pub host: String,
    pub endpoint_mapper: Mapper,
}

/// `scan --format json`.
#[derive(Debug, Deserialize)]
pub(crate) struct ScanDocument {
    pub hosts: Vec<ScanHost>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct ScanHost {
    pub ports: Vec<ScanPort>,
}

/// One port of a sweep: an element of a host's `ports`, or a line of `--format jsonl`.
#[derive(Debug, Deserialize)]
pub(crate) struct ScanPort {
    pub host: String,
    pub address: String,
    pub port: u16,
    pub protocol: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub portqry: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub rtt_us: Option<u64>,
    #[serde(default)]
    pub probe: Option<String>,
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub evidence: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
}

/// `audit --format json`.
#[derive(Debug, Deserialize)]
pub(crate) struct AuditDocument {
    pub reports: Vec<AuditReport>,
}

/// One host's audit: an element of `reports`, or a line of `--format jsonl`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct AuditReport {
    pub host: Option<String>,
    pub verdict: String,
    pub ports: Vec<AuditPort>,
    pub comparison: Option<Comparison>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuditPort {
    pub transport: String,
    pub port: u16,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub expectation: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct Comparison {
    pub roles: Vec<String>,
    pub services: Vec<String>,
    pub expected: Vec<Expected>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Expected {
    pub transport: String,
    pub port: String,
    pub status: String,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub detail: Option<String>,
}
