//! Protocol verification of open TCP ports: after the handshake, speak the protocol the
//! catalog expects on the port (an LDAP rootDSE search, an SMB2 negotiate, an RDP connection
//! request, a greeting read...) and report what answered. A failed verification is reported
//! beside the LISTENING verdict, never instead of it: something else is listening there.

use std::net::SocketAddr;
use std::time::Duration;

use portolan_wire as wire;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::engine::ProbeContext;
use crate::result::{Verification, VerifyOutcome};
use crate::select::Target;
use crate::tls;

/// How long a verification waits, by default, for the application to answer: its own wait,
/// apart from the network's round-trip estimate, because a greeting comes when the server is
/// ready, not when the packets arrive (a cold postfix, Exchange's greeting delay, postscreen's
/// pregreet test pause for seconds). Service detection tools wait as long: nmap waits
/// `DEFAULT_SERVICEWAITMS` = 5000 ms for a probe's answer (nmap's service_scan.h), and its
/// NULL probe, which only listens for a greeting, `totalwaitms 6000` (nmap-service-probes).
/// Verifications run in parallel, so this bounds a check's added time, it does not add up.
pub const DEFAULT_VERIFY_TIMEOUT: Duration = Duration::from_secs(5);

/// Most bytes read from a port during a verification.
const READ_LIMIT: usize = 64 * 1024;

/// How a conversation ended.
#[derive(Debug)]
enum End {
    /// The reply is complete.
    Complete,
    /// The peer closed the connection.
    Closed,
    /// The wait ran out.
    Timeout,
    /// A socket error (reset).
    Error(String),
}

/// Sends `request` (if not empty) and reads until `complete` says the reply is whole, the
/// peer closes, the limit is reached or `wait` runs out.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    request: &[u8],
    complete: impl Fn(&[u8]) -> bool,
    wait: Duration,
) -> (Vec<u8>, End) {
    let deadline = Instant::now() + wait;
    if !request.is_empty() {
        match tokio::time::timeout_at(deadline, stream.write_all(request)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return (Vec::new(), End::Error(e.to_string())),
            Err(_) => return (Vec::new(), End::Timeout),
        }
    }
    let mut data = Vec::new();
    let mut chunk = vec![0u8; 8192];
    loop {
        if complete(&data) {
            return (data, End::Complete);
        }
        if data.len() >= READ_LIMIT {
            return (data, End::Complete);
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) => return (data, End::Closed),
            Ok(Ok(n)) => data.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Ok(Err(e)) => return (data, End::Error(e.to_string())),
            Err(_) => return (data, End::Timeout),
        }
    }
}

/// Judges a reply with a parser: parsed is verified, unparsable is something else.
fn parsed<T: std::fmt::Display>(result: wire::Result<T>, data: &[u8]) -> (VerifyOutcome, String) {
    match result {
        Ok(reply) => (VerifyOutcome::Verified, reply.to_string()),
        Err(e) => (
            VerifyOutcome::Mismatch,
            format!("{e}; {}", wire::greeting::classify(data)),
        ),
    }
}

/// Turns a conversation into a verification with `parse`.
fn conclude<T: std::fmt::Display>(
    probe: &str,
    read: (Vec<u8>, End),
    parse: impl FnOnce(&[u8]) -> wire::Result<T>,
) -> Verification {
    judge(probe, read, |data| parsed(parse(data), data))
}

/// Turns a conversation into a verification with a judge of the bytes received.
fn judge(
    probe: &str,
    (data, end): (Vec<u8>, End),
    judge: impl FnOnce(&[u8]) -> (VerifyOutcome, String),
) -> Verification {
    let verification = |outcome, detail: String| Verification {
        probe: probe.to_string(),
        outcome,
        detail,
    };
    if data.is_empty() {
        return match end {
            End::Timeout => verification(
                VerifyOutcome::Silent,
                "accepted, but nothing came back in time".to_string(),
            ),
            End::Error(e) => verification(VerifyOutcome::Closed, format!("connection failed: {e}")),
            End::Closed | End::Complete => {
                verification(VerifyOutcome::Closed, "closed without a word".to_string())
            }
        };
    }
    let (outcome, detail) = judge(&data);
    verification(outcome, detail)
}

