//! What the test suites of portolan's crates share: skipping a test visibly, and running a
//! setup command that must succeed.
//!
//! libtest has no way for a test to say "skipped" at run time, and it swallows what a passing
//! test prints. A test that cannot run here (no IPv6 loopback, a port already taken, a
//! validator not installed) calls [`skip`]: the line goes to standard error and, when
//! `PORTOLAN_SKIP_LOG` names a file, is appended to it. The test command (scripts/test.sh) sets
//! that variable and prints the file after the tests, so every skip shows in its output.
//! Tests that need root or the lab are `#[ignore]`d instead and show as ignored.

use std::io::Write;

/// The environment variable naming the file skips are appended to.
pub const SKIP_LOG: &str = "PORTOLAN_SKIP_LOG";

/// The environment variable that turns a missing validator into a failure (the test command
/// sets it as root, where scripts/install-deps.sh has installed every validator).
pub const REQUIRE_VALIDATORS: &str = "PORTOLAN_REQUIRE_VALIDATORS";

/// Records that the running test did not run, and why. The caller returns right after. The
/// test is named by its thread, which libtest names after the test.
pub fn skip(reason: &str) {
    let log = std::env::var_os(SKIP_LOG).map(std::path::PathBuf::from);
    let thread = std::thread::current();
    skip_to(log.as_deref(), thread.name().unwrap_or("a test"), reason);
}

fn skip_to(log: Option<&std::path::Path>, test: &str, reason: &str) {
    let line = format!("SKIPPED {test}: {reason}");
    // Straight to the handle: libtest captures eprintln! of a passing test.
    let _ = writeln!(std::io::stderr(), "{line}");
    let Some(path) = log else {
        return;
    };
    // A skip that cannot be logged must not pass unseen: the test fails instead.
    let logged = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| writeln!(file, "{line}"));
    if let Err(error) = logged {
        panic!("{line}; and the skip log {path:?} cannot be written: {error}");
    }
}

/// Whether validators are required here ([`REQUIRE_VALIDATORS`] is `1`).
pub fn validators_required() -> bool {
    std::env::var(REQUIRE_VALIDATORS).as_deref() == Ok("1")
}

/// A validator `tool` is missing: a failure where validators are required, otherwise a skip of
/// the running test. `install` says how to get the tool.
pub fn missing_validator(tool: &str, install: &str) {
    assert!(
        !validators_required(),
        "{tool} is required ({REQUIRE_VALIDATORS}=1) but not installed: {install}"
    );
    skip(&format!("{tool} is not installed ({install})"));
}

/// Runs `program` with `args` and returns its standard output; a program that cannot start
/// or exits unsuccessfully fails the test, showing both its outputs. For the setup commands of
/// namespace tests (`ip`, `nft`, `flock`), whose failure means the test cannot say anything.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Creates the network namespace `name` under the lab scripts' lock (lab/lib.sh's
/// `netns_lock`): the first `ip netns add` on a machine also sets up the /run/netns mount, and
/// concurrent first adds race.
pub fn netns_add(name: &str) {
    run(
        "flock",
        &[
            "-w",
            "30",
            "/run/lock/portolan-lab.netns.lock",
            "ip",
            "netns",
            "add",
            name,
        ],
    );
}

/// Whether the test runs as root (the uid in /proc/self/status).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

/// A fresh directory under the system temporary directory, unique to the process and the
/// call, removed with what it holds when dropped (even when the test fails). `.0` is its path.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// Creates `portolan-<tag>-<pid>-<n>`.
    pub fn new(tag: &str) -> TempDir {
        static SERIAL: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "portolan-{}-{}-{n}",
            tag.replace(['/', ' '], "_"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_skip_is_appended_to_the_log() {
        let dir = std::env::temp_dir().join(format!("portolan-skip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("skipped.txt");
        skip_to(Some(&log), "one", "no IPv6 loopback");
        skip_to(Some(&log), "two", "port 135 taken");
        skip_to(None, "three", "not logged without a log");
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(
            text,
            "SKIPPED one: no IPv6 loopback\nSKIPPED two: port 135 taken\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[should_panic(expected = "cannot be written")]
    fn a_skip_that_cannot_be_logged_fails() {
        skip_to(
            Some(std::path::Path::new("/nonexistent-dir/skipped.txt")),
            "t",
            "r",
        );
    }
}
