//! The one grammar for ports, shared by every command that takes ports (`port`, `check`,
//! `scan`, `plan`'s ranges).
//!
//! A spec is items separated by commas and/or spaces:
//!
//! - `445`, `1000-2000`, and nmap's open ranges `-100` (1-100) and `60000-` (60000-65535);
//!   `all` (or `-`) is 1-65535;
//! - `tcp:` or `udp:` (also `t:`, `u:`) before an item sets its transport, and that of the
//!   items after it up to the next prefix or the next space: `tcp:135,445 udp:53`;
//! - `445/tcp` and `tcp/445` say the same of one item; `tcp` alone is every TCP port;
//! - `catalog` is every fixed port of the catalog, `role:NAME` the fixed ports of a role's
//!   services and `service:NAME` those of one service, each on the transports of its rows
//!   (a prefix narrows them), NAME resolved by [`crate::resolve`];
//! - `gre`, `esp`, `ah` and `ip/N` name IP protocols, which have no ports: look-ups take them,
//!   probes refuse them.
//!
//! A bare port takes the transports the caller gives as default: `check` and `scan` use TCP
//! (`scan --udp` UDP), look-ups any transport.

use std::fmt;

use crate::Catalog;
use crate::error::QueryError;
use crate::model::{PortRow, Service};
use crate::query::PortQuery;
use crate::resolve::ResolveError;
use crate::transport::Transport;

// The range type, its parser and its fold belong to the grammar; they live apart only to keep
// this module to the grammar itself.
pub use crate::range::{PortRange, fold, parse_port, parse_port_range};

/// What an item of a spec stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Ports by number.
    Range(PortRange),
    /// An IP protocol without ports (GRE, ESP, AH, `ip/N`).
    Protocol(Transport),
    /// Every fixed port of the catalog.
    Catalog,
    /// The fixed ports of a role's services, by the role's id or name.
    Role(String),
    /// The fixed ports of a service, by any of its names.
    Service(String),
}

/// An item with the transport its prefix or suffix gave it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// TCP or UDP when written; `None` takes the caller's default (or the rows' own).
    pub transport: Option<Transport>,
    /// What the item stands for.
    pub item: Item,
}

impl Term {
    /// The look-up of a number or protocol item; `None` for items the catalog resolves.
    fn numeric_lookup(&self) -> Option<PortQuery> {
        match self.item {
            Item::Range(range) => Some(PortQuery::Ports {
                range,
                transport: self.transport,
            }),
            Item::Protocol(t) => Some(PortQuery::Protocol(t)),
            Item::Catalog | Item::Role(_) | Item::Service(_) => None,
        }
    }
}

/// A parsed port spec: its terms, in the order written. (Not the catalog's
/// [`crate::model::PortSpec`], which is how a row's port is written in the data.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ports {
    terms: Vec<Term>,
}

/// A port spec that cannot be used: bad syntax or a name the catalog does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortSpecError {
    /// The text cannot be read, or asks for something the command cannot do.
    #[error("ports {0}")]
    Bad(#[from] QueryError),
    /// A `role:` or `service:` name that names nothing, or several things.
    #[error("ports `{input}`: {source}")]
    Name {
        /// The item at fault (`role:dommain-controller`).
        input: String,
        /// Why the name does not resolve.
        source: ResolveError,
    },
}

/// Most items a spec may hold (a list longer than the ports there are is a mistake).
const MAX_ITEMS: usize = 65_535;

const FIX: &str = "write a port like 445, a range like 1000-2000, add /tcp or /udp (389/udp) \
                   or a prefix (tcp:135,445 udp:53), or use all, catalog, role:NAME or service:NAME";

fn bad(input: &str, problem: impl Into<String>, fix: impl Into<String>) -> QueryError {
    QueryError::new(input, problem, fix)
}

/// `tcp`/`t` and `udp`/`u`: the transports a prefix or suffix may name.
fn tcp_or_udp(text: &str) -> Option<Transport> {
    match text.trim().to_ascii_lowercase().as_str() {
        "tcp" | "t" => Some(Transport::Tcp),
        "udp" | "u" => Some(Transport::Udp),
        _ => None,
    }
}

