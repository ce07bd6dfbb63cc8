//! `--format` of the commands that print probe records: `check`, `scan` (TCP and UDP) and
//! `rpc` each take table, json, jsonl, csv and md, on loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod common;

use std::net::{TcpListener, UdpSocket};

use common::portolan;

fn run(args: &[&str]) -> (i32, String) {
    let out = portolan().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn closed_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A UDP port bound and released: nothing of ours listens there (ICMP port unreachable,
/// `closed`), though another process on this machine may take it meanwhile.
fn released_udp_port() -> String {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.local_addr().unwrap().port().to_string()
}

/// Runs `portolan BASE --format FORMAT`: exit code and stdout.
fn run_in_format(base: &[&str], format: &str) -> (i32, String) {
    run(&[base, &["--format", format]].concat())
}

/// What `scan 127.0.0.1 --udp -p PORT --all` prints in `format`.
fn udp_sweep(port: &str, format: &str) -> String {
    let (_, out) = run_in_format(&["scan", "127.0.0.1", "--udp", "-p", port, "--all"], format);
    out
}

#[test]
fn check_prints_every_format() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = closed_tcp_port();
    let spec = format!("tcp:{open},{closed}");
    let base = [
        "check",
        "127.0.0.1",
        "--ports",
        &spec,
        "--no-verify",
        "--no-rpc",
    ];
    let with = |format: &str| run_in_format(&base, format);

    let (code, md) = with("md");
    assert_eq!(code, 1);
    assert!(md.starts_with("## 127.0.0.1 (127.0.0.1)\n"), "{md}");
    assert!(
        md.contains("| Service | Port | Status | Probe | What answered |"),
        "{md}"
    );
    assert!(md.contains(&format!("| {open}/tcp | LISTENING |")), "{md}");
    assert!(
        md.contains(&format!("| {closed}/tcp | NOT LISTENING |")),
        "{md}"
    );
    assert!(
        md.ends_with(
            "2 ports: 1 LISTENING, 1 NOT LISTENING, 0 FILTERED, 0 LISTENING OR FILTERED\n"
        ),
        "{md}"
    );

    let (_, jsonl) = with("jsonl");
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{jsonl}");
    assert!(lines.iter().all(|l| l["host"] == "127.0.0.1"));
    // The reason is scan's word for the same answer.
    let mut reasons: Vec<&str> = lines
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    reasons.sort();
    assert_eq!(reasons, ["conn-refused", "syn-ack"]);

    let (_, csv) = with("csv");
    assert!(
        csv.starts_with("host,address,transport,port,status,reason,services,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3, "{csv}");

    let (_, json) = with("json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["listening"], 1);
    assert_eq!(v["summary"]["not_listening"], 1);

    let (_, table) = with("table");
    assert!(
        table.contains("LISTENING") && table.contains("2 ports:"),
        "{table}"
    );
}

#[test]
fn scan_prints_markdown_for_tcp_and_udp() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port().to_string();
    let (code, md) = run(&[
        "scan",
        "127.0.0.1",
        "-p",
        &open,
        "--format",
        "md",
        "--no-progress",
    ]);
    assert_eq!(code, 0);
    assert!(
        md.contains("| Host | Port | State | Reason | Service | Catalog services |"),
        "{md}"
    );
    assert!(
        md.contains(&format!("| 127.0.0.1 | {open}/tcp | open | syn-ack |")),
        "{md}"
    );
    assert!(
        md.contains("1 address (1 up) x 1 port: 1 open, 0 closed, 0 filtered in"),
        "{md}"
    );

    // Another process on this machine may take the released port meanwhile, so the state
    // itself is not asserted.
    let port = released_udp_port();
    let md = udp_sweep(&port, "md");
    assert!(
        md.contains("| Host | Port | State | Reason | Service | What answered |"),
        "{md}"
    );
    assert!(md.contains(&format!("| 127.0.0.1 | {port}/udp | ")), "{md}");
    assert!(md.contains("1 address x 1 UDP port: "), "{md}");
}

#[test]
fn rpc_prints_every_format() {
    let port = closed_tcp_port().to_string();
    let base = ["rpc", "127.0.0.1", "--port", &port, "--timeout", "2s"];
    let with = |format: &str| run_in_format(&base, format);
    let (code, jsonl) = with("jsonl");
    assert_eq!(code, 1);
    let line: serde_json::Value = serde_json::from_str(jsonl.trim()).unwrap();
    assert_eq!(line["host"], "127.0.0.1");
    assert_eq!(line["address"], "127.0.0.1");
    assert!(line["error"].as_str().unwrap().contains(&port), "{line}");

    let (_, csv) = with("csv");
    assert!(csv.starts_with("Host,Interface,Version,Protocol,"), "{csv}");
    assert!(csv.contains("127.0.0.1,(no answer)"), "{csv}");

    let (_, md) = with("md");
    assert!(md.contains("| Host | Interface |"), "{md}");
    assert!(md.contains("| 127.0.0.1 | (no answer) |"), "{md}");

    let (_, json) = with("json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["hosts"][0]["error"].is_string());

    let (_, table) = with("table");
    assert!(table.contains("(no answer)"), "{table}");
}

/// The sweep's port objects keep the fields docs/json.md lists, in TCP and UDP alike, now
/// that both are rendered from one record.
#[test]
fn sweep_port_objects_keep_their_fields() {
    let keys = |line: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let tcp = [
        "address", "host", "port", "portqry", "protocol", "reason", "rtt_us", "service",
        "services", "state", "tries",
    ];
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port().to_string();
    let (_, jsonl) = run(&["scan", "127.0.0.1", "-p", &open, "--format", "jsonl"]);
    assert_eq!(keys(jsonl.trim()), tcp);

    let port = released_udp_port();
    let jsonl = udp_sweep(&port, "jsonl");
    let mut with_evidence: Vec<&str> = tcp.to_vec();
    with_evidence.extend(["answer", "evidence", "probe"]);
    with_evidence.sort();
    assert_eq!(keys(jsonl.trim()), with_evidence);

    let (_, json) = run(&["scan", "127.0.0.1", "--udp", "-p", &port, "-f", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut scan_keys: Vec<&String> = v["scan"].as_object().unwrap().keys().collect();
    scan_keys.sort();
    assert_eq!(
        scan_keys,
        [
            "addresses",
            "done",
            "elapsed_ms",
            "interrupted",
            "port_count",
            "ports",
            "probes",
            "protocol",
            "targets"
        ]
    );
    let summary = &v["summary"];
    let counted: u64 = ["open", "closed", "filtered", "open_filtered", "error"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 1, "{summary}");
}
