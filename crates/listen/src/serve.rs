//! Serving the bound sockets until told to stop: an accept loop per TCP socket, a receive
//! loop per UDP socket, every hit counted, logged and handed to the caller.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use portolan_catalog::Transport;
use portolan_wire::hello;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::ListenError;
use crate::bind::{BoundSocket, Port, Skipped};
use crate::limit::{RateLimit, answerable};
use crate::mapper::Registration;
use crate::respond::{self, Responders};
use crate::summary::{PortSummary, Summary};

/// One arrival at the listener: a TCP connection or a UDP datagram.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    /// When it arrived (RFC 3339, UTC).
    pub time: String,
    /// Who sent it.
    pub source: IpAddr,
    /// From which port.
    pub source_port: u16,
    /// The local address it reached.
    pub destination: IpAddr,
    /// The port it reached.
    pub port: u16,
    /// "tcp" or "udp".
    pub transport: &'static str,
    /// Bytes received (for TCP, in the first exchange).
    pub bytes_in: usize,
    /// Bytes sent back.
    pub bytes_out: usize,
    /// What was answered ("DNS REFUSED", "SMTP greeting, portolan hello"), or why nothing was.
    pub answered: String,
}

impl Hit {
    /// An arrival from `from` at `destination`, `port`, as it comes in: nothing read or
    /// answered yet.
    fn arrived(from: SocketAddr, destination: IpAddr, port: u16, transport: &'static str) -> Hit {
        Hit {
            time: respond::rfc3339(SystemTime::now()),
            source: from.ip(),
            source_port: from.port(),
            destination,
            port,
            transport,
            bytes_in: 0,
            bytes_out: 0,
            answered: String::new(),
        }
    }
}

/// The local address of a socket, or the unspecified address when it cannot say.
fn local_ip(bound: std::io::Result<SocketAddr>) -> IpAddr {
    bound
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// How the listener behaves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Most UDP answers per second to one source address.
    pub rate_limit: u32,
    /// The answers.
    pub responders: Responders,
    /// How long a TCP connection may stay silent before it is closed.
    pub tcp_idle: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            rate_limit: DEFAULT_RATE_LIMIT,
            responders: Responders::default(),
            tcp_idle: Duration::from_secs(10),
        }
    }
}

/// Answers per second per source by default.
pub const DEFAULT_RATE_LIMIT: u32 = 100;

/// Most TCP connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 512;
/// Most bytes read from one TCP connection.
const TCP_READ_LIMIT: usize = 64 * 1024;
/// How long daytime, qotd and chargen wait for a hello after their text.
const SPEAK_AND_CLOSE_WAIT: Duration = Duration::from_secs(1);
/// Sources named per port in the summary.
const SOURCES_KEPT: usize = 16;

#[derive(Default)]
struct Counts {
    hits: u64,
    answered: u64,
    refused_rate: u64,
    sources: BTreeSet<IpAddr>,
}

struct Shared {
    counts: Mutex<BTreeMap<usize, Counts>>,
    limit: Mutex<RateLimit>,
    log: Mutex<Option<Box<dyn Write + Send>>>,
    log_error: Mutex<Option<std::io::Error>>,
    on_hit: Box<dyn Fn(&Hit) + Send + Sync>,
    options: ServeOptions,
    rpc: Option<(u16, Vec<Registration>)>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn arrived(&self, index: usize, source: IpAddr) {
        let mut counts = lock(&self.counts);
        let entry = counts.entry(index).or_default();
        entry.hits += 1;
        if entry.sources.len() < SOURCES_KEPT {
            entry.sources.insert(source);
        }
    }

    fn record(&self, index: usize, hit: &Hit, answered: bool, rate_limited: bool) {
        {
            let mut counts = lock(&self.counts);
            let entry = counts.entry(index).or_default();
            entry.answered += u64::from(answered);
            entry.refused_rate += u64::from(rate_limited);
        }
        let mut log = lock(&self.log);
        if let Some(writer) = log.as_mut() {
            let mut line = serde_json::to_string(hit).unwrap_or_default();
            line.push('\n');
            if let Err(e) = writer
                .write_all(line.as_bytes())
                .and_then(|()| writer.flush())
            {
                *lock(&self.log_error) = Some(e);
                *log = None;
            }
        }
        drop(log);
        (self.on_hit)(hit);
    }
}

