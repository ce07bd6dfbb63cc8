//! `export --format aerleon`: the layout Aerleon's `aclgen` reads, generated into nftables and
//! iptables by Aerleon itself (from PyPI, in the test venv), and, in a kernel, two independent
//! generators giving one answer: for each role, Aerleon's nftables ruleset, Aerleon's iptables
//! rules (IPv4) and portolan's own `plan --dialect nftables` admit exactly the same TCP and
//! UDP flows.
//!
//! aclgen is a validator: missing, its tests are skipped, unless `PORTOLAN_REQUIRE_VALIDATORS=1`
//! (scripts/test.sh) makes that a failure. The kernel test needs root and is ignored otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod common;

use portolan_testkit::{TempDir, is_root, netns_add, run};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fails, json_ok, portolan};
use portolan_catalog::{Catalog, PortSpec};

fn export(dir: &Path, extra: &[&str]) {
    portolan()
        .args(["export", "--format", "aerleon", "--output"])
        .arg(dir)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn export_writes_the_layout_aclgen_reads() {
    let dir = TempDir::new("aerleon-layout");
    export(&dir.0, &[]);
    let catalog = Catalog::builtin().unwrap();
    for role in catalog.roles() {
        let pol = dir.0.join(format!("policies/pol/{}.pol", role.id));
        let text = std::fs::read_to_string(&pol).unwrap();
        assert!(text.contains("target:: nftables inet INPUT"), "{text}");
        assert!(
            text.contains("target:: iptables INPUT DROP inet6"),
            "{text}"
        );
    }
    let svc = std::fs::read_to_string(dir.0.join("def/SERVICES.svc")).unwrap();
    assert!(svc.contains("KERBEROS_KDC_UDP = 88/udp"), "{svc}");
    let net = std::fs::read_to_string(dir.0.join("def/NETWORK.net")).unwrap();
    assert!(net.contains("PORTOLAN_CLIENTS_V4 = 0.0.0.0/0"), "{net}");
    let readme = std::fs::read_to_string(dir.0.join("README.md")).unwrap();
    for loss in [
        "program and service scoping",
        "RPC keywords",
        "IP protocols",
    ] {
        assert!(readme.contains(loss), "the notes say what is lost: {loss}");
    }

    // Chosen roles only, with their sources.
    let some = TempDir::new("aerleon-some");
    export(
        &some.0,
        &["--role", "Domain controller", "--from", "10.1.0.0/16"],
    );
    let pols: Vec<_> = std::fs::read_dir(some.0.join("policies/pol"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(pols, ["domain-controller.pol"]);

    // Pinned RPC servers: their ports instead of the dynamic range.
    let pinned = TempDir::new("aerleon-pinned");
    export(
        &pinned.0,
        &["--role", "domain-controller", "--pin-rpc", "10000"],
    );
    let svc = std::fs::read_to_string(pinned.0.join("def/SERVICES.svc")).unwrap();
    assert!(svc.contains("RPC_PINNED = 10000-"), "{svc}");
    assert!(!svc.contains("RPC_DYNAMIC"), "{svc}");

    // Services asked for directly get a policy of their own.
    let services = TempDir::new("aerleon-services");
    export(&services.0, &["--service", "dns", "--service", "W32Time"]);
    let pol = std::fs::read_to_string(services.0.join("policies/pol/services.pol")).unwrap();
    assert!(pol.contains("destination-port:: DNS_SERVER_UDP"), "{pol}");
    assert!(pol.contains("destination-port:: WINDOWS_TIME_UDP"), "{pol}");
    let net = std::fs::read_to_string(some.0.join("def/NETWORK.net")).unwrap();
    assert!(net.contains("PORTOLAN_CLIENTS_V4 = 10.1.0.0/16"), "{net}");
}

#[test]
fn export_refuses_what_it_cannot_do() {
    fails(
        &["export", "--format", "aerleon"],
        2,
        &["--output DIR", "aclgen"],
    );
    fails(
        &["export", "--format", "csv", "--role", "domain-controller"],
        2,
        &["--format aerleon"],
    );
    fails(
        &["export", "--format", "json", "--from", "10.0.0.0/8"],
        2,
        &["--format aerleon"],
    );
    for (flag, value) in [("--role", "no-such-role"), ("--from", "10.0.0.0/33")] {
        fails(
            &["export", "--format", "aerleon", "-o", "/tmp/x", flag, value],
            2,
            &[value],
        );
    }
}

/// Aerleon's aclgen: `PORTOLAN_VENV`'s, else the test venv's, else one on PATH. `None` (the
/// test skips) when there is none, unless validators are required.
fn aclgen() -> Option<PathBuf> {
    let venv = std::env::var("PORTOLAN_VENV").unwrap_or_else(|_| "/opt/portolan-venv".into());
    let candidates = [
        PathBuf::from(venv).join("bin/aclgen"),
        PathBuf::from("aclgen"),
    ];
    let found = candidates
        .into_iter()
        .find(|c| Command::new(c).arg("--helpfull").output().is_ok());
    if found.is_none() {
        portolan_testkit::missing_validator("aclgen", "pip install aerleon into the venv");
    }
    found
}

/// Runs aclgen on an export in `dir`; the output folder.
fn run_aclgen(aclgen: &Path, dir: &Path) -> PathBuf {
    let out_dir = dir.join("out");
    let out = Command::new(aclgen)
        .arg("--base_directory")
        .arg(dir.join("policies"))
        .arg("--definitions_directory")
        .arg(dir.join("def"))
        .arg("--output_directory")
        .arg(&out_dir)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "aclgen failed:\n{log}");
    // aclgen logs a failure of one policy and still exits 0.
    assert!(
        !log.contains("Traceback") && !log.lines().any(|l| l.starts_with('E')),
        "aclgen reported errors:\n{log}"
    );
    out_dir
}

#[test]
fn aclgen_generates_nftables_and_iptables_for_every_role() {
    let Some(aclgen) = aclgen() else { return };
    let dir = TempDir::new("aerleon-aclgen");
    export(&dir.0, &["--from", "10.0.0.0/8", "--from", "fd00::/8"]);
    let out = run_aclgen(&aclgen, &dir.0);
    let catalog = Catalog::builtin().unwrap();
    let can_check_nft = Command::new("nft").arg("--version").output().is_ok() && is_root();
    for role in catalog.roles() {
        let nft = out.join(format!("{}.nft", role.id));
        let text = std::fs::read_to_string(&nft)
            .unwrap_or_else(|e| panic!("no nftables output for {}: {e}", role.id));
        assert!(text.contains("table ip filtering_policies"), "{text}");
        assert!(text.contains("table ip6 filtering_policies"), "{text}");
        assert!(text.contains("ip saddr 10.0.0.0/8"), "{}: {text}", role.id);
        if can_check_nft {
            let check = Command::new("nft")
                .arg("-c")
                .arg("-f")
                .arg(&nft)
                .output()
                .unwrap();
            assert!(
                check.status.success(),
                "nft -c refuses {}: {}",
                role.id,
                String::from_utf8_lossy(&check.stderr)
            );
        }
        let ipt = std::fs::read_to_string(out.join(&role.id)).unwrap();
        assert!(ipt.contains("-P INPUT DROP"), "{ipt}");
        assert!(ipt.contains("-s 10.0.0.0/8"), "{}: {ipt}", role.id);
        assert!(ipt.contains("-s fd00::/8"), "{}: {ipt}", role.id);
    }
}

// ---------------------------------------------------------------------------------------------
// The kernel test: two generators, one answer.

/// This test's /24 (the brief's namespace range for this work: 10.203.85.0/24).
const CLIENT_IP: &str = "10.203.85.1";
const SERVER_IP: &str = "10.203.85.2";
const SOURCES: &str = "10.203.85.0/24";
/// The client's half of the /24 as the clients class, the other half as the peers.
const CLIENTS_CLASS: &str = "clients=10.203.85.0/25";
const PEERS_CLASS: &str = "peers=10.203.85.128/25";

/// A server and a client namespace joined by one veth pair: nothing leaves them. Removed
/// when dropped, even when the test fails.
struct Pair {
    server: String,
    client: String,
}

impl Pair {
    fn new() -> Pair {
        let tag = std::process::id() % 100_000;
        let pair = Pair {
            server: format!("pl-aes-{tag}"),
            client: format!("pl-aec-{tag}"),
        };
        pair.cleanup();
        let (s_if, c_if) = (format!("paes{tag}"), format!("paec{tag}"));
        netns_add(&pair.server);
        netns_add(&pair.client);
        run(
            "ip",
            &["link", "add", &s_if, "type", "veth", "peer", "name", &c_if],
        );
        run("ip", &["link", "set", &s_if, "netns", &pair.server]);
        run("ip", &["link", "set", &c_if, "netns", &pair.client]);
        for (ns, ifname, ip) in [
            (&pair.server, &s_if, SERVER_IP),
            (&pair.client, &c_if, CLIENT_IP),
        ] {
            let exec = |args: &[&str]| {
                let mut all = vec!["netns", "exec", ns.as_str()];
                all.extend_from_slice(args);
                run("ip", &all);
            };
            exec(&["ip", "addr", "add", &format!("{ip}/24"), "dev", ifname]);
            exec(&["ip", "link", "set", ifname, "up"]);
            exec(&["ip", "link", "set", "lo", "up"]);
        }
        // Closed UDP ports answer ICMP at once, not at the kernel's default rate.
        pair.in_server(&[
            "sysctl",
            "-qw",
            "net.ipv4.icmp_ratelimit=0",
            "net.ipv4.icmp_ratemask=0",
        ]);
        pair
    }

    fn in_server(&self, args: &[&str]) {
        let mut all = vec!["netns", "exec", self.server.as_str()];
        all.extend_from_slice(args);
        run("ip", &all);
    }

    /// The client must reach the server over the veth, never through a gateway.
    fn assert_route(&self) {
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.client,
                "ip",
                "-o",
                "route",
                "get",
                SERVER_IP,
            ])
            .output()
            .unwrap();
        let route = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && !route.contains(" via ") && route.contains(" dev paec"),
            "refusing to probe {SERVER_IP}: not routed over the test's veth ({})",
            route.trim()
        );
    }

    /// Loads an `nft -f` file into the server, replacing whatever ruleset it had.
    fn load(&self, ruleset: &Path) {
        self.in_server(&["nft", "flush", "ruleset"]);
        self.in_server(&["nft", "-f", ruleset.to_str().unwrap()]);
    }

    /// `portolan check` from the client: status per "port/transport".
    fn check(&self, spec: &str) -> BTreeMap<String, String> {
        self.assert_route();
        let bin = assert_cmd::cargo::cargo_bin("portolan");
        let out = Command::new("ip")
            .args(["netns", "exec", &self.client])
            .arg(&bin)
            .args([
                "check",
                SERVER_IP,
                "--ports",
                spec,
                "--no-verify",
                "--no-rpc",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        let check: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "check printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        common::results(&check)
            .into_iter()
            .map(|(k, v)| (k, v["status"].as_str().unwrap().to_string()))
            .collect()
    }

    fn cleanup(&self) {
        for ns in [&self.server, &self.client] {
            let _ = Command::new("ip").args(["netns", "delete", ns]).output();
        }
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.cleanup();
    }
}

/// The ports to probe for a plan, per transport: every single port of each rule, the ends
/// and middle of each range and the ports just outside it, and every fixed catalog port
/// (most of them outside the plan), both over TCP and UDP.
fn probes(plan: &serde_json::Value) -> (Vec<u16>, Vec<u16>) {
    let mut ports = std::collections::BTreeSet::new();
    for rule in plan["rules"].as_array().unwrap() {
        let Some(first) = rule["ports"]["first"].as_u64() else {
            continue; // IP protocols have no ports to probe
        };
        let last = rule["ports"]["last"].as_u64().unwrap();
        for p in [
            first,
            last,
            (first + last) / 2,
            first.saturating_sub(1),
            last + 1,
        ] {
            if (1..=65535).contains(&p) {
                ports.insert(p as u16);
            }
        }
    }
    let catalog = Catalog::builtin().unwrap();
    for (_, row) in catalog.rows() {
        if let Some(PortSpec::Single(p)) = row.port {
            ports.insert(p);
        }
    }
    let all: Vec<u16> = ports.into_iter().collect();
    (all.clone(), all)
}

/// True when a rule of the plan admits `port` from the client: its port range holds it and
/// its audience's IPv4 sources hold the client's address (or are any).
fn planned(plan: &serde_json::Value, transport: &str, port: u16) -> bool {
    let client: std::net::Ipv4Addr = CLIENT_IP.parse().unwrap();
    let holds = |cidr: &str| {
        let (net, len) = cidr.split_once('/').unwrap_or((cidr, "32"));
        let net: std::net::Ipv4Addr = net.parse().unwrap();
        let len: u32 = len.parse().unwrap();
        let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
        u32::from(client) & mask == u32::from(net) & mask
    };
    plan["rules"].as_array().unwrap().iter().any(|rule| {
        let audience = &plan["audiences"][rule["audience"].as_u64().unwrap() as usize];
        let from_client = audience["scopes"].as_array().unwrap().iter().any(|scope| {
            let sources = scope["sources"].as_array().unwrap();
            scope["family"] == "ipv4"
                && (sources.is_empty() || sources.iter().any(|n| holds(n.as_str().unwrap())))
        });
        rule["transport"] == transport
            && from_client
            && rule["ports"]["first"]
                .as_u64()
                .is_some_and(|f| f <= u64::from(port))
            && rule["ports"]["last"]
                .as_u64()
                .is_some_and(|l| u64::from(port) <= l)
    })
}

/// The IPv4 part of Aerleon's iptables output as an `iptables-restore` file: Aerleon writes
/// bare `-P`/`-N`/`-A` lines per filter (`# inet`, then `# inet6`), without the table and
/// COMMIT lines.
fn iptables_restore_v4(aerleon: &str) -> String {
    let v4 = aerleon
        .split("# Iptables INPUT Policy")
        .find(|part| part.contains("\n# inet\n"))
        .expect("an IPv4 filter");
    let mut out = String::from("*filter\n");
    for line in v4.lines().filter(|l| l.starts_with("-P ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        out.push_str(&format!(":{} {} [0:0]\n", words[1], words[2]));
    }
    for line in v4
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("-P "))
    {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("COMMIT\n");
    out
}

/// `extra`: request arguments both generators get (`--pin-rpc`).
fn prove_role(pair: &Pair, aclgen: &Path, role: &str, extra: &[&str]) {
    let dir = TempDir::new(&format!("aerleon-{role}"));
    export(&dir.0, &[&["--role", role][..], extra].concat());
    let out = run_aclgen(aclgen, &dir.0);
    let aerleon_nft = out.join(format!("{role}.nft"));
    let portolan_nft = dir.0.join("portolan.nft");
    portolan()
        .args(["plan", "--role", role, "--dialect", "nftables"])
        .args(extra)
        .arg("--output")
        .arg(&portolan_nft)
        .assert()
        .success();
    let plan = json_ok(
        portolan()
            .args(["plan", "--role", role, "--format", "json"])
            .args(extra),
    );

    let (tcp, udp) = probes(&plan);
    let list = |ports: &[u16]| {
        ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let spec = format!("tcp:{} udp:{}", list(&tcp), list(&udp));

    pair.load(&aerleon_nft);
    let by_aerleon = pair.check(&spec);
    // Aerleon's iptables output too: its IPv4 part, loaded with iptables-restore.
    let restore = dir.0.join("aerleon.v4");
    std::fs::write(
        &restore,
        iptables_restore_v4(&std::fs::read_to_string(out.join(role)).unwrap()),
    )
    .unwrap();
    pair.in_server(&["nft", "flush", "ruleset"]);
    pair.in_server(&["iptables-restore", restore.to_str().unwrap()]);
    let by_aerleon_iptables = pair.check(&spec);
    // Undone whichever iptables backend this is (legacy tables outlive `nft flush ruleset`).
    pair.in_server(&["iptables", "-P", "INPUT", "ACCEPT"]);
    pair.in_server(&["iptables", "-F"]);
    pair.in_server(&["iptables", "-X"]);
    pair.load(&portolan_nft);
    let by_portolan = pair.check(&spec);
    pair.in_server(&["nft", "flush", "ruleset"]);
    assert_eq!(
        by_aerleon_iptables, by_aerleon,
        "{role}: Aerleon's iptables and nftables outputs differ"
    );

    assert_eq!(
        by_aerleon.len(),
        tcp.len() + udp.len(),
        "{role}: every probe answered"
    );
    let mut admitted = 0;
    for (key, status) in &by_portolan {
        let (port, transport) = key.split_once('/').unwrap();
        let open = planned(&plan, transport, port.parse().unwrap());
        // Nothing listens: an admitted TCP port refuses, an admitted UDP port answers ICMP
        // port unreachable; a dropped one stays silent.
        let expected: &[&str] = match (open, transport) {
            (true, _) => &["NOT LISTENING", "LISTENING"],
            (false, "tcp") => &["FILTERED"],
            (false, _) => &["LISTENING OR FILTERED"],
        };
        assert!(
            expected.contains(&status.as_str()),
            "{role}: portolan's ruleset, {key}: {status}"
        );
        if open {
            admitted += 1;
        }
        assert_eq!(
            by_aerleon.get(key),
            Some(status),
            "{role}: {key} is {status} behind portolan's ruleset but not behind Aerleon's"
        );
    }
    assert!(
        admitted >= 2 && by_portolan.len() - admitted >= 2,
        "{role}: {admitted} admitted of {}: the proof needs both",
        by_portolan.len()
    );
}

#[test]
#[ignore = "needs root (network namespaces, nft) and aclgen: run by scripts/test.sh"]
fn aerleon_and_portolan_rulesets_admit_the_same_flows_in_a_kernel() {
    assert!(is_root(), "needs root (network namespaces)");
    for tool in ["nft", "iptables-restore"] {
        assert!(
            Command::new(tool).arg("--version").output().is_ok(),
            "needs {tool} (apt-get install nftables iptables)"
        );
    }
    let Some(aclgen) = aclgen() else { return };
    let pair = Pair::new();
    for role in [
        "domain-controller",
        "file-server",
        "vpn-gateway",
        "web-server",
    ] {
        prove_role(&pair, &aclgen, role, &["--from", SOURCES]);
    }
    prove_role(
        &pair,
        &aclgen,
        "domain-controller",
        &["--from", SOURCES, "--pin-rpc", "10000"],
    );
    // Sources per class: the client is among the clients, not the peers, so the rows only
    // domain controllers need (replication) are dropped for it by both generators.
    prove_role(
        &pair,
        &aclgen,
        "domain-controller",
        &["--from", CLIENTS_CLASS, "--from", PEERS_CLASS],
    );
}

/// docs/aerleon.md quotes the export: its excerpts stay the real output.
#[test]
fn the_documented_excerpts_are_the_real_export() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/aerleon.md"
    ))
    .unwrap();
    let dir = TempDir::new("aerleon-docs");
    export(
        &dir.0,
        &["--role", "domain-controller", "--from", "10.0.0.0/8"],
    );
    let svc = std::fs::read_to_string(dir.0.join("def/SERVICES.svc")).unwrap();
    let pol = std::fs::read_to_string(dir.0.join("policies/pol/domain-controller.pol")).unwrap();
    let blocks: Vec<&str> = doc.split("```").skip(1).step_by(2).collect();
    let services = blocks
        .iter()
        .find(|b| b.contains("KERBEROS_KDC_TCP = "))
        .expect("a SERVICES.svc excerpt");
    let excerpt = services.trim_start_matches('\n').trim_end_matches("...\n");
    assert!(
        svc.contains(excerpt),
        "docs/aerleon.md:\n{excerpt}\nexport:\n{svc}"
    );
    let term = blocks
        .iter()
        .find(|b| b.contains("term kerberos-kdc-tcp {"))
        .expect("a policy excerpt");
    for part in term.trim().split("\n\n") {
        assert!(
            pol.contains(part),
            "docs/aerleon.md:\n{part}\npolicy:\n{pol}"
        );
    }
}
