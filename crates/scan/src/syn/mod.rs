//! The half-open sweep (`scan --syn`): crafted SYNs on a raw socket, answers read from raw
//! sockets, no connection ever completed.
//!
//! Threads (the sweep uses every core):
//! - the *senders* (one per core, or `--threads`) each take every n-th probe; each walks the probes port by port across the hosts, writes each SYN with
//!   `portolan_wire::tcpip`, and sends it on an `IPPROTO_RAW` socket, paced by `--rate`.
//!   Each SYN joins a queue in send order; when the probe at its head is still silent after
//!   the wait the shared timing model gives its host (`portolan_core::timing`:
//!   `srtt + 4 * rttvar`, between the floor and the ceiling, the initial wait before any
//!   answer), it is sent again, up to `retries` times, between the new SYNs. So the retries
//!   of a full sweep cost no extra round: it ends one wait after its last SYN;
//! - two *receivers*, one on a raw TCP socket and one on a raw ICMP socket, parse every
//!   datagram the kernel delivers, keep those that answer one of our SYNs, and record the
//!   answer and its round trip (which feeds the timing model the sender reads);
//! - the calling thread renders the events as they come (open ports, and every port with
//!   `report_all`), then rules the silent probes filtered once the sender and receivers end.
//!
//! Matching is stateless: every SYN leaves from one reserved source port with a sequence
//! number that is a keyed SipHash of both ends ([`table::Table::cookie`]). A SYN-ACK or a
//! reset counts only when it comes from a scanned address and port to our source address
//! and port and acknowledges exactly cookie + 1; an ICMP destination-unreachable counts only
//! when its quoted header carries our addresses, ports and the cookie. Everything else the
//! raw sockets see (they see all TCP and ICMP of this host) is ignored.
//!
//! Verdicts: SYN-ACK is open (LISTENING), a reset closed (NOT LISTENING), ICMP unreachable
//! filtered (administratively prohibited, host, net, protocol), except port unreachable,
//! which is closed as the kernel reports it to a connect; silence after every try is
//! filtered (`no-response`). As in the connect sweep, ICMP port unreachable is the one ICMP
//! answer that means closed.
//!
//! No socket exists for the half-open connection, so the kernel answers each SYN-ACK with a
//! reset itself: the target's half-open connection is closed, as nmap's and masscan's are.
//! IPv4 only: an IPv6 target is refused with a message naming the connect sweep instead.

mod receive;
mod send;
pub mod socket;
pub mod table;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use portolan_core::target::TargetList;
use portolan_core::timing::{self, RttEstimate};
use portolan_core::verdict::Reason;

use crate::engine::{Clock, Config, Event, Observer, Summary};
use crate::result::{HostSummary, PortResult};
use table::{Host, Table};

/// The most probes (addresses x ports) of one half-open sweep: five bytes of state each, so
/// at most 80 MiB; a /24 with every port fits.
pub const MAX_PROBES: u64 = 1 << 24;

/// The fix for a missing privilege, as printed.
pub const PRIVILEGE_FIX: &str = "run it as root, or give the binary the capability once: \
     sudo setcap cap_net_raw+ep \"$(command -v portolan)\"; or leave out --syn for the connect sweep";

/// Why a half-open sweep could not start.
#[derive(Debug, thiserror::Error)]
pub enum SynError {
    /// No CAP_NET_RAW.
    #[error("scan --syn needs raw sockets (CAP_NET_RAW), and this process may not open them ({source}); {fix}", fix = PRIVILEGE_FIX)]
    NoPrivilege {
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// An IPv6 target.
    #[error(
        "scan --syn: {address} is an IPv6 address, and the half-open sweep speaks IPv4 only; \
         scan IPv6 targets without --syn (the connect sweep)"
    )]
    Ipv6 {
        /// The address.
        address: IpAddr,
    },
    /// Too many probes.
    #[error(
        "scan --syn over {probes} probes is more than {max}; narrow the ports or the hosts, \
         or split the sweep",
        max = MAX_PROBES
    )]
    TooManyProbes {
        /// Addresses x ports.
        probes: u64,
    },
    /// A socket or thread could not be set up.
    #[error("cannot start the half-open sweep: {what}: {source}")]
    Setup {
        /// What was being set up.
        what: &'static str,
        /// The system error.
        #[source]
        source: std::io::Error,
    },
}

impl SynError {
    /// Whether the error is the user's to fix (privilege, IPv6, size): exit 2.
    pub fn is_usage(&self) -> bool {
        !matches!(self, SynError::Setup { .. })
    }
}

/// Counters shared by the threads.
#[derive(Debug, Default)]
struct Counters {
    done: AtomicU64,
    open: AtomicU64,
    retries: AtomicU64,
    backoffs: AtomicU64,
}

