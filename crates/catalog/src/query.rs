//! Look-ups: by port, by service name (exact, partial or fuzzy) and by free text.

use crate::Catalog;
use crate::model::{PortRow, PortSpec, RowKey, Service};
use crate::portspec::PortRange;
use crate::resolve::name_words as normalise;
use crate::transport::Transport;

/// A row together with the service that owns it.
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'c> {
    /// The owning service.
    pub service: &'c Service,
    /// The row.
    pub row: &'c PortRow,
    /// How the row matched a port query.
    pub matched: MatchKind,
}

/// How a row matched a port query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// The row's own port or range holds the port (or the row was selected otherwise).
    Exact,
    /// The port lies in a range the row's dynamic ports are drawn from (dynamic RPC, FTP
    /// passive); the port may or may not belong to the service.
    DynamicRange,
}

impl MatchKind {
    /// Stable machine name, as used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::DynamicRange => "dynamic-range",
        }
    }
}

/// What `portolan port` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortQuery {
    /// A port or an inclusive range, optionally on one transport.
    Ports {
        /// The ports.
        range: PortRange,
        /// TCP or UDP only, when given.
        transport: Option<Transport>,
    },
    /// Every row of an IP protocol without ports (GRE, ESP, AH).
    Protocol(Transport),
}

