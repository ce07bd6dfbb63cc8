//! Names for ports from the catalog: the application protocol and the services that use a
//! port, preferring rows of that exact port to rows of a range that covers it; and the
//! service names nmap writes for a port ([`ServiceNames`]), so that `--format nmap-xml`
//! matches nmap's own reports.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use portolan_catalog::{Catalog, PortSpec, Transport, services_file};
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
    /// nmap's names of this transport's ports (empty when built by `default()`).
    nmap: BTreeMap<u16, String>,
}

impl PortNames {
    /// The names of every fixed port and range of `transport` in the catalog.
    pub fn new(catalog: &Catalog, transport: Transport) -> Self {
        let mut names = PortNames {
            nmap: ServiceNames::installed().of(transport),
            ..PortNames::default()
        };
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

    /// The service name nmap writes for `port` (`microsoft-ds`, `msrpc`), if it names it.
    pub fn nmap_name(&self, port: u16) -> Option<&str> {
        self.nmap.get(&port).map(String::as_str)
    }
}

/// The IANA names of the catalog's ports: the fallback when nmap is not installed. Its
/// header says where the names come from.
const IANA_SERVICES: &str = include_str!("../data/iana-services.txt");

/// Where nmap keeps its services file on Debian and most systems.
pub const NMAP_SERVICES: &str = "/usr/share/nmap/nmap-services";

/// Service names by port, as nmap names ports from its services file (`method="table"`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceNames {
    /// Name and open frequency (0 when the file gives none), by transport and port.
    names: BTreeMap<(Transport, u16), (String, f64)>,
    /// Where the names come from.
    source: &'static str,
}

impl ServiceNames {
    /// nmap's own names when its services file is installed, else the IANA table carried
    /// with portolan; read once per process.
    pub fn installed() -> &'static ServiceNames {
        static NAMES: OnceLock<ServiceNames> = OnceLock::new();
        NAMES.get_or_init(|| match std::fs::read_to_string(NMAP_SERVICES) {
            Ok(text) => ServiceNames::parse(&text, NMAP_SERVICES),
            Err(_) => ServiceNames::iana(),
        })
    }

    /// The IANA table carried with portolan.
    pub fn iana() -> ServiceNames {
        ServiceNames::parse(IANA_SERVICES, "IANA (portolan's table)")
    }

    /// Reads a services file: `name port/protocol [frequency] [# comment]` per line, as
    /// nmap-services and /etc/services write it. Where a port has several names, nmap keeps
    /// the one with the highest open frequency (the first among equals); lines that do not
    /// read are skipped, as nmap skips them.
    pub fn parse(text: &str, source: &'static str) -> ServiceNames {
        let mut names: BTreeMap<(Transport, u16), (String, f64)> = BTreeMap::new();
        for entry in services_file::entries(text) {
            let frequency = entry
                .fields()
                .next()
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0);
            let place = (entry.transport, entry.port);
            match names.get(&place) {
                Some((_, known)) if *known >= frequency => {}
                _ => {
                    names.insert(place, (entry.name.to_string(), frequency));
                }
            }
        }
        ServiceNames { names, source }
    }

    /// The name of `port` over `transport`.
    pub fn get(&self, transport: Transport, port: u16) -> Option<&str> {
        self.names.get(&(transport, port)).map(|(n, _)| n.as_str())
    }

    /// Where the names come from: the nmap-services path, or the IANA table.
    pub fn source(&self) -> &'static str {
        self.source
    }

    fn of(&self, transport: Transport) -> BTreeMap<u16, String> {
        self.names
            .iter()
            .filter(|((t, _), _)| *t == transport)
            .map(|((_, port), (name, _))| (*port, name.clone()))
            .collect()
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

    #[test]
    fn nmap_services_keep_the_most_frequent_name() {
        let text = "# comment\nmsrpc\t135/tcp\t0.047798\t# epmap | DCE\nepmap\t135/tcp\t0.001\n\
                    kerberos-sec\t88/udp\t0.006\nbroken line\nx\t99999/tcp\n";
        let names = ServiceNames::parse(text, "test");
        assert_eq!(names.get(Transport::Tcp, 135), Some("msrpc"));
        assert_eq!(names.get(Transport::Udp, 88), Some("kerberos-sec"));
        assert_eq!(names.get(Transport::Tcp, 88), None);
    }

    #[test]
    fn the_iana_table_names_the_catalog_ports() {
        let iana = ServiceNames::iana();
        assert_eq!(iana.get(Transport::Tcp, 445), Some("microsoft-ds"));
        assert_eq!(iana.get(Transport::Tcp, 135), Some("epmap"));
        assert_eq!(iana.get(Transport::Tcp, 3268), Some("msft-gc"));
        assert_eq!(iana.get(Transport::Udp, 53), Some("domain"));
    }

    #[test]
    fn nmap_names_come_from_nmap_when_installed() {
        let names = PortNames::new(&Catalog::builtin().unwrap(), Transport::Tcp);
        let expected = if std::path::Path::new(NMAP_SERVICES).exists() {
            "msrpc"
        } else {
            "epmap"
        };
        assert_eq!(names.nmap_name(135), Some(expected));
        assert_eq!(PortNames::default().nmap_name(135), None);
    }
}
