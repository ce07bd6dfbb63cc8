//! deploy/ansible in the lab: Ansible (ansible-core from PyPI, in the venv of
//! scripts/install-deps.sh) runs `portolan check --vantage` from two zones, network namespaces
//! standing in for the vantage hosts, and `portolan merge` on the controller. The server
//! (lab/vantage-lab.sh) drops TCP 8082 from zone b only: the merged matrix must say so.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::json_lines;
use serde_json::Value;

const TARGET: &str = "10.203.103.1";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lab(verb: &str) {
    let status = Command::new("bash")
        .arg(repo().join("lab/vantage-lab.sh"))
        .arg(verb)
        .status()
        .unwrap();
    assert!(status.success(), "vantage-lab.sh {verb}");
}

/// Takes the lab down however the test ends.
struct LabGuard;

impl Drop for LabGuard {
    fn drop(&mut self) {
        lab("down");
    }
}

/// The network rule: from each zone, the target is reached over that zone's own link.
fn assert_zone_route(ns: &str, device: &str) {
    let out = Command::new("ip")
        .args(["-n", ns, "-o", "route", "get", TARGET])
        .output()
        .unwrap();
    let route = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && route.contains(&format!(" dev {device} ")),
        "refusing to probe {TARGET} from {ns}: {route}"
    );
}

fn ansible_playbook() -> PathBuf {
    let venv = std::env::var("PORTOLAN_VENV").unwrap_or_else(|_| "/opt/portolan-venv".into());
    Path::new(&venv).join("bin/ansible-playbook")
}

/// The verdict of `port` in one zone's collected JSON Lines.
fn verdict(results: &Path, zone: &str, port: u64) -> String {
    let text = std::fs::read_to_string(results.join(format!("{zone}.jsonl"))).unwrap();
    let lines = json_lines(&text);
    let line = lines
        .iter()
        .find(|l| l["port"].as_u64() == Some(port))
        .unwrap_or_else(|| panic!("no result for {port} in {zone}: {text}"));
    assert_eq!(line["vantage"], zone, "{line}");
    line["status"].as_str().unwrap().to_string()
}

#[test]
#[ignore = "needs root (network namespaces) and ansible-core (scripts/install-deps.sh); the test command runs it"]
fn the_playbook_checks_from_every_zone_and_merges_the_difference() {
    lab("up");
    let _guard = LabGuard;
    assert_zone_route("pl-van-a", "van-a");
    assert_zone_route("pl-van-b", "van-b");

    let work = std::env::temp_dir().join(format!("portolan-ansible-{}", std::process::id()));
    let results = work.join("results");
    std::fs::create_dir_all(&results).unwrap();
    let portolan = assert_cmd::cargo::cargo_bin("portolan");
    let inventory = format!(
        r#"all:
  children:
    vantages:
      hosts:
        zone-a:
          portolan_exec_prefix: "ip netns exec pl-van-a"
        zone-b:
          portolan_exec_prefix: "ip netns exec pl-van-b"
      vars:
        ansible_connection: local
        ansible_python_interpreter: "{python}"
        portolan_targets: "{TARGET}"
        portolan_args: "--ports tcp:8081,8082 --no-rpc --no-verify --timeout 500ms"
  vars:
    portolan_bin: "{bin}"
    portolan_local_bin: "{bin}"
    portolan_results: "{results}"
"#,
        python = std::env::var("PORTOLAN_PYTHON")
            .unwrap_or_else(|_| "/opt/portolan-venv/bin/python".into()),
        bin = portolan.display(),
        results = results.display(),
    );
    let inventory_path = work.join("inventory.yml");
    std::fs::write(&inventory_path, inventory).unwrap();
    let run = Command::new(ansible_playbook())
        .arg("-i")
        .arg(&inventory_path)
        .arg(repo().join("deploy/ansible/playbook.yml"))
        .env("ANSIBLE_HOST_KEY_CHECKING", "False")
        .env("ANSIBLE_LOCALHOST_WARNING", "False")
        .output()
        .expect("ansible-playbook from the venv (scripts/install-deps.sh)");
    let log = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{log}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // Each zone's own answer, collected by the playbook.
    assert_eq!(verdict(&results, "zone-a", 8081), "LISTENING");
    assert_eq!(verdict(&results, "zone-b", 8081), "LISTENING");
    assert_eq!(verdict(&results, "zone-a", 8082), "LISTENING");
    assert_eq!(verdict(&results, "zone-b", 8082), "FILTERED");
    assert!(log.contains("the vantage points differ"), "{log}");

    // The merged matrix names the port that differs, and only it.
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("merged.json")).unwrap())
            .unwrap();
    let text = merged.to_string();
    assert!(
        text.contains("zone-a") && text.contains("zone-b"),
        "{merged}"
    );
    let differing = merge_differences(&merged);
    assert_eq!(differing, vec![(TARGET.to_string(), 8082)], "{merged}");
    assert_eq!(merged["vantages"], serde_json::json!(["zone-a", "zone-b"]));
    assert_eq!(
        merged["differences"][0]["verdicts"],
        serde_json::json!(["LISTENING", "FILTERED"]),
        "{merged}"
    );
    assert!(results.join("report.html").exists());
    let _ = std::fs::remove_dir_all(&work);
}

/// (host, port) of every port the vantage points disagree on, from `merge --format json`.
fn merge_differences(merged: &Value) -> Vec<(String, u64)> {
    merged["differences"]
        .as_array()
        .unwrap_or_else(|| panic!("no differences list: {merged}"))
        .iter()
        .map(|d| {
            (
                d["address"]
                    .as_str()
                    .or(d["host"].as_str())
                    .unwrap()
                    .to_string(),
                d["port"].as_u64().unwrap(),
            )
        })
        .collect()
}
