//! The check engine: every probe of every host in flight at once, up to what the machine's
//! open-file limit allows (each probe holds at most one socket), each waiting only as long as
//! its host's adaptive timing allows, results streamed as they come.
//!
//! A probe's task is spawned only once it holds a permit of the budget, so memory grows with
//! the probes in flight, not with the hosts x ports asked for.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use portolan_catalog::Transport;
use portolan_core::errno;
use portolan_core::timing::TimeoutPolicy;
use portolan_core::verdict::Reason;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

use crate::net::{TcpAttempt, UdpEvent, UdpProbeSocket, tcp_attempt};
use crate::result::{Origin, PortResult, Status};
use crate::select::Target;
use crate::timing::HostTiming;
use crate::udp_probes::{self, Classified};
use crate::verify;
use portolan_core::rate::Pacer;

/// How a check runs.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The longest wait for a silent probe, and the wait before a host has answered anything.
    pub ceiling: Duration,
    /// The shortest wait for a silent TCP probe, however fast the host answers.
    pub floor: Duration,
    /// The shortest wait for a UDP answer (applications think longer than networks).
    pub udp_floor: Duration,
    /// TCP connection attempts before FILTERED (PortQry makes 3).
    pub tcp_attempts: u32,
    /// UDP probes sent before LISTENING OR FILTERED (PortQry sends 1).
    pub udp_attempts: u32,
    /// Most probes in flight at once; 0: as many as the open-file limit allows
    /// ([`in_flight`]).
    pub concurrency: usize,
    /// Verify the protocol on open TCP ports.
    pub verify: bool,
    /// The longest wait for an application's answer during a verification (never shorter
    /// than the network's estimate).
    pub verify_timeout: Duration,
    /// What the protocol probes may send.
    pub context: ProbeContext,
    /// The port the endpoint mapper is asked on: 135 ([`crate::rpc::EPM_PORT`]); tests
    /// point it at a fake mapper on loopback.
    pub mapper_port: u16,
    /// Most new probes (first tries) per second over all hosts; `None`: as fast as the
    /// probes in flight allow. `scan --udp --rate`.
    pub rate: Option<u32>,
    /// `--pin-rpc`: compare the endpoint mapper's answer with the pinned ports.
    pub pin: Option<crate::pinned::PinCheck>,
}

/// Settings the protocol probes need.
#[derive(Debug, Clone)]
pub struct ProbeContext {
    /// SNMP community (default `public`).
    pub snmp_community: String,
    /// AD DNS domain for the CLDAP netlogon ping and the Kerberos realm, if known.
    pub domain: Option<String>,
    /// RADIUS shared secret, if known (lets the probe check the reply's authenticator).
    pub radius_secret: Option<String>,
    /// The run's token when the hosts run `portolan listen` (`check --expect-listener`):
    /// every probe also carries the portolan hello, and an open port's verification is
    /// whether the token came back (docs/listen.md).
    pub listener: Option<portolan_wire::hello::Token>,
}

impl Default for ProbeContext {
    fn default() -> Self {
        ProbeContext {
            snmp_community: "public".to_string(),
            domain: None,
            radius_secret: None,
            listener: None,
        }
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            pin: None,
            ceiling: Duration::from_millis(1500),
            floor: Duration::from_millis(100),
            udp_floor: Duration::from_millis(500),
            tcp_attempts: 2,
            udp_attempts: 2,
            concurrency: 0,
            verify: true,
            verify_timeout: verify::DEFAULT_VERIFY_TIMEOUT,
            context: ProbeContext::default(),
            mapper_port: crate::rpc::EPM_PORT,
            rate: None,
        }
    }
}

/// A host to check: as given, and the address chosen for it.
#[derive(Debug, Clone)]
pub struct Host {
    /// As given on the command line.
    pub name: String,
    /// The address probed.
    pub address: IpAddr,
    /// The IPv6 scope (interface index) of the address, 0 when none.
    pub scope_id: u32,
    /// Why the name could not be looked up; such a host is not probed, and each of its ports
    /// is an ERROR saying so (the address is then the unspecified one).
    pub unresolved: Option<String>,
}

