//! Linux `/proc/net/tcp`, `tcp6`, `udp` and `udp6`.
//!
//! Each row gives the local address as hexadecimal: IPv4 as one 32-bit word and IPv6 as four,
//! each word printed from the kernel's memory in the machine's byte order. Every machine this
//! is read on in practice is little-endian (x86, ARM), so each word's bytes are reversed. The
//! port is printed in host order. TCP state 0A is LISTEN; a UDP socket in state 07 (closed,
//! which for UDP means "not connected") with no remote address is bound and receives
//! datagrams. Several files may be concatenated; each header switches between TCP and UDP.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use portolan_catalog::Transport;

use crate::error::{AuditError, ErrorKind};
use crate::listener::{Format, Listener, Origin, Parsed, SocketState};
use crate::text::{MAX_LISTENERS, numbered_lines};

const TCP_LISTEN: u8 = 0x0A;
const UDP_UNCONNECTED: u8 = 0x07;
const HEADER_EXPECTED: &str = "the header line of /proc/net/tcp or /proc/net/udp \
                               (`sl  local_address rem_address   st ...`)";

/// Reads one or more concatenated `/proc/net/{tcp,tcp6,udp,udp6}` files; a row that cannot
/// be read is skipped (see [`read`]).
pub fn parse(origin: &str, text: &str) -> Result<Parsed, AuditError> {
    read(origin, text, false)
}

/// Reads `/proc/net` tables; `strict` makes a row that cannot be read an error.
pub fn read(origin: &str, text: &str, strict: bool) -> Result<Parsed, AuditError> {
    let mut parsed = Parsed::new(Format::ProcNet, origin);
    parsed.strict = strict;
    let mut table: Option<Transport> = None;
    for (number, line, cut) in numbered_lines(text) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if is_header(trimmed) {
            // The UDP tables end their header with "ref pointer drops"; TCP's ends at "inode".
            let transport = if trimmed.ends_with("drops") {
                Transport::Udp
            } else {
                Transport::Tcp
            };
            match transport {
                Transport::Udp => parsed.coverage.udp = true,
                _ => parsed.coverage.tcp = true,
            }
            table = Some(transport);
            continue;
        }
        let Some(transport) = table else {
            return Err(AuditError::new(
                ErrorKind::Malformed,
                origin,
                number,
                "a row comes before any header line",
                HEADER_EXPECTED,
            ));
        };
        let row = match parse_row(trimmed) {
            Ok(row) => row,
            Err(problem) => {
                parsed.skip(AuditError::bad_row(
                    cut,
                    origin,
                    number,
                    problem,
                    "a row like `0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 10733 ...`",
                ))?;
                continue;
            }
        };
        let listening = match transport {
            Transport::Tcp => row.state == TCP_LISTEN,
            _ => row.state == UDP_UNCONNECTED && row.remote_is_unset,
        };
        if !listening || row.port == 0 {
            parsed.not_listening += 1;
            continue;
        }
        if parsed.listeners.len() >= MAX_LISTENERS {
            return Err(too_many(origin, number));
        }
        let state = match transport {
            Transport::Tcp => SocketState::Listen,
            _ => SocketState::Bound,
        };
        let mut listener = Listener::new(
            transport,
            row.address,
            row.port,
            state,
            Origin {
                format: Format::ProcNet,
                source: origin.to_string(),
                line: number,
            },
        );
        listener.inode = row.inode.filter(|&i| i != 0);
        parsed.listeners.push(listener);
    }
    if table.is_none() {
        return Err(AuditError::new(
            ErrorKind::Malformed,
            origin,
            0,
            "no header line found",
            HEADER_EXPECTED,
        ));
    }
    Ok(parsed)
}

pub(crate) fn too_many(origin: &str, line: usize) -> AuditError {
    AuditError::new(
        ErrorKind::TooManyRows,
        origin,
        line,
        format!("more than {MAX_LISTENERS} listeners"),
        "the listeners of one machine",
    )
}