/// What the sender and receivers share.
struct Shared<'a> {
    table: &'a Table,
    config: &'a Config,
    clock: &'a Clock,
    global_rtt: &'a RttEstimate,
    stop: &'a AtomicBool,
    sender_done: AtomicBool,
    /// `--rate`, shared by every sender.
    pacer: Option<crate::engine::rate::Pacer>,
    /// Senders not finished yet; the last one to finish sets `sender_done`.
    senders_running: AtomicUsize,
    counters: Counters,
}

impl Shared<'_> {
    fn now_us(&self) -> u32 {
        (self.clock.now_ns() / 1000) as u32
    }

    /// A port result for the events.
    fn result(
        &self,
        host: usize,
        port: usize,
        reason: Reason,
        tries: u8,
        rtt_us: Option<u32>,
    ) -> PortResult {
        PortResult {
            host: host as u64,
            address: IpAddr::V4(self.table.hosts[host].address),
            port: self.table.ports[port],
            state: reason.tcp_verdict().nmap(),
            reason,
            tries,
            rtt_us,
        }
    }

    /// Counts a decided probe and queues its event when it is to be reported.
    fn decided(&self, result: PortResult, events: &mpsc::SyncSender<Event>) {
        self.counters.done.fetch_add(1, Ordering::Relaxed);
        let open = result.reason == Reason::SynAck;
        if open {
            self.counters.open.fetch_add(1, Ordering::Relaxed);
        }
        if open || self.config.report_all {
            let _ = events.send(Event::Port(result));
        }
    }
}

/// Events the threads may queue ahead of the renderer.
const EVENT_QUEUE: usize = 1 << 16;

/// Runs a half-open sweep of `ports` on every address of `targets` with `config`'s retries,
/// timeouts, `rate`, `report_all` and `threads` (sender threads; 0 is one per core; its
/// `concurrency` and `host_rate` are the connect sweep's and do not apply), calling
/// `observer` on this thread.
pub fn run(
    targets: &TargetList,
    ports: &[u16],
    config: &Config,
    stop: &AtomicBool,
    observer: &mut dyn Observer,
) -> Result<Summary, SynError> {
    let started = Instant::now();
    let total = targets.len().saturating_mul(ports.len() as u64);
    if total > MAX_PROBES {
        return Err(SynError::TooManyProbes { probes: total });
    }
    let mut addresses = Vec::with_capacity(usize::try_from(targets.len()).unwrap_or(0));
    for host in targets.iter() {
        match host.address {
            IpAddr::V4(v4) => addresses.push(v4),
            address @ IpAddr::V6(_) => return Err(SynError::Ipv6 { address }),
        }
    }
    // Privilege first: without it, nothing else matters.
    let privileged = |what, e: std::io::Error| {
        if socket::is_permission(&e) {
            SynError::NoPrivilege { source: e }
        } else {
            SynError::Setup { what, source: e }
        }
    };
    let send_socket = socket::sender().map_err(|e| privileged("a raw sending socket", e))?;
    let tcp_socket =
        socket::receiver(libc::IPPROTO_TCP).map_err(|e| privileged("a raw TCP socket", e))?;
    let icmp_socket =
        socket::receiver(libc::IPPROTO_ICMP).map_err(|e| privileged("a raw ICMP socket", e))?;
    let (_port_guard, source_port) =
        socket::reserve_source_port().map_err(|source| SynError::Setup {
            what: "a source port",
            source,
        })?;
    let _ = socket::keep_only(&tcp_socket, socket::Keep::TcpToPort(source_port));
    let _ = socket::keep_only(&icmp_socket, socket::Keep::IcmpUnreachable);

    let hosts = addresses
        .into_iter()
        .map(|address| Host {
            address,
            source: socket::route_source(address).ok(),
            rtt: RttEstimate::default(),
        })
        .collect();
    let table = Table::new(hosts, ports.to_vec(), source_port);
    // One sender per core: on a fast target most of a SYN's cost is the kernel's (the send
    // and, over a veth or loopback, the target's stack), paid by the sending thread.
    let senders = if config.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        config.threads
    }
    .clamp(1, 16);
    let clock = Clock::new();
    let global_rtt = RttEstimate::default();
    let shared = Shared {
        table: &table,
        config,
        clock: &clock,
        global_rtt: &global_rtt,
        stop,
        sender_done: AtomicBool::new(false),
        senders_running: AtomicUsize::new(senders),
        pacer: config.rate.map(crate::engine::rate::Pacer::new),
        counters: Counters::default(),
    };
    let (events, receiver) = mpsc::sync_channel::<Event>(EVENT_QUEUE);

    std::thread::scope(|scope| -> Result<(), SynError> {
        let thread_error = |source| SynError::Setup {
            what: "a thread",
            source,
        };
        let shared = &shared;
        let (tcp_events, icmp_events, send_events) = (events.clone(), events.clone(), events);
        let (tcp_socket, icmp_socket, send_socket) = (&tcp_socket, &icmp_socket, &send_socket);
        let mut started = std::thread::Builder::new()
            .name("syn-rx-tcp".into())
            .spawn_scoped(scope, move || receive::tcp(shared, tcp_socket, &tcp_events))
            .and_then(|_| {
                std::thread::Builder::new()
                    .name("syn-rx-icmp".into())
                    .spawn_scoped(scope, move || {
                        receive::icmp(shared, icmp_socket, &icmp_events)
                    })
            })
            .map(|_| ());
        for index in 0..senders {
            if started.is_err() {
                break;
            }
            let events = send_events.clone();
            started = std::thread::Builder::new()
                .name(format!("syn-tx-{index}"))
                .spawn_scoped(scope, move || {
                    send::run(shared, send_socket, index, senders, &events)
                })
                .map(|_| ());
        }
        drop(send_events);
        if let Err(e) = started {
            // The receivers that started end once the sender is marked done.
            shared.sender_done.store(true, Ordering::Release);
            return Err(thread_error(e));
        }
        crate::engine::pump_events(
            &receiver,
            observer,
            total,
            &shared.counters.done,
            &shared.counters.open,
        );
        Ok(())
    })?;

    let interrupted = stop.load(Ordering::Relaxed);
    let tally = conclude(&shared, interrupted, observer);
    let done = shared.counters.done.load(Ordering::Relaxed);
    Ok(Summary {
        total,
        done,
        open: tally.open,
        closed: tally.closed,
        filtered: tally.filtered,
        interrupted: done < total,
        elapsed: started.elapsed(),
        threads: senders + 2,
        concurrency: 0,
        fd_budget: portolan_core::limits::raise_and_measure(),
        retries: shared.counters.retries.load(Ordering::Relaxed),
        backoffs: shared.counters.backoffs.load(Ordering::Relaxed),
        self_connects: 0,
    })
}

