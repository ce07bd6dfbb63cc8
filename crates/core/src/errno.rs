//! The one table from a failed connect's (or send's) error number to what it says about the
//! port. Both engines read it; `docs/check.md` ("What each system error means") documents it.
//!
//! | errno | means | reason | verdict (TCP) |
//! |---|---|---|---|
//! | ECONNREFUSED | a reset (TCP) or ICMP port unreachable (UDP) | conn-refused | NOT LISTENING |
//! | ECONNRESET, EPIPE | the handshake had completed, then a reset | syn-ack (or self-connect) | LISTENING |
//! | EHOSTUNREACH, EHOSTDOWN, ENONET | ICMP host unreachable or prohibited, no neighbour | host-unreach | FILTERED |
//! | ENETUNREACH, ENETDOWN | ICMP network unreachable, no route, interface down | net-unreach | FILTERED |
//! | EPROTO, ENOPROTOOPT | ICMP parameter problem or protocol unreachable | proto-unreach | FILTERED |
//! | EACCES, EPERM | this machine's firewall refused | local-policy | FILTERED |
//! | ETIMEDOUT | the kernel gave up retransmitting | no-response | FILTERED |
//! | EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL, EAGAIN | out of a resource here | (try again later) | — |
//! | anything else | an unexpected failure here | local-error | ERROR |

use crate::verdict::Reason;

/// A system error number.
pub type Errno = i32;

/// What an error number says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrnoClass {
    /// An answer about the port (or the path to it), or a local failure, with its reason.
    Answer(Reason),
    /// A reset or broken pipe after the handshake: the connection was established (a reset
    /// during SYN-SENT gives ECONNREFUSED instead). The self-connect guard decides between
    /// `syn-ack` and `self-connect`.
    EstablishedThenReset,
    /// This machine is out of a resource (descriptors, buffers, memory, source ports): the
    /// error says nothing about the target, so try again later with fewer probes in flight.
    Shortage,
}

/// Classifies an error number.
pub fn classify(errno: Errno) -> ErrnoClass {
    match errno {
        libc::ECONNREFUSED => ErrnoClass::Answer(Reason::ConnRefused),
        libc::ECONNRESET | libc::EPIPE => ErrnoClass::EstablishedThenReset,
        // EHOSTDOWN is Linux's word for ICMP "host unknown", ENONET for "host isolated": both
        // come from the path, like host unreachable (probe used to call them local errors).
        libc::EHOSTUNREACH | libc::EHOSTDOWN | libc::ENONET => {
            ErrnoClass::Answer(Reason::HostUnreach)
        }
        // ENETDOWN (the interface toward the target is down) is filtered, as nmap has it:
        // the port cannot be reached from here, and retrying does not change that.
        libc::ENETUNREACH | libc::ENETDOWN => ErrnoClass::Answer(Reason::NetUnreach),
        // ICMP protocol unreachable (ENOPROTOOPT) and parameter problem (EPROTO) came back
        // from the network, so they are about the path, not this machine (scan used to call
        // EPROTO a local error).
        libc::EPROTO | libc::ENOPROTOOPT => ErrnoClass::Answer(Reason::ProtoUnreach),
        libc::EACCES | libc::EPERM => ErrnoClass::Answer(Reason::LocalPolicy),
        // The kernel gave up retransmitting (about two minutes of SYNs), which a wait longer
        // than that lets through: the port stayed silent, nothing failed here.
        libc::ETIMEDOUT => ErrnoClass::Answer(Reason::NoResponse),
        e if is_resource_shortage(e) => ErrnoClass::Shortage,
        _ => ErrnoClass::Answer(Reason::LocalError),
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

/// What the network said, in words, for a reason that came from an error number.
pub fn describe(reason: Reason) -> &'static str {
    match reason {
        Reason::SynAck => "SYN-ACK",
        Reason::UdpResponse => "a datagram",
        Reason::ConnRefused => "reset",
        Reason::PortUnreach => "ICMP port unreachable",
        Reason::SelfConnect => "the connection met itself",
        Reason::HostUnreach => "ICMP host unreachable or administratively prohibited",
        Reason::NetUnreach => "ICMP network unreachable, or no route",
        Reason::ProtoUnreach => "ICMP protocol unreachable or parameter problem",
        Reason::NoResponse => "no answer",
        Reason::LocalPolicy => "refused by a firewall (permission denied)",
        Reason::LocalError => "a failure on this machine",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;

    /// Every row of the table, as documented in docs/check.md.
    #[test]
    fn every_row_of_the_table() {
        let answer = |e| match classify(e) {
            ErrnoClass::Answer(reason) => Some((reason, reason.tcp_verdict())),
            _ => None,
        };
        use Verdict::*;
        let rows = [
            (libc::ECONNREFUSED, Reason::ConnRefused, NotListening),
            (libc::EHOSTUNREACH, Reason::HostUnreach, Filtered),
            (libc::EHOSTDOWN, Reason::HostUnreach, Filtered),
            (libc::ENONET, Reason::HostUnreach, Filtered),
            (libc::ENETUNREACH, Reason::NetUnreach, Filtered),
            (libc::ENETDOWN, Reason::NetUnreach, Filtered),
            (libc::EPROTO, Reason::ProtoUnreach, Filtered),
            (libc::ENOPROTOOPT, Reason::ProtoUnreach, Filtered),
            (libc::EACCES, Reason::LocalPolicy, Filtered),
            (libc::EPERM, Reason::LocalPolicy, Filtered),
            (libc::ETIMEDOUT, Reason::NoResponse, Filtered),
            (libc::EINVAL, Reason::LocalError, Error),
            (0, Reason::LocalError, Error),
        ];
        for (errno, reason, verdict) in rows {
            assert_eq!(answer(errno), Some((reason, verdict)), "errno {errno}");
        }
        for errno in [libc::ECONNRESET, libc::EPIPE] {
            assert_eq!(classify(errno), ErrnoClass::EstablishedThenReset);
        }
        for errno in [
            libc::EMFILE,
            libc::ENFILE,
            libc::ENOBUFS,
            libc::ENOMEM,
            libc::EADDRNOTAVAIL,
            libc::EAGAIN,
        ] {
            assert_eq!(classify(errno), ErrnoClass::Shortage, "errno {errno}");
            assert!(is_resource_shortage(errno));
        }
        assert!(!is_resource_shortage(libc::ECONNREFUSED));
    }

    #[test]
    fn udp_reads_the_same_table() {
        // On a UDP socket ECONNREFUSED is ICMP port unreachable: NOT LISTENING too.
        let ErrnoClass::Answer(reason) = classify(libc::ECONNREFUSED) else {
            panic!("ECONNREFUSED is an answer");
        };
        assert_eq!(reason.udp_verdict(), Verdict::NotListening);
        let ErrnoClass::Answer(reason) = classify(libc::EHOSTUNREACH) else {
            panic!("EHOSTUNREACH is an answer");
        };
        assert_eq!(reason.udp_verdict(), Verdict::Filtered);
    }
}
