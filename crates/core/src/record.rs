//! The one result model: what every command that probes ports (`check`, `scan` over TCP and
//! UDP) reports for one port of one host, and what the renderers read. The check engine's
//! result holds a [`Record`] and adds what only a check knows (the protocol verification,
//! the catalog rows); the sweep engine's compact result (a host index, 24 bytes) becomes one
//! when it is rendered. `rpc` lists registrations, not probed ports: its lines share the
//! record's identity fields (host, address, transport, port) instead.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;

use crate::verdict::{NmapState, Reason, Verdict};

/// The transport of a probed port: TCP or UDP only. The catalog's `Transport` also names the
/// IP protocols without ports (GRE, ESP, AH) that rows may ride on; no engine probes those,
/// so a record cannot hold one, and `core` stays free of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Transport {
    /// `tcp` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What was sent and what came back, in words, where a probe is more than a connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// What was sent ("DNS query for . SOA").
    pub probe: String,
    /// What came back ("ICMP port unreachable", "no answer to 2 tries").
    pub answer: String,
    /// What the reply said, decoded ("NTP v4 server: stratum 10").
    pub detail: Option<String>,
}

/// One port of one host: the verdict and what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The host as given (its name, or its address).
    pub host: String,
    /// The address probed.
    pub address: IpAddr,
    /// The port.
    pub port: u16,
    /// TCP or UDP.
    pub transport: Transport,
    /// PortQry's verdict.
    pub verdict: Verdict,
    /// Why.
    pub reason: Reason,
    /// What was sent and came back, when the probe was more than a connect.
    pub evidence: Option<Evidence>,
    /// Round trip of the deciding answer.
    pub rtt: Option<Duration>,
    /// How many times the probe was sent.
    pub tries: u32,
}

impl Record {
    /// nmap's state for the verdict.
    pub fn state(&self) -> NmapState {
        self.verdict.nmap()
    }

    /// The round trip in whole microseconds.
    pub fn rtt_us(&self) -> Option<u64> {
        self.rtt
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }

    /// What came back, in one line: the decoded reply, else the answer, else the reason.
    pub fn what_answered(&self) -> String {
        match &self.evidence {
            Some(Evidence {
                detail: Some(detail),
                ..
            }) => detail.clone(),
            Some(e) => e.answer.clone(),
            None => self.reason.as_str().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_its_state_and_answer() {
        let mut r = Record {
            host: "dc1".into(),
            address: "10.0.0.2".parse().unwrap(),
            port: 53,
            transport: Transport::Udp,
            verdict: Verdict::ListeningOrFiltered,
            reason: Reason::NoResponse,
            evidence: None,
            rtt: Some(Duration::from_micros(1500)),
            tries: 2,
        };
        assert_eq!(r.state(), NmapState::OpenFiltered);
        assert_eq!(r.rtt_us(), Some(1500));
        assert_eq!(r.what_answered(), "no-response");
        r.evidence = Some(Evidence {
            probe: "DNS".into(),
            answer: "a datagram".into(),
            detail: None,
        });
        assert_eq!(r.what_answered(), "a datagram");
        assert_eq!(Transport::Udp.to_string(), "udp");
    }
}
