//! The sender thread: every probe once, and the silent ones again when the timing model's
//! wait for their host has passed.

use std::collections::VecDeque;
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
/// Longest sleep while the next retry is not due (new answers may shorten the wait).
const WAIT_STEP: Duration = Duration::from_millis(1);
/// Most SYNs awaiting an answer: the queue's memory (16 bytes each) stays bounded on large
/// sweeps; at a 100 ms timeout this is ten million SYNs a second.
const MAX_IN_FLIGHT: usize = 1 << 20;

/// Sends every `of`-th probe from the `index`-th on; the last sender to finish marks the
/// senders done (the receivers drain and end).
pub fn run(
    shared: &Shared<'_>,
    socket: &Socket,
    index: usize,
    of: usize,
    events: &mpsc::SyncSender<Event>,
) {
    Sender {
        shared,
        socket,
        events,
        buf: [0u8; tcpip::SYN_DATAGRAM_LEN],
    }
    .sweep(index, of.max(1));
    if shared.senders_running.fetch_sub(1, Ordering::AcqRel) == 1 {
        shared.sender_done.store(true, Ordering::Release);
    }
}

struct Sender<'a, 'b> {
    shared: &'a Shared<'b>,
    socket: &'a Socket,
    events: &'a mpsc::SyncSender<Event>,
    buf: [u8; tcpip::SYN_DATAGRAM_LEN],
}

impl Sender<'_, '_> {
    /// One pass over every probe, port by port across the hosts, with the retries woven in:
    /// each SYN joins a queue in send order, and a probe at the head of the queue that is
    /// still silent when its host's timeout has passed is sent again (or given up after the
    /// last try). The head blocks the rest, so no probe is retried early; the sweep ends when
    /// the queue is empty.
    fn sweep(&mut self, index: usize, of: usize) {
        let table = self.shared.table;
        let hosts = table.hosts.len();
        let mut fresh = (0..table.ports.len())
            .flat_map(|p| (0..hosts).map(move |h| (h, p)))
            .skip(index)
            .step_by(of)
            .filter(|&(h, _)| table.hosts[h].source.is_some() && table.canonical(h) == h)
            .map(|(h, p)| table.probe(h, p));
        let mut in_flight: VecDeque<(u64, usize)> = VecDeque::new();
        let mut fresh_left = true;
        loop {
            if self.shared.stop.load(Ordering::Relaxed) {
                return;
            }
            let now = self.shared.clock.now_ns();
            // Retries first: they are due.
            if let Some(&(sent, probe)) = in_flight.front() {
                if table.answered(probe) {
                    in_flight.pop_front();
                    continue;
                }
                let due = sent.saturating_add(self.timeout_ns(probe));
                if now >= due {
                    in_flight.pop_front();
                    if table.outcome(probe).tries <= self.shared.config.retries && self.send(probe)
                    {
                        self.shared.counters.retries.fetch_add(1, Ordering::Relaxed);
                        in_flight.push_back((self.shared.clock.now_ns(), probe));
                    }
                    continue;
                }
                if !fresh_left || in_flight.len() >= MAX_IN_FLIGHT {
                    std::thread::sleep(WAIT_STEP.min(Duration::from_nanos(due - now)));
                    continue;
                }
            }
            match fresh.next() {
                Some(probe) => {
                    if self.send(probe) {
                        in_flight.push_back((self.shared.clock.now_ns(), probe));
                    }
                }
                None if in_flight.is_empty() => return,
                None => fresh_left = false,
            }
        }
    }

    /// The wait for an answer to `probe`, from its host's round trip (or every host's).
    fn timeout_ns(&self, probe: usize) -> u64 {
        let table = self.shared.table;
        let host = &table.hosts[probe / table.ports.len().max(1)];
        let us = timing::timeout_us(
            &host.rtt,
            self.shared.global_rtt,
            &self.shared.config.timeouts,
        );
        u64::from(us) * 1000
    }

    /// Sends the SYN of `probe` (paced); false when it was not sent (answered meanwhile, or a
    /// local error, which is then its answer).
    fn send(&mut self, probe: usize) -> bool {
        let shared = self.shared;
        let table = shared.table;
        let (h, p) = (probe / table.ports.len(), probe % table.ports.len());
        let host = &table.hosts[h];
        let Some(source) = host.source else {
            return false;
        };
        if let Some(pacer) = &shared.pacer {
            pace(shared, pacer);
        }
        if !table.start_try(probe, shared.now_us()) {
            return false;
        }
        let port = table.ports[p];
        let syn = TcpRepr::syn(table.source_port, port, table.cookie(h, port));
        let Ok(len) = tcpip::emit_tcp_datagram(source, host.address, TTL, &syn, &mut self.buf)
        else {
            return false;
        };
        match send(shared, self.socket, &self.buf[..len], host.address) {
            Ok(()) => true,
            Err(reason) => {
                if let Some((tries, _)) = table.answer(probe, reason, shared.now_us()) {
                    shared.decided(shared.result(h, p, reason, tries, None), self.events);
                }
                false
            }
        }
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
