//! The half-open sweep (root: raw sockets and namespaces) against the truth and against the
//! connect sweep, port by port over all 65,535 ports: on a namespace's loopback, and on a
//! namespace host behind a veth (10.203.90.0/24) with listening, closed, dropped, reset and
//! ICMP-rejected ports.

// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use portolan_core::target::{self, TargetList};
use portolan_scan::engine::Config;
use portolan_scan::syn::{self, SynError};
use portolan_scan::{NmapState, Reason};
use support::{Collect, Netns, require, require_root, scan};

/// Listening ports; some of them sit behind a rule.
const LISTEN: [u16; 12] = [
    22, 80, 135, 445, 3268, 3389, 5985, 8000, 40000, 49152, 60000, 65535,
];
const DROP: [u16; 6] = [135, 5985, 7000, 7001, 49152, 65534];
const RESET: [u16; 2] = [8000, 8001];
const ADMIN_PROHIBITED: [u16; 2] = [3268, 9000];
const PORT_UNREACHABLE: [u16; 1] = [9001];

fn rules() -> String {
    let set = |ports: &[u16]| {
        ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "table inet syntest {{
            chain input {{
                type filter hook input priority filter; policy accept;
                tcp dport {{ {} }} drop
                tcp dport {{ {} }} reject with tcp reset
                tcp dport {{ {} }} reject with icmpx type admin-prohibited
                tcp dport {{ {} }} reject with icmp type port-unreachable
            }}
        }}",
        set(&DROP),
        set(&RESET),
        set(&ADMIN_PROHIBITED),
        set(&PORT_UNREACHABLE)
    )
}

/// The state every port must have.
fn truth(port: u16) -> NmapState {
    if DROP.contains(&port) || ADMIN_PROHIBITED.contains(&port) {
        NmapState::Filtered
    } else if RESET.contains(&port) || PORT_UNREACHABLE.contains(&port) {
        NmapState::Closed
    } else if LISTEN.contains(&port) {
        NmapState::Open
    } else {
        NmapState::Closed
    }
}

fn all_ports() -> Vec<u16> {
    (1..=65535).collect()
}

fn config() -> Config {
    Config {
        report_all: true,
        ..Config::default()
    }
}

/// A half-open sweep of `address` on `ports`.
fn syn_scan(
    address: &str,
    ports: &[u16],
) -> Result<(portolan_scan::engine::Summary, Collect), SynError> {
    syn_scan_all(&[address], ports)
}

/// A half-open sweep of `addresses` on `ports`.
fn syn_scan_all(
    addresses: &[&str],
    ports: &[u16],
) -> Result<(portolan_scan::engine::Summary, Collect), SynError> {
    let specs = target::parse_targets(addresses, |_| Err("no files".into())).unwrap();
    let list = TargetList::build(&specs, |_| Err("no names".into())).unwrap();
    let stop = AtomicBool::new(false);
    let mut collect = Collect::default();
    let summary = syn::run(&list, ports, &config(), &stop, &mut collect)?;
    Ok((summary, collect))
}

fn states(found: &Collect) -> BTreeMap<u16, NmapState> {
    found.ports.iter().map(|p| (p.port, p.state)).collect()
}

/// Checks a full sweep's states against the truth and returns them.
fn assert_exact(what: &str, found: &Collect) -> BTreeMap<u16, NmapState> {
    let states = states(found);
    assert_eq!(states.len(), 65535, "{what}: one result per port");
    let wrong: Vec<_> = states
        .iter()
        .filter(|(port, state)| truth(**port) != **state)
        .map(|(port, state)| format!("{port}: {state:?}, expected {:?}", truth(*port)))
        .collect();
    assert!(wrong.is_empty(), "{what}: {wrong:?}");
    states
}

fn listen_all(address: Ipv4Addr) -> Vec<TcpListener> {
    LISTEN
        .iter()
        .map(|&port| TcpListener::bind((address, port)).unwrap())
        .collect()
}

#[test]
#[ignore = "needs root: raw sockets and network namespaces (scripts/test.sh)"]
fn a_full_sweep_of_a_namespace_loopback_is_exact_and_equals_the_connect_sweep() {
    require_root();
    require("nft", "--version");
    let ns = Netns::new();
    ns.nft(&rules());
    let (syn_summary, syn_found, connect_found) = ns.within(|| {
        let _listeners = listen_all(Ipv4Addr::LOCALHOST);
        let (summary, found) = syn_scan("127.0.0.1", &all_ports()).unwrap();
        let (_, connect) = scan(&["127.0.0.1"], all_ports(), &config());
        (summary, found, connect)
    });
    assert_eq!(syn_summary.done, 65535);
    assert!(!syn_summary.interrupted);
    let syn_states = assert_exact("--syn on loopback", &syn_found);
    let connect_states = assert_exact("connect on loopback", &connect_found);
    assert_eq!(syn_states, connect_states);
    // Reasons: ICMP admin-prohibited is a filter's answer, silence was retried.
    let by_port: BTreeMap<u16, _> = syn_found.ports.iter().map(|p| (p.port, p)).collect();
    assert_eq!(by_port[&9000].reason, Reason::HostUnreach);
    assert_eq!(by_port[&7000].reason, Reason::NoResponse);
    assert_eq!(by_port[&7000].tries, 2);
    assert_eq!(by_port[&22].reason, Reason::SynAck);
    assert_eq!(by_port[&8001].reason, Reason::ConnRefused);
    let host = &syn_found.hosts[0];
    assert_eq!(host.open + host.closed + host.filtered, 65535);
    assert!(host.up);
}

