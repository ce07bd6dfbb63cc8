//! CLI tests of the catalog commands: every command and format, bad input, user catalogs.
//! They assert the seed's facts, so they run on the seed's view (`--windows 2003`);
//! versions.rs covers today's view.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fails, field_strings, json_ok, portolan_2003, stdout_2003};
use predicates::prelude::*;
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    json_ok(portolan_2003().args(args))
}

#[test]
fn port_445_lists_every_smb_service() {
    insta::assert_snapshot!(stdout_2003(&["port", "445"]));
    let v = json(&["port", "445", "--format", "json"]);
    let ids: Vec<&str> = field_strings(&v["rows"], "service_id");
    assert_eq!(
        ids,
        [
            "fax-service",
            "print-spooler",
            "server",
            "rpc-locator",
            "distributed-file-system",
            "license-logging",
            "net-logon"
        ]
    );
}

#[test]
fn port_formats_share_columns() {
    let csv = stdout_2003(&["port", "389/udp", "--format", "csv"]);
    insta::assert_snapshot!(csv);
    let md = stdout_2003(&["port", "389/udp", "--format", "md"]);
    assert!(md.starts_with("| Port | Protocol | Application protocol | Service |"));
    assert_eq!(md.lines().count(), 4);
}

#[test]
fn several_ports_and_ranges() {
    let v = json(&["port", "2701-2704", "gre", "--format", "json"]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 9);
    assert!(rows[..8].iter().all(|r| r["query"] == "2701-2704"));
    assert_eq!(rows[8]["transport"], "gre");
    assert_eq!(rows[8]["port_kind"], "none");
    // The UPD row is UDP, and says why.
    let chat_udp = rows
        .iter()
        .find(|r| r["port"] == 2703 && r["transport"] == "udp")
        .unwrap();
    assert_eq!(chat_udp["errata"][0]["id"], "upd-typo");
    assert_eq!(chat_udp["errata"][0]["seed"], "UPD");
}

#[test]
fn a_dynamic_port_points_at_rpc_services() {
    let out = portolan_2003()
        .args(["port", "49153", "--format", "json"])
        .assert()
        .success()
        .stderr(predicate::str::contains("dynamic range"));
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 15);
    assert!(rows.iter().all(|r| r["match"] == "dynamic-range"));
}

#[test]
fn unused_port_exits_1() {
    fails(
        &["port", "7777"],
        1,
        &["no service in the catalog uses 7777"],
    );
}

#[test]
fn bad_ports_exit_2_naming_input_problem_and_fix() {
    for (arg, problem) in [
        ("0", "port 0 is not a real port"),
        ("70000", "out of range"),
        ("abc", "not a port number"),
        ("5000-1000", "runs backwards"),
        ("445/sctp", "not a transport"),
        ("", "empty port"),
    ] {
        portolan_2003()
            .args(["port", arg])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("`{arg}`")))
            .stderr(predicate::str::contains(problem))
            .stderr(
                predicate::str::contains("write a port like 445")
                    .or(predicate::str::contains("use /tcp or /udp")),
            );
    }
}

#[test]
fn service_by_any_name_case_insensitive() {
    for name in [
        "NTFRS",
        "file replication",
        "file-replication",
        "File Replication",
    ] {
        let v = json(&["service", name, "--format", "json"]);
        assert_eq!(v["services"][0]["id"], "file-replication", "{name}");
        assert_eq!(v["services"][0]["windows_service"], "NtFrs");
    }
    insta::assert_snapshot!(stdout_2003(&["service", "kdc"]));
}

#[test]
fn partial_names_list_every_match() {
    let v = json(&["service", "terminal", "--format", "json"]);
    let ids: Vec<&str> = field_strings(&v["services"], "id");
    assert_eq!(
        ids,
        [
            "terminal-services",
            "terminal-services-licensing",
            "terminal-services-session-directory"
        ]
    );
}

#[test]
fn unknown_service_suggests_and_exits_2() {
    fails(
        &["service", "kerbros"],
        2,
        &[
            "no service matches `kerbros`",
            "did you mean",
            "Kerberos Key Distribution Center",
        ],
    );
    fails(&["service", " "], 2, &["empty service name"]);
}

