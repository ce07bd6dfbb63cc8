//! `check --verify-timeout`: a verification waits for the application, not for the network
//! (issue 11). Proved against a real daemon that delays its greeting: postfix's postscreen
//! with its pregreet test (`postscreen_greet_wait = 2s`, no early banner), which accepts the
//! connection and stays silent for two seconds before postfix's smtpd greets.
//!
//! Verification also stays parallel with the real daemon: postscreen listens on two addresses,
//! and one check of both hosts gets postscreen's pregreet banner from both. Postscreen lets a
//! client that passed its test straight through to smtpd for a day (its cache), so a verifier
//! that took the hosts one after the other would see the banner only on the first.
//!
//! The test starts its own postfix instance in its own network namespace on 10.203.22.0/24
//! (a /24 no lab uses, lab/README.md), refuses to probe it unless the route goes over the
//! test's veth, and tears both down at the end. The shared lab is not touched.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use portolan_testkit::run;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

const HOST_ADDR: &str = "10.203.22.1";
const NS_ADDR: &str = "10.203.22.2";
/// A second address of the namespace, where the same postscreen listens.
const NS_ADDR2: &str = "10.203.22.3";
/// How long postscreen keeps a new client waiting before smtpd greets it.
const GREET_WAIT: &str = "2s";

/// A namespace joined to this machine by a veth pair on 10.203.22.0/24, with a private
/// postfix running postscreen in it; everything is removed on drop.
struct DelayedSmtp {
    ns: String,
    veth: String,
    dir: PathBuf,
    master: Option<Child>,
}