impl Host {
    /// The hosts of a target list, each once (a host given twice is checked once: results
    /// are told apart by the host's label).
    pub fn from_targets(targets: &portolan_core::target::TargetList) -> Vec<Host> {
        let mut hosts: Vec<Host> = Vec::new();
        for target in targets.iter() {
            let name = target.label();
            if hosts.iter().any(|h| h.name == name) {
                continue;
            }
            hosts.push(Host {
                name,
                address: target.address,
                scope_id: target.scope_id,
                unresolved: None,
            });
        }
        hosts
    }

    /// A host whose name did not resolve: `problem` says why.
    pub fn unresolved(name: String, problem: String) -> Host {
        Host {
            name,
            address: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            scope_id: 0,
            unresolved: Some(problem),
        }
    }
}

/// Probes in flight for a requested concurrency: the request as it is (the user's cap: above
/// what the descriptors allow, probes back off on shortages), or with 0 the sockets the
/// open-file limit leaves (`portolan_core::limits::budget`).
pub fn in_flight(requested: usize, fd_sockets: usize) -> usize {
    let chosen = if requested == 0 {
        fd_sockets
    } else {
        requested
    };
    // The semaphore refuses (panics on) more permits than MAX_PERMITS.
    chosen.clamp(1, Semaphore::MAX_PERMITS)
}

/// The permits every probe, endpoint-mapper look-up and protocol verification of one check
/// share. With concurrency 0 this raises the soft open-file limit to the hard one.
pub fn budget(options: &CheckOptions) -> Arc<Semaphore> {
    let sockets = if options.concurrency == 0 {
        portolan_core::limits::raise_and_measure().sockets
    } else {
        0
    };
    Arc::new(Semaphore::new(in_flight(options.concurrency, sockets)))
}

/// One port of one host to probe.
#[derive(Debug, Clone)]
pub struct Job {
    /// Index of the host in the host list.
    pub host: usize,
    /// The port and what it stands for.
    pub target: Target,
    /// Where it came from.
    pub origin: Origin,
    /// What the result must say about where the port came from (an endpoint mapper's list
    /// that is incomplete), else `None`.
    pub note: Option<String>,
}

/// Runs jobs against hosts and sends each result to `results` as soon as it is known.
/// Returns when every job has finished.
pub async fn run(
    hosts: &[Host],
    jobs: Vec<Job>,
    options: &CheckOptions,
    results: mpsc::Sender<PortResult>,
) {
    let timings: Vec<Arc<HostTiming>> = hosts
        .iter()
        .map(|_| Arc::new(HostTiming::new(timeout_policy(options))))
        .collect();
    let permits = budget(options);
    run_with_timings(hosts, &timings, jobs, options, &permits, results).await;
}

/// The adaptive wait for these options: the ceiling until the host answers.
pub fn timeout_policy(options: &CheckOptions) -> TimeoutPolicy {
    TimeoutPolicy::ceiling_first(options.floor, options.ceiling)
}

