//! The common shape every source is read into: one [`Listener`] per listening socket (or per
//! port a scanner found open), and [`Parsed`], what one input held.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use portolan_catalog::Transport;
use serde::Serialize;

use crate::error::{AuditError, ErrorKind};

/// The most unreadable rows skipped in one input; past it the input is refused: it is not
/// the format it was read as.
pub const MAX_SKIPPED: usize = 1_000;

/// The formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Format {
    /// Linux `/proc/net/tcp`, `tcp6`, `udp`, `udp6` (one or several, concatenated).
    #[serde(rename = "proc")]
    ProcNet,
    /// iproute2 `ss` with `-l`/`-a`, `-n`, `-t` and/or `-u`, with or without `-p`.
    #[serde(rename = "ss")]
    Ss,
    /// Windows `netstat -ano` / `-anob` (and Linux net-tools `netstat -tulpn`).
    #[serde(rename = "netstat")]
    Netstat,
    /// PowerShell `Get-NetTCPConnection` / `Get-NetUDPEndpoint` piped to `ConvertTo-Json`.
    #[serde(rename = "powershell")]
    PowerShell,
    /// nmap's XML output (`-oX`).
    #[serde(rename = "nmap-xml")]
    NmapXml,
    /// portolan's own `check --format json` or `--format jsonl` output.
    #[serde(rename = "check-json")]
    Check,
    /// PowerShell JSON whose objects are all TCP sockets, as the user says (for
    /// `Select-Object` output that keeps neither `State` nor `RemoteAddress`). Forced only,
    /// never detected; what it reads is [`Format::PowerShell`].
    #[serde(rename = "powershell-tcp")]
    PowerShellTcp,
    /// PowerShell JSON whose objects are all UDP endpoints, as the user says. Forced only.
    #[serde(rename = "powershell-udp")]
    PowerShellUdp,
}

impl Format {
    /// Every format, in the order detection tries them.
    pub const ALL: [Format; 6] = [
        Format::NmapXml,
        Format::Check,
        Format::PowerShell,
        Format::ProcNet,
        Format::Ss,
        Format::Netstat,
    ];

    /// Formats that are only ever forced, never detected: they say what the content cannot.
    pub const FORCED_ONLY: [Format; 2] = [Format::PowerShellTcp, Format::PowerShellUdp];

    /// Stable machine name, as accepted by [`Format::from_str`] and used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::ProcNet => "proc",
            Format::Ss => "ss",
            Format::Netstat => "netstat",
            Format::PowerShell => "powershell",
            Format::NmapXml => "nmap-xml",
            Format::Check => "check-json",
            Format::PowerShellTcp => "powershell-tcp",
            Format::PowerShellUdp => "powershell-udp",
        }
    }

    /// What the format is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Format::ProcNet => "Linux /proc/net/tcp, tcp6, udp or udp6",
            Format::Ss => "`ss -lntup` output",
            Format::Netstat => "`netstat -ano` or `netstat -anob` output",
            Format::PowerShell => {
                "`Get-NetTCPConnection` or `Get-NetUDPEndpoint` output piped to `ConvertTo-Json`"
            }
            Format::NmapXml => "nmap XML (`nmap -oX`)",
            Format::Check => "portolan check output (`--format json` or `jsonl`)",
            Format::PowerShellTcp => "PowerShell JSON of TCP listeners only (the user says so)",
            Format::PowerShellUdp => "PowerShell JSON of UDP endpoints only (the user says so)",
        }
    }

    /// The format a forced variant reads: [`Format::PowerShell`] for `powershell-tcp` and
    /// `powershell-udp`, the format itself otherwise.
    pub fn family(self) -> Format {
        match self {
            Format::PowerShellTcp | Format::PowerShellUdp => Format::PowerShell,
            other => other,
        }
    }

    /// True for sources that describe a scanned host from the outside.
    pub fn is_remote(self) -> bool {
        matches!(self, Format::NmapXml | Format::Check)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown input format `{0}`: expected proc, ss, netstat, powershell, powershell-tcp, \
     powershell-udp, nmap-xml or check-json"
)]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "proc" | "proc-net" | "procnet" => Format::ProcNet,
            "ss" => Format::Ss,
            "netstat" => Format::Netstat,
            "powershell" | "ps" | "ps-json" | "pwsh" => Format::PowerShell,
            "nmap" | "nmap-xml" | "xml" => Format::NmapXml,
            "check-json" | "check" | "portolan" => Format::Check,
            "powershell-tcp" | "ps-tcp" => Format::PowerShellTcp,
            "powershell-udp" | "ps-udp" => Format::PowerShellUdp,
            _ => return Err(UnknownFormat(s.to_string())),
        })
    }
}

