//! One event loop: launch probes up to the window, wait on epoll, settle answers and
//! timeouts, repeat until the dispenser is empty and nothing is in flight.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use socket2::Socket;

use super::probe::{self, Start};
use super::rate::Pacer;
use super::timer::{TimerKey, TimerWheel};
use super::work::{Chunk, Dispenser, Group};
use super::{Clock, Config, Counters, Event};
use crate::error::EngineError;
use crate::result::{HostSummary, NmapState, PortResult, Reason};
use portolan_core::timing::{self, RttEstimate};

/// Probes taken from the dispenser at a time.
const CHUNK: u64 = 128;
/// Probes started between two looks at epoll: against a near target most answers are in by
/// the next look, so the number of sockets open stays low.
const LAUNCH_BATCH: usize = 64;
/// Probes held back by a host's rate limit, at most.
const DEFERRED_MAX: usize = 4096;
/// Longest sleep, so a stop request is seen promptly.
const MAX_WAIT: Duration = Duration::from_millis(50);
/// Pause after a resource shortage with nothing in flight.
const IDLE_BACKOFF_NS: u64 = 10_000_000;
/// Pause after a resource shortage while connections are in flight (they will free some).
const BUSY_BACKOFF_NS: u64 = 1_000_000;
/// A probe that cannot get a socket for this long is given up as a local error.
const STALL_LIMIT_NS: u64 = 10_000_000_000;
/// Milliseconds of the timer wheel (deadlines further out wrap around).
const WHEEL_MS: usize = 2048;

/// What every worker shares.
pub(crate) struct Shared<'a> {
    pub config: &'a Config,
    pub clock: &'a Clock,
    pub dispenser: &'a Dispenser<'a>,
    pub global_rtt: &'a RttEstimate,
    pub global_pacer: Option<&'a Pacer>,
    pub stop: &'a AtomicBool,
    pub counters: &'a Counters,
}

/// A probe not yet settled.
struct Probe {
    group: Arc<Group>,
    host: u32,
    port: u16,
    /// 0 for the first try.
    attempt: u8,
}

impl Probe {
    fn target(&self) -> Option<SocketAddr> {
        let host = self.group.hosts.get(self.host as usize)?;
        Some(portolan_core::target::socket_addr(
            host.address,
            host.scope_id,
            self.port,
        ))
    }
}

/// A connection in flight.
struct Slot {
    socket: Option<Socket>,
    probe: Option<Probe>,
    generation: u32,
    started_ns: u64,
}

pub(crate) struct Worker<'s, 'a> {
    shared: &'s Shared<'a>,
    poll: Poll,
    events: Events,
    ready: Vec<(Token, bool)>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    wheel: TimerWheel,
    due: Vec<TimerKey>,
    chunk: Option<Chunk>,
    exhausted: bool,
    retry: VecDeque<Probe>,
    deferred: VecDeque<(u64, Probe)>,
    in_flight: usize,
    window: usize,
    max_window: usize,
    credits: usize,
    resume_at_ns: u64,
    stalled_since_ns: Option<u64>,
    sender: SyncSender<Event>,
}

fn token_of(slot: u32, generation: u32) -> Token {
    // usize is 64 bits on every target this engine builds for (Linux, 64-bit).
    Token(((u64::from(generation) << 32) | u64::from(slot)) as usize)
}

fn slot_of(token: Token) -> TimerKey {
    let v = token.0 as u64;
    TimerKey {
        slot: v as u32,
        generation: (v >> 32) as u32,
    }
}

impl<'s, 'a> Worker<'s, 'a> {
    /// Runs one worker to the end of the scan. `window` is its share of the connections in
    /// flight.
    pub fn run(
        shared: &'s Shared<'a>,
        window: usize,
        sender: SyncSender<Event>,
    ) -> Result<(), EngineError> {
        let poll = Poll::new().map_err(|source| EngineError::Setup {
            what: "an epoll instance",
            source,
        })?;
        let mut worker = Worker {
            shared,
            poll,
            events: Events::with_capacity(1024),
            ready: Vec::with_capacity(1024),
            slots: Vec::new(),
            free: Vec::new(),
            wheel: TimerWheel::new(WHEEL_MS),
            due: Vec::new(),
            chunk: None,
            exhausted: false,
            retry: VecDeque::new(),
            deferred: VecDeque::new(),
            in_flight: 0,
            window,
            max_window: window,
            credits: 0,
            resume_at_ns: 0,
            stalled_since_ns: None,
            sender,
        };
        worker.event_loop();
        Ok(())
    }

