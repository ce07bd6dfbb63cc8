//! The connect-scan engine: one epoll event loop per core on plain threads.
//!
//! Why threads and epoll instead of an async runtime: a connect scan against a fast target is
//! bound by the kernel's cost per connection (about 15 µs of CPU on this kind of machine, the
//! target's side included), so what matters is the number of system calls per probe and
//! using every core. Each worker owns a `mio::Poll`, a table of in-flight sockets and a timer
//! wheel; none of them needs a per-socket timer, a wake-up or a task. Workers take chunks of
//! probes from a shared dispenser, so the probes of one host are interleaved across cores.
//!
//! Exactness rules: a port is open only when `getpeername` proves the connection was
//! established and `getsockname` shows it is not a self-connect; a probe with no answer is
//! retried (`retries`) with a timeout adapted to the host's measured round trip; before a
//! timeout is declared the worker drains epoll once more, so an answer that came in while the
//! thread was not running is never taken for silence. Running out of descriptors, buffers or
//! source ports shrinks the window of probes in flight and retries the probe later: it never
//! fails the scan.

mod probe;
// The one pacer of `--rate`, shared with the UDP sweep (portolan-probe's engine) and the
// half-open sweep (`syn`).
pub(crate) use portolan_core::rate;
mod timer;
mod work;
mod worker;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub use portolan_core::limits::{FdBudget, budget};
pub use portolan_core::timing::TimeoutPolicy;

use crate::error::EngineError;
use crate::ports::PortList;
use crate::result::{HostSummary, PortResult};
use portolan_core::target::TargetList;

/// How a scan runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Worker threads (event loops); 0 means one per available core.
    pub threads: usize,
    /// Most connections in flight over all threads; 0 means as many as the open-file limit
    /// allows (after raising the soft limit to the hard one), at most [`AUTO_CONCURRENCY`].
    pub concurrency: usize,
    /// Most new connections per second over all hosts.
    pub rate: Option<u32>,
    /// Most new connections per second to any one host.
    pub host_rate: Option<u32>,
    /// Tries after the first for a connection that got no answer.
    pub retries: u8,
    /// Timeouts.
    pub timeouts: TimeoutPolicy,
    /// Report closed and filtered ports too (open ones always are).
    pub report_all: bool,
}

/// The most connections in flight when `concurrency` is 0.
pub const AUTO_CONCURRENCY: usize = 16_384;

impl Default for Config {
    fn default() -> Self {
        Config {
            threads: 0,
            concurrency: 0,
            rate: None,
            host_rate: None,
            retries: 1,
            timeouts: TimeoutPolicy {
                initial: Duration::from_millis(1000),
                floor: Duration::from_millis(100),
                ceiling: Duration::from_millis(1250),
            },
            report_all: false,
        }
    }
}

/// What the engine reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A port's final state (open ones always; others with `report_all`).
    Port(PortResult),
    /// A host whose every port is known.
    Host(HostSummary),
}

/// How far the scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Probes in the whole scan.
    pub total: u64,
    /// Probes finished.
    pub done: u64,
    /// Open ports found.
    pub open: u64,
}

/// Receives the engine's events on the thread that called [`run`].
pub trait Observer {
    /// One event, as soon as it is known.
    fn event(&mut self, event: Event);
    /// Called about ten times a second.
    fn tick(&mut self, _progress: Progress) {}
}

/// How the scan went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Probes in the whole scan.
    pub total: u64,
    /// Probes finished (less than `total` only when interrupted).
    pub done: u64,
    /// Open ports found.
    pub open: u64,
    /// Closed ports found.
    pub closed: u64,
    /// Filtered ports found.
    pub filtered: u64,
    /// The scan was stopped before the end.
    pub interrupted: bool,
    /// Wall time.
    pub elapsed: Duration,
    /// Worker threads used.
    pub threads: usize,
    /// Most connections allowed in flight (over all threads).
    pub concurrency: usize,
    /// The open-file limit seen.
    pub fd_budget: FdBudget,
    /// Connections retried after a timeout.
    pub retries: u64,
    /// Times a worker backed off for lack of descriptors, buffers or source ports.
    pub backoffs: u64,
    /// Connections that met themselves (reported closed).
    pub self_connects: u64,
}

/// A monotonic clock from the start of the scan.
#[derive(Debug)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock {
            start: Instant::now(),
        }
    }

    pub(crate) fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// Counters shared by the workers.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub done: AtomicU64,
    pub open: AtomicU64,
    pub closed: AtomicU64,
    pub filtered: AtomicU64,
    pub retries: AtomicU64,
    pub backoffs: AtomicU64,
    pub self_connects: AtomicU64,
}