/// How the socket was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SocketState {
    /// A TCP socket in the LISTEN state.
    Listen,
    /// A UDP socket bound to a local port without a remote peer: it receives datagrams.
    Bound,
    /// A scanner found the port open.
    Open,
    /// A scanner could not tell open from filtered (no answer to a UDP probe).
    OpenFiltered,
}

impl SocketState {
    /// False when the source could not confirm that anything listens.
    pub fn is_certain(self) -> bool {
        !matches!(self, SocketState::OpenFiltered)
    }
}

/// A process that holds the socket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Owner {
    /// Process id, where the source gives it.
    pub pid: Option<u32>,
    /// Process or program name (`lsass.exe`, `smbd`, `kdc[master]`).
    pub process: Option<String>,
}

/// Where a listener was read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Origin {
    /// The source's format.
    pub format: Format,
    /// The input's name (a path, `-`, `/proc/net/tcp6`).
    pub source: String,
    /// 1-based line of the row (for JSON and XML, the line where the object or element starts).
    pub line: usize,
}

/// One listening socket, or one port a scanner found open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listener {
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// The local address the socket is bound to (for scans: the scanned host's address).
    pub address: IpAddr,
    /// The interface the socket is bound to (`ss`'s `%iface` suffix) or an IPv6 zone.
    pub interface: Option<String>,
    /// The host name a source printed instead of the local address (`netstat -a` without
    /// `-n`: `orion:139`); `address` is then only the wildcard of its family, and the binding
    /// is `specific` (`loopback` for `localhost`).
    pub local_name: Option<String>,
    /// The local port.
    pub port: u16,
    /// How the socket was seen.
    pub state: SocketState,
    /// Process id of the owner (the lowest pid when several processes share the socket).
    pub pid: Option<u32>,
    /// Process or program name of that owner.
    pub process: Option<String>,
    /// The other processes that hold the same socket (pre-forked workers).
    pub other_owners: Vec<Owner>,
    /// A service name the source gives: the Windows service tag of `netstat -b`, or the
    /// service name nmap guessed.
    pub service: Option<String>,
    /// Product and version a scanner identified.
    pub product: Option<String>,
    /// The host the listener belongs to: the scanned host (nmap, check), the host the user
    /// named (`ReadOptions::host`), else `unknown host (INPUT)` for a file; `None` only for
    /// this machine's own sockets.
    pub host: Option<String>,
    /// The socket's inode (`/proc/net/*`), used to find its owner.
    #[serde(skip)]
    pub inode: Option<u64>,
    /// Where the listener was read from.
    pub origin: Origin,
}

impl Listener {
    /// A listener with no owner or service information.
    pub fn new(
        transport: Transport,
        address: IpAddr,
        port: u16,
        state: SocketState,
        origin: Origin,
    ) -> Self {
        Listener {
            transport,
            address,
            interface: None,
            local_name: None,
            port,
            state,
            pid: None,
            process: None,
            other_owners: Vec::new(),
            service: None,
            product: None,
            host: None,
            inode: None,
            origin,
        }
    }

    /// Sets the owners: the lowest pid becomes [`Listener::pid`] / [`Listener::process`].
    pub fn set_owners(&mut self, mut owners: Vec<Owner>) {
        owners.sort_by_key(|o| o.pid.unwrap_or(u32::MAX));
        owners.dedup();
        let mut owners = owners.into_iter();
        if let Some(first) = owners.next() {
            self.pid = first.pid;
            self.process = first.process;
        }
        self.other_owners = owners.collect();
    }

    /// How the local address binds.
    pub fn binding(&self) -> BindingKind {
        match self.local_name.as_deref() {
            Some(name) if name.eq_ignore_ascii_case("localhost") => BindingKind::Loopback,
            Some(_) => BindingKind::Specific,
            None => BindingKind::of(self.address),
        }
    }

    /// False for sockets bound to loopback only, which nothing on the network can reach.
    pub fn is_reachable(&self) -> bool {
        self.binding() != BindingKind::Loopback
    }
}

/// How a local address binds a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BindingKind {
    /// Every address of the machine (`0.0.0.0`, `::`, `*`).
    Wildcard,
    /// Loopback only (127.0.0.0/8, `::1`): not reachable from the network.
    Loopback,
    /// One address of the machine.
    Specific,
}

