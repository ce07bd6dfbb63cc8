//! The same role name and the same port spec mean the same thing in every command that takes
//! them (issue 10): `role`, `plan`, `check`, `audit`, `scan` and `port` all go through the
//! catalog's one resolver and one port grammar. `check` and `scan` only probe 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod common;

use std::collections::BTreeSet;

use common::{json_ok, json_run, portolan};
use serde_json::Value;

/// The role written as its id, as its display name in another case and spacing, and with
/// underscores: every command must take all three.
const DC_NAMES: [&str; 3] = [
    "domain-controller",
    "Domain controller",
    "DOMAIN_CONTROLLER",
];
const MISSPELT_DC: &str = "domian-controller";

fn audit_fixture() -> String {
    format!(
        "{}/../audit/tests/fixtures/samba-dc/ss-lntup.txt",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Runs `portolan` with `args`, expecting exit 2 and "did you mean `domain-controller`".
fn suggests_domain_controller(args: &[&str]) {
    let out = portolan().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains("did you mean `domain-controller`"),
        "{args:?}: {stderr}"
    );
    assert!(
        stderr.contains(MISSPELT_DC),
        "{args:?} names the input: {stderr}"
    );
}

/// "port/transport" of every result of a `check --format json`.
fn checked_ports(v: &Value) -> BTreeSet<String> {
    common::results(v).into_keys().collect()
}

fn check(ports_or_role: &[&str]) -> BTreeSet<String> {
    let mut args = vec!["check", "127.0.0.1", "--no-rpc", "--timeout", "300ms"];
    args.extend_from_slice(ports_or_role);
    let (code, v) = json_run(&args);
    assert!(code == 0 || code == 1, "{args:?} exited {code}");
    checked_ports(&v)
}

/// The ports a TCP `scan --all` of 127.0.0.1 probed.
fn scanned_ports(spec: &str) -> Vec<u64> {
    let out = portolan()
        .args(["scan", "127.0.0.1", "-p", spec, "--all", "-f", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "scan -p {spec}: no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut ports: Vec<u64> = v["hosts"][0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_u64().unwrap())
        .collect();
    ports.sort_unstable();
    ports
}

/// The (port, protocol, service id) rows a `port --format json` look-up lists.
fn looked_up(args: &[&str]) -> BTreeSet<(u64, String, String)> {
    let mut all = vec!["port"];
    all.extend_from_slice(args);
    let (code, v) = json_run(&all);
    assert_eq!(code, 0, "{all:?}");
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["port"].as_u64().unwrap_or(0),
                r["transport"].as_str().unwrap_or_default().to_string(),
                r["service_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn role_takes_every_spelling() {
    let outputs: Vec<Value> = DC_NAMES
        .iter()
        .map(|name| json_run(&["role", name]).1)
        .collect();
    assert_eq!(outputs[0]["role"]["id"], "domain-controller");
    assert!(outputs.iter().all(|o| *o == outputs[0]));
    suggests_domain_controller(&["role", MISSPELT_DC]);
}

#[test]
fn plan_takes_every_spelling() {
    let plan = |role: &str, service: &str| {
        json_ok(portolan().args(["plan", "--json", "--role", role, "--service", service]))
    };
    let by_id = plan("domain-controller", "dns-server");
    for (role, service) in [
        ("Domain controller", "DNS"),
        ("DOMAIN_CONTROLLER", "dns server"),
    ] {
        assert_eq!(
            plan(role, service),
            by_id,
            "--role {role} --service {service}"
        );
    }
    suggests_domain_controller(&["plan", "--role", MISSPELT_DC]);
}

#[test]
fn check_takes_every_spelling_and_the_port_grammar() {
    let by_id = check(&["--role", "domain-controller"]);
    assert!(
        by_id.contains("88/tcp") && by_id.contains("88/udp"),
        "{by_id:?}"
    );
    for name in &DC_NAMES[1..] {
        assert_eq!(check(&["--role", name]), by_id, "--role {name}");
    }
    let expected: BTreeSet<String> = ["135/tcp", "445/tcp", "53/udp"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(check(&["--ports", "tcp:135,445 udp:53"]), expected);
    assert_eq!(
        check(&["--ports", "135, 445 53/udp"]),
        expected,
        "bare ports are TCP"
    );
    let dns: BTreeSet<String> = ["53/tcp", "53/udp"].iter().map(|s| s.to_string()).collect();
    assert_eq!(check(&["--ports", "service:dns"]), dns);
    let from_spec = check(&["--ports", "role:domain-controller"]);
    assert_eq!(check(&["--ports", "role:Domain_Controller"]), from_spec);
    assert!(
        by_id.is_subset(&from_spec),
        "role: in --ports takes every fixed port of the role, optional ones too"
    );
    suggests_domain_controller(&["check", "127.0.0.1", "--role", MISSPELT_DC]);
    suggests_domain_controller(&["check", "127.0.0.1", "--ports", "role:domian-controller"]);
}

#[test]
fn audit_takes_every_spelling() {
    let fixture = audit_fixture();
    let audit = |args: &[&str]| {
        let mut all = vec!["audit", fixture.as_str()];
        all.extend_from_slice(args);
        json_run(&all).1
    };
    let by_id = audit(&["--role", "domain-controller", "--service", "dns-server"]);
    assert_eq!(
        by_id["reports"][0]["comparison"]["missing"],
        // Today's DC answers WinRM and AD Web Services; the Samba DC of the fixture does not.
        serde_json::json!(["tcp/5985", "tcp/9389"])
    );
    for name in &DC_NAMES[1..] {
        assert_eq!(
            audit(&["--role", name, "--service", "DNS"]),
            by_id,
            "--role {name}"
        );
    }
    suggests_domain_controller(&["audit", &fixture, "--role", MISSPELT_DC]);
}

#[test]
fn scan_takes_the_port_grammar() {
    assert_eq!(
        scanned_ports("tcp:135,445 udp:53"),
        [135, 445],
        "a TCP sweep keeps the TCP items"
    );
    assert_eq!(scanned_ports("135, 445"), [135, 445]);
    assert_eq!(scanned_ports("service:dns"), [53]);
    let dc = scanned_ports("role:domain-controller");
    assert!(dc.contains(&88) && dc.contains(&445), "{dc:?}");
    assert_eq!(scanned_ports("role:Domain_Controller"), dc);
    suggests_domain_controller(&["scan", "127.0.0.1", "-p", "role:domian-controller"]);
}

#[test]
fn port_takes_the_port_grammar() {
    let spec = looked_up(&["tcp:135,445 udp:53"]);
    let one_by_one = looked_up(&["135/tcp", "tcp/445", "53/udp"]);
    assert_eq!(spec, one_by_one);
    assert!(spec.iter().any(|(p, t, _)| *p == 53 && t == "udp"));
    assert!(!spec.iter().any(|(p, t, _)| *p == 53 && t == "tcp"));
    let dns = looked_up(&["service:dns"]);
    assert!(dns.iter().all(|(p, _, _)| *p == 53), "{dns:?}");
    assert!(dns.iter().any(|(_, _, s)| s == "dns-server"));
    let dc = looked_up(&["role:domain-controller"]);
    assert_eq!(looked_up(&["role:DOMAIN_CONTROLLER"]), dc);
    assert!(dc.iter().any(|(p, _, _)| *p == 88));
    suggests_domain_controller(&["port", "role:domian-controller"]);
}
