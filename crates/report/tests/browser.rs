//! The HTML report in a real browser: headless Chromium, driven through the DevTools protocol
//! by `cdp.py` (a pipe, no third-party module). The page must load with no console message,
//! no exception and no request but its own file, hold every host and every verdict in its
//! DOM, and its filter and sort must work. The page and a screenshot are left in
//! `target/artefacts/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use portolan_report::{Matrix, Results, html};
use serde_json::Value;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn artefacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("artefacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("PORTOLAN_CHROMIUM") {
        return PathBuf::from(path);
    }
    for name in ["chromium-headless-shell", "chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("no chromium-headless-shell or chromium on PATH: run scripts/install-deps.sh");
}

/// Loads `page` and returns what cdp.py saw.
fn load(page: &Path, screenshot: &Path) -> Value {
    let output = Command::new("python3")
        .arg(format!("{}/tests/cdp.py", env!("CARGO_MANIFEST_DIR")))
        .arg(chromium())
        .arg(page)
        .arg(screenshot)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cdp.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
#[ignore = "needs chromium (scripts/install-deps.sh installs chromium-headless-shell)"]
fn the_report_loads_in_chromium_quietly_offline_with_every_verdict_in_its_dom() {
    let results = Results::read_files(&[
        fixture("zone-a.jsonl"),
        fixture("zone-b.jsonl"),
        fixture("audit.json"),
        fixture("hostile.jsonl"),
    ])
    .unwrap();
    let dir = artefacts();
    let page = dir.join("report.html");
    let screenshot = dir.join("report.png");
    let _ = std::fs::remove_file(&screenshot);
    std::fs::write(&page, html::render(&results)).unwrap();
    let seen = load(&page, &screenshot);

    assert_eq!(seen["console"], Value::Array(vec![]), "console messages");
    assert_eq!(
        seen["exceptions"],
        Value::Array(vec![]),
        "uncaught exceptions"
    );
    let errors: Vec<&Value> = seen["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["level"] == "error" || e["level"] == "warning")
        .collect();
    assert!(errors.is_empty(), "browser log: {errors:?}");
    // The one request is the page itself: no script, style, image or font was fetched.
    assert_eq!(seen["requests"], Value::Array(vec![seen["url"].clone()]));

    let dom = &seen["dom"];
    assert_eq!(dom["title"], "portolan report");
    assert_eq!(
        dom["images"], 0,
        "the hostile banner's <img> is text, not an element"
    );
    assert_eq!(dom["scripts"], 1);
    assert_eq!(
        dom["controls_shown"], true,
        "the script ran and showed the controls"
    );

    // Every host, every port, every vantage, every verdict: the DOM against the matrix.
    let matrix = Matrix::new(&results);
    let ports: Vec<String> = matrix.ports.iter().map(ToString::to_string).collect();
    assert_eq!(dom["ports"], serde_json::json!(ports));
    let vantages: Vec<&String> = matrix.ports.iter().flat_map(|_| &matrix.vantages).collect();
    assert_eq!(dom["vantages"], serde_json::json!(vantages));
    let rows = dom["rows"].as_array().unwrap();
    assert_eq!(rows.len(), matrix.hosts.len());
    for (h, (row, host)) in rows.iter().zip(&matrix.hosts).enumerate() {
        assert_eq!(row["host"], host.name.as_str());
        let mut expected = Vec::new();
        for key in &matrix.ports {
            match matrix.rows.iter().find(|r| r.host == h && r.key == *key) {
                Some(r) => expected.extend(
                    r.cells
                        .iter()
                        .map(|&c| matrix.verdict(c).map_or("·", |v| html::code(v).0)),
                ),
                None => expected.extend(matrix.vantages.iter().map(|_| "·")),
            }
        }
        assert_eq!(
            row["cells"],
            serde_json::json!(expected),
            "host {}",
            host.name
        );
    }
    let evidence = dom["evidence"].as_array().unwrap();
    for host in &matrix.hosts {
        assert!(
            evidence
                .iter()
                .any(|s| s.as_str().unwrap().starts_with(&host.name)),
            "evidence of {}",
            host.name
        );
    }
    assert!(
        dom["audit_cells"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "missing"),
        "the audit's missing port"
    );

    // The page's own filter and sort.
    let filter = &seen["filter"];
    assert_eq!(filter["by_name"], serde_json::json!([filter["first"]]));
    let with_problems = rows
        .iter()
        .filter(|r| {
            r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c != "L" && c != "·")
        })
        .count();
    assert_eq!(filter["problems"], with_problems);
    let sorted = filter["sorted_desc"].as_array().unwrap();
    assert_eq!(sorted.len(), matrix.hosts.len());
    assert!(sorted[0].as_str().unwrap().starts_with("evil"));
    assert_eq!(sorted[sorted.len() - 1], "127.0.0.1");

    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG screenshot");
}

#[test]
#[ignore = "needs chromium (scripts/install-deps.sh installs chromium-headless-shell)"]
fn pages_of_a_scan_alone_and_an_audit_alone_load_quietly_too() {
    let dir = artefacts();
    for (name, input) in [("scan", "scan.json"), ("audit", "audit.json")] {
        let results = Results::read_files(&[fixture(input)]).unwrap();
        let page = dir.join(format!("report-{name}.html"));
        std::fs::write(&page, html::render(&results)).unwrap();
        let seen = load(&page, &dir.join(format!("report-{name}.png")));
        assert_eq!(seen["console"], Value::Array(vec![]), "{name}: console");
        assert_eq!(
            seen["exceptions"],
            Value::Array(vec![]),
            "{name}: exceptions"
        );
        assert_eq!(
            seen["requests"],
            Value::Array(vec![seen["url"].clone()]),
            "{name}: requests"
        );
        assert_eq!(seen["dom"]["scripts"], 1);
    }
}
