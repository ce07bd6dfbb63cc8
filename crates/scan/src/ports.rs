//! The ports of a sweep: a port spec in the workspace's one grammar
//! ([`portolan_catalog::portspec`]: `22,80,1000-2000`, `-100`, `60000-`, `all`, `catalog`,
//! `role:NAME`, `service:NAME`, `tcp:`/`udp:` prefixes) resolved for the transport swept.

use portolan_catalog::{Catalog, PortRange, PortSpecError, Ports, QueryError, Transport, fold};

/// The ports `text` names on `transport`, the one transport a sweep runs on (TCP, or UDP with
/// `--udp`): bare ports take it, and items written for the other transport are left out.
pub fn resolve_ports(
    catalog: &Catalog,
    text: &str,
    transport: Transport,
) -> Result<PortList, PortSpecError> {
    let spec = Ports::parse(text)?;
    let ranges = spec.resolve(catalog, &[transport])?;
    let folded = fold(
        ranges
            .into_iter()
            .filter(|(t, _)| *t == transport)
            .map(|(_, r)| r),
    );
    if folded.is_empty() {
        return Err(QueryError::new(
            text,
            format!("gives no {} port", transport.key()),
            "add port numbers, or pick a role or service with fixed ports on this transport",
        )
        .into());
    }
    Ok(PortList::from_folded(&folded))
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

    /// The ports of folded ranges (ascending and disjoint, as [`fold`] gives them).
    fn from_folded(ranges: &[PortRange]) -> Self {
        PortList {
            ports: ranges.iter().flat_map(|r| r.ports()).collect(),
        }
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
        resolve_ports(&catalog, spec, Transport::Tcp)
            .unwrap()
            .ports()
            .to_vec()
    }

    #[test]
    fn lists_ranges_and_words() {
        assert_eq!(list("80,22,1000-1002,22"), [22, 80, 1000, 1001, 1002]);
        assert_eq!(list("all").len(), 65_535);
        assert_eq!(list("-3"), [1, 2, 3]);
        assert_eq!(list("65534-"), [65_534, 65_535]);
        assert_eq!(
            list("tcp:135,445 udp:53"),
            [135, 445],
            "UDP items are not swept over TCP"
        );
        let catalog = list("catalog");
        assert!(catalog.contains(&445) && catalog.contains(&389) && catalog.contains(&3389));
        let dc = list("role:domain-controller");
        assert!(dc.contains(&88) && dc.contains(&445), "{dc:?}");
        assert!(dc.len() < catalog.len());
    }

    #[test]
    fn a_spec_without_ports_on_the_transport_is_refused() {
        let catalog = Catalog::builtin().unwrap();
        let err = resolve_ports(&catalog, "udp:53", Transport::Tcp).unwrap_err();
        assert!(err.to_string().contains("gives no tcp port"), "{err}");
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
