//! Port names as Windows' services file gives them, for `netstat -a` without `-n`, which
//! prints `0.0.0.0:epmap` and `[::]:microsoft-ds` instead of port numbers. The names are data:
//! `data/windows-services.txt`, in the services file's own format, with its source noted there.

use portolan_catalog::Transport;

/// The table, in the format of `%SystemRoot%\System32\drivers\etc\services`.
const SERVICES: &str = include_str!("../data/windows-services.txt");

/// The port a service name (or one of its aliases) stands for on `transport`, case-insensitive.
pub(crate) fn port_of(name: &str, transport: Transport) -> Option<u16> {
    let wanted = transport.key();
    SERVICES.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let first = words.next()?;
        let (port, protocol) = words.next()?.split_once('/')?;
        if protocol != wanted {
            return None;
        }
        let named =
            first.eq_ignore_ascii_case(name) || words.any(|alias| alias.eq_ignore_ascii_case(name));
        named.then(|| port.parse().ok()).flatten()
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
