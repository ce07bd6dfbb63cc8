//! The catalog's types: services, their port rows, errata and roles.

use std::fmt;
use std::str::FromStr;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::modern::{RowChange, WindowsVersion};
use crate::transport::Transport;

/// Every port of this range and above is assigned by the RPC endpoint mapper on Windows
/// Vista / Server 2008 and later (IANA's dynamic range).
pub const RPC_DYNAMIC_MODERN: (u16, u16) = (49152, 65535);
/// The RPC dynamic range of Windows 2000, XP and Server 2003, the era of the seed document.
pub const RPC_DYNAMIC_LEGACY: (u16, u16) = (1025, 5000);
/// IIS 6.0's default passive-mode FTP data range.
pub const FTP_PASSIVE_DEFAULT: (u16, u16) = (1025, 5000);

/// Where a row listens: a port, a range, or a range decided at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PortSpec {
    /// One port.
    Single(u16),
    /// An inclusive range of ports, first <= last.
    Range(u16, u16),
    /// Ports that the RPC endpoint mapper hands out ("randomly allocated high TCP ports").
    RpcDynamic,
    /// The FTP server's passive-mode data ports.
    FtpPassive,
}

impl PortSpec {
    /// The fixed port range of this spec, if it has one.
    pub fn fixed_range(self) -> Option<(u16, u16)> {
        match self {
            PortSpec::Single(p) => Some((p, p)),
            PortSpec::Range(a, b) => Some((a, b)),
            PortSpec::RpcDynamic | PortSpec::FtpPassive => None,
        }
    }

    /// True for ports that are only known at run time.
    pub fn is_dynamic(self) -> bool {
        matches!(self, PortSpec::RpcDynamic | PortSpec::FtpPassive)
    }

    /// The stable machine name of the kind of spec, as used in JSON.
    pub fn kind(self) -> &'static str {
        match self {
            PortSpec::Single(_) => "fixed",
            PortSpec::Range(..) => "range",
            PortSpec::RpcDynamic => "rpc-dynamic",
            PortSpec::FtpPassive => "ftp-passive",
        }
    }

    /// The ranges a port of this spec may lie in; dynamic specs give their default ranges
    /// (both the modern and the legacy range for [`PortSpec::RpcDynamic`]).
    pub fn candidate_ranges(self) -> &'static [(u16, u16)] {
        match self {
            PortSpec::Single(_) | PortSpec::Range(..) => &[],
            PortSpec::RpcDynamic => &[RPC_DYNAMIC_LEGACY, RPC_DYNAMIC_MODERN],
            PortSpec::FtpPassive => &[FTP_PASSIVE_DEFAULT],
        }
    }

    /// The spec as catalog files write it: `636`, `5000-5100`, `rpc-dynamic`, `ftp-passive`.
    pub fn key(self) -> String {
        match self {
            PortSpec::Single(p) => p.to_string(),
            PortSpec::Range(a, b) => format!("{a}-{b}"),
            PortSpec::RpcDynamic => "rpc-dynamic".to_string(),
            PortSpec::FtpPassive => "ftp-passive".to_string(),
        }
    }

    /// True when some port of `first..=last` may belong to this spec.
    pub fn overlaps(self, first: u16, last: u16) -> bool {
        let hits = |(a, b): (u16, u16)| a <= last && first <= b;
        match self.fixed_range() {
            Some(range) => hits(range),
            None => self.candidate_ranges().iter().any(|&r| hits(r)),
        }
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSpec::Single(p) => write!(f, "{p}"),
            PortSpec::Range(a, b) => write!(f, "{a}-{b}"),
            PortSpec::RpcDynamic => f.write_str("dynamic RPC"),
            PortSpec::FtpPassive => f.write_str("FTP passive"),
        }
    }
}

impl FromStr for PortSpec {
    type Err = String;

