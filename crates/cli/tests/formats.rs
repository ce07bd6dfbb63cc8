//! Every command that prints records, in every `--format` its help lists, gives output that
//! parses as that format: JSON with serde_json, JSON Lines line by line, CSV with a header
//! and rows of its width, Markdown with a table. The formats come from the help itself, so
//! a format added to a command without a reader here fails the test.
//!
//! check, scan and rpc run against loopback only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod common;

use common::{json_lines, json_ok, portolan, stdout};

/// A command line that prints records, and the exit codes its run may end with.
struct Case {
    args: Vec<String>,
    codes: &'static [i32],
}

fn case(args: &[&str], codes: &'static [i32]) -> Case {
    Case {
        args: args.iter().map(|a| a.to_string()).collect(),
        codes,
    }
}

fn cases() -> Vec<Case> {
    let fixture = format!(
        "{}/../audit/tests/fixtures/samba-dc/ss-lntup.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let results = |name: &str| {
        format!(
            "{}/../report/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let (zone_a, zone_b) = (results("zone-a.jsonl"), results("zone-b.jsonl"));
    vec![
        case(&["port", "445", "389/udp"], &[0]),
        case(&["service", "ntfrs"], &[0]),
        case(&["search", "kerberos"], &[0]),
        case(&["table"], &[0]),
        case(&["table", "--seed"], &[0]),
        case(&["errata"], &[0]),
        case(&["roles"], &[0]),
        case(&["role", "domain-controller"], &[0]),
        case(&["changes"], &[0]),
        case(&["export"], &[0]),
        case(&["plan", "--role", "dns-server"], &[0]),
        case(&["audit", &fixture, "--role", "domain-controller"], &[0, 1]),
        // Two vantages that see one port differently: exit 1.
        case(&["merge", &zone_a, &zone_b], &[1]),
        // Loopback port 1: refused, so a record with a negative answer.
        case(&["check", "127.0.0.1", "--ports", "tcp:1"], &[1]),
        case(
            &[
                "scan",
                "127.0.0.1",
                "--ports",
                "1",
                "--all",
                "--no-progress",
            ],
            &[1],
        ),
    ]
}

/// The values `--format` lists in the long help of `args[0]`.
fn documented_formats(command: &str) -> Vec<String> {
    let output = portolan().args([command, "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    let formats: Vec<String> = help
        .lines()
        .skip_while(|line| !line.contains("--format <FORMAT>"))
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with("[default"))
        .filter_map(|line| line.trim().strip_prefix("- "))
        .filter_map(|item| item.split(':').next())
        .map(str::to_string)
        .collect();
    assert!(!formats.is_empty(), "{command} documents its formats");
    formats
}

/// Checks that `text` is `format`; the name of what is wrong otherwise.
fn check_format(format: &str, text: &str) -> Result<(), String> {
    match format {
        "json" => serde_json::from_str::<serde_json::Value>(text)
            .map(drop)
            .map_err(|e| format!("not JSON: {e}")),
        "jsonl" => {
            let lines: Vec<&str> = text.lines().collect();
            if lines.is_empty() {
                return Err("no lines".into());
            }
            for line in lines {
                let value: serde_json::Value =
                    serde_json::from_str(line).map_err(|e| format!("line not JSON: {e}"))?;
                if !value.is_object() {
                    return Err(format!("line is not an object: {line}"));
                }
            }
            Ok(())
        }
        "csv" => {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let width = reader.headers().map_err(|e| e.to_string())?.len();
            if width < 2 {
                return Err("header of fewer than two columns".into());
            }
            let mut rows = 0;
            for record in reader.records() {
                let record = record.map_err(|e| format!("bad CSV record: {e}"))?;
                if record.len() != width {
                    return Err(format!("record of {} fields under {width}", record.len()));
                }
                rows += 1;
            }
            if rows == 0 {
                return Err("no records".into());
            }
            Ok(())
        }
        "md" => {
            let lines: Vec<&str> = text.lines().collect();
            let separator = lines
                .iter()
                .position(|l| l.starts_with("| ---"))
                .ok_or("no Markdown table separator")?;
            let header = separator.checked_sub(1).and_then(|i| lines.get(i));
            let row = lines.get(separator + 1);
            match (header, row) {
                (Some(h), Some(r)) if h.starts_with('|') && r.starts_with('|') => Ok(()),
                _ => Err("no header or row around the separator".into()),
            }
        }
        "nmap-xml" => {
            if text.starts_with("<?xml") && text.contains("<nmaprun") && text.contains("</nmaprun>")
            {
                Ok(())
            } else {
                Err("not an nmap XML report".into())
            }
        }
        // Well-formed XML with the JUnit root; junitparser reads it in tests/ci_formats.rs.
        "junit" => {
            let mut reader = quick_xml::Reader::from_str(text);
            let mut cases = 0;
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e))
                        if e.name().into_inner() == "testcase" =>
                    {
                        cases += 1
                    }
                    Ok(_) => {}
                    Err(e) => return Err(format!("not XML: {e}")),
                }
            }
            if !text.contains("<testsuites") || cases == 0 {
                return Err("no <testsuites> with test cases".into());
            }
            Ok(())
        }
        // A version line, a plan and that many tests; TAP::Parser reads it in
        // tests/ci_formats.rs.
        "tap" => {
            let mut lines = text.lines();
            if lines.next() != Some("TAP version 13") {
                return Err("no TAP version line".into());
            }
            let plan: usize = lines
                .next()
                .and_then(|l| l.strip_prefix("1.."))
                .and_then(|n| n.parse().ok())
                .ok_or("no plan line")?;
            let tests = lines
                .filter(|l| l.starts_with("ok ") || l.starts_with("not ok "))
                .count();
            if plan == 0 || tests != plan {
                return Err(format!("plan of {plan}, {tests} tests"));
            }
            Ok(())
        }
        // Human-readable or foreign formats: there is something to read.
        "table" | "dialect" | "services" => {
            if text.trim().is_empty() {
                Err("empty".into())
            } else {
                Ok(())
            }
        }
        other => Err(format!(
            "no reader for format `{other}`: add one to this test"
        )),
    }
}

