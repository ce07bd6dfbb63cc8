//! `--format junit` and `--format tap` of check and audit, read back by independent parsers:
//! junitparser (PyPI, in the venv of scripts/install-deps.sh) for JUnit, Perl's TAP::Parser
//! (Debian's perl) for TAP. Failures must be exactly the verdicts other than LISTENING (check)
//! and the missing and unexpected ports (audit), as the JSON of the same run says.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command as StdCommand, Stdio};

use common::portolan;
use serde_json::Value;

/// Runs `portolan ARGS` and returns (exit code, stdout).
fn run(args: &[&str]) -> (i32, String) {
    let out = portolan().args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn python() -> String {
    std::env::var("PORTOLAN_PYTHON").unwrap_or_else(|_| "/opt/portolan-venv/bin/python".into())
}

/// junitparser's reading of a JUnit document: per suite, (name, [(case, result kind)]).
fn junitparser(xml: &str) -> Value {
    let script = r#"
import json, sys
from junitparser import JUnitXml, Failure, Skipped, Error
xml = JUnitXml.fromstring(sys.stdin.read())
out = []
for suite in xml:
    cases = []
    for case in suite:
        kinds = [type(r).__name__ for r in case.result]
        cases.append([case.name, kinds[0] if kinds else "Passed"])
    out.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                "skipped": suite.skipped, "cases": cases})
print(json.dumps(out))
"#;
    let mut child = StdCommand::new(python())
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the venv's python (scripts/install-deps.sh)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "junitparser: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// TAP::Parser's reading of a TAP stream: (passed, failed, skipped, parse errors).
fn tap_parser(tap: &str) -> (usize, usize, usize, Vec<String>) {
    let script = r#"
use TAP::Parser;
my $tap = do { local $/; <STDIN> };
my $p = TAP::Parser->new({ tap => $tap });
while (my $r = $p->next) {}
printf "%d %d %d\n", scalar($p->passed), scalar($p->failed), scalar($p->skipped);
print "$_\n" for $p->parse_errors;
"#;
    let mut child = StdCommand::new("perl")
        .args(["-e", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("perl (apt-get install perl)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(tap.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let counts: Vec<usize> = lines
        .next()
        .unwrap()
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    (
        counts[0],
        counts[1],
        counts[2],
        lines.map(str::to_string).collect(),
    )
}

/// A check of one listening and one closed loopback port.
fn check_args(open: u16, closed: u16, format: &'static str) -> Vec<String> {
    [
        "check",
        "127.0.0.1",
        "--ports",
        &format!("tcp:{open},{closed}"),
        "--no-rpc",
        "--format",
        format,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn args(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

#[test]
#[ignore = "needs junitparser and perl's TAP::Parser (scripts/install-deps.sh); the test command runs it"]
fn check_junit_and_tap_fail_exactly_what_is_not_listening() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, json) = run(&args(&check_args(open, closed, "json")));
    assert_eq!(code, 1, "one port is closed");
    let json: Value = serde_json::from_str(&json).unwrap();
    let verdicts: Vec<(u64, String)> = json["hosts"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["port"].as_u64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(verdicts.len(), 2, "{json}");

    let (code, xml) = run(&args(&check_args(open, closed, "junit")));
    assert_eq!(code, 1, "JUnit output keeps the exit code");
    let suites = junitparser(&xml);
    assert_eq!(suites.as_array().unwrap().len(), 1);
    let suite = &suites[0];
    assert_eq!(suite["name"], "127.0.0.1");
    assert_eq!(suite["tests"], 2);
    for (port, status) in &verdicts {
        let case = suite["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c[0].as_str().unwrap().starts_with(&format!("tcp/{port} ")))
            .unwrap_or_else(|| panic!("no case for tcp/{port}: {suite}"));
        let expected = if status == "LISTENING" {
            "Passed"
        } else {
            "Failure"
        };
        assert_eq!(case[1], expected, "tcp/{port} is {status}");
    }
    assert_eq!(suite["failures"], 1);

    let (code, tap) = run(&args(&check_args(open, closed, "tap")));
    assert_eq!(code, 1);
    let (passed, failed, skipped, errors) = tap_parser(&tap);
    assert!(errors.is_empty(), "{errors:?}\n{tap}");
    assert_eq!((passed, failed, skipped), (1, 1, 0), "{tap}");
    assert!(tap.contains("verdict: \"NOT LISTENING\""), "{tap}");
    drop(listener);
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../audit/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
#[ignore = "needs junitparser and perl's TAP::Parser (scripts/install-deps.sh); the test command runs it"]
fn audit_junit_and_tap_fail_exactly_the_missing_and_unexpected_ports() {
    let file = fixture("apps-lab/ss-lntup.txt");
    let base = [
        "audit",
        file.as_str(),
        "--host",
        "apps",
        "--role",
        "domain-controller",
    ];
    let (code, json) = run(&[&base[..], &["--format", "json"]].concat());
    let json: Value = serde_json::from_str(&json).unwrap();
    let comparison = &json["reports"][0]["comparison"];
    let missing = comparison["missing"].as_array().unwrap().len();
    let unexpected = comparison["unexpected"].as_array().unwrap().len();
    assert!(
        missing > 0 && unexpected > 0,
        "an apps host is no DC: {comparison}"
    );
    assert_eq!(code, 1);

    let (junit_code, xml) = run(&[&base[..], &["--format", "junit"]].concat());
    assert_eq!(junit_code, code);
    let suites = junitparser(&xml);
    assert_eq!(suites[0]["name"], "apps");
    assert_eq!(suites[0]["failures"], missing + unexpected, "{xml}");

    let (tap_code, tap) = run(&[&base[..], &["--format", "tap"]].concat());
    assert_eq!(tap_code, code);
    let (_, failed, _, errors) = tap_parser(&tap);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(failed, missing + unexpected, "{tap}");
}