impl Ports {
    /// Parses a spec (see the module documentation for the grammar).
    pub fn parse(text: &str) -> Result<Ports, QueryError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.is_empty() {
            return Err(bad(text, "empty port spec", FIX));
        }
        let last_word = words.len() - 1;
        let mut terms = Vec::new();
        for (index, word) in words.iter().enumerate() {
            // A comma next to a space separates like the space: `80, 443` and `80 ,443`.
            let mut word = *word;
            if index < last_word {
                word = word.strip_suffix(',').unwrap_or(word);
            }
            if index > 0 {
                word = word.strip_prefix(',').unwrap_or(word);
            }
            if word.is_empty() {
                continue;
            }
            let mut prefix = None;
            for raw in word.split(',') {
                if raw.is_empty() {
                    return Err(bad(
                        text,
                        "has an empty item (two commas in a row, or a comma at an end)",
                        FIX,
                    ));
                }
                terms.push(parse_term(text, raw, &mut prefix)?);
                if terms.len() > MAX_ITEMS {
                    return Err(bad(
                        text,
                        "has more items than there are ports",
                        "use ranges",
                    ));
                }
            }
        }
        if terms.is_empty() {
            return Err(bad(text, "empty port spec", FIX));
        }
        Ok(Ports { terms })
    }

    /// The terms, as written.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// True when the spec needs the catalog (`catalog`, `role:`, `service:`).
    pub fn uses_catalog(&self) -> bool {
        self.terms
            .iter()
            .any(|t| matches!(t.item, Item::Catalog | Item::Role(_) | Item::Service(_)))
    }

    /// The ports the spec names, as (transport, range) in the order written (not folded).
    /// A bare range takes each of `default`; a catalog item takes its rows' transports,
    /// narrowed by a prefix. IP protocols are refused: they have no ports to probe.
    pub fn resolve(
        &self,
        catalog: &Catalog,
        default: &[Transport],
    ) -> Result<Vec<(Transport, PortRange)>, PortSpecError> {
        let mut out = Vec::new();
        for term in &self.terms {
            match &term.item {
                Item::Range(range) => match term.transport {
                    Some(t) => out.push((t, *range)),
                    None => out.extend(default.iter().map(|&t| (t, *range))),
                },
                Item::Protocol(t) => {
                    return Err(bad(
                        &self.to_string(),
                        format!("{t} is an IP protocol without ports"),
                        "a probe needs TCP or UDP ports; `portolan port` looks IP protocols up",
                    )
                    .into());
                }
                _ => out.extend(self.catalog_ports(catalog, term)?),
            }
        }
        Ok(out)
    }

    /// The spec as look-ups (`portolan port`): a bare range matches any transport, an IP
    /// protocol its rows, and catalog items their rows' fixed ports.
    pub fn lookups(&self, catalog: &Catalog) -> Result<Vec<PortQuery>, PortSpecError> {
        let mut out = Vec::new();
        for term in &self.terms {
            match term.numeric_lookup() {
                Some(query) => out.push(query),
                None => out.extend(self.catalog_ports(catalog, term)?.into_iter().map(
                    |(t, range)| PortQuery::Ports {
                        range,
                        transport: Some(t),
                    },
                )),
            }
        }
        Ok(out)
    }

    /// The look-ups of a spec of port numbers and IP protocols only, which need no catalog
    /// (the same as [`Ports::lookups`] gives); `None` when it names the catalog, a role or a
    /// service.
    pub fn numeric_lookups(&self) -> Option<Vec<PortQuery>> {
        self.terms.iter().map(Term::numeric_lookup).collect()
    }

    /// The fixed ports of the rows a catalog item takes, on the term's transport if given.
    fn catalog_ports(
        &self,
        catalog: &Catalog,
        term: &Term,
    ) -> Result<Vec<(Transport, PortRange)>, PortSpecError> {
        let name_error = |prefix: &str, name: &str, source| PortSpecError::Name {
            input: format!("{prefix}{name}"),
            source,
        };
        let rows: Vec<&PortRow> = match &term.item {
            Item::Catalog => catalog.rows().map(|(_, r)| r).collect(),
            Item::Role(name) => {
                let role = catalog
                    .resolve_role(name)
                    .map_err(|e| name_error("role:", name, e))?;
                catalog.role_rows(role).map(|(_, _, r)| r).collect()
            }
            Item::Service(name) => {
                let service: &Service = catalog
                    .resolve_service(name)
                    .map_err(|e| name_error("service:", name, e))?;
                service.ports.iter().collect()
            }
            Item::Range(_) | Item::Protocol(_) => Vec::new(),
        };
        Ok(rows
            .into_iter()
            .filter(|r| term.transport.is_none_or(|t| t == r.transport))
            .filter_map(|r| {
                let (a, b) = r.port.and_then(|p| p.fixed_range())?;
                Some((r.transport, PortRange::new(a.max(1), b)?))
            })
            .collect())
    }
}

