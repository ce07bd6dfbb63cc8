//! Source classes in a real kernel: a namespace listens on a domain controller's Kerberos,
//! AD Web Services and WinRM ports, the nftables plan for `--from clients=A --from
//! management=B` is loaded into it, and connections from the host's two addresses find
//! Kerberos open only to the client address and ADWS and WinRM only to the management one.
//! Needs root (namespaces, nft): ignored by a plain `cargo test`, run by scripts/test.sh.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::portolan;

/// This test's addresses: the helper's /24 (10.203.60.0/24).
const CLIENT_IP: &str = "10.203.60.1";
const NS_IP: &str = "10.203.60.2";
const MANAGEMENT_IP: &str = "10.203.60.3";

const LIB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../lab/lib.sh");

/// Runs a bash script that sources lab/lib.sh; its output, or a panic with its stderr.
fn bash(script: &str) -> String {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -euo pipefail; LAB_TAG=plan-classes; . {LIB}; {script}"
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash: {script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The namespace and its veth, removed when dropped, even when the test fails.
struct Namespace {
    name: String,
    host_if: String,
}

impl Namespace {
    fn new() -> Namespace {
        let tag = std::process::id() % 10_000;
        let ns = Namespace {
            name: format!("pl-cls-{tag}"),
            host_if: format!("pcls{tag}h"),
        };
        ns.remove();
        bash(&format!(
            "make_netns {} {} pcls{tag}n {CLIENT_IP} {NS_IP}; ip addr add {MANAGEMENT_IP}/24 dev {}",
            ns.name, ns.host_if, ns.host_if
        ));
        // Traffic to the namespace must leave through our veth, never elsewhere.
        let route = bash(&format!("ip -4 route get {NS_IP}"));
        assert!(route.contains(&ns.host_if), "route to {NS_IP}: {route}");
        ns
    }

    fn remove(&self) {
        let _ = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "LAB_TAG=plan-classes; . {LIB}; remove_netns {} {}",
                self.name, self.host_if
            ))
            .output();
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Listeners inside the namespace on `ports`, for at most 60 seconds.
const LISTENER: &str = r#"
import socket, sys, time, select
socks = []
for p in map(int, sys.argv[1:]):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", p)); s.listen(16); socks.append(s)
print("ready", flush=True)
end = time.time() + 60
while time.time() < end:
    r, _, _ = select.select(socks, [], [], 0.5)
    for s in r:
        c, _ = s.accept(); c.close()
"#;

/// True when a TCP connection from `source` to the namespace's `port` is accepted within a
/// second.
fn connects(source: &str, port: u16) -> bool {
    let code = format!(
        "import socket\ns = socket.socket(); s.settimeout(1.0); s.bind(('{source}', 0))\n\
         try:\n    s.connect(('{NS_IP}', {port})); print('open')\nexcept OSError:\n    print('closed')"
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(code)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "open"
}

#[test]
#[ignore = "needs root: network namespaces and nft"]
fn each_class_reaches_only_its_ports() {
    for tool in ["ip", "nft", "python3"] {
        assert!(
            Command::new("which")
                .arg(tool)
                .output()
                .unwrap()
                .status
                .success(),
            "missing {tool}"
        );
    }
    let ns = Namespace::new();
    let mut listener = Command::new("ip")
        .args([
            "netns", "exec", &ns.name, "python3", "-c", LISTENER, "88", "9389", "5985",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(listener.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
    }
    // Before the plan, both addresses reach every port.
    for source in [CLIENT_IP, MANAGEMENT_IP] {
        assert!(connects(source, 88) && connects(source, 9389), "{source}");
    }
    let out = portolan()
        .args(["plan", "--role", "domain-controller", "--no-optional"])
        .args(["--from", &format!("clients={CLIENT_IP}")])
        .args(["--from", &format!("management={MANAGEMENT_IP}")])
        .args(["--from", "peers=10.203.60.4"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let dir = std::env::temp_dir().join(format!("portolan-classes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("plan.nft");
    std::fs::write(&file, &out.stdout).unwrap();
    bash(&format!(
        "ip netns exec {} nft -f {}",
        ns.name,
        file.to_string_lossy()
    ));
    let seen = [
        (CLIENT_IP, 88, connects(CLIENT_IP, 88)),
        (CLIENT_IP, 9389, connects(CLIENT_IP, 9389)),
        (CLIENT_IP, 5985, connects(CLIENT_IP, 5985)),
        (MANAGEMENT_IP, 88, connects(MANAGEMENT_IP, 88)),
        (MANAGEMENT_IP, 9389, connects(MANAGEMENT_IP, 9389)),
        (MANAGEMENT_IP, 5985, connects(MANAGEMENT_IP, 5985)),
    ];
    let _ = listener.kill();
    let _ = listener.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        seen,
        [
            (CLIENT_IP, 88, true),
            (CLIENT_IP, 9389, false),
            (CLIENT_IP, 5985, false),
            (MANAGEMENT_IP, 88, false),
            (MANAGEMENT_IP, 9389, true),
            (MANAGEMENT_IP, 5985, true),
        ]
    );
}
