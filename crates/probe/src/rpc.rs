//! The RPC endpoint mapper client: bind to the mapper on TCP 135, call `ept_lookup` until
//! the list ends, and name what it returns. This is how "randomly allocated high TCP ports"
//! become real ports. The PDUs, NDR and towers are `portolan-wire`'s; this module only moves
//! them over a socket, with every read and the whole conversation bounded.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use portolan_wire::dcerpc::{
    self, CallOutcome, EptEntry, Lookup, LookupEnd, LookupLimits, Pdu, Reassembler, names,
    pdu as rpc_pdu,
};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The endpoint mapper's well-known port.
pub const EPM_PORT: u16 = 135;

/// Why the endpoint mapper could not be enumerated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// TCP 135 did not accept the connection.
    #[error("the endpoint mapper on TCP {port} did not accept a connection: {why}")]
    Connect {
        /// The port tried.
        port: u16,
        /// What happened.
        why: String,
    },
    /// The mapper answered something that is not the expected DCE/RPC exchange.
    #[error("the endpoint mapper broke the exchange: {0}")]
    Protocol(String),
    /// The mapper stopped answering.
    #[error("the endpoint mapper stopped answering: {0}")]
    Timeout(String),
}

/// One registered endpoint, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RpcEndpoint {
    /// Interface UUID.
    pub interface: String,
    /// Interface version, `major.minor`.
    pub version: String,
    /// Short name of the interface (`lsarpc`), when portolan knows it.
    pub name: Option<&'static str>,
    /// What the interface is, when known.
    pub description: Option<&'static str>,
    /// Catalog service ids the interface belongs to.
    pub services: Vec<&'static str>,
    /// Protocol sequence (`ncacn_ip_tcp`, `ncacn_np`, ...).
    pub protocol: String,
    /// TCP or HTTP port, for TCP-based protocol sequences.
    pub port: Option<u16>,
    /// Pipe or LRPC endpoint name.
    pub endpoint_name: Option<String>,
    /// A string binding with the queried address (Samba registers 0.0.0.0).
    pub binding: String,
    /// The annotation the server registered.
    pub annotation: String,
    /// The object UUID, when not nil.
    pub object: Option<String>,
}

/// What an enumeration found.
#[derive(Debug, Clone, Serialize)]
pub struct Enumeration {
    /// Every endpoint whose tower could be read.
    pub endpoints: Vec<RpcEndpoint>,
    /// Entries whose towers could not be read, with the reason.
    pub unreadable: Vec<String>,
    /// How many ept_lookup calls it took.
    pub calls: u32,
    /// Entries the mapper sent more than once; each is listed once.
    pub duplicates: usize,
    /// How the list ended; when the list is incomplete, this is why.
    pub end: String,
    /// False when the list was cut short (a cap was reached, the mapper failed midway or
    /// repeated itself).
    pub complete: bool,
}

impl Enumeration {
    /// Why the list is incomplete, or `None` when the mapper ended it itself.
    pub fn incomplete(&self) -> Option<&str> {
        (!self.complete).then_some(self.end.as_str())
    }
}

/// Most bytes of one PDU (its length field is 16 bits).
const MAX_PDU: usize = 65_535;