/// One item: `tcp:` prefixes update `prefix` for the items after it in the word.
fn parse_term(spec: &str, raw: &str, prefix: &mut Option<Transport>) -> Result<Term, QueryError> {
    let mut text = raw.trim();
    if let Some((head, rest)) = text.split_once(':') {
        let lower = head.to_ascii_lowercase();
        match lower.as_str() {
            "role" | "service" => {}
            _ => {
                let Some(t) = tcp_or_udp(head) else {
                    return Err(bad(
                        spec,
                        format!("`{head}` is not tcp or udp"),
                        "prefix ports with tcp: or udp:, e.g. tcp:135,445 udp:53",
                    ));
                };
                if rest.is_empty() {
                    return Err(bad(
                        spec,
                        format!("`{head}:` needs ports after it"),
                        format!("e.g. {lower}:445 or {lower}:1000-2000"),
                    ));
                }
                *prefix = Some(t);
                text = rest;
            }
        }
    }
    let item = |item| Term {
        transport: *prefix,
        item,
    };
    let lower = text.to_ascii_lowercase();
    for (word, make) in [
        ("role:", Item::Role as fn(String) -> Item),
        ("service:", Item::Service),
    ] {
        if lower.starts_with(word) {
            let name = text[word.len()..].trim();
            if name.is_empty() {
                let kind = &word[..word.len() - 1];
                return Err(bad(
                    spec,
                    format!("`{word}` needs a {kind} name"),
                    format!(
                        "e.g. role:domain-controller or service:dns; `portolan {}` lists them",
                        if kind == "role" { "roles" } else { "export" }
                    ),
                ));
            }
            return Ok(item(make(name.to_string())));
        }
    }
    match lower.as_str() {
        "all" | "-" => return Ok(item(Item::Range(PortRange::ALL))),
        "catalog" => return Ok(item(Item::Catalog)),
        _ => {}
    }
    if prefix.is_none() {
        if let Ok(t) = lower.parse::<Transport>() {
            return Ok(match t {
                Transport::Tcp | Transport::Udp => Term {
                    transport: Some(t),
                    item: Item::Range(PortRange::ALL),
                },
                other => Term {
                    transport: None,
                    item: Item::Protocol(other),
                },
            });
        }
    }
    let (ports, transport) = match text.split_once('/') {
        Some((left, right)) => match (tcp_or_udp(right), tcp_or_udp(left)) {
            (Some(t), _) => (left, Some(t)),
            (None, Some(t)) => (right, Some(t)),
            (None, None) => {
                return Err(bad(
                    spec,
                    format!("`{right}` is not a transport with ports"),
                    "use /tcp or /udp after the port (389/udp)",
                ));
            }
        },
        None => (text, None),
    };
    if transport.is_some() && prefix.is_some_and(|p| Some(p) != transport) {
        return Err(bad(
            spec,
            format!("`{raw}` names two transports"),
            "give the transport once, as a prefix (udp:389) or a suffix (389/udp)",
        ));
    }
    let range = parse_port_range(ports).map_err(|problem| bad(spec, problem, FIX))?;
    Ok(Term {
        transport: transport.or(*prefix),
        item: Item::Range(range),
    })
}

impl fmt::Display for Ports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Some(t) = term.transport {
                write!(f, "{}:", t.key())?;
            }
            match &term.item {
                Item::Range(r) => write!(f, "{r}")?,
                Item::Protocol(t) => f.write_str(&t.key())?,
                Item::Catalog => f.write_str("catalog")?,
                Item::Role(name) => write!(f, "role:{name}")?,
                Item::Service(name) => write!(f, "service:{name}")?,
            }
        }
        Ok(())
    }
}

