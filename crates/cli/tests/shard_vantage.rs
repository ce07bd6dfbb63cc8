//! `--shard I/N` (check and scan) and `check --vantage`: N shards of one target list cover
//! every host exactly once, and a vantage name tags every JSON, JSON Lines and JUnit result.
//! Loopback only (127.0.0.1-127.0.0.7), on a port nothing listens on.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;

use common::{fails, json_lines, portolan};

/// A port nothing listens on: bound, then released.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs portolan and returns the hosts of its JSON Lines output.
fn hosts_of(args: &[&str]) -> Vec<String> {
    let out = portolan().args(args).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    json_lines(&text)
        .iter()
        .filter_map(|line| line["host"].as_str().map(str::to_string))
        .collect()
}

fn assert_each_host_once(parts: Vec<Vec<String>>, total: usize) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for part in &parts {
        for host in part {
            *seen.entry(host.clone()).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), total, "{parts:?}");
    assert!(seen.values().all(|&n| n == 1), "{seen:?}");
    // Interleaved parts: sizes differ by one at most.
    let sizes: Vec<usize> = parts.iter().map(Vec::len).collect();
    assert!(
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
        "{sizes:?}"
    );
}

/// The hosts each of `count` shards reports, for `args` (a command with its targets, ports
/// and JSON Lines output) run once per shard.
fn shard_hosts(args: &[&str], count: u32) -> Vec<Vec<String>> {
    (0..count)
        .map(|i| {
            let shard = format!("{i}/{count}");
            let mut all = args.to_vec();
            all.extend(["--shard", &shard]);
            let mut hosts = hosts_of(&all);
            hosts.sort();
            hosts.dedup();
            hosts
        })
        .collect()
}

#[test]
fn check_shards_cover_every_host_once() {
    let ports = format!("tcp:{}", free_port());
    let check = [
        "check",
        "127.0.0.1-127.0.0.7",
        "-p",
        &ports,
        "--no-rpc",
        "-f",
        "jsonl",
    ];
    assert_each_host_once(shard_hosts(&check, 3), 7);
}

#[test]
fn scan_shards_cover_every_host_once() {
    let port = free_port().to_string();
    let scan = [
        "scan",
        "127.0.0.1-127.0.0.7",
        "-p",
        &port,
        "--all",
        "--no-progress",
        "-f",
        "jsonl",
    ];
    assert_each_host_once(shard_hosts(&scan, 3), 7);
}

#[test]
fn a_check_shard_without_hosts_has_nothing_to_fail() {
    let port = format!("tcp:{}", free_port());
    let args = [
        "check",
        "127.0.0.1",
        "-p",
        &port,
        "--no-rpc",
        "--shard",
        "1/2",
    ];
    portolan().args(args).assert().code(0);
    // The JSON says the same as the exit code.
    let out = portolan()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["exit_code"], 0, "{doc}");
    assert_eq!(doc["hosts"], serde_json::json!([]));
}

#[test]
fn bad_shards_and_vantage_names_are_refused_with_the_fix() {
    fails(
        &["check", "127.0.0.1", "-p", "1", "--shard", "3/3"],
        2,
        &["3/3", "numbered from 0", "0/3 to 2/3"],
    );
    fails(
        &["scan", "127.0.0.1", "-p", "1", "--shard", "two/4"],
        2,
        &["two/4", "I/N"],
    );
    fails(
        &["check", "127.0.0.1", "-p", "1", "--vantage", "zone a"],
        2,
        &["zone a", "vantage", "--vantage dmz-1"],
    );
}

#[test]
fn the_vantage_tags_every_json_line_the_document_and_junit() {
    let port = format!("tcp:{}", free_port());
    let base = [
        "check",
        "127.0.0.1-127.0.0.2",
        "-p",
        &port,
        "--no-rpc",
        "--vantage",
        "dmz-1",
    ];
    let out = portolan()
        .args(base)
        .args(["--format", "jsonl"])
        .output()
        .unwrap();
    let lines = json_lines(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["vantage"] == "dmz-1"), "{lines:?}");

    let out = portolan()
        .args(base)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["vantage"], "dmz-1");

    let out = portolan()
        .args(base)
        .args(["--format", "junit"])
        .output()
        .unwrap();
    let xml = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        xml.matches("<property name=\"vantage\" value=\"dmz-1\"/>")
            .count(),
        2,
        "{xml}"
    );

    // From the environment too, as a CI runner or a Kubernetes pod sets it.
    let out = portolan()
        .args(&base[..5])
        .args(["--format", "json"])
        .env("PORTOLAN_VANTAGE", "runner-7")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["vantage"], "runner-7");
}

/// The lab's four namespaces as one target list, split three ways, by check and by scan:
/// every lab host is checked by exactly one shard, and each shard's verdicts are the ones an
/// unsharded run gives.
#[test]
#[ignore = "needs the lab (root: lab/lab.sh up); the test command runs it"]
fn shards_split_the_lab_hosts_exactly() {
    let lab = common::lab();
    let hosts = [&lab.dc, &lab.svc, &lab.apps, &lab.fw];
    let targets: Vec<&str> = hosts.iter().map(|h| h.as_str()).collect();
    // 22 and 445 answer on some lab hosts and are closed or filtered on others.
    let verdicts = |extra: &[&str]| -> BTreeMap<String, String> {
        let out = portolan()
            .arg("check")
            .args(&targets)
            .args([
                "-p",
                "tcp:22,445",
                "--no-rpc",
                "--no-verify",
                "--format",
                "jsonl",
            ])
            .args(extra)
            .output()
            .unwrap();
        json_lines(&String::from_utf8(out.stdout).unwrap())
            .iter()
            .map(|l| {
                (
                    format!("{} {}", l["host"].as_str().unwrap(), l["port"]),
                    l["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let whole = verdicts(&[]);
    assert_eq!(whole.len(), 8, "{whole:?}");
    let mut parts = Vec::new();
    let mut joined = BTreeMap::new();
    for i in 0..3 {
        let shard = format!("{i}/3");
        let part = verdicts(&["--shard", &shard]);
        parts.push(
            part.keys()
                .map(|k| k.split(' ').next().unwrap().to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>(),
        );
        joined.extend(part);
    }
    assert_each_host_once(parts, 4);
    assert_eq!(joined, whole, "the shards' verdicts are the whole run's");

    let mut scan = vec!["scan"];
    scan.extend(&targets);
    scan.extend(["-p", "22,445", "--all", "--no-progress", "-f", "jsonl"]);
    let scanned = shard_hosts(&scan, 3);
    assert_each_host_once(scanned, 4);
}