/// Sockets bound and ready: serve them with [`Listener::serve`].
pub struct Listener {
    ports: Vec<Port>,
    sockets: Vec<BoundSocket>,
    skipped: Vec<Skipped>,
    rpc: Option<(u16, Vec<Registration>)>,
}

/// The dynamic RPC stand-in asked for: the services to register and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcStandIn {
    /// Catalog service ids of the dynamic RPC services.
    pub services: Vec<String>,
    /// The first port to use; `None`: random ports of the modern dynamic range.
    pub base: Option<u16>,
    /// The port the endpoint mapper answers on (135; a test may move it).
    pub mapper_port: u16,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("sockets", &self.sockets.len())
            .field("skipped", &self.skipped.len())
            .finish_non_exhaustive()
    }
}

impl Listener {
    /// Binds every port of `ports` on every address (see [`crate::bind::bind_all`]).
    pub fn bind(ports: Vec<Port>, addresses: &[IpAddr]) -> Result<Listener, ListenError> {
        let (sockets, skipped) = crate::bind::bind_all(&ports, addresses)?;
        Ok(Listener {
            ports,
            sockets,
            skipped,
            rpc: None,
        })
    }

    /// As [`Listener::bind`], with an endpoint mapper on `rpc.mapper_port` (added to the
    /// ports when the selection lacks it) that registers each service of `rpc` on a port
    /// of its own, opened too. A service whose port could not be opened is not registered.
    pub fn bind_with_rpc(
        mut ports: Vec<Port>,
        addresses: &[IpAddr],
        rpc: &RpcStandIn,
    ) -> Result<Listener, ListenError> {
        let tcp = |p: &Port, n: u16| p.transport == Transport::Tcp && p.port == n;
        if !ports.iter().any(|p| tcp(p, rpc.mapper_port)) {
            ports.push(Port {
                transport: Transport::Tcp,
                port: rpc.mapper_port,
                label: "RPC endpoint mapper".to_string(),
            });
        }
        let taken: Vec<u16> = ports
            .iter()
            .filter(|p| p.transport == Transport::Tcp)
            .map(|p| p.port)
            .collect();
        let services: Vec<&String> = rpc
            .services
            .iter()
            .filter(|s| !crate::mapper::interfaces_of(s).is_empty())
            .collect();
        let dynamic = crate::mapper::choose_ports(services.len(), rpc.base, &taken);
        let first_dynamic = ports.len();
        for (service, &port) in services.iter().zip(&dynamic) {
            ports.push(Port {
                transport: Transport::Tcp,
                port,
                label: format!("dynamic RPC: {service}"),
            });
        }
        let mut listener = Listener::bind(ports, addresses)?;
        let registrations = services
            .iter()
            .zip(&dynamic)
            .enumerate()
            .filter(|(i, _)| listener.sockets.iter().any(|s| s.port == first_dynamic + i))
            .flat_map(|(_, (service, &port))| crate::mapper::register(service, port))
            .collect();
        listener.rpc = Some((rpc.mapper_port, registrations));
        Ok(listener)
    }

    /// The interfaces the stand-in endpoint mapper registers.
    pub fn registrations(&self) -> &[Registration] {
        self.rpc.as_ref().map_or(&[], |(_, r)| r.as_slice())
    }

    /// The sockets that could not be opened.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// The local addresses served, in the order bound.
    pub fn addresses(&self) -> Vec<(Transport, SocketAddr)> {
        self.sockets
            .iter()
            .map(|s| {
                let transport = self
                    .ports
                    .get(s.port)
                    .map_or(Transport::Tcp, |p| p.transport);
                (transport, s.address)
            })
            .collect()
    }

