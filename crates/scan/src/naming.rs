//! Names for ports from the catalog: the application protocol and the services that use a
//! port, preferring rows of that exact port to rows of a range that covers it.

use std::collections::BTreeMap;

use portolan_catalog::{Catalog, PortSpec, Transport};
use serde::Serialize;

/// What the catalog says about one port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortName {
    /// Application protocol as the catalog writes it ("SMB", "LDAP Server").
    pub app: String,
    /// Ids of the services listening there, in catalog order, without repeats.
    pub services: Vec<String>,
    /// Their display names, same order.
    pub service_names: Vec<String>,
}

/// A look-up table of port names for one transport.
#[derive(Debug, Clone, Default)]
pub struct PortNames {
    exact: BTreeMap<u16, PortName>,
    ranges: Vec<(u16, u16, PortName)>,
}

impl PortNames {
    /// The names of every fixed port and range of `transport` in the catalog.
    pub fn new(catalog: &Catalog, transport: Transport) -> Self {
        let mut names = PortNames::default();
        for (service, row) in catalog.rows() {
            if row.transport != transport {
                continue;
            }
            let entry = match row.port {
                Some(PortSpec::Single(p)) => {
                    names.exact.entry(p).or_insert_with(|| empty(&row.app))
                }
                Some(PortSpec::Range(a, b)) => {
                    let at = match names
                        .ranges
                        .iter()
                        .position(|(x, y, n)| (*x, *y) == (a, b) && n.app == row.app)
                    {
                        Some(i) => i,
                        None => {
                            names.ranges.push((a, b, empty(&row.app)));
                            names.ranges.len() - 1
                        }
                    };
                    match names.ranges.get_mut(at) {
                        Some((_, _, n)) => n,
                        None => continue,
                    }
                }
                _ => continue,
            };
            if !entry.services.contains(&service.id) {
                entry.services.push(service.id.clone());
                entry.service_names.push(service.name.clone());
            }
        }
        names
    }

    /// The name of `port`, if the catalog knows it.
    pub fn get(&self, port: u16) -> Option<&PortName> {
        self.exact.get(&port).or_else(|| {
            self.ranges
                .iter()
                .filter(|(a, b, _)| (*a..=*b).contains(&port))
                .min_by_key(|(a, b, _)| b - a)
                .map(|(_, _, n)| n)
        })
    }
}

fn empty(app: &str) -> PortName {
    PortName {
        app: app.to_string(),
        services: Vec::new(),
        service_names: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_well_known_ports() {
        let names = PortNames::new(&Catalog::builtin().unwrap(), Transport::Tcp);
        let smb = names.get(445).unwrap();
        assert_eq!(smb.app, "SMB");
        assert!(smb.services.iter().any(|s| s == "server"), "{smb:?}");
        assert_eq!(names.get(3268).unwrap().app, "Global Catalog Server");
        assert!(names.get(8080).is_none());
    }
}
