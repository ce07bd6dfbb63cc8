//! Each exit code of docs/exit-codes.md, from a run that earns it; and a closed pipe, which
//! ends the run quietly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, Command as Process, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::portolan;
use predicates::prelude::*;

fn fixture(path: &str) -> String {
    format!(
        "{}/../audit/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The binary, as a plain process (for pipes and /dev/full).
fn binary() -> Process {
    let mut command = Process::new(env!("CARGO_BIN_EXE_portolan"));
    command
        .env_remove("PORTOLAN_CATALOG")
        .env_remove("NO_COLOR");
    command
}

#[test]
fn zero_when_found() {
    portolan().args(["port", "445"]).assert().code(0);
}

#[test]
fn one_when_the_answer_is_negative() {
    portolan().args(["search", "zzqqxx"]).assert().code(1);
}

#[test]
fn two_for_bad_input_and_bad_usage() {
    portolan()
        .args(["port", "70000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("70000"));
    portolan()
        .args(["table", "--no-such-flag"])
        .assert()
        .code(2);
    portolan()
        .args(["check", "127.0.0.1", "--timeout", "forever"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("1500ms"));
}

#[test]
fn three_when_standard_output_cannot_be_written() {
    let output = binary()
        .args(["table", "--format", "csv"])
        .stdout(File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write to standard output"));
}

#[test]
fn three_when_the_output_file_cannot_be_written() {
    portolan()
        .args(["export", "--format", "csv", "--output", "/dev/full"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("cannot write /dev/full"));
    portolan()
        .args(["plan", "--role", "dns-server", "-o", "/dev/full"])
        .assert()
        .code(3);
}

#[test]
fn three_when_the_endpoint_mapper_is_unreachable() {
    let mapper = SocketAddr::from((Ipv4Addr::LOCALHOST, 135));
    if TcpStream::connect(mapper).is_ok() {
        portolan_testkit::skip("something listens on 127.0.0.1:135");
        return;
    }
    portolan()
        .args(["audit", &fixture("samba-dc/ss-lntup.txt")])
        .args(["--endpoint-mapper", "127.0.0.1"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--endpoint-mapper 127.0.0.1"));
}

/// Waits for the child, killing it after a generous bound so a hung run fails the test
/// instead of hanging it; the bound is a safety net, not a measure of speed.
fn wait_bounded(child: &mut Child) -> ExitStatus {
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > give_up {
            let _ = child.kill();
            panic!("portolan did not stop after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `portolan args`, reads one line of its output, closes the pipe and returns how the
/// run ended and what it said on standard error.
fn read_one_line_then_close(args: &[&str]) -> (ExitStatus, String) {
    let mut child = binary()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(!line.is_empty(), "{args:?} printed a line");
    drop(reader);
    let status = wait_bounded(&mut child);
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status, stderr)
}

#[test]
fn a_closed_pipe_stops_a_streaming_scan_quietly() {
    // Every loopback port, streamed: far more output than a pipe holds, so the scan is
    // still writing when the reader goes away, and would end 0 or 1 had it carried on.
    let (status, stderr) = read_one_line_then_close(&[
        "scan",
        "127.0.0.1",
        "--ports",
        "1-65535",
        "--all",
        "--format",
        "jsonl",
        "--no-progress",
    ]);
    assert_eq!(status.code(), Some(141), "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn a_closed_pipe_ends_a_look_up_quietly() {
    // The JSON export is larger than a pipe's 64 KiB buffer.
    let (status, stderr) = read_one_line_then_close(&["export", "--format", "json"]);
    assert_eq!(status.code(), Some(141), "{stderr}");
    assert_eq!(stderr, "");
}
