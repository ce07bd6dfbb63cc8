//! Port conflicts shown by `port`, `role`, `plan` and `audit` (the decisions are
//! portolan_catalog's data/conflicts.toml).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{json_lines, json_ok, portolan, stdout};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn port_shows_conflicts_in_text_and_json() {
    let text = stdout(&["port", "80"]);
    assert!(
        text.contains("conflict: TCP 80: Windows Media Services and World Wide Web Publishing Service cannot both listen on one address (media-services-http)"),
        "{text}"
    );
    // NetMeeting is the seed's (gone from 2008 on): its conflict is the 2003 view's.
    let doc = json_ok(portolan().args(["--windows", "2003", "port", "3389", "--format", "json"]));
    let conflicts = doc["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{doc}");
    assert_eq!(conflicts[0]["transport"], "tcp");
    assert_eq!(conflicts[0]["port"], 3389);
    assert_eq!(conflicts[0]["rule"], "remote-desktop-port");
    assert_eq!(
        conflicts[0]["services"],
        serde_json::json!(["netmeeting-remote-desktop", "terminal-services"])
    );
    // JSON Lines keeps one record per row; the conflicts go to standard error.
    let out = portolan()
        .args(["--windows", "2003", "port", "3389", "--format", "jsonl"])
        .output()
        .unwrap();
    let lines = json_lines(&String::from_utf8(out.stdout).unwrap());
    assert!(lines.iter().all(|l| l.get("port").is_some()), "{lines:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("conflict: TCP 3389"));
}

#[test]
fn ports_that_share_show_no_conflict() {
    // http.sys shares 443; SMB's 445 is one listener; TCP and UDP are different ports.
    for port in ["443", "445", "2869", "135"] {
        let doc = json_ok(portolan().args(["port", port, "--format", "json"]));
        assert!(doc.get("conflicts").is_none(), "{port}: {doc}");
        assert!(!stdout(&["port", port]).contains("conflict:"), "{port}");
    }
}

#[test]
fn role_shows_conflicts_of_its_services() {
    let catalog = fixture("web-and-media.toml");
    let text = stdout(&["--catalog", &catalog, "role", "web-and-media"]);
    assert!(
        text.contains(
            "conflict: TCP 80: World Wide Web Publishing Service and Windows Media Services"
        ),
        "{text}"
    );
    let doc =
        json_ok(portolan().args(["--catalog", &catalog, "role", "web-and-media", "-f", "json"]));
    assert_eq!(doc["conflicts"][0]["rule"], "media-services-http");
    // The built-in roles are consistent.
    let doc = json_ok(portolan().args(["role", "domain-controller", "-f", "json"]));
    assert!(doc.get("conflicts").is_none(), "{doc}");
}

#[test]
fn plan_warns_when_it_holds_both() {
    let catalog = fixture("web-and-media.toml");
    let rules = stdout(&["--catalog", &catalog, "plan", "--role", "web-and-media"]);
    assert!(
        rules.contains("# * Port conflict: World Wide Web Publishing Service and Windows Media Services cannot both listen on TCP 80 of one address"),
        "{rules}"
    );
    let doc = json_ok(portolan().args([
        "--windows",
        "2003",
        "plan",
        "--service",
        "terminal-services",
        "--service",
        "netmeeting-remote-desktop",
        "--format",
        "json",
    ]));
    let caveat = doc["caveats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "port-conflict")
        .expect("a port-conflict caveat");
    assert_eq!(
        caveat["services"],
        serde_json::json!(["terminal-services", "netmeeting-remote-desktop"])
    );
    let plain =
        json_ok(portolan().args(["plan", "--role", "domain-controller", "--format", "json"]));
    assert!(
        !plain["caveats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "port-conflict")
    );
}

#[test]
fn audit_flags_one_listener_for_two_expected_services() {
    let catalog = fixture("web-and-media.toml");
    let listing = fixture("web-and-media-ss.txt");
    let out = portolan()
        .args([
            "--catalog",
            &catalog,
            "audit",
            &listing,
            "--role",
            "web-and-media",
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &doc["reports"][0];
    assert_eq!(report["comparison"]["conflicts"][0]["port"], 80);
    let port80 = report["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["port"] == 80)
        .unwrap();
    let flag = port80["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "port-conflict")
        .expect("a port-conflict flag");
    assert!(
        flag["text"]
            .as_str()
            .unwrap()
            .starts_with("one listener, two expected services: World Wide Web Publishing Service and Windows Media Services")
    );
    assert!(
        report["verdict"]
            .as_str()
            .unwrap()
            .contains("expected services that cannot share a port: tcp/80")
    );
}