/// The verification of an open port of a host that runs `portolan listen`: the portolan
/// hello with the run's token, sent at once (the listener reads it after any greeting).
/// The token coming back proves that the connection reached the listener itself; a SYN
/// proxy, a load balancer or another server accepts the connection but cannot echo it.
pub async fn hello(
    mut stream: TcpStream,
    token: &wire::hello::Token,
    wait: Duration,
) -> Verification {
    let _ = stream.set_nodelay(true);
    let ping = wire::hello::ping(token);
    let read = converse(
        &mut stream,
        &ping,
        |b| wire::hello::find_pong(b, token),
        wait,
    )
    .await;
    let mut verification = judge("portolan hello", read, |data| {
        if wire::hello::find_pong(data, token) {
            (
                VerifyOutcome::Verified,
                crate::udp_probes::LISTENER_EVIDENCE.to_string(),
            )
        } else if wire::hello::find_any_pong(data) {
            (
                VerifyOutcome::Mismatch,
                "a portolan listener answered with another run's token".to_string(),
            )
        } else {
            (
                VerifyOutcome::Mismatch,
                format!(
                    "{} bytes came back instead: {}",
                    data.len(),
                    wire::simple::Escaped::new(data, 60)
                ),
            )
        }
    });
    if verification.outcome != VerifyOutcome::Verified {
        // A middlebox completes the handshake and then says nothing, or closes.
        verification.detail = format!(
            "not the portolan listener: the connection was accepted (by a SYN proxy, a load \
             balancer or another server), but the run's token did not come back; {}",
            verification.detail
        );
    }
    verification
}

/// The verification of a connection reset right after the handshake, when a portolan
/// listener was expected: no listener resets, a SYN proxy without a server behind it does.
pub fn hello_refused() -> Verification {
    Verification {
        probe: "portolan hello".to_string(),
        outcome: VerifyOutcome::Closed,
        detail: "not the portolan listener: the connection was accepted, then reset before the \
                 hello could be sent (a SYN proxy or load balancer with no server behind it)"
            .to_string(),
    }
}

/// The verification for an open TCP port, if portolan speaks its protocol.
pub async fn verify(
    mut stream: TcpStream,
    addr: SocketAddr,
    target: &Target,
    ctx: &ProbeContext,
    wait: Duration,
) -> Option<Verification> {
    use wire::greeting::Protocol;
    let _ = stream.set_nodelay(true);
    let verification = match target.port {
        21 => greeting(&mut stream, Protocol::Ftp, wait).await,
        25 => greeting(&mut stream, Protocol::Smtp, wait).await,
        110 => greeting(&mut stream, Protocol::Pop3, wait).await,
        119 => greeting(&mut stream, Protocol::Nntp, wait).await,
        143 => greeting(&mut stream, Protocol::Imap, wait).await,
        23 => telnet(&mut stream, wait).await,
        53 => dns(&mut stream, wait).await,
        80 | 2869 | 5000 | 8098 => http(&mut stream, addr, wait).await,
        88 => kerberos(&mut stream, ctx, wait).await,
        139 => smb_over_netbios(&mut stream, wait).await,
        389 | 3268 => ldap(&mut stream, "LDAP rootDSE search", wait).await,
        445 => smb(&mut stream, wait).await,
        593 => rpc_over_http(&mut stream, wait).await,
        135 => endpoint_mapper(&mut stream, wait).await,
        3389 => rdp(&mut stream, wait).await,
        515 => lpd(&mut stream, wait).await,
        7 => echo(&mut stream, wait).await,
        13 => text(&mut stream, wire::simple::TextService::Daytime, wait).await,
        17 => text(&mut stream, wire::simple::TextService::Qotd, wait).await,
        19 => {
            let read = converse(&mut stream, &[], |b| b.len() >= 74, wait).await;
            conclude(
                "character generator read",
                read,
                wire::simple::parse_chargen,
            )
        }
        636 | 3269 => tls_then(stream, addr, wait, TlsNext::Ldap).await,
        443 => tls_then(stream, addr, wait, TlsNext::Nothing).await,
        563 => tls_then(stream, addr, wait, TlsNext::Greeting(Protocol::Nntp)).await,
        993 => tls_then(stream, addr, wait, TlsNext::Greeting(Protocol::Imap)).await,
        995 => tls_then(stream, addr, wait, TlsNext::Greeting(Protocol::Pop3)).await,
        _ => return None,
    };
    Some(verification)
}