#[test]
fn search_matches_all_words() {
    let v = json(&["search", "ldap", "udp", "--format", "json"]);
    let rows = v["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["transport"] == "udp"));
    assert!(rows.iter().any(|r| r["port"] == 389));
    portolan_2003()
        .args(["search", "zzzz-nothing"])
        .assert()
        .code(1);
}

#[test]
fn the_seed_table_has_155_rows_in_order() {
    let csv = stdout_2003(&["table", "--seed", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 156);
    assert!(lines[1].starts_with("n/a,GRE,GRE (IP protocol 47),Routing and Remote Access"));
    assert!(lines[155].starts_with("51515,TCP,MOM-Clear,Microsoft Operations Manager 2000"));
    // The full table adds the rows the seed's table lacks: dynamic ranges, ICS's DNS over
    // UDP and the IIS administrative site.
    let full = stdout_2003(&["table", "--format", "csv"]);
    assert_eq!(full.lines().count(), 1 + 155 + 16 + 2);
    assert!(full.contains("8098,TCP,HTTP (administrative site)"));
    insta::assert_snapshot!(stdout_2003(&["table", "--seed"]));
}

#[test]
fn export_every_format() {
    let v = json(&["export", "--format", "json"]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["services"].as_array().unwrap().len(), 62);
    assert_eq!(v["errata"].as_array().unwrap().len(), 18);
    let csv = stdout_2003(&["export", "--format", "csv"]);
    assert_eq!(
        csv.lines().count(),
        1 + 172 + 1,
        "header, the seed's rows, the 8098 row from the prose"
    );
    let md = stdout_2003(&["export", "--format", "md"]);
    assert!(md.contains("| Local Security Authority | LSASS |"));
    let services = stdout_2003(&["export", "--format", "services"]);
    assert!(services.contains("kerberos 88/tcp kdc"));
    let table = stdout_2003(&["export"]);
    assert!(table.contains("Windows Internet Name Service"));
}

#[test]
fn export_xlsx_writes_a_workbook() {
    let scratch = portolan_testkit::TempDir::new("cli-test");
    let dir = &scratch.0;
    let path = dir.join("catalog.xlsx");
    portolan_2003()
        .args(["export", "--format", "xlsx", "--output"])
        .arg(&path)
        .assert()
        .success();
    // Read it back with an independent reader, as a spreadsheet program would.
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["By port", "By service", "Errata"]);
    let by_port = book.worksheet_range("By port").unwrap();
    let rows: Vec<&[Data]> = by_port.rows().collect();
    assert_eq!(rows[0][0], Data::String("Port".into()));
    // Header, the seed's 155 rows, 16 dynamic rows, ICS's DNS over UDP, the 8098 admin site.
    assert_eq!(rows.len(), 1 + 155 + 16 + 2);
    assert!(
        rows.iter()
            .any(|r| r[0] == Data::Float(445.0) && r[3] == Data::String("Server".into()))
    );
    let by_service = book.worksheet_range("By service").unwrap();
    assert_eq!(by_service.rows().count(), 1 + 172 + 1);
    let errata = book.worksheet_range("Errata").unwrap();
    assert_eq!(errata.rows().count(), 1 + 18);
    fails(
        &[
            "export",
            "--format",
            "xlsx",
            "--output",
            "/nonexistent/dir/x.xlsx",
        ],
        // An output file that cannot be written is a runtime failure (docs/exit-codes.md).
        3,
        &["cannot write /nonexistent/dir/x.xlsx"],
    );
}

#[test]
fn errata_list() {
    let v = json(&["errata", "--format", "json"]);
    let ids: Vec<&str> = field_strings(&v["errata"], "id");
    for id in [
        "upd-typo",
        "ldaps-over-udp",
        "mom-service-name",
        "missing-heading-print-spooler",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
}

#[test]
fn user_catalog_overrides_and_adds() {
    let scratch = portolan_testkit::TempDir::new("cli-test");
    let dir = &scratch.0;
    let path = dir.join("site.toml");
    std::fs::write(
        &path,
        r#"
[[service]]
id = "terminal-services"
ports = [ { app = "Terminal Services", transport = "tcp", port = 3390 } ]

[[service]]
id = "sql-server-sales"
name = "SQL Server (instance SALES)"
windows_service = "MSSQL$SALES"
ports = [ { app = "SQL over TCP", transport = "tcp", port = 1500 } ]
"#,
    )
    .unwrap();
    let v = json(&[
        "--catalog",
        path.to_str().unwrap(),
        "port",
        "3390",
        "--format",
        "json",
    ]);
    assert_eq!(v["rows"][0]["service_id"], "terminal-services");
    let v = json(&[
        "--catalog",
        path.to_str().unwrap(),
        "port",
        "3389",
        "--format",
        "json",
    ]);
    let ids: Vec<&str> = field_strings(&v["rows"], "service_id");
    assert_eq!(ids, ["netmeeting-remote-desktop"]);
    // The environment variable works like the flag.
    let v = json_ok(
        portolan_2003()
            .env("PORTOLAN_CATALOG", &path)
            .args(["service", "sales", "--format", "json"]),
    );
    assert_eq!(v["services"][0]["windows_service"], "MSSQL$SALES");
    assert_eq!(v["services"][0]["user_defined"], true);
}

#[test]
fn malformed_catalogs_name_file_line_and_column() {
    let scratch = portolan_testkit::TempDir::new("cli-test");
    let dir = &scratch.0;
    let cases = [
        (
            "[[service]]\nid = \"x\"\nname = \"X\"\nports = [ { app = \"A\", transport = \"tcp\", port = 88000 } ]\n",
            ":4:",
            "out of range",
        ),
        (
            "[[service]]\nid = \"x\"\nname = \"X\"\nports = [ { app = \"A\", transport = \"upd\", port = 1 } ]\n",
            ":4:",
            "unknown transport `upd`",
        ),
        (
            "[[service]]\nid = \"x\"\nports = [ ]\n",
            ":1:",
            "needs `name`",
        ),
        ("[[service]\nid = 1\n", ":1:", ""),
        ("[[service]]\nid = \"Bad Id\"\n", ":2:", "invalid id"),
        (
            "[[service]]\nid = \"x\"\nname = \"X\"\nports = [ { app = \"GRE\", transport = \"gre\", port = 5 } ]\n",
            ":4:",
            "IP protocols other than TCP and UDP have no ports",
        ),
        (
            "[[service]]\nid = \"x\"\nname = \"X\"\nerrata = [\"nope\"]\nports = [ { app = \"A\", transport = \"tcp\", port = 1 } ]\n",
            ":4:",
            "unknown erratum `nope`",
        ),
        (
            "[[service]]\nid = \"x\"\nname = \"X\"\ncolour = 1\n",
            ":4:",
            "unknown field `colour`",
        ),
    ];
    for (n, (text, position, problem)) in cases.iter().enumerate() {
        let path = dir.join(format!("bad{n}.toml"));
        std::fs::write(&path, text).unwrap();
        fails(
            &["--catalog", path.to_str().unwrap(), "port", "445"],
            2,
            &[&format!("bad{n}.toml{position}"), problem],
        );
    }
    let binary = dir.join("binary.toml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x01]).unwrap();
    fails(
        &["--catalog", binary.to_str().unwrap(), "port", "445"],
        2,
        &["not UTF-8"],
    );
    fails(
        &["--catalog", "/nonexistent.toml", "port", "445"],
        2,
        &["cannot read catalog file /nonexistent.toml"],
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = stdout_2003(&["port", "636"]);
    assert!(!plain.contains('\u{1b}'), "pipes get no colour");
    let forced = stdout_2003(&["--color", "always", "port", "636"]);
    assert!(forced.contains('\u{1b}'));
    let out = portolan_2003()
        .env("NO_COLOR", "1")
        .args(["port", "636"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(!String::from_utf8(out).unwrap().contains('\u{1b}'));
}

#[test]
fn docs_errata_md_is_the_errata_command_output() {
    let generated = stdout_2003(&["errata", "--format", "md"]);
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errata.md"))
        .unwrap();
    assert!(
        doc.ends_with(&generated),
        "docs/errata.md is stale: regenerate its table with `portolan errata --format md`"
    );
}

/// A look-up by number reads only the services its ports find (the compiled view split by
/// service); with a user catalog it reads the whole catalog. Both must print the same rows.
#[test]
fn a_look_up_by_number_answers_as_the_whole_catalog_does() {
    let scratch = portolan_testkit::TempDir::new("cli-test");
    let path = scratch.0.join("unrelated.toml");
    // One service on a port no spec below touches, outside every dynamic range.
    let service = "[[service]]\nid = \"site-agent\"\nname = \"Site agent\"\n\
                   ports = [ { app = \"Agent\", transport = \"tcp\", port = 7777 } ]\n";
    std::fs::write(&path, service).unwrap();
    for windows in ["2003", "2025"] {
        for spec in [
            "445",
            "50000",
            "gre",
            "389/udp 88",
            "tcp:135,3268 udp:53",
            "6000-6100",
        ] {
            let args = ["--windows", windows, "port", spec, "--format", "json"];
            let lazy = common::portolan().args(args).output().unwrap();
            let whole = common::portolan()
                .args(["--catalog", path.to_str().unwrap()])
                .args(args)
                .output()
                .unwrap();
            assert_eq!(lazy.status.code(), whole.status.code(), "{windows} {spec}");
            assert_eq!(
                String::from_utf8_lossy(&lazy.stdout),
                String::from_utf8_lossy(&whole.stdout),
                "{windows} {spec}"
            );
            assert!(!lazy.stdout.is_empty(), "{windows} {spec}");
        }
    }
}