impl BindingKind {
    /// The kind of `address`.
    pub fn of(address: IpAddr) -> BindingKind {
        let v4 = match address {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(v6) => v6.to_ipv4_mapped(),
        };
        if address.is_unspecified() || v4.is_some_and(|a| a.is_unspecified()) {
            BindingKind::Wildcard
        } else if address.is_loopback() || v4.is_some_and(|a| a.is_loopback()) {
            BindingKind::Loopback
        } else {
            BindingKind::Specific
        }
    }
}

/// An inclusive port range a scan covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ScanRange {
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// First port.
    pub first: u16,
    /// Last port.
    pub last: u16,
}

/// Which sockets an input can speak for: a missing port is only "missing" where the input
/// looked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// The input lists TCP sockets.
    pub tcp: bool,
    /// The input lists UDP sockets.
    pub udp: bool,
    /// For scans: the ports scanned; `None` when the input lists every socket of its
    /// transports.
    pub scanned: Option<Vec<ScanRange>>,
}

impl Coverage {
    /// True when the input would show a listener on this transport and port.
    pub fn covers(&self, transport: Transport, port: u16) -> bool {
        self.covers_any(transport, port, port)
    }

    /// True when the input would show a listener on some port of `first..=last`.
    pub fn covers_any(&self, transport: Transport, first: u16, last: u16) -> bool {
        let transport_seen = match transport {
            Transport::Tcp => self.tcp,
            Transport::Udp => self.udp,
            Transport::Ip(_) => false,
        };
        transport_seen
            && self.scanned.as_ref().is_none_or(|ranges| {
                ranges
                    .iter()
                    .any(|r| r.transport == transport && r.first <= last && first <= r.last)
            })
    }

    /// Widens this coverage by another input's.
    pub fn merge(&mut self, other: &Coverage) {
        self.tcp |= other.tcp;
        self.udp |= other.udp;
        self.scanned = match (self.scanned.take(), &other.scanned) {
            (Some(mut a), Some(b)) => {
                a.extend(b.iter().copied());
                Some(a)
            }
            // A full listing of sockets covers whatever a scan covers.
            _ => None,
        };
    }
}

/// What one input held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parsed {
    /// The format it was read as (the first input's, after [`Parsed::extend`]).
    pub format: Format,
    /// The inputs, as `format:name` (`ss:-`, `proc:/proc/net/tcp`).
    pub sources: Vec<String>,
    /// The listeners, in input order.
    pub listeners: Vec<Listener>,
    /// Rows that were sockets but not listening (established connections, closed scan ports).
    pub not_listening: usize,
    /// What the input can speak for.
    pub coverage: Coverage,
    /// Remarks about the input (assumptions made while reading it).
    pub notes: Vec<String>,
    /// Rows that could not be read and were left out: the audit of the rest is partial.
    pub skipped: Vec<SkippedRow>,
    /// The hosts a scan names (nmap), every one of them, with or without open ports, up or
    /// down, in input order.
    pub hosts: Vec<ScannedHost>,
    /// Unreadable rows are errors instead of skipped rows.
    #[serde(skip)]
    pub(crate) strict: bool,
}

/// A row that could not be read, and why; it was left out of the audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedRow {
    /// The input's name.
    pub source: String,
    /// 1-based line of the row.
    pub line: usize,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for SkippedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.source, self.line, self.problem)
    }
}

/// How many ports of a scanned host were found in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateCount {
    /// `tcp` or `udp`; `null` for counts nmap folded into `<extraports>` without a protocol.
    pub transport: Option<String>,
    /// nmap's state word: `open`, `closed`, `filtered`, `open|filtered`, `unfiltered`, ...
    pub state: String,
    /// How many ports.
    pub count: usize,
}

/// A host a scan names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScannedHost {
    /// The host's key in reports: its first IP address.
    pub host: String,
    /// Every address the scan gives (IPv4, IPv6, MAC).
    pub addresses: Vec<String>,
    /// Host names (user-given and PTR), without repeats.
    pub names: Vec<String>,
    /// False when the host did not answer: nothing was audited.
    pub up: bool,
    /// nmap's reason for the status (`echo-reply`, `no-response`, `user-set`).
    pub reason: Option<String>,
    /// Per state, how many scanned ports were in it (listed ports and `<extraports>`).
    pub states: Vec<StateCount>,
    /// What the scan of this host covers.
    pub coverage: Coverage,
    /// The input it was read from.
    pub source: String,
}

