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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
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
    server(move |mut s| {
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
