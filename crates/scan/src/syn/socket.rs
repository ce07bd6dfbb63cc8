//! The sockets of the half-open sweep: one raw socket that sends whole IPv4 datagrams
//! (`IPPROTO_RAW`, which implies `IP_HDRINCL`), raw TCP and ICMP sockets that receive a copy
//! of every TCP segment and ICMP message delivered to this host, the source address the
//! kernel's routing picks for a target, and a reserved source port.

use std::io;
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Receive buffer asked of the kernel for each raw socket: a full sweep of one fast host
/// brings 65,535 answers within a fraction of a second, and the receiver must not lose them
/// while it is descheduled (a lost answer costs a retry, a lost retry costs exactness).
const RECEIVE_BUFFER: usize = 32 << 20;

/// Whether an error from `socket(SOCK_RAW)` means the process lacks CAP_NET_RAW.
pub fn is_permission(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EPERM | libc::EACCES))
}

/// The raw socket that sends the SYNs, headers included.
pub fn sender() -> io::Result<Socket> {
    let socket = Socket::new(
        Domain::IPV4,
        Type::RAW,
        Some(Protocol::from(libc::IPPROTO_RAW)),
    )?;
    // A send to a host without a neighbour entry queues inside the kernel; a larger buffer
    // lets a burst through before sendto blocks.
    let _ = socket.set_send_buffer_size(4 << 20);
    Ok(socket)
}

/// A raw socket receiving every incoming datagram of `protocol` (TCP or ICMP).
pub fn receiver(protocol: i32) -> io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(protocol)))?;
    if force_receive_buffer(&socket, RECEIVE_BUFFER).is_err() {
        let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER);
    }
    socket.set_read_timeout(Some(Duration::from_millis(5)))?;
    Ok(socket)
}

/// SO_RCVBUFFORCE: above net.core.rmem_max, which CAP_NET_ADMIN (root) may do.
fn force_receive_buffer(socket: &Socket, bytes: usize) -> io::Result<()> {
    let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: setsockopt with a pointer to a live c_int and its exact size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Receives one datagram into `buf` (waiting at most the socket's read timeout); `Ok(None)`
/// when none came.
pub fn receive(socket: &Socket, buf: &mut [MaybeUninit<u8>]) -> io::Result<Option<usize>> {
    match socket.recv(buf) {
        Ok(n) => Ok(Some(n)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Ok(None)
        }
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sends one datagram to `to`.
pub fn send(socket: &Socket, datagram: &[u8], to: Ipv4Addr) -> io::Result<()> {
    let address = SockAddr::from(SocketAddrV4::new(to, 0));
    socket.send_to(datagram, &address).map(|_| ())
}

/// The source address the kernel would use toward `target`: a connected UDP socket's own
/// address (connect on UDP sends nothing; it only looks the route up).
pub fn route_source(target: Ipv4Addr) -> io::Result<Ipv4Addr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    socket.connect((target, 9))?;
    match socket.local_addr()? {
        SocketAddr::V4(v4) => Ok(*v4.ip()),
        SocketAddr::V6(_) => Err(io::Error::other("an IPv6 source for an IPv4 target")),
    }
}

/// A TCP socket bound (never listening) to a free port on every address, held for the whole
/// sweep: the SYNs go out from that port, and no connection of this host can pick it as its
/// ephemeral port meanwhile. Answers to it find no socket, so the kernel resets every SYN-ACK
/// itself, which closes the half-open connection on the target.
pub fn reserve_source_port() -> io::Result<(Socket, u16)> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    socket.bind(&SockAddr::from(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)))?;
    let port = socket
        .local_addr()?
        .as_socket()
        .map(|a| a.port())
        .ok_or_else(|| io::Error::other("a TCP socket without a port"))?;
    Ok((socket, port))
}

/// Which datagrams a receiving socket keeps, decided in the kernel by a classic BPF program
/// before they are queued: the raw sockets see every TCP segment and ICMP message of this
/// host (on loopback, our own SYNs too), and most are not for us. Matching in user space
/// stays the authority; the filter only spares the queue and the copies.
#[derive(Debug, Clone, Copy)]
pub enum Keep {
    /// TCP segments to this destination port.
    TcpToPort(u16),
    /// ICMP destination unreachable.
    IcmpUnreachable,
}

/// Attaches the filter for `keep` (best effort: without it, only more datagrams are read).
pub fn keep_only(socket: &Socket, keep: Keep) -> io::Result<()> {
    const fn op(code: u32, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
        libc::sock_filter {
            code: code as u16,
            jt,
            jf,
            k,
        }
    }
    // X = the IPv4 header length (4 * IHL), then a load relative to X, one compare.
    let load_ihl = op(libc::BPF_LDX | libc::BPF_B | libc::BPF_MSH, 0, 0, 0);
    let (load, value) = match keep {
        Keep::TcpToPort(port) => (
            op(libc::BPF_LD | libc::BPF_H | libc::BPF_IND, 0, 0, 2),
            u32::from(port),
        ),
        Keep::IcmpUnreachable => (op(libc::BPF_LD | libc::BPF_B | libc::BPF_IND, 0, 0, 0), 3),
    };
    let program = [
        load_ihl,
        load,
        op(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, 0, 1, value),
        op(libc::BPF_RET | libc::BPF_K, 0, 0, 0xffff),
        op(libc::BPF_RET | libc::BPF_K, 0, 0, 0),
    ];
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_ptr().cast_mut(),
    };
    // SAFETY: the program outlives the call (the kernel copies it), and the size is exact.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&fprog as *const libc::sock_fprog).cast(),
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
