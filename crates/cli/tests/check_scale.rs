//! `portolan check` at scale (issue 16), on loopback only: a name that does not resolve among
//! good hosts, JSON lines written as each verdict is final, and no verdict lost when the
//! descriptors run short. No root needed; no wall-clock bounds asserted.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, UdpSocket};
use std::process::{Command, Stdio};

use common::{json_run, results};

/// Ports nothing listens on: all bound at once (so none is handed out twice), then released.
fn free_tcp_ports(addr: &str, count: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind((addr, 0)).unwrap())
        .collect();
    held.iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

#[test]
fn a_name_that_does_not_resolve_is_an_error_row_and_the_others_are_checked() {
    let closed = free_tcp_ports("127.0.0.1", 1)[0].to_string();
    let (code, v) = json_run(&[
        "check",
        "127.0.0.1",
        "no-such-host.invalid",
        "127.0.0.2",
        "--ports",
        &format!("tcp:{closed}"),
    ]);
    // Not 2: the input is well formed; one host is in ERROR, so not everything listens.
    assert_eq!(code, 1, "{v}");
    let hosts = v["hosts"].as_array().unwrap();
    let names: Vec<&str> = hosts.iter().map(|h| h["host"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["127.0.0.1", "no-such-host.invalid", "127.0.0.2"],
        "{v}"
    );
    for host in hosts {
        let rows = host["results"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{host}");
        let row = &rows[0];
        if host["host"] == "no-such-host.invalid" {
            assert_eq!(row["status"], "ERROR", "{row}");
            let answer = row["answer"].as_str().unwrap();
            assert!(answer.contains("does not resolve"), "{row}");
        } else {
            // Loopback refuses at once: the good hosts got their full answer.
            assert_eq!(row["status"], "NOT LISTENING", "{row}");
        }
    }
}

#[test]
fn jsonl_writes_each_result_as_soon_as_it_is_final() {
    let closed = free_tcp_ports("127.0.0.1", 1)[0];
    // A UDP port that is bound but never answers: its verdict waits for every try, while
    // the closed TCP port is refused at once.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("portolan"))
        .args([
            "check",
            "127.0.0.1",
            "--ports",
            &format!("tcp:{closed} udp:{silent_port}"),
            "--udp-retries",
            "10",
            "--format",
            "jsonl",
        ])
        .env_remove("PORTOLAN_CATALOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    // The first line came while the UDP port was still being waited for (eleven tries).
    let running = child.try_wait().unwrap().is_none();
    assert_eq!(first["port"], closed, "{first}");
    assert_eq!(first["status"], "NOT LISTENING", "{first}");
    assert!(running, "the check ended before its first line was read");
    child.kill().unwrap();
    child.wait().unwrap();
    drop(silent);
}

#[test]
fn no_verdict_is_lost_when_descriptors_run_short() {
    // 16 descriptors and 120 probes asked at once: probes must wait for each other and
    // retry, and every closed port still comes out NOT LISTENING.
    let ports: Vec<String> = free_tcp_ports("127.0.0.1", 120)
        .iter()
        .map(u16::to_string)
        .collect();
    let bin = assert_cmd::cargo::cargo_bin("portolan");
    for concurrency in ["0", "120"] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -n 24 && exec {} check 127.0.0.1 --ports tcp:{} --concurrency {concurrency} --format json",
                bin.display(),
                ports.join(",")
            ))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "--concurrency {concurrency}: no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let all = results(&v);
        assert_eq!(all.len(), ports.len(), "--concurrency {concurrency}");
        for (key, r) in &all {
            assert_eq!(
                r["status"], "NOT LISTENING",
                "--concurrency {concurrency}: {key}: {r}"
            );
        }
    }
}

#[test]
fn no_progress_bar_in_a_pipe() {
    // Longer than the second after which a terminal would show the bar: three silent tries.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let out = Command::new(assert_cmd::cargo::cargo_bin("portolan"))
        .args(["check", "127.0.0.1", "--ports", &format!("udp:{port}")])
        .args(["--udp-retries", "2", "--format", "jsonl"])
        .env_remove("PORTOLAN_CATALOG")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("ports, eta"), "{stderr}");
    assert_eq!(
        common::json_lines(&String::from_utf8_lossy(&out.stdout)).len(),
        1
    );
    drop(silent);
}