    /// Reads a port as catalog files write it: a number, a range, `rpc-dynamic` or
    /// `ftp-passive`. A range of one port is that port.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "rpc-dynamic" => return Ok(PortSpec::RpcDynamic),
            "ftp-passive" => return Ok(PortSpec::FtpPassive),
            _ => {}
        }
        crate::portspec::parse_port_range(text).map(|r| {
            if r.is_single() {
                PortSpec::Single(r.first)
            } else {
                PortSpec::Range(r.first, r.last)
            }
        })
    }
}

/// One row of a service: an application protocol on a transport and port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRow {
    /// Application protocol, as the seed names it ("LDAP Server", "SMB").
    pub app: String,
    /// TCP, UDP or an IP protocol.
    pub transport: Transport,
    /// The port; `None` for IP protocols, which have no ports.
    pub port: Option<PortSpec>,
    /// Position (1-based) in the seed's port-sorted table, if the row is there.
    pub table: Option<u16>,
    /// Ids of errata about this row.
    pub errata: Vec<String>,
    /// The row comes from the seed's prose rather than from a table.
    pub from_prose: bool,
    /// The port is used only when a feature is turned on.
    pub optional: bool,
    /// False when an erratum decided that nothing really listens there (kept for fidelity).
    pub listener: bool,
    /// Where the row comes from and the Windows versions it holds for; `None` in a catalog
    /// read from files, filled in by a version view ([`Catalog::at`](crate::Catalog::at)).
    pub provenance: Option<Provenance>,
}

/// Where a row of a version view comes from: its source documents (keys of modern.toml's
/// `[[source]]`, `seed` for the seed, `user` for a `--catalog` file) and the versions it holds
/// for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Source keys.
    pub sources: Vec<String>,
    /// First version with the row.
    pub since: WindowsVersion,
    /// Last version with the row; `None` while it holds.
    pub until: Option<WindowsVersion>,
    /// How the row differs from the seed; `None` for a seed row no document changes.
    pub change: Option<RowChange>,
}

impl PortRow {
    /// True for a listener row on `transport` whose fixed port or range holds `port` (rows
    /// with dynamic ports never do: their ports are only known at run time).
    pub fn listens_on(&self, transport: Transport, port: u16) -> bool {
        self.listener
            && self.transport == transport
            && self
                .port
                .and_then(PortSpec::fixed_range)
                .is_some_and(|(a, b)| a <= port && port <= b)
    }

    /// The port as text: "445", "5000-5100", "dynamic RPC" or "n/a" for IP protocols.
    pub fn port_text(&self) -> String {
        match self.port {
            Some(p) => p.to_string(),
            None => "n/a".to_string(),
        }
    }

    /// The key a role's `ports` filter names this row by: `tcp/636`, `udp/500`,
    /// `tcp/rpc-dynamic`, `gre`, `ip/41`.
    pub fn key(&self) -> RowKey {
        RowKey {
            transport: self.transport,
            port: self.port,
        }
    }
}

/// A row of a service named by its transport and port, the way catalog files write them:
/// `tcp/636`, `udp/500`, `tcp/rpc-dynamic`, `tcp/ftp-passive`, `tcp/5000-5100`, and for IP
/// protocols, which have no ports, `gre`, `esp`, `ah` or `ip/41`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey {
    /// The transport.
    pub transport: Transport,
    /// The port; `None` for IP protocols.
    pub port: Option<PortSpec>,
}

impl fmt::Display for RowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}/{}", self.transport.key(), port.key()),
            None => f.write_str(&self.transport.key()),
        }
    }
}

/// Why a row key was refused: the text, what is wrong with it, and how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a row: {problem}; write a transport and port as the catalog does, like \
     `tcp/636`, `udp/500`, `tcp/5000-5100`, `tcp/rpc-dynamic`, `tcp/ftp-passive`, or an IP \
     protocol alone: `gre`, `esp`, `ah`, `ip/41`"
)]
pub struct RowKeyError {
    /// The text given.
    pub input: String,
    /// What is wrong with it.
    pub problem: String,
}

