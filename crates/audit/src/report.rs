//! The audit's result: every listening port named from the catalog, and, when a role or
//! services were given, how the server compares with them. Every type serialises to JSON
//! with the field names documented in `docs/audit.md`; they are stable.

use portolan_catalog::Transport;
use serde::Serialize;

use crate::listener::{BindingKind, Coverage, SocketState, StateCount};

/// Exit status when the server matches (or nothing was compared).
pub const EXIT_MATCH: u8 = 0;
/// Exit status when an expected port is missing or an unexpected one listens.
pub const EXIT_MISMATCH: u8 = 1;
/// Exit status the CLI uses for input it cannot read ([`crate::AuditError`]).
pub const EXIT_BAD_INPUT: u8 = 2;

/// The audit of one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// The host: the scanned host (nmap, check), the host the user named, or
    /// `unknown host (INPUT)` for a file; `None` only for this machine's own sockets.
    pub host: Option<String>,
    /// The host's names a scan gives (user-given and PTR), and its other addresses.
    pub host_names: Vec<String>,
    /// False when the host did not answer the scan: nothing of it was audited.
    pub audited: bool,
    /// For scanned hosts: how many scanned ports were in each state (`open`, `closed`,
    /// `filtered`, `open|filtered`, ...), so a host with nothing open still says what was
    /// looked at.
    pub port_states: Vec<StateCount>,
    /// The inputs, as `format:name`.
    pub sources: Vec<String>,
    /// What the inputs can speak for.
    pub coverage: Coverage,
    /// Every port something listens on, sorted by transport (TCP first) and port.
    pub ports: Vec<PortReport>,
    /// The comparison with roles or services, when some were given.
    pub comparison: Option<Comparison>,
    /// One line: what was found, or whether the server matches.
    pub verdict: String,
    /// Remarks about the inputs (assumptions made while reading them).
    pub notes: Vec<String>,
    /// Roles or services were asked for.
    #[serde(skip)]
    pub(crate) compared: bool,
}

impl AuditReport {
    /// [`EXIT_MISMATCH`] when a comparison found something missing or unexpected, else
    /// [`EXIT_MATCH`].
    pub fn exit_code(&self) -> u8 {
        match &self.comparison {
            Some(c) if !c.matches => EXIT_MISMATCH,
            // A host that did not answer cannot be said to match.
            None if !self.audited && self.compared => EXIT_MISMATCH,
            _ => EXIT_MATCH,
        }
    }

    /// The port report for a transport and port.
    pub fn port(&self, transport: Transport, port: u16) -> Option<&PortReport> {
        self.ports
            .iter()
            .find(|p| p.transport == transport && p.port == port)
    }
}

/// The exit status of an audit whose inputs had unreadable rows that were skipped.
pub const EXIT_PARTIAL: u8 = 1;

/// The exit status of several host reports read from `input`: the worst of them, and
/// [`EXIT_PARTIAL`] at least when rows of the input were skipped.
pub fn exit_code_of(reports: &[AuditReport], input: &crate::listener::Parsed) -> u8 {
    let code = exit_code(reports);
    if input.is_partial() {
        code.max(EXIT_PARTIAL)
    } else {
        code
    }
}

/// The exit status of several host reports: the worst of them.
pub fn exit_code(reports: &[AuditReport]) -> u8 {
    reports
        .iter()
        .map(AuditReport::exit_code)
        .max()
        .unwrap_or(EXIT_MATCH)
}

/// One port something listens on, with every address it is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortReport {
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// The port.
    pub port: u16,
    /// True when some binding is reachable from the network (not loopback only).
    pub reachable: bool,
    /// The widest binding: `wildcard`, `specific` or `loopback`.
    pub binding: BindingKind,
    /// False when the only evidence is a scanner's open|filtered.
    pub certain: bool,
    /// The addresses the port is bound to.
    pub addresses: Vec<BoundAddress>,
    /// The processes that hold the sockets.
    pub processes: Vec<ProcessRef>,
    /// Service names the sources gave (Windows service tags, nmap's guesses).
    pub source_services: Vec<String>,
    /// Catalog services that may be listening here, and how.
    pub candidates: Vec<Candidate>,
    /// RPC interfaces an endpoint-mapper dump places on this port.
    pub rpc_interfaces: Vec<String>,
    /// A well-known port the catalog does not list.
    pub extra: Option<ExtraPortInfo>,
    /// What an auditor should look at.
    pub flags: Vec<Flag>,
    /// One line naming the port: "Kerberos Key Distribution Center (Kdc)".
    pub name: String,
    /// Against the roles or services compared with; `None` without a comparison.
    pub expectation: Option<PortExpectation>,
}