#[test]
fn every_documented_format_of_every_record_command_parses() {
    let mut failures = Vec::new();
    for case in cases() {
        let command = case.args[0].clone();
        for format in documented_formats(&command) {
            // A binary workbook is read back in tests/lookup.rs and tests/change_request.rs;
            // the Aerleon folder in tests/aerleon.rs.
            if format == "xlsx" || format == "aerleon" {
                continue;
            }
            let output = portolan()
                .args(&case.args)
                .args(["--format", &format])
                .output()
                .unwrap();
            let code = output.status.code().unwrap_or(-1);
            let text = String::from_utf8_lossy(&output.stdout);
            let verdict = if case.codes.contains(&code) {
                check_format(&format, &text)
            } else {
                Err(format!(
                    "exit {code}: {}",
                    String::from_utf8_lossy(&output.stderr)
                ))
            };
            if let Err(problem) = verdict {
                failures.push(format!(
                    "{} --format {format}: {problem}",
                    case.args.join(" ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn look_ups_and_audit_take_table_json_jsonl_csv_and_md() {
    for command in [
        "port", "service", "search", "table", "errata", "roles", "role", "audit",
    ] {
        let formats = documented_formats(command);
        for wanted in ["table", "json", "jsonl", "csv", "md"] {
            assert!(
                formats.iter().any(|f| f == wanted),
                "{command} documents --format {wanted}: {formats:?}"
            );
        }
    }
}

#[test]
fn plan_takes_its_dialect_json_or_a_change_request_and_keeps_the_old_json_flag() {
    assert_eq!(
        documented_formats("plan"),
        ["dialect", "json", "csv", "xlsx"]
    );
    let by_format = stdout(&["plan", "--role", "dns-server", "--format", "json"]);
    let by_flag = stdout(&["plan", "--role", "dns-server", "--json"]);
    assert_eq!(by_format, by_flag);
    let plan: serde_json::Value = serde_json::from_str(&by_format).unwrap();
    assert_eq!(plan["schema_version"], 1);
    assert!(plan["rules"].is_array());
    portolan()
        .args([
            "plan",
            "--role",
            "dns-server",
            "--json",
            "--format",
            "dialect",
        ])
        .assert()
        .code(2);
}

#[test]
fn jsonl_lines_are_the_records_of_the_json_document() {
    let document = json_ok(portolan().args(["port", "445", "--format", "json"]));
    let jsonl = stdout(&["port", "445", "--format", "jsonl"]);
    assert_eq!(document["rows"].as_array().unwrap(), &json_lines(&jsonl));
    // Fields keep the document's order: a row starts with `query`, as in docs/json.md.
    assert!(jsonl.starts_with("{\"query\":"), "{jsonl}");
}

/// The README's table of formats: each command's row, as (command, formats).
fn readme_format_table() -> Vec<(String, Vec<String>)> {
    let readme =
        std::fs::read_to_string(format!("{}/../../README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let backticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .filter(|word| !word.starts_with('-'))
            .map(str::to_string)
            .collect()
    };
    readme
        .lines()
        .skip_while(|line| !line.starts_with("| command | formats |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .flat_map(|line| {
            let cells: Vec<&str> = line.split('|').collect();
            let formats = backticked(cells[2]);
            backticked(cells[1])
                .into_iter()
                .map(move |command| (command, formats.clone()))
        })
        .collect()
}

#[test]
fn the_readme_table_of_formats_is_what_each_command_documents() {
    let table = readme_format_table();
    assert!(
        table.len() >= 12,
        "the README lists the commands: {table:?}"
    );
    for (command, formats) in table {
        let mut documented = documented_formats(&command);
        let mut claimed = formats;
        documented.sort();
        claimed.sort();
        assert_eq!(claimed, documented, "README's formats of `{command}`");
    }
}
