//! The layer for today's Windows over the seed: what Microsoft's current documents (KB 832017,
//! KB 179442 and the feature documents they lead to) add to, move in, rename in or drop from the
//! 2003 seed, and from which Windows Server version on.
//!
//! The layer is reviewed TOML (`data/modern.toml`), embedded at build time, with the errata of
//! KB 832017 (`data/kb832017-errata.toml`) beside it. It is a *delta*: a seed service that no
//! document changed has no entry, and its seed rows stand for every version. Read
//! `docs/modern.md` for the format; [`Modern::service_rows`] says exactly what a service has at
//! a version.
//!
//! ```
//! use portolan_catalog::{Catalog, Modern, WindowsVersion};
//!
//! let seed = Catalog::builtin().expect("the seed catalog is valid");
//! let modern = Modern::builtin(&seed).expect("the layer is valid");
//! let kdc = modern.service_rows(&seed, "kerberos-kdc", WindowsVersion::W2022);
//! assert!(kdc.iter().any(|r| r.port == Some(portolan_catalog::PortSpec::Single(464))));
//! ```

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::Catalog;
use crate::load::line_column;
use crate::model::{PortSpec, RowKey};
use crate::transport::Transport;

/// The layer, embedded at build time.
pub const BUILTIN_MODERN: &str = include_str!("../data/modern.toml");
/// The errata of KB 832017 and KB 179442, embedded at build time.
pub const BUILTIN_KB_ERRATA: &str = include_str!("../data/kb832017-errata.toml");

const MODERN_ORIGIN: &str = "data/modern.toml (built in)";
const ERRATA_ORIGIN: &str = "data/kb832017-errata.toml (built in)";

/// A Windows Server version the layer knows. Each stands for its release and its R2, with the
/// client of the same generation: 2003 for Server 2003 and XP, 2008 for 2008, 2008 R2, Vista
/// and 7, 2012 for 2012, 2012 R2 and 8/8.1, 2016 to 2025 for those releases and Windows 10/11.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WindowsVersion {
    /// Windows Server 2003: the seed's view.
    W2003,
    /// Windows Server 2008 and 2008 R2.
    W2008,
    /// Windows Server 2012 and 2012 R2.
    W2012,
    /// Windows Server 2016.
    W2016,
    /// Windows Server 2019.
    W2019,
    /// Windows Server 2022.
    W2022,
    /// Windows Server 2025.
    W2025,
}

impl WindowsVersion {
    /// Every version, oldest first.
    pub const ALL: [WindowsVersion; 7] = [
        WindowsVersion::W2003,
        WindowsVersion::W2008,
        WindowsVersion::W2012,
        WindowsVersion::W2016,
        WindowsVersion::W2019,
        WindowsVersion::W2022,
        WindowsVersion::W2025,
    ];

    /// The newest version.
    pub const NEWEST: WindowsVersion = WindowsVersion::W2025;

    /// The year, as the layer and the command line write it: `"2003"` ... `"2025"`.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowsVersion::W2003 => "2003",
            WindowsVersion::W2008 => "2008",
            WindowsVersion::W2012 => "2012",
            WindowsVersion::W2016 => "2016",
            WindowsVersion::W2019 => "2019",
            WindowsVersion::W2022 => "2022",
            WindowsVersion::W2025 => "2025",
        }
    }
}

impl fmt::Display for WindowsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a Windows version was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a Windows Server version: expected 2003, 2008, 2012, 2016, 2019, 2022 or 2025"
)]
pub struct UnknownVersion(pub String);

impl FromStr for WindowsVersion {
    type Err = UnknownVersion;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        WindowsVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == text.trim())
            .ok_or_else(|| UnknownVersion(text.to_string()))
    }
}

/// The year (`"2025"`) in human-readable output and catalog files; the position in
/// [`WindowsVersion::ALL`] in the compiled catalog, which reads it back without parsing.
impl<'de> Deserialize<'de> for WindowsVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            text.parse().map_err(de::Error::custom)
        } else {
            let index = u8::deserialize(d)?;
            WindowsVersion::ALL
                .get(usize::from(index))
                .copied()
                .ok_or_else(|| de::Error::custom(format!("no Windows version at index {index}")))
        }
    }
}

impl Serialize for WindowsVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(self.as_str())
        } else {
            // The position in ALL: at most 6.
            let index = WindowsVersion::ALL
                .iter()
                .position(|v| v == self)
                .unwrap_or(0);
            s.serialize_u8(u8::try_from(index).unwrap_or(u8::MAX))
        }
    }
}

/// How a row of the layer differs from the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowChange {
    /// A seed row the current documents confirm (it may carry today's label in `app`).
    Kept,
    /// A seed row that today's documents call by another name (`app`; the seed's in `aka`).
    Renamed,
    /// A row the seed does not have.
    Added,
    /// A row that ends with `until` and continues on another port (`moved_to`).
    Moved,
    /// A row that ends with `until`.
    Dropped,
    /// A row that another service answers after `until` (`owner`), or that this service took
    /// over from `previous_owner`.
    ReOwned,
}

