//! What a scan finds: one result per port, one summary per host.

use std::net::IpAddr;

use serde::Serialize;

/// State of a TCP port, in nmap's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortState {
    /// A connection was established (and it was not the socket meeting itself).
    Open,
    /// The host answered with a reset: nothing listens.
    Closed,
    /// No answer after every try, or an ICMP error / local refusal: something is in the way.
    Filtered,
}

impl PortState {
    /// `open`, `closed` or `filtered`.
    pub fn as_str(self) -> &'static str {
        match self {
            PortState::Open => "open",
            PortState::Closed => "closed",
            PortState::Filtered => "filtered",
        }
    }

    /// PortQry's verdict for the state.
    pub fn portqry(self) -> &'static str {
        match self {
            PortState::Open => "LISTENING",
            PortState::Closed => "NOT LISTENING",
            PortState::Filtered => "FILTERED",
        }
    }
}

/// Why a port got its state (nmap's reason names where nmap has one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The handshake completed.
    SynAck,
    /// A reset answered the SYN.
    ConnRefused,
    /// The connection was the socket meeting itself (source port = destination port on a
    /// local address); nothing listens there.
    SelfConnect,
    /// ICMP host unreachable or administratively prohibited, or the neighbour (ARP/ND) did
    /// not answer.
    HostUnreach,
    /// ICMP network unreachable, or no route.
    NetUnreach,
    /// No answer to any try.
    NoResponse,
    /// This machine's own firewall or policy refused the connection (EACCES, EPERM).
    LocalPolicy,
    /// This machine could not make the connection (an unexpected system error).
    LocalError,
}

impl Reason {
    /// The reason as written in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::SynAck => "syn-ack",
            Reason::ConnRefused => "conn-refused",
            Reason::SelfConnect => "self-connect",
            Reason::HostUnreach => "host-unreach",
            Reason::NetUnreach => "net-unreach",
            Reason::NoResponse => "no-response",
            Reason::LocalPolicy => "local-policy",
            Reason::LocalError => "local-error",
        }
    }

    /// The state this reason implies.
    pub fn state(self) -> PortState {
        match self {
            Reason::SynAck => PortState::Open,
            Reason::ConnRefused | Reason::SelfConnect => PortState::Closed,
            Reason::HostUnreach
            | Reason::NetUnreach
            | Reason::NoResponse
            | Reason::LocalPolicy
            | Reason::LocalError => PortState::Filtered,
        }
    }

    /// True when the answer came from the target (it is up).
    pub fn from_target(self) -> bool {
        matches!(self, Reason::SynAck | Reason::ConnRefused)
    }
}

/// One port of one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortResult {
    /// Index of the host in the target list.
    pub host: u64,
    /// The address probed.
    pub address: IpAddr,
    /// The TCP port.
    pub port: u16,
    /// Open, closed or filtered.
    pub state: PortState,
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
