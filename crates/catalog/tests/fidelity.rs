//! Fidelity: the catalog reproduces every row of every service section of the seed document
//! and every row of its port-sorted table, and every difference is an erratum.
//!
//! The seed is read from the project's copy (`tests/data/seed.txt`), parsed here independently
//! of the catalog data, and compared row by row.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};

use portolan_catalog::{Catalog, ErratumKind, PortRow, PortSpec, Service, Transport};

const SEED: &str = include_str!("../../../tests/data/seed.txt");

/// Transports as the seed prints them, typo included.
const SEED_TRANSPORTS: [&str; 6] = ["TCP", "UDP", "UPD", "GRE", "ESP", "AH"];

#[derive(Debug)]
struct Block {
    heading: Option<String>,
    service_name: Option<String>,
    rows: Vec<[String; 3]>,
}

struct Seed {
    blocks: Vec<Block>,
    table: Vec<[String; 4]>,
}

fn is_port(s: &str) -> bool {
    s == "RANDOM" || s == "n/a" || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

/// Splits the seed into its service sections' row blocks and its port-sorted table.
fn parse_seed() -> Seed {
    let lines: Vec<&str> = SEED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines
        .iter()
        .position(|l| *l == "This section provides a description of each system service, includes the logical name that corresponds to the system service, and displays the ports and the protocols required by each service.")
        .expect("section list start");
    let table_start = lines
        .iter()
        .position(|l| *l == "Ports and Protocols")
        .and_then(|first| {
            lines[first + 1..]
                .iter()
                .position(|l| *l == "Ports and Protocols")
                .map(|p| p + first + 1)
        })
        .expect("table heading");
    let is_row_at = |j: usize| {
        j + 2 < lines.len()
            && SEED_TRANSPORTS.contains(&lines[j + 1])
            && is_port(lines[j + 2])
            && lines[j] != "Application protocol"
    };
    let mut blocks = Vec::new();
    let mut i = start;
    while i < table_start {
        if lines[i..i + 3] == ["Application protocol", "Protocol", "Port"] {
            let mut j = i + 3;
            let mut rows = Vec::new();
            while is_row_at(j) {
                rows.push([
                    lines[j].to_string(),
                    lines[j + 1].to_string(),
                    lines[j + 2].to_string(),
                ]);
                j += 3;
            }
            // Walk back over the service-name line and the description to the heading.
            let mut k = i - 1;
            let mut service_name = None;
            let heading = loop {
                let line = lines[k];
                if let Some(rest) = line.strip_prefix("System Service Name") {
                    service_name = Some(rest.trim().to_string());
                } else if line.starts_with("Default Ports for OLAP") {
                } else if is_port(line) && SEED_TRANSPORTS.contains(&lines[k - 1]) {
                    break None; // the previous section's rows: this section has no heading
                } else if !(line.ends_with('.')
                    || line.ends_with(':')
                    || line.starts_with('•')
                    || line.len() > 120)
                {
                    break Some(line.to_string());
                }
                k -= 1;
            };
            blocks.push(Block {
                heading,
                service_name,
                rows,
            });
            i = j;
        } else {
            i += 1;
        }
    }
    let header = [
        "Port",
        "Protocol",
        "Application protocol",
        "System Service Name",
    ];
    let mut t = table_start;
    while lines[t..t + 4] != header {
        t += 1;
    }
    t += 4;
    let mut table = Vec::new();
    while !lines[t].starts_with("A spreadsheet") {
        table.push([
            lines[t].to_string(),
            lines[t + 1].to_string(),
            lines[t + 2].to_string(),
            lines[t + 3].to_string(),
        ]);
        t += 4;
    }
    Seed { blocks, table }
}

/// How the seed prints a row's transport: the erratum's original where one corrected it.
fn printed_transport(catalog: &Catalog, row: &PortRow) -> String {
    for id in &row.errata {
        let e = catalog.erratum(id).unwrap();
        if e.kind == ErratumKind::Correction && e.field.as_deref() == Some("transport") {
            return e.seed.clone();
        }
    }
    row.transport.to_string()
}

fn printed_port(row: &PortRow) -> String {
    match row.port {
        None => "n/a".to_string(),
        Some(PortSpec::Single(p)) => p.to_string(),
        Some(PortSpec::RpcDynamic) | Some(PortSpec::FtpPassive) => "RANDOM".to_string(),
        Some(PortSpec::Range(a, b)) => panic!("the seed has no ranges, but a row has {a}-{b}"),
    }
}

fn has_erratum(catalog: &Catalog, ids: &[String], kind: ErratumKind) -> bool {
    ids.iter()
        .any(|id| catalog.erratum(id).is_some_and(|e| e.kind == kind))
}

fn printed_windows_service(catalog: &Catalog, service: &Service) -> Option<String> {
    for id in &service.errata {
        let e = catalog.erratum(id).unwrap();
        if e.kind == ErratumKind::Naming && e.field.as_deref() == Some("windows_service") {
            return Some(e.seed.clone());
        }
    }
    service.windows_service.clone()
}

fn find_block<'s>(catalog: &Catalog, seed: &'s Seed, service: &Service) -> &'s Block {
    let headless = has_erratum(catalog, &service.errata, ErratumKind::MissingHeading);
    let found: Vec<&Block> = seed
        .blocks
        .iter()
        .filter(|b| {
            if headless {
                b.heading.is_none() && b.service_name == service.windows_service
            } else {
                b.heading.as_deref() == Some(service.name.as_str())
            }
        })
        .collect();
    assert_eq!(found.len(), 1, "section of {}", service.id);
    found[0]
}

