//! The endpoint-mapper client against servers that misbehave, on loopback: one that repeats
//! the same answer forever, one that brings the same entries under new handles, one that
//! hangs up after its first answer, one that lies about a PDU's length and then stalls, one that answers the bind
//! with garbage, one that closes mid-answer. Every enumeration must end, bounded in time and
//! memory, with what it could learn or a clear error, never a panic.
//!
//! The well-behaved bytes are the captures of the lab's Samba DC in crates/wire's fixtures.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::time::Duration;

use portolan_probe::rpc::{self, RpcError};
use support::fake_mapper::{THREE_AND_MORE, answering, call_id, mapper, read_pdu, server};

fn enumerate(port: u16) -> Result<rpc::Enumeration, RpcError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(rpc::enumerate(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
            Duration::from_millis(500),
        ))
}

/// The same answer as `answer` with the handle's UUID bytes set to `seed` (bytes 24.. of the
/// response PDU are the stub; the handle's UUID is stub bytes 4..20).
fn with_handle(answer: &[u8], seed: u8) -> Vec<u8> {
    let mut out = answer.to_vec();
    out[28..44].fill(seed);
    out
}

/// Enumerates the mapper on `port`, whose connection ends after a first complete answer
/// (three entries, more to come): the three are kept, and the end says it was cut short.
fn keeps_the_first_batch_and_says_cut_short(port: u16) {
    let enumeration = enumerate(port).expect("the first batch was complete");
    assert!(!enumeration.complete);
    assert_eq!(enumeration.endpoints.len(), 3);
    assert!(
        enumeration.end.starts_with("cut short"),
        "{}",
        enumeration.end
    );
    assert!(enumeration.incomplete().is_some());
}

#[test]
fn a_mapper_repeating_the_same_handle_and_entries_is_stopped_at_once() {
    // Every answer says "these three, and there is more", with the same handle: the client
    // must see the repetition on the second answer, keep the three once, and say why.
    let port = mapper(10_000, |_, request| {
        Some(answering(THREE_AND_MORE, call_id(request)))
    });
    let enumeration = enumerate(port).expect("what was learnt is kept");
    assert!(!enumeration.complete, "{}", enumeration.end);
    assert_eq!(enumeration.calls, 2);
    assert_eq!(enumeration.endpoints.len(), 3, "no duplicate rows");
    assert_eq!(enumeration.duplicates, 3);
    assert!(
        enumeration.end.contains("repeated its last answer"),
        "{}",
        enumeration.end
    );
    assert_eq!(enumeration.incomplete(), Some(enumeration.end.as_str()));
}

#[test]
fn a_mapper_sending_the_same_entries_under_new_handles_is_stopped() {
    // A new handle each time, the same three entries: more calls than distinct entries.
    let port = mapper(10_000, |n, request| {
        let seed = u8::try_from(n % 200).unwrap() + 1;
        Some(with_handle(
            &answering(THREE_AND_MORE, call_id(request)),
            seed,
        ))
    });
    let enumeration = enumerate(port).expect("what was learnt is kept");
    assert!(!enumeration.complete);
    assert_eq!(enumeration.calls, 4);
    assert_eq!(enumeration.endpoints.len(), 3);
    assert_eq!(enumeration.duplicates, 9);
    assert!(enumeration.end.contains("looping"), "{}", enumeration.end);
}

#[test]
fn a_mapper_that_hangs_up_after_its_first_answer_is_incomplete() {
    let port = mapper(1, |_, request| {
        Some(answering(THREE_AND_MORE, call_id(request)))
    });
    keeps_the_first_batch_and_says_cut_short(port);
}

#[test]
fn a_lying_length_then_silence_times_out() {
    // The answer claims 65535 bytes and sends 20: the read waits its bounded time, no more.
    let port = mapper(1, |_, request| {
        let mut pdu = answering(&THREE_AND_MORE[..24], call_id(request));
        pdu[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
        std::thread::sleep(Duration::from_secs(3));
        Some(pdu)
    });
    match enumerate(port) {
        Err(RpcError::Timeout(_)) => {}
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn garbage_instead_of_a_bind_ack_is_a_protocol_error() {
    let port = server(|mut s| {
        let _ = read_pdu(&mut s);
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    match enumerate(port) {
        Err(RpcError::Protocol(why)) => assert!(!why.is_empty()),
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

#[test]
fn a_connection_closed_mid_answer_keeps_what_was_complete() {
    // First answer complete (three entries, more to come), second cut in the middle.
    let port = mapper(2, |n, request| {
        let whole = answering(THREE_AND_MORE, call_id(request));
        Some(if n == 0 {
            whole
        } else {
            whole[..whole.len() / 2].to_vec()
        })
    });
    keeps_the_first_batch_and_says_cut_short(port);
}

#[test]
fn nothing_listening_is_a_connect_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    match enumerate(port) {
        Err(RpcError::Connect { .. }) => {}
        other => panic!("expected a connect error, got {other:?}"),
    }
}
