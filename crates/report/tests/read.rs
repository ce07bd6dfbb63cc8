//! Reading saved results: every kind and shape portolan writes, and errors that name FILE:LINE.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use portolan_core::Verdict;
use portolan_report::{Agreement, Matrix, MergeReport, ReadError, Results, Transport};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn read(names: &[&str]) -> Results {
    let paths: Vec<String> = names.iter().map(|n| fixture(n)).collect();
    Results::read_files(&paths).unwrap()
}

fn malformed(text: &str) -> (usize, String) {
    let mut results = Results::default();
    match results.add_text("bad.jsonl", "bad", text) {
        Err(ReadError::Malformed {
            path,
            line,
            problem,
        }) => {
            assert_eq!(path, "bad.jsonl");
            (line, problem)
        }
        other => panic!("expected a malformed-record error, got {other:?}"),
    }
}

#[test]
fn check_lines_keep_their_vantage_and_lines_without_one_take_the_file_stem() {
    let results = read(&["zone-a.jsonl", "zone-b.jsonl"]);
    assert_eq!(results.observations.len(), 20);
    assert_eq!(results.vantages(), ["zone-a", "zone-b"]);
    let a = &results.observations[0];
    assert_eq!(a.vantage, "zone-a");
    assert!(a.origin.ends_with("zone-a.jsonl:1"), "{}", a.origin);
    let b = &results.observations[10];
    assert_eq!(b.vantage, "zone-b");
    assert!(b.origin.ends_with("zone-b.jsonl:1"), "{}", b.origin);
    assert_eq!(results.sources[1].default_vantage, "zone-b");
    assert_eq!(results.sources[1].results, 10);
}

#[test]
fn a_check_document_reads_like_its_lines() {
    let results = read(&["check.json"]);
    assert_eq!(results.observations.len(), 2);
    assert!(results.observations.iter().all(|o| o.vantage == "zone-a"));
    let listening = results
        .observations
        .iter()
        .find(|o| o.key.port == 18080)
        .unwrap();
    assert_eq!(listening.verdict, Verdict::Listening);
    assert_eq!(listening.key.transport, Transport::Tcp);
    assert_eq!(listening.probe.as_deref(), Some("TCP connect"));
}

#[test]
fn scan_documents_and_lines_read_with_portqrys_verdicts() {
    let results = read(&["scan.json"]);
    let verdicts: Vec<(u16, Verdict)> = results
        .observations
        .iter()
        .map(|o| (o.key.port, o.verdict))
        .collect();
    assert_eq!(
        verdicts,
        [(18080, Verdict::Listening), (18081, Verdict::NotListening)]
    );
    assert_eq!(results.observations[0].vantage, "scan");
    // A line with only nmap's state still reads.
    let mut results = Results::default();
    results
        .add_text(
            "s.jsonl",
            "s",
            r#"{"host":"h","address":"10.0.0.1","port":53,"protocol":"udp","state":"open|filtered"}"#,
        )
        .unwrap();
    assert_eq!(
        results.observations[0].verdict,
        Verdict::ListeningOrFiltered
    );
}

#[test]
fn audits_give_the_expected_ports_and_the_unexpected_ones() {
    let results = read(&["audit.json"]);
    assert_eq!(results.audits.len(), 1);
    let dc = &results.audits[0];
    assert_eq!(dc.host, "dc1");
    assert_eq!(dc.subjects, ["domain-controller"]);
    assert!(
        dc.expected
            .iter()
            .any(|e| e.key == "tcp/88" && e.status == "listening")
    );
    assert!(!dc.verdict.is_empty());
}

#[test]
fn unknown_fields_are_ignored() {
    let mut results = Results::default();
    results
        .add_text(
            "new.jsonl",
            "new",
            r#"{"host":"h","address":"a","transport":"tcp","port":1,"status":"FILTERED","added_later":{"x":[1,2]}}"#,
        )
        .unwrap();
    assert_eq!(results.observations[0].verdict, Verdict::Filtered);
}

#[test]
fn errors_name_the_line_of_the_bad_record() {
    let good = r#"{"host":"h","address":"a","transport":"tcp","port":1,"status":"LISTENING"}"#;
    let mut results = Results::default();
    match results.add_text(
        "bad.jsonl",
        "bad",
        &format!("{good}\n{good}\n{{\"host\":\"h\"\n"),
    ) {
        Err(ReadError::Truncated { line, problem, .. }) => assert_eq!(line, 3, "{problem}"),
        other => panic!("expected a record cut short, got {other:?}"),
    }
    let (line, problem) = malformed(&format!(
        "{good}\n\n{}\n",
        good.replace("LISTENING", "OPEN")
    ));
    assert_eq!(line, 3);
    assert!(problem.contains("unknown verdict \"OPEN\""), "{problem}");
    let (line, problem) = malformed(&format!("{good}\n{}\n", good.replace("tcp", "sctp")));
    assert_eq!(line, 2);
    assert!(problem.contains("sctp"), "{problem}");
    // Broken JSON after good records: its own line, not the line the reader had reached
    // (found by the report_read fuzz target).
    let (line, problem) = malformed(&format!("{good}\n{good}\n{good}\n  \"state\": 1,\n"));
    assert_eq!(line, 4, "{problem}");
    let (line, problem) = malformed("[1, 2]\n");
    assert_eq!(line, 1);
    assert!(problem.contains("JSON object"), "{problem}");
    let (line, problem) = malformed("{\"nothing\": 1}");
    assert_eq!(line, 1);
    assert!(
        problem.contains("not a check, scan or audit record"),
        "{problem}"
    );
    // Inside a pretty document, the line of the field that is wrong.
    let document = "{\n  \"hosts\": [\n    {\n      \"host\": \"h\",\n      \"address\": \"a\",\n      \"results\": [\n        {\"host\": \"h\", \"address\": \"a\", \"transport\": \"tcp\", \"port\": \"x\", \"status\": \"LISTENING\"}\n      ]\n    }\n  ]\n}\n";
    let (line, problem) = malformed(document);
    assert_eq!(line, 7, "{problem}");
    let mut results = Results::default();
    let error = results
        .add_bytes("latin.jsonl", "latin", b"{\"host\":\"\xff\"}")
        .unwrap_err();
    assert!(
        error.to_string().starts_with("latin.jsonl:1: not UTF-8"),
        "{error}"
    );
}