#[test]
fn the_seed_parses_into_62_sections_and_a_155_row_table() {
    let seed = parse_seed();
    assert_eq!(seed.blocks.len(), 62);
    assert_eq!(seed.table.len(), 155);
    assert_eq!(seed.blocks.iter().map(|b| b.rows.len()).sum::<usize>(), 173);
}

#[test]
fn every_section_is_one_service_and_every_service_one_section() {
    let catalog = Catalog::builtin().unwrap();
    let seed = parse_seed();
    assert_eq!(catalog.services().len(), seed.blocks.len());
    let mut used = HashSet::new();
    for service in catalog.services() {
        let block = find_block(&catalog, &seed, service);
        assert!(
            used.insert(block as *const Block),
            "{} reuses a section",
            service.id
        );
        assert_eq!(
            block.service_name,
            printed_windows_service(&catalog, service),
            "service name of {}",
            service.id
        );
    }
}

#[test]
fn every_row_of_every_section_is_in_the_catalog_and_nothing_else() {
    let catalog = Catalog::builtin().unwrap();
    let seed = parse_seed();
    for service in catalog.services() {
        let block = find_block(&catalog, &seed, service);
        let mut expected: Vec<[String; 3]> = Vec::new();
        for row in service.ports.iter().filter(|r| !r.from_prose) {
            let printed = [
                row.app.clone(),
                printed_transport(&catalog, row),
                printed_port(row),
            ];
            if has_erratum(&catalog, &row.errata, ErratumKind::Duplicate) {
                expected.push(printed.clone());
            }
            expected.push(printed);
        }
        let mut seed_rows = block.rows.clone();
        // Same rows, same multiplicity...
        let mut sorted_expected = expected.clone();
        sorted_expected.sort();
        seed_rows.sort();
        assert_eq!(sorted_expected, seed_rows, "rows of {}", service.id);
        // ...and the catalog keeps the section's order (first occurrence of each row).
        let mut seen = HashSet::new();
        let seed_order: Vec<&[String; 3]> = block.rows.iter().filter(|r| seen.insert(*r)).collect();
        let mut seen = HashSet::new();
        let catalog_order: Vec<&[String; 3]> =
            expected.iter().filter(|r| seen.insert(*r)).collect();
        assert_eq!(catalog_order, seed_order, "row order of {}", service.id);
    }
}

