//! Shared by the engine tests: a collecting observer, root and tool checks that fail (the
//! tests that need them are `#[ignore]`d), and throw-away network namespaces entered per thread.
#![allow(dead_code)]
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use portolan_testkit::run;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use portolan_core::target;
use portolan_core::target::TargetList;
use portolan_scan::engine::{self, Config, Event, Observer, Summary};
use portolan_scan::ports::PortList;
use portolan_scan::{HostSummary, NmapState, PortResult, Reason};

/// Every event of a scan.
#[derive(Default)]
pub struct Collect {
    pub ports: Vec<PortResult>,
    pub hosts: Vec<HostSummary>,
}

impl Observer for Collect {
    fn event(&mut self, event: Event) {
        match event {
            Event::Port(p) => self.ports.push(p),
            Event::Host(h) => self.hosts.push(h),
        }
    }
}

impl Collect {
    /// Ports by state, for one address.
    pub fn states(&self) -> BTreeMap<u16, (NmapState, Reason)> {
        self.ports
            .iter()
            .map(|p| (p.port, (p.state, p.reason)))
            .collect()
    }

    /// The open ports, sorted.
    pub fn open(&self) -> Vec<(IpAddr, u16)> {
        let mut open: Vec<_> = self
            .ports
            .iter()
            .filter(|p| p.state == NmapState::Open)
            .map(|p| (p.address, p.port))
            .collect();
        open.sort();
        open
    }
}

/// Scans `targets` (command-line syntax) on `ports` with `config`.
pub fn scan(targets: &[&str], ports: Vec<u16>, config: &Config) -> (Summary, Collect) {
    let specs = target::parse_targets(targets, |_| Err("no files".into())).unwrap();
    let list = TargetList::build(&specs, |_| Err("no names".into())).unwrap();
    let stop = AtomicBool::new(false);
    let mut collect = Collect::default();
    let summary = engine::run(&list, &PortList::new(ports), config, &stop, &mut collect).unwrap();
    (summary, collect)
}

/// Fails unless running as root. The tests that call it are `#[ignore]`d: a plain
/// `cargo test` lists them as ignored, scripts/test.sh runs them as root.
pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(euid, 0, "needs root: network namespaces");
}

/// Fails unless `program` runs (scripts/install-deps.sh installs it).
pub fn require(program: &str, probe_arg: &str) {
    let ok = Command::new(program)
        .arg(probe_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "needs `{program}` (scripts/install-deps.sh installs it)"
    );
}

/// A network namespace with only loopback, deleted on drop.
pub struct Netns {
    pub name: String,
}

static SERIAL: AtomicU32 = AtomicU32::new(0);

impl Netns {
    /// Creates `pl-scan-<pid>-<n>` with loopback up and ICMP errors not rate limited.
    pub fn new() -> Netns {
        let name = format!(
            "pl-scan-{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        );
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        portolan_testkit::netns_add(&name);
        let ns = Netns { name };
        ns.exec(&["ip", "link", "set", "lo", "up"]);
        ns.exec(&["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0"]);
        ns.exec(&["sysctl", "-qw", "net.ipv4.icmp_ratemask=0"]);
        ns
    }

    /// Runs a command inside the namespace; it must succeed.
    pub fn exec(&self, args: &[&str]) {
        let mut all = vec!["netns", "exec", &self.name];
        all.extend_from_slice(args);
        run("ip", &all);
    }

    /// Loads nftables rules (text of `nft -f`) into the namespace.
    pub fn nft(&self, rules: &str) {
        let path = std::env::temp_dir().join(format!("{}.nft", self.name));
        std::fs::write(&path, rules).unwrap();
        self.exec(&["nft", "-f", path.to_str().unwrap()]);
        let _ = std::fs::remove_file(path);
    }

    /// Runs `f` on a thread that has entered the namespace (threads it starts stay there).
    pub fn within<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/var/run/netns/{}", self.name);
        std::thread::scope(|s| {
            s.spawn(|| {
                let file = std::fs::File::open(&path).unwrap();
                use std::os::fd::AsRawFd;
                // SAFETY: setns on a namespace file we opened; it changes only this thread.
                let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
                f()
            })
            .join()
            .unwrap()
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
