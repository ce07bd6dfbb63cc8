//! Opening every socket of a selection at once, before anything is served: a port in use is
//! reported and skipped, a privileged port without the privilege stops the run with the fix.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use portolan_catalog::Transport;
use socket2::{Domain, Protocol, Socket, Type};

use crate::ListenError;

/// One port to listen on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// TCP or UDP (other transports are not listened on).
    pub transport: Transport,
    /// The port number.
    pub port: u16,
    /// What the catalog says listens there ("LDAP, LSASS"), for the summary.
    pub label: String,
}

/// The addresses listened on when none is given: every IPv4 and every IPv6 address, on
/// separate sockets (the IPv6 one is IPv6-only), as a server of the role would.
pub fn default_addresses() -> Vec<IpAddr> {
    vec![
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    ]
}

/// A socket that is bound and ready to serve.
#[derive(Debug)]
pub struct BoundSocket {
    /// The port it serves (index into the selection).
    pub port: usize,
    /// Its local address.
    pub address: SocketAddr,
    /// The socket: listening (TCP) or bound (UDP), non-blocking.
    pub socket: Socket,
}

/// A socket that was not opened, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// "tcp" or "udp".
    pub transport: String,
    /// The address asked for.
    pub address: SocketAddr,
    /// Why it was skipped.
    pub reason: String,
}

/// The backlog of every listening TCP socket.
const BACKLOG: i32 = 1024;

fn open(transport: Transport, address: SocketAddr) -> io::Result<Socket> {
    let domain = Domain::for_address(address);
    let socket = match transport {
        Transport::Udp => Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?,
        _ => Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?,
    };
    if address.is_ipv6() {
        // `::` and `0.0.0.0` side by side, as two sockets, whatever bindv6only says.
        socket.set_only_v6(true)?;
    }
    if transport == Transport::Tcp {
        // A listener restarted right after a check must not wait for TIME_WAIT to pass.
        socket.set_reuse_address(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    if transport == Transport::Tcp {
        socket.listen(BACKLOG)?;
    }
    Ok(socket)
}

fn transport_name(transport: Transport) -> String {
    transport.to_string().to_lowercase()
}

/// Opens every port of `ports` on every address of `addresses`. `addresses_given` says
/// whether the user named them: an IPv6 default on a machine without IPv6 is skipped
/// without a word of complaint, a named address that cannot be bound is reported.
pub fn bind_all(
    ports: &[Port],
    addresses: &[IpAddr],
) -> Result<(Vec<BoundSocket>, Vec<Skipped>), ListenError> {
    let listenable: Vec<(usize, &Port)> = ports
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.transport, Transport::Tcp | Transport::Udp))
        .collect();
    if listenable.is_empty() {
        return Err(ListenError::NothingSelected);
    }
    let mut bound = Vec::new();
    let mut skipped = Vec::new();
    let mut privileged = Vec::new();
    for &address in addresses {
        for &(index, port) in &listenable {
            let socket_address = SocketAddr::new(address, port.port);
            match open(port.transport, socket_address) {
                Ok(socket) => bound.push(BoundSocket {
                    port: index,
                    address: socket_address,
                    socket,
                }),
                Err(e) => {
                    let reason = match e.kind() {
                        io::ErrorKind::PermissionDenied => {
                            privileged
                                .push(format!("{} {} on {}", port.transport, port.port, address));
                            continue;
                        }
                        io::ErrorKind::AddrInUse => {
                            "in use: another program listens there".to_string()
                        }
                        io::ErrorKind::AddrNotAvailable => {
                            "not an address of this machine".to_string()
                        }
                        _ if address.is_ipv6() && e.raw_os_error() == Some(EAFNOSUPPORT) => {
                            "this machine has no IPv6".to_string()
                        }
                        _ => e.to_string(),
                    };
                    skipped.push(Skipped {
                        transport: transport_name(port.transport),
                        address: socket_address,
                        reason,
                    });
                }
            }
        }
    }
    if !privileged.is_empty() {
        return Err(ListenError::Privileged(privileged));
    }
    if bound.is_empty() {
        return Err(ListenError::NothingBound(
            skipped
                .iter()
                .map(|s| format!("{} {}: {}", s.transport, s.address, s.reason))
                .collect(),
        ));
    }
    Ok((bound, skipped))
}

/// Linux's errno for a socket of an address family the kernel lacks (no IPv6).
const EAFNOSUPPORT: i32 = 97;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn port(transport: Transport, port: u16) -> Port {
        Port {
            transport,
            port,
            label: String::new(),
        }
    }

    #[test]
    fn a_port_in_use_is_skipped_and_the_rest_bound() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let busy = taken.local_addr().unwrap().port();
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open_port = free.local_addr().unwrap().port();
        drop(free);
        let loopback = [IpAddr::V4(Ipv4Addr::LOCALHOST)];
        let (bound, skipped) = bind_all(
            &[port(Transport::Tcp, busy), port(Transport::Tcp, open_port)],
            &loopback,
        )
        .unwrap();
        assert_eq!(bound.len(), 1);
        assert_eq!(bound[0].address.port(), open_port);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].reason.contains("in use"), "{skipped:?}");
        // Nothing left: a clear error.
        let error = bind_all(&[port(Transport::Tcp, busy)], &loopback).unwrap_err();
        assert!(
            error.to_string().contains("no port could be opened"),
            "{error}"
        );
        let error = bind_all(&[port(Transport::Ip(47), 0)], &loopback).unwrap_err();
        assert!(matches!(error, ListenError::NothingSelected));
    }

    #[test]
    fn the_privilege_error_names_the_capability_and_the_fix() {
        let error = ListenError::Privileged(vec!["TCP 88 on 0.0.0.0".into()]);
        let text = error.to_string();
        assert!(text.contains("CAP_NET_BIND_SERVICE"), "{text}");
        assert!(text.contains("setcap cap_net_bind_service=+ep"), "{text}");
        assert!(text.contains("TCP 88 on 0.0.0.0"), "{text}");
    }
}