#[test]
fn the_port_table_is_reproduced_row_by_row_in_order() {
    let catalog = Catalog::builtin().unwrap();
    let seed = parse_seed();
    let rows = catalog.seed_table_rows();
    assert_eq!(rows.len(), seed.table.len());
    for (n, (r, expected)) in rows.iter().zip(&seed.table).enumerate() {
        assert_eq!(r.row.table, Some(n as u16 + 1));
        let printed = [
            printed_port(r.row),
            printed_transport(&catalog, r.row),
            r.row.app.clone(),
            r.service.table_name().to_string(),
        ];
        assert_eq!(&printed, expected, "table row {}", n + 1);
    }
}

#[test]
fn rows_missing_from_the_table_are_dynamic_prose_or_errata() {
    let catalog = Catalog::builtin().unwrap();
    for (service, row) in catalog.rows().filter(|(_, r)| r.table.is_none()) {
        let explained = row.port.is_some_and(PortSpec::is_dynamic)
            || row.from_prose
            || has_erratum(&catalog, &row.errata, ErratumKind::NotInTable);
        assert!(
            explained,
            "{} {} {} is not in the table",
            service.id, row.transport, row.app
        );
    }
}

#[test]
fn erratum_quotes_are_the_seeds_own_words() {
    let catalog = Catalog::builtin().unwrap();
    let flat = SEED.split_whitespace().collect::<Vec<_>>().join(" ");
    for e in catalog.errata() {
        if e.seed.starts_with('(') {
            continue; // describes an absence, nothing to quote
        }
        for part in e.seed.split(" / ") {
            let quote = part.split(" (").next().unwrap();
            assert!(flat.contains(quote), "erratum {} quotes `{quote}`", e.id);
        }
    }
}

#[test]
fn every_erratum_is_used_and_names_real_services() {
    let catalog = Catalog::builtin().unwrap();
    let mut cited: BTreeMap<&str, usize> = BTreeMap::new();
    for s in catalog.services() {
        for id in s
            .errata
            .iter()
            .chain(s.ports.iter().flat_map(|r| &r.errata))
        {
            *cited.entry(id.as_str()).or_default() += 1;
        }
    }
    for e in catalog.errata() {
        for s in &e.services {
            assert!(catalog.service(s).is_some(), "erratum {} names {s}", e.id);
        }
        if e.kind != ErratumKind::Document {
            assert!(
                cited.contains_key(e.id.as_str()),
                "erratum {} is never cited",
                e.id
            );
        }
    }
}