async fn greeting<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    protocol: wire::greeting::Protocol,
    wait: Duration,
) -> Verification {
    let read = converse(
        stream,
        &[],
        |b| wire::greeting::is_complete(protocol, b),
        wait,
    )
    .await;
    let probe = format!("{} greeting", protocol.name());
    judge(&probe, read, |data| {
        match wire::greeting::parse(protocol, data) {
            Ok(g) if g.matched => (VerifyOutcome::Verified, g.to_string()),
            other => {
                let (_, detail) = parsed(other, data);
                (VerifyOutcome::Mismatch, detail)
            }
        }
    })
}

async fn telnet(stream: &mut TcpStream, wait: Duration) -> Verification {
    let read = converse(stream, &[], wire::greeting::telnet_complete, wait).await;
    if let Ok(g) = wire::greeting::parse_telnet(&read.0) {
        // Refuse every option offered, so the server is not left waiting on us.
        let _ = stream.write_all(&wire::greeting::telnet_refusal(&g)).await;
    }
    conclude("Telnet negotiation", read, wire::greeting::parse_telnet)
}

async fn dns(stream: &mut TcpStream, wait: Duration) -> Verification {
    let id = fastrand::u16(1..);
    let query = wire::dns::query(id, ".", wire::dns::RecordType::SOA)
        .and_then(|q| wire::dns::tcp_frame(&q))
        .unwrap_or_default();
    let read = converse(
        stream,
        &query,
        |b| wire::dns::split_tcp_frame(b).is_ok(),
        wait,
    )
    .await;
    conclude("DNS query . SOA over TCP", read, |b| {
        let (message, _) = wire::dns::split_tcp_frame(b)?;
        wire::dns::parse_reply_to(message, id)
    })
}

async fn http(stream: &mut TcpStream, addr: SocketAddr, wait: Duration) -> Verification {
    let host = match addr {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    let request = wire::http::request(wire::http::Method::Head, &host, "/").unwrap_or_default();
    let read = converse(stream, &request, wire::http::head_complete, wait).await;
    conclude("HTTP HEAD /", read, wire::http::parse_response_head)
}

async fn kerberos(stream: &mut TcpStream, ctx: &ProbeContext, wait: Duration) -> Verification {
    let realm = ctx
        .domain
        .as_deref()
        .map_or_else(|| "PORTOLAN.INVALID".to_string(), str::to_uppercase);
    let request = wire::kerberos::as_request("portolan-probe", &realm, fastrand::u32(1..))
        .and_then(|m| wire::kerberos::frame_tcp(&m))
        .unwrap_or_default();
    let read = converse(
        stream,
        &request,
        |b| matches!(wire::kerberos::tcp_record_len(b), Ok(Some(n)) if b.len() >= n),
        wait,
    )
    .await;
    conclude(
        &format!("Kerberos AS-REQ over TCP (realm {realm})"),
        read,
        |b| wire::kerberos::parse(wire::kerberos::unframe_tcp(b)?),
    )
}

async fn ldap<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    probe: &str,
    wait: Duration,
) -> Verification {
    let id = fastrand::u32(1..0x7fff_ffff);
    let request = wire::ldap::root_dse_request(id).unwrap_or_default();
    let read = converse(
        stream,
        &request,
        |b| wire::ldap::search_finished(b).unwrap_or(true),
        wait,
    )
    .await;
    conclude(probe, read, |b| wire::ldap::parse_root_dse(b, id))
}

fn smb_request() -> Vec<u8> {
    let mut guid = [0u8; 16];
    let mut salt = [0u8; 32];
    fastrand::fill(&mut guid);
    fastrand::fill(&mut salt);
    wire::smb2::negotiate_request(guid, salt)
}

async fn smb<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, wait: Duration) -> Verification {
    let read = converse(stream, &smb_request(), wire::smb2::is_complete, wait).await;
    conclude("SMB2 negotiate", read, wire::smb2::parse_negotiate_response)
}

async fn smb_over_netbios(stream: &mut TcpStream, wait: Duration) -> Verification {
    let request =
        wire::smb2::session_request(wire::smb2::SMBSERVER, "PORTOLAN").unwrap_or_default();
    let read = converse(stream, &request, wire::smb2::is_complete, wait).await;
    let positive = matches!(
        wire::smb2::parse_session_response(&read.0),
        Ok(wire::smb2::SessionResponse::Positive)
    );
    let session = conclude(
        "NetBIOS session request",
        read,
        wire::smb2::parse_session_response,
    );
    if !positive {
        return session;
    }
    let mut negotiate = smb(stream, wait).await;
    negotiate.probe = "NetBIOS session request, then SMB2 negotiate".to_string();
    negotiate
}

