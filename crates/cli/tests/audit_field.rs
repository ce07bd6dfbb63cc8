//! `portolan audit` on files captured outside this project (crates/audit/tests/fixtures/field):
//! named hosts, partial audits and their exit code, `--host`, `--strict`, and PowerShell JSON
//! whose protocol must be given.

mod common;

use common::{fails, json_run, portolan};
use predicates::prelude::*;

fn field(name: &str) -> String {
    format!(
        "{}/../audit/tests/fixtures/field/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn every_host_of_a_scan_is_named_even_with_nothing_open() {
    let (code, v) = json_run(&["audit", &field("libnmap-2_null_hosts.xml")]);
    assert_eq!(code, 0);
    let reports = v["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["host"], "127.0.0.1");
    assert_eq!(reports[0]["host_names"][0], "localhost");
    assert_eq!(reports[1]["host_names"][0], "scanme.nmap.org");
    assert_eq!(reports[1]["port_states"][0]["state"], "open|filtered");
    assert_eq!(reports[1]["port_states"][0]["count"], 1000);
    assert_eq!(v["partial"], false);
    portolan()
        .args(["audit", &field("libnmap-full_sudo6.xml")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("192.168.1.5 (00:1F:3C:87:66:50)"))
        .stdout(predicate::str::contains(
            "not audited, the host did not answer the scan (252): 192.168.1.0, 192.168.1.4",
        ));
    // With a role, a host that did not answer cannot match.
    let (code, v) = json_run(&[
        "audit",
        &field("libnmap-full_sudo6.xml"),
        "--role",
        "file-server",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["reports"][0]["audited"], false);
}

#[test]
fn a_file_never_has_a_null_host() {
    let file = field("jc-centos77-netstat-lnp.txt");
    let (_, v) = json_run(&["audit", &file]);
    assert_eq!(
        v["reports"][0]["host"],
        format!("unknown host ({file})").as_str()
    );
    let (_, v) = json_run(&["audit", &file, "--host", "centos7"]);
    assert_eq!(v["reports"][0]["host"], "centos7");
    portolan()
        .args(["audit", &file, "--host", "centos7"])
        .assert()
        .stdout(predicate::str::starts_with("centos7\n"))
        .stdout(predicate::str::contains("this machine").not());
}

#[test]
fn an_unreadable_row_makes_the_audit_partial_and_strict_refuses_it() {
    let file = field("jc-win10-netstat-an.txt");
    let (code, v) = json_run(&["audit", &file]);
    assert_eq!(code, 1, "partial");
    assert_eq!(v["exit_code"], 1);
    assert_eq!(v["partial"], true);
    assert_eq!(v["skipped"][0]["line"], 264);
    assert_eq!(v["skipped"][0]["source"], file.as_str());
    assert!(v["reports"][0]["ports"].as_array().unwrap().len() > 50);
    portolan()
        .args(["audit", &file])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!("{file}:264: ")))
        .stdout(predicate::str::contains(
            "partial: 1 rows could not be read and were skipped",
        ));
    fails(
        &["audit", &file, "--strict"],
        2,
        &[&format!("{file}:264: ")],
    );
}

#[test]
fn dockerd_holding_ldap_is_flagged() {
    let (_, v) = json_run(&["audit", &field("jc-ubuntu1804-ss-tulpen.txt")]);
    let ports = v["reports"][0]["ports"].as_array().unwrap();
    let ldap = ports
        .iter()
        .find(|p| p["port"] == 389 && p["transport"] == "tcp")
        .unwrap();
    assert_eq!(ldap["flags"][0]["kind"], "owner-mismatch");
    assert!(ldap["name"].as_str().unwrap().ends_with("held by dockerd"));
}

#[test]
fn powershell_without_a_protocol_stops_with_the_commands_that_tell() {
    let json = r#"[{"LocalAddress":"0.0.0.0","LocalPort":389,"OwningProcess":672}]"#;
    portolan()
        .args(["audit", "-"])
        .write_stdin(json)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("powershell-tcp"))
        .stderr(predicate::str::contains(
            "Get-NetTCPConnection -State Listen | ConvertTo-Json",
        ));
    let out = portolan()
        .args([
            "audit",
            "-",
            "--input-format",
            "powershell-tcp",
            "--format",
            "json",
        ])
        .write_stdin(json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reports"][0]["ports"][0]["transport"], "tcp");
    assert_eq!(v["reports"][0]["host"], "unknown host (standard input)");
}