/// Hands the workers' events to the observer on this thread, with a progress tick every
/// 100 ms, until every sender is gone: the connect sweep and the half-open sweep both end
/// their scans here.
pub(crate) fn pump_events(
    receiver: &mpsc::Receiver<Event>,
    observer: &mut dyn Observer,
    total: u64,
    done: &AtomicU64,
    open: &AtomicU64,
) {
    let mut last_tick = Instant::now();
    loop {
        match receiver.recv_timeout(Duration::from_millis(100)) {
            Ok(event) => observer.event(event),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if last_tick.elapsed() >= Duration::from_millis(100) {
            last_tick = Instant::now();
            observer.tick(Progress {
                total,
                done: done.load(Ordering::Relaxed),
                open: open.load(Ordering::Relaxed),
            });
        }
    }
}

/// Events a worker may send ahead of the output before it waits for it.
const EVENT_QUEUE: usize = 1 << 16;

/// Scans every port of `ports` on every address of `targets`, calling `observer` on this
/// thread as results come in. Returns when the scan is done or `stop` became true (then with
/// what was known so far). Fails only when no worker could start.
pub fn run(
    targets: &TargetList,
    ports: &PortList,
    config: &Config,
    stop: &AtomicBool,
    observer: &mut dyn Observer,
) -> Result<Summary, EngineError> {
    let fd_budget = portolan_core::limits::raise_and_measure();
    let total = targets.len().saturating_mul(ports.len() as u64);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted_threads = if config.threads == 0 {
        cores
    } else {
        config.threads
    };
    // No more threads than could each keep a few probes in flight.
    let threads = wanted_threads
        .clamp(1, 256)
        .min(total.clamp(1, 256) as usize);
    let cap = if config.concurrency == 0 {
        AUTO_CONCURRENCY
    } else {
        config.concurrency
    };
    let concurrency = cap.min(fd_budget.sockets).max(threads);

    let clock = Clock::new();
    let counters = Counters::default();
    let global_rtt = portolan_core::timing::RttEstimate::default();
    let global_pacer = config.rate.map(rate::Pacer::new);
    let dispenser = work::Dispenser::new(targets, ports.ports(), config.host_rate, &clock);
    // Bounded: when the output is slower than the scan (jsonl into a slow pipe), workers wait
    // for it instead of piling events up in memory.
    let (sender, receiver) = mpsc::sync_channel::<Event>(EVENT_QUEUE);

    let shared = worker::Shared {
        config,
        clock: &clock,
        dispenser: &dispenser,
        global_rtt: &global_rtt,
        global_pacer: global_pacer.as_ref(),
        stop,
        counters: &counters,
    };

    let started = Instant::now();
    let setup = std::thread::scope(|scope| -> Result<(), EngineError> {
        let mut handles = Vec::new();
        let mut failure = None;
        for index in 0..threads {
            // Spread the window; the first threads take the remainder.
            let window = concurrency / threads + usize::from(index < concurrency % threads);
            let sender = sender.clone();
            let shared = &shared;
            let spawned = std::thread::Builder::new()
                .name(format!("scan-{index}"))
                .spawn_scoped(scope, move || {
                    worker::Worker::run(shared, window.max(1), sender)
                });
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(source) => {
                    failure = Some(EngineError::Setup {
                        what: "a worker thread",
                        source,
                    });
                    break;
                }
            }
        }
        drop(sender);
        if handles.is_empty() {
            return Err(failure.unwrap_or(EngineError::Setup {
                what: "a worker thread",
                source: std::io::Error::other("no thread started"),
            }));
        }
        pump_events(&receiver, observer, total, &counters.done, &counters.open);
        let mut setup_error = None;
        for handle in handles {
            if let Ok(Err(e)) = handle.join() {
                setup_error.get_or_insert(e);
            }
        }
        // A worker that could not create its epoll instance leaves its share to the others;
        // only a scan where no probe ran at all is a failure.
        match setup_error {
            Some(e)
                if counters.done.load(Ordering::Relaxed) == 0
                    && total > 0
                    && !stop.load(Ordering::Relaxed) =>
            {
                Err(e)
            }
            _ => Ok(()),
        }
    });
    setup?;
    let done = counters.done.load(Ordering::Relaxed);
    Ok(Summary {
        total,
        done,
        open: counters.open.load(Ordering::Relaxed),
        closed: counters.closed.load(Ordering::Relaxed),
        filtered: counters.filtered.load(Ordering::Relaxed),
        interrupted: done < total,
        elapsed: started.elapsed(),
        threads,
        concurrency,
        fd_budget,
        retries: counters.retries.load(Ordering::Relaxed),
        backoffs: counters.backoffs.load(Ordering::Relaxed),
        self_connects: counters.self_connects.load(Ordering::Relaxed),
    })
}
