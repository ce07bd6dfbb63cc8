//! `merge` and `report` as commands: exit codes, files written, errors naming FILE:LINE.
//! The views themselves are tested in crates/report.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fails, json_exit, portolan, stdout};

fn fixture(name: &str) -> String {
    format!(
        "{}/../report/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn merge_exits_0_when_the_vantages_agree_and_1_when_they_differ() {
    let table = stdout(&["merge", &fixture("zone-a.jsonl")]);
    assert!(table.contains("10 of 10 host-port rows agree"), "{table}");
    let merged = json_exit(
        portolan()
            .args(["merge", &fixture("zone-a.jsonl"), &fixture("zone-b.jsonl")])
            .args(["--format", "json"]),
        1,
    );
    assert_eq!(merged["vantages"], serde_json::json!(["zone-a", "zone-b"]));
    assert_eq!(merged["differences"][0]["port"], 18080);
    assert_eq!(
        merged["differences"][0]["verdicts"],
        serde_json::json!(["LISTENING", "FILTERED"])
    );
    assert_eq!(merged["exit_code"], 1);
}

#[test]
fn merge_reads_standard_input_as_vantage_stdin() {
    let lines = std::fs::read_to_string(fixture("zone-b.jsonl")).unwrap();
    let merged = json_exit(
        portolan()
            .args(["merge", "-", "--format", "json"])
            .write_stdin(lines),
        0,
    );
    assert_eq!(merged["vantages"], serde_json::json!(["stdin"]));
}

#[test]
fn a_record_that_is_not_portolans_is_refused_with_its_file_and_line() {
    let dir = std::env::temp_dir().join(format!("portolan-merge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.jsonl");
    let good = std::fs::read_to_string(fixture("zone-a.jsonl")).unwrap();
    let first = good.lines().next().unwrap();
    std::fs::write(
        &bad,
        format!("{first}\n{}\n", first.replace("\"tcp\"", "\"sctp\"")),
    )
    .unwrap();
    let bad = bad.to_str().unwrap();
    fails(
        &["merge", bad],
        2,
        &[&format!("{bad}:2: unknown transport \"sctp\"")],
    );
    fails(&["report", bad], 2, &[&format!("{bad}:2:")]);
    fails(
        &["merge", "/nonexistent/zone.jsonl"],
        2,
        &["cannot read /nonexistent/zone.jsonl"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn report_writes_one_page_and_fails_with_3_when_it_cannot() {
    let dir = std::env::temp_dir().join(format!("portolan-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    portolan()
        .args(["report", &fixture("zone-a.jsonl"), &fixture("zone-b.jsonl")])
        .args(["--output", page.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout("");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Differences between vantages"));
    let nowhere = dir.join("no-such-folder/report.html");
    fails(
        &[
            "report",
            &fixture("zone-a.jsonl"),
            "-o",
            nowhere.to_str().unwrap(),
        ],
        3,
        &["cannot write"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
