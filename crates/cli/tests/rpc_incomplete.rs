//! `portolan rpc` against endpoint mappers that misbehave, on loopback: a list that is not
//! whole must exit 1 and say why in text and JSON (issue 11). The mappers answer with the
//! lab Samba DC's captured bytes (crates/wire/tests/fixtures/dcerpc).
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::portolan;
use serde_json::Value;

const BIND_ACK: &[u8] =
    include_bytes!("../../wire/tests/fixtures/dcerpc/samba-4.17-epm-bind-ack.bin");
/// Three entries and a live handle: "there is more".
const THREE_AND_MORE: &[u8] =
    include_bytes!("../../wire/tests/fixtures/dcerpc/samba-4.17-ept-lookup-max3.bin");

fn read_pdu(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = [0u8; 10];
    stream.read_exact(&mut head).ok()?;
    let len = u16::from_le_bytes([head[8], head[9]]) as usize;
    let mut rest = vec![0u8; len.saturating_sub(10)];
    stream.read_exact(&mut rest).ok()?;
    let mut pdu = head.to_vec();
    pdu.extend(rest);
    Some(pdu)
}

/// `answer` with the call id of `request`.
fn answering(answer: &[u8], request: &[u8]) -> Vec<u8> {
    let mut out = answer.to_vec();
    out[12..16].copy_from_slice(&request[12..16]);
    out
}

/// A loopback mapper that answers the bind, then `answers` lookups with the same three
/// entries and the same handle, then hangs up. Serves one connection; returns its port.
fn mapper(answers: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else {
            return;
        };
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let Some(bind) = read_pdu(&mut s) else { return };
        if s.write_all(&answering(BIND_ACK, &bind)).is_err() {
            return;
        }
        for _ in 0..answers {
            let Some(request) = read_pdu(&mut s) else {
                return;
            };
            if s.write_all(&answering(THREE_AND_MORE, &request)).is_err() {
                return;
            }
        }
    });
    port
}

fn rpc(port: u16, format: &str) -> (i32, String) {
    let out = portolan()
        .args(["rpc", "127.0.0.1", "--port", &port.to_string()])
        .args(["--timeout", "2s", "--format", format])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn a_repeating_mapper_is_listed_once_and_exits_1() {
    let (code, text) = rpc(mapper(100), "json");
    assert_eq!(code, 1, "{text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    let host = &json["hosts"][0];
    assert_eq!(host["complete"], false);
    assert_eq!(host["calls"], 2);
    assert_eq!(host["duplicates"], 3);
    assert_eq!(host["endpoints"].as_array().unwrap().len(), 3, "{host}");
    let why = host["incomplete"].as_str().unwrap();
    assert!(why.contains("repeated its last answer"), "{why}");
}

#[test]
fn a_mapper_that_hangs_up_after_its_first_answer_exits_1_and_says_why() {
    let (code, text) = rpc(mapper(1), "table");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("INCOMPLETE list, cut short"), "{text}");

    let (code, text) = rpc(mapper(1), "jsonl");
    assert_eq!(code, 1, "{text}");
    let lines = common::json_lines(&text);
    assert_eq!(lines.len(), 4, "three endpoints and the reason: {text}");
    let last = lines.last().unwrap();
    assert!(
        last["incomplete"]
            .as_str()
            .is_some_and(|why| why.starts_with("cut short")),
        "{last}"
    );
}
