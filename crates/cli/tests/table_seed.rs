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
