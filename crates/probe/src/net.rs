//! Sockets: a TCP connect attempt and a UDP exchange, both bounded by the host's adaptive
//! wait, and both reporting what the network said (accepted, reset, ICMP error, silence).

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use portolan_core::errno::{self, ErrnoClass};
use portolan_core::guard;
use portolan_core::verdict::Reason;
use tokio::net::{TcpSocket, TcpStream, UdpSocket};
use tokio::time::Instant;

use crate::timing::HostTiming;

/// Waits for `fut` until `start` plus the host's current wait, following changes of the wait
/// while it runs. `None` means the wait ran out.
pub async fn within_adaptive<F: Future>(
    fut: F,
    start: Instant,
    timing: &HostTiming,
) -> Option<F::Output> {
    let mut changes = timing.subscribe();
    tokio::pin!(fut);
    loop {
        let deadline = start + *changes.borrow_and_update();
        tokio::select! {
            out = &mut fut => return Some(out),
            () = tokio::time::sleep_until(deadline) => return None,
            changed = changes.changed() => {
                if changed.is_err() {
                    // The estimate can no longer change: wait out the last deadline.
                    return tokio::time::timeout_at(deadline, fut).await.ok();
                }
            }
        }
    }
}

/// What one TCP connection attempt observed.
#[derive(Debug)]
pub enum TcpAttempt {
    /// The handshake completed.
    Accepted(TcpStream, Duration),
    /// A reset came back: nothing listens.
    Refused(Duration),
    /// An ICMP error came back (host or network unreachable, administratively prohibited).
    Unreachable(Reason, Duration),
    /// The handshake completed and a reset followed before the connect returned: something
    /// listens (the self-connect case cannot get here: it completes).
    ResetAfterHandshake(Duration),
    /// Nothing came back within the wait.
    Silent,
    /// The attempt failed on this machine (no file descriptors, no route...).
    Local(String),
}

/// One TCP connect attempt to `addr`.
pub async fn tcp_attempt(addr: SocketAddr, timing: &HostTiming) -> TcpAttempt {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    };
    let socket = match socket {
        Ok(s) => s,
        Err(e) => return TcpAttempt::Local(format!("cannot open a socket: {e}")),
    };
    let start = Instant::now();
    match within_adaptive(socket.connect(addr), start, timing).await {
        None => TcpAttempt::Silent,
        Some(Ok(stream)) => {
            let rtt = start.elapsed();
            if is_self_connect(&stream) {
                // The kernel picked the destination port as our source port on a local
                // address and the SYN met itself: nothing else is listening there.
                return TcpAttempt::Refused(rtt);
            }
            TcpAttempt::Accepted(stream, rtt)
        }
        Some(Err(e)) => connect_failure(&e, start.elapsed()),
    }
}

/// What a failed connect says about the port, by `portolan_core::errno`'s table.
fn connect_failure(e: &io::Error, rtt: Duration) -> TcpAttempt {
    match classify(e) {
        ErrnoClass::Answer(Reason::ConnRefused) => TcpAttempt::Refused(rtt),
        ErrnoClass::Answer(Reason::NoResponse) => TcpAttempt::Silent,
        ErrnoClass::Answer(Reason::LocalError) => TcpAttempt::Local(e.to_string()),
        ErrnoClass::Answer(other) => TcpAttempt::Unreachable(other, rtt),
        ErrnoClass::EstablishedThenReset => TcpAttempt::ResetAfterHandshake(rtt),
        // Not now: the engine waits for other probes to release what they hold.
        ErrnoClass::Shortage => TcpAttempt::Local(e.to_string()),
    }
}

/// True when a connection's two ends are the same address and port.
pub fn is_self_connect(stream: &TcpStream) -> bool {
    matches!((stream.local_addr(), stream.peer_addr()), (Ok(l), Ok(p)) if guard::is_self_connect(l, p))
}

fn classify(e: &io::Error) -> ErrnoClass {
    errno::classify(e.raw_os_error().unwrap_or(0))
}

/// What a failed send or receive on a UDP socket says: ECONNREFUSED is ICMP port
/// unreachable there.
fn udp_failure(e: &io::Error, start: Instant, what: &str) -> UdpEvent {
    match classify(e) {
        ErrnoClass::Answer(Reason::ConnRefused) => UdpEvent::PortUnreachable(start.elapsed()),
        ErrnoClass::Answer(Reason::NoResponse) => UdpEvent::Silent,
        ErrnoClass::Answer(Reason::LocalError)
        | ErrnoClass::EstablishedThenReset
        | ErrnoClass::Shortage => UdpEvent::Local(format!("{what}{e}")),
        ErrnoClass::Answer(other) => UdpEvent::Unreachable(other, start.elapsed()),
    }
}

