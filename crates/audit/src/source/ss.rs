//! iproute2 `ss` output: `ss -lntup`, `-lntu`, `-ltn`, `-lun`, `-antup`, with or without the
//! header (`-H`) and the `users:((...))` process column.
//!
//! With both `-t` and `-u` the first column is `Netid`; with one of them it is absent and the
//! state says which table it is (`LISTEN` for TCP, `UNCONN` for UDP). Addresses come as
//! `10.0.0.1:53`, `0.0.0.0%eth0:67` (bound to an interface), `[::]:500`, `[::1]:53` and `*:22`
//! (a dual-stack wildcard).

use portolan_catalog::Transport;

use crate::error::{AuditError, ErrorKind};
use crate::listener::{Format, Owner, Parsed, SocketState};
use crate::text::{numbered_lines, parse_text_addr, split_fields, text_listener};

/// Netids `ss` prints; only `tcp` and `udp` rows are read, the others are skipped.
const NETIDS: &[&str] = &[
    "tcp", "udp", "raw", "u_str", "u_dgr", "u_seq", "p_raw", "p_dgr", "nl", "sctp", "mptcp",
    "tipc", "v_str", "v_dgr", "xdp", "dccp", "icmp6",
];
/// Socket states as `ss` names them.
const STATES: &[&str] = &[
    "LISTEN",
    "UNCONN",
    "ESTAB",
    "SYN-SENT",
    "SYN-RECV",
    "FIN-WAIT-1",
    "FIN-WAIT-2",
    "TIME-WAIT",
    "CLOSE-WAIT",
    "LAST-ACK",
    "CLOSING",
    "CLOSED",
    "UNKNOWN",
];
/// The most owners kept per socket (pre-forked servers list every worker).
const MAX_OWNERS: usize = 64;
const ROW_EXPECTED: &str =
    "a row like `tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=1,fd=3))`";

/// Reads `ss` output; a row that cannot be read is skipped (see [`read`]).
pub fn parse(origin: &str, text: &str) -> Result<Parsed, AuditError> {
    read(origin, text, false)
}

/// Reads `ss` output; `strict` makes a row that cannot be read an error.
pub fn read(origin: &str, text: &str, strict: bool) -> Result<Parsed, AuditError> {
    let mut parsed = Parsed::new(Format::Ss, origin);
    parsed.strict = strict;
    let mut saw_netid_column = false;
    let mut recognised = false;
    for (number, line, cut) in numbered_lines(text) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if is_header(trimmed) {
            saw_netid_column |= trimmed.starts_with("Netid");
            recognised = true;
            continue;
        }
        let fail =
            |problem: String| AuditError::bad_row(cut, origin, number, problem, ROW_EXPECTED);
        let first = trimmed.split_whitespace().next().unwrap_or_default();
        let has_netid = NETIDS.contains(&first);
        if !has_netid && !STATES.contains(&first) {
            // Before any row or header, the text is not ss output at all.
            if !recognised {
                return Err(fail(format!(
                    "`{first}` is neither a socket type (tcp, udp, ...) nor a state (LISTEN, UNCONN, ...)"
                )));
            }
            parsed.skip(fail(format!(
                "`{first}` is neither a socket type (tcp, udp, ...) nor a state (LISTEN, UNCONN, ...)"
            )))?;
            continue;
        }
        recognised = true;
        saw_netid_column |= has_netid;
        let columns = if has_netid { 6 } else { 5 };
        let Some((fields, rest)) = split_fields(trimmed, columns) else {
            parsed.skip(fail(format!(
                "the row has fewer than the {columns} columns `ss` prints"
            )))?;
            continue;
        };
        let (netid, state, local) = if has_netid {
            (Some(fields[0]), fields[1], fields[4])
        } else {
            (None, fields[0], fields[3])
        };
        let transport = match (netid, state) {
            (Some("tcp"), _) => Transport::Tcp,
            (Some("udp"), _) => Transport::Udp,
            (Some(_), _) => {
                // Unix, raw, netlink and other sockets have no TCP/UDP port.
                continue;
            }
            (None, "LISTEN") => Transport::Tcp,
            (None, "UNCONN") => Transport::Udp,
            (None, _) => {
                parsed.not_listening += 1;
                continue;
            }
        };
        if local.starts_with('/') || local.starts_with('@') {
            continue;
        }
        let Some(address) = parse_text_addr(local) else {
            parsed.skip(fail(format!("`{local}` is not a local ADDRESS:PORT")))?;
            continue;
        };
        match transport {
            Transport::Tcp => parsed.coverage.tcp = true,
            _ => parsed.coverage.udp = true,
        }
        let state = match (transport, state) {
            (Transport::Tcp, "LISTEN") => SocketState::Listen,
            (Transport::Udp, "UNCONN") => SocketState::Bound,
            _ => {
                parsed.not_listening += 1;
                continue;
            }
        };
        let Some(mut listener) = text_listener(
            &mut parsed,
            (Format::Ss, origin, number),
            transport,
            address,
            state,
        )?
        else {
            continue;
        };
        listener.set_owners(parse_users(rest));
        parsed.listeners.push(listener);
    }
    if !recognised {
        return Err(AuditError::new(
            ErrorKind::Malformed,
            origin,
            0,
            "no `ss` header or rows found",
            ROW_EXPECTED,
        ));
    }
    if saw_netid_column {
        // `ss` prints the Netid column when it lists more than one socket table: -t and -u.
        parsed.coverage.tcp = true;
        parsed.coverage.udp = true;
    } else {
        parsed.note(
            "no Netid column: ss listed one socket table, so only the transport of its rows \
             is covered",
        );
    }
    Ok(parsed)
}

