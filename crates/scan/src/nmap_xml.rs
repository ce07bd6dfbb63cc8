//! nmap's XML output format (`-oX`), valid against nmap's own DTD, so that tools that read
//! nmap reports read portolan's. The DTD fixes `scanner="nmap"`; the `args` attribute and a
//! comment say that portolan wrote the file. Open ports are named as nmap names them from its
//! services file (`method="table"`): nmap's own names when nmap is installed, else IANA's
//! ([`crate::naming::ServiceNames`]); the catalog's names are in `product` and `extrainfo`.
//!
//! The model is protocol-neutral (states are nmap's words, `open|filtered` included, so a UDP
//! report fits too); [`XmlHost::tcp`] builds a host from the connect engine's results.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use portolan_output::xml::escape;

use crate::naming::PortNames;
use crate::ports::PortList;
use portolan_core::Record;

use crate::result::{HostSummary, NmapState};

/// The scan's protocol: `<scaninfo type>` and every `<port protocol>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlProtocol {
    /// A TCP connect scan.
    TcpConnect,
    /// A UDP scan.
    Udp,
}

/// The scan as a whole.
#[derive(Debug, Clone)]
pub struct XmlScan<'a> {
    /// The command line, for the `args` attribute.
    pub args: &'a str,
    /// Start time, seconds since the Unix epoch.
    pub start_unix: u64,
    /// Version of portolan.
    pub version: &'a str,
    /// TCP or UDP.
    pub protocol: XmlProtocol,
    /// The ports scanned.
    pub ports: &'a PortList,
    /// Wall time.
    pub elapsed: Duration,
    /// Set when the scan was interrupted: what was known so far, and why it stopped.
    pub interrupted: Option<String>,
    /// Hosts scanned, in order; each with the ports to list.
    pub hosts: Vec<XmlHost<'a>>,
    /// Hosts scanned but not listed (down, and left out to keep the report small).
    pub unlisted_down: u64,
}

/// One host of the report.
#[derive(Debug, Clone)]
pub struct XmlHost<'a> {
    /// The address.
    pub address: IpAddr,
    /// The host name it was given as.
    pub name: Option<&'a str>,
    /// It answered something.
    pub up: bool,
    /// Why it is up or down (`syn-ack`, `conn-refused`, `udp-response`, `no-response`).
    pub status_reason: &'static str,
    /// Milliseconds after the start when its first and last probes were done.
    pub started_ms: u64,
    /// See `started_ms`.
    pub finished_ms: u64,
    /// Ports not listed, by state: (`closed`, 65000).
    pub extraports: Vec<(&'static str, u64)>,
    /// Ports listed one by one.
    pub ports: Vec<XmlPort>,
    /// Smoothed round trip, its variation and the timeout, in microseconds.
    pub times: Option<(u32, u32, u32)>,
}

/// One listed port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlPort {
    /// The port.
    pub port: u16,
    /// nmap's state: `open`, `closed`, `filtered`, `open|filtered`.
    pub state: &'static str,
    /// nmap's reason: `syn-ack`, `conn-refused`, `no-response`, `port-unreach`, ...
    pub reason: &'static str,
}

