//! The receiver threads: one reads the raw TCP socket, one the raw ICMP socket. Each parses
//! what the kernel delivers with `portolan_wire::tcpip`, keeps only the answers to our own
//! SYNs (the cookie), and records them. Each ends after the sender, once its socket has been
//! quiet for one read timeout: an answer already queued is never taken for silence.

use std::mem::MaybeUninit;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use portolan_core::verdict::Reason;
use portolan_wire::tcpip::{Datagram, IcmpRepr, TcpFlags, Transport, Unreachable};
use socket2::Socket;

use super::{Shared, socket};
use crate::engine::Event;

/// Longer than any datagram an answer needs (a SYN-ACK with options, or an ICMP error
/// quoting a whole SYN); longer ones are cut, which the parser refuses.
const BUFFER: usize = 2048;

/// Reads answers from the raw TCP socket.
pub fn tcp(shared: &Shared<'_>, socket: &Socket, events: &mpsc::SyncSender<Event>) {
    read(shared, socket, |datagram| {
        let Transport::Tcp(tcp) = datagram.transport else {
            return;
        };
        let table = shared.table;
        let Some((h, p)) =
            table.lookup(datagram.ip.src, tcp.src_port, datagram.ip.dst, tcp.dst_port)
        else {
            return;
        };
        // Both a SYN-ACK and the reset to a SYN acknowledge the SYN's sequence number + 1.
        if !tcp.flags.contains(TcpFlags::ACK)
            || tcp.ack != table.cookie(h, tcp.src_port).wrapping_add(1)
        {
            return;
        }
        let reason = if tcp.flags.contains(TcpFlags::RST) {
            Reason::ConnRefused
        } else if tcp.flags.contains(TcpFlags::SYN) {
            Reason::SynAck
        } else {
            return;
        };
        record(shared, h, p, reason, events);
    });
}

/// Reads destination-unreachable messages from the raw ICMP socket.
pub fn icmp(shared: &Shared<'_>, socket: &Socket, events: &mpsc::SyncSender<Event>) {
    read(shared, socket, |datagram| {
        let Transport::Icmp(IcmpRepr::TcpUnreachable { reason, quoted }) = datagram.transport
        else {
            return;
        };
        let table = shared.table;
        // The quote is our SYN: from us to the target.
        let Some((h, p)) = table.lookup(quoted.dst, quoted.dst_port, quoted.src, quoted.src_port)
        else {
            return;
        };
        if quoted.seq != table.cookie(h, quoted.dst_port) {
            return;
        }
        record(shared, h, p, unreachable_reason(reason), events);
    });
}

/// The reason for an ICMP unreachable, as the kernel would report it to a connect
/// (`icmp_err_convert`): port unreachable refuses the connection, the rest are filters.
pub fn unreachable_reason(unreachable: Unreachable) -> Reason {
    match unreachable {
        Unreachable::Net | Unreachable::Other(6 | 9 | 11) => Reason::NetUnreach,
        Unreachable::Protocol => Reason::ProtoUnreach,
        Unreachable::Port => Reason::PortUnreach,
        Unreachable::Host | Unreachable::AdminProhibited(_) | Unreachable::Other(_) => {
            Reason::HostUnreach
        }
    }
}

/// Records an answer (the first one wins) and its round trip.
fn record(
    shared: &Shared<'_>,
    h: usize,
    p: usize,
    reason: Reason,
    events: &mpsc::SyncSender<Event>,
) {
    let Some((tries, rtt_us)) =
        shared
            .table
            .answer(shared.table.probe(h, p), reason, shared.now_us())
    else {
        return;
    };
    // Karn's rule: an answer after a retry may be the first SYN's, so its time says nothing.
    if tries <= 1 {
        shared.table.hosts[h].rtt.sample(rtt_us);
        shared.global_rtt.sample(rtt_us);
    }
    shared.decided(shared.result(h, p, reason, tries, Some(rtt_us)), events);
}

/// Reads datagrams until the sender is done and the socket has been quiet for one timeout.
fn read(shared: &Shared<'_>, socket: &Socket, mut handle: impl FnMut(Datagram)) {
    let mut buf = [MaybeUninit::<u8>::uninit(); BUFFER];
    loop {
        // Read before looking at the flag: a datagram queued before the sender finished is
        // read on this turn or the next.
        let finished = shared.sender_done.load(Ordering::Acquire);
        match socket::receive(socket, &mut buf) {
            Ok(Some(n)) => {
                let n = n.min(BUFFER);
                // SAFETY: the kernel initialised the first n bytes.
                let bytes = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) };
                if let Ok(datagram) = Datagram::parse(bytes) {
                    handle(datagram);
                }
            }
            Ok(None) if finished => return,
            Ok(None) => {}
            Err(_) if finished => return,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
    }
}