/// One address a port is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoundAddress {
    /// The address, with `%interface` where the socket is bound to one.
    pub address: String,
    /// `wildcard`, `specific` or `loopback`.
    pub binding: BindingKind,
    /// How the socket was seen.
    pub state: SocketState,
    /// `format:name:line` of the row it was read from.
    pub origin: String,
}

/// A process holding a port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ProcessRef {
    /// Process id.
    pub pid: Option<u32>,
    /// Process name.
    pub process: Option<String>,
}

/// How a candidate service relates to a listening port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// The service holds the socket: the only service on the port, the known owner of a
    /// shared port, or confirmed by the process or service tag.
    Owner,
    /// The service is reached through the owner's listener (the endpoint mapper, SMB pipes,
    /// NetBIOS); it does not hold a socket of its own here.
    ReachedThrough,
    /// One of several services that may hold the socket; nothing tells which.
    Candidate,
    /// The port lies in a range the service's dynamic ports are drawn from (dynamic RPC,
    /// FTP passive) and no fixed row claims it: possible, never certain.
    PossibleDynamic,
    /// An endpoint-mapper dump places one of the service's RPC interfaces on this port.
    RpcEndpoint,
}

impl Relation {
    /// True for relations that say the service is here, not merely that it might be.
    pub fn is_certain(self) -> bool {
        matches!(self, Relation::Owner | Relation::RpcEndpoint)
    }
}

/// A catalog service that may be listening on a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// Catalog service id.
    pub service: String,
    /// Display name.
    pub name: String,
    /// Windows service name.
    pub windows_service: Option<String>,
    /// How it relates to the port.
    pub relation: Relation,
    /// The catalog rows' application protocols on this port ("LDAP Server").
    pub apps: Vec<String>,
    /// The rows' port kind: `fixed`, `range`, `rpc-dynamic` or `ftp-passive`.
    pub port_kind: String,
    /// What confirmed the service: "service tag RpcSs", "process lsass.exe",
    /// "endpoint mapper: netlogon".
    pub confirmed_by: Option<String>,
}

/// A well-known port outside the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtraPortInfo {
    /// Stable id (`kpasswd`, `adws`, `winrm-http`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it is.
    pub note: String,
    /// The catalog service it comes with, if any.
    pub companion_of: Option<String>,
}

/// What a flag is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagKind {
    /// The service is legacy: later Windows versions removed or disable it.
    Legacy,
    /// The catalog says why the service is a risk.
    Risk,
    /// The service is off by default: something turned it on.
    OffByDefault,
    /// NetBIOS over TCP/IP listens although SMB listens directly on TCP 445.
    NetbiosWithSmb,
    /// The only evidence is a scanner's open|filtered.
    Unconfirmed,
    /// The socket listing names a process (or service tag) that is not the catalog's owner
    /// of the port: the port is not named as that service.
    OwnerMismatch,
    /// Two expected services cannot both listen on this port: the one listener can be only
    /// one of them.
    PortConflict,
}

/// Something an auditor should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// What it is about.
    pub kind: FlagKind,
    /// The catalog service concerned, if any.
    pub service: Option<String>,
    /// False when the service is only one possibility for the port.
    pub certain: bool,
    /// One line.
    pub text: String,
}

/// How a listening port stands against the roles or services compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortExpectation {
    /// A row of an expected service names this port.
    Expected,
    /// Only optional services (or rows) name this port: allowed, not required.
    Optional,
    /// A port in a dynamic RPC range, and an expected service uses dynamic RPC.
    ExpectedDynamic,
    /// Not a catalog row, but it comes with an expected service (kpasswd with the KDC).
    Companion,
    /// Reachable, certain, and no expected service explains it.
    Unexpected,
    /// Bound to loopback only: not reachable, so not judged.
    LoopbackOnly,
    /// Only seen open|filtered and not expected: not judged.
    Unconfirmed,
    /// A UDP port in the dynamic range (a client socket or a socket pool): not judged
    /// unless asked.
    Ephemeral,
}