impl RowChange {
    /// The name the layer writes: `kept`, `renamed`, `added`, `moved`, `dropped`, `re-owned`.
    pub fn as_str(self) -> &'static str {
        match self {
            RowChange::Kept => "kept",
            RowChange::Renamed => "renamed",
            RowChange::Added => "added",
            RowChange::Moved => "moved",
            RowChange::Dropped => "dropped",
            RowChange::ReOwned => "re-owned",
        }
    }
}

/// How a service of the layer differs from the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceChange {
    /// The seed's service, under the same name; only rows change.
    Kept,
    /// The seed's service under today's name (or today's Windows service name).
    Renamed,
    /// A service the seed does not have.
    Added,
    /// A seed service that ends with `until`.
    Dropped,
    /// A seed service that another (`replaced_by`) takes over after `until`.
    Replaced,
}

/// A document the layer cites, by key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocSource {
    /// The key rows cite: `seed`, `kb832017`, `kb179442`, ...
    pub key: String,
    /// The document's title.
    pub title: String,
    /// Where Microsoft publishes it.
    pub url: String,
    /// The stored copy read, or other notes about the version read.
    #[serde(default)]
    pub note: Option<String>,
}

/// The ports a dynamic spec stands for from one version to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DynamicRange {
    /// `rpc-dynamic` or `ftp-passive`.
    pub spec: PortSpec,
    /// First and last port.
    pub ports: (u16, u16),
    /// First version with this range.
    pub since: WindowsVersion,
    /// Last version with this range; `None` while it holds.
    pub until: Option<WindowsVersion>,
    /// `kept` for the seed's range, `moved` for a range that replaced it.
    pub change: RowChange,
    /// Source keys.
    pub sources: Vec<String>,
    /// In our own words.
    pub note: Option<String>,
}

/// A service of the layer: a seed service today's documents change, or a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModernService {
    /// Stable id; a seed service keeps its catalog id.
    pub id: String,
    /// The seed service (catalog id) this entry continues, if any.
    pub seed: Option<String>,
    /// Today's display name.
    pub name: String,
    /// Today's Windows service name.
    pub windows_service: Option<String>,
    /// Further Windows service names of the same entry (KB 832017 gives two for one section).
    pub also_windows_services: Vec<String>,
    /// The heading of the KB 832017 section (and caption, after ` / `, where one section
    /// has several tables).
    pub kb_section: Option<String>,
    /// The names KB 832017's port-sorted table uses for the service.
    pub kb_table_names: Vec<String>,
    /// First version with the service.
    pub since: WindowsVersion,
    /// Last version with the service; `None` while it ships.
    pub until: Option<WindowsVersion>,
    /// How it differs from the seed.
    pub change: ServiceChange,
    /// The seed service (catalog id) this one takes over from.
    pub replaces: Option<String>,
    /// The layer service that takes over after `until`.
    pub replaced_by: Option<String>,
    /// Source keys.
    pub sources: Vec<String>,
    /// One line in our own words.
    pub summary: String,
    /// Facts from the sources, in our own words.
    pub notes: Vec<String>,
    /// Ids of KB errata about the service as a whole.
    pub errata: Vec<String>,
    /// The rows that differ from the seed (or all rows of a new service).
    pub rows: Vec<ModernRow>,
}

impl ModernService {
    /// True when the service exists at `version`.
    pub fn applies_to(&self, version: WindowsVersion) -> bool {
        self.since <= version && self.until.is_none_or(|u| version <= u)
    }
}

/// A row of the layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModernRow {
    /// Application protocol, as today's documents name it.
    pub app: String,
    /// Other names the documents give the same row (the seed's label first, when renamed).
    pub aka: Vec<String>,
    /// TCP, UDP or an IP protocol (ICMP is `ip/1`).
    pub transport: Transport,
    /// The port; `None` for IP protocols.
    pub port: Option<PortSpec>,
    /// The seed row this row is (by transport and port); `None` for added rows.
    pub seed_row: Option<RowKey>,
    /// First version with the row (2003 for seed rows).
    pub since: WindowsVersion,
    /// Last version with the row; `None` while it holds.
    pub until: Option<WindowsVersion>,
    /// How it differs from the seed.
    pub change: RowChange,
    /// For a moved row: the row of the same service that continues it.
    pub moved_to: Option<RowKey>,
    /// For a re-owned row that ends: the layer service that answers it afterwards.
    pub owner: Option<String>,
    /// For a re-owned row that starts: the service that answered it before.
    pub previous_owner: Option<String>,
    /// Source keys.
    pub sources: Vec<String>,
    /// Used only when a feature is on or in some deployments.
    pub optional: bool,
    /// Taken from a document's prose rather than from a table.
    pub from_prose: bool,
    /// In our own words.
    pub note: Option<String>,
    /// Ids of KB errata about the row.
    pub errata: Vec<String>,
}

