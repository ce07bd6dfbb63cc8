//! A check's own endpoint-mapper step against mappers that misbehave, on loopback: a list
//! that is not whole (cut short, a mapper repeating itself, no list) is reported on the
//! host (text and JSON), on the dynamic rows it gave or could not give, and fails the check
//! (exit 1), as `portolan rpc` does (issue 11).
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::time::Duration;

use portolan_catalog::Catalog;
use portolan_probe::check::{HostExtras, gather};
use portolan_probe::report::CheckReport;
use portolan_probe::select::DynamicRpc;
use portolan_probe::{CheckOptions, Host, Origin, PortResult, Selection, Status};
use serde_json::Value;
use support::fake_mapper::{answering, call_id, mapper};

/// The lab Samba DC's answers to `ept_lookup` with max_ents 20, following the handle:
/// 20 + 20 + 13 entries, then "no more entries" (crates/wire/tests/fixtures/dcerpc).
const PAGES: [&[u8]; 4] = [
    include_bytes!("../../wire/tests/fixtures/dcerpc/samba-4.17-ept-lookup-page20-1.bin"),
    include_bytes!("../../wire/tests/fixtures/dcerpc/samba-4.17-ept-lookup-page20-2.bin"),
    include_bytes!("../../wire/tests/fixtures/dcerpc/samba-4.17-ept-lookup-page20-3.bin"),
    include_bytes!("../../wire/tests/fixtures/dcerpc/samba-4.17-ept-lookup-page20-4.bin"),
];

fn loopback() -> Host {
    Host {
        name: "127.0.0.1".to_string(),
        address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        scope_id: 0,
        unresolved: None,
    }
}

/// Every catalog service reached through dynamic RPC ports, and no fixed port: the check
/// is only its endpoint-mapper step and the ports the mapper gives.
fn dynamic_only(catalog: &Catalog) -> Selection {
    let services = catalog
        .services()
        .iter()
        .filter(|s| {
            s.ports
                .iter()
                .any(|r| matches!(r.port, Some(portolan_catalog::PortSpec::RpcDynamic)))
        })
        .map(|s| s.id.clone())
        .collect();
    Selection {
        dynamic_rpc: DynamicRpc { services },
        ..Selection::default()
    }
}