/// The comparison with roles or services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The roles compared with.
    pub roles: Vec<String>,
    /// The services given one by one.
    pub services: Vec<String>,
    /// Whether optional services and rows were required too (otherwise they are allowed
    /// but not required).
    pub include_optional: bool,
    /// Each expected service and how complete it is.
    pub service_coverage: Vec<ServiceCoverage>,
    /// Each expected port and its status.
    pub expected: Vec<ExpectedPort>,
    /// Required ports that do not listen reachably, as `udp/500`.
    pub missing: Vec<String>,
    /// Reachable listening ports nothing expected explains, as `tcp/8080`.
    pub unexpected: Vec<String>,
    /// Expected ports the inputs cannot speak for (a transport or port not listed or
    /// scanned), as `udp/123`.
    pub not_covered: Vec<String>,
    /// Expected ports only seen open|filtered.
    pub unconfirmed: Vec<String>,
    /// True when nothing is missing and nothing is unexpected.
    pub matches: bool,
    /// Expected services that cannot listen on one port together (the roles or services
    /// asked for cannot all run on one address).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<portolan_catalog::PortConflict>,
}

/// An expected port (or dynamic range) and whether something listens there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedPort {
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// `445`, `5000-5100`, `dynamic RPC` or `FTP passive`.
    pub port: String,
    /// `fixed`, `range`, `rpc-dynamic` or `ftp-passive`.
    pub port_kind: String,
    /// The expected services that list it.
    pub services: Vec<String>,
    /// True when only optional services or rows list it (and optional ones were not asked
    /// for): its absence does not count as missing.
    pub optional: bool,
    /// Whether it listens.
    pub status: ExpectedStatus,
    /// The listening ports that satisfy it.
    pub satisfied_by: Vec<u16>,
    /// One line of detail.
    pub detail: String,
}

impl ExpectedPort {
    /// `tcp/445`, `tcp/dynamic RPC`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.transport.key(), self.port)
    }
}

/// Whether an expected port listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectedStatus {
    /// Something listens there, reachable from the network.
    Listening,
    /// Dynamic RPC: something listens in the dynamic range, but no endpoint-mapper dump says
    /// it is this service's.
    ListeningDynamic,
    /// Only a scanner's open|filtered.
    Unconfirmed,
    /// Listening on loopback only: the network cannot reach it. Counts as missing.
    LoopbackOnly,
    /// Nothing listens there. Counts as missing.
    Missing,
    /// The inputs do not list that transport or port.
    NotCovered,
    /// Not checked: FTP passive data ports open only during a transfer.
    NotChecked,
}

impl ExpectedStatus {
    /// True for statuses that count as missing.
    pub fn is_missing(self) -> bool {
        matches!(self, ExpectedStatus::Missing | ExpectedStatus::LoopbackOnly)
    }

    /// True for statuses that count as present.
    pub fn is_present(self) -> bool {
        matches!(
            self,
            ExpectedStatus::Listening
                | ExpectedStatus::ListeningDynamic
                | ExpectedStatus::Unconfirmed
        )
    }
}

/// An expected service and how complete it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceCoverage {
    /// Catalog service id.
    pub service: String,
    /// Display name.
    pub name: String,
    /// Why the role needs it, from the role.
    pub reason: Option<String>,
    /// The role marks it optional.
    pub optional: bool,
    /// `complete`, `partial`, `absent`, `not-covered` or `skipped` (optional, not asked
    /// for, and not listening).
    pub status: CoverageStatus,
    /// Its expected ports that are missing, as `udp/500`.
    pub missing: Vec<String>,
}

/// How complete an expected service is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoverageStatus {
    /// Every expected port listens.
    Complete,
    /// Some listen, some are missing.
    Partial,
    /// None listens.
    Absent,
    /// Nothing is missing, but the inputs do not cover some ports.
    NotCovered,
    /// Optional, not asked for, and nothing of it listens.
    Skipped,
}