/// True for the header line of `ss` output.
pub(crate) fn is_header(line: &str) -> bool {
    let mut words = line.split_whitespace();
    matches!(words.next(), Some("Netid" | "State"))
        && line.contains("Recv-Q")
        && line.contains("Local")
}

/// Reads `users:(("name",pid=1,fd=3),("name2",pid=2,fd=4))`; whatever cannot be read is
/// left out, since the column is informative only.
pub(crate) fn parse_users(rest: &str) -> Vec<Owner> {
    let mut owners = Vec::new();
    let Some(start) = rest.find("users:(") else {
        return owners;
    };
    let mut tail = rest.get(start + "users:(".len()..).unwrap_or_default();
    while owners.len() < MAX_OWNERS {
        let Some(open) = tail.strip_prefix("(\"") else {
            break;
        };
        // Process names may hold any character, so the name ends at the `",pid=` that
        // follows it (or `",` when -p was given without permission to see pids).
        let Some(end) = open.find("\",") else {
            break;
        };
        let name = open.get(..end).unwrap_or_default();
        let after = open.get(end + 2..).unwrap_or_default();
        let close = after.find(')').unwrap_or(after.len());
        let attrs = after.get(..close).unwrap_or_default();
        let pid = attrs
            .split(',')
            .find_map(|kv| kv.strip_prefix("pid="))
            .and_then(|p| p.parse::<u32>().ok());
        owners.push(Owner {
            pid,
            process: (!name.is_empty()).then(|| name.to_string()),
        });
        tail = after.get(close + 1..).unwrap_or_default();
        tail = tail.strip_prefix(',').unwrap_or(tail);
    }
    owners
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_with_and_without_netid() {
        let with = "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n\
                    udp   UNCONN 0      0      0.0.0.0%papps-ns:67        0.0.0.0:*    users:((\"dnsmasq\",pid=12571,fd=4))\n\
                    tcp   LISTEN 0      511          10.201.2.2:443       0.0.0.0:*    users:((\"nginx\",pid=12342,fd=4),(\"nginx\",pid=12332,fd=4))\n\
                    tcp   ESTAB  0      0          10.201.2.2:443    10.201.2.1:5555\n";
        let parsed = parse("ss", with).unwrap();
        assert_eq!(parsed.listeners.len(), 2);
        assert_eq!(parsed.not_listening, 1);
        let dhcp = &parsed.listeners[0];
        assert_eq!((dhcp.transport, dhcp.port), (Transport::Udp, 67));
        assert_eq!(dhcp.interface.as_deref(), Some("papps-ns"));
        let web = &parsed.listeners[1];
        assert_eq!(web.pid, Some(12332));
        assert_eq!(web.other_owners.len(), 1);
        assert!(parsed.coverage.tcp && parsed.coverage.udp);

        let tcp_only = "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n\
                        LISTEN 0      128                *:22              *:*\n";
        let parsed = parse("ss", tcp_only).unwrap();
        assert_eq!(parsed.listeners[0].address.to_string(), "::");
        assert!(parsed.coverage.tcp && !parsed.coverage.udp);
    }

    #[test]
    fn users_column_with_odd_names() {
        let owners = parse_users("users:((\"tmux: server\",pid=9,fd=3),(\"kdc(3\",pid=7,fd=1))");
        assert_eq!(owners.len(), 2);
        assert_eq!(owners[0].process.as_deref(), Some("tmux: server"));
        assert_eq!(owners[1].pid, Some(7));
        assert!(parse_users("users:((\"cut").is_empty());
    }

    #[test]
    fn refuses_other_text() {
        let err = parse("ss", "hello world\n").unwrap_err();
        assert_eq!((err.kind, err.line), (ErrorKind::Malformed, 1));
        let err = parse("ss", "tcp LISTEN 0 128 0.0.0").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Truncated);
    }
}
