//! The kernel end-to-end proof of `plan`: a network namespace listens on every TCP and UDP
//! port of the catalog, the nftables ruleset portolan plans for a role is loaded into it,
//! and `portolan check` from outside finds exactly the planned ports reachable and every
//! other one filtered. Needs root (namespaces, nft): ignored by a plain
//! `cargo test`, run by scripts/test.sh.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use portolan_testkit::{is_root, netns_add, run};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command};

use common::{json_run, portolan};
use portolan_catalog::{Catalog, PortSpec, Transport};

const HOST_IP: &str = "10.203.8.1";
const NS_IP: &str = "10.203.8.2";

/// Root, `ip`, `nft` and `python3` are needed. The test is `#[ignore]`d, so it runs only when
/// asked for (scripts/test.sh, as root); asked for without them, it fails.
fn require_prerequisites() {
    let missing: Vec<&str> = [("ip", "-V"), ("nft", "--version"), ("python3", "--version")]
        .into_iter()
        .filter(|(tool, arg)| Command::new(tool).arg(arg).output().is_err())
        .map(|(tool, _)| tool)
        .collect();
    assert!(is_root(), "needs root (network namespaces)");
    assert!(missing.is_empty(), "missing {}", missing.join(", "));
}

/// A namespace with a veth to the host, removed (with its listener) when dropped.
struct Namespace {
    name: String,
    host_if: String,
    listener: Option<Child>,
    dir: PathBuf,
}

impl Namespace {
    fn new() -> Namespace {
        let tag = std::process::id() % 100_000;
        let ns = Namespace {
            name: format!("pl-e2e-{tag}"),
            host_if: format!("pe2e{tag}h"),
            listener: None,
            dir: std::env::temp_dir().join(format!("portolan-e2e-{tag}")),
        };
        let ns_if = format!("pe2e{tag}n");
        ns.cleanup();
        std::fs::create_dir_all(&ns.dir).unwrap();
        netns_add(&ns.name);
        run(
            "ip",
            &[
                "link",
                "add",
                &ns.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &ns_if,
            ],
        );
        run("ip", &["link", "set", &ns_if, "netns", &ns.name]);
        run(
            "ip",
            &["addr", "add", &format!("{HOST_IP}/24"), "dev", &ns.host_if],
        );
        run("ip", &["link", "set", &ns.host_if, "up"]);
        let exec = |args: &[&str]| {
            let mut all = vec!["netns", "exec", ns.name.as_str()];
            all.extend_from_slice(args);
            run("ip", &all);
        };
        exec(&["ip", "addr", "add", &format!("{NS_IP}/24"), "dev", &ns_if]);
        exec(&["ip", "link", "set", &ns_if, "up"]);
        exec(&["ip", "link", "set", "lo", "up"]);
        // Closed UDP ports must answer ICMP at once, not at the kernel's default rate.
        exec(&[
            "sysctl",
            "-qw",
            "net.ipv4.icmp_ratelimit=0",
            "net.ipv4.icmp_ratemask=0",
        ]);
        ns
    }

    fn exec(&self, args: &[&str]) {
        let mut all = vec!["netns", "exec", self.name.as_str()];
        all.extend_from_slice(args);
        run("ip", &all);
    }

    fn cleanup(&self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .output();
        let _ = Command::new("ip")
            .args(["link", "delete", &self.host_if])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        if let Some(mut child) = self.listener.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.cleanup();
    }
}

/// Every fixed listener port of the catalog, per transport.
fn catalog_ports() -> BTreeSet<(Transport, u16)> {
    let catalog = Catalog::builtin().unwrap();
    catalog
        .rows()
        .filter(|(_, r)| r.listener && r.transport.has_ports())
        .filter_map(|(_, r)| match r.port {
            Some(PortSpec::Single(p)) => Some((r.transport, p)),
            _ => None,
        })
        .collect()
}

/// The ports a plan opens, from `plan --json`.
fn planned(plan: &serde_json::Value, transport: &str, port: u16) -> bool {
    plan["rules"].as_array().unwrap().iter().any(|rule| {
        rule["transport"] == transport
            && rule["ports"]["first"].as_u64().unwrap() <= u64::from(port)
            && u64::from(port) <= rule["ports"]["last"].as_u64().unwrap()
    })
}

fn prove_role(role: &str) {
    let ns = &mut Namespace::new();
    let ports = catalog_ports();
    let ready = ns.dir.join("ready");
    let listener = concat!(env!("CARGO_MANIFEST_DIR"), "/../../lab/echo-listener.py");
    let mut args: Vec<String> = vec![
        "netns".into(),
        "exec".into(),
        ns.name.clone(),
        "python3".into(),
        listener.into(),
        NS_IP.into(),
        ready.display().to_string(),
    ];
    args.extend(ports.iter().map(|(t, p)| format!("{}/{p}", t.key())));
    ns.listener = Some(Command::new("ip").args(&args).spawn().unwrap());
    for _ in 0..200 {
        if ready.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(ready.exists(), "the listener did not start");

    let ruleset = ns.dir.join("plan.nft");
    portolan()
        .args(["plan", "--role", role, "--dialect", "nftables", "--output"])
        .arg(&ruleset)
        .assert()
        .success();
    ns.exec(&["nft", "-f", ruleset.to_str().unwrap()]);
    let plan: serde_json::Value = serde_json::from_slice(
        &portolan()
            .args(["plan", "--role", role, "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();

    let list = |t: Transport| {
        ports
            .iter()
            .filter(|(tr, _)| *tr == t)
            .map(|(_, p)| p.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let spec = format!("tcp:{} udp:{}", list(Transport::Tcp), list(Transport::Udp));
    let (_, check) = json_run(&["check", NS_IP, "--ports", &spec, "--no-verify", "--no-rpc"]);
    let results = common::results(&check);
    assert_eq!(results.len(), ports.len());
    let mut opened = 0;
    for (transport, port) in &ports {
        let key = format!("{port}/{}", transport.key());
        let status = results[&key]["status"].as_str().unwrap();
        let expected = match (planned(&plan, &transport.key(), *port), transport) {
            (true, _) => {
                opened += 1;
                "LISTENING"
            }
            (false, Transport::Tcp) => "FILTERED",
            (false, _) => "LISTENING OR FILTERED",
        };
        assert_eq!(status, expected, "{role}: {key} {:#}", results[&key]);
    }
    let closed = ports.len() - opened;
    assert!(
        opened >= 2 && closed >= 2,
        "{role}: {opened} opened, {closed} filtered: the proof needs both"
    );
}

/// One test, roles in turn: they share the namespace's addresses.
#[test]
#[ignore = "needs root (network namespaces, nft): run by scripts/test.sh"]
fn nftables_plans_are_exact_in_a_real_kernel() {
    require_prerequisites();
    for role in [
        "domain-controller",
        "file-server",
        "web-server",
        "mail-server",
    ] {
        prove_role(role);
    }
}
