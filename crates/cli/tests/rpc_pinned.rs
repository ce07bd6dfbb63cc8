//! `rpc --pin-rpc` and `check --pin-rpc` on loopback: a fake endpoint mapper answers with the
//! lab Samba DC's captured list, its TCP ports left on the dynamic range or moved onto the
//! pinned ones, and portolan reports every interface of the role outside them (exit 1).
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "../../probe/tests/support/fake_mapper.rs"]
mod fake_mapper;

use common::portolan;
use serde_json::Value;

/// The capture's ports as they were: 49152 (netlogon), 49153, 49154.
fn dynamic(port: u16) -> u16 {
    port
}

/// The capture's ports moved where `pin --base 10000 --for samba` puts them: netlogon
/// (49152 in the capture) on 10001, everything else on 10000; 135 stays.
fn pinned(port: u16) -> u16 {
    match port {
        49152 => 10001,
        49153 | 49154 => 10000,
        other => other,
    }
}

fn rpc(port: u16, extra: &[&str]) -> (i32, String, String) {
    let out = portolan()
        .args([
            "rpc",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--timeout",
            "3s",
        ])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn interfaces_on_the_dynamic_range_are_outside_the_pinned_ports() {
    let port = fake_mapper::whole_list_mapper("127.0.0.1:0", 1, dynamic);
    let args = [
        "--role",
        "domain-controller",
        "--pin-rpc",
        "10000",
        "--format",
        "json",
    ];
    let (code, text, err) = rpc(port, &args);
    assert_eq!(code, 1, "{text}{err}");
    let json: Value = serde_json::from_str(&text).unwrap();
    let host = &json["hosts"][0];
    assert_eq!(host["complete"], true, "{host}");
    assert_eq!(host["pinned"]["pinned"], "10000-10102");
    let outside = host["pinned"]["outside"].as_array().unwrap();
    let found = |name: &str, port: u64| {
        outside
            .iter()
            .any(|o| o["name"] == name && o["port"].as_u64() == Some(port))
    };
    assert!(found("netlogon", 49152), "{outside:?}");
    assert!(found("drsuapi", 49153), "{outside:?}");
    assert!(found("samr", 49154), "{outside:?}");
    // The endpoint mapper's own 135 is a fixed port of the role, never "outside".
    assert!(outside.iter().all(|o| o["port"] != 135), "{outside:?}");

    let port = fake_mapper::whole_list_mapper("127.0.0.1:0", 1, dynamic);
    let (code, text, _) = rpc(port, &["--role", "domain-controller", "--pin-rpc", "10000"]);
    assert_eq!(code, 1);
    assert!(text.contains("OUTSIDE TCP 10000-10102"), "{text}");
    assert!(text.contains("drsuapi on 49153"), "{text}");
}

#[test]
fn a_server_that_obeys_the_pin_exits_0() {
    let port = fake_mapper::whole_list_mapper("127.0.0.1:0", 1, pinned);
    let args = [
        "--tcp",
        "--role",
        "Domain controller",
        "--pin-rpc",
        "10000",
        "--format",
        "json",
    ];
    let (code, text, err) = rpc(port, &args);
    assert_eq!(code, 0, "{text}{err}");
    let json: Value = serde_json::from_str(&text).unwrap();
    let host = &json["hosts"][0];
    assert_eq!(
        host["pinned"]["outside"],
        Value::Array(Vec::new()),
        "{host}"
    );
    let ports: Vec<u64> = host["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["port"].as_u64())
        .collect();
    assert!(
        ports.contains(&10000) && ports.contains(&10001),
        "{ports:?}"
    );

    // A base that is not the server's: now every pinned interface is outside.
    let port = fake_mapper::whole_list_mapper("127.0.0.1:0", 1, pinned);
    let (code, text, _) = rpc(port, &["--role", "domain-controller", "--pin-rpc", "20000"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("netlogon on 10001"), "{text}");
}

#[test]
fn pin_rpc_and_role_go_together() {
    let (code, _, err) = rpc(1, &["--pin-rpc", "10000"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--role"), "{err}");
    let (code, _, err) = rpc(1, &["--role", "domain-controller"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--pin-rpc"), "{err}");
    let (code, _, err) = rpc(1, &["--role", "domain-controller", "--pin-rpc", "65500"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("65433"), "{err}");
}

/// `check` asks the mapper on TCP 135 of the host, so the fake one listens on port 135 of
/// loopback addresses of this test alone (127.70.x.y, 127.71.x.y).
#[test]
#[ignore = "needs root: binds port 135 (the endpoint mapper's) on loopback"]
fn check_reports_interfaces_outside_the_pinned_ports() {
    // An address per case and per run: a listener stays until its connections are used, and
    // a closed one leaves TIME_WAIT sockets on its address that block a new listener for a
    // minute.
    let id = std::process::id();
    let (third, fourth) = ((id / 250) % 250, id % 250 + 1);
    let cases = [
        (
            format!("127.70.{third}.{fourth}"),
            dynamic as fn(u16) -> u16,
            true,
        ),
        (format!("127.71.{third}.{fourth}"), pinned, false),
    ];
    for (address, ports, outside) in cases {
        // The TCP probe, its verification and the enumeration each connect once.
        fake_mapper::whole_list_mapper(&format!("{address}:135"), 3, ports);
        let out = portolan()
            .args(["check", &address, "--service", "local-security-authority"])
            .args(["--pin-rpc", "10000", "--format", "json", "--timeout", "1s"])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        // Nothing else listens there: exit 1 whatever the pin says.
        assert_eq!(out.status.code(), Some(1), "{text}");
        let json: Value = serde_json::from_str(&text).unwrap();
        let pinned = &json["hosts"][0]["endpoint_mapper"]["pinned"];
        // One server (the directory) and the narrowed range.
        assert_eq!(pinned["pinned"], "10000-10100", "{json}");
        let list = pinned["outside"].as_array().unwrap();
        assert_eq!(!list.is_empty(), outside, "{pinned}");
        if outside {
            assert!(
                list.iter()
                    .any(|o| o["name"] == "lsarpc" && o["port"] == 49153),
                "{pinned}"
            );
        }
    }
}