/// How to read an input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Read as this format instead of detecting it.
    pub format: Option<Format>,
    /// Make a row that cannot be read an error instead of skipping it.
    pub strict: bool,
    /// The host the input's listeners belong to, when the input does not name one (every
    /// format but nmap XML and check JSON). Without it they belong to `unknown host (INPUT)`.
    pub host: Option<String>,
}

impl Parsed {
    pub(crate) fn new(format: Format, source: &str) -> Self {
        Parsed {
            format,
            sources: vec![format!("{format}:{source}")],
            listeners: Vec::new(),
            not_listening: 0,
            coverage: Coverage::default(),
            notes: Vec::new(),
            skipped: Vec::new(),
            hosts: Vec::new(),
            strict: false,
        }
    }

    /// True when some rows could not be read and were left out.
    pub fn is_partial(&self) -> bool {
        !self.skipped.is_empty()
    }

    /// A row that cannot be read: an error in strict mode (or when it is not a malformed
    /// row: a truncated input, too many rows), else recorded in [`Parsed::skipped`].
    pub(crate) fn skip(&mut self, error: AuditError) -> Result<(), AuditError> {
        if self.strict || error.kind != ErrorKind::Malformed || error.line == 0 {
            return Err(error);
        }
        if self.skipped.len() < MAX_SKIPPED {
            self.skipped.push(SkippedRow {
                source: error.origin.clone(),
                line: error.line,
                problem: error.problem.clone(),
            });
        } else {
            return Err(AuditError::new(
                ErrorKind::Malformed,
                &error.origin,
                error.line,
                format!(
                    "more than {MAX_SKIPPED} rows cannot be read; the last: {}",
                    error.problem
                ),
                error.expected,
            ));
        }
        Ok(())
    }

    /// Gives every listener without a host to `host`.
    pub fn assign_host(&mut self, host: &str) {
        for listener in &mut self.listeners {
            if listener.host.is_none() {
                listener.host = Some(host.to_string());
            }
        }
    }

    /// Adds another input's listeners (for example `/proc/net/tcp` and `/proc/net/udp`).
    pub fn extend(&mut self, other: Parsed) {
        self.listeners.extend(other.listeners);
        self.skipped.extend(other.skipped);
        self.hosts.extend(other.hosts);
        self.not_listening += other.not_listening;
        self.coverage.merge(&other.coverage);
        for note in other.notes {
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        for source in other.sources {
            if !self.sources.contains(&source) {
                self.sources.push(source);
            }
        }
    }

    pub(crate) fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}

/// The IPv4 wildcard address.
pub(crate) const ANY_V4: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
/// The IPv6 wildcard address.
pub(crate) const ANY_V6: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings() {
        let kind = |s: &str| BindingKind::of(s.parse().unwrap());
        assert_eq!(kind("0.0.0.0"), BindingKind::Wildcard);
        assert_eq!(kind("::"), BindingKind::Wildcard);
        assert_eq!(kind("127.0.0.53"), BindingKind::Loopback);
        assert_eq!(kind("127.255.255.255"), BindingKind::Loopback);
        assert_eq!(kind("::1"), BindingKind::Loopback);
        assert_eq!(kind("::ffff:127.0.0.1"), BindingKind::Loopback);
        assert_eq!(kind("10.201.0.2"), BindingKind::Specific);
        assert_eq!(kind("fe80::1"), BindingKind::Specific);
    }

    #[test]
    fn format_names_round_trip() {
        for format in Format::ALL {
            assert_eq!(format.as_str().parse::<Format>().unwrap(), format);
            let json = serde_json::to_string(&format).unwrap();
            assert_eq!(json, format!("\"{}\"", format.as_str()));
        }
        assert!("yaml".parse::<Format>().is_err());
    }

    #[test]
    fn coverage_of_a_scan() {
        let coverage = Coverage {
            tcp: true,
            udp: false,
            scanned: Some(vec![ScanRange {
                transport: Transport::Tcp,
                first: 1,
                last: 1024,
            }]),
        };
        assert!(coverage.covers(Transport::Tcp, 445));
        assert!(!coverage.covers(Transport::Tcp, 3268));
        assert!(!coverage.covers(Transport::Udp, 53));
        assert!(coverage.covers_any(Transport::Tcp, 1000, 2000));
    }
}