#[derive(Debug, Default)]
struct Tally {
    open: u64,
    closed: u64,
    filtered: u64,
}

/// Rules the probes still silent filtered (unless interrupted), reports them when asked,
/// and summarises every host.
fn conclude(shared: &Shared<'_>, interrupted: bool, observer: &mut dyn Observer) -> Tally {
    let table = shared.table;
    let mut tally = Tally::default();
    let finished_ms = shared.clock.now_ms();
    let policy = &shared.config.timeouts;
    for (h, host) in table.hosts.iter().enumerate() {
        let (mut open, mut closed, mut filtered) = (0u32, 0u32, 0u32);
        let canonical = table.canonical(h);
        for p in 0..table.ports.len() {
            let outcome = table.outcome(table.probe(canonical, p));
            let reason = match outcome.reason {
                // A repeated address: the first listing's answer, reported again under this one.
                Some(reason) if canonical != h => {
                    let result = shared.result(h, p, reason, outcome.tries, None);
                    shared.counters.done.fetch_add(1, Ordering::Relaxed);
                    if reason == Reason::SynAck || shared.config.report_all {
                        observer.event(Event::Port(result));
                    }
                    reason
                }
                Some(reason) => reason,
                None if interrupted => continue,
                None => {
                    let reason = if host.source.is_none() {
                        Reason::NetUnreach
                    } else {
                        Reason::NoResponse
                    };
                    let result = shared.result(h, p, reason, outcome.tries, None);
                    shared.counters.done.fetch_add(1, Ordering::Relaxed);
                    if shared.config.report_all {
                        observer.event(Event::Port(result));
                    }
                    reason
                }
            };
            match reason.tcp_verdict().nmap() {
                crate::result::NmapState::Open => open += 1,
                crate::result::NmapState::Closed => closed += 1,
                _ => filtered += 1,
            }
        }
        tally.open += u64::from(open);
        tally.closed += u64::from(closed);
        tally.filtered += u64::from(filtered);
        if interrupted {
            continue;
        }
        let rtt = host.rtt.get();
        observer.event(Event::Host(HostSummary {
            host: h as u64,
            address: IpAddr::V4(host.address),
            open,
            closed,
            filtered,
            up: open + closed > 0,
            srtt_us: rtt.map(|(s, _)| s),
            rttvar_us: rtt.map(|(_, v)| v),
            timeout_us: timing::timeout_us(&host.rtt, shared.global_rtt, policy),
            started_ms: 0,
            finished_ms,
        }));
    }
    tally
}

/// The route source toward `target`, as the sweep uses it (exposed for the tests and the
/// benchmark's checks).
pub fn source_for(target: Ipv4Addr) -> std::io::Result<Ipv4Addr> {
    socket::route_source(target)
}
