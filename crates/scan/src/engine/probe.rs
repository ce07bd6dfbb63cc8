//! One TCP connect probe at the socket level. What each error means is
//! `portolan_core::errno`'s table; whether a connection met itself is
//! `portolan_core::guard`'s question.
//!
//! A probe costs five system calls: `socket` (non-blocking and close-on-exec in one call),
//! `connect`, `epoll_ctl` (by the worker), `getsockopt(SO_ERROR)` when the connection failed,
//! and `close`. An open port costs two more, which prove the connection was established and
//! was not the socket meeting itself: `getpeername` succeeds only on a connected socket, and
//! `getsockname` must differ from the target.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use portolan_core::errno::{self, ErrnoClass};
use portolan_core::guard::is_self_connect;
use socket2::{Domain, SockAddr, Socket, Type};

use crate::result::Reason;

pub use portolan_core::errno::{Errno, is_resource_shortage};

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
            return if is_resource_shortage(errno_of(&e)) {
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
            Some(errno) => match failed(&socket, target, errno) {
                Some(reason) => Start::Done(reason),
                None => Start::Busy,
            },
            None => Start::Done(Reason::LocalError),
        },
    }
}

/// The reason for a connection that ended with `errno`; `None` for a resource shortage.
fn failed(socket: &Socket, target: SocketAddr, errno: Errno) -> Option<Reason> {
    match errno::classify(errno) {
        ErrnoClass::Answer(reason) => Some(reason),
        ErrnoClass::EstablishedThenReset => Some(guarded(socket, target)),
        ErrnoClass::Shortage => None,
    }
}

/// What the socket says after epoll reported it: `error` is true when epoll flagged an error.
/// `None` when the socket is neither connected nor failed (the caller treats it as silent).
pub fn finish(socket: &Socket, target: SocketAddr, error: bool) -> Option<Reason> {
    if error {
        match socket.take_error() {
            // A shortage reported after the fact is a failure of this probe here.
            Ok(Some(e)) => {
                return Some(failed(socket, target, errno_of(&e)).unwrap_or(Reason::LocalError));
            }
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
    guarded(socket, target)
}

/// The self-connect guard on an established socket.
fn guarded(socket: &Socket, target: SocketAddr) -> Reason {
    match socket.local_addr().ok().and_then(|a| a.as_socket()) {
        Some(local) if is_self_connect(local, target) => Reason::SelfConnect,
        _ => Reason::SynAck,
    }
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
