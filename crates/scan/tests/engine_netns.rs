//! The engine inside throw-away network namespaces (root): open, closed, dropped, reset and
//! ICMP-rejected ports on a loopback with nftables rules; the self-connect guard with a
//! deliberately tiny ephemeral port range; a full sweep that must be exact.

mod support;

use std::net::TcpListener;

use portolan_scan::engine::Config;
use portolan_scan::{NmapState, Reason};
use support::{Netns, require, require_root, scan};

#[test]
#[ignore = "needs root (network namespaces): run by scripts/test.sh"]
fn every_state_on_a_firewalled_loopback() {
    require_root();
    require("nft", "--version");
    let ns = Netns::new();
    ns.nft(
        "table inet scantest {
            chain input {
                type filter hook input priority filter; policy accept;
                tcp dport { 21010, 21011 } drop
                tcp dport { 21020, 21021 } reject with tcp reset
                tcp dport { 21030 } reject with icmpx type admin-prohibited
            }
        }",
    );
    let config = Config {
        report_all: true,
        ..Config::default()
    };
    let (summary, found) = ns.within(|| {
        // Listeners: three open ports, and one behind each kind of rule.
        let _listeners: Vec<TcpListener> = [21001, 21002, 21003, 21010, 21020, 21030]
            .iter()
            .map(|&p| TcpListener::bind(("127.0.0.1", p)).unwrap())
            .collect();
        scan(&["127.0.0.1"], (21000..=21040).collect(), &config)
    });
    assert_eq!(summary.done, 41);
    let states = found.states();
    for port in 21000..=21040u16 {
        let expected = match port {
            21001..=21003 => (NmapState::Open, Reason::SynAck),
            21010 | 21011 => (NmapState::Filtered, Reason::NoResponse),
            21030 => (NmapState::Filtered, Reason::HostUnreach),
            _ => (NmapState::Closed, Reason::ConnRefused),
        };
        assert_eq!(states[&port], expected, "port {port}");
    }
    let dropped = found.ports.iter().find(|p| p.port == 21010).unwrap();
    assert_eq!(
        dropped.tries, 2,
        "a silent port is tried again before it is filtered"
    );
    assert_eq!(summary.retries, 2);
    let host = &found.hosts[0];
    assert_eq!((host.open, host.closed, host.filtered), (3, 35, 3));
}

#[test]
#[ignore = "needs root (network namespaces): run by scripts/test.sh"]
fn self_connects_are_never_open() {
    require_root();
    let ns = Netns::new();
    // Sixteen source ports, and those are the ports scanned: the kernel often picks the
    // destination port as the source port, and the SYN then meets itself.
    ns.exec(&["sysctl", "-qw", "net.ipv4.ip_local_port_range=40000 40015"]);
    let config = Config {
        report_all: true,
        ..Config::default()
    };
    let mut self_connects = 0;
    for round in 0..40 {
        let (summary, found) =
            ns.within(|| scan(&["127.0.0.1"], (40000..=40015).collect(), &config));
        assert_eq!(
            found.open(),
            [],
            "round {round}: nothing listens, nothing may be open"
        );
        assert_eq!(summary.done, 16);
        for p in &found.ports {
            assert_eq!(p.state, NmapState::Closed, "{p:?}");
        }
        self_connects += summary.self_connects;
        if self_connects >= 3 && round >= 4 {
            break;
        }
    }
    assert!(
        self_connects > 0,
        "the guard was never exercised: no self-connect in 40 rounds"
    );
}

#[test]
#[ignore = "needs root (network namespaces): run by scripts/test.sh"]
fn full_sweep_of_a_namespace_loopback_is_exact() {
    require_root();
    let ns = Netns::new();
    let open_v4 = [22u16, 445, 3389, 33000, 40001, 49152, 60000, 65535];
    for round in 0..2 {
        let (summary, found) = ns.within(|| {
            let _listeners: Vec<TcpListener> = open_v4
                .iter()
                .map(|&p| TcpListener::bind(("127.0.0.1", p)).unwrap())
                .collect();
            scan(&["127.0.0.1"], (1..=65535).collect(), &Config::default())
        });
        let ports: Vec<u16> = found.open().iter().map(|(_, p)| *p).collect();
        assert_eq!(ports, open_v4, "round {round}");
        assert_eq!(summary.done, 65535);
        let host = &found.hosts[0];
        assert_eq!(
            host.closed,
            65535 - open_v4.len() as u32,
            "round {round}: nothing filtered on loopback"
        );
    }
}
