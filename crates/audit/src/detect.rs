//! Telling the formats apart from their content.

use crate::listener::Format;
use crate::source::{check, netstat, proc_net, ss};

/// Every input format and the names that choose it instead of detection (`--input-format`):
/// its own name ([`Format::as_str`]) first, then the aliases its `FromStr` accepts.
/// In documentation order; detection tries them in [`Format::ALL`]'s order.
/// `powershell-tcp` and `powershell-udp` are never detected: they say which protocol
/// PowerShell objects are when the JSON cannot tell.
pub const INPUT_FORMATS: [(Format, &[&str]); 8] = [
    (Format::ProcNet, &["proc", "proc-net", "procnet"]),
    (Format::Ss, &["ss"]),
    (Format::Netstat, &["netstat"]),
    (Format::PowerShell, &["powershell", "ps", "ps-json", "pwsh"]),
    (Format::PowerShellTcp, &["powershell-tcp", "ps-tcp"]),
    (Format::PowerShellUdp, &["powershell-udp", "ps-udp"]),
    (Format::NmapXml, &["nmap-xml", "nmap", "xml"]),
    (Format::Check, &["check-json", "check", "portolan"]),
];

/// Lines looked at before giving up.
const LINES_LOOKED_AT: usize = 200;

/// The format of `text`, if it looks like one this crate reads.
///
/// XML is taken as nmap's, JSON as portolan check's when it has its fields, else as
/// PowerShell's; text is recognised by a header line or by
/// the shape of its first row, so headerless `ss -H` and localised `netstat` are found too.
pub fn detect(text: &str) -> Option<Format> {
    let start = text.trim_start();
    if start.starts_with('<') {
        return Some(Format::NmapXml);
    }
    if check::looks_like(text) {
        return Some(Format::Check);
    }
    if start.starts_with('[') || start.starts_with('{') {
        return Some(Format::PowerShell);
    }
    for line in text.lines().take(LINES_LOOKED_AT) {
        let line = netstat::without_match_marker(line).trim();
        if line.is_empty() {
            continue;
        }
        if proc_net::is_header(line) {
            return Some(Format::ProcNet);
        }
        if ss::is_header(line) {
            return Some(Format::Ss);
        }
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or_default();
        let second = words.next().unwrap_or_default();
        let lower = first.to_ascii_lowercase();
        let is_protocol = matches!(
            lower.as_str(),
            "tcp" | "udp" | "tcp6" | "udp6" | "tcpv6" | "udpv6"
        );
        if first == "Proto" {
            return Some(Format::Netstat);
        }
        if is_protocol && is_ss_state(second) {
            return Some(Format::Ss);
        }
        if is_ss_state(first)
            && line
                .split_whitespace()
                .nth(3)
                .is_some_and(|w| w.contains(':'))
        {
            return Some(Format::Ss);
        }
        let numeric = !second.is_empty() && second.bytes().all(|b| b.is_ascii_digit());
        if is_protocol && (second.contains(':') || numeric) {
            return Some(Format::Netstat);
        }
    }
    None
}

fn is_ss_state(word: &str) -> bool {
    matches!(
        word,
        "LISTEN" | "UNCONN" | "ESTAB" | "TIME-WAIT" | "CLOSE-WAIT" | "SYN-SENT" | "SYN-RECV"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_format_names_are_what_from_str_accepts() {
        assert_eq!(INPUT_FORMATS.len(), Format::ALL.len() + 2);
        for format in Format::ALL.into_iter().chain(Format::FORCED_ONLY) {
            let (_, names) = INPUT_FORMATS
                .iter()
                .find(|(f, _)| *f == format)
                .expect("every format is listed");
            assert_eq!(names[0], format.as_str());
            for name in *names {
                assert_eq!(name.parse::<Format>().ok(), Some(format), "{name}");
            }
        }
    }

    #[test]
    fn recognises_each_format() {
        let cases = [
            ("<?xml version=\"1.0\"?><nmaprun>", Some(Format::NmapXml)),
            ("  [{\"LocalPort\": 1}]", Some(Format::PowerShell)),
            (
                "  sl  local_address rem_address   st",
                Some(Format::ProcNet),
            ),
            (
                "Netid State  Recv-Q Send-Q Local Address:Port",
                Some(Format::Ss),
            ),
            ("State  Recv-Q Send-Q Local Address:Port", Some(Format::Ss)),
            ("tcp   LISTEN 0 128 0.0.0.0:22 0.0.0.0:*", Some(Format::Ss)),
            ("LISTEN 0 128 0.0.0.0:22 0.0.0.0:*", Some(Format::Ss)),
            (
                "\r\nActive Connections\r\n\r\n  Proto  Local Address",
                Some(Format::Netstat),
            ),
            (
                "Aktive Verbindungen\n  TCP    0.0.0.0:135   0.0.0.0:0  ABH",
                Some(Format::Netstat),
            ),
            (
                "tcp        0      0 0.0.0.0:22  0.0.0.0:*  LISTEN",
                Some(Format::Netstat),
            ),
            ("hello\nworld", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(detect(text), want, "{text:?}");
        }
    }
}