    /// Serves until `stop` completes, writing each hit as a JSON line to `log` and handing
    /// it to `on_hit`; returns what was hit and what was not. Must run inside a tokio
    /// runtime.
    pub async fn serve(
        self,
        options: ServeOptions,
        log: Option<Box<dyn Write + Send>>,
        on_hit: impl Fn(&Hit) + Send + Sync + 'static,
        stop: impl Future<Output = ()>,
    ) -> Result<Summary, ListenError> {
        let started = Instant::now();
        let shared = Arc::new(Shared {
            counts: Mutex::new(BTreeMap::new()),
            limit: Mutex::new(RateLimit::new(options.rate_limit)),
            log: Mutex::new(log),
            log_error: Mutex::new(None),
            on_hit: Box::new(on_hit),
            options,
            rpc: self.rpc.clone(),
        });
        let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut tasks = JoinSet::new();
        let mut bound_addresses: BTreeMap<usize, Vec<SocketAddr>> = BTreeMap::new();
        for bound in self.sockets {
            let Some(port) = self.ports.get(bound.port) else {
                continue;
            };
            bound_addresses
                .entry(bound.port)
                .or_default()
                .push(bound.address);
            let shared = Arc::clone(&shared);
            let address = bound.address;
            let serve_error = |source| ListenError::Serve { address, source };
            match port.transport {
                Transport::Udp => {
                    let socket = UdpSocket::from_std(bound.socket.into()).map_err(serve_error)?;
                    tasks.spawn(serve_udp(socket, bound.port, port.port, shared));
                }
                _ => {
                    let listener =
                        TcpListener::from_std(bound.socket.into()).map_err(serve_error)?;
                    let connections = Arc::clone(&connections);
                    tasks.spawn(serve_tcp(
                        listener,
                        bound.port,
                        port.port,
                        shared,
                        connections,
                    ));
                }
            }
        }
        stop.await;
        tasks.shutdown().await;
        let counts = std::mem::take(&mut *lock(&shared.counts));
        if let Some(error) = lock(&shared.log_error).take() {
            return Err(ListenError::Log(error));
        }
        let ports = self
            .ports
            .iter()
            .enumerate()
            .filter_map(|(index, port)| {
                let addresses = bound_addresses.remove(&index)?;
                let counts = counts.get(&index);
                Some(PortSummary {
                    transport: port.transport.to_string().to_lowercase(),
                    port: port.port,
                    label: port.label.clone(),
                    addresses,
                    hits: counts.map_or(0, |c| c.hits),
                    answered: counts.map_or(0, |c| c.answered),
                    rate_limited: counts.map_or(0, |c| c.refused_rate),
                    sources: counts
                        .map(|c| c.sources.iter().copied().collect())
                        .unwrap_or_default(),
                })
            })
            .collect();
        Ok(Summary {
            ran_for: started.elapsed(),
            ports,
            skipped: self.skipped,
        })
    }
}

async fn serve_udp(socket: UdpSocket, index: usize, port: u16, shared: Arc<Shared>) {
    let destination = local_ip(socket.local_addr());
    let mut buffer = vec![0u8; 65_536];
    loop {
        let (len, from) = match socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            // ICMP errors of earlier answers surface here; the socket itself is fine.
            Err(_) => continue,
        };
        let request = buffer.get(..len).unwrap_or_default();
        shared.arrived(index, from.ip());
        let mut hit = Hit::arrived(from, destination, port, "udp");
        hit.bytes_in = len;
        let mut rate_limited = false;
        let answer = if !answerable(from.ip(), from.port()) {
            hit.answered = "nothing: a broadcast, multicast or unspecified source".to_string();
            None
        } else {
            match respond::udp_answer(port, request, &shared.options.responders) {
                None => {
                    hit.answered = "nothing: no answer of this port fits the request".to_string();
                    None
                }
                Some(answer) => {
                    if lock(&shared.limit).allow(from.ip(), Instant::now()) {
                        Some(answer)
                    } else {
                        rate_limited = true;
                        hit.answered = format!(
                            "nothing: over the rate limit of {} answers/s for this source",
                            shared.options.rate_limit
                        );
                        None
                    }
                }
            }
        };
        let mut answered = false;
        if let Some(answer) = answer {
            match socket.send_to(&answer.bytes, from).await {
                Ok(sent) => {
                    hit.bytes_out = sent;
                    hit.answered = answer.what;
                    answered = true;
                }
                Err(e) => hit.answered = format!("nothing: the answer could not be sent: {e}"),
            }
        }
        shared.record(index, &hit, answered, rate_limited);
    }
}

async fn serve_tcp(
    listener: TcpListener,
    index: usize,
    port: u16,
    shared: Arc<Shared>,
    connections: Arc<Semaphore>,
) {
    let mut running = JoinSet::new();
    loop {
        let Ok(permit) = Arc::clone(&connections).acquire_owned().await else {
            return;
        };
        let (stream, from) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                // Out of descriptors or a connection reset before accept: wait a moment.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        // Finished connections leave the set, so it holds only live ones.
        while running.try_join_next().is_some() {}
        let shared = Arc::clone(&shared);
        running.spawn(async move {
            converse(stream, from, index, port, &shared).await;
            drop(permit);
        });
    }
}

