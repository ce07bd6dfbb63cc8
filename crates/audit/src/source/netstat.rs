//! `netstat` output: Windows `netstat -ano` and `netstat -anob`, and Linux net-tools
//! `netstat -tulpn`.
//!
//! Windows localises the headers and the state words (German prints "ABHÖREN" for
//! LISTENING), so rows are recognised by their shape: a protocol, a local and a foreign
//! address, and for TCP a state, then the process id with `-o`. A TCP row whose foreign
//! address is `0.0.0.0:0` or `[::]:0` is listening whatever the state word says. UDP rows
//! (`*:*`) are bound sockets. With `-b`, the lines after a row name the executable in
//! brackets (`[lsass.exe]`) and, for services in shared processes, the service (`RpcSs`).
//! Output filtered through PowerShell's `Select-String -Context` (as InSpec captures it) marks
//! each matching row with `> `; the marker is dropped.

use portolan_catalog::Transport;

use crate::error::{AuditError, ErrorKind};
use crate::listener::{Format, Owner, Parsed, SocketState};
use crate::text::{TextAddr, numbered_lines, parse_text_addr, text_listener};

/// English TCP states other than LISTENING, in Windows' and net-tools' spellings.
const OTHER_TCP_STATES: &[&str] = &[
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECEIVED",
    "SYN_RECV",
    "FIN_WAIT_1",
    "FIN_WAIT_2",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE_WAIT",
    "CLOSED",
    "CLOSE",
    "CLOSING",
    "LAST_ACK",
    "BOUND",
    "DELETE_TCB",
];
const ROW_EXPECTED: &str = "a row like `TCP    0.0.0.0:135    0.0.0.0:0    LISTENING    908` \
                            or `UDP    0.0.0.0:123    *:*    1184`";

/// Reads `netstat` output; a row that cannot be read is skipped (see [`read`]).
pub fn parse(origin: &str, text: &str) -> Result<Parsed, AuditError> {
    read(origin, text, false)
}

/// Reads `netstat` output; `strict` makes a row that cannot be read an error.
pub fn read(origin: &str, text: &str, strict: bool) -> Result<Parsed, AuditError> {
    let mut parsed = Parsed::new(Format::Netstat, origin);
    parsed.strict = strict;
    let mut recognised = false;
    // The listener the `-b` annotation lines belong to; `None` after a non-listening row.
    let mut annotated: Option<usize> = None;
    let mut rows_seen = false;
    for (number, line, cut) in numbered_lines(text) {
        let trimmed = without_match_marker(line).trim();
        if trimmed.is_empty() {
            continue;
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let first = fields.first().copied().unwrap_or_default();
        let Some(transport) = protocol(first) else {
            if first.eq_ignore_ascii_case("Proto") {
                recognised = true;
            } else if rows_seen {
                annotate(&mut parsed, annotated, trimmed);
            }
            continue;
        };
        recognised = true;
        rows_seen = true;
        annotated = None;
        let fail =
            |problem: String| AuditError::bad_row(cut, origin, number, problem, ROW_EXPECTED);
        let row = if fields.get(1).is_some_and(|f| is_number(f)) {
            linux_row(transport, &fields)
        } else {
            windows_row(transport, &fields)
        };
        let row = match row {
            Ok(row) => row,
            Err(problem) => {
                parsed.skip(fail(problem))?;
                continue;
            }
        };
        if row.named {
            parsed.note(
                "addresses are names (netstat without -n): ports were read through the names of \
                 Windows' services file, and a host name stands for one of the machine's addresses",
            );
        }
        match transport {
            Transport::Tcp => parsed.coverage.tcp = true,
            _ => parsed.coverage.udp = true,
        }
        if row.localised_state {
            parsed.note(
                "TCP states are not in English: listening sockets were recognised by their \
                 foreign address 0.0.0.0:0",
            );
        }
        let Some(state) = row.state else {
            parsed.not_listening += 1;
            continue;
        };
        let local_name = row.local_name;
        let Some(mut listener) = text_listener(
            &mut parsed,
            (Format::Netstat, origin, number),
            transport,
            row.local,
            state,
        )?
        else {
            continue;
        };
        listener.local_name = local_name;
        if row.pid.is_some() || row.program.is_some() {
            listener.set_owners(vec![Owner {
                pid: row.pid,
                process: row.program,
            }]);
        }
        annotated = Some(parsed.listeners.len());
        parsed.listeners.push(listener);
    }
    if !recognised {
        let problem = if text.contains("requires elevation") {
            "netstat refused to run: `-b` needs an elevated (administrator) prompt"
        } else {
            "no netstat rows found"
        };
        return Err(AuditError::new(
            ErrorKind::Malformed,
            origin,
            0,
            problem,
            ROW_EXPECTED,
        ));
    }
    Ok(parsed)
}

/// `line` without the `> ` that `Select-String -Context` puts before each matching line; the
/// context lines it adds are indented and need nothing.
pub(crate) fn without_match_marker(line: &str) -> &str {
    line.strip_prefix("> ").unwrap_or(line)
}

/// The transport of a protocol column: `TCP`, `UDP`, `TCPv6`, `tcp6`, `udp6`.
fn protocol(field: &str) -> Option<Transport> {
    let lower = field.to_ascii_lowercase();
    match lower.as_str() {
        "tcp" | "tcpv6" | "tcp6" => Some(Transport::Tcp),
        "udp" | "udpv6" | "udp6" => Some(Transport::Udp),
        _ => None,
    }
}

fn is_number(field: &str) -> bool {
    !field.is_empty() && field.bytes().all(|b| b.is_ascii_digit())
}

/// The `-b` lines after a row: `[process.exe]`, then or before it a service tag; other
/// lines (localised "cannot obtain ownership information", and the module paths `-v` adds,
/// such as `c:\windows\system32\WS2_32.dll`) are ignored.
fn annotate(parsed: &mut Parsed, annotated: Option<usize>, line: &str) {
    let Some(listener) = annotated.and_then(|i| parsed.listeners.get_mut(i)) else {
        return;
    };
    if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
        let name = name.trim();
        if !name.is_empty() && listener.process.is_none() {
            listener.process = Some(name.to_string());
        }
    } else if is_service_tag(line) && listener.service.is_none() {
        listener.service = Some(line.to_string());
    }
}

