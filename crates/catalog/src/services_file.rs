//! The services-file format: `name port/protocol [field...] [# comment]` per line, as
//! `/etc/services`, Windows' `drivers\etc\services` and `nmap-services` write it. The fields
//! after the port mean different things in each (aliases, or nmap's open frequency), so the
//! reader hands them over as they are; each caller reads its own.
//!
//! One reader for the format: the audit's port names (Windows' file) and the scan's nmap
//! names both go through it.

use crate::Transport;

/// One entry: a line with a name and a TCP or UDP port.
#[derive(Debug, Clone)]
pub struct ServicesEntry<'a> {
    /// The first field.
    pub name: &'a str,
    /// `tcp` or `udp`; lines of other protocols (`ddp`, `sctp`) are not entries.
    pub transport: Transport,
    pub port: u16,
    /// The fields after `port/protocol`, without the comment: aliases in a system services
    /// file, the open frequency in nmap-services.
    rest: std::str::SplitWhitespace<'a>,
}

impl<'a> ServicesEntry<'a> {
    /// The fields after `port/protocol`.
    pub fn fields(&self) -> std::str::SplitWhitespace<'a> {
        self.rest.clone()
    }
}

/// The entries of a services file, in file order. A line that does not read (no
/// `port/protocol`, a port over 65535, another protocol) is skipped, as the C library and
/// nmap skip it.
pub fn entries(text: &str) -> impl Iterator<Item = ServicesEntry<'_>> {
    text.lines().filter_map(entry)
}

fn entry(line: &str) -> Option<ServicesEntry<'_>> {
    let mut words = line.split('#').next()?.split_whitespace();
    let name = words.next()?;
    let (port, protocol) = words.next()?.split_once('/')?;
    let transport = match protocol {
        "tcp" => Transport::Tcp,
        "udp" => Transport::Udp,
        _ => return None,
    };
    Some(ServicesEntry {
        name,
        transport,
        port: port.parse().ok()?,
        rest: words,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_system_and_nmap_lines() {
        let text = "# comment\n\
                    epmap\t135/tcp\tloc-srv\t\t# DCE endpoint resolution\n\
                    msrpc\t135/tcp\t0.047798\t# epmap | DCE\n\
                    \n\
                    broken line\n\
                    x\t99999/tcp\n\
                    ddp-only\t6/ddp\n\
                    kerberos 88/udp krb5 kerberos-sec\n";
        let read: Vec<_> = entries(text)
            .map(|e| (e.name, e.transport, e.port, e.fields().collect::<Vec<_>>()))
            .collect();
        assert_eq!(
            read,
            vec![
                ("epmap", Transport::Tcp, 135, vec!["loc-srv"]),
                ("msrpc", Transport::Tcp, 135, vec!["0.047798"]),
                ("kerberos", Transport::Udp, 88, vec!["krb5", "kerberos-sec"]),
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_reads_without_panic(text in "\\PC{0,200}") {
            for e in entries(&text) {
                proptest::prop_assert!(text.contains(e.name));
                proptest::prop_assert!(e.fields().all(|f| text.contains(f) && !f.contains('#')));
            }
        }
    }
}