async fn endpoint_mapper(stream: &mut TcpStream, wait: Duration) -> Verification {
    use wire::dcerpc::pdu as rpc;
    let bind = rpc::bind(1, wire::dcerpc::EPM_SYNTAX, rpc::DEFAULT_MAX_FRAG);
    let complete = |b: &[u8]| {
        b.len() >= rpc::LENGTH_PREFIX_LEN && rpc::pdu_length(b).map_or(true, |len| b.len() >= len)
    };
    let read = converse(stream, &bind, complete, wait).await;
    conclude(
        "DCE/RPC bind to the endpoint mapper",
        read,
        |b| match wire::dcerpc::Pdu::parse(b)? {
            wire::dcerpc::Pdu::BindAck(ack) if ack.accepted() => Ok(ack),
            _ => Err(wire::Error::Unexpected(
                "the endpoint mapper refused the bind",
            )),
        },
    )
}

async fn rpc_over_http(stream: &mut TcpStream, wait: Duration) -> Verification {
    let read = converse(
        stream,
        &[],
        |b| b.len() >= 14 && wire::http::is_rpc_over_http(b),
        wait,
    )
    .await;
    conclude(
        "RPC over HTTP greeting (ncacn_http/1.0)",
        read,
        wire::http::parse_rpc_over_http,
    )
}

async fn echo(stream: &mut TcpStream, wait: Duration) -> Verification {
    let payload = wire::simple::echo_payload(fastrand::u64(..));
    let len = payload.len();
    let read = converse(stream, &payload, |b| b.len() >= len, wait).await;
    conclude("echo of 32 bytes", read, |b| {
        wire::simple::parse_echo(&payload, b)
    })
}

async fn text(
    stream: &mut TcpStream,
    service: wire::simple::TextService,
    wait: Duration,
) -> Verification {
    // Daytime and qotd send their text on connect and close: read until the close.
    let read = converse(stream, &[], |_| false, wait).await;
    conclude(
        match service {
            wire::simple::TextService::Daytime => "daytime read",
            wire::simple::TextService::Qotd => "quote of the day read",
        },
        read,
        |b| wire::simple::parse_text(service, b),
    )
}

async fn lpd(stream: &mut TcpStream, wait: Duration) -> Verification {
    // LPD says nothing until asked; a queue-state request for a queue that should not exist
    // gets an answer (unknown printer, access denied or a listing) ended by the server's close.
    let request =
        wire::greeting::lpd_queue_state_request(wire::greeting::LpdListing::Short, "portolan", &[])
            .unwrap_or_default();
    let read = converse(stream, &request, |_| false, wait).await;
    conclude(
        "LPD queue state request",
        read,
        wire::greeting::parse_lpd_queue_state,
    )
}

async fn rdp(stream: &mut TcpStream, wait: Duration) -> Verification {
    let request = wire::rdp::connection_request(
        None,
        Some(wire::rdp::Protocols::SSL | wire::rdp::Protocols::HYBRID),
    )
    .unwrap_or_default();
    let read = converse(stream, &request, wire::rdp::is_complete, wait).await;
    conclude(
        "RDP X.224 connection request",
        read,
        wire::rdp::parse_connection_confirm,
    )
}

/// What to do once TLS is up.
enum TlsNext {
    Nothing,
    Ldap,
    Greeting(wire::greeting::Protocol),
}

async fn tls_then(
    stream: TcpStream,
    addr: SocketAddr,
    wait: Duration,
    next: TlsNext,
) -> Verification {
    let (mut tls, certificate) = match tls::handshake(stream, addr, wait).await {
        Ok(done) => done,
        Err(e) => {
            return Verification {
                probe: "TLS handshake".to_string(),
                outcome: VerifyOutcome::Mismatch,
                detail: format!("no TLS: {e}"),
            };
        }
    };
    let summary = certificate.unwrap_or_else(|| "TLS up, no certificate".to_string());
    let after = match next {
        TlsNext::Nothing => None,
        TlsNext::Ldap => Some(ldap(&mut tls, "LDAP rootDSE search over TLS", wait).await),
        TlsNext::Greeting(p) => Some(greeting(&mut tls, p, wait).await),
    };
    match after {
        None => Verification {
            probe: "TLS handshake".to_string(),
            outcome: VerifyOutcome::Verified,
            detail: summary,
        },
        Some(v) => Verification {
            probe: format!("TLS handshake, then {}", v.probe),
            outcome: v.outcome,
            detail: format!("{summary}; {}", v.detail),
        },
    }
}
