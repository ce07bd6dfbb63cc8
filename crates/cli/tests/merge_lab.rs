//! Two vantage points, one host, a firewall between one of them and the host: `merge` must
//! find the port LISTENING from one and FILTERED from the other, and nothing else.
//!
//! Kernel namespaces made here (10.203.80.0/24, 10.203.81.0/24 and 10.203.82.1, inside the
//! blackholed 10.203.0.0/16): a target namespace reached from the host over one veth and from
//! a second namespace, the other vantage, over another; on the target, 10.203.82.1 listens
//! on two TCP ports and nftables drops one of them from the second veth only. Everything is
//! removed at the end, failed or not. Needs root: ignored by a plain `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use portolan_testkit::{netns_add, run};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use common::{json_exit, portolan};

const TARGET: &str = "10.203.82.1";
const OPEN: u16 = 18080;
const DROPPED: u16 = 18081;
const CLOSED: u16 = 18082;

struct Lab {
    target: String,
    zone_b: String,
    host_if: String,
    listener: Option<Child>,
    dir: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let tag = std::process::id() % 100_000;
        let lab = Lab {
            target: format!("pl-r14t-{tag}"),
            zone_b: format!("pl-r14b-{tag}"),
            host_if: format!("pr14{tag}h"),
            listener: None,
            dir: std::env::temp_dir().join(format!("portolan-merge-lab-{tag}")),
        };
        lab.cleanup();
        std::fs::create_dir_all(&lab.dir).unwrap();
        let (t, b) = (lab.target.as_str(), lab.zone_b.as_str());
        let (target_a, target_b, b_if) = (
            format!("pr14{tag}t"),
            format!("pr14{tag}u"),
            format!("pr14{tag}b"),
        );
        netns_add(t);
        netns_add(b);
        // Host <-> target: 10.203.80.1 <-> 10.203.80.2.
        run(
            "ip",
            &[
                "link",
                "add",
                &lab.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &target_a,
            ],
        );
        run("ip", &["link", "set", &target_a, "netns", t]);
        run(
            "ip",
            &["addr", "add", "10.203.80.1/24", "dev", &lab.host_if],
        );
        run("ip", &["link", "set", &lab.host_if, "up"]);
        run(
            "ip",
            &[
                "route",
                "add",
                &format!("{TARGET}/32"),
                "via",
                "10.203.80.2",
            ],
        );
        // Zone B <-> target: 10.203.81.1 <-> 10.203.81.2.
        run(
            "ip",
            &[
                "link", "add", &b_if, "type", "veth", "peer", "name", &target_b,
            ],
        );
        run("ip", &["link", "set", &b_if, "netns", b]);
        run("ip", &["link", "set", &target_b, "netns", t]);
        let in_ns = |ns: &str, args: &[&str]| {
            let mut all = vec!["netns", "exec", ns];
            all.extend_from_slice(args);
            run("ip", &all)
        };
        in_ns(
            t,
            &["ip", "addr", "add", "10.203.80.2/24", "dev", &target_a],
        );
        in_ns(
            t,
            &["ip", "addr", "add", "10.203.81.2/24", "dev", &target_b],
        );
        in_ns(
            t,
            &["ip", "addr", "add", &format!("{TARGET}/32"), "dev", "lo"],
        );
        for link in ["lo", target_a.as_str(), target_b.as_str()] {
            in_ns(t, &["ip", "link", "set", link, "up"]);
        }
        in_ns(b, &["ip", "addr", "add", "10.203.81.1/24", "dev", &b_if]);
        in_ns(b, &["ip", "link", "set", &b_if, "up"]);
        in_ns(b, &["ip", "link", "set", "lo", "up"]);
        in_ns(
            b,
            &[
                "ip",
                "route",
                "add",
                &format!("{TARGET}/32"),
                "via",
                "10.203.81.2",
            ],
        );
        let rules = format!(
            "table inet r14 {{\n  chain input {{\n    type filter hook input priority 0; policy accept;\n    iifname \"{target_b}\" tcp dport {DROPPED} drop\n  }}\n}}\n"
        );
        let ruleset = lab.dir.join("rules.nft");
        std::fs::write(&ruleset, rules).unwrap();
        in_ns(t, &["nft", "-f", ruleset.to_str().unwrap()]);
        lab
    }

    fn listen(&mut self) {
        // Two listening sockets for at most 120 s; the handshake completes from the backlog.
        let script = format!(
            "import socket, time\nsockets = []\nfor port in ({OPEN}, {DROPPED}):\n    s = socket.socket()\n    s.bind(('{TARGET}', port))\n    s.listen(64)\n    sockets.append(s)\nprint('ready', flush=True)\ntime.sleep(120)\n"
        );
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.target, "python3", "-c", &script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line.trim(), "ready");
        self.listener = Some(child);
    }

    fn cleanup(&self) {
        for ns in [&self.target, &self.zone_b] {
            let _ = Command::new("ip").args(["netns", "delete", ns]).output();
        }
        let _ = Command::new("ip")
            .args(["link", "delete", &self.host_if])
            .output();
        let _ = Command::new("ip")
            .args(["route", "delete", &format!("{TARGET}/32")])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut child) = self.listener.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.cleanup();
    }
}