/// A Windows service name as `-b` prints it (`RpcSs`, `IKEEXT`, `MSSQL$SQLEXPRESS`): one
/// word that starts with a letter, no path and no rule of dashes or underscores.
fn is_service_tag(line: &str) -> bool {
    line.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && line
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '@'))
}

struct Row {
    local: TextAddr,
    /// The host name printed for the local address, if it was a name.
    local_name: Option<String>,
    /// Some address or port was a name.
    named: bool,
    /// `None` when the socket does not listen.
    state: Option<SocketState>,
    pid: Option<u32>,
    program: Option<String>,
    localised_state: bool,
}

/// `TCP local foreign STATE [PID]` or `UDP local foreign [PID]`; a localised state word
/// may hold spaces.
fn windows_row(transport: Transport, fields: &[&str]) -> Result<Row, String> {
    let (local, foreign) = match fields {
        [_, local, foreign, ..] => (*local, *foreign),
        _ => return Err("the row has no local and foreign address".to_string()),
    };
    let (local, local_name, named_local) = local_address(transport, local)?;
    let rest = fields.get(3..).unwrap_or_default();
    let (words, pid) = match rest.split_last() {
        Some((last, words)) if is_number(last) => (words, Some(parse_pid(last)?)),
        _ => (rest, None),
    };
    let mut localised_state = false;
    let mut named = named_local;
    let state = match transport {
        Transport::Tcp => {
            let foreign_addr = foreign_address(transport, foreign)?;
            named |= foreign_addr.1;
            let foreign_addr = foreign_addr.0;
            let word = words.join(" ");
            if word.is_empty() {
                return Err("the TCP row has no state".to_string());
            }
            if word.eq_ignore_ascii_case("LISTENING") || word.eq_ignore_ascii_case("LISTEN") {
                Some(SocketState::Listen)
            } else if OTHER_TCP_STATES
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&word))
            {
                None
            } else {
                localised_state = true;
                let unconnected = (foreign_addr.address.is_unspecified() || foreign_addr.named)
                    && foreign_addr.port == Some(0);
                unconnected.then_some(SocketState::Listen)
            }
        }
        _ => {
            if !words.is_empty() {
                return Err(format!(
                    "the UDP row has `{}` where only a process id may follow",
                    words.join(" ")
                ));
            }
            (foreign == "*:*").then_some(SocketState::Bound)
        }
    };
    Ok(Row {
        local,
        local_name,
        named,
        state,
        pid,
        program: None,
        localised_state,
    })
}