/// True for the header line of a `/proc/net/{tcp,udp}` table.
pub(crate) fn is_header(line: &str) -> bool {
    let mut words = line.split_whitespace();
    words.next() == Some("sl") && words.next() == Some("local_address")
}

struct Row {
    address: IpAddr,
    port: u16,
    remote_is_unset: bool,
    state: u8,
    inode: Option<u64>,
}

fn parse_row(line: &str) -> Result<Row, String> {
    let fields: Vec<&str> = line.split_whitespace().take(10).collect();
    let [
        slot,
        local,
        remote,
        state,
        _queues,
        _timer,
        _retransmits,
        _uid,
        _timeout,
        inode,
    ] = fields[..]
    else {
        return Err(format!(
            "the row has {} fields, fewer than the 10 every row has",
            fields.len()
        ));
    };
    if !slot.ends_with(':') {
        return Err(format!(
            "the row starts with `{slot}`, not a slot number like `3:`"
        ));
    }
    let (address, port) = parse_hex_endpoint(local)?;
    let (remote_address, remote_port) = parse_hex_endpoint(remote)?;
    let state = u8::from_str_radix(state, 16)
        .map_err(|_| format!("state `{state}` is not a hexadecimal byte"))?;
    let inode = inode.parse::<u64>().ok();
    Ok(Row {
        address,
        port,
        remote_is_unset: remote_address.is_unspecified() && remote_port == 0,
        state,
        inode,
    })
}

fn parse_hex_endpoint(text: &str) -> Result<(IpAddr, u16), String> {
    let (address, port) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not ADDRESS:PORT in hexadecimal"))?;
    let port = match port.len() {
        4 => u16::from_str_radix(port, 16).ok(),
        _ => None,
    }
    .ok_or_else(|| format!("port `{port}` is not four hexadecimal digits"))?;
    let address = match address.len() {
        8 => IpAddr::V4(Ipv4Addr::from(hex_word(address)?.to_le_bytes())),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                let word = address.get(i * 8..i * 8 + 8).ok_or("short IPv6 address")?;
                chunk.copy_from_slice(&hex_word(word)?.to_le_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        n => {
            return Err(format!(
                "address `{address}` has {n} hexadecimal digits, not 8 (IPv4) or 32 (IPv6)"
            ));
        }
    };
    Ok((address, port))
}

fn hex_word(text: &str) -> Result<u32, String> {
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("`{text}` is not hexadecimal"));
    }
    u32::from_str_radix(text, 16).map_err(|_| format!("`{text}` is not a 32-bit hexadecimal word"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0200C90A:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 10735 1 0000000000000000 100 0 0 10 0
   1: 0200C90A:D2C4 0100C90A:0016 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn reads_tcp_listeners_and_skips_connections() {
        let parsed = parse("tcp", TCP).unwrap();
        assert_eq!(parsed.listeners.len(), 1);
        assert_eq!(parsed.not_listening, 1);
        let l = &parsed.listeners[0];
        assert_eq!(l.address.to_string(), "10.201.0.2");
        assert_eq!(l.port, 53);
        assert_eq!(l.inode, Some(10735));
        assert_eq!(l.origin.line, 2);
        assert!(parsed.coverage.tcp && !parsed.coverage.udp);
    }

    #[test]
    fn ipv6_words_are_little_endian() {
        let (addr, port) = parse_hex_endpoint("00000000000000000000000001000000:0087").unwrap();
        assert_eq!(addr.to_string(), "::1");
        assert_eq!(port, 135);
        let (addr, _) = parse_hex_endpoint("000080FE00000000FF005452FE123456:0222").unwrap();
        assert_eq!(addr.to_string(), "fe80::5254:ff:5634:12fe");
    }

    #[test]
    fn refuses_rows_without_header_and_cut_rows() {
        let err = parse("tcp", "   0: 0200C90A:0035 00000000:0000 0A\n").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Malformed);
        let cut = &TCP[..TCP.len() - 60];
        let err = parse("tcp", cut).unwrap_err();
        assert_eq!((err.kind, err.line), (ErrorKind::Truncated, 3));
    }
}
