//! What a check found, in PortQry's words, with the evidence behind each verdict.

use std::net::IpAddr;
use std::time::Duration;

use portolan_core::{Evidence, Reason, Record, Transport};
use serde::{Serialize, Serializer};

use crate::select::RowLabel;

/// PortQry's verdicts: `portolan_core`'s, under the name this crate has always used.
pub use portolan_core::verdict::Verdict as Status;

/// What a protocol-level verification of an open TCP port found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifyOutcome {
    /// The expected protocol answered.
    Verified,
    /// Something answered, but not the expected protocol: something else listens here.
    Mismatch,
    /// The connection was accepted but nothing intelligible came back in time.
    Silent,
    /// The connection was closed or reset before an answer.
    Closed,
}

/// The verification of an accepted TCP connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The protocol exchange that was tried ("LDAP rootDSE search").
    pub probe: String,
    /// What it found.
    pub outcome: VerifyOutcome,
    /// What came back, in one line.
    pub detail: String,
}

/// Where a checked port came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// A fixed port of the catalog or of `--ports`.
    Catalog,
    /// A port that the RPC endpoint mapper returned for a dynamic-RPC service.
    EndpointMapper,
}

/// The verdict on one port of one host: the port in the one result model, and what only a
/// check knows beyond it.
#[derive(Debug, Clone)]
pub struct PortResult {
    /// Host (as given), address, port, transport, verdict, reason, what was sent and what
    /// came back (always present for a check), round trip and tries.
    pub record: Record,
    /// For open TCP ports: the protocol check.
    pub verification: Option<Verification>,
    /// Why the verdict cannot be more precise, where that is the case.
    pub note: Option<String>,
    /// Where the port came from.
    pub origin: Origin,
    /// The catalog rows (or endpoint-mapper interfaces) this port stands for.
    pub rows: Vec<RowLabel>,
}

impl PortResult {
    /// A port not probed yet: silent until decided otherwise.
    pub fn new(host: String, address: IpAddr, transport: Transport, port: u16) -> Self {
        let mut result = PortResult {
            record: Record {
                host,
                address,
                port,
                transport,
                verdict: Status::Filtered,
                reason: Reason::NoResponse,
                evidence: Some(Evidence {
                    probe: String::new(),
                    answer: String::new(),
                    detail: None,
                }),
                rtt: None,
                tries: 0,
            },
            verification: None,
            note: None,
            origin: Origin::Catalog,
            rows: Vec::new(),
        };
        result.decide(Reason::NoResponse);
        result
    }

    /// Records why the port got its verdict, and the verdict that reason gives on this
    /// port's transport (`portolan_core::verdict`'s one mapping).
    pub fn decide(&mut self, reason: Reason) {
        self.record.reason = reason;
        self.record.verdict = match self.record.transport {
            Transport::Udp => reason.udp_verdict(),
            Transport::Tcp => reason.tcp_verdict(),
        };
    }

    /// The verdict.
    pub fn status(&self) -> Status {
        self.record.verdict
    }

    /// What was sent and what came back (created empty when missing).
    pub fn exchange(&mut self) -> &mut Evidence {
        self.record.evidence.get_or_insert_with(|| Evidence {
            probe: String::new(),
            answer: String::new(),
            detail: None,
        })
    }

    /// What was sent, what came back and what the reply said, as read-only text.
    pub fn exchanged(&self) -> (&str, &str, Option<&str>) {
        match &self.record.evidence {
            Some(e) => (&e.probe, &e.answer, e.detail.as_deref()),
            None => ("", "", None),
        }
    }
}

/// The round trip in milliseconds, to the microsecond, as `rtt_ms` is written.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// The shape docs/json.md gives a check result (`results[]` and each line of `jsonl`).
#[derive(Serialize)]
struct ResultJson<'a> {
    host: &'a str,
    address: IpAddr,
    transport: Transport,
    port: u16,
    status: Status,
    reason: Reason,
    probe: &'a str,
    answer: &'a str,
    evidence: Option<&'a str>,
    verification: Option<&'a Verification>,
    note: Option<&'a str>,
    rtt_ms: Option<f64>,
    attempts: u32,
    origin: Origin,
    rows: &'a [RowLabel],
}

impl Serialize for PortResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = &self.record;
        let (probe, answer, evidence) = self.exchanged();
        ResultJson {
            host: &r.host,
            address: r.address,
            transport: r.transport,
            port: r.port,
            status: r.verdict,
            reason: r.reason,
            probe,
            answer,
            evidence,
            verification: self.verification.as_ref(),
            note: self.note.as_deref(),
            rtt_ms: r.rtt.map(millis),
            attempts: r.tries,
            origin: self.origin,
            rows: &self.rows,
        }
        .serialize(s)
    }
}

/// A result as one line of `check --format jsonl`, with the vantage point it was seen from
/// (`check --vantage`) first, so that `portolan merge` can put lines of many runs side by side.
#[derive(Serialize)]
pub struct ResultLine<'a> {
    /// The vantage point's name, when the check was given one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vantage: Option<&'a str>,
    /// The result, its fields flattened into the line.
    #[serde(flatten)]
    pub result: &'a PortResult,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_reason_and_the_json_keeps_its_shape() {
        let mut r = PortResult::new(
            "dc1".into(),
            "192.0.2.5".parse().unwrap(),
            Transport::Udp,
            123,
        );
        assert_eq!(r.status(), Status::ListeningOrFiltered, "UDP silence");
        r.record.transport = Transport::Tcp;
        r.decide(Reason::NoResponse);
        assert_eq!(r.status(), Status::Filtered, "TCP silence");
        r.decide(Reason::HostUnreach);
        r.exchange().probe = "TCP connect".into();
        r.exchange().answer = "ICMP host unreachable".into();
        r.record.rtt = Some(Duration::from_micros(250));
        r.record.tries = 2;
        let json = serde_json::to_value(&r).unwrap();
        let mut keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        keys.sort();
        let mut documented = [
            "host",
            "address",
            "transport",
            "port",
            "status",
            "reason",
            "probe",
            "answer",
            "evidence",
            "verification",
            "note",
            "rtt_ms",
            "attempts",
            "origin",
            "rows",
        ];
        documented.sort();
        assert_eq!(keys, documented);
        assert_eq!(json["status"], "FILTERED");
        assert_eq!(json["reason"], "host-unreach");
        assert_eq!(json["transport"], "tcp");
        assert_eq!(json["rtt_ms"], 0.25);
        assert_eq!(json["attempts"], 2);
        assert!(json["evidence"].is_null());
    }
}