fn check(mapper_port: u16) -> (Vec<HostExtras>, Vec<PortResult>) {
    let catalog = Catalog::builtin().unwrap();
    let options = CheckOptions {
        ceiling: Duration::from_millis(1500),
        floor: Duration::from_millis(100),
        // The stand-in listeners accept and say nothing: only the verdict matters here.
        verify: false,
        mapper_port,
        ..CheckOptions::default()
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(gather(
            &catalog,
            &[loopback()],
            &dynamic_only(&catalog),
            &options,
            true,
            true,
            |_| Ok::<(), ()>(()),
        ))
        .unwrap()
}

/// Loopback listeners standing for the DC's RPC ports (49152, 49153, 49154 and 135): the
/// second wave finds them LISTENING, so only the mapper's list can fail the check.
struct Ports {
    _listeners: Vec<TcpListener>,
    /// (the DC's port, the loopback port standing for it)
    map: Vec<(u16, u16)>,
}

impl Ports {
    fn new() -> Ports {
        let mut listeners = Vec::new();
        let mut map = Vec::new();
        for dc_port in [49152, 49153, 49154, 135] {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            map.push((dc_port, listener.local_addr().unwrap().port()));
            listeners.push(listener);
        }
        Ports {
            _listeners: listeners,
            map,
        }
    }

    /// `answer` with every TCP floor's port (`01 00 07 02 00` then the port, big endian)
    /// moved to its loopback stand-in; the PDU keeps its length.
    fn patch(&self, answer: &[u8]) -> Vec<u8> {
        let mut out = answer.to_vec();
        let floor = [1u8, 0, 7, 2, 0];
        let mut at = 0;
        while let Some(found) = out[at..].windows(floor.len()).position(|w| w == floor) {
            let port_at = at + found + floor.len();
            let port = u16::from_be_bytes([out[port_at], out[port_at + 1]]);
            if let Some(&(_, local)) = self.map.iter().find(|(dc, _)| *dc == port) {
                out[port_at..port_at + 2].copy_from_slice(&local.to_be_bytes());
            }
            at = port_at;
        }
        out
    }

    fn local(&self) -> Vec<u16> {
        self.map.iter().map(|&(_, local)| local).collect()
    }
}

/// A mapper that gives the first `pages` pages (patched), then hangs up.
fn paging_mapper(ports: &Ports, pages: usize) -> u16 {
    let answers: Vec<Vec<u8>> = PAGES.iter().take(pages).map(|p| ports.patch(p)).collect();
    mapper(pages, move |n, request| {
        answers.get(n).map(|a| answering(a, call_id(request)))
    })
}

/// A mapper that gives the first page again and again (same handle, same entries).
fn looping_mapper(ports: &Ports) -> u16 {
    let first = ports.patch(PAGES[0]);
    mapper(1_000, move |_, request| {
        Some(answering(&first, call_id(request)))
    })
}

/// The check's JSON document, its table text, whether it passes, and the JSON Lines
/// records that follow the streamed results.
fn report(extras: &[HostExtras], results: Vec<PortResult>) -> (Value, String, bool, String) {
    let hosts = [loopback()];
    let report = CheckReport::new(&hosts, extras, results);
    let json = serde_json::to_value(report.json()).unwrap();
    // The table, then the CI formats, which must fail an incomplete list as the exit code does.
    let text = [
        report.table(portolan_output::TerminalStyle::default()),
        report.junit(),
        report.tap(),
    ]
    .join("\n");
    (
        json,
        text,
        report.passes(),
        report.incomplete_mapper_lines(),
    )
}

#[test]
fn a_whole_list_passes_when_every_port_it_gives_listens() {
    let ports = Ports::new();
    let (extras, results) = check(paging_mapper(&ports, 4));
    let mapper = extras[0].endpoint_mapper.as_ref().unwrap();
    assert!(mapper.complete && mapper.incomplete.is_none(), "{mapper:?}");
    assert_eq!(mapper.endpoints, 53);
    assert!(!results.is_empty());
    for r in &results {
        assert_eq!(r.origin, Origin::EndpointMapper);
        assert_eq!(r.status(), Status::Listening, "{r:?}");
        assert!(ports.local().contains(&r.record.port));
        assert!(r.note.is_none(), "{r:?}");
    }
    let (json, text, passes, lines) = report(&extras, results);
    assert!(passes, "{text}");
    assert_eq!(json["exit_code"], 0);
    assert_eq!(json["hosts"][0]["endpoint_mapper"]["complete"], true);
    assert!(json["hosts"][0]["endpoint_mapper"]["incomplete"].is_null());
    assert!(!text.contains("INCOMPLETE"), "{text}");
    assert!(lines.is_empty());
}

#[test]
fn a_list_cut_short_fails_the_check_and_says_so_on_its_rows() {
    // One page of twenty, then the mapper hangs up: every port it gave still listens.
    let ports = Ports::new();
    let (extras, results) = check(paging_mapper(&ports, 1));
    let mapper = extras[0].endpoint_mapper.as_ref().unwrap();
    assert!(!mapper.complete);
    assert_eq!(mapper.endpoints, 20);
    let why = mapper.incomplete.clone().unwrap();
    assert!(why.starts_with("cut short"), "{why}");
    assert!(!results.is_empty());
    for r in &results {
        assert_eq!(r.status(), Status::Listening, "{r:?}");
        let note = r.note.as_deref().unwrap();
        assert!(note.contains("INCOMPLETE") && note.contains(&why), "{note}");
    }
    // The services the part read does not list are not declared absent.
    let unchecked = &extras[0].unchecked;
    assert!(!unchecked.is_empty());
    for u in unchecked {
        assert!(u.reason.contains("INCOMPLETE"), "{}", u.reason);
        assert!(!u.reason.contains("does not run"), "{}", u.reason);
    }
    let (json, text, passes, lines) = report(&extras, results);
    assert!(!passes, "every port listens, but the list is not whole");
    assert_eq!(json["exit_code"], 1);
    let host = &json["hosts"][0];
    assert_eq!(host["endpoint_mapper"]["complete"], false);
    assert_eq!(host["endpoint_mapper"]["incomplete"], why.as_str());
    assert!(
        host["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["note"].as_str().is_some_and(|n| n.contains("INCOMPLETE")))
    );
    assert!(
        text.contains(&format!("endpoint mapper: INCOMPLETE list, {why}")),
        "{text}"
    );
    assert!(text.contains("<failure type=\"INCOMPLETE\""), "{text}");
    assert!(
        text.contains("not ok") && text.contains("tcp/135 endpoint mapper list complete"),
        "{text}"
    );
    // JSON Lines: after the results, one record of the host's incomplete list.
    let records: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1, "{lines}");
    assert_eq!(records[0]["host"], "127.0.0.1");
    assert_eq!(records[0]["endpoint_mapper"]["incomplete"], why.as_str());
}

#[test]
fn a_repeating_mapper_fails_the_check() {
    let ports = Ports::new();
    let (extras, results) = check(looping_mapper(&ports));
    let mapper = extras[0].endpoint_mapper.as_ref().unwrap();
    let why = mapper.incomplete.as_deref().unwrap();
    assert!(why.contains("repeated its last answer"), "{why}");
    assert_eq!(mapper.endpoints, 20, "each entry once");
    let (json, text, passes, lines) = report(&extras, results);
    assert!(!passes);
    assert_eq!(json["exit_code"], 1);
    assert!(text.contains("INCOMPLETE list"), "{text}");
    assert_eq!(lines.lines().count(), 1, "{lines}");
}

#[test]
fn no_list_at_all_fails_the_check() {
    // Nothing listens on the mapper's port: the dynamic ports are unknown.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let (extras, results) = check(port);
    assert!(results.is_empty());
    let mapper = extras[0].endpoint_mapper.as_ref().unwrap();
    assert!(!mapper.complete);
    let why = mapper.incomplete.as_deref().unwrap();
    assert!(
        extras[0]
            .unchecked
            .iter()
            .all(|u| u.reason.contains("the dynamic ports are unknown"))
    );
    let (json, text, passes, lines) = report(&extras, results);
    assert!(!passes);
    assert_eq!(json["exit_code"], 1);
    assert!(text.contains(&format!("INCOMPLETE list, {why}")), "{text}");
    assert_eq!(lines.lines().count(), 1, "{lines}");
}