/// A namespace behind a veth in 10.203.90.0/24, removed on drop.
struct VethHost {
    ns: Netns,
    host_if: String,
}

impl VethHost {
    fn new(host_ip: &str, target_ip: &str) -> VethHost {
        let ns = Netns::new();
        let host_if = format!("plsyn{}h", std::process::id() % 100_000);
        let ns_if = format!("plsyn{}n", std::process::id() % 100_000);
        let run = |args: &[&str]| {
            let out = Command::new("ip").args(args).output().unwrap();
            assert!(
                out.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let _ = Command::new("ip").args(["link", "del", &host_if]).output();
        let veth = VethHost { ns, host_if };
        run(&[
            "link",
            "add",
            &veth.host_if,
            "type",
            "veth",
            "peer",
            "name",
            &ns_if,
        ]);
        run(&["link", "set", &ns_if, "netns", &veth.ns.name]);
        run(&[
            "addr",
            "add",
            &format!("{host_ip}/24"),
            "dev",
            &veth.host_if,
        ]);
        run(&["link", "set", &veth.host_if, "up"]);
        veth.ns.exec(&[
            "ip",
            "addr",
            "add",
            &format!("{target_ip}/24"),
            "dev",
            &ns_if,
        ]);
        veth.ns.exec(&["ip", "link", "set", &ns_if, "up"]);
        // Never probe what would leave the machine: the route must be our veth.
        let route = Command::new("ip")
            .args(["-o", "route", "get", target_ip])
            .output()
            .unwrap();
        let route = String::from_utf8_lossy(&route.stdout).to_string();
        assert!(
            route.contains(&format!("dev {} ", veth.host_if)),
            "{target_ip} is not routed through {}: {route}",
            veth.host_if
        );
        veth
    }
}

impl Drop for VethHost {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_if])
            .output();
    }
}

#[test]
#[ignore = "needs root: raw sockets and network namespaces (scripts/test.sh)"]
fn a_full_sweep_of_a_namespace_host_is_exact_and_equals_the_connect_sweep() {
    require_root();
    require("nft", "--version");
    let target: Ipv4Addr = "10.203.90.2".parse().unwrap();
    let veth = VethHost::new("10.203.90.1", "10.203.90.2");
    veth.ns.nft(&rules());
    // Sockets keep the namespace they were made in, whichever thread holds them later.
    let _listeners = veth.ns.within(|| listen_all(target));
    assert_eq!(
        syn::source_for(target).unwrap(),
        Ipv4Addr::new(10, 203, 90, 1)
    );
    let (summary, syn_found) = syn_scan("10.203.90.2", &all_ports()).unwrap();
    assert_eq!(summary.done, 65535);
    let syn_states = assert_exact("--syn over a veth", &syn_found);
    let (_, connect_found) = scan(&["10.203.90.2"], all_ports(), &config());
    let connect_states = assert_exact("connect over a veth", &connect_found);
    assert_eq!(syn_states, connect_states);
    assert!(
        syn_found
            .ports
            .iter()
            .all(|p| p.address == IpAddr::V4(target)),
        "only the target answered"
    );
}

#[test]
#[ignore = "needs root: raw sockets and network namespaces (scripts/test.sh)"]
fn a_host_without_a_route_is_filtered_without_a_probe() {
    require_root();
    let ns = Netns::new();
    // Only loopback in this namespace: 10.203.91.9 has no route at all.
    let (summary, found) = ns.within(|| syn_scan("10.203.91.9", &[22, 80]).unwrap());
    assert_eq!(summary.done, 2);
    assert!(
        found
            .ports
            .iter()
            .all(|p| (p.state, p.reason, p.tries) == (NmapState::Filtered, Reason::NetUnreach, 0))
    );
}

#[test]
fn ipv6_targets_are_refused_with_the_way_out() {
    // Refused before any socket is opened, so this runs without root.
    let error = syn_scan("::1", &[22]).err().unwrap();
    assert!(matches!(error, SynError::Ipv6 { .. }));
    assert!(error.to_string().contains("without --syn"), "{error}");
    assert!(error.is_usage());
}

#[test]
#[ignore = "needs root: raw sockets and network namespaces (scripts/test.sh)"]
fn a_repeated_address_is_probed_once_and_reported_under_each_listing() {
    require_root();
    let ns = Netns::new();
    let (summary, found) = ns.within(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap().port();
        let closed = if open == 65535 { open - 1 } else { open + 1 };
        let result = syn_scan_all(&["127.0.0.1", "127.0.0.1"], &[open, closed]).unwrap();
        drop(listener);
        result
    });
    assert_eq!(summary.done, 4);
    assert_eq!((summary.open, summary.closed, summary.filtered), (2, 2, 0));
    for host in [0, 1] {
        let mut states: Vec<_> = found
            .ports
            .iter()
            .filter(|p| p.host == host)
            .map(|p| p.state)
            .collect();
        states.sort();
        assert_eq!(states, [NmapState::Open, NmapState::Closed], "host {host}");
    }
}

#[test]
#[ignore = "needs root: raw sockets (scripts/test.sh)"]
fn the_kernel_takes_both_receive_filters() {
    require_root();
    use portolan_scan::syn::socket::{self, Keep};
    let tcp = socket::receiver(libc::IPPROTO_TCP).unwrap();
    socket::keep_only(&tcp, Keep::TcpToPort(40000)).unwrap();
    let icmp = socket::receiver(libc::IPPROTO_ICMP).unwrap();
    socket::keep_only(&icmp, Keep::IcmpUnreachable).unwrap();
}
