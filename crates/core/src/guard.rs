//! The self-connect guard. On a local address the kernel may pick the destination port as
//! the source port; the SYN then meets itself and the "connection" succeeds with nobody
//! listening. Both engines ask this one question before calling a port open.

use std::net::SocketAddr;

/// True when a connection's local end is its own destination (same address and port), so
/// the handshake was the socket meeting itself: nothing listens there.
pub fn is_self_connect(local: SocketAddr, destination: SocketAddr) -> bool {
    local.ip() == destination.ip() && local.port() == destination.port()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_address_and_port_is_a_self_connect() {
        let a = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert!(is_self_connect(a("127.0.0.1:40000"), a("127.0.0.1:40000")));
        assert!(is_self_connect(a("[::1]:5"), a("[::1]:5")));
        assert!(!is_self_connect(a("127.0.0.1:40001"), a("127.0.0.1:40000")));
        assert!(!is_self_connect(a("127.0.0.2:40000"), a("127.0.0.1:40000")));
        // Scope ids and flow labels do not make two ends different.
        assert!(is_self_connect(a("[fe80::1%2]:7"), a("[fe80::1%3]:7")));
    }
}
