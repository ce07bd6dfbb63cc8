//! The engine against listeners of this test on the machine's loopback (no root needed):
//! exactly the listening ports are open, ports just freed are closed. Only ports this test
//! bound itself are probed.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::{IpAddr, TcpListener};

use portolan_scan::engine::Config;
use portolan_scan::{NmapState, Reason};
use support::scan;

/// Ports of `host`: `open` ones with a listener of this test, and `closed` ones that were
/// just bound and released.
struct Ports {
    _listeners: Vec<TcpListener>,
    open: Vec<u16>,
    closed: Vec<u16>,
}

impl Ports {
    /// `count` of each, or `None` when `host` cannot be bound here.
    fn bind(host: &str, count: usize) -> Option<Ports> {
        let bind = || -> Option<Vec<TcpListener>> {
            (0..count)
                .map(|_| TcpListener::bind((host, 0)))
                .collect::<Result<_, _>>()
                .ok()
        };
        let port_of = |l: &TcpListener| l.local_addr().unwrap().port();
        let listeners = bind()?;
        // Held together until all are bound, so the ports are distinct; then released (closed).
        let released = bind()?;
        Some(Ports {
            open: listeners.iter().map(port_of).collect(),
            closed: released.iter().map(port_of).collect(),
            _listeners: listeners,
        })
    }

    /// `count` of each on 127.0.0.1, which can always be bound.
    fn loopback(count: usize) -> Ports {
        Ports::bind("127.0.0.1", count).expect("127.0.0.1 can be bound")
    }

    /// The open ports, then the closed ones.
    fn all(&self) -> Vec<u16> {
        [&self.open[..], &self.closed[..]].concat()
    }
}

fn check(host: &str) {
    let Some(bound) = Ports::bind(host, 8) else {
        portolan_testkit::skip(&format!("cannot bind on {host}"));
        return;
    };
    let (open, closed, ports) = (&bound.open, &bound.closed, bound.all());
    let config = Config {
        report_all: true,
        ..Config::default()
    };
    let (summary, found) = scan(&[host], ports.clone(), &config);
    assert_eq!(summary.done, summary.total);
    assert!(!summary.interrupted);
    let states = found.states();
    assert_eq!(states.len(), ports.len(), "one result per port: {states:?}");
    for p in open {
        assert_eq!(states[p], (NmapState::Open, Reason::SynAck), "port {p}");
    }
    for p in closed {
        // A port freed a moment ago may in rare cases be taken by another program; it can
        // be open then, but never filtered.
        assert_ne!(states[p].0, NmapState::Filtered, "port {p}");
    }
    let host_summary = &found.hosts[0];
    assert!(host_summary.up);
    assert_eq!(host_summary.open as usize, open.len());
    let address: IpAddr = host.trim_matches(|c| c == '[' || c == ']').parse().unwrap();
    assert_eq!(host_summary.address, address);
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
    let bound = Ports::loopback(3);
    let (summary, found) = scan(&["127.0.0.1"], bound.all(), &Config::default());
    let mut expected: Vec<(IpAddr, u16)> = bound
        .open
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
    let bound = Ports::loopback(20);
    let ports = bound.all();
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
        for p in &bound.open {
            assert_eq!(states[p].0, NmapState::Open, "{config:?} port {p}");
        }
        assert_eq!(summary.open, 20);
    }
}