/// `tcp Recv-Q Send-Q local foreign STATE [PID/Program]` or the same for `udp` with an
/// optional state.
fn linux_row(transport: Transport, fields: &[&str]) -> Result<Row, String> {
    let (local, foreign) = match fields {
        [_, _, _, local, foreign, ..] => (*local, *foreign),
        _ => return Err("the row has no local and foreign address".to_string()),
    };
    let (local, local_name, named_local) = local_address(transport, local)?;
    let (foreign_addr, named_foreign) = foreign_address(transport, foreign)?;
    let mut rest = fields.get(5..).unwrap_or_default();
    let state_word = match rest.first() {
        Some(word) if !is_pid_program(word) => {
            rest = rest.get(1..).unwrap_or_default();
            Some(*word)
        }
        _ => None,
    };
    let (pid, program) = match rest.first() {
        Some(owner) => match owner.split_once('/') {
            Some((pid, _)) if is_number(pid) => {
                // The program name is everything after the first slash, spaces included.
                let whole = rest.join(" ");
                let name = whole.split_once('/').map(|(_, n)| n.to_string());
                (Some(parse_pid(pid)?), name.filter(|n| !n.is_empty()))
            }
            _ => (None, None),
        },
        None => (None, None),
    };
    let state = match transport {
        Transport::Tcp => (state_word == Some("LISTEN")).then_some(SocketState::Listen),
        _ => {
            let unconnected = foreign_addr.port.is_none() || foreign_addr.port == Some(0);
            (matches!(state_word, None | Some("CLOSE")) && unconnected)
                .then_some(SocketState::Bound)
        }
    };
    Ok(Row {
        local,
        local_name,
        named: named_local || named_foreign,
        state,
        pid,
        program,
        localised_state: false,
    })
}

/// A local `ADDRESS:PORT`, numeric or named: the address, the host name printed in its place,
/// and whether anything was a name.
fn local_address(
    transport: Transport,
    text: &str,
) -> Result<(TextAddr, Option<String>, bool), String> {
    if let Some(addr) = parse_text_addr(text) {
        return Ok((addr, None, false));
    }
    let named = parse_named_addr(transport, text)
        .ok_or_else(|| format!("`{text}` is not a local ADDRESS:PORT"))?;
    named.map(|n| {
        let name = n.host_name;
        (n.addr, name, true)
    })
}

/// A foreign address, numeric or named; `named` on the result says the host was a name.
fn foreign_address(transport: Transport, text: &str) -> Result<(ForeignAddr, bool), String> {
    if let Some(addr) = parse_text_addr(text) {
        return Ok((
            ForeignAddr {
                address: addr.address,
                port: addr.port,
                named: false,
            },
            false,
        ));
    }
    let named = parse_named_addr(transport, text)
        .ok_or_else(|| format!("`{text}` is not a foreign ADDRESS:PORT"))??;
    Ok((
        ForeignAddr {
            address: named.addr.address,
            port: named.addr.port,
            named: named.host_name.is_some(),
        },
        true,
    ))
}

struct ForeignAddr {
    address: std::net::IpAddr,
    port: Option<u16>,
    /// The host was a name (`orion:0`), so its address is unknown.
    named: bool,
}

struct NamedAddr {
    addr: TextAddr,
    host_name: Option<String>,
}

/// `0.0.0.0:epmap`, `[::]:microsoft-ds`, `orion:0`, `orion:netbios-ssn`, `*:*`: `None` when
/// it does not have the shape, `Some(Err)` when a port name is not one Windows knows.
fn parse_named_addr(transport: Transport, text: &str) -> Option<Result<NamedAddr, String>> {
    let (host, port) = text.rsplit_once(':')?;
    let port = match port {
        "*" => None,
        digits if is_number(digits) => Some(digits.parse::<u16>().ok()?),
        name => match crate::services::port_of(name, transport) {
            Some(p) => Some(p),
            None if is_host_name(name) => {
                return Some(Err(format!(
                    "port name `{name}` is not in Windows' services file for {}",
                    transport.key()
                )));
            }
            None => return None,
        },
    };
    let (address, host_name) = if let Some(inner) = host.strip_prefix('[') {
        let inside = inner.strip_suffix(']')?;
        let (bare, _) = inside.split_once('%').unwrap_or((inside, ""));
        (bare.parse().ok()?, None)
    } else if host == "*" {
        (crate::listener::ANY_V6, None)
    } else if let Ok(ip) = host.parse() {
        (ip, None)
    } else if is_host_name(host) {
        (crate::listener::ANY_V4, Some(host.to_string()))
    } else {
        return None;
    };
    Some(Ok(NamedAddr {
        addr: TextAddr {
            address,
            interface: None,
            port,
        },
        host_name,
    }))
}

