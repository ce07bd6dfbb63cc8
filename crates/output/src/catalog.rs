//! Catalog results as stable JSON records and as grids.
//!
//! The JSON field names here are a public interface (documented in docs/json.md): add fields,
//! never rename or remove them without raising [`SCHEMA_VERSION`].

use serde::Serialize;

use portolan_catalog::{Catalog, Erratum, PortRow, PortSpec, Role, RowRef, Service};

use crate::grid::{Grid, GridCell, Tone};

/// Version of the JSON shapes below.
pub const SCHEMA_VERSION: u32 = 1;

/// An erratum as it is shown beside a row or service.
#[derive(Debug, Clone, Serialize)]
pub struct ErratumView<'c> {
    /// Erratum id.
    pub id: &'c str,
    /// Kind (correction, spurious, ...).
    pub kind: &'static str,
    /// Short title.
    pub title: &'c str,
    /// The seed's original words.
    pub seed: &'c str,
    /// What portolan decided.
    pub decision: &'c str,
}

impl<'c> From<&'c Erratum> for ErratumView<'c> {
    fn from(e: &'c Erratum) -> Self {
        ErratumView {
            id: &e.id,
            kind: e.kind.as_str(),
            title: &e.title,
            seed: &e.seed,
            decision: &e.decision,
        }
    }
}

/// The port fields shared by every row record.
#[derive(Debug, Clone, Serialize)]
pub struct PortFields<'c> {
    /// Application protocol.
    pub app_protocol: &'c str,
    /// `tcp`, `udp`, `gre`, `esp`, `ah` or `ip/<n>`.
    pub transport: String,
    /// IP protocol number (6 TCP, 17 UDP, 47 GRE, ...).
    pub ip_protocol: u8,
    /// First (or only) port; null for IP protocols and dynamic ports.
    pub port: Option<u16>,
    /// Last port of a range; null otherwise.
    pub port_end: Option<u16>,
    /// `fixed`, `range`, `rpc-dynamic`, `ftp-passive` or `none` (IP protocols).
    pub port_kind: &'static str,
    /// False when an erratum decided nothing really listens there.
    pub listener: bool,
    /// Used only when a feature is enabled.
    pub optional: bool,
    /// Comes from the seed's prose, not its tables.
    pub from_prose: bool,
    /// Position in the seed's port-sorted table.
    pub table_position: Option<u16>,
    /// Errata about this row (those about the whole service are on the service).
    pub errata: Vec<ErratumView<'c>>,
    /// The documents the row comes from (modern.toml's source keys: `seed`, `kb832017`, ...;
    /// `user` for a `--catalog` file); empty outside a version view.
    pub sources: Vec<&'c str>,
    /// First Windows version with the row (`"2003"` for the seed's rows).
    pub since: Option<&'static str>,
    /// Last Windows version with the row; null while it holds.
    pub until: Option<&'static str>,
    /// How the row differs from the seed (`kept`, `renamed`, `added`, `moved`, `dropped`,
    /// `re-owned`); null for a seed row no document changes.
    pub change: Option<&'static str>,
}

impl<'c> PortFields<'c> {
    fn new(catalog: &'c Catalog, row: &'c PortRow) -> Self {
        let (port, port_end) = match row.port {
            Some(PortSpec::Single(p)) => (Some(p), None),
            Some(PortSpec::Range(a, b)) => (Some(a), Some(b)),
            _ => (None, None),
        };
        PortFields {
            app_protocol: &row.app,
            transport: row.transport.key(),
            ip_protocol: row.transport.protocol_number(),
            port,
            port_end,
            port_kind: row.port.map_or("none", PortSpec::kind),
            listener: row.listener,
            optional: row.optional,
            from_prose: row.from_prose,
            table_position: row.table,
            errata: catalog.row_errata(row).map(ErratumView::from).collect(),
            sources: row
                .provenance
                .iter()
                .flat_map(|p| p.sources.iter().map(String::as_str))
                .collect(),
            since: row.provenance.as_ref().map(|p| p.since.as_str()),
            until: row
                .provenance
                .as_ref()
                .and_then(|p| p.until)
                .map(|v| v.as_str()),
            change: row
                .provenance
                .as_ref()
                .and_then(|p| p.change)
                .map(|c| c.as_str()),
        }
    }
}

/// A row with its service: what `port`, `search` and `table` print.
#[derive(Debug, Clone, Serialize)]
pub struct RowRecord<'c> {
    /// The look-up that found the row (`port` command), else null.
    pub query: Option<&'c str>,
    /// `exact`, or `dynamic-range` when the port only falls in a dynamic range of the row.
    #[serde(rename = "match")]
    pub matched: &'static str,
    /// Service id.
    pub service_id: &'c str,
    /// Service display name.
    pub service: &'c str,
    /// Windows service name.
    pub windows_service: Option<&'c str>,
    /// The row.
    #[serde(flatten)]
    pub port: PortFields<'c>,
}

