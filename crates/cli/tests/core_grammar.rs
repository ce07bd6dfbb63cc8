//! One target grammar (`portolan_core::target`) in every command: the same CIDR network,
//! range, `@file` and IPv6 literal work in `check`, `rpc` and `scan`, on loopback only
//! (127.0.0.0/8 and ::1). The listener binds 127.0.0.1 alone, so 127.0.0.2 answers with a
//! reset: each target stands for exactly two hosts with different verdicts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod common;

use std::net::TcpListener;

use common::{fails, json_run, portolan};
use predicates::prelude::*;
use serde_json::Value;

/// A port nothing listens on: bound, then released.
fn free_port(addr: &str) -> u16 {
    TcpListener::bind((addr, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The same two loopback hosts written four ways (the file lives as long as the guard).
fn two_host_targets() -> (Vec<String>, tempfile_guard::Guard) {
    let guard = tempfile_guard::Guard::new("127.0.0.1 # the listener\n127.0.0.2\n");
    let targets = vec![
        "127.0.0.0/30".to_string(),
        "127.0.0.1-2".to_string(),
        "127.0.0.1-127.0.0.2".to_string(),
        format!("@{}", guard.path()),
    ];
    (targets, guard)
}

/// A temporary file removed on drop (no extra dependency for one file).
mod tempfile_guard {
    pub struct Guard(std::path::PathBuf);

    impl Guard {
        pub fn new(content: &str) -> Guard {
            let path = std::env::temp_dir().join(format!(
                "portolan-core-grammar-{}-{:?}.txt",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::write(&path, content).unwrap();
            Guard(path)
        }

        pub fn path(&self) -> String {
            self.0.display().to_string()
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn by_host(check: &Value) -> Vec<(String, String)> {
    check["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let result = &h["results"][0];
            (
                h["host"].as_str().unwrap().to_string(),
                result["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn check_takes_networks_ranges_and_files() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let (targets, _file) = two_host_targets();
    for target in &targets {
        let spec = format!("tcp:{port}");
        let (code, v) = json_run(&["check", target, "--ports", &spec, "--no-verify", "--no-rpc"]);
        assert_eq!(code, 1, "{target}: one host is not listening");
        assert_eq!(
            by_host(&v),
            [
                ("127.0.0.1".to_string(), "LISTENING".to_string()),
                ("127.0.0.2".to_string(), "NOT LISTENING".to_string()),
            ],
            "{target}"
        );
    }
}

#[test]
fn scan_takes_the_same_targets() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let (targets, _file) = two_host_targets();
    for target in &targets {
        let (code, v) = json_run(&["scan", target, "-p", &port, "--all", "--no-progress"]);
        assert_eq!(code, 0, "{target}: a port is open");
        let states: Vec<(&str, &str)> = v["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["address"].as_str().unwrap(),
                    h["ports"][0]["state"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            states,
            [("127.0.0.1", "open"), ("127.0.0.2", "closed")],
            "{target}"
        );
    }
}

#[test]
fn rpc_takes_the_same_targets() {
    // Nothing listens: each host's endpoint mapper refuses the connection at once.
    let port = free_port("127.0.0.1").to_string();
    let (targets, _file) = two_host_targets();
    for target in &targets {
        let (code, v) = json_run(&["rpc", target, "--port", &port, "--timeout", "2s"]);
        assert_eq!(code, 1, "{target}: no endpoint mapper answered");
        let hosts: Vec<&str> = v["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["host"].as_str().unwrap())
            .collect();
        assert_eq!(hosts, ["127.0.0.1", "127.0.0.2"], "{target}");
        assert!(v["hosts"][0]["error"].is_string(), "{target}: {v:#}");
    }
}

#[test]
fn every_command_takes_ipv6_literals_and_scopes() {
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        panic!("this machine has no IPv6 loopback; the test needs ::1");
    };
    let port = listener.local_addr().unwrap().port().to_string();
    // `::1%lo` carries a scope id; on a loopback address the kernel accepts and ignores it.
    for target in ["::1", "[::1]", "::1%lo"] {
        let spec = format!("tcp:{port}");
        let (code, v) = json_run(&["check", target, "--ports", &spec, "--no-verify", "--no-rpc"]);
        assert_eq!(code, 0, "{target}: {v:#}");
        assert_eq!(
            v["hosts"][0]["results"][0]["status"], "LISTENING",
            "{target}"
        );
        let (code, v) = json_run(&["scan", target, "-p", &port, "--no-progress"]);
        assert_eq!(code, 0, "{target}: {v:#}");
        assert_eq!(v["hosts"][0]["address"], "::1", "{target}");
        let closed = free_port("::1").to_string();
        let (code, v) = json_run(&["rpc", target, "--port", &closed, "--timeout", "2s"]);
        assert_eq!(code, 1, "{target}");
        assert_eq!(v["hosts"][0]["address"], "::1", "{target}");
    }
}

#[test]
fn check_and_rpc_refuse_sweeps_naming_the_target_and_the_fix() {
    // Refused before any packet is sent. `check` streams, so it takes a /16; `rpc` 256.
    for (command, sweep, cap) in [
        ("check", "127.2.0.0/15", 65_536),
        ("rpc", "127.1.0.0/16", 256),
    ] {
        let mut cmd = portolan();
        cmd.args([command, "127.0.0.1", sweep]);
        if command == "check" {
            cmd.args(["--ports", "tcp:80"]);
        }
        cmd.assert()
            .code(2)
            .stderr(predicate::str::contains(format!("target `{sweep}`")))
            .stderr(predicate::str::contains(format!(
                "more than `{command}` takes ({cap})"
            )))
            .stderr(predicate::str::contains("portolan scan"));
    }
    fails(&["scan", "127.0.0.0/8", "-p", "80"], 2, &["--yes"]);
}

#[test]
fn a_bad_target_is_refused_alike_everywhere() {
    for args in [
        vec!["check", "10.0.0.0/33", "--ports", "tcp:80"],
        vec!["rpc", "10.0.0.0/33"],
        vec!["scan", "10.0.0.0/33", "-p", "80"],
    ] {
        fails(
            &args,
            2,
            &["target `10.0.0.0/33`: prefix length /33 is longer than the 32 bits"],
        );
    }
    for args in [
        vec!["check", "fe80::1%no-such-if0", "--ports", "tcp:80"],
        vec!["rpc", "fe80::1%no-such-if0"],
        vec!["scan", "fe80::1%no-such-if0", "-p", "80"],
    ] {
        fails(&args, 2, &["no interface `no-such-if0`"]);
    }
}