impl Catalog {
    /// Every row on the queried port(s). Rows whose dynamic ranges hold the port are added
    /// (as [`MatchKind::DynamicRange`]) only when no row matches exactly.
    pub fn rows_on(&self, query: &PortQuery) -> Vec<RowRef<'_>> {
        let mut exact = Vec::new();
        let mut dynamic = Vec::new();
        for (service, row) in self.rows() {
            match self.row_match(query, row.key()) {
                Some(MatchKind::Exact) => exact.push(row_ref(service, row, MatchKind::Exact)),
                Some(MatchKind::DynamicRange) => {
                    dynamic.push(row_ref(service, row, MatchKind::DynamicRange))
                }
                None => {}
            }
        }
        if exact.is_empty() {
            dynamic
        } else {
            exact.sort_by_key(|r| sort_key(r.row));
            exact
        }
    }

    /// How a row with this transport and port answers `query`, if at all: the one rule
    /// [`Catalog::rows_on`] and the compiled form's choice of services to read both apply.
    pub(crate) fn row_match(&self, query: &PortQuery, row: RowKey) -> Option<MatchKind> {
        match *query {
            PortQuery::Protocol(t) => (row.transport == t).then_some(MatchKind::Exact),
            PortQuery::Ports { range, transport } => {
                if transport.is_some_and(|t| t != row.transport) || !row.transport.has_ports() {
                    return None;
                }
                let spec = row.port?;
                let overlaps = self
                    .ranges_of(spec)
                    .iter()
                    .any(|&(a, b)| a <= range.last && range.first <= b);
                match (overlaps, spec.is_dynamic()) {
                    (false, _) => None,
                    (true, true) => Some(MatchKind::DynamicRange),
                    (true, false) => Some(MatchKind::Exact),
                }
            }
        }
    }

    /// Rows matching every word of `text`, looked for in the service's names, product,
    /// summary and notes, and in the row's application protocol, transport and port.
    pub fn search(&self, text: &str) -> Vec<RowRef<'_>> {
        let words: Vec<String> = text.split_whitespace().map(normalise).collect();
        if words.is_empty() {
            return Vec::new();
        }
        // The rows' texts are worked out once per catalog: they are most of a search's work,
        // and they do not depend on the words.
        let texts = self.search_texts.get_or_init(|| self.make_search_texts());
        self.rows()
            .zip(texts)
            .filter(|(_, row_text)| words.iter().all(|w| row_text.contains(w.as_str())))
            .map(|((service, row), _)| row_ref(service, row, MatchKind::Exact))
            .collect()
    }

    /// Each row's text for `search`, in the order of `rows()`: the row's application
    /// protocol, transport and port, then its service's names, product, summary and notes.
    fn make_search_texts(&self) -> Vec<String> {
        let mut texts = Vec::new();
        for service in self.services() {
            let mut service_text = service_names(service).map(normalise).collect::<Vec<_>>();
            service_text.push(normalise(&service.product));
            service_text.push(normalise(&service.summary));
            service_text.extend(service.notes.iter().map(|n| normalise(n)));
            let service_text = service_text.join(" ");
            texts.extend(service.ports.iter().map(|row| {
                format!(
                    "{} {} {} {}",
                    normalise(&row.app),
                    row.transport.key(),
                    row.port_text().to_lowercase(),
                    service_text
                )
            }));
        }
        texts
    }

    /// The catalog as the seed's port-sorted table: rows in the table keep the table's order;
    /// other rows with fixed ports (user additions, rows the table missed, rows from the
    /// prose) are placed after the table's rows of the same port, and dynamic rows come last.
    pub fn table_rows(&self) -> Vec<RowRef<'_>> {
        let mut rows: Vec<RowRef<'_>> = self
            .rows()
            .map(|(s, r)| row_ref(s, r, MatchKind::Exact))
            .collect();
        rows.sort_by_key(|r| sort_key(r.row));
        rows
    }

    /// Exactly the rows of the seed's port-sorted table, in its order.
    pub fn seed_table_rows(&self) -> Vec<RowRef<'_>> {
        let mut rows: Vec<RowRef<'_>> = self
            .rows()
            .filter(|(_, r)| r.table.is_some())
            .map(|(s, r)| row_ref(s, r, MatchKind::Exact))
            .collect();
        rows.sort_by_key(|r| r.row.table);
        rows
    }

    /// A row's four columns as the seed's port-sorted table prints them: the port (`RANDOM`
    /// for dynamic ports, `n/a` for IP protocols), the transport before any erratum
    /// corrected it (`TCP` where the seed wrote it for a UDP row), the application protocol
    /// and the table's own name of the service ("Internet Connection Firewall/Internet
    /// Connection Sharing" where the catalog says "ICF/ICS").
    pub fn seed_words(&self, service: &Service, row: &PortRow) -> [String; 4] {
        let port = match row.port {
            None => "n/a".to_string(),
            Some(PortSpec::RpcDynamic | PortSpec::FtpPassive) => "RANDOM".to_string(),
            Some(spec) => spec.to_string(),
        };
        let transport = row
            .errata
            .iter()
            .filter_map(|id| self.erratum(id))
            .find(|e| {
                e.kind == crate::ErratumKind::Correction && e.field.as_deref() == Some("transport")
            })
            .map_or_else(|| row.transport.to_string(), |e| e.seed.clone());
        [
            port,
            transport,
            row.app.clone(),
            service.table_name().to_string(),
        ]
    }
}

fn row_ref<'c>(service: &'c Service, row: &'c PortRow, matched: MatchKind) -> RowRef<'c> {
    RowRef {
        service,
        row,
        matched,
    }
}

/// Seed table order: IP protocols first, then by port; within a port, the table's own order,
/// then rows the table does not have; dynamic rows last.
fn sort_key(row: &PortRow) -> (u8, u32, u32) {
    let table = row.table.map_or(u32::MAX, u32::from);
    match row.port {
        None => (0, 0, table),
        Some(PortSpec::Single(p)) | Some(PortSpec::Range(p, _)) => (1, u32::from(p), table),
        Some(PortSpec::RpcDynamic) => (2, 0, table),
        Some(PortSpec::FtpPassive) => (2, 1, table),
    }
}

pub(crate) fn service_names(service: &Service) -> impl Iterator<Item = &str> {
    [
        Some(service.id.as_str()),
        Some(service.name.as_str()),
        service.table_name.as_deref(),
        service.windows_service.as_deref(),
    ]
    .into_iter()
    .flatten()
}
