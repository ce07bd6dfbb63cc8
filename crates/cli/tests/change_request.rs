//! `plan --format csv` and `--format xlsx`: a firewall change request, one row per rule of
//! `plan --format json`, read back with independent readers (the csv crate, calamine).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{json_ok, portolan, stdout};

const ROLE_ARGS: [&str; 7] = [
    "plan",
    "--role",
    "domain-controller",
    "--from",
    "10.0.0.0/8",
    "--from",
    "fd00::/8",
];

/// Each rule of the JSON plan as (protocol, ports): "TCP", "49152-65535".
fn json_rules() -> Vec<(String, String)> {
    let plan = json_ok(portolan().args(ROLE_ARGS).args(["--format", "json"]));
    plan["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| {
            let protocol = rule["transport"].as_str().unwrap().to_ascii_uppercase();
            let ports = match &rule["ports"] {
                serde_json::Value::Null => String::new(),
                p if p["first"] == p["last"] => p["first"].to_string(),
                p => format!("{}-{}", p["first"], p["last"]),
            };
            (protocol, ports)
        })
        .collect()
}

fn column(headers: &[String], name: &str) -> usize {
    headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {headers:?}"))
}

/// Checks the rows against the JSON plan: every rule once, in order, with what a reviewer needs.
fn check_rows(headers: &[String], rows: &[Vec<String>]) {
    for wanted in [
        "Source",
        "Destination",
        "Protocol",
        "Ports",
        "Action",
        "Services",
        "Why",
        "Required by (Microsoft document)",
        "Expiry",
        "Approved by",
    ] {
        column(headers, wanted);
    }
    let rules = json_rules();
    let got: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[column(headers, "Protocol")].clone(),
                r[column(headers, "Ports")].clone(),
            )
        })
        .collect();
    assert_eq!(
        got, rules,
        "one row per rule of plan --format json, in order"
    );
    for row in rows {
        assert_eq!(row[column(headers, "Source")], "10.0.0.0/8, fd00::/8");
        assert_eq!(row[column(headers, "Destination")], "this host");
        assert_eq!(row[column(headers, "Action")], "allow");
        assert!(!row[column(headers, "Services")].is_empty(), "{row:?}");
        assert!(
            row[column(headers, "Why")].contains("domain-controller: "),
            "{row:?}"
        );
        assert!(
            row[column(headers, "Required by (Microsoft document)")]
                .starts_with("Network Ports Used by Key Microsoft Server Products"),
            "{row:?}"
        );
        assert_eq!(row[column(headers, "Expiry")], "", "left for the reviewer");
        assert_eq!(row[column(headers, "Approved by")], "");
    }
    // Where today's documents restate a row, they are cited too.
    let ldap = rows
        .iter()
        .find(|r| r[column(headers, "Protocol")] == "TCP" && r[column(headers, "Ports")] == "389")
        .unwrap();
    let docs = &ldap[column(headers, "Required by (Microsoft document)")];
    assert!(
        docs.contains("KB 832017") && docs.contains("KB 179442"),
        "{docs}"
    );
}

#[test]
fn csv_change_request_has_one_row_per_rule() {
    let text = stdout(&[&ROLE_ARGS[..], &["--format", "csv"]].concat());
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    check_rows(&headers, &rows);
}

#[test]
fn xlsx_change_request_reads_back_with_one_row_per_rule() {
    let dir = std::env::temp_dir().join(format!("portolan-cr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("change-request.xlsx");
    portolan()
        .args(ROLE_ARGS)
        .args(["--format", "xlsx", "--output"])
        .arg(&path)
        .assert()
        .success();
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["Change request"]);
    let sheet = book.worksheet_range("Change request").unwrap();
    let text = |cell: &Data| match cell {
        Data::Empty => String::new(),
        Data::Float(f) => f.to_string(),
        other => other.to_string(),
    };
    let mut all = sheet.rows().map(|r| r.iter().map(text).collect::<Vec<_>>());
    let headers = all.next().unwrap();
    let mut rows: Vec<Vec<String>> = all.collect();
    // Trailing empty cells may be absent; pad to the header's width.
    for row in &mut rows {
        row.resize(headers.len(), String::new());
    }
    check_rows(&headers, &rows);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn xlsx_is_refused_on_a_terminal_with_the_fix() {
    let binary = assert_cmd::cargo::cargo_bin("portolan");
    let command = format!(
        "'{}' plan --role dns-server --format xlsx",
        binary.display()
    );
    // script(1) runs the command on a pseudo-terminal (util-linux).
    let tty = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .output()
        .expect("script (util-linux)");
    let text = String::from_utf8_lossy(&tty.stdout);
    assert!(
        text.contains("refusing to write a binary spreadsheet to a terminal")
            && text.contains("--output FILE"),
        "{text}"
    );
    assert!(
        !text.contains("PK"),
        "no workbook bytes on the terminal: {text}"
    );
    assert_eq!(tty.status.code(), Some(2), "bad usage: {text}");
}