/// A UDP socket for one probe: unconnected, so that answers from another port (TFTP) are
/// received, with IP_RECVERR so that ICMP errors are still reported on it (Linux reports
/// them on unconnected sockets only with this option).
pub struct UdpProbeSocket {
    socket: UdpSocket,
    target: SocketAddr,
}

/// What a UDP exchange observed.
#[derive(Debug)]
pub enum UdpEvent {
    /// A datagram from the target's address (and port, unless any port is allowed).
    Datagram(Vec<u8>, SocketAddr, Duration),
    /// ICMP port unreachable: nothing listens.
    PortUnreachable(Duration),
    /// Another ICMP error (host unreachable, administratively prohibited).
    Unreachable(Reason, Duration),
    /// Nothing within the wait.
    Silent,
    /// A failure on this machine.
    Local(String),
}

/// Largest datagram read; bigger ones are truncated by the kernel.
const MAX_DATAGRAM: usize = 65_535;

impl UdpProbeSocket {
    /// Opens a socket for probing `target`.
    pub fn open(target: SocketAddr) -> io::Result<Self> {
        let (domain, any) = match target {
            SocketAddr::V4(_) => (
                socket2::Domain::IPV4,
                SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            ),
            SocketAddr::V6(_) => (
                socket2::Domain::IPV6,
                SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
            ),
        };
        let socket =
            socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
        socket.set_nonblocking(true)?;
        socket.bind(&any.into())?;
        set_recv_err(&socket, target.is_ipv6())?;
        let socket = UdpSocket::from_std(socket.into())?;
        Ok(UdpProbeSocket { socket, target })
    }

    /// Sends one datagram to the target. An ICMP error that arrived for an earlier datagram
    /// is reported by the next send, so a failed send is an event too.
    pub async fn send(&self, bytes: &[u8], start: Instant) -> Option<UdpEvent> {
        match self.socket.send_to(bytes, self.target).await {
            Ok(_) => None,
            Err(e) => Some(udp_failure(&e, start, "cannot send: ")),
        }
    }

    /// Sends one datagram to another port of the target (a farewell to a TFTP transfer port).
    pub async fn send_to(&self, bytes: &[u8], to: SocketAddr) -> io::Result<()> {
        self.socket.send_to(bytes, to).await.map(|_| ())
    }

    /// Waits for the next event within the adaptive wait counted from `start`, skipping
    /// datagrams from other addresses (and other ports unless `any_port`).
    pub async fn next_event(
        &self,
        start: Instant,
        timing: &HostTiming,
        floor: Duration,
        any_port: bool,
    ) -> UdpEvent {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let receive = async {
            loop {
                match self.socket.recv_from(&mut buf).await {
                    Ok((n, from)) => {
                        let ours = from.ip() == self.target.ip()
                            && (any_port || from.port() == self.target.port());
                        if ours {
                            let data = buf.get(..n).unwrap_or_default().to_vec();
                            return UdpEvent::Datagram(data, from, start.elapsed());
                        }
                    }
                    Err(e) => return udp_failure(&e, start, ""),
                }
            }
        };
        tokio::pin!(receive);
        // UDP answers come from an application, which may think longer than the network's
        // round trip: wait at least `floor`.
        if let Ok(event) = tokio::time::timeout_at(start + floor, &mut receive).await {
            return event;
        }
        within_adaptive(receive, start, timing)
            .await
            .unwrap_or(UdpEvent::Silent)
    }
}

fn set_recv_err(socket: &socket2::Socket, ipv6: bool) -> io::Result<()> {
    let (level, name) = if ipv6 {
        (libc::IPPROTO_IPV6, libc::IPV6_RECVERR)
    } else {
        (libc::IPPROTO_IP, libc::IP_RECVERR)
    };
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a pointer to a c_int of the size given.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connect_the_kernel_gave_up_on_is_silence_not_a_local_failure() {
        let rtt = Duration::from_secs(130);
        let timed_out = io::Error::from_raw_os_error(libc::ETIMEDOUT);
        assert!(matches!(
            connect_failure(&timed_out, rtt),
            TcpAttempt::Silent
        ));
        let refused = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert!(matches!(
            connect_failure(&refused, rtt),
            TcpAttempt::Refused(_)
        ));
        let no_descriptor = io::Error::from_raw_os_error(libc::EMFILE);
        assert!(matches!(
            connect_failure(&no_descriptor, rtt),
            TcpAttempt::Local(_)
        ));
        // The one table: a down host or network and a protocol error are the path's answer.
        for errno in [libc::EHOSTDOWN, libc::ENETDOWN, libc::EPROTO] {
            let e = io::Error::from_raw_os_error(errno);
            assert!(
                matches!(connect_failure(&e, rtt), TcpAttempt::Unreachable(..)),
                "errno {errno}"
            );
        }
    }
}
