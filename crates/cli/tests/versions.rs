//! `--windows VERSION`: 2003 is exactly the seed's view (each command's output equals what
//! portolan printed before versions existed, kept in tests/data/seed-view/), and the default,
//! the newest version, is today's Windows.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fails, json_ok, portolan, stdout, stdout_2003};
use serde_json::Value;

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/seed-view/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture(path: &str) -> String {
    format!(
        "{}/../audit/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// `portolan --windows 2003 ARGS`, whatever its exit code, as text.
fn seed_output(args: &[&str]) -> String {
    let out = common::portolan_2003().args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    json_ok(portolan().args(args))
}

fn row_ids(v: &Value) -> Vec<(String, String, u64)> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["service_id"].as_str().unwrap().to_string(),
                r["transport"].as_str().unwrap().to_string(),
                r["port"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// 2003: the seed's view, exactly as before.

#[test]
fn seed_view_port() {
    assert_eq!(stdout_2003(&["port", "445"]), data("port-445.txt"));
    assert_eq!(
        stdout_2003(&["port", "49153", "--format", "csv"]),
        data("port-49153.csv")
    );
    assert_eq!(
        stdout_2003(&[
            "port",
            "tcp:135,445 udp:53",
            "role:domain-controller",
            "--format",
            "md"
        ]),
        data("port-spec.md")
    );
}

#[test]
fn seed_view_service() {
    assert_eq!(stdout_2003(&["service", "kdc"]), data("service-kdc.txt"));
    assert_eq!(
        stdout_2003(&["service", "terminal", "--format", "csv"]),
        data("service-terminal.csv")
    );
}

#[test]
fn seed_view_search() {
    assert_eq!(
        stdout_2003(&["search", "kerberos", "udp"]),
        data("search-kerberos-udp.txt")
    );
}

#[test]
fn seed_view_table() {
    assert_eq!(
        stdout_2003(&["table", "--format", "csv"]),
        data("table.csv")
    );
}

#[test]
fn seed_view_export() {
    assert_eq!(
        stdout_2003(&["export", "--format", "csv"]),
        data("export.csv")
    );
    assert_eq!(
        stdout_2003(&["export", "--format", "services"]),
        data("export.services")
    );
}

#[test]
fn seed_view_roles_and_role() {
    assert_eq!(stdout_2003(&["roles"]), data("roles.txt"));
    assert_eq!(
        stdout_2003(&["role", "domain-controller"]),
        data("role-domain-controller.txt")
    );
    assert_eq!(
        stdout_2003(&["role", "terminal-server", "--format", "csv"]),
        data("role-terminal-server.csv")
    );
}

#[test]
fn seed_view_plan() {
    assert_eq!(
        stdout_2003(&[
            "plan",
            "--role",
            "domain-controller",
            "--from",
            "10.0.0.0/8"
        ]),
        data("plan-dc.nft")
    );
    assert_eq!(
        stdout_2003(&["plan", "--role", "vpn-gateway", "--dialect", "powershell"]),
        data("plan-vpn.ps1")
    );
    assert_eq!(
        stdout_2003(&[
            "plan",
            "--role",
            "cluster-node",
            "--role",
            "file-server",
            "--dialect",
            "iptables"
        ]),
        data("plan-cluster.iptables")
    );
}

#[test]
fn seed_view_audit() {
    assert_eq!(
        seed_output(&[
            "audit",
            &fixture("windows-dc/netstat-anob.txt"),
            "--host",
            "dc1",
            "--role",
            "domain-controller",
            "--format",
            "csv"
        ]),
        data("audit-windows-dc.csv")
    );
}

/// The ports `scan -p role:domain-controller` sweeps, as its JSON states them.
fn scanned_dc_ports(version: &str) -> String {
    let out = portolan()
        .args(["--windows", version, "scan", "127.0.0.1"])
        .args(["-p", "role:domain-controller", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["scan"]["ports"].as_str().unwrap().to_string()
}

#[test]
fn seed_view_scan_role_ports() {
    assert_eq!(
        format!("{}\n", scanned_dc_ports("2003")),
        data("scan-role-dc.txt")
    );
}

/// What `check 127.0.0.1 --role domain-controller` probes and leaves unchecked, one line each.
fn checked_dc(version: &str) -> String {
    let out = portolan()
        .args(["--windows", version, "check", "127.0.0.1"])
        .args(["--role", "domain-controller", "--no-rpc", "--no-verify"])
        .args(["--format", "json", "--timeout", "200ms"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let host = &v["hosts"][0];
    let mut lines = String::new();
    for r in host["results"].as_array().unwrap() {
        lines.push_str(&format!(
            "probe {} {}\n",
            r["transport"].as_str().unwrap(),
            r["port"]
        ));
    }
    for u in host["unchecked"].as_array().unwrap() {
        lines.push_str(&format!(
            "unchecked {} {} {}\n",
            u["service_id"].as_str().unwrap(),
            u["transport"].as_str().unwrap(),
            u["port"].as_str().unwrap()
        ));
    }
    lines
}

#[test]
fn seed_view_check() {
    assert_eq!(checked_dc("2003"), data("check-dc.txt"));
}

#[test]
fn the_seed_table_is_the_seed_whatever_the_version() {
    let seed = stdout_2003(&["table", "--seed", "--format", "csv"]);
    assert_eq!(seed.lines().count(), 156);
    for version in ["2008", "2016", "2025"] {
        assert_eq!(
            stdout(&["--windows", version, "table", "--seed", "--format", "csv"]),
            seed
        );
    }
}

// ---------------------------------------------------------------------------------------
// Today's view, the default.

#[test]
fn the_default_is_the_newest_version() {
    assert_eq!(
        stdout(&["port", "464"]),
        stdout(&["--windows", "2025", "port", "464"])
    );
}

#[test]
fn todays_ports_are_known() {
    let v = json(&["port", "464", "--format", "json"]);
    let rows = row_ids(&v);
    assert!(
        rows.contains(&("kerberos-kdc".into(), "tcp".into(), 464)),
        "{rows:?}"
    );
    assert!(
        rows.contains(&("kerberos-kdc".into(), "udp".into(), 464)),
        "{rows:?}"
    );
    let row = &v["rows"][0];
    assert_eq!(row["app_protocol"], "Kerberos Password V5");
    assert_eq!(row["since"], "2008");
    assert_eq!(row["until"], Value::Null);
    assert_eq!(row["change"], "added");
    assert!(common::strings(&row["sources"]).contains(&"kb832017"));

    let v = json(&["port", "9389", "--format", "json"]);
    assert_eq!(
        row_ids(&v),
        [("ad-web-services".into(), "tcp".into(), 9389)]
    );
    let v = json(&["port", "5985", "--format", "json"]);
    assert_eq!(row_ids(&v), [("winrm".into(), "tcp".into(), 5985)]);
    let v = json(&["port", "3389/udp", "--format", "json"]);
    assert_eq!(
        row_ids(&v),
        [("terminal-services".into(), "udp".into(), 3389)]
    );
    // A seed row keeps its seed provenance.
    let v = json(&["port", "88/tcp", "--format", "json"]);
    assert_eq!(v["rows"][0]["since"], "2003");
    assert_eq!(common::strings(&v["rows"][0]["sources"]), ["seed"]);
    // In the seed's view none of them exists.
    for port in ["464", "9389", "5985", "3389/udp"] {
        common::portolan_2003()
            .args(["port", port])
            .assert()
            .code(1);
    }
}

#[test]
fn the_dynamic_range_follows_the_version() {
    // 2003 hands out RPC ports from 1025-5000, later versions from 49152-65535; the seed's
    // view keeps both, as before.
    let rows = |version: &str, port: &str| {
        let out = portolan()
            .args(["--windows", version, "port", port, "--format", "json"])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["rows"]
            .as_array()
            .unwrap()
            .len()
    };
    assert!(rows("2003", "2000") > 0);
    assert_eq!(rows("2025", "2000"), 0);
    assert!(rows("2025", "49153") > 0);
}

#[test]
fn dropped_services_are_gone_and_renamed_ones_carry_todays_name() {
    common::portolan_2003()
        .args(["port", "548"])
        .assert()
        .success();
    portolan().args(["port", "548"]).assert().code(1);
    let v = json(&["service", "TermService", "--format", "json"]);
    assert_eq!(v["services"][0]["name"], "Remote Desktop Services");
    // The seed's name still finds it.
    let v = json(&["service", "Terminal Services", "--format", "json"]);
    assert_eq!(v["services"][0]["id"], "terminal-services");
    // SMTP ships up to 2022 only.
    portolan()
        .args(["--windows", "2022", "service", "smtp"])
        .assert()
        .success();
    portolan()
        .args(["--windows", "2025", "service", "SMTPSVC"])
        .assert()
        .code(2);
}

#[test]
fn search_table_and_export_see_todays_rows() {
    let v = json(&["search", "password", "--format", "json"]);
    assert!(row_ids(&v).contains(&("kerberos-kdc".into(), "tcp".into(), 464)));
    let table = stdout(&["table", "--format", "csv"]);
    assert!(
        table.contains("9389,TCP,Active Directory Web Services (ADWS)"),
        "{table}"
    );
    let export = json(&["export", "--format", "json"]);
    let ids: Vec<&str> = common::field_strings(&export["services"], "id");
    assert!(ids.contains(&"winrm") && ids.contains(&"dfs-replication"));
    assert!(!ids.contains(&"messenger"));
}

#[test]
fn todays_domain_controller() {
    let v = json(&["role", "domain-controller", "--format", "json"]);
    let rows = row_ids(&v);
    for (service, transport, port) in [
        ("kerberos-kdc", "tcp", 464),
        ("kerberos-kdc", "udp", 464),
        ("ad-web-services", "tcp", 9389),
        ("winrm", "tcp", 5985),
        ("winrm", "tcp", 5986),
        ("dfs-replication", "tcp", 135),
    ] {
        assert!(
            rows.contains(&(service.into(), transport.into(), port)),
            "{service} {transport}/{port} not in {rows:?}"
        );
    }
    // Each entry says who needs it.
    for entry in v["role"]["services"].as_array().unwrap() {
        assert!(!entry["who"].as_array().unwrap().is_empty(), "{entry}");
    }
    // The seed's role is unchanged.
    let old =
        json_ok(common::portolan_2003().args(["role", "domain-controller", "--format", "json"]));
    assert!(
        !row_ids(&old)
            .iter()
            .any(|(_, _, p)| *p == 464 || *p == 9389)
    );
}

#[test]
fn todays_roles_for_rdp_and_clusters() {
    let v = json(&["role", "terminal-server", "--format", "json"]);
    assert!(row_ids(&v).contains(&("terminal-services".into(), "udp".into(), 3389)));
    let v = json(&["role", "cluster-node", "--format", "json"]);
    assert!(row_ids(&v).contains(&("cluster-service".into(), "tcp".into(), 3343)));
    // RDP over UDP comes with 2012.
    let v = json(&[
        "--windows",
        "2008",
        "role",
        "terminal-server",
        "--format",
        "json",
    ]);
    assert!(!row_ids(&v).contains(&("terminal-services".into(), "udp".into(), 3389)));
}

#[test]
fn scan_and_check_take_todays_role_ports() {
    let ports = scanned_dc_ports("2025");
    for port in ["464", "5985", "9389"] {
        assert!(
            ports.split(',').any(|p| p.starts_with(port)),
            "{port} not in {ports}"
        );
    }
    let checked = checked_dc("2025");
    for line in [
        "probe tcp 464",
        "probe udp 464",
        "probe tcp 9389",
        "probe tcp 5985",
    ] {
        assert!(checked.contains(line), "{line} not in\n{checked}");
    }
}

#[test]
fn plan_opens_todays_ports() {
    let nft = stdout(&["plan", "--role", "domain-controller", "--no-optional"]);
    assert!(nft.contains("tcp dport { 88, 464 }"), "{nft}");
    assert!(nft.contains("tcp dport 9389"), "{nft}");
}

#[test]
fn a_bad_version_exits_2_with_the_list() {
    fails(
        &["--windows", "2010", "port", "445"],
        2,
        &["2010", "2003, 2008, 2012, 2016, 2019, 2022 or 2025"],
    );
}
