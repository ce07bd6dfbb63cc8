//! Look-ups: by port, by service name (exact, partial or fuzzy) and by free text.

use crate::Catalog;
use crate::error::QueryError;
use crate::model::{PortRow, PortSpec, Service};
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
        /// First port.
        first: u16,
        /// Last port (equal to `first` for one port).
        last: u16,
        /// TCP or UDP only, when given.
        transport: Option<Transport>,
    },
    /// Every row of an IP protocol without ports (GRE, ESP, AH).
    Protocol(Transport),
}

const PORT_FIX: &str = "write a port like 445, a range like 2701-2704, add /tcp or /udp \
                        (389/udp), or name an IP protocol (gre, esp, ah)";

/// Parses `445`, `389/udp`, `2701-2704`, `2701-2704/tcp`, `tcp/445`, `gre`, `ip/47`.
pub fn parse_port_query(input: &str) -> Result<PortQuery, QueryError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(QueryError::new(input, "empty port", PORT_FIX));
    }
    if let Ok(transport) = text.parse::<Transport>() {
        return Ok(match transport {
            Transport::Tcp | Transport::Udp => PortQuery::Ports {
                first: 1,
                last: u16::MAX,
                transport: Some(transport),
            },
            other => PortQuery::Protocol(other),
        });
    }
    let (ports, transport) = match text.split_once('/') {
        Some((left, right)) => match (parse_tcp_udp(right), parse_tcp_udp(left)) {
            (Some(t), _) => (left, Some(t)),
            (None, Some(t)) => (right, Some(t)),
            (None, None) => {
                return Err(QueryError::new(
                    input,
                    format!("`{right}` is not a transport with ports"),
                    "use /tcp or /udp after the port",
                ));
            }
        },
        None => (text, None),
    };
    let (first, last) =
        parse_port_range(ports).map_err(|problem| QueryError::new(input, problem, PORT_FIX))?;
    Ok(PortQuery::Ports {
        first,
        last,
        transport,
    })
}

fn parse_tcp_udp(text: &str) -> Option<Transport> {
    match text.trim().parse::<Transport>() {
        Ok(t @ (Transport::Tcp | Transport::Udp)) => Some(t),
        _ => None,
    }
}

/// Parses a port (`445`) or an inclusive range (`2701-2704`); the problem is returned as text.
pub fn parse_port_range(text: &str) -> Result<(u16, u16), String> {
    let text = text.trim();
    let (a, b) = match text.split_once('-') {
        Some((a, b)) => (parse_port(a)?, parse_port(b)?),
        None => {
            let p = parse_port(text)?;
            (p, p)
        }
    };
    if a > b {
        return Err(format!(
            "the range {a}-{b} runs backwards: write the lower port first ({b}-{a})"
        ));
    }
    Ok((a, b))
}

/// Parses one port number, 1 to 65535.
pub fn parse_port(text: &str) -> Result<u16, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a port number is missing".to_string());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` is not a port number"));
    }
    match text.parse::<u32>() {
        Ok(0) => Err("port 0 is not a real port: ports run from 1 to 65535".to_string()),
        Ok(n) if n <= u32::from(u16::MAX) => Ok(n as u16),
        _ => Err(format!(
            "port {text} is out of range: ports run from 1 to 65535"
        )),
    }
}

impl Catalog {
    /// Every row on the queried port(s). Rows whose dynamic ranges hold the port are added
    /// (as [`MatchKind::DynamicRange`]) only when no row matches exactly.
    pub fn rows_on(&self, query: &PortQuery) -> Vec<RowRef<'_>> {
        let mut exact = Vec::new();
        let mut dynamic = Vec::new();
        for (service, row) in self.rows() {
            match *query {
                PortQuery::Protocol(t) => {
                    if row.transport == t {
                        exact.push(row_ref(service, row, MatchKind::Exact));
                    }
                }
                PortQuery::Ports {
                    first,
                    last,
                    transport,
                } => {
                    if transport.is_some_and(|t| t != row.transport) || !row.transport.has_ports() {
                        continue;
                    }
                    match row.port {
                        Some(spec) if spec.overlaps(first, last) => {
                            if spec.is_dynamic() {
                                dynamic.push(row_ref(service, row, MatchKind::DynamicRange));
                            } else {
                                exact.push(row_ref(service, row, MatchKind::Exact));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        if exact.is_empty() {
            dynamic
        } else {
            exact.sort_by_key(|r| sort_key(r.row));
            exact
        }
    }

    /// Rows matching every word of `text`, looked for in the service's names, product,
    /// summary and notes, and in the row's application protocol, transport and port.
    pub fn search(&self, text: &str) -> Vec<RowRef<'_>> {
        let words: Vec<String> = text.split_whitespace().map(normalise).collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for service in self.services() {
            let mut service_text = service_names(service).map(normalise).collect::<Vec<_>>();
            service_text.push(normalise(&service.product));
            service_text.push(normalise(&service.summary));
            service_text.extend(service.notes.iter().map(|n| normalise(n)));
            let service_text = service_text.join(" ");
            for row in &service.ports {
                let row_text = format!(
                    "{} {} {} {}",
                    normalise(&row.app),
                    row.transport.key(),
                    row.port_text().to_lowercase(),
                    service_text
                );
                if words.iter().all(|w| row_text.contains(w.as_str())) {
                    out.push(row_ref(service, row, MatchKind::Exact));
                }
            }
        }
        out
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

/// The candidate closest to `wanted`, if it is close enough to suggest.
pub(crate) fn suggest<'a>(
    candidates: impl Iterator<Item = &'a str>,
    wanted: &str,
) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::jaro_winkler(c, wanted), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_queries() {
        assert_eq!(
            parse_port_query("445").unwrap(),
            PortQuery::Ports {
                first: 445,
                last: 445,
                transport: None
            }
        );
        assert_eq!(
            parse_port_query("389/UDP").unwrap(),
            PortQuery::Ports {
                first: 389,
                last: 389,
                transport: Some(Transport::Udp)
            }
        );
        assert_eq!(
            parse_port_query("tcp/2701-2704").unwrap(),
            PortQuery::Ports {
                first: 2701,
                last: 2704,
                transport: Some(Transport::Tcp)
            }
        );
        assert_eq!(
            parse_port_query("gre").unwrap(),
            PortQuery::Protocol(Transport::Ip(47))
        );
    }

    #[test]
    fn bad_port_queries_name_the_problem() {
        for (input, problem) in [
            ("0", "port 0"),
            ("70000", "out of range"),
            ("abc", "not a port number"),
            ("", "empty"),
            ("5000-1000", "backwards"),
            ("445/sctp", "not a transport"),
            ("-5", "missing"),
        ] {
            let err = parse_port_query(input).unwrap_err();
            assert!(
                err.problem.contains(problem),
                "{input}: {} lacks {problem}",
                err.problem
            );
            assert!(!err.fix.is_empty());
        }
    }
}
