//! Port names as Windows' services file gives them, for `netstat -a` without `-n`, which
//! prints `0.0.0.0:epmap` and `[::]:microsoft-ds` instead of port numbers. The names are data:
//! `data/windows-services.txt`, in the services file's own format, with its source noted there.

use std::collections::HashMap;
use std::sync::OnceLock;

use portolan_catalog::Transport;

/// The table, in the format of `%SystemRoot%\System32\drivers\etc\services`.
const SERVICES: &str = include_str!("../data/windows-services.txt");

/// The port a service name (or one of its aliases) stands for on `transport`, case-insensitive.
pub(crate) fn port_of(name: &str, transport: Transport) -> Option<u16> {
    let protocol = match transport {
        Transport::Tcp => Protocol::Tcp,
        Transport::Udp => Protocol::Udp,
        _ => return None,
    };
    index().get(&(name.to_ascii_lowercase(), protocol)).copied()
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Protocol {
    Tcp,
    Udp,
}

/// Every name and alias (lower case) with its protocol, and the port of the first line that
/// gives it, read once per process: `netstat -a` listings repeat names on every row, and
/// scanning the file for each had been a sixth of a large listing's reading.
fn index() -> &'static HashMap<(String, Protocol), u16> {
    static INDEX: OnceLock<HashMap<(String, Protocol), u16>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = HashMap::new();
        for line in SERVICES.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let (Some(first), Some(port_protocol)) = (words.next(), words.next()) else {
                continue;
            };
            let Some((port, protocol)) = port_protocol.split_once('/') else {
                continue;
            };
            let protocol = match protocol {
                "tcp" => Protocol::Tcp,
                "udp" => Protocol::Udp,
                _ => continue,
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            for name in std::iter::once(first).chain(words) {
                index
                    .entry((name.to_ascii_lowercase(), protocol))
                    .or_insert(port);
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

    /// The file read line by line for each name, as `port_of` did before its index.
    fn port_by_scan(name: &str, transport: Transport) -> Option<u16> {
        let wanted = transport.key();
        SERVICES.lines().find_map(|line| {
            let line = line.split('#').next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let first = words.next()?;
            let (port, protocol) = words.next()?.split_once('/')?;
            if protocol != wanted {
                return None;
            }
            let named = first.eq_ignore_ascii_case(name)
                || words.any(|alias| alias.eq_ignore_ascii_case(name));
            named.then(|| port.parse().ok()).flatten()
        })
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
    fn every_entry_is_well_formed() {
        for line in SERVICES.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let Some(_) = words.next() else { continue };
            let (port, protocol) = words.next().unwrap().split_once('/').unwrap();
            assert!(port.parse::<u16>().is_ok(), "{line}");
            assert!(protocol == "tcp" || protocol == "udp", "{line}");
        }
    }
}