impl ModernRow {
    /// True when the row exists at `version`.
    pub fn applies_to(&self, version: WindowsVersion) -> bool {
        self.since <= version && self.until.is_none_or(|u| version <= u)
    }

    /// The row's transport and port, as catalog files write them.
    pub fn key(&self) -> RowKey {
        RowKey {
            transport: self.transport,
            port: self.port,
        }
    }

    /// True when `app` is one of the row's names.
    pub fn named(&self, app: &str) -> bool {
        self.app == app || self.aka.iter().any(|a| a == app)
    }
}

/// What kind of problem a KB erratum records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KbErratumKind {
    /// A value is wrong; the layer holds the corrected one.
    Correction,
    /// The row is not a real listener of the service (or of Windows).
    Spurious,
    /// A name differs between places, or is not a valid name.
    Naming,
    /// A section row is missing from the port-sorted table.
    NotInTable,
    /// A port-table row has no section behind it.
    NotInSections,
    /// The port-sorted table is out of order.
    Order,
    /// Another document (the seed, KB 179442, a feature document) says otherwise.
    Contradiction,
    /// Not Windows: the row belongs to another product's documentation.
    OutOfScope,
}

/// A table row of a document an erratum explains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KbRowRef {
    /// The section heading (with ` / caption`), or `Ports and protocols` for the port table.
    pub section: String,
    /// The row's cells, trimmed, joined by `|`, exactly as the document prints them.
    pub row: String,
}

/// Where KB 832017 (or KB 179442) contradicts itself, the seed or reality, and the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KbErratum {
    /// Stable id, cited by layer services and rows.
    pub id: String,
    /// One line.
    pub title: String,
    /// What kind of problem.
    pub kind: KbErratumKind,
    /// `kb832017` or `kb179442`.
    pub document: String,
    /// Layer or seed service ids concerned.
    #[serde(default)]
    pub services: Vec<String>,
    /// The document's own words, each verbatim.
    pub quotes: Vec<String>,
    /// The table rows this erratum explains.
    #[serde(default)]
    pub rows: Vec<KbRowRef>,
    /// What portolan decided.
    pub decision: String,
    /// Why.
    pub reason: String,
}

/// The layer: sources, dynamic ranges, services and the KB errata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modern {
    sources: Vec<DocSource>,
    ranges: Vec<DynamicRange>,
    services: Vec<ModernService>,
    errata: Vec<KbErratum>,
    roles: Vec<ModernRole>,
}

/// Where a row of [`Modern::service_rows`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOrigin {
    /// A seed row no layer row restates.
    Seed,
    /// A layer row (which may restate a seed row).
    Layer,
}

/// A row a service has at a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    /// Application protocol (today's name for layer rows).
    pub app: String,
    /// Other names of the row.
    pub aka: Vec<String>,
    /// The transport.
    pub transport: Transport,
    /// The port.
    pub port: Option<PortSpec>,
    /// Used only when a feature is on or in some deployments.
    pub optional: bool,
    /// Seed or layer.
    pub origin: RowOrigin,
    /// How a layer row differs from the seed; `None` for seed rows.
    pub change: Option<RowChange>,
    /// Index of the row among its seed service's rows: the seed row itself, or the seed row a
    /// layer row restates.
    pub seed_index: Option<usize>,
    /// Index of the row among its layer service's rows, for layer rows.
    pub layer_index: Option<usize>,
}

/// The layer or its errata could not be read: where, which entry, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}:{column}: {context}: {problem}")]
pub struct ModernError {
    /// The file.
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The entry: `service kerberos-kdc, row udp/464 (Kerberos Password V5)`.
    pub context: String,
    /// What is wrong and what was expected.
    pub problem: String,
}

impl Modern {
    /// The built-in layer and KB errata, checked against `seed` (normally
    /// [`Catalog::builtin`]).
    pub fn builtin(seed: &Catalog) -> Result<Modern, ModernError> {
        Modern::parse(
            MODERN_ORIGIN,
            BUILTIN_MODERN,
            ERRATA_ORIGIN,
            BUILTIN_KB_ERRATA,
            seed,
        )?
        .with_roles(roles::ROLES_ORIGIN, BUILTIN_MODERN_ROLES, seed)
    }

    /// Reads and checks a layer (`layer`) and its errata (`errata`) against `seed`;
    /// `*_origin` name the files in errors.
    pub fn parse(
        layer_origin: &str,
        layer: &str,
        errata_origin: &str,
        errata: &str,
        seed: &Catalog,
    ) -> Result<Modern, ModernError> {
        let raw_errata: RawErrata = from_toml(errata_origin, errata)?;
        let raw: RawLayer = from_toml(layer_origin, layer)?;
        let mut checker = Checker {
            errata_origin,
            errata_text: errata,
            errata_at: Vec::new(),
            origin: layer_origin,
            text: layer,
            seed,
        };
        let errata = checker.errata(errata_origin, errata, raw_errata)?;
        checker.layer(raw, errata)
    }