/// Letters, digits, `-`, `_` and `.`, starting with a letter or digit.
fn is_host_name(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn is_pid_program(field: &str) -> bool {
    field == "-" || field.split_once('/').is_some_and(|(pid, _)| is_number(pid))
}

fn parse_pid(text: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .map_err(|_| format!("process id `{text}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_rows_and_annotations() {
        let text = "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n\
  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       908\r\n\
  RpcSs\r\n [svchost.exe]\r\n\
  TCP    10.0.0.5:49710         10.0.0.9:445           ESTABLISHED     4\r\n\
 Can not obtain ownership information\r\n\
  UDP    [::]:123               *:*                                    1184\r\n";
        let parsed = parse("n", text).unwrap();
        assert_eq!(parsed.listeners.len(), 2);
        assert_eq!(parsed.not_listening, 1);
        let epm = &parsed.listeners[0];
        assert_eq!(epm.service.as_deref(), Some("RpcSs"));
        assert_eq!(epm.process.as_deref(), Some("svchost.exe"));
        assert_eq!(epm.pid, Some(908));
        let ntp = &parsed.listeners[1];
        assert_eq!((ntp.transport, ntp.port), (Transport::Udp, 123));
        assert_eq!(ntp.address.to_string(), "::");
    }

    #[test]
    fn service_tags_are_single_service_names() {
        for tag in ["RpcSs", "IKEEXT", "MSSQL$SQLEXPRESS", "Dnscache", "W32Time"] {
            assert!(is_service_tag(tag), "{tag}");
        }
        for line in [
            "c:\\windows\\system32\\WS2_32.dll",
            "C:\\WINDOWS\\system32\\svchost.exe",
            "-- unknown component(s) --",
            "________________",
            "[svchost.exe]",
            "",
        ] {
            assert!(!is_service_tag(line), "{line}");
        }
    }

    #[test]
    fn localised_states_are_read_by_shape() {
        let text = "  Proto  Lokale Adresse        Remoteadresse          Status           PID\n\
  TCP    0.0.0.0:445            0.0.0.0:0              ABH\u{d6}REN         4\n\
  TCP    10.0.0.5:49710         10.0.0.9:445           HERGESTELLT     4\n";
        let parsed = parse("n", text).unwrap();
        assert_eq!(parsed.listeners.len(), 1);
        assert_eq!(parsed.listeners[0].port, 445);
        assert_eq!(parsed.notes.len(), 1);
    }

    #[test]
    fn linux_net_tools_rows() {
        let text = "Active Internet connections (only servers)\n\
Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\n\
tcp        0      0 10.201.0.2:88           0.0.0.0:*               LISTEN      7442/kdc[master]\n\
tcp6       0      0 ::1:53                  :::*                    LISTEN      -\n\
udp        0      0 10.201.0.2:123          0.0.0.0:*                           7385/chronyd\n";
        let parsed = parse("n", text).unwrap();
        assert_eq!(parsed.listeners.len(), 3);
        assert_eq!(parsed.listeners[0].process.as_deref(), Some("kdc[master]"));
        assert_eq!(parsed.listeners[1].address.to_string(), "::1");
        assert_eq!(parsed.listeners[2].state, SocketState::Bound);
    }

    #[test]
    fn select_string_match_markers_are_dropped() {
        // `netstat -anbo | Select-String -pattern ... -context 0,1`: `> ` before each row.
        let text = "\r\n>   TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       564\r\n\
    RpcSs\r\n\
>   UDP    0.0.0.0:42             *:*                                    3576\r\n\
   [wins.exe]\r\n";
        let parsed = parse("n", text).unwrap();
        assert_eq!(parsed.listeners.len(), 2);
        assert_eq!(parsed.listeners[0].service.as_deref(), Some("RpcSs"));
        assert_eq!(parsed.listeners[1].process.as_deref(), Some("wins.exe"));
        assert_eq!(crate::detect::detect(text), Some(Format::Netstat));
    }

    #[test]
    fn elevation_message_is_explained() {
        let err = parse("n", "The requested operation requires elevation.\r\n").unwrap_err();
        assert!(err.problem.contains("elevated"), "{err}");
    }
}
