//! Port specifications: `22,80,1000-2000`, `all`, `catalog`, `role:NAME`, and any mix of
//! them separated by commas. Parsing is pure; the catalog words are resolved against a
//! [`Catalog`] given by the caller.

use portolan_catalog::{Catalog, Transport};

use crate::error::PortError;

/// One item of a port specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortItem {
    /// An inclusive range (a single port is `first == last`), 1 <= first <= last.
    Range(u16, u16),
    /// Every port the catalog gives a fixed number or range for.
    Catalog,
    /// The fixed ports of every service of a role (by id or name).
    Role(String),
}

/// A parsed port specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    items: Vec<PortItem>,
}

const FIX: &str = "write ports as 22,80,1000-2000, or use all, catalog or role:NAME";

impl PortSpec {
    /// Parses a specification. `all` (or `-`) is 1-65535; `-100` is 1-100 and `60000-` is
    /// 60000-65535, as in nmap.
    pub fn parse(text: &str) -> Result<PortSpec, PortError> {
        let mut items = Vec::new();
        for raw in text.split(',') {
            let token = raw.trim();
            if token.is_empty() {
                return Err(PortError::new(
                    text,
                    "has an empty item (two commas in a row, or a comma at an end)",
                    FIX,
                ));
            }
            let lower = token.to_ascii_lowercase();
            let item = if lower == "all" || lower == "-" {
                PortItem::Range(1, 65535)
            } else if lower == "catalog" {
                PortItem::Catalog
            } else if let Some(role) = lower.strip_prefix("role:") {
                if role.trim().is_empty() {
                    return Err(PortError::new(
                        text,
                        "`role:` needs a role name",
                        "e.g. role:domain-controller; `portolan roles` lists them",
                    ));
                }
                PortItem::Role(role.trim().to_string())
            } else {
                parse_range(text, token)?
            };
            items.push(item);
        }
        if items.len() > 65_535 {
            return Err(PortError::new(
                text,
                "has more items than there are ports",
                "use ranges",
            ));
        }
        Ok(PortSpec { items })
    }

    /// The items as written.
    pub fn items(&self) -> &[PortItem] {
        &self.items
    }

    /// True when the specification needs the catalog (`catalog` or `role:`).
    pub fn uses_catalog(&self) -> bool {
        self.items
            .iter()
            .any(|i| matches!(i, PortItem::Catalog | PortItem::Role(_)))
    }

    /// The ports for `transport`, ascending and without repeats. Catalog rows without a
    /// fixed port (dynamic RPC, FTP passive) contribute nothing: their ports are only known
    /// at run time.
    pub fn resolve(&self, catalog: &Catalog, transport: Transport) -> Result<PortList, PortError> {
        let mut set = PortSet::default();
        for item in &self.items {
            match item {
                PortItem::Range(a, b) => set.insert_range(*a, *b),
                PortItem::Catalog => {
                    for (_, row) in catalog.rows() {
                        insert_row(&mut set, row, transport);
                    }
                }
                PortItem::Role(name) => {
                    let role = catalog
                        .roles()
                        .iter()
                        .find(|r| {
                            r.id.eq_ignore_ascii_case(name) || r.name.eq_ignore_ascii_case(name)
                        })
                        .ok_or_else(|| {
                            let known: Vec<&str> =
                                catalog.roles().iter().map(|r| r.id.as_str()).collect();
                            PortError::new(
                                format!("role:{name}"),
                                "names no role of the catalog",
                                format!("known roles: {}", known.join(", ")),
                            )
                        })?;
                    for member in &role.services {
                        if let Some(service) = catalog.service(&member.service) {
                            for row in service.ports.iter().filter(|r| member.includes(r)) {
                                insert_row(&mut set, row, transport);
                            }
                        }
                    }
                }
            }
        }
        let list = set.to_list();
        if list.is_empty() {
            return Err(PortError::new(
                self.to_string(),
                format!("gives no {} port", transport.key()),
                "add port numbers, or pick a role with fixed ports",
            ));
        }
        Ok(list)
    }
}

impl std::fmt::Display for PortSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match item {
                PortItem::Range(a, b) if a == b => write!(f, "{a}")?,
                PortItem::Range(a, b) => write!(f, "{a}-{b}")?,
                PortItem::Catalog => f.write_str("catalog")?,
                PortItem::Role(r) => write!(f, "role:{r}")?,
            }
        }
        Ok(())
    }
}

fn insert_row(set: &mut PortSet, row: &portolan_catalog::PortRow, transport: Transport) {
    if row.transport != transport {
        return;
    }
    if let Some((a, b)) = row.port.and_then(|p| p.fixed_range()) {
        set.insert_range(a.max(1), b);
    }
}

fn parse_number(spec: &str, text: &str) -> Result<u16, PortError> {
    let t = text.trim();
    if t.is_empty() || t.len() > 5 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PortError::new(
            spec,
            format!("`{t}` is not a port number"),
            FIX,
        ));
    }
    match t.parse::<u32>() {
        Ok(0) => Err(PortError::new(
            spec,
            "port 0 cannot be connected to",
            "ports run from 1 to 65535",
        )),
        Ok(n) if n <= 65_535 => Ok(n as u16),
        _ => Err(PortError::new(
            spec,
            format!("{t} is above 65535"),
            "ports run from 1 to 65535",
        )),
    }
}

