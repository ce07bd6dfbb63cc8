//! `portolan table --seed` prints the seed's port-sorted table in the seed's own words: each
//! of its 155 rows is compared, column by column, with the project's copy of the document.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod common;

use common::{portolan, stdout_ok};

const SEED: &str = include_str!("../../../tests/data/seed.txt");

/// The rows of the seed's port-sorted table: port, protocol, application protocol, service.
fn seed_table() -> Vec<[String; 4]> {
    let lines: Vec<&str> = SEED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let first = lines
        .iter()
        .position(|l| *l == "Ports and Protocols")
        .unwrap();
    let second = first
        + 1
        + lines[first + 1..]
            .iter()
            .position(|l| *l == "Ports and Protocols")
            .unwrap();
    let header = [
        "Port",
        "Protocol",
        "Application protocol",
        "System Service Name",
    ];
    let mut t = second;
    while lines[t..t + 4] != header {
        t += 1;
    }
    t += 4;
    let mut rows = Vec::new();
    while !lines[t].starts_with("A spreadsheet") {
        rows.push(std::array::from_fn(|i| lines[t + i].to_string()));
        t += 4;
    }
    rows
}

#[test]
fn every_row_and_column_is_the_seeds_own_words() {
    let csv = stdout_ok(portolan().args(["table", "--seed", "--format", "csv"]));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        headers,
        [
            "Port",
            "Protocol",
            "Application protocol",
            "System Service Name",
            "Errata"
        ]
    );
    let printed: Vec<[String; 4]> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            std::array::from_fn(|i| r[i].to_string())
        })
        .collect();
    let seed = seed_table();
    assert_eq!(seed.len(), 155);
    assert_eq!(printed.len(), seed.len());
    for (n, (got, want)) in printed.iter().zip(&seed).enumerate() {
        assert_eq!(got, want, "table row {}", n + 1);
    }
    // The names the catalog shortens or corrects are the seed's in this table.
    for name in [
        "Internet Connection Firewall/Internet Connection Sharing",
        "Systems Management Server 2.0",
        "Distributed Link Tracking",
    ] {
        assert!(printed.iter().any(|r| r[3] == name), "{name}");
    }
}

#[test]
fn json_jsonl_and_markdown_print_the_seeds_words_too() {
    let seed = seed_table();
    let json = stdout_ok(portolan().args(["table", "--seed", "--format", "json"]));
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(document["schema_version"], 1);
    let rows = document["rows"].as_array().unwrap();
    assert_eq!(rows.len(), seed.len());
    let words = |row: &serde_json::Value| -> [String; 4] {
        [
            "port",
            "protocol",
            "application_protocol",
            "system_service_name",
        ]
        .map(|key| row[key].as_str().unwrap().to_string())
    };
    for (n, (row, want)) in rows.iter().zip(&seed).enumerate() {
        assert_eq!(&words(row), want, "JSON row {}", n + 1);
        assert_eq!(row["table_position"], n + 1);
        assert!(row["service_id"].is_string() && row["errata"].is_array());
    }
    // Not the catalog's records: no display names, no catalog transport.
    assert!(rows.iter().all(|r| r.get("service").is_none()));
    let icf = rows
        .iter()
        .find(|r| r["service_id"] == "icf-ics")
        .unwrap_or_else(|| panic!("no ICF/ICS row"));
    assert_eq!(
        icf["system_service_name"],
        "Internet Connection Firewall/Internet Connection Sharing"
    );

    // JSON Lines: the same records, one a line.
    let jsonl = stdout_ok(portolan().args(["table", "--seed", "--format", "jsonl"]));
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(&lines, rows);

    // Markdown: a header row, a rule, then the seed's rows (cells escaped for `|`).
    let md = stdout_ok(portolan().args(["table", "--seed", "--format", "md"]));
    let table: Vec<Vec<String>> = md
        .lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().replace("\\|", "|"))
                .collect()
        })
        .collect();
    assert_eq!(
        table[0][..4],
        [
            "Port",
            "Protocol",
            "Application protocol",
            "System Service Name"
        ]
    );
    assert_eq!(table.len(), seed.len() + 2);
    for (n, (got, want)) in table[2..].iter().zip(&seed).enumerate() {
        assert_eq!(&got[..4], &want[..], "Markdown row {}", n + 1);
    }
}