/// One TCP connection: greet if the protocol greets, answer a hello or the protocol's
/// first message, log what happened.
async fn converse(
    mut stream: TcpStream,
    from: SocketAddr,
    index: usize,
    port: u16,
    shared: &Shared,
) {
    let _ = stream.set_nodelay(true);
    shared.arrived(index, from.ip());
    let destination = local_ip(stream.local_addr());
    let mut hit = Hit::arrived(from, destination, port, "tcp");
    let mut said = Vec::new();
    if let Some((greeting, what)) = respond::tcp_greeting(port) {
        if stream.write_all(greeting).await.is_ok() {
            hit.bytes_out += greeting.len();
            said.push(what.to_string());
        }
    }
    let wait = if respond::tcp_speaks_and_closes(port) {
        SPEAK_AND_CLOSE_WAIT
    } else {
        shared.options.tcp_idle
    };
    let deadline = tokio::time::Instant::now() + wait;
    let mut received = Vec::new();
    let mut chunk = vec![0u8; 8192];
    while received.len() < TCP_READ_LIMIT {
        let read = tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await;
        let n = match read {
            Ok(Ok(n)) if n > 0 => n,
            _ => break,
        };
        received.extend_from_slice(chunk.get(..n).unwrap_or_default());
        hit.bytes_in += n;
        if let Some((mapper_port, registrations)) = &shared.rpc {
            if port == *mapper_port && received.first() == Some(&5) {
                let sent =
                    endpoint_mapper(&mut stream, &mut received, registrations, port, deadline)
                        .await;
                hit.bytes_out += sent;
                if sent > 0 {
                    said.push("RPC endpoint map".to_string());
                }
                break;
            }
        }
        if let Some(answer) = respond::tcp_answer(port, &received) {
            if stream.write_all(&answer.bytes).await.is_err() {
                break;
            }
            hit.bytes_out += answer.bytes.len();
            let echo = port == 7 && hello::parse_ping(&received).is_err();
            if !said.contains(&answer.what) {
                said.push(answer.what);
            }
            received.clear();
            if echo {
                continue;
            }
            break;
        }
        // Bytes that can no longer become a hello, on a port with nothing else to say:
        // close now rather than keep a client waiting for an answer that will not come.
        let could_be_hello = hello::MAGIC.starts_with(
            received
                .get(..hello::MAGIC.len().min(received.len()))
                .unwrap_or_default(),
        );
        if !could_be_hello && !matches!(port, 53 | 88 | 389 | 464 | 3268) {
            break;
        }
    }
    let _ = stream.shutdown().await;
    hit.answered = if said.is_empty() {
        "nothing: the connection was accepted".to_string()
    } else {
        said.join(", ")
    };
    let answered = !said.is_empty();
    shared.record(index, &hit, answered, false);
}

/// Most PDUs answered on one mapper connection (a bind and a few lookups in practice).
const MAX_MAPPER_PDUS: usize = 16;

/// Speaks DCE/RPC on a mapper connection whose first bytes are in `received`: each whole
/// PDU gets its answer, until the client stops, asks something else, or the deadline.
/// Returns the bytes sent.
async fn endpoint_mapper(
    stream: &mut TcpStream,
    received: &mut Vec<u8>,
    registrations: &[Registration],
    port: u16,
    deadline: tokio::time::Instant,
) -> usize {
    let mut sent = 0;
    let mut chunk = vec![0u8; 8192];
    for _ in 0..MAX_MAPPER_PDUS {
        // Read until one whole PDU is there.
        let length = loop {
            if let Some(prefix) = received.get(..portolan_wire::dcerpc::pdu::LENGTH_PREFIX_LEN) {
                match portolan_wire::dcerpc::pdu::pdu_length(prefix) {
                    Ok(length) if received.len() >= length => break Some(length),
                    Ok(_) => {}
                    Err(_) => break None,
                }
            }
            if received.len() >= TCP_READ_LIMIT {
                break None;
            }
            match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => {
                    received.extend_from_slice(chunk.get(..n).unwrap_or_default())
                }
                _ => break None,
            }
        };
        let Some(length) = length else {
            return sent;
        };
        let pdu: Vec<u8> = received.drain(..length).collect();
        let Some(answer) = crate::mapper::answer(&pdu, registrations, port) else {
            return sent;
        };
        if stream.write_all(&answer).await.is_err() {
            return sent;
        }
        sent += answer.len();
    }
    sent
}
