//! `portolan rpc` against endpoint mappers that misbehave, on loopback: a list that is not
//! whole must exit 1 and say why in text and JSON (issue 11). The mappers answer with the
//! lab Samba DC's captured bytes (crates/wire/tests/fixtures/dcerpc).
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "../../probe/tests/support/fake_mapper.rs"]
mod fake_mapper;

use common::portolan;
use fake_mapper::{THREE_AND_MORE, answering, call_id};
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