/// Like [`run`], with timings that outlive the run (so a second wave of jobs, such as the
/// endpoint mapper's ports, starts from what the first wave learnt) and permits shared with
/// whatever else the check holds sockets for (the endpoint-mapper look-ups). Jobs are taken
/// from the iterator only as permits free up.
pub async fn run_with_timings(
    hosts: &[Host],
    timings: &[Arc<HostTiming>],
    jobs: impl IntoIterator<Item = Job>,
    options: &CheckOptions,
    permits: &Arc<Semaphore>,
    results: mpsc::Sender<PortResult>,
) {
    let options = Arc::new(options.clone());
    let pacer = options.rate.map(Pacer::new);
    let started = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for job in jobs {
        let (Some(host), Some(timing)) = (hosts.get(job.host), timings.get(job.host)) else {
            continue;
        };
        // The permit first, then the task: a waiting job costs nothing but its place in the
        // iterator. The semaphore is never closed, so this fails only if it were.
        let Ok(permit) = Arc::clone(permits).acquire_owned().await else {
            return;
        };
        if let Some(pacer) = &pacer {
            pace(pacer, started).await;
        }
        // Finished tasks are reaped as we go, so the set holds only the probes in flight.
        while tasks.try_join_next().is_some() {}
        let host = host.clone();
        let timing = Arc::clone(timing);
        let options = Arc::clone(&options);
        let results = results.clone();
        tasks.spawn(async move {
            let result = probe(&host, &timing, job, &options).await;
            // A closed receiver means the caller stopped listening (Ctrl-C): nothing to do.
            // The permit is held until the result is taken, so a slow reader (a pipe) holds
            // back new probes instead of letting finished results pile up.
            let _ = results.send(result).await;
            drop(permit);
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// Waits until `pacer` allows one more new probe (`--rate`).
async fn pace(pacer: &Pacer, started: tokio::time::Instant) {
    // Bounded: each turn either takes a send or sleeps until the time the pacer names.
    for _ in 0..1_000 {
        let now = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        match pacer.take(now) {
            Ok(()) => return,
            Err(at) => {
                tokio::time::sleep_until(started + Duration::from_nanos(at)).await;
            }
        }
    }
}

/// Probes one port.
pub async fn probe(
    host: &Host,
    timing: &HostTiming,
    job: Job,
    options: &CheckOptions,
) -> PortResult {
    let addr = portolan_core::target::socket_addr(host.address, host.scope_id, job.target.port);
    let transport = if job.target.transport == Transport::Udp {
        portolan_core::Transport::Udp
    } else {
        portolan_core::Transport::Tcp
    };
    let mut result = PortResult::new(host.name.clone(), host.address, transport, job.target.port);
    result.origin = job.origin;
    result.rows = job.target.rows.clone();
    result.note = job.note.clone();
    if let Some(problem) = &host.unresolved {
        result.decide(Reason::LocalError);
        result.exchange().probe = "name look-up".to_string();
        result.exchange().answer = format!("not probed: {problem}");
        return result;
    }
    match job.target.transport {
        Transport::Udp => probe_udp(addr, timing, &job.target, options, &mut result).await,
        _ => probe_tcp(addr, timing, &job.target, options, &mut result).await,
    }
    result
}

/// This machine's address toward `target`, from the routing table: connecting a UDP socket
/// sends nothing.
fn local_address(target: SocketAddr) -> Option<IpAddr> {
    let any: SocketAddr = match target {
        SocketAddr::V4(_) => (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = std::net::UdpSocket::bind(any).ok()?;
    socket.connect(target).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

async fn probe_tcp(
    addr: SocketAddr,
    timing: &HostTiming,
    target: &Target,
    options: &CheckOptions,
    result: &mut PortResult,
) {
    result.exchange().probe = "TCP connect".to_string();
    let attempts = options.tcp_attempts.max(1);
    let mut silent = 0;
    let mut local_error = None;
    let mut backoffs = 0;
    let mut attempt = 0;
    while attempt < attempts {
        attempt += 1;
        result.record.tries = attempt;
        match tcp_attempt(addr, timing).await {
            TcpAttempt::Accepted(stream, rtt) => {
                timing.sample(rtt);
                result.decide(Reason::SynAck);
                result.exchange().answer = "connection accepted (SYN-ACK)".to_string();
                result.record.rtt = Some(rtt);
                if let Some(token) = options.context.listener {
                    let wait = timing.timeout().max(options.verify_timeout);
                    result.verification = Some(verify::hello(stream, &token, wait).await);
                } else if options.verify {
                    let wait = timing.timeout().max(options.verify_timeout);
                    result.verification =
                        verify::verify(stream, addr, target, &options.context, wait).await;
                }
                return;
            }
            TcpAttempt::Refused(rtt) => {
                timing.sample(rtt);
                result.decide(Reason::ConnRefused);
                result.exchange().answer = "connection refused (RST)".to_string();
                result.record.rtt = Some(rtt);
                return;
            }
            TcpAttempt::ResetAfterHandshake(rtt) => {
                timing.sample(rtt);
                result.decide(Reason::SynAck);
                result.exchange().answer = "connection accepted (SYN-ACK), then reset".to_string();
                result.record.rtt = Some(rtt);
                if options.context.listener.is_some() {
                    result.verification = Some(verify::hello_refused());
                }
                return;
            }
            TcpAttempt::Unreachable(reason, rtt) => {
                timing.sample(rtt);
                result.decide(reason);
                result.exchange().answer = errno::describe(reason).to_string();
                result.record.rtt = Some(rtt);
                return;
            }
            TcpAttempt::Silent => silent += 1,
            TcpAttempt::Local(error) => {
                // A failure on this machine (no free descriptor, no local port) says nothing
                // about the port: wait for other probes to release what they hold and try
                // again, without spending one of the port's tries, a bounded number of times.
                local_error = Some(error);
                if backoffs < LOCAL_BACKOFFS {
                    backoffs += 1;
                    attempt -= 1;
                    local_backoff(backoffs).await;
                }
            }
        }
    }
    conclude_silence(result, silent, local_error, || {
        format!(
            "no answer to {silent} SYN{} (waited up to {} ms each)",
            if silent == 1 { "" } else { "s" },
            timing.timeout().as_millis()
        )
    });
}

/// How many times a probe that failed on this machine (EMFILE, ENOBUFS, EADDRNOTAVAIL: the
/// shortages of `portolan_core::errno`) is retried before it is an ERROR: enough waits to
/// span about 10 s, the time thousands of other probes need to finish and free what they hold.
const LOCAL_BACKOFFS: u32 = 48;
/// The first wait after a local failure; each further wait is longer by as much, up to
/// [`LOCAL_BACKOFF_MAX`].
const LOCAL_BACKOFF: Duration = Duration::from_millis(25);
/// The longest single wait after a local failure.
const LOCAL_BACKOFF_MAX: Duration = Duration::from_millis(250);

/// Waits before retrying after the `n`th local failure, with jitter so that the probes that
/// ran short together do not all retry at the same instant.
async fn local_backoff(n: u32) {
    let wait = (LOCAL_BACKOFF * n).min(LOCAL_BACKOFF_MAX);
    let jitter = Duration::from_millis(fastrand::u64(0..=wait.as_millis() as u64 / 2));
    tokio::time::sleep(wait + jitter).await;
}

/// The verdict after every try went unanswered: silence (FILTERED over TCP, LISTENING OR
/// FILTERED over UDP) when at least one probe was really sent, ERROR when every try failed on
/// this machine.
fn conclude_silence(
    result: &mut PortResult,
    silent: u32,
    local_error: Option<String>,
    silence: impl FnOnce() -> String,
) {
    match (silent, local_error) {
        (0, Some(error)) => {
            result.decide(Reason::LocalError);
            result.exchange().answer = format!("not probed: local error: {error}");
        }
        (_, error) => {
            result.decide(Reason::NoResponse);
            result.exchange().answer = silence();
            if let Some(error) = error {
                result
                    .exchange()
                    .answer
                    .push_str(&format!("; other tries failed here: {error}"));
            }
        }
    }
}

async fn probe_udp(
    addr: SocketAddr,
    timing: &HostTiming,
    target: &Target,
    options: &CheckOptions,
    result: &mut PortResult,
) {
    let exchange = udp_probes::exchange_for(target, &options.context, local_address(addr));
    result.exchange().probe = exchange.name.clone();
    let mut backoffs = 0;
    let socket = loop {
        match UdpProbeSocket::open(addr) {
            Ok(s) => break s,
            // As for TCP: wait for other probes to release descriptors, a bounded number of times.
            Err(_) if backoffs < LOCAL_BACKOFFS => {
                backoffs += 1;
                local_backoff(backoffs).await;
            }
            Err(e) => {
                result.decide(Reason::LocalError);
                result.exchange().answer =
                    format!("not probed: local error: cannot open a UDP socket: {e}");
                return;
            }
        }
    };
    let attempts = options.udp_attempts.max(1);
    let mut silent = 0;
    let mut local_error = None;
    for attempt in 1..=attempts {
        result.record.tries = attempt;
        let start = Instant::now();
        let mut failed_send = None;
        for request in &exchange.requests {
            if let Some(event) = socket.send(request, start).await {
                failed_send = Some(event);
                break;
            }
        }
        let event = match failed_send {
            Some(event) => event,
            None => {
                socket
                    .next_event(start, timing, options.udp_floor, exchange.any_source_port)
                    .await
            }
        };
        match event {
            UdpEvent::Datagram(data, from, rtt) => {
                match (exchange.classify)(&data) {
                    Classified::Recognised(evidence) => {
                        result.exchange().detail = Some(evidence);
                        result.exchange().answer =
                            format!("{} byte reply from port {}", data.len(), from.port());
                    }
                    Classified::Unrecognised(what) => {
                        result.exchange().answer = format!(
                            "{} byte reply from port {} (not a {} reply)",
                            data.len(),
                            from.port(),
                            exchange.protocol
                        );
                        result.note = Some(format!(
                            "something answered, but not as {}: {what}",
                            exchange.protocol
                        ));
                    }
                }
                sample_first_try(timing, attempt, rtt);
                result.decide(Reason::UdpResponse);
                result.record.rtt = Some(rtt);
                if let Some(farewell) = exchange.farewell.as_ref().and_then(|f| f(&data)) {
                    // Close what the probe opened (a TFTP transfer, an L2TP tunnel).
                    let _ = socket.send_to(&farewell, from).await;
                }
                return;
            }
            UdpEvent::PortUnreachable(rtt) => {
                sample_first_try(timing, attempt, rtt);
                result.decide(Reason::PortUnreach);
                result.exchange().answer = "ICMP port unreachable".to_string();
                result.record.rtt = Some(rtt);
                return;
            }
            UdpEvent::Unreachable(reason, rtt) => {
                sample_first_try(timing, attempt, rtt);
                result.decide(reason);
                result.exchange().answer = errno::describe(reason).to_string();
                result.record.rtt = Some(rtt);
                return;
            }
            UdpEvent::Silent => silent += 1,
            UdpEvent::Local(error) => local_error = Some(error),
        }
    }
    let wait = timing.timeout().max(options.udp_floor).as_millis();
    conclude_silence(result, silent, local_error, || {
        format!(
            "no answer to {silent} probe{} (waited up to {wait} ms each)",
            if silent == 1 { "" } else { "s" },
        )
    });
    if result.status() == Status::ListeningOrFiltered {
        result.note = Some(exchange.silence.clone());
    }
}

/// Records a UDP round trip only on the first try: an answer after a retry may answer either
/// datagram, and timing it from the retry would shrink the host's wait (Karn's rule).
fn sample_first_try(timing: &HostTiming, attempt: u32, rtt: Duration) {
    if attempt == 1 {
        timing.sample(rtt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_concurrency_is_what_the_descriptors_allow() {
        // 0 asks the machine: the sockets core's budget leaves under the limit.
        let sockets = portolan_core::limits::budget(20_000, 12);
        assert_eq!(in_flight(0, sockets), 20_000 - 12 - 625);
        assert_eq!(
            in_flight(0, portolan_core::limits::budget(1024, 10)),
            1024 - 10 - 32
        );
        // A request is the user's cap, as given.
        assert_eq!(in_flight(64, sockets), 64);
        assert_eq!(in_flight(100_000, 4), 100_000);
        // Never zero, never past what the semaphore takes.
        assert_eq!(in_flight(0, 0), 1);
        assert_eq!(in_flight(usize::MAX, 0), Semaphore::MAX_PERMITS);
    }

    #[test]
    fn any_concurrency_is_accepted() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for concurrency in [0, usize::MAX] {
            let options = CheckOptions {
                concurrency,
                ..CheckOptions::default()
            };
            let (sender, _receiver) = mpsc::channel(1);
            runtime.block_on(run(&[], Vec::new(), &options, sender));
        }
    }
}
