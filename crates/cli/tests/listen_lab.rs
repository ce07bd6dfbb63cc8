//! `portolan listen` proven in network namespaces (issue 13): a listener behind an nftables
//! rule set made by `portolan plan` with some rules removed, checked from another namespace;
//! a SYN proxy the listener-aware check tells apart; a burst of junk that gets no answer
//! larger than itself and no more answers than the rate limit allows.
//!
//! Namespaces and addresses are this test's own, in 10.203.50.0/24 to 10.203.55.0/24, made
//! with lab/lib.sh's make_netns and removed on drop, failure or not. Traffic goes only to
//! them, and the route to each target is checked to leave over the test's veth first.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const PORTOLAN: &str = env!("CARGO_BIN_EXE_portolan");

fn lib_sh() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lab/lib.sh")
}

/// Runs a bash script with lab/lib.sh sourced; its stdout, or a panic with its output.
fn sh(script: &str) -> String {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -eu; source '{}'; {script}",
            lib_sh().display()
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Namespaces made with make_netns, removed (with what runs in them) on drop.
struct Namespaces {
    made: Vec<(String, String)>,
    files: Vec<PathBuf>,
}

impl Namespaces {
    fn new() -> Namespaces {
        Namespaces {
            made: Vec::new(),
            files: Vec::new(),
        }
    }

    /// make_netns NS HOST_IF NS_IF HOST_IP NS_IP.
    fn make(&mut self, ns: &str, host_if: &str, ns_if: &str, host_ip: &str, ns_ip: &str) {
        self.made.push((ns.to_string(), host_if.to_string()));
        sh(&format!(
            "remove_netns {ns} {host_if} 2>/dev/null; make_netns {ns} {host_if} {ns_if} {host_ip} {ns_ip}"
        ));
    }

    fn file(&mut self, name: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("portolan-listen13-{}-{name}", std::process::id()));
        self.files.push(path.clone());
        path
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for (ns, host_if) in self.made.iter().rev() {
            let _ = Command::new("bash")
                .arg("-c")
                .arg(format!(
                    "source '{}'; remove_netns {ns} {host_if}",
                    lib_sh().display()
                ))
                .output();
        }
        for file in &self.files {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// A running `portolan listen` inside a namespace, stopped with SIGINT.
struct Listen {
    child: Option<Child>,
}

impl Listen {
    fn start(ns: &str, args: &[&str]) -> Listen {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, PORTOLAN, "listen", "--quiet"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Ready when it says what it listens on (bounded: the process ends if it fails).
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let mut said = String::new();
        for line in lines.by_ref().take(200) {
            let line = line.unwrap();
            said.push_str(&line);
            said.push('\n');
            if line.starts_with("listening on") {
                std::thread::spawn(move || lines.for_each(drop));
                return Listen { child: Some(child) };
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("listen did not start: {said}");
    }

    /// Stops it as Ctrl-C would; its exit code and summary.
    fn stop(mut self) -> (i32, String) {
        let child = self.child.take().unwrap();
        let pid = child.id().to_string();
        // `ip netns exec` execs the command, so the pid is portolan's.
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn in_ns(ns: &str, args: &[&str]) -> std::process::Output {
    Command::new("ip")
        .args(["netns", "exec", ns, PORTOLAN])
        .args(args)
        .output()
        .unwrap()
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn key(record: &Value) -> (String, u64) {
    (
        record["transport"].as_str().unwrap().to_string(),
        record["port"].as_u64().unwrap(),
    )
}

const ROLES: &[&str] = &[
    "--role",
    "domain-controller",
    "--role",
    "vpn-gateway",
    "--role",
    "radius-server",
    "--include-optional",
];

/// Rules taken out of the plan (as the plan writes them)...
const REMOVED_RULES: &[&str] = &[
    "tcp dport 445 accept",
    "tcp dport 1723 accept",
    "udp dport 123 accept",
    "udp dport { 1645-1646, 1812-1813 } accept",
];
/// ... and their ports, which must come back dropped.
const REMOVED: &[(&str, u64)] = &[
    ("tcp", 445),
    ("tcp", 1723),
    ("udp", 123),
    ("udp", 1645),
    ("udp", 1646),
    ("udp", 1812),
    ("udp", 1813),
];

#[test]
#[ignore = "needs root: network namespaces, nftables"]
fn verdicts_behind_a_planned_rule_set_match_it_port_by_port() {
    let mut lab = Namespaces::new();
    lab.make(
        "pl-l13-srv",
        "pl13s-h",
        "pl13s-n",
        "10.203.50.1",
        "10.203.50.2",
    );
    lab.make(
        "pl-l13-cli",
        "pl13c-h",
        "pl13c-n",
        "10.203.51.1",
        "10.203.51.2",
    );
    // The client reaches the server over its own link, 10.203.52.0/24, not through this host.
    sh("ip link add pl13x type veth peer name pl13y; \
        ip link set pl13x netns pl-l13-srv; ip link set pl13y netns pl-l13-cli; \
        ip -n pl-l13-srv addr add 10.203.52.2/24 dev pl13x; ip -n pl-l13-srv link set pl13x up; \
        ip -n pl-l13-cli addr add 10.203.52.1/24 dev pl13y; ip -n pl-l13-cli link set pl13y up");
    let route = sh("ip netns exec pl-l13-cli ip route get 10.203.52.2");
    assert!(route.contains("dev pl13y"), "{route}");

    // The plan for the three roles, admitting the client's link, some rules removed.
    let plan = std::process::Command::new(PORTOLAN)
        .args(["plan", "--from", "10.203.52.0/24", "--dialect", "nftables"])
        .args(&ROLES[..ROLES.len() - 1]) // a plan takes the optional rows by default
        .output()
        .unwrap();
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let plan = String::from_utf8(plan.stdout).unwrap();
    for rule in REMOVED_RULES {
        assert!(plan.contains(rule), "{rule} in {plan}");
    }
    let mut kept = String::new();
    for line in plan.lines() {
        let removed = REMOVED_RULES.iter().any(|rule| line.contains(rule));
        if !removed {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    assert_eq!(
        plan.lines().count() - kept.lines().count(),
        REMOVED_RULES.len(),
        "rules removed"
    );
    let rules = lab.file("rules.nft");
    std::fs::write(&rules, kept).unwrap();
    sh(&format!(
        "ip netns exec pl-l13-srv nft -f '{}'",
        rules.display()
    ));

    let log = lab.file("hits.jsonl");
    let log_arg = log.display().to_string();
    let mut args = vec!["--log", &log_arg];
    args.extend_from_slice(ROLES);
    let listen = Listen::start("pl-l13-srv", &args);

    // The listener-aware check, then a plain one.
    // With the endpoint mapper: the check follows the stand-in's dynamic RPC ports.
    let mut check = vec![
        "check",
        "10.203.52.2",
        "--format",
        "jsonl",
        "--timeout",
        "1s",
    ];
    check.extend_from_slice(ROLES);
    let mut aware = check.clone();
    aware.push("--expect-listener");
    let aware = lines(&String::from_utf8_lossy(
        &in_ns("pl-l13-cli", &aware).stdout,
    ));
    let plain = lines(&String::from_utf8_lossy(
        &in_ns("pl-l13-cli", &check).stdout,
    ));
    let (code, summary) = listen.stop();
    assert_eq!(code, 1, "some ports were never hit: {summary}");

    assert!(aware.len() > 20, "{aware:?}");
    let dynamic: Vec<&Value> = aware
        .iter()
        .filter(|r| r["origin"] == "endpoint-mapper")
        .collect();
    assert!(
        !dynamic.is_empty(),
        "the mapper's ports were followed: {aware:?}"
    );
    let mut seen = BTreeMap::new();
    for record in &aware {
        let (transport, port) = key(record);
        let status = record["status"].as_str().unwrap();
        let dropped = REMOVED.contains(&(transport.as_str(), port));
        let what = format!("{transport}/{port}: {record}");
        match (dropped, transport.as_str()) {
            (true, "tcp") => assert_eq!(status, "FILTERED", "{what}"),
            (true, _) => assert_eq!(status, "LISTENING OR FILTERED", "{what}"),
            (false, "tcp") => {
                assert_eq!(status, "LISTENING", "{what}");
                assert_eq!(record["verification"]["outcome"], "verified", "{what}");
            }
            (false, _) => {
                assert_eq!(status, "LISTENING", "{what}");
                assert!(
                    record["evidence"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("reached the portolan listener"),
                    "{what}"
                );
            }
        }
        seen.insert((transport, port), status.to_string());
    }
    for removed in REMOVED {
        assert!(
            seen.contains_key(&(removed.0.to_string(), removed.1)),
            "{removed:?} checked"
        );
    }

    // Without the hello, every allowed UDP port whose probe an answer can fit is LISTENING
    // on the protocol's answer alone.
    let unanswerable = [13, 17, 19, 138, 162, 1434];
    for record in &plain {
        let (transport, port) = key(record);
        if transport == "udp" && !REMOVED.contains(&("udp", port)) && !unanswerable.contains(&port)
        {
            assert_eq!(record["status"], "LISTENING", "plain udp/{port}: {record}");
        }
    }

    // The listener's log: every allowed port hit from the client, no dropped port hit.
    let hits = lines(&std::fs::read_to_string(&log).unwrap());
    assert!(!hits.is_empty());
    for hit in &hits {
        assert_eq!(hit["source"], "10.203.52.1", "{hit}");
        let (transport, port) = key(hit);
        assert!(
            !REMOVED.contains(&(transport.as_str(), port)),
            "a dropped port was hit: {hit}"
        );
    }
    for ((transport, port), status) in &seen {
        let hit = hits.iter().any(|h| key(h) == (transport.clone(), *port));
        assert_eq!(hit, status == "LISTENING", "{transport}/{port} {status}");
    }
    assert!(summary.contains("not hit"), "{summary}");
}

#[test]
#[ignore = "needs root: network namespaces, nftables synproxy"]
fn a_syn_proxy_is_told_from_the_listener_and_junk_is_not_amplified() {
    let mut lab = Namespaces::new();
    lab.make(
        "pl-l13-mb",
        "pl13m-h",
        "pl13m-n",
        "10.203.53.1",
        "10.203.53.2",
    );
    let route = sh("ip route get 10.203.53.2");
    assert!(route.contains("dev pl13m-h"), "{route}");
    // A SYN proxy on 8443, where nothing listens: it completes every handshake itself.
    let rules = lab.file("synproxy.nft");
    std::fs::write(
        &rules,
        "table ip middlebox {\n\
         chain pre { type filter hook prerouting priority raw; policy accept; tcp dport 8443 tcp flags syn notrack; }\n\
         chain in { type filter hook input priority filter; policy accept;\n\
           tcp dport 8443 ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm;\n\
           tcp dport 8443 ct state invalid drop; }\n\
         }\n",
    )
    .unwrap();
    sh(&format!(
        "ip netns exec pl-l13-mb sysctl -q -w net.netfilter.nf_conntrack_tcp_loose=0 || true; \
         ip netns exec pl-l13-mb nft -f '{}'",
        rules.display()
    ));
    const RATE: u32 = 20;
    let udp_ports =
        "7,53,67,69,88,123,137,161,162,389,464,500,1434,1645,1646,1701,1812,1813,1900,4011,4500";
    let ports = format!("tcp:25,2525 udp:{udp_ports}");
    let rate = RATE.to_string();
    let listen = Listen::start(
        "pl-l13-mb",
        &[
            "--ports",
            &ports,
            "--rate-limit",
            &rate,
            "--address",
            "10.203.53.2",
        ],
    );

    // Plain connects: the proxy's port is as LISTENING as the listener's.
    let run = |extra: &[&str]| {
        let out = Command::new(PORTOLAN)
            .args([
                "check",
                "10.203.53.2",
                "--ports",
                "tcp:2525,8443",
                "--format",
                "jsonl",
                "--timeout",
                "1s",
            ])
            .args(extra)
            .output()
            .unwrap();
        lines(&String::from_utf8_lossy(&out.stdout))
    };
    let plain = run(&["--no-verify"]);
    assert_eq!(plain.len(), 2, "{plain:?}");
    for record in &plain {
        assert_eq!(record["status"], "LISTENING", "{record}");
    }
    // The listener-aware check tells them apart.
    let aware = run(&["--expect-listener"]);
    for record in &aware {
        let port = record["port"].as_u64().unwrap();
        assert_eq!(record["status"], "LISTENING", "{record}");
        let verification = &record["verification"];
        if port == 2525 {
            assert_eq!(verification["outcome"], "verified", "{record}");
        } else {
            assert_ne!(verification["outcome"], "verified", "{record}");
            assert!(
                verification["detail"]
                    .as_str()
                    .unwrap()
                    .contains("not the portolan listener"),
                "{record}"
            );
        }
    }

    // Amplification: 1,000 small junk datagrams from one source to every UDP port, then
    // 1,000 hellos to one port. No answer is larger than its request; the answers to the
    // source stay within the rate limit over the time the burst took.
    let socket = UdpSocket::bind("10.203.53.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let started = Instant::now();
    let mut sent_by_port = BTreeMap::new();
    const JUNK_LEN: usize = 6;
    for port in udp_ports.split(',').map(|p| p.parse::<u16>().unwrap()) {
        for i in 0..1000u32 {
            let mut junk = [0u8; JUNK_LEN];
            junk[..4].copy_from_slice(&i.to_be_bytes());
            junk[4] = port as u8;
            junk[5] = 0xa5;
            socket.send_to(&junk, ("10.203.53.2", port)).unwrap();
        }
        sent_by_port.insert(port, 1000);
    }
    let token = portolan_wire_hello_ping();
    for _ in 0..1000 {
        socket.send_to(&token, ("10.203.53.2", 53)).unwrap();
    }
    let mut answers = 0u32;
    let mut buffer = [0u8; 2048];
    // Bounded: at most as many answers as datagrams sent, each read waits 300 ms at most.
    for _ in 0..(sent_by_port.len() * 1000 + 1000) {
        match socket.recv_from(&mut buffer) {
            Ok((len, from)) => {
                answers += 1;
                let limit = if from.port() == 53 && len == token.len() {
                    token.len()
                } else {
                    JUNK_LEN
                };
                assert!(
                    len <= limit,
                    "{len} byte answer from {from} to a {limit} byte request"
                );
            }
            Err(_) => break,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let allowed = f64::from(RATE) * (1.0 + elapsed) + 1.0;
    assert!(answers > 0, "the hellos got answers");
    assert!(
        f64::from(answers) <= allowed,
        "{answers} answers in {elapsed:.2}s, over the limit of {RATE}/s"
    );
    let (_, summary) = listen.stop();
    assert!(summary.contains("over the rate limit"), "{summary}");
}

/// A portolan hello as `check --expect-listener` sends it (the format of docs/listen.md).
fn portolan_wire_hello_ping() -> Vec<u8> {
    b"PORTOLAN/1 PING 0123456789abcdef0123456789abcdef\n".to_vec()
}