impl<'c> RowRecord<'c> {
    /// The record of a found row.
    pub fn new(catalog: &'c Catalog, found: &RowRef<'c>, query: Option<&'c str>) -> Self {
        RowRecord {
            query,
            matched: found.matched.as_str(),
            service_id: &found.service.id,
            service: &found.service.name,
            windows_service: found.service.windows_service.as_deref(),
            port: PortFields::new(catalog, found.row),
        }
    }
}

/// A whole service: what `service` and `export` print.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceRecord<'c> {
    /// Stable id.
    pub id: &'c str,
    /// Display name.
    pub name: &'c str,
    /// Name in the seed's port table.
    pub table_name: &'c str,
    /// Windows service name.
    pub windows_service: Option<&'c str>,
    /// Executable.
    pub process: Option<&'c str>,
    /// Product.
    pub product: &'c str,
    /// One-line summary.
    pub summary: &'c str,
    /// `on-by-default` or `off-by-default`.
    pub status: &'static str,
    /// Removed or disabled by later Windows versions.
    pub legacy: bool,
    /// Why an auditor should care.
    pub risk: Option<&'c str>,
    /// Facts from the seed's prose.
    pub notes: &'c [String],
    /// Ports an administrator can change.
    pub configurable: &'c [portolan_catalog::Configurable],
    /// Errata about the whole service.
    pub errata: Vec<ErratumView<'c>>,
    /// Defined or changed by a user catalog.
    pub user_defined: bool,
    /// The rows.
    pub ports: Vec<PortFields<'c>>,
}

impl<'c> ServiceRecord<'c> {
    /// The record of a service.
    pub fn new(catalog: &'c Catalog, s: &'c Service) -> Self {
        ServiceRecord {
            id: &s.id,
            name: &s.name,
            table_name: s.table_name(),
            windows_service: s.windows_service.as_deref(),
            process: s.process.as_deref(),
            product: &s.product,
            summary: &s.summary,
            status: match s.status {
                portolan_catalog::Status::OnByDefault => "on-by-default",
                portolan_catalog::Status::OffByDefault => "off-by-default",
            },
            legacy: s.legacy,
            risk: s.risk.as_deref(),
            notes: &s.notes,
            configurable: &s.configurable,
            errata: catalog.service_errata(s).map(ErratumView::from).collect(),
            user_defined: s.user_defined,
            ports: s
                .ports
                .iter()
                .map(|r| PortFields::new(catalog, r))
                .collect(),
        }
    }
}

/// The whole catalog: what `export --format json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct ExportRecord<'c> {
    /// Version of this JSON shape.
    pub schema_version: u32,
    /// Where the data comes from.
    pub source: &'static str,
    /// Every service.
    pub services: Vec<ServiceRecord<'c>>,
    /// Every erratum, in full.
    pub errata: &'c [Erratum],
    /// Every role.
    pub roles: &'c [Role],
}

/// The seed document the catalog reproduces.
pub const SOURCE: &str =
    "Microsoft, \"Network Ports Used by Key Microsoft Server Products\" (Windows Server 2003 era)";

impl<'c> ExportRecord<'c> {
    /// The record of the whole catalog.
    pub fn new(catalog: &'c Catalog) -> Self {
        ExportRecord {
            schema_version: SCHEMA_VERSION,
            source: SOURCE,
            services: catalog
                .services()
                .iter()
                .map(|s| ServiceRecord::new(catalog, s))
                .collect(),
            errata: catalog.errata(),
            roles: catalog.roles(),
        }
    }
}

/// Row columns, in the seed table's order plus portolan's additions.
pub const ROW_HEADERS: [&str; 6] = [
    "Port",
    "Protocol",
    "Application protocol",
    "Service",
    "Windows service",
    "Errata",
];

/// Rows as a grid; footnotes explain every erratum shown.
pub fn rows_grid(catalog: &Catalog, rows: &[RowRef<'_>], with_query: Option<&[&str]>) -> Grid {
    let mut headers: Vec<&str> = ROW_HEADERS.to_vec();
    if with_query.is_some() {
        headers.insert(0, "Query");
    }
    let mut grid = Grid::new(headers);
    let mut shown: Vec<&Erratum> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let errata: Vec<&Erratum> = catalog.row_errata(r.row).collect();
        for e in &errata {
            if !shown.iter().any(|s| s.id == e.id) {
                shown.push(e);
            }
        }
        let mut port = r.row.port_text();
        if r.matched == portolan_catalog::MatchKind::DynamicRange {
            port.push_str(" (range)");
        }
        let mut cells: Vec<GridCell> = vec![
            port.into(),
            r.row.transport.to_string().into(),
            r.row.app.clone().into(),
            r.service.name.clone().into(),
            r.service.windows_service.clone().unwrap_or_default().into(),
            errata_cell(r.row, &errata),
        ];
        if let Some(queries) = with_query {
            cells.insert(0, queries.get(i).copied().unwrap_or_default().into());
        }
        grid.rows.push(cells);
    }
    grid.notes = erratum_notes(&shown);
    grid
}