async fn read_pdu(stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, RpcError> {
    let mut pdu = vec![0u8; rpc_pdu::LENGTH_PREFIX_LEN];
    read_exact(stream, &mut pdu, deadline).await?;
    let len = rpc_pdu::pdu_length(&pdu).map_err(|e| RpcError::Protocol(e.to_string()))?;
    if !(rpc_pdu::LENGTH_PREFIX_LEN..=MAX_PDU).contains(&len) {
        return Err(RpcError::Protocol(format!(
            "PDU length {len} out of bounds"
        )));
    }
    pdu.resize(len, 0);
    read_exact(stream, &mut pdu[rpc_pdu::LENGTH_PREFIX_LEN..], deadline).await?;
    Ok(pdu)
}

async fn read_exact(
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
) -> Result<(), RpcError> {
    match tokio::time::timeout_at(deadline, stream.read_exact(buf)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(RpcError::Protocol(format!("connection lost: {e}"))),
        Err(_) => Err(RpcError::Timeout("no complete answer in time".to_string())),
    }
}

async fn write_all(
    stream: &mut TcpStream,
    bytes: &[u8],
    deadline: Instant,
) -> Result<(), RpcError> {
    match tokio::time::timeout_at(deadline, stream.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(RpcError::Protocol(format!("cannot send: {e}"))),
        Err(_) => Err(RpcError::Timeout("cannot send in time".to_string())),
    }
}

/// Enumerates the endpoint mapper at `address:port`. Each answer must come within `wait`;
/// the whole conversation is bounded by the lookup's round and entry caps, and stops as soon
/// as the mapper repeats itself (see `portolan_wire::dcerpc::epm`). Entries the mapper sends
/// twice are listed once.
pub async fn enumerate(
    address: IpAddr,
    port: u16,
    wait: Duration,
) -> Result<Enumeration, RpcError> {
    enumerate_at(SocketAddr::new(address, port), wait).await
}

/// [`enumerate`] at a socket address (which may carry an IPv6 scope).
pub async fn enumerate_at(addr: SocketAddr, wait: Duration) -> Result<Enumeration, RpcError> {
    let port = addr.port();
    let mut stream = match tokio::time::timeout(wait, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            return Err(RpcError::Connect {
                port,
                why: e.to_string(),
            });
        }
        Err(_) => {
            return Err(RpcError::Connect {
                port,
                why: "no answer in time".to_string(),
            });
        }
    };
    let _ = stream.set_nodelay(true);
    let mut call_id = 1;
    let bind = rpc_pdu::bind(call_id, dcerpc::EPM_SYNTAX, rpc_pdu::DEFAULT_MAX_FRAG);
    write_all(&mut stream, &bind, Instant::now() + wait).await?;
    let answer = read_pdu(&mut stream, Instant::now() + wait).await?;
    match Pdu::parse(&answer).map_err(|e| RpcError::Protocol(e.to_string()))? {
        Pdu::BindAck(ack) if ack.accepted() => {}
        other => {
            return Err(RpcError::Protocol(format!(
                "the bind to the endpoint mapper was not accepted: {other}"
            )));
        }
    }
    let mut lookup = Lookup::new(LookupLimits::default());
    let target = addr.ip().to_string();
    let mut failure = None;
    while let Some(request) = lookup.next_request({
        call_id += 1;
        call_id
    }) {
        if let Err(e) = write_all(&mut stream, &request, Instant::now() + wait).await {
            failure = Some(e);
            break;
        }
        let mut reassembler = Reassembler::new(call_id);
        let outcome = loop {
            let pdu = match read_pdu(&mut stream, Instant::now() + wait).await {
                Ok(pdu) => pdu,
                Err(e) => break Err(e),
            };
            match reassembler.push(&pdu) {
                Ok(Some(outcome)) => break Ok(outcome),
                Ok(None) => {}
                Err(e) => break Err(RpcError::Protocol(e.to_string())),
            }
        };
        match outcome {
            Ok(CallOutcome::Response(stub)) => {
                if let Err(e) = lookup.consume(&stub) {
                    failure = Some(RpcError::Protocol(e.to_string()));
                    break;
                }
            }
            Ok(CallOutcome::Fault(fault)) => {
                failure = Some(RpcError::Protocol(format!("ept_lookup failed: {fault}")));
                break;
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let calls = lookup.rounds();
    let duplicates = lookup.duplicates();
    let end = lookup.end();
    let entries = lookup.into_entries();
    if entries.is_empty() {
        if let Some(failure) = failure {
            return Err(failure);
        }
    }
    let complete = failure.is_none() && end.as_ref().is_some_and(LookupEnd::is_complete);
    let end_text = match (&failure, &end) {
        (Some(f), _) => format!("cut short: {f}"),
        (None, Some(end)) => end.to_string(),
        (None, None) => "unknown".to_string(),
    };
    let mut endpoints = Vec::new();
    let mut unreadable = Vec::new();
    for entry in &entries {
        match describe(entry, &target) {
            Ok(e) => endpoints.push(e),
            Err(why) => unreadable.push(why),
        }
    }
    Ok(Enumeration {
        endpoints,
        unreadable,
        calls,
        duplicates,
        end: end_text,
        complete,
    })
}

fn describe(entry: &EptEntry, target: &str) -> Result<RpcEndpoint, String> {
    let endpoint = entry
        .endpoint()
        .map_err(|e| format!("entry `{}`: {e}", entry.annotation))?;
    let known = names::lookup(&endpoint.interface.uuid);
    let nil = entry.object.0.iter().all(|b| *b == 0);
    Ok(RpcEndpoint {
        interface: endpoint.interface.uuid.to_string(),
        version: format!("{}.{}", endpoint.interface.major, endpoint.interface.minor),
        name: known.map(|k| k.name),
        description: known.map(|k| k.description),
        services: known.map(|k| k.services.to_vec()).unwrap_or_default(),
        protocol: endpoint.protocol.to_string(),
        port: endpoint.tcp_port(),
        endpoint_name: endpoint.name.clone(),
        binding: endpoint.binding(target),
        annotation: entry.annotation.clone(),
        object: (!nil).then(|| entry.object.to_string()),
    })
}
