//! nmap's XML output format (`-oX`), valid against nmap's own DTD, so that tools that read
//! nmap reports read portolan's. The DTD fixes `scanner="nmap"`; the `args` attribute and a
//! comment say that portolan wrote the file. Open ports are named from the catalog
//! (`method="table"`, as nmap names ports from its services file).

use std::fmt::Write as _;
use std::time::Duration;

use quick_xml::escape::escape;

use crate::naming::PortNames;
use crate::ports::PortList;
use crate::result::{HostSummary, PortResult, PortState};

/// The scan as a whole.
#[derive(Debug, Clone)]
pub struct XmlScan<'a> {
    /// The command line, for the `args` attribute.
    pub args: &'a str,
    /// Start time, seconds since the Unix epoch.
    pub start_unix: u64,
    /// Version of portolan.
    pub version: &'a str,
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
    /// What the engine knows of the host.
    pub summary: &'a HostSummary,
    /// The host name it was given as.
    pub name: Option<&'a str>,
    /// Ports to list one by one (open ones, and closed and filtered ones with `--all`).
    pub ports: Vec<&'a PortResult>,
}

/// Writes the report.
pub fn write(scan: &XmlScan<'_>, names: &PortNames) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n");
    let _ = writeln!(
        out,
        "<!-- portolan {} connect scan; nmap-compatible output -->",
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
        "<scaninfo type=\"connect\" protocol=\"tcp\" numservices=\"{}\" services=\"{}\"/>",
        scan.ports.len(),
        scan.ports.compact()
    );
    out.push_str("<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n");
    let mut up = 0u64;
    let mut down = scan.unlisted_down;
    for host in &scan.hosts {
        if host.summary.up {
            up += 1;
        } else {
            down += 1;
        }
        write_host(&mut out, scan, host, names);
    }
    let end = scan.start_unix + scan.elapsed.as_secs();
    let elapsed = format!("{:.2}", scan.elapsed.as_secs_f64());
    let total = up + down;
    let summary =
        format!("portolan done: {total} IP addresses ({up} hosts up) scanned in {elapsed} seconds");
    match &scan.interrupted {
        None => {
            let _ = writeln!(
                out,
                "<runstats><finished time=\"{end}\" elapsed=\"{elapsed}\" summary=\"{}\" exit=\"success\"/>",
                escape(&summary)
            );
        }
        Some(why) => {
            let _ = writeln!(
                out,
                "<runstats><finished time=\"{end}\" elapsed=\"{elapsed}\" summary=\"{}\" exit=\"error\" errormsg=\"{}\"/>",
                escape(&summary),
                escape(why)
            );
        }
    }
    let _ = writeln!(
        out,
        "<hosts up=\"{up}\" down=\"{down}\" total=\"{total}\"/>\n</runstats>\n</nmaprun>"
    );
    out
}

fn write_host(out: &mut String, scan: &XmlScan<'_>, host: &XmlHost<'_>, names: &PortNames) {
    let s = host.summary;
    let _ = writeln!(
        out,
        "<host starttime=\"{}\" endtime=\"{}\">",
        scan.start_unix + s.started_ms / 1000,
        scan.start_unix + s.finished_ms / 1000
    );
    let (state, reason) = if s.open > 0 {
        ("up", "syn-ack")
    } else if s.up {
        ("up", "conn-refused")
    } else {
        ("down", "no-response")
    };
    let _ = writeln!(
        out,
        "<status state=\"{state}\" reason=\"{reason}\" reason_ttl=\"0\"/>"
    );
    let family = if s.address.is_ipv4() { "ipv4" } else { "ipv6" };
    let _ = writeln!(
        out,
        "<address addr=\"{}\" addrtype=\"{family}\"/>",
        s.address
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
    let listed = |state: PortState| host.ports.iter().filter(|p| p.state == state).count() as u32;
    for (state, count) in [("closed", s.closed), ("filtered", s.filtered)] {
        let unlisted = count.saturating_sub(listed(match state {
            "closed" => PortState::Closed,
            _ => PortState::Filtered,
        }));
        if unlisted > 0 {
            let _ = writeln!(out, "<extraports state=\"{state}\" count=\"{unlisted}\"/>");
        }
    }
    for port in &host.ports {
        let _ = write!(
            out,
            "<port protocol=\"tcp\" portid=\"{}\"><state state=\"{}\" reason=\"{}\" reason_ttl=\"0\"/>",
            port.port,
            port.state.as_str(),
            port.reason.as_str()
        );
        match names.get(port.port) {
            Some(name) => {
                let product = name.service_names.join(", ");
                let _ = write!(
                    out,
                    "<service name=\"{}\" product=\"{}\" extrainfo=\"portolan catalog\" method=\"table\" conf=\"3\"/>",
                    escape(&name.app),
                    escape(&product)
                );
            }
            None => out.push_str("<service name=\"unknown\" method=\"table\" conf=\"3\"/>"),
        }
        out.push_str("</port>\n");
    }
    out.push_str("</ports>\n");
    let srtt = s.srtt_us.unwrap_or(0);
    let rttvar = s.rttvar_us.unwrap_or(0);
    let _ = writeln!(
        out,
        "<times srtt=\"{srtt}\" rttvar=\"{rttvar}\" to=\"{}\"/>\n</host>",
        s.timeout_us
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::Reason;

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
            state: PortState::Open,
            reason: Reason::SynAck,
            tries: 1,
            rtt_us: Some(40),
        };
        let ports = PortList::new((440..=452).collect());
        let scan = XmlScan {
            args: "portolan scan 127.0.0.1 -p 440-452 <&>",
            start_unix: 1_700_000_000,
            version: "0.1.0",
            ports: &ports,
            elapsed: Duration::from_millis(1500),
            interrupted: None,
            hosts: vec![XmlHost {
                summary: &summary,
                name: Some("localhost"),
                ports: vec![&open],
            }],
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
        assert!(xml.contains("services=\"440-452\""));
        assert!(xml.contains("<extraports state=\"closed\" count=\"10\"/>"));
        assert!(xml.contains(
            "<port protocol=\"tcp\" portid=\"445\"><state state=\"open\" reason=\"syn-ack\""
        ));
        assert!(xml.contains("<service name=\"SMB\""));
        assert!(xml.contains("<hosts up=\"1\" down=\"0\" total=\"1\"/>"));
        assert!(xml.trim_end().ends_with("</nmaprun>"));
    }
}