/// The columns of the seed's port-sorted table, in its words.
pub const SEED_HEADERS: [&str; 4] = [
    "Port",
    "Protocol",
    "Application protocol",
    "System Service Name",
];

/// A row of the seed's port-sorted table in the seed's own words (`table --seed`): the
/// same four columns as the text table, then the errata and the catalog's service, so a
/// reader can join it with the catalog's records.
#[derive(Debug, Clone, Serialize)]
pub struct SeedRowRecord<'c> {
    /// 1-155: the row's position in the seed's table.
    pub table_position: Option<u16>,
    /// "Port": a number, a range, `RANDOM` for dynamic ports, `n/a` for IP protocols.
    pub port: String,
    /// "Protocol", as the seed wrote it (before any correction).
    pub protocol: String,
    /// "Application protocol".
    pub application_protocol: String,
    /// "System Service Name", the table's own name of the service.
    pub system_service_name: String,
    /// Ids of the errata portolan records against the row.
    pub errata: Vec<&'c str>,
    /// The catalog's service id for the row.
    pub service_id: &'c str,
}

impl<'c> SeedRowRecord<'c> {
    /// The record of one row of [`Catalog::seed_table_rows`].
    pub fn new(catalog: &'c Catalog, found: &RowRef<'c>) -> Self {
        let [port, protocol, application_protocol, system_service_name] =
            catalog.seed_words(found.service, found.row);
        SeedRowRecord {
            table_position: found.row.table,
            port,
            protocol,
            application_protocol,
            system_service_name,
            errata: catalog
                .row_errata(found.row)
                .map(|e| e.id.as_str())
                .collect(),
            service_id: &found.service.id,
        }
    }
}

/// Rows of the seed's table as the seed prints them (`table --seed`): its four columns in its
/// own words ([`Catalog::seed_words`]), then the errata portolan records against each row,
/// with the seed's words and the decision as footnotes.
pub fn seed_rows_grid(catalog: &Catalog, rows: &[RowRef<'_>]) -> Grid {
    let mut headers: Vec<&str> = SEED_HEADERS.to_vec();
    headers.push("Errata");
    let mut grid = Grid::new(headers);
    let mut shown: Vec<&Erratum> = Vec::new();
    for r in rows {
        let errata: Vec<&Erratum> = catalog.row_errata(r.row).collect();
        for e in &errata {
            if !shown.iter().any(|s| s.id == e.id) {
                shown.push(e);
            }
        }
        let mut cells: Vec<GridCell> = catalog
            .seed_words(r.service, r.row)
            .into_iter()
            .map(GridCell::from)
            .collect();
        cells.push(errata_cell(r.row, &errata));
        grid.rows.push(cells);
    }
    grid.notes = erratum_notes(&shown);
    grid
}

fn errata_cell(row: &PortRow, errata: &[&Erratum]) -> GridCell {
    if errata.is_empty() {
        return GridCell::default();
    }
    let mut text = errata
        .iter()
        .map(|e| e.id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if !row.listener {
        text = format!("not a listener: {text}");
    }
    GridCell::toned(text, Tone::Warn)
}

/// One footnote per erratum: id, the seed's words and the decision.
pub fn erratum_notes(errata: &[&Erratum]) -> Vec<String> {
    errata
        .iter()
        .map(|e| format!("{}: seed says \"{}\"; {}", e.id, e.seed, e.decision))
        .collect()
}

/// Services and their rows as a grid (one line per row).
pub fn services_grid(catalog: &Catalog, services: &[&Service]) -> Grid {
    let mut grid = Grid::new([
        "Service",
        "Windows service",
        "Product",
        "Application protocol",
        "Protocol",
        "Port",
        "Errata",
    ]);
    let mut shown: Vec<&Erratum> = Vec::new();
    for s in services {
        for row in &s.ports {
            let errata: Vec<&Erratum> = catalog
                .row_errata(row)
                .chain(catalog.service_errata(s))
                .collect();
            for e in &errata {
                if !shown.iter().any(|x| x.id == e.id) {
                    shown.push(e);
                }
            }
            grid.push([
                GridCell::from(s.name.clone()),
                s.windows_service.clone().unwrap_or_default().into(),
                s.product.clone().into(),
                row.app.clone().into(),
                row.transport.to_string().into(),
                row.port_text().into(),
                errata_cell(row, &errata),
            ]);
        }
    }
    grid.notes = erratum_notes(&shown);
    grid
}

/// Errata as a grid.
pub fn errata_grid(errata: &[Erratum]) -> Grid {
    let mut grid = Grid::new(["Id", "Kind", "Services", "Seed says", "Decision", "Why"]);
    for e in errata {
        grid.push([
            e.id.clone(),
            e.kind.as_str().to_string(),
            e.services.join(", "),
            e.seed.clone(),
            e.decision.clone(),
            e.reason.clone(),
        ]);
    }
    grid
}