    /// Every source, in the file's order.
    pub fn sources(&self) -> &[DocSource] {
        &self.sources
    }

    /// The source with this key.
    pub fn source(&self, key: &str) -> Option<&DocSource> {
        self.sources.iter().find(|s| s.key == key)
    }

    /// Every dynamic range, in the file's order.
    pub fn ranges(&self) -> &[DynamicRange] {
        &self.ranges
    }

    /// The ports a dynamic spec (`rpc-dynamic`, `ftp-passive`) stands for at `version`.
    pub fn dynamic_range(&self, spec: PortSpec, version: WindowsVersion) -> Option<(u16, u16)> {
        self.ranges
            .iter()
            .find(|r| r.spec == spec && r.since <= version && r.until.is_none_or(|u| version <= u))
            .map(|r| r.ports)
    }

    /// Every service of the layer, in the file's order.
    pub fn services(&self) -> &[ModernService] {
        &self.services
    }

    /// The layer service with this id.
    pub fn service(&self, id: &str) -> Option<&ModernService> {
        self.services.iter().find(|s| s.id == id)
    }

    /// Every KB erratum, in the file's order.
    pub fn errata(&self) -> &[KbErratum] {
        &self.errata
    }

    /// The KB erratum with this id.
    pub fn erratum(&self, id: &str) -> Option<&KbErratum> {
        self.errata.iter().find(|e| e.id == id)
    }

    /// The rows service `id` (a layer or seed id) has at `version`.
    ///
    /// At 2003 this is exactly the seed. Later, a service with no layer entry keeps its seed
    /// rows; one with an entry has nothing outside its `since`..`until`, and otherwise has its
    /// seed service's rows that no layer row restates, plus its layer rows that apply.
    pub fn service_rows(
        &self,
        seed: &Catalog,
        id: &str,
        version: WindowsVersion,
    ) -> Vec<VersionRow> {
        let seed_rows = |seed_id: &str| -> Vec<(usize, &crate::model::PortRow)> {
            seed.service(seed_id)
                .map(|s| s.ports.iter().enumerate().collect())
                .unwrap_or_default()
        };
        let from_seed = |(i, r): (usize, &crate::model::PortRow)| VersionRow {
            app: r.app.clone(),
            aka: Vec::new(),
            transport: r.transport,
            port: r.port,
            optional: r.optional,
            origin: RowOrigin::Seed,
            change: None,
            seed_index: Some(i),
            layer_index: None,
        };
        let layer = self.service(id);
        if version == WindowsVersion::W2003 {
            let seed_id = layer.map_or(Some(id), |l| l.seed.as_deref());
            return seed_id
                .map(|s| seed_rows(s).into_iter().map(from_seed).collect())
                .unwrap_or_default();
        }
        let Some(layer) = layer else {
            return seed_rows(id).into_iter().map(from_seed).collect();
        };
        if !layer.applies_to(version) {
            return Vec::new();
        }
        let seed_of_layer = layer.seed.as_deref().map(seed_rows).unwrap_or_default();
        let mut rows: Vec<VersionRow> = seed_of_layer
            .iter()
            .copied()
            .filter(|(_, r)| !layer.rows.iter().any(|l| restates(l, r)))
            .map(from_seed)
            .collect();
        rows.extend(
            layer
                .rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.applies_to(version))
                .map(|(i, r)| VersionRow {
                    app: r.app.clone(),
                    aka: r.aka.clone(),
                    transport: r.transport,
                    port: r.port,
                    optional: r.optional,
                    origin: RowOrigin::Layer,
                    change: Some(r.change),
                    seed_index: seed_of_layer
                        .iter()
                        .find(|(_, s)| restates(r, s))
                        .map(|(i, _)| *i),
                    layer_index: Some(i),
                }),
        );
        rows
    }
}

/// True when the layer row `l` restates the seed row `r`.
fn restates(l: &ModernRow, r: &crate::model::PortRow) -> bool {
    l.seed_row == Some(r.key()) && l.named(&r.app)
}

// ------------------------------------------------------------------------------------------
// Raw file shapes.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    #[serde(default)]
    source: Vec<Spanned<DocSource>>,
    #[serde(default)]
    range: Vec<Spanned<RawRange>>,
    #[serde(default)]
    service: Vec<Spanned<RawService>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    spec: String,
    ports: String,
    since: Option<String>,
    until: Option<String>,
    change: RowChange,
    sources: Vec<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    id: String,
    seed: Option<String>,
    name: String,
    windows_service: Option<String>,
    #[serde(default)]
    also_windows_services: Vec<String>,
    kb_section: Option<String>,
    #[serde(default)]
    kb_table_names: Vec<String>,
    since: Option<String>,
    until: Option<String>,
    change: ServiceChange,
    replaces: Option<String>,
    replaced_by: Option<String>,
    sources: Vec<String>,
    summary: String,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    errata: Vec<String>,
    #[serde(default)]
    rows: Vec<Spanned<RawRow>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    app: String,
    #[serde(default)]
    aka: Vec<String>,
    transport: String,
    port: Option<RawPort>,
    seed_row: Option<String>,
    since: Option<String>,
    until: Option<String>,
    change: RowChange,
    moved_to: Option<String>,
    owner: Option<String>,
    previous_owner: Option<String>,
    sources: Vec<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    from_prose: bool,
    note: Option<String>,
    #[serde(default)]
    errata: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawErrata {
    #[serde(default)]
    erratum: Vec<Spanned<KbErratum>>,
}

