//! deploy/kubernetes: the Indexed Job manifest is valid against the Kubernetes schema, offline
//! (kubernetes-validate from PyPI ships the schemas; scripts/install-deps.sh puts it in the
//! venv), and the command its pods run, given the index Kubernetes gives each pod, splits a
//! target list so the N pods check every host exactly once, tagged with the vantage point.
//!
//! The schema check is a validator: skipped when kubernetes-validate is missing, unless
//! `PORTOLAN_REQUIRE_VALIDATORS=1`. The command runs against loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

const MANIFEST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../deploy/kubernetes/portolan-check-job.yaml"
);

/// The oldest Kubernetes the manifest is meant for (podFailurePolicy and per-index
/// completions are there), and the newest the validator knows.
const VERSIONS: [&str; 2] = ["1.30.0", "1.37.0"];

fn venv() -> PathBuf {
    PathBuf::from(std::env::var("PORTOLAN_VENV").unwrap_or_else(|_| "/opt/portolan-venv".into()))
}

/// `None` (the test skips) when the venv lacks kubernetes-validate, unless validators are
/// required.
fn validator() -> Option<PathBuf> {
    let tool = venv().join("bin/kubernetes-validate");
    if Command::new(&tool).arg("--version").output().is_ok() {
        return Some(tool);
    }
    portolan_testkit::missing_validator(
        "kubernetes-validate",
        "pip install kubernetes-validate into the venv",
    );
    None
}

fn validate(tool: &PathBuf, path: &std::path::Path, version: &str) -> (bool, String) {
    let out = Command::new(tool)
        .args(["--strict", "--kubernetes-version", version])
        .arg(path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_job_manifest_is_valid_against_the_kubernetes_schema() {
    let Some(tool) = validator() else { return };
    for version in VERSIONS {
        let (ok, text) = validate(&tool, std::path::Path::new(MANIFEST), version);
        assert!(ok, "Kubernetes {version}: {text}");
        assert!(text.contains("job/portolan-check"), "{text}");
    }
    // The validator does look: a misspelt field fails strict validation.
    let broken = std::env::temp_dir().join(format!("portolan-job-{}.yaml", std::process::id()));
    let text = std::fs::read_to_string(MANIFEST)
        .unwrap()
        .replace("completionMode:", "completionsMode:");
    std::fs::write(&broken, text).unwrap();
    let (ok, text) = validate(&tool, &broken, VERSIONS[1]);
    let _ = std::fs::remove_file(&broken);
    assert!(!ok, "a misspelt field must fail: {text}");
}

/// The Job's shape as the venv's PyYAML reads it: completion mode, counts, the container's
/// environment and its shell script.
fn job() -> Option<Value> {
    let script = r#"
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
job = next(d for d in docs if d["kind"] == "Job")
c = job["spec"]["template"]["spec"]["containers"][0]
print(json.dumps({
    "mode": job["spec"]["completionMode"],
    "completions": job["spec"]["completions"],
    "parallelism": job["spec"]["parallelism"],
    "env": {e["name"]: e["value"] for e in c["env"]},
    "command": c["command"],
    "args": c["args"],
}))
"#;
    let python = venv().join("bin/python");
    let out = Command::new(&python)
        .args(["-c", script, MANIFEST])
        .output()
        .ok()?;
    if !out.status.success() {
        // No venv, or no PyYAML in it (it comes with kubernetes-validate).
        validator()?;
        panic!("{}", String::from_utf8_lossy(&out.stderr));
    }
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn each_index_checks_its_shard_and_the_shards_cover_every_host_once() {
    let Some(job) = job() else { return };
    assert_eq!(job["mode"], "Indexed");
    let n = job["completions"].as_u64().unwrap();
    assert_eq!(job["parallelism"].as_u64(), Some(n), "every shard at once");
    assert_eq!(
        job["env"]["SHARDS"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap(),
        n,
        "SHARDS must be the Job's completions"
    );
    assert_eq!(job["command"], serde_json::json!(["/bin/sh", "-c"]));
    let script = job["args"][0].as_str().unwrap().to_string();
    for needle in [
        "--shard \"${JOB_COMPLETION_INDEX}/${SHARDS}\"",
        "--vantage",
        "--format jsonl",
    ] {
        assert!(script.contains(needle), "{needle} in {script}");
    }

    // Run the pods' script here, as Kubernetes would for each index, on loopback targets.
    let dir = std::env::temp_dir().join(format!("portolan-k8s-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hosts: Vec<String> = (1..=11).map(|i| format!("127.0.0.{i}")).collect();
    let targets = dir.join("hosts.txt");
    std::fs::write(&targets, hosts.join("\n") + "\n").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("portolan");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let vantage = job["env"]["VANTAGE"].as_str().unwrap();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for index in 0..n {
        let out = Command::new("/bin/sh")
            .args(["-c", &script])
            .env("PATH", &path)
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .env("SHARDS", n.to_string())
            .env("VANTAGE", vantage)
            .env("TARGETS", &targets)
            .env_remove("PORTOLAN_CATALOG")
            .output()
            .unwrap();
        // Nothing listens on loopback here: exit 1 from check, which the pod turns into
        // success (an answer, not a failure to retry).
        assert!(
            out.status.success(),
            "index {index}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut hosts_here = std::collections::BTreeSet::new();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let record: Value = serde_json::from_str(line).unwrap();
            if record.get("port").is_none() {
                continue; // the endpoint mapper's evidence line
            }
            assert_eq!(record["vantage"], vantage, "{line}");
            hosts_here.insert(record["host"].as_str().unwrap().to_string());
        }
        assert!(!hosts_here.is_empty(), "index {index} checked nothing");
        for host in hosts_here {
            *seen.entry(host).or_default() += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let expected: BTreeMap<String, u64> = hosts.into_iter().map(|h| (h, 1)).collect();
    assert_eq!(seen, expected, "every host in exactly one shard");
}