impl FromStr for RowKey {
    type Err = RowKeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = |problem: String| RowKeyError {
            input: text.to_string(),
            problem,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(refuse("it is empty".to_string()));
        }
        // A whole word that is a transport is an IP protocol (`gre`, `ip/41`).
        if let Ok(transport) = trimmed.parse::<Transport>() {
            if transport.has_ports() {
                return Err(refuse(format!(
                    "{transport} rows are named with their port, like `{}/636`",
                    transport.key()
                )));
            }
            return Ok(RowKey {
                transport,
                port: None,
            });
        }
        let Some((transport, port)) = trimmed.split_once('/') else {
            return Err(refuse(
                "a transport and a port separated by `/` are expected".to_string(),
            ));
        };
        let transport: Transport = transport.parse().map_err(|e| refuse(format!("{e}")))?;
        if !transport.has_ports() {
            return Err(refuse(format!(
                "{transport} has no ports: write `{}` alone",
                transport.key()
            )));
        }
        let port: PortSpec = port.parse().map_err(refuse)?;
        Ok(RowKey {
            transport,
            port: Some(port),
        })
    }
}

/// `tcp/636` in human-readable output and catalog files; the transport and port as they are in
/// the compiled catalog, which reads them back without parsing.
impl Serialize for RowKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            (self.transport, self.port).serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for RowKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            let (transport, port) = <(Transport, Option<PortSpec>)>::deserialize(d)?;
            Ok(RowKey { transport, port })
        }
    }
}

/// Which rows of a service a role entry takes: some, by key, or (when empty) every row.
/// The one rule plans, audits and checks share for a role's `ports` filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RowFilter(Vec<RowKey>);

impl RowFilter {
    /// The filter that takes every row.
    pub fn all() -> RowFilter {
        RowFilter(Vec::new())
    }

    /// The filter that takes exactly the rows of `keys` (every row when `keys` is empty).
    pub fn only(keys: impl IntoIterator<Item = RowKey>) -> RowFilter {
        let mut filter = RowFilter::all();
        for key in keys {
            if !filter.0.contains(&key) {
                filter.0.push(key);
            }
        }
        filter
    }

    /// True when the filter takes every row.
    pub fn is_all(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys named; empty when the filter takes every row.
    pub fn keys(&self) -> &[RowKey] {
        &self.0
    }

    /// True when the filter takes `row`.
    pub fn includes(&self, row: &PortRow) -> bool {
        self.includes_key(&row.key())
    }

    /// True when the filter takes the row named `key`.
    pub fn includes_key(&self, key: &RowKey) -> bool {
        self.0.is_empty() || self.0.contains(key)
    }

    /// Widens the filter to also take the rows `other` takes.
    pub fn union(&mut self, other: &RowFilter) {
        if self.is_all() {
            return;
        }
        if other.is_all() {
            self.0.clear();
            return;
        }
        for key in &other.0 {
            if !self.0.contains(key) {
                self.0.push(*key);
            }
        }
    }
}

impl fmt::Display for RowFilter {
    /// `tcp/636, tcp/3269`, or `every row`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("every row");
        }
        for (i, key) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

/// Whether a service runs unless an administrator turns it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Runs where its product or role is installed.
    #[default]
    OnByDefault,
    /// Installed but off unless enabled.
    OffByDefault,
}

/// A port an administrator can change, as the seed describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Configurable {
    /// Which port.
    pub what: String,
    /// Its default.
    pub default: String,
    /// Where or how it is changed.
    pub how: String,
}

/// One service of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Stable identifier (kebab-case).
    pub id: String,
    /// Display name, as the seed's section heading gives it.
    pub name: String,
    /// Name in the seed's port-sorted table, where it differs from `name`.
    pub table_name: Option<String>,
    /// Windows service name (`NtFrs`, `LSASS`, `lanmanserver`).
    pub windows_service: Option<String>,
    /// Executable, where known.
    pub process: Option<String>,
    /// Product the service belongs to.
    pub product: String,
    /// One line in portolan's own words.
    pub summary: String,
    /// On or off by default.
    pub status: Status,
    /// Removed or disabled in later Windows versions.
    pub legacy: bool,
    /// Why an auditor should care when it listens.
    pub risk: Option<String>,
    /// Facts from the seed's prose.
    pub notes: Vec<String>,
    /// Ports an administrator can change.
    pub configurable: Vec<Configurable>,
    /// Ids of errata about the whole service.
    pub errata: Vec<String>,
    /// The rows.
    pub ports: Vec<PortRow>,
    /// True when the service (or its latest definition) comes from a user catalog.
    pub user_defined: bool,
}