    fn event_loop(&mut self) {
        // Ends: every turn either settles probes, waits for the clock (bounded by the
        // timeouts), or finds the work finished; a stop request ends it at once.
        loop {
            if self.shared.stop.load(Ordering::Relaxed) {
                break;
            }
            self.launch();
            if self.is_finished() {
                break;
            }
            let wait = self.wait_time();
            self.poll_and_settle(wait);
            self.expire_timers();
        }
        // Dropping the worker closes every socket still in flight.
    }

    fn is_finished(&self) -> bool {
        self.exhausted
            && self.chunk.as_ref().is_none_or(Chunk::is_done)
            && self.retry.is_empty()
            && self.deferred.is_empty()
            && self.in_flight == 0
    }

    fn has_work_now(&self, now_ns: u64) -> bool {
        !self.retry.is_empty()
            || self.deferred.front().is_some_and(|(t, _)| *t <= now_ns)
            || (self.deferred.len() < DEFERRED_MAX
                && (!self.exhausted || self.chunk.as_ref().is_some_and(|c| !c.is_done())))
    }

    fn next_probe(&mut self, now_ns: u64) -> Option<Probe> {
        if self.deferred.front().is_some_and(|(t, _)| *t <= now_ns) {
            return self.deferred.pop_front().map(|(_, p)| p);
        }
        if let Some(p) = self.retry.pop_front() {
            return Some(p);
        }
        if self.deferred.len() >= DEFERRED_MAX {
            return None;
        }
        // Bounded: each turn takes a probe or a new chunk, and chunks run out.
        loop {
            if let Some(chunk) = self.chunk.as_mut()
                && let Some((host, port)) = chunk.take()
            {
                return Some(Probe {
                    group: Arc::clone(&chunk.group),
                    host,
                    port,
                    attempt: 0,
                });
            }
            if self.exhausted {
                return None;
            }
            self.chunk = self.shared.dispenser.take(CHUNK);
            if self.chunk.is_none() {
                self.exhausted = true;
                return None;
            }
        }
    }

    fn launch(&mut self) {
        let clock = self.shared.clock;
        if clock.now_ns() < self.resume_at_ns {
            return;
        }
        let mut budget = LAUNCH_BATCH;
        while self.in_flight < self.window && budget > 0 {
            let now_ns = clock.now_ns();
            let Some(probe) = self.next_probe(now_ns) else {
                break;
            };
            if let Some(pacer) = self.shared.global_pacer
                && let Err(at) = pacer.ready_at(now_ns)
            {
                self.retry.push_front(probe);
                self.resume_at_ns = at;
                break;
            }
            let host_pacer = probe
                .group
                .hosts
                .get(probe.host as usize)
                .and_then(|h| h.pacer.as_ref());
            if let Some(pacer) = host_pacer
                && let Err(at) = pacer.take(now_ns)
            {
                if self.deferred.len() >= DEFERRED_MAX {
                    self.retry.push_front(probe);
                    self.resume_at_ns = at;
                    break;
                }
                self.deferred.push_back((at, probe));
                continue;
            }
            if let Some(pacer) = self.shared.global_pacer {
                // A race with the other threads may overdraw by one send; harmless.
                let _ = pacer.take(now_ns);
            }
            budget -= 1;
            if !self.start(probe, now_ns) {
                break;
            }
        }
    }

    /// Starts one probe; false when the machine is short of a resource (the probe is queued
    /// again and the worker backs off).
    fn start(&mut self, probe: Probe, now_ns: u64) -> bool {
        let Some(target) = probe.target() else {
            return true;
        };
        match probe::start(target) {
            Start::Pending(socket) => {
                self.stalled_since_ns = None;
                let index = match self.free.pop() {
                    Some(i) => i,
                    None => {
                        self.slots.push(Slot {
                            socket: None,
                            probe: None,
                            generation: 0,
                            started_ns: 0,
                        });
                        (self.slots.len() - 1) as u32
                    }
                };
                let Some(slot) = self.slots.get_mut(index as usize) else {
                    return true;
                };
                slot.generation = slot.generation.wrapping_add(1);
                let generation = slot.generation;
                let fd = socket.as_raw_fd();
                if let Err(e) = self.poll.registry().register(
                    &mut SourceFd(&fd),
                    token_of(index, generation),
                    Interest::WRITABLE,
                ) {
                    drop(socket);
                    self.free.push(index);
                    let errno = probe::errno_of(&e);
                    // epoll_ctl's ENOSPC (the watch limit) is a shortage of this engine's own,
                    // not a connect error, so it is not in core's table.
                    if probe::is_resource_shortage(errno) || errno == libc::ENOSPC {
                        self.retry.push_front(probe);
                        self.back_off(now_ns);
                        return false;
                    }
                    self.settle(probe, Reason::LocalError, None);
                    return true;
                }
                // The first look comes after the floor; the timeout in force then (it may
                // have shrunk or grown with answers that came in meanwhile) decides.
                let floor_us = self.shared.config.timeouts.floor.as_micros() as u64;
                let deadline_ms = (now_ns + floor_us * 1_000).div_ceil(1_000_000);
                self.wheel.insert(
                    deadline_ms,
                    TimerKey {
                        slot: index,
                        generation,
                    },
                );
                slot.socket = Some(socket);
                slot.probe = Some(probe);
                slot.started_ns = now_ns;
                self.in_flight += 1;
                true
            }
            Start::Done(reason) => {
                self.stalled_since_ns = None;
                let rtt = elapsed_us(now_ns, self.shared.clock.now_ns());
                self.settle(probe, reason, Some(rtt));
                true
            }
            Start::Busy => {
                self.retry.push_front(probe);
                self.back_off(now_ns);
                false
            }
        }
    }

