//! `portolan check` on loopback (IPv4 and IPv6), against listeners the test itself opens,
//! and its handling of bad input. No root needed.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{TcpListener, UdpSocket};

use common::{fails, json_run, portolan, results, stdout_ok};
use predicates::prelude::*;

/// A port nothing listens on: bound, then released.
fn free_tcp_port(addr: &str) -> u16 {
    TcpListener::bind((addr, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_port(addr: &str) -> u16 {
    UdpSocket::bind((addr, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Echoes datagrams back until the test ends (bounded by a read timeout and a count).
fn udp_echo(addr: &str) -> u16 {
    let socket = UdpSocket::bind((addr, 0)).unwrap();
    let port = socket.local_addr().unwrap().port();
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        for _ in 0..64 {
            match socket.recv_from(&mut buf) {
                Ok((n, peer)) => {
                    let _ = socket.send_to(&buf[..n], peer);
                }
                Err(_) => break,
            }
        }
    });
    port
}

fn check_loopback(addr: &str) {
    let listener = TcpListener::bind((addr, 0)).unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = free_tcp_port(addr);
    let echo = udp_echo(addr);
    let udp_closed = free_udp_port(addr);
    let spec = format!("tcp:{open},{closed} udp:{echo},{udp_closed}");
    let (code, v) = json_run(&["check", addr, "--ports", &spec]);
    assert_eq!(code, 1, "one port of each transport is closed");
    let all = results(&v);
    assert_eq!(all[&format!("{open}/tcp")]["status"], "LISTENING");
    assert_eq!(all[&format!("{closed}/tcp")]["status"], "NOT LISTENING");
    assert_eq!(
        all[&format!("{closed}/tcp")]["answer"],
        "connection refused (RST)"
    );
    assert_eq!(all[&format!("{echo}/udp")]["status"], "LISTENING");
    assert_eq!(all[&format!("{udp_closed}/udp")]["status"], "NOT LISTENING");
    assert_eq!(
        all[&format!("{udp_closed}/udp")]["answer"],
        "ICMP port unreachable"
    );
    assert_eq!(v["hosts"][0]["address"], addr);
    drop(listener);
}

#[test]
fn ipv4_loopback() {
    check_loopback("127.0.0.1");
}

#[test]
fn ipv6_loopback() {
    if UdpSocket::bind("[::1]:0").is_err() {
        portolan_testkit::skip("this machine has no IPv6 loopback");
        return;
    }
    check_loopback("::1");
}

#[test]
fn everything_listening_exits_0_and_names_resolve_locally() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    portolan()
        .args(["check", "127.0.0.1", "--ports", &port])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("LISTENING"));
    // `localhost` comes from /etc/hosts, not from a DNS server.
    let (code, v) = json_run(&["check", "localhost", "--ports", &format!("tcp:{port}")]);
    if v["hosts"][0]["address"] == "127.0.0.1" {
        assert_eq!(code, 0);
    }
    let csv =
        stdout_ok(portolan().args(["check", "127.0.0.1", "--ports", &port, "--format", "csv"]));
    assert!(csv.starts_with("host,address,transport,port,status,"));
    assert!(csv.contains(&format!(",tcp,{port},LISTENING,")));
}

#[test]
fn a_host_given_twice_is_checked_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let (code, v) = json_run(&["check", "127.0.0.1", "127.0.0.1", "--ports", &port]);
    assert_eq!(code, 0);
    let hosts = v["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1, "{v:#}");
    assert_eq!(hosts[0]["results"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(v["summary"]["listening"], 1);
}

#[test]
fn bad_check_input_exits_2_naming_the_problem() {
    for (args, problem) in [
        (vec!["check", "127.0.0.1", "--ports", "tcp:0"], "port 0"),
        (
            vec!["check", "127.0.0.1", "--ports", "sctp:80"],
            "not tcp or udp",
        ),
        (vec!["check", "127.0.0.1", "--ports", "tcp:1-65535"], "scan"),
        (
            vec!["check", "127.0.0.1", "--service", "kerbros"],
            "did you mean",
        ),
        (
            vec!["check", "127.0.0.1", "--service", "terminal"],
            "matches 3 services",
        ),
        (
            vec!["check", "127.0.0.1", "--role", "domian-controller"],
            "domain-controller",
        ),
        (vec!["check", "", "--ports", "80"], "empty host"),
        (
            vec![
                "check",
                "127.0.0.1",
                "--ports",
                "80",
                "--retries",
                "4294967295",
            ],
            "--retries",
        ),
        (
            vec!["check", "127.0.0.1", "--ports", "80", "--udp-retries", "11"],
            "--udp-retries",
        ),
        (
            vec!["check", "127.0.0.1", "--ports", "80", "--timeout", "abc"],
            "not a duration",
        ),
        (
            vec![
                "check",
                "127.0.0.1",
                "--ports",
                "80",
                "--timeout",
                "100ms",
                "--min-timeout",
                "1s",
            ],
            "--min-timeout",
        ),
    ] {
        fails(&args, 2, &[problem]);
    }
}

#[test]
fn rows_that_cannot_be_probed_are_listed_with_the_reason() {
    let (_, v) = json_run(&[
        "check",
        "127.0.0.1",
        "--service",
        "routing-remote-access",
        "--no-rpc",
    ]);
    let unchecked = v["hosts"][0]["unchecked"].as_array().unwrap();
    let gre = unchecked.iter().find(|u| u["transport"] == "gre").unwrap();
    assert!(gre["reason"].as_str().unwrap().contains("no ports"));
    assert_eq!(
        unchecked.iter().filter(|u| u["port"] == "n/a").count(),
        3,
        "GRE, ESP and AH"
    );
    let (_, v) = json_run(&["check", "127.0.0.1", "--service", "lsass", "--no-rpc"]);
    let unchecked = v["hosts"][0]["unchecked"].as_array().unwrap();
    let ldaps_udp = unchecked
        .iter()
        .find(|u| u["port"] == "636" && u["transport"] == "udp")
        .expect("LDAP SSL over UDP is listed, not probed");
    assert!(
        ldaps_udp["reason"]
            .as_str()
            .unwrap()
            .contains("ldaps-over-udp")
    );
    let dynamic = unchecked
        .iter()
        .find(|u| u["port"] == "dynamic RPC")
        .unwrap();
    assert!(dynamic["reason"].as_str().unwrap().contains("--no-rpc"));
}

#[test]
fn under_descriptor_pressure_every_port_gets_its_verdict_or_error() {
    // With almost no file descriptors, connects fail on this machine (EMFILE): the engine
    // waits for descriptors and tries again, and a port it still cannot probe must come out
    // as ERROR ("not probed"), never as FILTERED or a silence.
    // Held until all 40 are chosen: a port released at once may be handed out again.
    let held: Vec<TcpListener> = (0..40)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let ports: Vec<String> = held
        .iter()
        .map(|l| l.local_addr().unwrap().port().to_string())
        .collect();
    drop(held);
    let bin = assert_cmd::cargo::cargo_bin("portolan");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 16 && exec {} check 127.0.0.1 --ports tcp:{} --format json",
            bin.display(),
            ports.join(",")
        ))
        .output()
        .unwrap();
    let v: serde_json::Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        // So few descriptors may not even leave room to start: that is an error exit, not
        // a wrong verdict.
        Err(_) => {
            assert_ne!(out.status.code(), Some(0));
            return;
        }
    };
    let all = results(&v);
    assert_eq!(all.len(), ports.len());
    let mut errors = 0;
    for (key, r) in &all {
        match r["status"].as_str().unwrap() {
            "NOT LISTENING" => {}
            "ERROR" => {
                errors += 1;
                assert!(
                    r["answer"]
                        .as_str()
                        .unwrap()
                        .starts_with("not probed: local error"),
                    "{key}: {r}"
                );
            }
            other => panic!("{key}: {other} from a closed loopback port: {r}"),
        }
    }
    assert_eq!(v["summary"]["error"], errors);
    if errors > 0 {
        assert_eq!(out.status.code(), Some(1));
    }
}