impl Service {
    /// The name the seed's port-sorted table uses.
    pub fn table_name(&self) -> &str {
        self.table_name.as_deref().unwrap_or(&self.name)
    }

    /// True when the service's rows include dynamic RPC ports.
    pub fn uses_dynamic_rpc(&self) -> bool {
        self.ports
            .iter()
            .any(|r| r.port == Some(PortSpec::RpcDynamic))
    }
}

/// How an erratum's decision affects the rows that cite it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErratumKind {
    /// The row holds a corrected value; the seed's original is quoted.
    Correction,
    /// The row is kept for fidelity but nothing really listens there.
    Spurious,
    /// The seed lists the row twice in one section; the catalog keeps one.
    Duplicate,
    /// The row is in its section but missing from the port-sorted table.
    NotInTable,
    /// A name differs between places or is not a valid name.
    Naming,
    /// The section has no heading line.
    MissingHeading,
    /// The prose disagrees with the row tables; the tables win.
    Prose,
    /// The seed's wording hides what the row really is.
    Clarification,
    /// The document's own structure or references are inconsistent.
    Document,
}

impl ErratumKind {
    /// Stable machine name, as in the data file.
    pub fn as_str(self) -> &'static str {
        match self {
            ErratumKind::Correction => "correction",
            ErratumKind::Spurious => "spurious",
            ErratumKind::Duplicate => "duplicate",
            ErratumKind::NotInTable => "not-in-table",
            ErratumKind::Naming => "naming",
            ErratumKind::MissingHeading => "missing-heading",
            ErratumKind::Prose => "prose",
            ErratumKind::Clarification => "clarification",
            ErratumKind::Document => "document",
        }
    }
}

/// A place where the seed contradicts itself, and what portolan decided.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erratum {
    /// Stable identifier (kebab-case).
    pub id: String,
    /// What kind of decision it is.
    pub kind: ErratumKind,
    /// The field a correction or naming decision changed ("transport", "windows_service").
    #[serde(default)]
    pub field: Option<String>,
    /// Ids of the services concerned.
    #[serde(default)]
    pub services: Vec<String>,
    /// The seed's original words.
    pub seed: String,
    /// What portolan uses instead.
    pub decision: String,
    /// A short title.
    pub title: String,
    /// Why.
    pub reason: String,
}

/// A server role: the services a server of that kind needs reachable, each with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Role {
    /// Stable identifier (kebab-case), e.g. `domain-controller`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One line on what the role is.
    pub summary: String,
    /// The services of the role, in a meaningful order.
    pub services: Vec<RoleService>,
    /// True when the role (or its latest definition) comes from a user catalog.
    #[serde(default)]
    pub user_defined: bool,
}

/// One service of a role, or some of its rows, with the reason the role needs it. A role may
/// name a service in several entries, for instance once required with some rows and once
/// optional with others.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleService {
    /// Catalog service id.
    pub service: String,
    /// The rows of the service the entry takes; every row when empty.
    #[serde(default)]
    pub ports: RowFilter,
    /// Why the role needs it, in one line.
    pub reason: String,
    /// True when only some deployments of the role need it.
    #[serde(default)]
    pub optional: bool,
    /// Who needs the entry: clients, management hosts, peer servers; every class when empty.
    #[serde(default)]
    pub who: Vec<SourceClass>,
}

/// Who reaches a port of a role: the class of hosts a plan takes sources for
/// (`--from clients=10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceClass {
    /// The users and computers the server serves (domain members, RDP users, DHCP clients).
    Clients,
    /// Administrators' workstations and management servers (WinRM, ADWS, WAC).
    Management,
    /// Other servers of the same role (other DCs, other cluster nodes, the failover partner).
    Peers,
}