    /// Fewer connections in flight for a while, and a pause before the next launch.
    fn back_off(&mut self, now_ns: u64) {
        self.shared
            .counters
            .backoffs
            .fetch_add(1, Ordering::Relaxed);
        self.window = (self.in_flight.min(self.window) * 3 / 4).max(1);
        self.credits = 0;
        if self.in_flight > 0 {
            self.resume_at_ns = now_ns + BUSY_BACKOFF_NS;
            return;
        }
        self.resume_at_ns = now_ns + IDLE_BACKOFF_NS;
        let since = *self.stalled_since_ns.get_or_insert(now_ns);
        if now_ns.saturating_sub(since) > STALL_LIMIT_NS {
            // Nothing of ours holds a resource and none has come free in ten seconds: give
            // this probe up rather than loop for ever.
            self.stalled_since_ns = None;
            if let Some(probe) = self.retry.pop_front() {
                self.settle(probe, Reason::LocalError, None);
            }
        }
    }

    /// A socket came free: the window grows back by an eighth after a window's worth.
    fn released(&mut self, index: u32) {
        self.free.push(index);
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.window < self.max_window {
            self.credits += 1;
            if self.credits >= self.window {
                self.credits = 0;
                self.window = (self.window + self.window / 8 + 1).min(self.max_window);
            }
        }
    }

    fn wait_time(&self) -> Duration {
        let now_ns = self.shared.clock.now_ns();
        let can_launch = self.in_flight < self.window
            && now_ns >= self.resume_at_ns
            && self.has_work_now(now_ns);
        if can_launch {
            return Duration::ZERO;
        }
        let mut until_ns = now_ns + MAX_WAIT.as_nanos() as u64;
        if let Some(ms) = self.wheel.next_deadline() {
            until_ns = until_ns.min(ms.saturating_mul(1_000_000));
        }
        if self.resume_at_ns > now_ns {
            until_ns = until_ns.min(self.resume_at_ns);
        }
        if let Some((at, _)) = self.deferred.front() {
            until_ns = until_ns.min(*at);
        }
        Duration::from_nanos(until_ns.saturating_sub(now_ns))
    }

    fn poll_and_settle(&mut self, wait: Duration) {
        if self.in_flight == 0 {
            // Nothing to hear from: just sleep out the wait (backoff or pacing).
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
            return;
        }
        if self.poll.poll(&mut self.events, Some(wait)).is_err() {
            // EINTR: the next turn polls again.
            return;
        }
        self.ready.clear();
        for event in self.events.iter() {
            self.ready.push((event.token(), event.is_error()));
        }
        let ready = std::mem::take(&mut self.ready);
        for &(token, error) in &ready {
            self.on_ready(token, error);
        }
        self.ready = ready;
    }

    fn on_ready(&mut self, token: Token, error: bool) {
        let key = slot_of(token);
        let now_ns = self.shared.clock.now_ns();
        let Some(slot) = self.slots.get_mut(key.slot as usize) else {
            return;
        };
        if slot.generation != key.generation {
            return;
        }
        let (Some(socket), Some(probe)) = (slot.socket.as_ref(), slot.probe.as_ref()) else {
            return;
        };
        let Some(target) = probe.target() else {
            return;
        };
        // None: neither connected nor failed; the timer settles it.
        let Some(reason) = probe::finish(socket, target, error) else {
            return;
        };
        let rtt = elapsed_us(slot.started_ns, now_ns);
        let socket = slot.socket.take();
        let probe = slot.probe.take();
        if let Some(socket) = socket {
            if matches!(reason, Reason::SynAck | Reason::SelfConnect) {
                probe::close_abortively(socket);
            } else {
                drop(socket);
            }
        }
        self.released(key.slot);
        if let Some(probe) = probe {
            self.settle(probe, reason, Some(rtt));
        }
    }