impl<'a> XmlHost<'a> {
    /// A host of the connect engine: its summary, the name it was given as and the results
    /// to list; what is not listed goes to `<extraports>`.
    pub fn tcp(summary: &HostSummary, name: Option<&'a str>, listed: &[&Record]) -> Self {
        let count = |states: &[NmapState]| {
            listed
                .iter()
                .filter(|p| states.contains(&p.state()))
                .count() as u64
        };
        let extraports = [
            (
                "closed",
                u64::from(summary.closed).saturating_sub(count(&[NmapState::Closed])),
            ),
            (
                "filtered",
                u64::from(summary.filtered).saturating_sub(count(&[
                    // The sweep counts local errors with the filtered ports.
                    NmapState::Filtered,
                    NmapState::OpenFiltered,
                    NmapState::Error,
                ])),
            ),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
        let status_reason = if summary.open > 0 {
            "syn-ack"
        } else if summary.up {
            "conn-refused"
        } else {
            "no-response"
        };
        XmlHost {
            address: summary.address,
            name,
            up: summary.up,
            status_reason,
            started_ms: summary.started_ms,
            finished_ms: summary.finished_ms,
            extraports,
            ports: listed
                .iter()
                .map(|p| XmlPort {
                    port: p.port,
                    state: p.state().as_str(),
                    reason: p.reason.as_str(),
                })
                .collect(),
            times: Some((
                summary.srtt_us.unwrap_or(0),
                summary.rttvar_us.unwrap_or(0),
                summary.timeout_us,
            )),
        }
    }
}

/// Writes the report.
pub fn write(scan: &XmlScan<'_>, names: &PortNames) -> String {
    let (scan_type, protocol) = match scan.protocol {
        XmlProtocol::TcpConnect => ("connect", "tcp"),
        XmlProtocol::Udp => ("udp", "udp"),
    };
    let mut out = String::with_capacity(4096);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n");
    let _ = writeln!(
        out,
        "<!-- portolan {} {scan_type} scan; nmap-compatible output -->",
        escape(scan.version).replace("--", "- -")
    );
    let _ = writeln!(
        out,
        "<nmaprun scanner=\"nmap\" args=\"{}\" start=\"{}\" version=\"{}\" profile_name=\"portolan\" xmloutputversion=\"1.05\">",
        escape(scan.args),
        scan.start_unix,
        escape(scan.version)
    );
    let _ = writeln!(
        out,
        "<scaninfo type=\"{scan_type}\" protocol=\"{protocol}\" numservices=\"{}\" services=\"{}\"/>",
        scan.ports.len(),
        scan.ports.compact()
    );
    out.push_str("<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n");
    let mut up = 0u64;
    let mut down = scan.unlisted_down;
    for host in &scan.hosts {
        if host.up {
            up += 1;
        } else {
            down += 1;
        }
        write_host(&mut out, scan, protocol, host, names);
    }
    let end = scan.start_unix + scan.elapsed.as_secs();
    let elapsed = format!("{:.2}", scan.elapsed.as_secs_f64());
    let total = up + down;
    let summary =
        format!("portolan done: {total} IP addresses ({up} hosts up) scanned in {elapsed} seconds");
    let _ = write!(
        out,
        "<runstats><finished time=\"{end}\" elapsed=\"{elapsed}\" summary=\"{}\"",
        escape(&summary)
    );
    match &scan.interrupted {
        None => out.push_str(" exit=\"success\"/>\n"),
        Some(why) => {
            let _ = writeln!(out, " exit=\"error\" errormsg=\"{}\"/>", escape(why));
        }
    }
    let _ = writeln!(
        out,
        "<hosts up=\"{up}\" down=\"{down}\" total=\"{total}\"/>\n</runstats>\n</nmaprun>"
    );
    out
}

fn write_host(
    out: &mut String,
    scan: &XmlScan<'_>,
    protocol: &str,
    host: &XmlHost<'_>,
    names: &PortNames,
) {
    let _ = writeln!(
        out,
        "<host starttime=\"{}\" endtime=\"{}\">",
        scan.start_unix + host.started_ms / 1000,
        scan.start_unix + host.finished_ms / 1000
    );
    let state = if host.up { "up" } else { "down" };
    let _ = writeln!(
        out,
        "<status state=\"{state}\" reason=\"{}\" reason_ttl=\"0\"/>",
        host.status_reason
    );
    let family = if host.address.is_ipv4() {
        "ipv4"
    } else {
        "ipv6"
    };
    let _ = writeln!(
        out,
        "<address addr=\"{}\" addrtype=\"{family}\"/>",
        host.address
    );
    match host.name {
        Some(name) => {
            let _ = writeln!(
                out,
                "<hostnames>\n<hostname name=\"{}\" type=\"user\"/>\n</hostnames>",
                escape(name)
            );
        }
        None => out.push_str("<hostnames>\n</hostnames>\n"),
    }
    out.push_str("<ports>");
    for (state, count) in &host.extraports {
        let _ = writeln!(out, "<extraports state=\"{state}\" count=\"{count}\"/>");
    }
    for port in &host.ports {
        let _ = write!(
            out,
            "<port protocol=\"{protocol}\" portid=\"{}\"><state state=\"{}\" reason=\"{}\" reason_ttl=\"0\"/>",
            port.port, port.state, port.reason
        );
        // The service name is nmap's for the port (what `nmap` itself writes, from its
        // services file), so tools that key on it (ndiff, importers) match; the catalog's
        // names go in product and extrainfo.
        let service = escape(names.nmap_name(port.port).unwrap_or("unknown"));
        match names.get(port.port) {
            Some(name) => {
                let product = name.service_names.join(", ");
                let _ = write!(
                    out,
                    "<service name=\"{service}\" product=\"{}\" extrainfo=\"portolan catalog: {}\" method=\"table\" conf=\"3\"/>",
                    escape(&product),
                    escape(&name.app)
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<service name=\"{service}\" method=\"table\" conf=\"3\"/>"
                );
            }
        }
        out.push_str("</port>\n");
    }
    out.push_str("</ports>\n");
    if let Some((srtt, rttvar, timeout)) = host.times {
        let _ = writeln!(
            out,
            "<times srtt=\"{srtt}\" rttvar=\"{rttvar}\" to=\"{timeout}\"/>"
        );
    }
    out.push_str("</host>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{PortResult, Reason};

    #[test]
    fn names_open_ports_and_counts_the_rest() {
        let summary = HostSummary {
            host: 0,
            address: "127.0.0.1".parse().unwrap(),
            open: 1,
            closed: 10,
            filtered: 2,
            up: true,
            srtt_us: Some(40),
            rttvar_us: Some(20),
            timeout_us: 100_000,
            started_ms: 0,
            finished_ms: 5,
        };
        let open = PortResult {
            host: 0,
            address: summary.address,
            port: 445,
            state: NmapState::Open,
            reason: Reason::SynAck,
            tries: 1,
            rtt_us: Some(40),
        };
        let ports = PortList::new((440..=452).collect());
        let scan = XmlScan {
            args: "portolan scan 127.0.0.1 -p 440-452 <&>",
            start_unix: 1_700_000_000,
            version: "0.1.0",
            protocol: XmlProtocol::TcpConnect,
            ports: &ports,
            elapsed: Duration::from_millis(1500),
            interrupted: None,
            hosts: vec![XmlHost::tcp(
                &summary,
                Some("localhost"),
                &[&open.record("localhost".into())],
            )],
            unlisted_down: 0,
        };
        let names = PortNames::new(
            &portolan_catalog::Catalog::builtin().unwrap(),
            portolan_catalog::Transport::Tcp,
        );
        let xml = write(&scan, &names);
        assert!(
            xml.contains("args=\"portolan scan 127.0.0.1 -p 440-452 &lt;&amp;&gt;\""),
            "{xml}"
        );
        assert!(xml.contains(
            "<scaninfo type=\"connect\" protocol=\"tcp\" numservices=\"13\" services=\"440-452\"/>"
        ));
        assert!(xml.contains("<extraports state=\"closed\" count=\"10\"/>"));
        assert!(xml.contains("<extraports state=\"filtered\" count=\"2\"/>"));
        assert!(xml.contains(
            "<port protocol=\"tcp\" portid=\"445\"><state state=\"open\" reason=\"syn-ack\""
        ));
        let nmap = crate::naming::ServiceNames::installed();
        assert_eq!(
            nmap.get(portolan_catalog::Transport::Tcp, 445),
            Some("microsoft-ds")
        );
        assert!(
            xml.contains("<service name=\"microsoft-ds\" product=\""),
            "{xml}"
        );
        assert!(xml.contains("extrainfo=\"portolan catalog: SMB\""), "{xml}");
        assert!(xml.contains("<hostname name=\"localhost\" type=\"user\"/>"));
        assert!(xml.contains("<times srtt=\"40\" rttvar=\"20\" to=\"100000\"/>"));
        assert!(xml.contains("<hosts up=\"1\" down=\"0\" total=\"1\"/>"));
        assert!(xml.trim_end().ends_with("</nmaprun>"));
    }

    #[test]
    fn control_characters_never_reach_the_xml() {
        let escaped = escape("@/tmp/hosts\u{1b}[31m\u{0}.txt\t<&>");
        assert_eq!(
            escaped,
            "@/tmp/hosts\u{fffd}[31m\u{fffd}.txt\t&lt;&amp;&gt;"
        );
    }

    #[test]
    fn interrupted_udp_scans_say_so() {
        let ports = PortList::new(vec![53, 161]);
        let scan = XmlScan {
            args: "portolan scan --udp",
            start_unix: 1,
            version: "0.1.0",
            protocol: XmlProtocol::Udp,
            ports: &ports,
            elapsed: Duration::from_millis(10),
            interrupted: Some("interrupted after 1 of 2 probes".into()),
            hosts: vec![XmlHost {
                address: "::1".parse().unwrap(),
                name: None,
                up: true,
                status_reason: "udp-response",
                started_ms: 0,
                finished_ms: 10,
                extraports: vec![],
                ports: vec![XmlPort {
                    port: 161,
                    state: "open|filtered",
                    reason: "no-response",
                }],
                times: None,
            }],
            unlisted_down: 3,
        };
        let names = PortNames::default();
        let xml = write(&scan, &names);
        assert!(xml.contains("<scaninfo type=\"udp\" protocol=\"udp\""));
        assert!(xml.contains("<address addr=\"::1\" addrtype=\"ipv6\"/>"));
        assert!(
            xml.contains("<port protocol=\"udp\" portid=\"161\"><state state=\"open|filtered\"")
        );
        assert!(xml.contains("exit=\"error\" errormsg=\"interrupted after 1 of 2 probes\""));
        assert!(xml.contains("<hosts up=\"1\" down=\"3\" total=\"4\"/>"));
        assert!(!xml.contains("<times"));
    }
}
