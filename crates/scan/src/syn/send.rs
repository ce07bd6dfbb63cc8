//! The sender thread: passes over the silent probes, each followed by a wait the timing
//! model sets.

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use portolan_core::timing;
use portolan_core::verdict::Reason;
use portolan_wire::tcpip::{self, TcpRepr};
use socket2::Socket;

use super::{Shared, socket};
use crate::engine::Event;
use crate::engine::rate::Pacer;

/// TTL of the SYNs.
const TTL: u8 = 64;
/// How long the sender sleeps when the kernel has no buffer for a SYN, and how many times in
/// a row it tries before it gives the probe up as a local error.
const BACKOFF: Duration = Duration::from_micros(200);
const BACKOFF_LIMIT: u32 = 5000;
/// How often the wait after a pass looks at the timing model again.
const WAIT_STEP: Duration = Duration::from_millis(2);

/// Sends every pass, then marks the sender done (the receivers drain and end).
pub fn run(shared: &Shared<'_>, socket: &Socket, events: &mpsc::SyncSender<Event>) {
    passes(shared, socket, events);
    shared.sender_done.store(true, Ordering::Release);
}

fn passes(shared: &Shared<'_>, socket: &Socket, events: &mpsc::SyncSender<Event>) {
    let table = shared.table;
    let pacer = shared.config.rate.map(Pacer::new);
    let mut buf = [0u8; tcpip::SYN_DATAGRAM_LEN];
    for pass in 0..=shared.config.retries {
        let mut sent = 0u64;
        for p in 0..table.ports.len() {
            let port = table.ports[p];
            for (h, host) in table.hosts.iter().enumerate() {
                if shared.stop.load(Ordering::Relaxed) {
                    return;
                }
                let Some(source) = host.source else { continue };
                if table.canonical(h) != h {
                    continue;
                }
                let probe = table.probe(h, p);
                if table.answered(probe) {
                    continue;
                }
                if let Some(pacer) = &pacer {
                    pace(shared, pacer);
                }
                if !table.start_try(probe, shared.now_us()) {
                    continue;
                }
                let syn = TcpRepr::syn(table.source_port, port, table.cookie(h, port));
                let Ok(len) = tcpip::emit_tcp_datagram(source, host.address, TTL, &syn, &mut buf)
                else {
                    continue;
                };
                if let Err(reason) = send(shared, socket, &buf[..len], host.address) {
                    let now = shared.now_us();
                    if let Some((tries, _)) = table.answer(probe, reason, now) {
                        shared.decided(shared.result(h, p, reason, tries, None), events);
                    }
                    continue;
                }
                sent += 1;
                if pass > 0 {
                    shared.counters.retries.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if sent == 0 {
            return;
        }
        wait_for_answers(shared);
    }
}

/// Sends one SYN, waiting out a full buffer; the reason to record when it cannot be sent.
fn send(
    shared: &Shared<'_>,
    socket: &Socket,
    datagram: &[u8],
    to: std::net::Ipv4Addr,
) -> Result<(), Reason> {
    for _ in 0..BACKOFF_LIMIT {
        match socket::send(socket, datagram, to) {
            Ok(()) => return Ok(()),
            Err(e) => match e.raw_os_error() {
                Some(libc::ENOBUFS | libc::EAGAIN | libc::EINTR) => {
                    shared.counters.backoffs.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(BACKOFF);
                }
                Some(libc::ENETUNREACH) => return Err(Reason::NetUnreach),
                Some(libc::EHOSTUNREACH) => return Err(Reason::HostUnreach),
                Some(libc::EPERM | libc::EACCES) => return Err(Reason::LocalPolicy),
                _ => return Err(Reason::LocalError),
            },
        }
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
    }
    Err(Reason::LocalError)
}

/// Waits until `--rate` allows one more SYN.
fn pace(shared: &Shared<'_>, pacer: &Pacer) {
    loop {
        let now = shared.clock.now_ns();
        match pacer.take(now) {
            Ok(()) => return,
            Err(at) => {
                let wait = at.saturating_sub(now);
                if wait > 50_000 {
                    std::thread::sleep(Duration::from_nanos(wait));
                } else {
                    std::hint::spin_loop();
                }
            }
        }
    }
}

/// After a pass: waits until the last SYN has had the longest wait any host's round trip
/// calls for, or every probe has its answer. The wait is looked at again as answers come in
/// (they refine the estimates).
fn wait_for_answers(shared: &Shared<'_>) {
    let table = shared.table;
    let last_sent = shared.clock.now_ns();
    let total = table.len() as u64;
    loop {
        if shared.stop.load(Ordering::Relaxed)
            || shared.counters.done.load(Ordering::Relaxed) >= total
        {
            return;
        }
        let policy = &shared.config.timeouts;
        let wait_us = table
            .hosts
            .iter()
            .filter(|h| h.source.is_some())
            .map(|h| timing::timeout_us(&h.rtt, shared.global_rtt, policy))
            .max()
            .unwrap_or(0);
        let waited = shared.clock.now_ns().saturating_sub(last_sent);
        let wait_ns = u64::from(wait_us) * 1000;
        if waited >= wait_ns {
            return;
        }
        std::thread::sleep(WAIT_STEP.min(Duration::from_nanos(wait_ns - waited)));
    }
}