    fn expire_timers(&mut self) {
        if self.wheel.is_empty() {
            return;
        }
        let now_ns = self.shared.clock.now_ns();
        let now_ms = now_ns / 1_000_000;
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        self.wheel.expire(now_ms, &mut due);
        if !due.is_empty() {
            // Answers that arrived while this thread was not running are in epoll: take them
            // before calling anything silent.
            self.poll_and_settle(Duration::ZERO);
        }
        for key in &due {
            let Some(slot) = self.slots.get_mut(key.slot as usize) else {
                continue;
            };
            if slot.generation != key.generation || slot.socket.is_none() {
                continue;
            }
            let host = slot
                .probe
                .as_ref()
                .and_then(|p| p.group.hosts.get(p.host as usize));
            let timeout_us = host.map_or(0, |h| {
                timing::timeout_us(&h.rtt, self.shared.global_rtt, &self.shared.config.timeouts)
            });
            let deadline_ns = slot.started_ns + u64::from(timeout_us) * 1_000;
            if deadline_ns > now_ns {
                self.wheel.insert(deadline_ns.div_ceil(1_000_000), *key);
                continue;
            }
            let socket = slot.socket.take();
            let probe = slot.probe.take();
            drop(socket);
            self.released(key.slot);
            let Some(mut probe) = probe else {
                continue;
            };
            if probe.attempt < self.shared.config.retries {
                self.shared.counters.retries.fetch_add(1, Ordering::Relaxed);
                probe.attempt += 1;
                self.retry.push_back(probe);
            } else {
                self.settle(probe, Reason::NoResponse, None);
            }
        }
        self.due = due;
    }

    /// Records a probe's final answer, reports it and, for the last probe of a group, the
    /// group's hosts.
    fn settle(&mut self, probe: Probe, reason: Reason, rtt_us: Option<u32>) {
        let Some(host) = probe.group.hosts.get(probe.host as usize) else {
            return;
        };
        let counters = self.shared.counters;
        let state = reason.tcp_verdict().nmap();
        match state {
            NmapState::Open => {
                host.open.fetch_add(1, Ordering::Relaxed);
                counters.open.fetch_add(1, Ordering::Relaxed);
            }
            NmapState::Closed => {
                host.closed.fetch_add(1, Ordering::Relaxed);
                counters.closed.fetch_add(1, Ordering::Relaxed);
            }
            // A sweep's counts have no column for local errors (rare: each is still
            // reported per port, as `error`); they count with the ports not known open.
            NmapState::Filtered | NmapState::OpenFiltered | NmapState::Error => {
                host.filtered.fetch_add(1, Ordering::Relaxed);
                counters.filtered.fetch_add(1, Ordering::Relaxed);
            }
        }
        if reason == Reason::SelfConnect {
            counters.self_connects.fetch_add(1, Ordering::Relaxed);
        }
        if reason.from_target() {
            host.answered.store(true, Ordering::Relaxed);
            // Karn: only first tries give a round trip that belongs to one SYN.
            if probe.attempt == 0
                && let Some(rtt) = rtt_us
            {
                host.rtt.sample(rtt);
                self.shared.global_rtt.sample(rtt);
            }
        }
        counters.done.fetch_add(1, Ordering::Relaxed);
        if state == NmapState::Open || self.shared.config.report_all {
            // The receiver only goes away when the scan is over; nothing to do then.
            let _ = self.sender.send(Event::Port(PortResult {
                host: host.index,
                address: host.address,
                port: probe.port,
                state,
                reason,
                tries: probe.attempt.saturating_add(1),
                rtt_us: rtt_us.filter(|_| reason.from_target()),
            }));
        }
        if probe.group.finish_one() {
            self.report_group(&probe.group);
        }
    }

    fn report_group(&self, group: &Group) {
        let finished_ms = self.shared.clock.now_ms();
        let policy = &self.shared.config.timeouts;
        for host in group.hosts.iter() {
            let rtt = host.rtt.get();
            let _ = self.sender.send(Event::Host(HostSummary {
                host: host.index,
                address: host.address,
                open: host.open.load(Ordering::Relaxed),
                closed: host.closed.load(Ordering::Relaxed),
                filtered: host.filtered.load(Ordering::Relaxed),
                up: host.answered.load(Ordering::Relaxed),
                srtt_us: rtt.map(|(s, _)| s),
                rttvar_us: rtt.map(|(_, v)| v),
                timeout_us: timing::timeout_us(&host.rtt, self.shared.global_rtt, policy),
                started_ms: group.started_ms,
                finished_ms,
            }));
        }
    }
}

fn elapsed_us(from_ns: u64, to_ns: u64) -> u32 {
    u32::try_from(to_ns.saturating_sub(from_ns) / 1_000).unwrap_or(u32::MAX)
}