impl DelayedSmtp {
    fn start() -> DelayedSmtp {
        let pid = std::process::id();
        let mut smtp = DelayedSmtp {
            ns: format!("pl-vwait-{pid}"),
            veth: format!("pvw{}", pid % 100_000),
            dir: std::env::temp_dir().join(format!("portolan-vwait-{pid}")),
            master: None,
        };
        let (ns, veth) = (smtp.ns.clone(), smtp.veth.clone());
        let peer = format!("{veth}p");
        portolan_testkit::netns_add(&ns);
        run(
            "ip",
            &["link", "add", &veth, "type", "veth", "peer", "name", &peer],
        );
        run("ip", &["link", "set", &peer, "netns", &ns]);
        run(
            "ip",
            &["addr", "add", &format!("{HOST_ADDR}/24"), "dev", &veth],
        );
        run("ip", &["link", "set", &veth, "up"]);
        let in_ns = |args: &[&str]| {
            let mut all = vec!["netns", "exec", &ns];
            all.extend_from_slice(args);
            run("ip", &all)
        };
        in_ns(&["ip", "link", "set", "lo", "up"]);
        in_ns(&["ip", "addr", "add", &format!("{NS_ADDR}/24"), "dev", &peer]);
        in_ns(&["ip", "addr", "add", &format!("{NS_ADDR2}/24"), "dev", &peer]);
        in_ns(&["ip", "link", "set", &peer, "up"]);
        // The network rule: probe an address only when it is reached over this veth.
        for address in [NS_ADDR, NS_ADDR2] {
            let route = run("ip", &["-o", "route", "get", address]);
            assert!(
                route.contains(&format!(" dev {veth} ")) && !route.contains(" via "),
                "refusing to probe {address}: not routed over {veth} ({})",
                route.trim()
            );
        }
        smtp.write_config();
        let etc = smtp.dir.join("etc");
        let etc = etc.to_str().unwrap();
        // `postfix check` creates the queue directories with the right owners; inside the
        // namespace, since it checks that inet_interfaces exist.
        in_ns(&["postfix", "-c", etc, "check"]);
        // master -s: in the foreground (as `postfix start-fg`), so the test owns the process.
        smtp.master = Some(
            Command::new("ip")
                .args(["netns", "exec", &ns, "/usr/lib/postfix/sbin/master", "-s"])
                .args(["-c", etc])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        // Wait, bounded, until postscreen listens (asking the namespace's sockets, so that
        // no connection is made before the test's own).
        let listening = (0..100).any(|_| {
            let out = in_ns(&["ss", "-Hltn", "sport", "=", ":25"]);
            let up =
                out.contains(&format!("{NS_ADDR}:25")) && out.contains(&format!("{NS_ADDR2}:25"));
            if !up {
                std::thread::sleep(Duration::from_millis(100));
            }
            up
        });
        assert!(
            listening,
            "postfix did not start listening on {NS_ADDR}:25 and {NS_ADDR2}:25"
        );
        smtp
    }

    fn write_config(&self) {
        let dir = &self.dir;
        for sub in ["etc", "spool", "data"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        run("chown", &["postfix", dir.join("data").to_str().unwrap()]);
        let path = |p: &Path| p.to_str().unwrap().to_string();
        let main = format!(
            "# postfix for portolan's verify-wait test (crates/cli/tests/verify_wait_lab.rs)
compatibility_level = 3.6
queue_directory = {spool}
data_directory = {data}
myhostname = delayed.portolan.test
mydestination =
inet_interfaces = {NS_ADDR}, {NS_ADDR2}
inet_protocols = ipv4
# The test's client (10.203.22.1) must not be in mynetworks: postscreen lets those through
# at once.
mynetworks = 127.0.0.0/8
relayhost =
smtpd_banner = $myhostname ESMTP portolan verify-wait test
maillog_file = /dev/stdout
smtp_dns_support_level = disabled
alias_maps =
alias_database =
local_recipient_maps =
biff = no
# The pregreet test: send the 220- line below, wait {GREET_WAIT} for the client to
# talk too early, then hand the connection to smtpd, which ends the greeting.
postscreen_greet_banner = portolan pregreet test
postscreen_greet_wait = {GREET_WAIT}
postscreen_greet_action = enforce
postscreen_access_list =
",
            spool = path(&dir.join("spool")),
            data = path(&dir.join("data")),
        );
        std::fs::write(dir.join("etc/main.cf"), main).unwrap();
        let master = "# service type  private unpriv  chroot  wakeup  maxproc command
smtp      inet  n       -       n       -       1       postscreen
smtpd     pass  -       -       n       -       -       smtpd
dnsblog   unix  -       -       n       -       0       dnsblog
tlsproxy  unix  -       -       n       -       0       tlsproxy
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
";
        std::fs::write(dir.join("etc/master.cf"), master).unwrap();
    }
}

impl Drop for DelayedSmtp {
    fn drop(&mut self) {
        if let Some(mut master) = self.master.take() {
            // SIGTERM lets master stop its children (postscreen, smtpd) too.
            let _ = Command::new("kill")
                .args(["-TERM", &master.id().to_string()])
                .output();
            let stopped = (0..50).any(|_| {
                let done = master.try_wait().ok().flatten().is_some();
                if !done {
                    std::thread::sleep(Duration::from_millis(100));
                }
                done
            });
            if !stopped {
                let _ = master.kill();
                let _ = master.wait();
            }
        }
        let _ = Command::new("ip")
            .args(["link", "del", &self.veth])
            .output();
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The verification of 25/tcp on each of `hosts`, in one `check --format json` run with
/// `extra` flags.
fn smtp_verifications(hosts: &[&str], extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["check"];
    args.extend_from_slice(hosts);
    args.extend_from_slice(&["-p", "25", "--no-rpc"]);
    args.extend_from_slice(extra);
    let (_, json) = common::json_run(&args);
    json["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|host| {
            let smtp = host["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["port"] == 25)
                .unwrap_or_else(|| panic!("{json}"));
            assert_eq!(smtp["status"], "LISTENING", "{smtp}");
            smtp["verification"].clone()
        })
        .collect()
}

#[test]
#[ignore = "needs root and postfix: starts a postfix with postscreen in its own namespace"]
fn a_greeting_delayed_by_postscreen_is_verified_within_the_verify_timeout() {
    assert_eq!(
        run("id", &["-u"]).trim(),
        "0",
        "needs root: network namespaces"
    );
    assert!(
        Path::new("/usr/lib/postfix/sbin/postscreen").exists(),
        "needs postfix (lab/lib.sh installs it)"
    );
    let _smtp = DelayedSmtp::start();

    // First a wait shorter than the pregreet pause: the port listens, but only the first
    // line of the greeting came, so the evidence is lost (what issue 11 saw). This client
    // hangs up during the test, so postscreen does not remember it as one that passed, and
    // the next connection waits again.
    let short = smtp_verifications(
        &[NS_ADDR],
        &["--timeout", "300ms", "--verify-timeout", "300ms"],
    );
    assert_ne!(short[0]["outcome"], "verified", "{short:?}");

    // The default verify timeout (5s) outlasts the 2s pause: the whole greeting is read,
    // postscreen's first line and smtpd's last, on both addresses of one check. Both
    // connections wait in the pregreet test together; after them, this client is in
    // postscreen's cache and would be let through without the banner.
    let default = smtp_verifications(&[NS_ADDR, NS_ADDR2], &[]);
    assert_eq!(default.len(), 2);
    for verification in &default {
        assert_eq!(verification["outcome"], "verified", "{verification}");
        let detail = verification["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("portolan pregreet test") && detail.contains("(+1 lines)"),
            "{verification}"
        );
    }
}
