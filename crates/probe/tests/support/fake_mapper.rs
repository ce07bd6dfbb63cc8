//! A fake RPC endpoint mapper on loopback for tests: it answers the bind with the lab Samba
//! DC's captured bind_ack, then each ept_lookup as the test says. Shared by the engine's
//! tests (crates/probe/tests/rpc_hostile.rs) and the CLI's (crates/cli/tests/rpc_incomplete.rs,
//! through `#[path]`), so both speak to the same misbehaving mappers.
#![allow(dead_code)] // each test file uses a part
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

pub const BIND_ACK: &[u8] =
    include_bytes!("../../../wire/tests/fixtures/dcerpc/samba-4.17-epm-bind-ack.bin");
/// A whole answer of three entries with a live (non-null) handle: "there is more".
pub const THREE_AND_MORE: &[u8] =
    include_bytes!("../../../wire/tests/fixtures/dcerpc/samba-4.17-ept-lookup-max3.bin");

/// The lab Samba DC's whole endpoint list (two fragments), then its end of list.
pub const WHOLE_LIST: [&[u8]; 2] = [
    include_bytes!("../../../wire/tests/fixtures/dcerpc/samba-4.17-ept-lookup-1-frag1.bin"),
    include_bytes!("../../../wire/tests/fixtures/dcerpc/samba-4.17-ept-lookup-1-frag2.bin"),
];
/// The answer after the whole list: EPT_S_NOT_REGISTERED, Samba's end of list.
pub const END_OF_LIST: &[u8] =
    include_bytes!("../../../wire/tests/fixtures/dcerpc/samba-4.17-ept-lookup-2.bin");

/// A mapper that answers the lab DC's whole list, with each TCP port moved by `ports`
/// (49152-49154 in the capture), then the end of list; `connections` connections one after
/// the other (a check connects to TCP 135 to probe it before it enumerates).
pub fn whole_list_mapper(address: &str, connections: usize, ports: fn(u16) -> u16) -> u16 {
    let listener = TcpListener::bind(address).unwrap_or_else(|e| panic!("bind {address}: {e}"));
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            std::thread::spawn(move || whole_list(&mut stream, ports));
        }
    });
    port
}

fn whole_list(s: &mut TcpStream, ports: fn(u16) -> u16) {
    let Some(bind) = read_pdu(s) else { return };
    if s.write_all(&answering(BIND_ACK, call_id(&bind))).is_err() {
        return;
    }
    for n in 0..2 {
        let Some(request) = read_pdu(s) else { return };
        let id = call_id(&request);
        let answer: Vec<u8> = match n {
            0 => WHOLE_LIST
                .iter()
                .flat_map(|frag| move_tcp_ports(&answering(frag, id), ports))
                .collect(),
            _ => answering(END_OF_LIST, id),
        };
        if s.write_all(&answer).is_err() {
            return;
        }
    }
}

/// `bytes` with every TCP tower floor's port (protocol 0x07, big-endian port) replaced by
/// `ports(port)`.
pub fn move_tcp_ports(bytes: &[u8], ports: fn(u16) -> u16) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let floor = [0x01, 0x00, 0x07, 0x02, 0x00];
    let mut i = 0;
    while i + floor.len() + 2 <= out.len() {
        if out[i..i + floor.len()] == floor {
            let at = i + floor.len();
            let port = u16::from_be_bytes([out[at], out[at + 1]]);
            out[at..at + 2].copy_from_slice(&ports(port).to_be_bytes());
            i = at + 2;
        } else {
            i += 1;
        }
    }
    out
}

/// Reads one PDU from a client: the 10-byte prefix, then the rest by its length field.
pub fn read_pdu(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = [0u8; 10];
    stream.read_exact(&mut head).ok()?;
    let len = u16::from_le_bytes([head[8], head[9]]) as usize;
    let mut rest = vec![0u8; len.saturating_sub(10)];
    stream.read_exact(&mut rest).ok()?;
    let mut pdu = head.to_vec();
    pdu.extend(rest);
    Some(pdu)
}

/// The call id of a request PDU (bytes 12..16, little endian).
pub fn call_id(pdu: &[u8]) -> [u8; 4] {
    [pdu[12], pdu[13], pdu[14], pdu[15]]
}

/// A copy of `answer` answering call `id`.
pub fn answering(answer: &[u8], id: [u8; 4]) -> Vec<u8> {
    let mut out = answer.to_vec();
    out[12..16].copy_from_slice(&id);
    out
}

/// Runs `serve` on one accepted connection of a loopback listener; returns its port.
pub fn server(serve: impl FnOnce(TcpStream) + Send + 'static) -> u16 {
    server_at("127.0.0.1:0", serve)
}

/// [`server`] on a given loopback address and port (`127.0.70.1:135`: a mapper where a
/// check looks for one).
pub fn server_at(address: &str, serve: impl FnOnce(TcpStream) + Send + 'static) -> u16 {
    let listener = TcpListener::bind(address).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            serve(stream);
        }
    });
    port
}

/// Answers the bind, then `n`-th request (0-based) with `answer(n, request)`, until `answer`
/// returns None or the client goes away (bounded by `limit` requests).
pub fn mapper(
    limit: usize,
    answer: impl Fn(usize, &[u8]) -> Option<Vec<u8>> + Send + 'static,
) -> u16 {
    mapper_at("127.0.0.1:0", limit, answer)
}

/// [`mapper`] on a given loopback address and port.
pub fn mapper_at(
    address: &str,
    limit: usize,
    answer: impl Fn(usize, &[u8]) -> Option<Vec<u8>> + Send + 'static,
) -> u16 {
    server_at(address, move |mut s| {
        let Some(bind) = read_pdu(&mut s) else { return };
        if s.write_all(&answering(BIND_ACK, call_id(&bind))).is_err() {
            return;
        }
        for n in 0..limit {
            let Some(request) = read_pdu(&mut s) else {
                return;
            };
            match answer(n, &request) {
                Some(bytes) => {
                    if s.write_all(&bytes).is_err() {
                        return;
                    }
                }
                None => return,
            }
        }
    })
}