/// Parses one look-up argument of `portolan port`: `445`, `389/udp`, `2701-2704/tcp`,
/// `tcp/445`, `tcp:445`, `gre`, `ip/47`. It is the port grammar restricted to one item
/// without the catalog (`portolan port` itself takes whole specs through
/// [`Ports::lookups`]).
pub fn parse_port_query(input: &str) -> Result<PortQuery, QueryError> {
    let spec = Ports::parse(input).map_err(|e| QueryError {
        input: input.to_string(),
        ..e
    })?;
    match spec.terms.as_slice() {
        [
            Term {
                transport,
                item: Item::Range(r),
            },
        ] => Ok(PortQuery::Ports {
            range: *r,
            transport: *transport,
        }),
        [
            Term {
                item: Item::Protocol(t),
                ..
            },
        ] => Ok(PortQuery::Protocol(*t)),
        _ => Err(bad(
            input,
            "a single look-up takes one port, range or IP protocol",
            "write a port like 445, a range like 2701-2704, add /tcp or /udp (389/udp), \
             or name an IP protocol (gre, esp, ah)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::builtin().expect("the built-in catalog loads")
    }

    fn resolved(spec: &str, default: &[Transport]) -> Vec<(Transport, PortRange)> {
        Ports::parse(spec)
            .unwrap()
            .resolve(&catalog(), default)
            .unwrap()
    }

    const T: Transport = Transport::Tcp;
    const U: Transport = Transport::Udp;

    fn r(a: u16, b: u16) -> PortRange {
        PortRange::new(a, b).unwrap()
    }

    #[test]
    fn prefixes_last_to_the_next_prefix_or_space() {
        assert_eq!(
            resolved("tcp:80,443,1000-1010 udp:53,137 445", &[T]),
            [
                (T, r(80, 80)),
                (T, r(443, 443)),
                (T, r(1000, 1010)),
                (U, r(53, 53)),
                (U, r(137, 137)),
                (T, r(445, 445)),
            ]
        );
        assert_eq!(
            resolved("U:53,T:21-25, 80", &[U]),
            [(U, r(53, 53)), (T, r(21, 25)), (U, r(80, 80))]
        );
        assert_eq!(
            resolved("389/udp tcp/135", &[]),
            [(U, r(389, 389)), (T, r(135, 135))]
        );
    }

    #[test]
    fn bare_ports_take_the_default_transports() {
        assert_eq!(resolved("53", &[T, U]), [(T, r(53, 53)), (U, r(53, 53))]);
        assert_eq!(
            resolved("-3 65534-", &[T]),
            [(T, r(1, 3)), (T, r(65534, 65535))]
        );
        assert_eq!(resolved("all", &[U]), [(U, PortRange::ALL)]);
        assert_eq!(resolved("-", &[U]), [(U, PortRange::ALL)]);
    }

    #[test]
    fn catalog_items_take_their_rows_transports() {
        let dc = resolved("role:Domain_Controller", &[T]);
        assert!(
            dc.contains(&(T, r(88, 88))) && dc.contains(&(U, r(88, 88))),
            "{dc:?}"
        );
        let dns = resolved("service:dns", &[]);
        assert_eq!(fold(dns.iter().map(|p| p.1)), [r(53, 53)]);
        assert!(dns.iter().any(|p| p.0 == U) && dns.iter().any(|p| p.0 == T));
        let tcp_dns = resolved("tcp:service:dns", &[]);
        assert!(tcp_dns.iter().all(|p| p.0 == T) && !tcp_dns.is_empty());
        let catalog = resolved("catalog", &[]);
        assert!(
            !catalog.iter().any(|p| p.1.contains(49_999)),
            "dynamic ranges are not expanded"
        );
    }

    #[test]
    fn bad_specs_name_the_problem() {
        let err = |s: &str| Ports::parse(s).unwrap_err().to_string();
        for (spec, problem) in [
            ("2000-1000", "runs backwards"),
            ("2000-1000", "1000-2000"),
            ("0", "port 0"),
            ("65536", "above 65535"),
            ("http", "not a port number"),
            ("22,,80", "empty item"),
            ("role:", "role name"),
            ("service:", "service name"),
            ("sctp:80", "not tcp or udp"),
            ("tcp:", "needs ports"),
            ("445/sctp", "not a transport"),
            ("udp:389/tcp", "two transports"),
            ("", "empty"),
        ] {
            let text = err(spec);
            assert!(text.contains(problem), "{spec}: {text}");
        }
        let unknown = Ports::parse("role:nope")
            .unwrap()
            .resolve(&catalog(), &[T])
            .unwrap_err()
            .to_string();
        assert!(
            unknown.contains("role:nope") && unknown.contains("names no role"),
            "{unknown}"
        );
        let gre = Ports::parse("gre").unwrap().resolve(&catalog(), &[T]);
        assert!(gre.unwrap_err().to_string().contains("without ports"));
    }

    #[test]
    fn look_ups_are_the_same_grammar() {
        assert_eq!(
            parse_port_query("389/UDP").unwrap(),
            PortQuery::Ports {
                range: PortRange::single(389),
                transport: Some(U)
            }
        );
        assert_eq!(
            parse_port_query("tcp:2701-2704").unwrap(),
            parse_port_query("tcp/2701-2704").unwrap()
        );
        assert_eq!(
            parse_port_query("gre").unwrap(),
            PortQuery::Protocol(Transport::Ip(47))
        );
        assert_eq!(
            parse_port_query("tcp").unwrap(),
            PortQuery::Ports {
                range: PortRange::ALL,
                transport: Some(T)
            }
        );
        assert!(parse_port_query("80,443").is_err());
        let looked_up = Ports::parse("tcp:135,445 udp:53 gre")
            .unwrap()
            .lookups(&catalog())
            .unwrap();
        assert_eq!(looked_up.len(), 4);
    }

    #[test]
    fn display_reads_back_the_same() {
        for text in [
            "tcp:80 udp:53-60 445 role:dc catalog gre service:dns",
            "U:53,T:21-25, 80 389/udp tcp",
        ] {
            let spec = Ports::parse(text).unwrap();
            assert_eq!(Ports::parse(&spec.to_string()).unwrap(), spec);
        }
    }
}
