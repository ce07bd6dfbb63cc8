//! What a scan finds: one result per port, one summary per host. States and reasons are
//! `portolan_core::verdict`'s.

use std::net::IpAddr;

use serde::Serialize;

pub use portolan_core::verdict::{NmapState, Reason};

/// One port of one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortResult {
    /// Index of the host in the target list.
    pub host: u64,
    /// The address probed.
    pub address: IpAddr,
    /// The TCP port.
    pub port: u16,
    /// Open, closed or filtered (`error` for a failure on this machine).
    pub state: NmapState,
    /// Why.
    pub reason: Reason,
    /// Connections tried (1 + retries used).
    pub tries: u8,
    /// Round trip of the answer in microseconds, when there was one.
    pub rtt_us: Option<u32>,
}

/// One host once all its ports are known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostSummary {
    /// Index of the host in the target list.
    pub host: u64,
    /// The address.
    pub address: IpAddr,
    /// Open ports.
    pub open: u32,
    /// Closed ports.
    pub closed: u32,
    /// Filtered ports.
    pub filtered: u32,
    /// The host answered at least one probe itself (a SYN-ACK or a reset).
    pub up: bool,
    /// Smoothed round trip (µs), when the host answered.
    pub srtt_us: Option<u32>,
    /// Round-trip variation (µs), when the host answered.
    pub rttvar_us: Option<u32>,
    /// The connect timeout in force at the end (µs).
    pub timeout_us: u32,
    /// Milliseconds since the scan began, first and last probe of the host.
    pub started_ms: u64,
    /// See `started_ms`.
    pub finished_ms: u64,
}

impl PortResult {
    /// The port in the one result model, under the host's label.
    pub fn record(&self, host: String) -> portolan_core::Record {
        portolan_core::Record {
            host,
            address: self.address,
            port: self.port,
            transport: portolan_core::Transport::Tcp,
            verdict: self.reason.tcp_verdict(),
            reason: self.reason,
            evidence: None,
            rtt: self
                .rtt_us
                .map(|us| std::time::Duration::from_micros(u64::from(us))),
            tries: u32::from(self.tries),
        }
    }
}