#[test]
fn decided_errata_hold_in_the_data() {
    let catalog = Catalog::builtin().unwrap();
    let row = |service: &str, app: &str, transport: Transport| -> &PortRow {
        catalog
            .service(service)
            .unwrap()
            .ports
            .iter()
            .find(|r| r.app == app && r.transport == transport)
            .unwrap_or_else(|| panic!("{service} {app} {transport}"))
    };
    // "UPD" is UDP.
    assert_eq!(
        row("sms-remote-control", "SMS Remote Chat", Transport::Udp).port,
        Some(PortSpec::Single(2703))
    );
    // IKE and NAT-T are UDP, whatever the prose says.
    assert_eq!(
        row("local-security-authority", "IPSec ISAKMP", Transport::Udp).port,
        Some(PortSpec::Single(500))
    );
    assert_eq!(
        row("local-security-authority", "NAT-T", Transport::Udp).port,
        Some(PortSpec::Single(4500))
    );
    // Chargen 19 and daytime 13, not 9 and 3.
    assert_eq!(
        row("simple-tcpip", "Chargen", Transport::Tcp).port,
        Some(PortSpec::Single(19))
    );
    assert_eq!(
        row("simple-tcpip", "Daytime", Transport::Udp).port,
        Some(PortSpec::Single(13))
    );
    // Spurious rows are kept but are not listeners.
    assert!(!row("local-security-authority", "LDAP SSL", Transport::Udp).listener);
    assert!(row("local-security-authority", "LDAP SSL", Transport::Tcp).listener);
    assert!(!row("smtp", "SMTP", Transport::Udp).listener);
    assert!(!row("exchange-server", "SMTP", Transport::Udp).listener);
    // Names.
    assert_eq!(
        catalog
            .service("operations-manager")
            .unwrap()
            .windows_service
            .as_deref(),
        Some("OnePoint")
    );
    assert_eq!(
        catalog
            .service("sql-server")
            .unwrap()
            .windows_service
            .as_deref(),
        Some("MSSQLSERVER")
    );
    assert_eq!(
        catalog
            .service("mssql-uddi")
            .unwrap()
            .windows_service
            .as_deref(),
        Some("MSSQL$UDDI")
    );
    assert_eq!(
        catalog.service("systems-management-server").unwrap().name,
        "Systems Management Server"
    );
    assert_eq!(
        catalog.service("distributed-link-tracking").unwrap().name,
        "Distributed Link Tracking Server"
    );
    assert_eq!(
        catalog.service("print-spooler").unwrap().name,
        "Print Spooler"
    );
    // The DFS datagram row once; FTP's random ports are its passive range.
    let dfs_138 = catalog
        .service("distributed-file-system")
        .unwrap()
        .ports
        .iter()
        .filter(|r| r.port == Some(PortSpec::Single(138)))
        .count();
    assert_eq!(dfs_138, 1);
    assert_eq!(
        row(
            "ftp-publishing",
            "Randomly allocated high TCP ports",
            Transport::Tcp
        )
        .port,
        Some(PortSpec::FtpPassive)
    );
    // Fifteen services are reached through the endpoint mapper's dynamic ports.
    assert_eq!(
        catalog
            .services()
            .iter()
            .filter(|s| s.uses_dynamic_rpc())
            .count(),
        15
    );
}

#[test]
fn prose_facts_are_in_the_data() {
    let catalog = Catalog::builtin().unwrap();
    let w3svc = catalog.service("www-publishing").unwrap();
    let admin = w3svc
        .ports
        .iter()
        .find(|r| r.port == Some(PortSpec::Single(8098)))
        .unwrap();
    assert!(admin.from_prose && admin.optional);
    let ftp = catalog.service("ftp-publishing").unwrap();
    assert!(ftp.configurable.iter().any(|c| c.default == "1025-5000"));
    assert!(ftp.configurable.iter().any(|c| c.how.contains("minus one")));
    for id in [
        "sql-server",
        "terminal-services",
        "www-publishing",
        "http-ssl",
    ] {
        assert!(
            !catalog.service(id).unwrap().configurable.is_empty(),
            "{id} configurable"
        );
    }
    let ssdp = catalog.service("ssdp-discovery").unwrap();
    assert!(
        ssdp.notes
            .iter()
            .any(|n| n.contains("5000") && n.contains("2869"))
    );
    assert!(
        catalog
            .service("tftp")
            .unwrap()
            .notes
            .iter()
            .any(|n| n.contains("randomly allocated high port"))
    );
    for id in ["license-logging", "rpc-locator", "telnet", "simple-tcpip"] {
        assert_eq!(
            catalog.service(id).unwrap().status,
            portolan_catalog::Status::OffByDefault,
            "{id}"
        );
    }
    for id in ["license-logging", "messenger", "telnet", "simple-tcpip"] {
        assert!(catalog.service(id).unwrap().legacy, "{id} legacy");
    }
    let rras = catalog.service("routing-remote-access").unwrap();
    let ip: Vec<u8> = rras
        .ports
        .iter()
        .filter(|r| !r.transport.has_ports())
        .map(|r| r.transport.protocol_number())
        .collect();
    assert_eq!(ip, vec![47, 51, 50]);
}