fn parse_range(spec: &str, token: &str) -> Result<PortItem, PortError> {
    match token.split_once('-') {
        None => {
            let p = parse_number(spec, token)?;
            Ok(PortItem::Range(p, p))
        }
        Some((a, b)) => {
            let first = if a.trim().is_empty() {
                1
            } else {
                parse_number(spec, a)?
            };
            let last = if b.trim().is_empty() {
                65_535
            } else {
                parse_number(spec, b)?
            };
            if first > last {
                return Err(PortError::new(
                    spec,
                    format!("the range {token} runs backwards"),
                    format!("write the lower port first: {last}-{first}"),
                ));
            }
            Ok(PortItem::Range(first, last))
        }
    }
}

/// A set of ports as a bitmap (8 KiB).
#[derive(Clone)]
pub struct PortSet {
    bits: Box<[u64; 1024]>,
}

impl Default for PortSet {
    fn default() -> Self {
        PortSet {
            bits: Box::new([0; 1024]),
        }
    }
}

impl PortSet {
    /// Adds `first..=last`.
    pub fn insert_range(&mut self, first: u16, last: u16) {
        for port in first..=last {
            self.insert(port);
        }
    }

    /// Adds one port.
    pub fn insert(&mut self, port: u16) {
        if let Some(word) = self.bits.get_mut(usize::from(port / 64)) {
            *word |= 1 << (port % 64);
        }
    }

    /// True when `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.bits
            .get(usize::from(port / 64))
            .is_some_and(|w| w & (1 << (port % 64)) != 0)
    }

    /// The ports, ascending.
    pub fn to_list(&self) -> PortList {
        PortList {
            ports: (0..=u16::MAX).filter(|&p| self.contains(p)).collect(),
        }
    }
}

/// Ports to scan, ascending and distinct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortList {
    ports: Vec<u16>,
}

impl PortList {
    /// A list from any ports (sorted, repeats and 0 removed).
    pub fn new(mut ports: Vec<u16>) -> Self {
        ports.retain(|&p| p != 0);
        ports.sort_unstable();
        ports.dedup();
        PortList { ports }
    }

    /// The ports.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.ports.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }

    /// Compact text: `22,80,1000-2000` (nmap's `services` attribute).
    pub fn compact(&self) -> String {
        let mut out = String::new();
        let mut i = 0;
        while let Some(&start) = self.ports.get(i) {
            let mut end = start;
            while self
                .ports
                .get(i + 1)
                .is_some_and(|&n| Some(n) == end.checked_add(1))
            {
                i += 1;
                end = self.ports.get(i).copied().unwrap_or(end);
            }
            if !out.is_empty() {
                out.push(',');
            }
            if start == end {
                out.push_str(&start.to_string());
            } else {
                out.push_str(&format!("{start}-{end}"));
            }
            i += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(spec: &str) -> Vec<u16> {
        let catalog = Catalog::builtin().unwrap();
        PortSpec::parse(spec)
            .unwrap()
            .resolve(&catalog, Transport::Tcp)
            .unwrap()
            .ports()
            .to_vec()
    }

    #[test]
    fn lists_ranges_and_words() {
        assert_eq!(list("80,22,1000-1002,22"), [22, 80, 1000, 1001, 1002]);
        assert_eq!(list("all").len(), 65_535);
        assert_eq!(list("-").len(), 65_535);
        assert_eq!(list("-3"), [1, 2, 3]);
        assert_eq!(list("65534-"), [65_534, 65_535]);
        let catalog = list("catalog");
        assert!(catalog.contains(&445) && catalog.contains(&389) && catalog.contains(&3389));
        assert!(
            !catalog.contains(&49_999),
            "dynamic RPC ranges are not expanded"
        );
        let dc = list("role:domain-controller");
        assert!(dc.contains(&88) && dc.contains(&445), "{dc:?}");
        assert!(dc.len() < catalog.len());
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let err = |s: &str| PortSpec::parse(s).unwrap_err().to_string();
        assert!(err("2000-1000").contains("runs backwards"));
        assert!(err("2000-1000").contains("1000-2000"));
        assert!(err("0").contains("port 0"));
        assert!(err("65536").contains("above 65535"));
        assert!(err("http").contains("not a port number"));
        assert!(err("22,,80").contains("empty item"));
        assert!(err("role:").contains("role name"));
        let catalog = Catalog::builtin().unwrap();
        let unknown = PortSpec::parse("role:nope")
            .unwrap()
            .resolve(&catalog, Transport::Tcp)
            .unwrap_err();
        assert!(unknown.to_string().contains("known roles"), "{unknown}");
    }

    #[test]
    fn compact_text() {
        assert_eq!(
            PortList::new(vec![1, 2, 3, 5, 7, 8, 65535]).compact(),
            "1-3,5,7-8,65535"
        );
        assert_eq!(PortList::new(vec![]).compact(), "");
    }
}
