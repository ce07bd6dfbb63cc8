//! `portolan changes`: the changelog between two Windows versions, rendered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fails, json_ok, portolan, stdout};
use serde_json::Value;

fn changes(args: &[&str]) -> Vec<Value> {
    let mut full = vec!["changes", "--format", "json"];
    full.extend_from_slice(args);
    let doc = json_ok(portolan().args(&full));
    doc["changes"].as_array().unwrap().clone()
}

fn find<'a>(list: &'a [Value], kind: &str, service: &str, before: &str, after: &str) -> &'a Value {
    list.iter()
        .find(|c| {
            c["kind"] == kind
                && c["service"] == service
                && c["before"]["row"].as_str().unwrap_or("") == before
                && c["after"]["row"].as_str().unwrap_or("") == after
        })
        .unwrap_or_else(|| panic!("{kind} {service} {before} -> {after} not in {list:#?}"))
}

#[test]
fn the_default_runs_from_2003_to_2025_with_sources() {
    let doc = json_ok(portolan().args(["changes", "--format", "json"]));
    assert_eq!(doc["from"], "2003");
    assert_eq!(doc["to"], "2025");
    let list = doc["changes"].as_array().unwrap();
    let kpasswd = find(list, "added", "kerberos-kdc", "", "udp/464");
    assert_eq!(kpasswd["version"], "2008");
    assert!(
        kpasswd["source_titles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["key"] == "kb832017" && s["title"].as_str().unwrap().contains("832017"))
    );
    find(list, "moved", "winrm", "tcp/80", "tcp/5985");
    find(list, "moved", "winrm", "tcp/443", "tcp/5986");
    find(
        list,
        "moved",
        "rpc-dynamic",
        "tcp/1025-5000",
        "tcp/49152-65535",
    );
    find(list, "moved", "ssdp-discovery", "tcp/5000", "tcp/2869");
    let frs = list
        .iter()
        .find(|c| c["kind"] == "replaced" && c["service"] == "dfs-replication")
        .unwrap();
    assert_eq!(frs["before"]["service"], "file-replication");
    for c in list {
        assert!(!c["sources"].as_array().unwrap().is_empty(), "{c}");
    }
}

#[test]
fn the_table_names_each_change_and_its_sources() {
    let text = stdout(&["changes", "--from", "2003", "--to", "2012"]);
    for needle in [
        "TCP 1025-5000",
        "TCP 49152-65535",
        "Kerberos Password V5",
        "TCP 5985",
        "re-owned",
        "replaced",
        "kb832017: KB 832017",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let csv = stdout(&[
        "changes", "--from", "2022", "--to", "2025", "--format", "csv",
    ]);
    assert!(
        csv.starts_with("Version,Change,Of,Service,Before,After,Sources"),
        "{csv}"
    );
    assert!(csv.contains("SMB over QUIC"), "{csv}");
}

#[test]
fn one_step_and_equal_versions() {
    let list = changes(&["--from", "2022", "--to", "2025"]);
    find(&list, "added", "server", "", "udp/443");
    assert!(list.iter().all(|c| c["version"] == "2025"));
    for v in ["2003", "2016", "2025"] {
        assert!(changes(&["--from", v, "--to", v]).is_empty(), "{v}");
    }
    portolan()
        .args(["changes", "--from", "2016", "--to", "2016"])
        .assert()
        .success();
}

#[test]
fn reversed_and_unknown_versions_are_usage_errors() {
    fails(
        &["changes", "--from", "2025", "--to", "2003"],
        2,
        &["newer than --to 2003", "--from 2003 --to 2025"],
    );
    fails(
        &["changes", "--to", "2010"],
        2,
        &["2010", "2003, 2008, 2012, 2016, 2019, 2022 or 2025"],
    );
}