/// A port as written: a number or text; checked by the checker so errors name the row.
enum RawPort {
    Number(i64),
    Text(String),
}

impl<'de> Deserialize<'de> for RawPort {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PortVisitor;
        impl de::Visitor<'_> for PortVisitor {
            type Value = RawPort;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number or text like \"5000-5100\" or \"rpc-dynamic\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawPort, E> {
                Ok(RawPort::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawPort, E> {
                Ok(RawPort::Text(v.to_string()))
            }
        }
        d.deserialize_any(PortVisitor)
    }
}

fn from_toml<T: serde::de::DeserializeOwned>(origin: &str, text: &str) -> Result<T, ModernError> {
    toml::from_str::<T>(text).map_err(|e| {
        let (line, column) = line_column(text, e.span().map_or(0, |s| s.start));
        ModernError {
            origin: origin.to_string(),
            line,
            column,
            context: "file".to_string(),
            problem: e.message().trim().to_string(),
        }
    })
}

/// Reads a transport, accepting `icmp` (IP protocol 1) and `icmpv6` (58) beside the
/// catalog's names.
fn parse_transport(text: &str) -> Result<Transport, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "icmp" => Ok(Transport::Ip(1)),
        "icmpv6" => Ok(Transport::Ip(58)),
        _ => text.parse().map_err(|e| format!("{e}")),
    }
}

fn parse_port(port: &RawPort) -> Result<PortSpec, String> {
    match port {
        RawPort::Number(n) => match u16::try_from(*n) {
            Ok(p) if p != 0 => Ok(PortSpec::Single(p)),
            _ => Err(format!(
                "port {n} is out of range: ports run from 1 to 65535"
            )),
        },
        RawPort::Text(t) => t.parse(),
    }
}

struct Checker<'a> {
    errata_origin: &'a str,
    errata_text: &'a str,
    /// Where each erratum starts in the errata file.
    errata_at: Vec<usize>,
    origin: &'a str,
    text: &'a str,
    seed: &'a Catalog,
}

