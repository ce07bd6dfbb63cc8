//! The engine against listeners of this test on the machine's loopback (no root needed):
//! exactly the listening ports are open, ports just freed are closed. Only ports this test
//! bound itself are probed.

mod support;

use std::net::{IpAddr, TcpListener};

use portolan_scan::engine::Config;
use portolan_scan::{NmapState, Reason};
use support::scan;

/// `count` listeners and `count` ports that were just bound and released (closed), on `host`.
fn listeners_and_closed(host: &str, count: usize) -> Option<(Vec<TcpListener>, Vec<u16>)> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind((host, 0)))
        .collect::<Result<_, _>>()
        .ok()?;
    // Held together until all are bound, so the ports are distinct; then released (closed).
    let released: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind((host, 0)))
        .collect::<Result<_, _>>()
        .ok()?;
    let closed = released
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    drop(released);
    Some((listeners, closed))
}

fn check(host: &str) {
    let Some((listeners, closed)) = listeners_and_closed(host, 8) else {
        eprintln!("SKIPPED: cannot bind on {host}");
        return;
    };
    let open: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    let mut ports = open.clone();
    ports.extend(&closed);
    let config = Config {
        report_all: true,
        ..Config::default()
    };
    let (summary, found) = scan(&[host], ports.clone(), &config);
    assert_eq!(summary.done, summary.total);
    assert!(!summary.interrupted);
    let states = found.states();
    assert_eq!(states.len(), ports.len(), "one result per port: {states:?}");
    for p in &open {
        assert_eq!(states[p], (NmapState::Open, Reason::SynAck), "port {p}");
    }
    for p in &closed {
        // A port freed a moment ago may in rare cases be taken by another program; it can
        // be open then, but never filtered.
        assert_ne!(states[p].0, NmapState::Filtered, "port {p}");
    }
    let host_summary = &found.hosts[0];
    assert!(host_summary.up);
    assert_eq!(host_summary.open as usize, open.len());
    let address: IpAddr = host.trim_matches(|c| c == '[' || c == ']').parse().unwrap();
    assert_eq!(host_summary.address, address);
    drop(listeners);
}

#[test]
fn ipv4_loopback_listeners_are_open_and_freed_ports_closed() {
    check("127.0.0.1");
}

#[test]
fn ipv6_loopback_listeners_are_open_and_freed_ports_closed() {
    check("::1");
}

#[test]
fn only_open_ports_are_reported_by_default() {
    let Some((listeners, closed)) = listeners_and_closed("127.0.0.1", 3) else {
        return;
    };
    let open: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    let mut ports = open.clone();
    ports.extend(&closed);
    let (summary, found) = scan(&["127.0.0.1"], ports, &Config::default());
    let mut expected: Vec<(IpAddr, u16)> = open
        .iter()
        .map(|&p| ("127.0.0.1".parse().unwrap(), p))
        .collect();
    expected.sort();
    assert_eq!(found.open(), expected);
    assert!(found.ports.iter().all(|p| p.state == NmapState::Open));
    assert_eq!(summary.open, 3);
}

#[test]
fn paced_scans_lose_nothing() {
    let Some((listeners, closed)) = listeners_and_closed("127.0.0.1", 20) else {
        return;
    };
    let open: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    let mut ports = open.clone();
    ports.extend(&closed);
    for config in [
        Config {
            rate: Some(2000),
            report_all: true,
            ..Config::default()
        },
        Config {
            host_rate: Some(2000),
            report_all: true,
            threads: 2,
            ..Config::default()
        },
    ] {
        let (summary, found) = scan(&["127.0.0.1"], ports.clone(), &config);
        assert_eq!(summary.done, 40, "{config:?}");
        let states = found.states();
        for p in &open {
            assert_eq!(states[p].0, NmapState::Open, "{config:?} port {p}");
        }
        assert_eq!(summary.open, 20);
    }
}
