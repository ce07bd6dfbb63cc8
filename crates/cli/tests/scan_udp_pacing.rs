//! `scan --udp` honours `--rate` (new probes per second, the pacer the connect sweep uses) and
//! draws its progress bar on a terminal, never in a pipe. Loopback only.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::UdpSocket;
use std::process::Command as StdCommand;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::portolan;

/// `count` UDP sockets on consecutive-free loopback ports, each noting when its first datagram
/// arrives (bounded by a read timeout). Returns the ports and the arrival times.
fn listeners(count: usize) -> (Vec<u16>, Arc<Mutex<Vec<Instant>>>) {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let mut ports = Vec::new();
    for _ in 0..count {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        ports.push(socket.local_addr().unwrap().port());
        socket
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let arrivals = Arc::clone(&arrivals);
        std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            if socket.recv_from(&mut buf).is_ok() {
                arrivals.lock().unwrap().push(Instant::now());
            }
        });
    }
    (ports, arrivals)
}

#[test]
fn a_udp_sweep_keeps_to_its_rate() {
    let count = 30;
    let rate = 20;
    let (ports, arrivals) = listeners(count);
    let spec = ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let out = portolan()
        .args([
            "scan",
            "127.0.0.1",
            "--udp",
            "-p",
            &spec,
            "--rate",
            &rate.to_string(),
        ])
        .args([
            "--retries",
            "0",
            "--timeout",
            "300ms",
            "--format",
            "json",
            "--no-progress",
        ])
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "{out:?}");
    let mut seen = arrivals.lock().unwrap().clone();
    assert_eq!(seen.len(), count, "every port got its probe");
    seen.sort();
    // Paced at `rate` per second after a burst of at most 10 ms worth, the first datagrams
    // spread over at least (count - 1) / rate seconds, less the burst. A lower bound only:
    // a slow machine can only spread them more.
    let spread = seen[count - 1] - seen[0];
    let least = Duration::from_secs_f64((count - 1) as f64 / f64::from(rate) - 0.05);
    assert!(spread >= least, "{spread:?} < {least:?}: not paced");
}

#[test]
fn a_udp_sweep_draws_its_bar_on_a_terminal_only() {
    let (ports, _arrivals) = listeners(12);
    let spec = ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let binary = assert_cmd::cargo::cargo_bin("portolan");
    // Paced to take about two seconds, so the bar (10 Hz) is drawn.
    let command = format!(
        "'{}' scan 127.0.0.1 --udp -p {spec} --rate 6 --retries 0 --timeout 300ms --format json",
        binary.display()
    );
    // script(1) runs the command on a pseudo-terminal (util-linux).
    let tty = StdCommand::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .output()
        .expect("script (util-linux)");
    let text = String::from_utf8_lossy(&tty.stdout);
    assert!(
        text.contains("probes,"),
        "no progress bar on a terminal: {text}"
    );

    let piped = portolan()
        .args(["scan", "127.0.0.1", "--udp", "-p", &spec, "--rate", "6"])
        .args(["--retries", "0", "--timeout", "300ms", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains("probes,"), "a bar in a pipe: {stderr}");
}
