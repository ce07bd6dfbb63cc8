//! `portolan rpc`, and `portolan check`'s own endpoint-mapper step, against endpoint mappers
//! that misbehave, on loopback: a list that is not whole must exit 1 and say why in text and
//! JSON (issue 11). The mappers answer with the lab Samba DC's captured bytes
//! (crates/wire/tests/fixtures/dcerpc).
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "../../probe/tests/support/fake_mapper.rs"]
mod fake_mapper;

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use common::portolan;
use fake_mapper::{BIND_ACK, THREE_AND_MORE, answering, call_id, read_pdu};
use serde_json::Value;

/// A loopback mapper that answers the bind, then `answers` lookups with the same three
/// entries and the same handle, then hangs up. Serves one connection; returns its port.
fn mapper(answers: usize) -> u16 {
    fake_mapper::mapper(answers, |_, request| {
        Some(answering(THREE_AND_MORE, call_id(request)))
    })
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

/// A loopback address of its own for the check test, whose mapper must sit on port 135.
const CHECK_ADDRESS: &str = "127.0.1.35";

#[test]
#[ignore = "needs root: binds TCP 135 on a loopback address (run by scripts/test.sh)"]
fn a_check_whose_mapper_hangs_up_exits_1_even_when_every_port_listens() {
    // Distributed Link Tracking Server: TCP 135 and dynamic RPC ports. Port 135 listens (the
    // fake mapper); the mapper gives three entries, none of them TCP, then hangs up. Every
    // port checked is LISTENING, yet the list of dynamic ports is not whole.
    let listener = TcpListener::bind((CHECK_ADDRESS, 135)).unwrap();
    std::thread::spawn(move || {
        // The TCP probe of 135 (connect, close), then the mapper's own connection; bounded.
        for _ in 0..4 {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let Some(bind) = read_pdu(&mut s) else {
                continue;
            };
            let _ = s.write_all(&answering(BIND_ACK, call_id(&bind)));
            if let Some(lookup) = read_pdu(&mut s) {
                let _ = s.write_all(&answering(THREE_AND_MORE, call_id(&lookup)));
            }
        }
    });
    let check = |format: &str| {
        let out = portolan()
            .args([
                "check",
                CHECK_ADDRESS,
                "--service",
                "distributed-link-tracking",
            ])
            .args(["--no-verify", "--timeout", "2s", "--format", format])
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    let (code, text) = check("json");
    assert_eq!(code, 1, "{text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    let host = &json["hosts"][0];
    assert!(
        host["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "LISTENING"),
        "{host}"
    );
    assert_eq!(host["endpoint_mapper"]["complete"], false);
    assert!(
        host["endpoint_mapper"]["incomplete"]
            .as_str()
            .is_some_and(|why| why.starts_with("cut short")),
        "{host}"
    );
    assert_eq!(json["exit_code"], 1);
    let unchecked = host["unchecked"].as_array().unwrap();
    assert!(
        unchecked
            .iter()
            .all(|u| u["reason"].as_str().unwrap().contains("INCOMPLETE")),
        "{unchecked:?}"
    );

    let (code, text) = check("table");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("endpoint mapper: INCOMPLETE list, cut short"),
        "{text}"
    );
}
