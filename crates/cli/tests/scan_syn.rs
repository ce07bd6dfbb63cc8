//! `portolan scan --syn` from the command line: refused without CAP_NET_RAW (exit 2, the
//! fix named), refused for IPv6 targets and beside --udp, and, as root, a half-open sweep of
//! this test's own listener on 127.0.0.1.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::Command;

mod common;

use common::{fails, portolan};
use serde_json::Value;

/// Fails unless the test runs as root (read from /proc).
fn require_root() {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|uid| uid == "0"))
        })
        .unwrap_or(false);
    assert!(root, "needs root");
}

#[test]
fn ipv6_and_udp_are_refused() {
    fails(
        &["scan", "--syn", "::1", "-p", "22", "--no-progress"],
        2,
        &["IPv6", "without --syn"],
    );
    fails(
        &["scan", "--syn", "--udp", "127.0.0.1", "-p", "22"],
        2,
        &["--udp"],
    );
}

#[test]
#[ignore = "needs root: drops its privileges with setpriv to run as nobody"]
fn without_cap_net_raw_it_stops_with_the_fix() {
    require_root();
    let binary = assert_cmd::cargo::cargo_bin("portolan");
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--",
        ])
        .arg(&binary)
        .args(["scan", "--syn", "127.0.0.1", "-p", "22", "--no-progress"])
        .env_remove("PORTOLAN_CATALOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    for needle in [
        "CAP_NET_RAW",
        "run it as root",
        "setcap cap_net_raw+ep",
        "leave out --syn",
    ] {
        assert!(stderr.contains(needle), "{needle:?} missing from: {stderr}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
#[ignore = "needs root: raw sockets"]
fn a_half_open_sweep_of_our_own_listener_on_loopback() {
    require_root();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let ports = format!("{open},{closed}");
    let out = portolan()
        .args([
            "scan",
            "--syn",
            "127.0.0.1",
            "-p",
            &ports,
            "--all",
            "-f",
            "jsonl",
        ])
        .args(["--no-progress"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let state = |port: u16| {
        lines.iter().find(|v| v["port"] == port).map(|v| {
            (
                v["state"].as_str().unwrap().to_string(),
                v["reason"].as_str().unwrap().to_string(),
            )
        })
    };
    assert_eq!(
        state(open),
        Some(("open".into(), "syn-ack".into())),
        "{lines:?}"
    );
    assert_eq!(
        state(closed),
        Some(("closed".into(), "conn-refused".into())),
        "{lines:?}"
    );
    // The kernel reset the half-open connection: nothing waits in the listener's queue.
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err());
}
