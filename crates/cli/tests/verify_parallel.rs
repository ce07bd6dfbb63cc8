//! Protocol verification stays parallel (issue 11): a check verifies several ports whose
//! servers delay their greeting at once, not one after the other. Proved by behaviour, not
//! by time: a loopback server on five greeting ports (FTP, SMTP, POP3, NNTP, IMAP) withholds
//! every greeting until a connection is open on each of the five (a barrier). A check that
//! verifies the ports side by side gets all five greetings; one that verifies them one at a
//! time (`--concurrency 1`) waits on the first port for a greeting that never comes, and
//! loses its evidence.
//!
//! The greeting ports are below 1024, so the server binds them on a loopback address of its
//! own (127.0.1.21) as root.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const ADDRESS: &str = "127.0.1.21";

/// Each port and the greeting its server sends once the barrier opens.
const GREETINGS: [(u16, &str); 5] = [
    (21, "220 barrier FTP ready\r\n"),
    (25, "220 barrier.portolan.test ESMTP\r\n"),
    (110, "+OK barrier POP3 ready\r\n"),
    (119, "200 barrier news server ready\r\n"),
    (143, "* OK barrier IMAP ready\r\n"),
];

/// The barrier server: accepts on every port, keeps the connections that are still open,
/// and greets them all once one is open on each port. Bounded: it stops when dropped, or
/// after two minutes in any case.
struct Barrier {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Barrier {
    fn start() -> Barrier {
        let listeners: Vec<(u16, TcpListener)> = GREETINGS
            .iter()
            .map(|&(port, _)| {
                let listener = TcpListener::bind((ADDRESS, port))
                    .unwrap_or_else(|e| panic!("cannot bind {ADDRESS}:{port}: {e}"));
                listener.set_nonblocking(true).unwrap();
                (port, listener)
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            // The open connection waiting on each port, if any.
            let mut waiting: Vec<Option<TcpStream>> = GREETINGS.iter().map(|_| None).collect();
            while !stopping.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(120)
            {
                for (slot, (_, listener)) in waiting.iter_mut().zip(&listeners) {
                    if let Ok((stream, _)) = listener.accept() {
                        stream.set_nonblocking(true).unwrap();
                        *slot = Some(stream);
                    }
                    // A client that gave up (closed) no longer counts toward the barrier.
                    if slot.as_mut().is_some_and(closed) {
                        *slot = None;
                    }
                }
                if waiting.iter().all(Option::is_some) {
                    for (slot, (_, greeting)) in waiting.iter_mut().zip(GREETINGS) {
                        if let Some(mut stream) = slot.take() {
                            stream.set_nonblocking(false).unwrap();
                            let _ = stream.write_all(greeting.as_bytes());
                            // Kept open a moment by the thread that owns it, so the client
                            // reads the greeting before the close.
                            std::thread::spawn(move || {
                                std::thread::sleep(Duration::from_secs(2));
                                drop(stream);
                            });
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Barrier {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Barrier {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// True when the peer has closed a non-blocking stream (a read gives end of file).
fn closed(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != ErrorKind::WouldBlock,
    }
}

/// The verification of each greeting port in a `check --format json` run with `extra`.
fn verifications(extra: &[&str]) -> Vec<(u16, serde_json::Value)> {
    let ports = GREETINGS
        .iter()
        .map(|(p, _)| p.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut args = vec!["check", ADDRESS, "-p", &ports, "--no-rpc"];
    args.extend_from_slice(extra);
    let (_, json) = common::json_run(&args);
    let results = common::results(&json);
    GREETINGS
        .iter()
        .map(|&(port, _)| {
            let result = results
                .get(&format!("{port}/tcp"))
                .unwrap_or_else(|| panic!("no {port}/tcp in {json}"));
            assert_eq!(result["status"], "LISTENING", "{result}");
            (port, result["verification"].clone())
        })
        .collect()
}

#[test]
#[ignore = "needs root: binds ports 21, 25, 110, 119 and 143 on 127.0.1.21"]
fn greetings_withheld_until_every_port_is_connected_are_all_verified() {
    let _barrier = Barrier::start();

    // Side by side (the default): the five connections are open together, the barrier
    // opens, every greeting is read.
    for (port, verification) in verifications(&["--verify-timeout", "10s"]) {
        assert_eq!(
            verification["outcome"], "verified",
            "{port}: {verification}"
        );
        assert!(
            verification["detail"]
                .as_str()
                .is_some_and(|d| d.contains("barrier")),
            "{port}: {verification}"
        );
    }

    // One at a time: the first port waits alone for a greeting the barrier withholds, and
    // its evidence is lost. This is what a serial verifier would do to every check.
    let serial = verifications(&["--concurrency", "1", "--verify-timeout", "1s"]);
    let (port, first) = &serial[0];
    assert_eq!(first["outcome"], "silent", "{port}: {first}");
    assert!(
        serial.iter().all(|(_, v)| v["outcome"] != "verified"),
        "{serial:?}"
    );
}
