//! Port names as Windows' services file gives them, for `netstat -a` without `-n`, which
//! prints `0.0.0.0:epmap` and `[::]:microsoft-ds` instead of port numbers. The names are data:
//! `data/windows-services.txt`, in the services file's own format, with its source noted there.

use std::collections::HashMap;
use std::sync::OnceLock;

use portolan_catalog::{Transport, services_file};

/// The table, in the format of `%SystemRoot%\System32\drivers\etc\services`.
const SERVICES: &str = include_str!("../data/windows-services.txt");

/// The port a service name (or one of its aliases) stands for on `transport`, case-insensitive.
pub(crate) fn port_of(name: &str, transport: Transport) -> Option<u16> {
    index()
        .get(&(name.to_ascii_lowercase(), transport))
        .copied()
}

/// Every name and alias (lower case) with its protocol, and the port of the first line that
/// gives it, read once per process: `netstat -a` listings repeat names on every row, and
/// scanning the file for each had been a sixth of a large listing's reading.
fn index() -> &'static HashMap<(String, Transport), u16> {
    static INDEX: OnceLock<HashMap<(String, Transport), u16>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = HashMap::new();
        for entry in services_file::entries(SERVICES) {
            for name in std::iter::once(entry.name).chain(entry.fields()) {
                index
                    .entry((name.to_ascii_lowercase(), entry.transport))
                    .or_insert(entry.port);
            }
        }
        index
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_netstat_prints() {
        assert_eq!(port_of("epmap", Transport::Tcp), Some(135));
        assert_eq!(port_of("microsoft-ds", Transport::Tcp), Some(445));
        assert_eq!(port_of("netbios-ssn", Transport::Tcp), Some(139));
        assert_eq!(port_of("netbios-ns", Transport::Udp), Some(137));
        assert_eq!(port_of("ms-wbt-server", Transport::Tcp), Some(3389));
        assert_eq!(port_of("krb5", Transport::Udp), Some(88));
        assert_eq!(port_of("LDAP", Transport::Tcp), Some(389));
        assert_eq!(port_of("ldap", Transport::Udp), None);
        assert_eq!(port_of("ntp", Transport::Tcp), None);
        assert_eq!(port_of("nonesuch", Transport::Tcp), None);
    }

    /// The entries searched in file order for each name, as `port_of` did before its index.
    fn port_by_scan(name: &str, transport: Transport) -> Option<u16> {
        services_file::entries(SERVICES)
            .filter(|e| e.transport == transport)
            .find(|e| {
                e.name.eq_ignore_ascii_case(name)
                    || e.fields().any(|alias| alias.eq_ignore_ascii_case(name))
            })
            .map(|e| e.port)
    }

    #[test]
    fn the_index_agrees_with_a_scan_of_the_file_for_every_name() {
        let names: Vec<&str> = SERVICES
            .lines()
            .flat_map(|l| l.split('#').next().unwrap_or_default().split_whitespace())
            .filter(|w| !w.contains('/'))
            .collect();
        assert!(names.len() > 200);
        for name in names {
            for spelling in [name.to_string(), name.to_ascii_uppercase()] {
                for transport in [Transport::Tcp, Transport::Udp, Transport::Ip(47)] {
                    assert_eq!(
                        port_of(&spelling, transport),
                        port_by_scan(&spelling, transport),
                        "{spelling} {transport:?}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_index_agrees_with_a_scan_of_the_file(name in "[a-zA-Z0-9._-]{0,12}") {
            for transport in [Transport::Tcp, Transport::Udp] {
                proptest::prop_assert_eq!(port_of(&name, transport), port_by_scan(&name, transport));
            }
        }
    }

    #[test]
    fn every_line_is_an_entry() {
        let lines = SERVICES
            .lines()
            .filter(|l| !l.split('#').next().unwrap_or_default().trim().is_empty())
            .count();
        assert!(lines > 200);
        assert_eq!(services_file::entries(SERVICES).count(), lines);
    }
}
