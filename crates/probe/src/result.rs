//! What a check found, in PortQry's words, with the evidence behind each verdict.

use std::net::IpAddr;

use serde::Serialize;

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

/// The verdict on one port of one host.
#[derive(Debug, Clone, Serialize)]
pub struct PortResult {
    /// The host as given on the command line.
    pub host: String,
    /// The address probed.
    pub address: IpAddr,
    /// `tcp` or `udp`.
    pub transport: &'static str,
    /// The port.
    pub port: u16,
    /// The verdict.
    pub status: Status,
    /// Why, in nmap's words (`syn-ack`, `conn-refused`, `host-unreach`, `udp-response`,
    /// `port-unreach`, `no-response`, `local-error`, ...), as `portolan scan` reports it.
    pub reason: portolan_core::Reason,
    /// What was sent ("TCP connect", "DNS query for . SOA").
    pub probe: String,
    /// What came back ("SYN-ACK", "ICMP port unreachable", "no answer to 2 tries").
    pub answer: String,
    /// What the reply said, decoded ("CLDAP netlogon: domain lab.example, DC dc1...").
    pub evidence: Option<String>,
    /// For open TCP ports: the protocol check.
    pub verification: Option<Verification>,
    /// Why the verdict cannot be more precise, where that is the case.
    pub note: Option<String>,
    /// Round-trip time of the deciding answer, in milliseconds.
    pub rtt_ms: Option<f64>,
    /// How many times the probe was sent.
    pub attempts: u32,
    /// Where the port came from.
    pub origin: Origin,
    /// The catalog rows (or endpoint-mapper interfaces) this port stands for.
    pub rows: Vec<RowLabel>,
}

impl PortResult {
    /// Records why the port got its verdict, and the verdict that reason gives on this
    /// port's transport (`portolan_core::verdict`'s one mapping).
    pub fn decide(&mut self, reason: portolan_core::Reason) {
        self.reason = reason;
        self.status = if self.transport == "udp" {
            reason.udp_verdict()
        } else {
            reason.tcp_verdict()
        };
    }

    /// The port in the one result model.
    pub fn record(&self) -> portolan_core::Record {
        use portolan_core::{Evidence, Record, Transport};
        let transport = if self.transport == "udp" {
            Transport::Udp
        } else {
            Transport::Tcp
        };
        Record {
            host: self.host.clone(),
            address: self.address,
            port: self.port,
            transport,
            verdict: self.status,
            reason: self.reason,
            evidence: Some(Evidence {
                probe: self.probe.clone(),
                answer: self.answer.clone(),
                detail: self.evidence.clone(),
            }),
            // Whole microseconds, as the millisecond figure was measured.
            rtt: self
                .rtt_ms
                .map(|ms| std::time::Duration::from_micros((ms * 1000.0).round() as u64)),
            tries: self.attempts,
        }
    }
}

#[cfg(test)]
mod tests {
    use portolan_core::{Reason, Transport};

    use super::*;

    #[test]
    fn the_verdict_follows_the_reason_and_the_record_keeps_both() {
        let mut r = PortResult {
            host: "dc1".into(),
            address: "192.0.2.5".parse().unwrap(),
            transport: "udp",
            port: 123,
            status: Status::Filtered,
            reason: Reason::NoResponse,
            probe: "NTP client request".into(),
            answer: "no answer to 2 probes".into(),
            evidence: None,
            verification: None,
            note: None,
            rtt_ms: Some(0.25),
            attempts: 2,
            origin: Origin::Catalog,
            rows: Vec::new(),
        };
        r.decide(Reason::NoResponse);
        assert_eq!(r.status, Status::ListeningOrFiltered, "UDP silence");
        r.transport = "tcp";
        r.decide(Reason::NoResponse);
        assert_eq!(r.status, Status::Filtered, "TCP silence");
        r.decide(Reason::HostUnreach);
        let record = r.record();
        assert_eq!(record.transport, Transport::Tcp);
        assert_eq!(record.reason, Reason::HostUnreach);
        assert_eq!(record.verdict, Status::Filtered);
        assert_eq!(record.rtt_us(), Some(250));
        assert_eq!(record.tries, 2);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["reason"], "host-unreach");
        assert_eq!(json["status"], "FILTERED");
    }
}
