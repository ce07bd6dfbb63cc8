//! `portolan scan` against the lab's firewalled host (pl-fw, lab/fw-lab.truth): every port
//! of the truth file gets its state, every other port is closed, and the result is the same
//! under `ulimit -n 256`. Needs the lab (root): the tests are ignored by a plain
//! `cargo test`, run by scripts/test.sh, and fail when run without the lab.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Command;

mod common;

use common::{json_lines, portolan, stdout_ok, success_stdout};

struct FwLab {
    address: String,
    truth: String,
}

/// The lab's firewalled host, from the lab environment (see tests/common).
fn fw_lab() -> FwLab {
    let lab = common::lab();
    FwLab {
        address: lab.fw,
        truth: lab.fw_truth,
    }
}

/// TCP port -> expected scan state, from the truth file.
fn expected_states(truth_path: &str) -> BTreeMap<u16, &'static str> {
    common::fw_truth(truth_path)
        .into_iter()
        .filter(|(transport, _, _)| transport == "tcp")
        .map(|(_, port, state)| {
            let state = match state.as_str() {
                "open" => "open",
                "closed" | "reset" => "closed",
                "dropped" | "admin-prohibited" => "filtered",
                other => panic!("unknown state {other} in {truth_path}"),
            };
            (port, state)
        })
        .collect()
}

/// Runs `portolan scan ADDRESS -p all --all -f jsonl` (through bash with `shell_prefix`)
/// and returns port -> (state, reason).
fn sweep(address: &str, shell_prefix: &str) -> BTreeMap<u16, (String, String)> {
    let bin = assert_cmd::cargo::cargo_bin("portolan");
    let script = format!(
        "{shell_prefix} exec '{}' scan {address} -p all --all -f jsonl --no-progress",
        bin.display()
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .env_remove("PORTOLAN_CATALOG")
        .output()
        .unwrap();
    let mut ports = BTreeMap::new();
    for v in json_lines(&success_stdout(&out)) {
        let port = v["port"].as_u64().unwrap() as u16;
        let state = v["state"].as_str().unwrap().to_string();
        let reason = v["reason"].as_str().unwrap().to_string();
        assert!(
            ports.insert(port, (state, reason)).is_none(),
            "port {port} reported twice"
        );
    }
    ports
}

fn assert_matches_truth(
    found: &BTreeMap<u16, (String, String)>,
    truth: &BTreeMap<u16, &str>,
    run: &str,
) {
    assert_eq!(found.len(), 65535, "{run}: one result per port");
    for (port, (state, reason)) in found {
        let expected = truth.get(port).copied().unwrap_or("closed");
        assert_eq!(state, expected, "{run}: port {port} ({reason})");
    }
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn full_sweep_of_the_firewalled_host_matches_the_truth() {
    let lab = fw_lab();
    let truth = expected_states(&lab.truth);
    let found = sweep(&lab.address, "");
    assert_matches_truth(&found, &truth, "default limits");
    // The kinds of answer behind each state.
    assert_eq!(found[&8530].1, "host-unreach", "ICMP admin-prohibited");
    assert_eq!(found[&135].1, "no-response", "dropped");
    assert_eq!(found[&4443].1, "conn-refused", "reset by nftables");
    assert_eq!(
        found[&445].0, "filtered",
        "a listener behind a drop rule is filtered"
    );
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn a_256_descriptor_limit_gives_the_same_result() {
    let lab = fw_lab();
    let truth = expected_states(&lab.truth);
    let found = sweep(&lab.address, "ulimit -n 256 &&");
    assert_matches_truth(&found, &truth, "ulimit -n 256");
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn udp_sweep_of_the_firewalled_host_matches_the_truth() {
    let lab = fw_lab();
    let expected: BTreeMap<u16, &str> = common::fw_truth(&lab.truth)
        .into_iter()
        .filter(|(transport, _, _)| transport == "udp")
        .map(|(_, port, state)| {
            let state = match state.as_str() {
                "open" => "open",
                "closed" => "closed",
                "dropped" => "open|filtered",
                "admin-prohibited" => "filtered",
                other => panic!("unknown UDP state {other}"),
            };
            (port, state)
        })
        .collect();
    assert!(expected.len() >= 4, "the truth file lists UDP ports");
    let ports: Vec<String> = expected.keys().map(u16::to_string).collect();
    let text = stdout_ok(portolan().args([
        "scan",
        &lab.address,
        "--udp",
        "--all",
        "-f",
        "jsonl",
        "-p",
        &ports.join(","),
    ]));
    let mut found = BTreeMap::new();
    for v in json_lines(&text) {
        found.insert(
            v["port"].as_u64().unwrap() as u16,
            v["state"].as_str().unwrap().to_string(),
        );
    }
    for (port, state) in &expected {
        assert_eq!(
            found.get(port).map(String::as_str),
            Some(*state),
            "udp/{port}"
        );
    }
}