fn check(prefix: &[&str], vantage: &str) -> String {
    let ports = format!("tcp:{OPEN},{DROPPED},{CLOSED}");
    let output = Command::new(prefix[0])
        .args(&prefix[1..])
        .arg(env!("CARGO_BIN_EXE_portolan"))
        .args(["check", TARGET, "--ports", &ports, "--vantage", vantage])
        .args(["--format", "jsonl", "--timeout", "300ms"])
        .output()
        .unwrap();
    // Exit 1: not every port listens.
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
#[ignore = "needs root: network namespaces, veth and nftables (run as root with --include-ignored)"]
fn merge_finds_the_port_one_zone_reaches_and_the_other_does_not() {
    let mut lab = Lab::new();
    lab.listen();
    // Only ever probe our own namespaces: the host's route to the target is our veth.
    let route = run("ip", &["route", "get", TARGET]);
    assert!(route.contains(&lab.host_if), "route to {TARGET}: {route}");
    let route_b = run(
        "ip",
        &["netns", "exec", &lab.zone_b, "ip", "route", "get", TARGET],
    );
    assert!(route_b.contains("10.203.81.2"), "zone B's route: {route_b}");

    let zone_a = lab.dir.join("zone-a.jsonl");
    let zone_b = lab.dir.join("zone-b.jsonl");
    std::fs::write(&zone_a, check(&["env"], "zone-a")).unwrap();
    std::fs::write(
        &zone_b,
        check(&["ip", "netns", "exec", &lab.zone_b], "zone-b"),
    )
    .unwrap();
    let (a, b) = (zone_a.to_str().unwrap(), zone_b.to_str().unwrap());

    let merged = json_exit(portolan().args(["merge", a, b, "--format", "json"]), 1);
    assert_eq!(merged["vantages"], serde_json::json!(["zone-a", "zone-b"]));
    let rows: Vec<(u64, &str, Vec<&str>)> = merged["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["port"].as_u64().unwrap(),
                r["agreement"].as_str().unwrap(),
                r["verdicts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (u64::from(OPEN), "agree", vec!["LISTENING", "LISTENING"]),
            (u64::from(DROPPED), "differ", vec!["LISTENING", "FILTERED"]),
            (
                u64::from(CLOSED),
                "agree",
                vec!["NOT LISTENING", "NOT LISTENING"]
            ),
        ]
    );
    assert_eq!(merged["differences"].as_array().unwrap().len(), 1);

    let page = lab.dir.join("report.html");
    portolan()
        .args(["report", a, b, "-o", page.to_str().unwrap()])
        .assert()
        .code(0);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<td class=\"L d\">L</td><td class=\"F d\">F</td>"));
}