impl Checker<'_> {
    fn error(
        &self,
        span: Range<usize>,
        context: impl Into<String>,
        problem: impl Into<String>,
    ) -> ModernError {
        let (line, column) = line_column(self.text, span.start);
        ModernError {
            origin: self.origin.to_string(),
            line,
            column,
            context: context.into(),
            problem: problem.into(),
        }
    }

    fn version(
        &self,
        span: &Range<usize>,
        context: &str,
        field: &str,
        text: Option<&str>,
    ) -> Result<Option<WindowsVersion>, ModernError> {
        text.map(|t| {
            t.parse::<WindowsVersion>()
                .map_err(|e| self.error(span.clone(), context, format!("{field}: {e}")))
        })
        .transpose()
    }

    fn errata(
        &mut self,
        origin: &str,
        text: &str,
        raw: RawErrata,
    ) -> Result<Vec<KbErratum>, ModernError> {
        let mut ids = HashSet::new();
        let mut out = Vec::new();
        for spanned in raw.erratum {
            let span = spanned.span();
            let e = spanned.into_inner();
            let fail = |problem: String| {
                let (line, column) = line_column(text, span.start);
                ModernError {
                    origin: origin.to_string(),
                    line,
                    column,
                    context: format!("erratum {}", e.id),
                    problem,
                }
            };
            if !ids.insert(e.id.clone()) {
                return Err(fail("the id is used twice".to_string()));
            }
            if !matches!(e.document.as_str(), "kb832017" | "kb179442") {
                return Err(fail(format!(
                    "document `{}` is not kb832017 or kb179442",
                    e.document
                )));
            }
            if e.quotes.is_empty() {
                return Err(fail(
                    "quotes is empty: quote the document's own words".to_string(),
                ));
            }
            out.push(e);
            self.errata_at.push(span.start);
        }
        Ok(out)
    }

    fn layer(&mut self, raw: RawLayer, errata: Vec<KbErratum>) -> Result<Modern, ModernError> {
        let mut sources: Vec<DocSource> = Vec::new();
        for s in raw.source {
            let span = s.span();
            let s = s.into_inner();
            if sources.iter().any(|o| o.key == s.key) {
                return Err(self.error(span, format!("source {}", s.key), "the key is used twice"));
            }
            sources.push(s);
        }
        let known_source = |key: &str| sources.iter().any(|s| s.key == key);
        let check_sources = |span: &Range<usize>, context: &str, keys: &[String]| {
            if keys.is_empty() {
                return Err(self.error(
                    span.clone(),
                    context,
                    "sources is empty: every entry names its source",
                ));
            }
            match keys.iter().find(|k| !known_source(k)) {
                Some(k) => Err(self.error(
                    span.clone(),
                    context,
                    format!("unknown source `{k}`: add a [[source]] with this key"),
                )),
                None => Ok(()),
            }
        };
        let check_errata = |span: &Range<usize>, context: &str, ids: &[String]| match ids
            .iter()
            .find(|id| !errata.iter().any(|e| &e.id == *id))
        {
            Some(id) => Err(self.error(
                span.clone(),
                context,
                format!("unknown erratum `{id}`: not in kb832017-errata.toml"),
            )),
            None => Ok(()),
        };

        let mut ranges = Vec::new();
        let mut range_spans = Vec::new();
        for r in raw.range {
            let span = r.span();
            range_spans.push(span.clone());
            let r = r.into_inner();
            let context = format!("range {} {}", r.spec, r.ports);
            let spec: PortSpec = r
                .spec
                .parse()
                .ok()
                .filter(|s: &PortSpec| s.is_dynamic())
                .ok_or_else(|| {
                    self.error(
                        span.clone(),
                        &context,
                        "spec must be rpc-dynamic or ftp-passive",
                    )
                })?;
            let ports = match r.ports.parse::<PortSpec>() {
                Ok(PortSpec::Range(a, b)) => (a, b),
                _ => {
                    return Err(self.error(
                        span,
                        &context,
                        "ports must be a range like \"49152-65535\"",
                    ));
                }
            };
            let since = self
                .version(&span, &context, "since", r.since.as_deref())?
                .unwrap_or(WindowsVersion::W2003);
            let until = self.version(&span, &context, "until", r.until.as_deref())?;
            if until.is_some_and(|u| u < since) {
                return Err(self.error(span, &context, "since is after until"));
            }
            check_sources(&span, &context, &r.sources)?;
            ranges.push(DynamicRange {
                spec,
                ports,
                since,
                until,
                change: r.change,
                sources: r.sources,
                note: r.note,
            });
        }
        for v in WindowsVersion::ALL {
            for spec in [PortSpec::RpcDynamic, PortSpec::FtpPassive] {
                let holding: Vec<usize> = ranges
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| {
                        r.spec == spec && r.since <= v && r.until.is_none_or(|u| v <= u)
                    })
                    .map(|(i, _)| i)
                    .collect();
                if let [first, second, ..] = holding[..] {
                    return Err(self.error(
                        range_spans[second].clone(),
                        format!(
                            "range {} {}-{}",
                            spec.key(),
                            ranges[second].ports.0,
                            ranges[second].ports.1
                        ),
                        format!(
                            "it holds at {v} as the range {}-{} does: one range per version",
                            ranges[first].ports.0, ranges[first].ports.1
                        ),
                    ));
                }
            }
        }

        let ids: Vec<String> = raw.service.iter().map(|s| s.get_ref().id.clone()).collect();
        let mut services = Vec::new();
        let mut seen = HashSet::new();
        for s in raw.service {
            let span = s.span();
            let s = s.into_inner();
            let context = format!("service {}", s.id);
            if !seen.insert(s.id.clone()) {
                return Err(self.error(span, &context, "the id is used twice"));
            }
            let seed_service = match &s.seed {
                Some(seed_id) => {
                    let found = self.seed.service(seed_id).ok_or_else(|| {
                        self.error(
                            span.clone(),
                            &context,
                            format!("seed `{seed_id}` is not a service of catalog.toml"),
                        )
                    })?;
                    if *seed_id != s.id {
                        return Err(self.error(
                            span.clone(),
                            &context,
                            format!("a seed service keeps its id: write id = \"{seed_id}\""),
                        ));
                    }
                    Some(found)
                }
                None => {
                    if self.seed.service(&s.id).is_some() {
                        return Err(self.error(
                            span.clone(),
                            &context,
                            "the id is a seed service's: add seed = the same id",
                        ));
                    }
                    None
                }
            };
            let since = self.version(&span, &context, "since", s.since.as_deref())?;
            let until = self.version(&span, &context, "until", s.until.as_deref())?;
            let since = match (seed_service, since) {
                (Some(_), None) => WindowsVersion::W2003,
                (Some(_), Some(_)) => {
                    return Err(self.error(
                        span,
                        &context,
                        "a seed service starts in 2003: leave since out",
                    ));
                }
                (None, Some(WindowsVersion::W2003)) | (None, None) => {
                    return Err(self.error(span, &context, "a service the seed lacks needs since = 2008 or later (2003 is the seed's view)"));
                }
                (None, Some(v)) => v,
            };
            if until.is_some_and(|u| u < since) {
                return Err(self.error(span, &context, "since is after until"));
            }
            match (s.change, seed_service.is_some(), until.is_some()) {
                (ServiceChange::Added, true, _) => {
                    return Err(self.error(
                        span,
                        &context,
                        "change = added, but the service continues a seed service",
                    ));
                }
                (
                    ServiceChange::Kept
                    | ServiceChange::Renamed
                    | ServiceChange::Dropped
                    | ServiceChange::Replaced,
                    false,
                    _,
                ) => {
                    return Err(self.error(
                        span,
                        &context,
                        "only a seed service can be kept, renamed, dropped or replaced",
                    ));
                }
                (ServiceChange::Dropped | ServiceChange::Replaced, _, false) => {
                    return Err(self.error(
                        span,
                        &context,
                        "a dropped or replaced service needs until",
                    ));
                }
                _ => {}
            }
            if let Some(svc) = seed_service {
                let service_name_differs = svc.windows_service.as_deref().is_some_and(|w| {
                    s.windows_service
                        .as_deref()
                        .is_none_or(|n| !n.eq_ignore_ascii_case(w))
                });
                let differs = svc.name != s.name || service_name_differs;
                match s.change {
                    ServiceChange::Kept if differs => {
                        return Err(self.error(
                            span,
                            &context,
                            format!(
                                "change = kept, but the seed calls it `{}` ({}): use renamed",
                                svc.name,
                                svc.windows_service.as_deref().unwrap_or("no service name")
                            ),
                        ));
                    }
                    ServiceChange::Renamed if !differs => {
                        return Err(self.error(
                            span,
                            &context,
                            "change = renamed, but name and service name are the seed's: use kept",
                        ));
                    }
                    _ => {}
                }
            }
            if (s.change == ServiceChange::Replaced) != s.replaced_by.is_some() {
                return Err(self.error(
                    span,
                    &context,
                    "replaced_by goes with change = replaced, and only with it",
                ));
            }
            if let Some(by) = &s.replaced_by {
                if !ids.contains(by) {
                    return Err(self.error(
                        span,
                        &context,
                        format!("replaced_by `{by}` is not a service of the layer"),
                    ));
                }
            }
            if let Some(r) = &s.replaces {
                if self.seed.service(r).is_none() {
                    return Err(self.error(
                        span,
                        &context,
                        format!("replaces `{r}` is not a service of catalog.toml"),
                    ));
                }
            }
            check_sources(&span, &context, &s.sources)?;
            check_errata(&span, &context, &s.errata)?;

            let mut rows = Vec::new();
            for row in s.rows {
                let rspan = row.span();
                let row = row.into_inner();
                let rcontext = format!("service {}, row {} {}", s.id, row.transport, row.app);
                let err = |problem: String| self.error(rspan.clone(), &rcontext, problem);
                let transport = parse_transport(&row.transport).map_err(&err)?;
                let port = row
                    .port
                    .as_ref()
                    .map(parse_port)
                    .transpose()
                    .map_err(&err)?;
                match (transport.has_ports(), port) {
                    (true, None) => return Err(err(format!("a {transport} row needs a port"))),
                    (false, Some(_)) => {
                        return Err(err(format!("{transport} has no ports: leave port out")));
                    }
                    _ => {}
                }
                let key = RowKey { transport, port };
                let rcontext = format!("service {}, row {key} ({})", s.id, row.app);
                let err = |problem: String| self.error(rspan.clone(), &rcontext, problem);
                let parse_key = |text: &str, field: &str| {
                    text.parse::<RowKey>()
                        .map_err(|e| err(format!("{field}: {e}")))
                };
                let seed_row = row
                    .seed_row
                    .as_deref()
                    .map(|t| parse_key(t, "seed_row"))
                    .transpose()?;
                let since = self.version(&rspan, &rcontext, "since", row.since.as_deref())?;
                let until = self.version(&rspan, &rcontext, "until", row.until.as_deref())?;
                let since = match (seed_row, since) {
                    (Some(k), _) if k != key => {
                        return Err(err(format!(
                            "seed_row {k} differs from the row's own transport and port"
                        )));
                    }
                    (Some(_), Some(_)) => {
                        return Err(err("a seed row starts in 2003: leave since out".to_string()));
                    }
                    (Some(_), None) => WindowsVersion::W2003,
                    (None, None) | (None, Some(WindowsVersion::W2003)) => {
                        return Err(err("a row the seed lacks needs since = 2008 or later (2003 is the seed's view)".to_string()));
                    }
                    (None, Some(v)) => v,
                };
                if until.is_some_and(|u| u < since) {
                    return Err(err(format!(
                        "since {since} is after until {}",
                        until.map_or("", WindowsVersion::as_str)
                    )));
                }
                if seed_row.is_some() {
                    let Some(svc) = seed_service else {
                        return Err(err(
                            "seed_row in a service that continues no seed service".to_string()
                        ));
                    };
                    let names_one = svc
                        .ports
                        .iter()
                        .any(|p| p.key() == key && (p.app == row.app || row.aka.contains(&p.app)));
                    if !names_one {
                        return Err(err(format!(
                            "seed service {} has no row {key} named `{}` (or one of aka)",
                            svc.id, row.app
                        )));
                    }
                }
                let moved_to = row
                    .moved_to
                    .as_deref()
                    .map(|t| parse_key(t, "moved_to"))
                    .transpose()?;
                let consistent = match row.change {
                    RowChange::Kept | RowChange::Renamed => seed_row.is_some() && until.is_none(),
                    RowChange::Added => seed_row.is_none(),
                    RowChange::Moved => until.is_some() && moved_to.is_some(),
                    RowChange::Dropped => until.is_some(),
                    RowChange::ReOwned => {
                        (until.is_some() && row.owner.is_some())
                            || (seed_row.is_none() && row.previous_owner.is_some())
                    }
                };
                if !consistent {
                    return Err(err(format!(
                        "change = {} does not fit: kept/renamed restate a seed row with no until; added has no seed_row; moved needs until and moved_to; dropped needs until; re-owned needs until and owner, or previous_owner on a new row",
                        row.change.as_str()
                    )));
                }
                if row.change == RowChange::Kept
                    && seed_service.is_some_and(|svc| {
                        !svc.ports.iter().any(|p| p.key() == key && p.app == row.app)
                    })
                {
                    return Err(err(
                        "change = kept, but the seed calls it otherwise: use renamed, with the seed's name in aka"
                            .to_string(),
                    ));
                }
                if row.change == RowChange::Renamed
                    && seed_service.is_some_and(|svc| {
                        svc.ports.iter().any(|p| p.key() == key && p.app == row.app)
                    })
                {
                    return Err(err(
                        "change = renamed, but the seed already calls it so: use kept".to_string(),
                    ));
                }
                if moved_to.is_some() != (row.change == RowChange::Moved) {
                    return Err(err(
                        "moved_to goes with change = moved, and only with it".to_string()
                    ));
                }
                for (field, id) in [
                    ("owner", &row.owner),
                    ("previous_owner", &row.previous_owner),
                ] {
                    if let Some(id) = id {
                        if !ids.contains(id) && self.seed.service(id).is_none() {
                            return Err(err(format!(
                                "{field} `{id}` is neither a layer nor a seed service"
                            )));
                        }
                    }
                }
                check_sources(&rspan, &rcontext, &row.sources)?;
                check_errata(&rspan, &rcontext, &row.errata)?;
                rows.push(ModernRow {
                    app: row.app,
                    aka: row.aka,
                    transport,
                    port,
                    seed_row,
                    since,
                    until,
                    change: row.change,
                    moved_to,
                    owner: row.owner,
                    previous_owner: row.previous_owner,
                    sources: row.sources,
                    optional: row.optional,
                    from_prose: row.from_prose,
                    note: row.note,
                    errata: row.errata,
                });
            }
            // A moved row's continuation is a row of the same service.
            for row in rows.iter().filter(|r| r.change == RowChange::Moved) {
                let Some(to) = row.moved_to else { continue };
                let in_layer = rows.iter().any(|r| r.key() == to);
                let in_seed =
                    seed_service.is_some_and(|svc| svc.ports.iter().any(|p| p.key() == to));
                if !in_layer && !in_seed {
                    return Err(self.error(
                        span.clone(),
                        format!("service {}, row {} ({})", s.id, row.key(), row.app),
                        format!("moved_to {to} is not a row of the service"),
                    ));
                }
            }
            services.push(ModernService {
                id: s.id,
                seed: s.seed,
                name: s.name,
                windows_service: s.windows_service,
                also_windows_services: s.also_windows_services,
                kb_section: s.kb_section,
                kb_table_names: s.kb_table_names,
                since,
                until,
                change: s.change,
                replaces: s.replaces,
                replaced_by: s.replaced_by,
                sources: s.sources,
                summary: s.summary,
                notes: s.notes,
                errata: s.errata,
                rows,
            });
        }
        for (i, e) in errata.iter().enumerate() {
            if let Some(bad) = e
                .services
                .iter()
                .find(|id| !ids.contains(id) && self.seed.service(id).is_none())
            {
                let at = self.errata_at.get(i).copied().unwrap_or(0);
                let (line, column) = line_column(self.errata_text, at);
                return Err(ModernError {
                    origin: self.errata_origin.to_string(),
                    line,
                    column,
                    context: format!("erratum {}", e.id),
                    problem: format!("service `{bad}` is neither a layer nor a seed service"),
                });
            }
        }
        Ok(Modern {
            sources,
            ranges,
            services,
            errata,
            roles: Vec::new(),
        })
    }
}

mod roles;

pub use roles::{BUILTIN_MODERN_ROLES, ModernRole, ModernRoleEntry};

#[cfg(test)]
mod tests;
