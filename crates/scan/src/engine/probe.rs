//! One TCP connect probe at the socket level, and what each answer means.
//!
//! A probe costs five system calls: `socket` (non-blocking and close-on-exec in one call),
//! `connect`, `epoll_ctl` (by the worker), `getsockopt(SO_ERROR)` when the connection failed,
//! and `close`. An open port costs two more, which prove the connection was established and
//! was not the socket meeting itself: `getpeername` succeeds only on a connected socket, and
//! `getsockname` must differ from the target (on a local address the kernel may pick the
//! destination port as the source port, and the SYN then answers itself).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, Type};

use crate::result::Reason;

/// What starting a probe gave.
#[derive(Debug)]
pub enum Start {
    /// The connection is under way: wait for the socket to become writable.
    Pending(Socket),
    /// The answer is already known.
    Done(Reason),
    /// This machine is out of a resource (descriptors, buffers, source ports): try again
    /// later with fewer probes in flight.
    Busy,
}

/// A system error number, for statistics.
pub type Errno = i32;

/// Opens a non-blocking socket and starts connecting it to `target`.
pub fn start(target: SocketAddr) -> Start {
    let domain = if target.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let socket = match Socket::new(domain, Type::STREAM.nonblocking(), None) {
        Ok(s) => s,
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(0);
            return if is_resource_shortage(errno) {
                Start::Busy
            } else {
                Start::Done(Reason::LocalError)
            };
        }
    };
    match socket.connect(&SockAddr::from(target)) {
        Ok(()) => Start::Done(confirm_established(&socket, target)),
        Err(e) => match e.raw_os_error() {
            Some(libc::EINPROGRESS) => Start::Pending(socket),
            Some(errno) if is_resource_shortage(errno) => Start::Busy,
            Some(errno) => Start::Done(failed(&socket, target, errno)),
            None => Start::Done(Reason::LocalError),
        },
    }
}

/// Errors that mean "not now" rather than anything about the target.
pub fn is_resource_shortage(errno: Errno) -> bool {
    matches!(
        errno,
        libc::EMFILE
            | libc::ENFILE
            | libc::ENOBUFS
            | libc::ENOMEM
            | libc::EADDRNOTAVAIL
            | libc::EAGAIN
    )
}

/// The reason for a connection that ended with `errno`.
fn failed(socket: &Socket, target: SocketAddr, errno: Errno) -> Reason {
    match errno {
        libc::ECONNREFUSED => Reason::ConnRefused,
        // A reset or broken pipe after the handshake: the connection was established (a
        // reset during SYN-SENT gives ECONNREFUSED instead).
        libc::ECONNRESET | libc::EPIPE => {
            match socket.local_addr().ok().and_then(|a| a.as_socket()) {
                Some(local) if same_endpoint(local, target) => Reason::SelfConnect,
                _ => Reason::SynAck,
            }
        }
        libc::EHOSTUNREACH | libc::EHOSTDOWN => Reason::HostUnreach,
        libc::ENETUNREACH | libc::ENETDOWN => Reason::NetUnreach,
        libc::ETIMEDOUT => Reason::NoResponse,
        libc::EACCES | libc::EPERM => Reason::LocalPolicy,
        _ => Reason::LocalError,
    }
}

/// What the socket says after epoll reported it: `error` is true when epoll flagged an error.
/// `None` when the socket is neither connected nor failed (the caller treats it as silent).
pub fn finish(socket: &Socket, target: SocketAddr, error: bool) -> Option<Reason> {
    if error {
        match socket.take_error() {
            Ok(Some(e)) => return Some(failed(socket, target, e.raw_os_error().unwrap_or(0))),
            Ok(None) => {}
            Err(_) => return Some(Reason::LocalError),
        }
    }
    match confirm_established(socket, target) {
        Reason::LocalError => None,
        reason => Some(reason),
    }
}

/// `SynAck` when the socket is connected to someone other than itself, `SelfConnect` when it
/// is connected to itself, `LocalError` when it is not connected.
fn confirm_established(socket: &Socket, target: SocketAddr) -> Reason {
    if socket.peer_addr().is_err() {
        return Reason::LocalError;
    }
    match socket.local_addr().ok().and_then(|a| a.as_socket()) {
        Some(local) if same_endpoint(local, target) => Reason::SelfConnect,
        _ => Reason::SynAck,
    }
}

fn same_endpoint(a: SocketAddr, b: SocketAddr) -> bool {
    a.ip() == b.ip() && a.port() == b.port()
}

/// Closes a connected socket with a reset rather than a FIN, as nmap does, so neither side
/// keeps the connection in TIME-WAIT.
pub fn close_abortively(socket: Socket) {
    let _ = socket.set_linger(Some(Duration::ZERO));
    drop(socket);
}

/// The system error behind an `io::Error`, or 0.
pub fn errno_of(e: &io::Error) -> Errno {
    e.raw_os_error().unwrap_or(0)
}