impl SourceClass {
    /// Every class, in the order plans list them.
    pub const ALL: [SourceClass; 3] = [
        SourceClass::Clients,
        SourceClass::Management,
        SourceClass::Peers,
    ];

    /// The name the data and the command line use: `clients`, `management`, `peers`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceClass::Clients => "clients",
            SourceClass::Management => "management",
            SourceClass::Peers => "peers",
        }
    }
}

impl fmt::Display for SourceClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a source class was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a source class: expected clients, management or peers")]
pub struct UnknownClass(pub String);

impl FromStr for SourceClass {
    type Err = UnknownClass;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim().to_ascii_lowercase();
        SourceClass::ALL
            .into_iter()
            .find(|c| c.as_str() == t)
            .ok_or_else(|| UnknownClass(text.to_string()))
    }
}

impl RoleService {
    /// The classes that need the entry: its `who`, or every class when it names none.
    pub fn classes(&self) -> &[SourceClass] {
        if self.who.is_empty() {
            &SourceClass::ALL
        } else {
            &self.who
        }
    }

    /// True when this entry takes `row` (a row of the entry's service).
    pub fn includes(&self, row: &PortRow) -> bool {
        self.ports.includes(row)
    }
}

impl Role {
    /// How the role takes `row` of `service`: `None` when no entry takes it, `Some(true)`
    /// when only optional entries do, `Some(false)` when a required one does.
    pub fn row_optional(&self, service: &str, row: &PortRow) -> Option<bool> {
        self.services
            .iter()
            .filter(|entry| entry.service == service && entry.includes(row))
            .map(|entry| entry.optional)
            .reduce(|a, b| a && b)
    }
}

// Erratum, Role and RoleService leave fields at their defaults out of human-readable output
// (JSON, TOML), as catalog files leave them out. The compiled form (crate::compiled) is
// positional, so there every field is written: hence these impls instead of
// `skip_serializing_if`, which cannot ask the serializer.

/// Writes `value` under `key`, or skips it when the output is human-readable and `default`.
fn field_unless_default<M: SerializeStruct, T: Serialize>(
    out: &mut M,
    human: bool,
    key: &'static str,
    value: &T,
    default: bool,
) -> Result<(), M::Error> {
    if human && default {
        out.skip_field(key)
    } else {
        out.serialize_field(key, value)
    }
}

impl Serialize for Erratum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let human = s.is_human_readable();
        let mut out = s.serialize_struct("Erratum", 8)?;
        out.serialize_field("id", &self.id)?;
        out.serialize_field("kind", &self.kind)?;
        field_unless_default(&mut out, human, "field", &self.field, self.field.is_none())?;
        out.serialize_field("services", &self.services)?;
        out.serialize_field("seed", &self.seed)?;
        out.serialize_field("decision", &self.decision)?;
        out.serialize_field("title", &self.title)?;
        out.serialize_field("reason", &self.reason)?;
        out.end()
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let human = s.is_human_readable();
        let mut out = s.serialize_struct("Role", 5)?;
        out.serialize_field("id", &self.id)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("summary", &self.summary)?;
        out.serialize_field("services", &self.services)?;
        let user = self.user_defined;
        field_unless_default(&mut out, human, "user_defined", &user, !user)?;
        out.end()
    }
}

impl Serialize for RoleService {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let human = s.is_human_readable();
        let mut out = s.serialize_struct("RoleService", 5)?;
        out.serialize_field("service", &self.service)?;
        field_unless_default(&mut out, human, "ports", &self.ports, self.ports.is_all())?;
        out.serialize_field("reason", &self.reason)?;
        let optional = self.optional;
        field_unless_default(&mut out, human, "optional", &optional, !optional)?;
        field_unless_default(&mut out, human, "who", &self.who, self.who.is_empty())?;
        out.end()
    }
}