#[test]
fn a_missing_file_is_named() {
    let error = Results::read_files(&["/nonexistent/zone.jsonl"]).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot read /nonexistent/zone.jsonl:"),
        "{error}"
    );
}

#[test]
fn the_matrix_flags_a_port_listening_from_one_zone_and_filtered_from_another() {
    let results = read(&["zone-a.jsonl", "zone-b.jsonl"]);
    let matrix = Matrix::new(&results);
    assert_eq!(matrix.vantages, ["zone-a", "zone-b"]);
    assert_eq!(
        matrix
            .hosts
            .iter()
            .map(|h| h.name.as_str())
            .collect::<Vec<_>>(),
        ["127.0.0.1", "127.0.0.2"]
    );
    assert_eq!(matrix.rows.len(), 10);
    let differ: Vec<String> = matrix
        .disagreements()
        .iter()
        .map(|r| format!("{} {}", matrix.hosts[r.host].name, r.key))
        .collect();
    assert_eq!(differ, ["127.0.0.1 tcp/18080"]);
    let row = matrix.disagreements()[0];
    assert_eq!(row.agreement, Agreement::Differ);
    assert_eq!(
        row.cells
            .iter()
            .map(|&c| matrix.verdict(c))
            .collect::<Vec<_>>(),
        [Some(Verdict::Listening), Some(Verdict::Filtered)]
    );
    let report = MergeReport::new(&matrix);
    assert_eq!(report.exit_code(), 1);
    let json = serde_json::to_value(report.json()).unwrap();
    assert_eq!(json["summary"]["differ"], 1);
    assert_eq!(json["differences"][0]["verdicts"][1], "FILTERED");
    assert_eq!(json["exit_code"], 1);
}

#[test]
fn one_vantage_agrees_with_itself_and_a_port_one_vantage_skipped_is_a_gap() {
    let results = read(&["zone-a.jsonl"]);
    let matrix = Matrix::new(&results);
    assert!(matrix.all_agree());
    assert_eq!(MergeReport::new(&matrix).exit_code(), 0);
    let results = read(&["zone-a.jsonl", "check.json", "zone-b.jsonl"]);
    let matrix = Matrix::new(&results);
    // check.json is zone-a again, for two ports already read: kept once.
    assert_eq!(matrix.duplicates, 2);
    let mut partial = read(&["zone-a.jsonl"]);
    partial
        .add_text(
            "zone-c.jsonl",
            "zone-c",
            r#"{"host":"127.0.0.1","address":"127.0.0.1","transport":"udp","port":53,"status":"NOT LISTENING"}"#,
        )
        .unwrap();
    let matrix = Matrix::new(&partial);
    let summary = matrix.summary();
    assert_eq!((summary.agree, summary.differ, summary.gaps), (1, 0, 9));
    assert!(!matrix.all_agree());
}

#[test]
fn a_lenient_read_skips_bad_records_and_names_their_lines() {
    let good = r#"{"host":"h","address":"a","transport":"tcp","port":1,"status":"LISTENING"}"#;
    let text = format!(
        "{good}\n{{broken json\n{}\n{good}\n{{\"host\":\"h\"",
        good.replace("LISTENING", "OPEN")
    );
    let mut results = Results::default();
    results.add_text_lenient("some.jsonl", "v", &text).unwrap();
    assert_eq!(results.observations.len(), 2);
    assert_eq!(results.observations[1].line, 4);
    let skipped: Vec<(usize, bool)> = results
        .skipped
        .iter()
        .map(|s| (s.line, s.truncated))
        .collect();
    assert_eq!(skipped, [(2, false), (3, false), (5, true)]);
    assert!(results.skipped[1].problem.contains("OPEN"));
    // The strict read stops at the first of them.
    assert!(
        Results::default()
            .add_text("some.jsonl", "v", &text)
            .is_err()
    );
    // A file whose first record is not a result is refused, lenient or not.
    let mut results = Results::default();
    let error = results
        .add_text_lenient("other.json", "v", &format!("{{\"nothing\": 1}}\n{good}\n"))
        .unwrap_err();
    assert!(
        matches!(error, ReadError::Malformed { line: 1, .. }),
        "{error}"
    );
}

#[test]
fn a_check_document_of_another_schema_is_refused() {
    let mut results = Results::default();
    let error = results
        .add_text("new.json", "v", r#"{"schema_version": 2, "hosts": []}"#)
        .unwrap_err();
    assert!(error.to_string().contains("schema_version 2"), "{error}");
}
