//! IPv4, TCP and ICMPv4 headers for the half-open sweep (`scan --syn`): the SYN it sends, and
//! the SYN-ACKs, resets and ICMP destination-unreachable messages (with the quoted header of
//! the SYN they refuse) that come back.
//!
//! As in smoltcp's `wire`: typed views ([`Ipv4Packet`], [`TcpPacket`], [`IcmpPacket`]) over
//! byte slices whose `new_checked` refuses a buffer too short for what its header claims, and
//! plain representations ([`Ipv4Repr`], [`TcpRepr`], [`IcmpRepr`], [`Datagram`]) with `parse`
//! and `emit`. Parsing never checks checksums: packets a kernel hands over on a veth or on
//! loopback may carry a checksum the hardware was meant to finish, so the receiver matches
//! replies by their sequence cookie instead, and [`TcpPacket::verify_checksum`] is there for
//! whoever wants it.
//!
//! ```
//! use std::net::Ipv4Addr;
//! use portolan_wire::tcpip::{self, Datagram, TcpFlags, TcpRepr, Transport};
//! let syn = TcpRepr::syn(40000, 445, 0x1234_5678);
//! let src = Ipv4Addr::new(10, 0, 0, 1);
//! let dst = Ipv4Addr::new(10, 0, 0, 2);
//! let mut buf = [0u8; tcpip::SYN_DATAGRAM_LEN];
//! let len = tcpip::emit_tcp_datagram(src, dst, 64, &syn, &mut buf).unwrap();
//! let parsed = Datagram::parse(&buf[..len]).unwrap();
//! assert_eq!(parsed.transport, Transport::Tcp(syn));
//! assert!(syn.flags.contains(TcpFlags::SYN));
//! ```

use std::fmt;
use std::net::Ipv4Addr;

use crate::error::{Error, Result, need};

/// The IP protocol number of ICMPv4.
pub const PROTOCOL_ICMP: u8 = 1;
/// The IP protocol number of TCP.
pub const PROTOCOL_TCP: u8 = 6;
/// Length of an IPv4 header without options.
pub const IPV4_HEADER_LEN: usize = 20;
/// Length of a TCP header without options.
pub const TCP_HEADER_LEN: usize = 20;
/// Length of the ICMP header before a quoted datagram.
pub const ICMP_HEADER_LEN: usize = 8;
/// Length of the SYN the sweep sends: IPv4 header, TCP header and a 4-byte MSS option.
pub const SYN_DATAGRAM_LEN: usize = IPV4_HEADER_LEN + TCP_HEADER_LEN + 4;

/// Ones'-complement sum of `data` as 16-bit big-endian words (an odd last byte is padded).
fn sum_words(mut acc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for pair in &mut chunks {
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([pair[0], pair[1]])));
    }
    if let [last] = chunks.remainder() {
        acc = acc.wrapping_add(u32::from(*last) << 8);
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The Internet checksum (RFC 1071) of `data`: zero when `data` holds a valid checksum.
pub fn checksum(data: &[u8]) -> u16 {
    !fold(sum_words(0, data))
}

/// The checksum of a TCP segment over its IPv4 pseudo-header (RFC 793).
pub fn tcp_checksum(src: Ipv4Addr, dst: Ipv4Addr, segment: &[u8]) -> u16 {
    let mut acc = sum_words(0, &src.octets());
    acc = sum_words(acc, &dst.octets());
    acc = acc.wrapping_add(u32::from(PROTOCOL_TCP));
    acc = acc.wrapping_add(segment.len() as u32);
    !fold(sum_words(acc, segment))
}

fn be16(buf: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([buf[at], buf[at + 1]])
}

fn be32(buf: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

fn put16(buf: &mut [u8], at: usize, value: u16) {
    buf[at..at + 2].copy_from_slice(&value.to_be_bytes());
}

fn put32(buf: &mut [u8], at: usize, value: u32) {
    buf[at..at + 4].copy_from_slice(&value.to_be_bytes());
}

mod ipv4_field {
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLAGS_FRAG: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
}

/// A view of an IPv4 datagram.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// A view without checks: accessors may panic on a short buffer. Use [`Self::new_checked`]
    /// on bytes from the network.
    pub fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    /// A view of a whole datagram: version 4, a header length of at least 20 bytes that fits,
    /// and a total length between the header's and the buffer's.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Self::new_checked_header(buffer)?;
        let total = usize::from(packet.total_len());
        if total < packet.header_len() {
            return Err(Error::malformed(
                "IPv4 header",
                "total length below header length",
            ));
        }
        need(packet.buffer.as_ref(), total, "IPv4 datagram")?;
        Ok(packet)
    }

    /// A view of a header that may be followed by only part of its payload (the datagram an
    /// ICMP error quotes): version 4 and a header length of at least 20 bytes that fits.
    pub fn new_checked_header(buffer: T) -> Result<Self> {
        let bytes = buffer.as_ref();
        need(bytes, IPV4_HEADER_LEN, "IPv4 header")?;
        let packet = Ipv4Packet { buffer };
        if packet.version() != 4 {
            return Err(Error::malformed("IPv4 header", "version is not 4"));
        }
        if packet.header_len() < IPV4_HEADER_LEN {
            return Err(Error::malformed("IPv4 header", "header length below 20"));
        }
        need(packet.buffer.as_ref(), packet.header_len(), "IPv4 options")?;
        Ok(packet)
    }

    /// The version field.
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[ipv4_field::VER_IHL] >> 4
    }

    /// The header length in bytes.
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[ipv4_field::VER_IHL] & 0x0f) * 4
    }

    /// The total length field.
    pub fn total_len(&self) -> u16 {
        be16(self.buffer.as_ref(), ipv4_field::LENGTH)
    }

    /// The identification field.
    pub fn ident(&self) -> u16 {
        be16(self.buffer.as_ref(), ipv4_field::IDENT)
    }

    /// The fragment offset in bytes and the more-fragments flag.
    pub fn fragment(&self) -> (u16, bool) {
        let v = be16(self.buffer.as_ref(), ipv4_field::FLAGS_FRAG);
        ((v & 0x1fff) * 8, v & 0x2000 != 0)
    }

    /// The time to live.
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[ipv4_field::TTL]
    }

    /// The protocol of the payload.
    pub fn protocol(&self) -> u8 {
        self.buffer.as_ref()[ipv4_field::PROTOCOL]
    }

    /// The source address.
    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::from(be32(self.buffer.as_ref(), ipv4_field::SRC))
    }

    /// The destination address.
    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::from(be32(self.buffer.as_ref(), ipv4_field::DST))
    }

    /// Whether the header checksum is right.
    pub fn verify_checksum(&self) -> bool {
        checksum(&self.buffer.as_ref()[..self.header_len()]) == 0
    }

    /// The payload: after the header, up to the total length (or the buffer's end for a
    /// view made with [`Self::new_checked_header`]).
    pub fn payload(&self) -> &[u8] {
        let bytes = self.buffer.as_ref();
        let end = usize::from(self.total_len()).min(bytes.len());
        bytes.get(self.header_len()..end).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// The payload, writable (after a header written by [`Ipv4Repr::emit`]).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        let end = usize::from(self.total_len()).min(self.buffer.as_ref().len());
        self.buffer.as_mut().get_mut(start..end).unwrap_or(&mut [])
    }
}

/// The fields of an IPv4 header the sweep sets or reads (no options are emitted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Repr {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Payload protocol.
    pub protocol: u8,
    /// Payload length.
    pub payload_len: usize,
    /// Time to live.
    pub ttl: u8,
    /// Identification.
    pub ident: u16,
}

impl Ipv4Repr {
    /// The header of a checked datagram; fragments other than the first are refused (their
    /// payload does not start with a transport header).
    pub fn parse<T: AsRef<[u8]>>(packet: &Ipv4Packet<T>) -> Result<Ipv4Repr> {
        let (offset, _) = packet.fragment();
        if offset != 0 {
            return Err(Error::Unexpected("a later IPv4 fragment"));
        }
        Ok(Ipv4Repr {
            src: packet.src(),
            dst: packet.dst(),
            protocol: packet.protocol(),
            payload_len: usize::from(packet.total_len()).saturating_sub(packet.header_len()),
            ttl: packet.ttl(),
            ident: packet.ident(),
        })
    }

    /// Bytes of the header and payload.
    pub fn total_len(&self) -> usize {
        IPV4_HEADER_LEN + self.payload_len
    }

    /// Writes a 20-byte header (don't-fragment set, checksum filled) at the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        need(buf, IPV4_HEADER_LEN, "IPv4 header buffer")?;
        let total = u16::try_from(self.total_len())
            .map_err(|_| Error::too_large("IPv4 datagram", self.total_len(), 65535))?;
        buf[ipv4_field::VER_IHL] = 0x45;
        buf[ipv4_field::TOS] = 0;
        put16(buf, ipv4_field::LENGTH, total);
        put16(buf, ipv4_field::IDENT, self.ident);
        put16(buf, ipv4_field::FLAGS_FRAG, 0x4000);
        buf[ipv4_field::TTL] = self.ttl;
        buf[ipv4_field::PROTOCOL] = self.protocol;
        put16(buf, ipv4_field::CHECKSUM, 0);
        buf[ipv4_field::SRC..ipv4_field::SRC + 4].copy_from_slice(&self.src.octets());
        buf[ipv4_field::DST..ipv4_field::DST + 4].copy_from_slice(&self.dst.octets());
        let sum = checksum(&buf[..IPV4_HEADER_LEN]);
        put16(buf, ipv4_field::CHECKSUM, sum);
        Ok(())
    }
}

/// TCP header flags.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data.
    pub const FIN: TcpFlags = TcpFlags(0x01);
    /// Synchronise sequence numbers.
    pub const SYN: TcpFlags = TcpFlags(0x02);
    /// Reset.
    pub const RST: TcpFlags = TcpFlags(0x04);
    /// Push.
    pub const PSH: TcpFlags = TcpFlags(0x08);
    /// The acknowledgement number is valid.
    pub const ACK: TcpFlags = TcpFlags(0x10);
    /// Urgent pointer valid.
    pub const URG: TcpFlags = TcpFlags(0x20);

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
    }
}

impl fmt::Debug for TcpFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 8] = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];
        let set: Vec<&str> = NAMES
            .iter()
            .enumerate()
            .filter(|(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, name)| *name)
            .collect();
        write!(f, "TcpFlags({})", set.join("|"))
    }
}

mod tcp_field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const SEQ: usize = 4;
    pub const ACK: usize = 8;
    pub const OFFSET: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WINDOW: usize = 14;
    pub const CHECKSUM: usize = 16;
    pub const URGENT: usize = 18;
}

/// TCP option kinds the parser knows.
mod tcp_option {
    pub const END: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
}

/// A view of a TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// A view without checks.
    pub fn new_unchecked(buffer: T) -> Self {
        TcpPacket { buffer }
    }

    /// A view of a segment whose header (data offset of at least 5 words) fits the buffer.
    pub fn new_checked(buffer: T) -> Result<Self> {
        need(buffer.as_ref(), TCP_HEADER_LEN, "TCP header")?;
        let packet = TcpPacket { buffer };
        if packet.header_len() < TCP_HEADER_LEN {
            return Err(Error::malformed("TCP header", "data offset below 5"));
        }
        need(packet.buffer.as_ref(), packet.header_len(), "TCP options")?;
        Ok(packet)
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(self.buffer.as_ref(), tcp_field::SRC_PORT)
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(self.buffer.as_ref(), tcp_field::DST_PORT)
    }
    /// Sequence number.
    pub fn seq(&self) -> u32 {
        be32(self.buffer.as_ref(), tcp_field::SEQ)
    }
    /// Acknowledgement number.
    pub fn ack(&self) -> u32 {
        be32(self.buffer.as_ref(), tcp_field::ACK)
    }
    /// Header length in bytes (data offset).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[tcp_field::OFFSET] >> 4) * 4
    }
    /// Flags.
    pub fn flags(&self) -> TcpFlags {
        TcpFlags(self.buffer.as_ref()[tcp_field::FLAGS])
    }
    /// Window.
    pub fn window(&self) -> u16 {
        be16(self.buffer.as_ref(), tcp_field::WINDOW)
    }
    /// Options bytes.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[TCP_HEADER_LEN..self.header_len()]
    }
    /// Payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
    /// Whether the checksum over the pseudo-header of `src` and `dst` is right.
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        tcp_checksum(src, dst, self.buffer.as_ref()) == 0
    }
    /// The MSS option, if present and well formed (options are walked to their end or to the
    /// first malformed one).
    pub fn mss(&self) -> Result<Option<u16>> {
        let mut options = self.options();
        let mut mss = None;
        while let Some((&kind, rest)) = options.split_first() {
            match kind {
                tcp_option::END => break,
                tcp_option::NOP => options = rest,
                _ => {
                    let Some(&len) = rest.first() else {
                        return Err(Error::truncated("TCP option length", 2, 1));
                    };
                    let len = usize::from(len);
                    if len < 2 {
                        return Err(Error::malformed("TCP option", "length below 2"));
                    }
                    need(options, len, "TCP option")?;
                    if kind == tcp_option::MSS {
                        if len != 4 {
                            return Err(Error::malformed("TCP MSS option", "length is not 4"));
                        }
                        mss = Some(be16(options, 2));
                    }
                    options = &options[len..];
                }
            }
        }
        Ok(mss)
    }
}

/// The fields of a TCP header the sweep sets or reads; the only option kept is the MSS, and
/// the payload is left out (a SYN carries none, and the sweep reads none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpRepr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number (meaningful with ACK).
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Window.
    pub window: u16,
    /// Maximum segment size option.
    pub mss: Option<u16>,
}

impl TcpRepr {
    /// A SYN as an ordinary client sends it: window 1024 (as nmap), MSS 1460.
    pub fn syn(src_port: u16, dst_port: u16, seq: u32) -> TcpRepr {
        TcpRepr {
            src_port,
            dst_port,
            seq,
            ack: 0,
            flags: TcpFlags::SYN,
            window: 1024,
            mss: Some(1460),
        }
    }

    /// The fields of a checked segment.
    pub fn parse<T: AsRef<[u8]>>(packet: &TcpPacket<T>) -> Result<TcpRepr> {
        Ok(TcpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq: packet.seq(),
            ack: packet.ack(),
            flags: packet.flags(),
            window: packet.window(),
            mss: packet.mss()?,
        })
    }

    /// Header bytes (20, or 24 with the MSS option).
    pub fn header_len(&self) -> usize {
        TCP_HEADER_LEN + if self.mss.is_some() { 4 } else { 0 }
    }

    /// Writes the header at the start of `buf`, checksummed over the pseudo-header of `src`
    /// and `dst`.
    pub fn emit(&self, src: Ipv4Addr, dst: Ipv4Addr, buf: &mut [u8]) -> Result<usize> {
        let len = self.header_len();
        need(buf, len, "TCP header buffer")?;
        let buf = &mut buf[..len];
        put16(buf, tcp_field::SRC_PORT, self.src_port);
        put16(buf, tcp_field::DST_PORT, self.dst_port);
        put32(buf, tcp_field::SEQ, self.seq);
        put32(buf, tcp_field::ACK, self.ack);
        buf[tcp_field::OFFSET] = ((len / 4) as u8) << 4;
        buf[tcp_field::FLAGS] = self.flags.0;
        put16(buf, tcp_field::WINDOW, self.window);
        put16(buf, tcp_field::CHECKSUM, 0);
        put16(buf, tcp_field::URGENT, 0);
        if let Some(mss) = self.mss {
            buf[20] = tcp_option::MSS;
            buf[21] = 4;
            put16(buf, 22, mss);
        }
        let sum = tcp_checksum(src, dst, buf);
        put16(buf, tcp_field::CHECKSUM, sum);
        Ok(len)
    }
}

/// A view of an ICMPv4 message.
#[derive(Debug, Clone, Copy)]
pub struct IcmpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> IcmpPacket<T> {
    /// A view of a message of at least the 8-byte header.
    pub fn new_checked(buffer: T) -> Result<Self> {
        need(buffer.as_ref(), ICMP_HEADER_LEN, "ICMP header")?;
        Ok(IcmpPacket { buffer })
    }
    /// Type.
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[0]
    }
    /// Code.
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[1]
    }
    /// What follows the header (the quoted datagram of an error).
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[ICMP_HEADER_LEN..]
    }
    /// Whether the checksum is right.
    pub fn verify_checksum(&self) -> bool {
        checksum(self.buffer.as_ref()) == 0
    }
}

/// ICMP type of destination unreachable.
pub const ICMP_DEST_UNREACHABLE: u8 = 3;

/// Why a destination is unreachable (RFC 792, RFC 1812 codes), grouped as a scanner reads
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// Code 0: network unreachable.
    Net,
    /// Code 1: host unreachable.
    Host,
    /// Code 2: protocol unreachable.
    Protocol,
    /// Code 3: port unreachable.
    Port,
    /// Codes 9, 10, 13: communication administratively prohibited (a firewall's reject).
    AdminProhibited(u8),
    /// Any other code (fragmentation needed, source route failed, unknown networks...).
    Other(u8),
}

impl Unreachable {
    /// The kind of a code.
    pub fn from_code(code: u8) -> Unreachable {
        match code {
            0 => Unreachable::Net,
            1 => Unreachable::Host,
            2 => Unreachable::Protocol,
            3 => Unreachable::Port,
            9 | 10 | 13 => Unreachable::AdminProhibited(code),
            other => Unreachable::Other(other),
        }
    }

    /// The code.
    pub fn code(self) -> u8 {
        match self {
            Unreachable::Net => 0,
            Unreachable::Host => 1,
            Unreachable::Protocol => 2,
            Unreachable::Port => 3,
            Unreachable::AdminProhibited(code) | Unreachable::Other(code) => code,
        }
    }
}

/// The start of a TCP segment an ICMP error quotes: the IPv4 addresses, the ports and the
/// sequence number (the first eight bytes of TCP, all RFC 792 promises).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedTcp {
    /// Source of the quoted datagram (the scanner).
    pub src: Ipv4Addr,
    /// Destination of the quoted datagram (the target).
    pub dst: Ipv4Addr,
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
}

/// Bytes of the quoted TCP segment that [`QuotedTcp`] needs.
const QUOTED_TCP_LEN: usize = 8;

impl QuotedTcp {
    /// The quoted datagram of an ICMP error, when it is TCP over IPv4.
    pub fn parse(quoted: &[u8]) -> Result<QuotedTcp> {
        let ip = Ipv4Packet::new_checked_header(quoted)?;
        if ip.protocol() != PROTOCOL_TCP {
            return Err(Error::Unexpected("the quoted datagram is not TCP"));
        }
        let tcp = &quoted[ip.header_len()..];
        need(tcp, QUOTED_TCP_LEN, "quoted TCP header")?;
        Ok(QuotedTcp {
            src: ip.src(),
            dst: ip.dst(),
            src_port: be16(tcp, 0),
            dst_port: be16(tcp, 2),
            seq: be32(tcp, 4),
        })
    }

    /// Writes the quoted IPv4 header and eight TCP bytes (28 bytes); the quoted datagram
    /// claims the length of a SYN with an MSS option.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        need(
            buf,
            IPV4_HEADER_LEN + QUOTED_TCP_LEN,
            "quoted datagram buffer",
        )?;
        Ipv4Repr {
            src: self.src,
            dst: self.dst,
            protocol: PROTOCOL_TCP,
            payload_len: TCP_HEADER_LEN + 4,
            ttl: 64,
            ident: 0,
        }
        .emit(buf)?;
        let tcp = &mut buf[IPV4_HEADER_LEN..IPV4_HEADER_LEN + QUOTED_TCP_LEN];
        put16(tcp, 0, self.src_port);
        put16(tcp, 2, self.dst_port);
        put32(tcp, 4, self.seq);
        Ok(IPV4_HEADER_LEN + QUOTED_TCP_LEN)
    }
}

/// An ICMPv4 message as the sweep reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpRepr {
    /// Destination unreachable, quoting a TCP segment.
    TcpUnreachable {
        /// Why.
        reason: Unreachable,
        /// What it quotes.
        quoted: QuotedTcp,
    },
    /// Anything else (echo, time exceeded, an unreachable quoting something other than TCP).
    Other {
        /// Type.
        msg_type: u8,
        /// Code.
        code: u8,
    },
}

impl IcmpRepr {
    /// The message of a checked packet. A destination unreachable whose quote is not a TCP
    /// header over IPv4 (another protocol, or cut too short to show ports and sequence) is
    /// `Other`: nothing the sweep can match, and what `Other` emits parses back the same.
    pub fn parse<T: AsRef<[u8]>>(packet: &IcmpPacket<T>) -> Result<IcmpRepr> {
        let (msg_type, code) = (packet.msg_type(), packet.code());
        if msg_type != ICMP_DEST_UNREACHABLE {
            return Ok(IcmpRepr::Other { msg_type, code });
        }
        Ok(match QuotedTcp::parse(packet.data()) {
            Ok(quoted) => IcmpRepr::TcpUnreachable {
                reason: Unreachable::from_code(code),
                quoted,
            },
            Err(_) => IcmpRepr::Other { msg_type, code },
        })
    }

    /// Writes the message (checksummed) at the start of `buf`: an unreachable with its quote,
    /// or an 8-byte header for `Other`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        need(buf, ICMP_HEADER_LEN, "ICMP header buffer")?;
        let len = match *self {
            IcmpRepr::TcpUnreachable { reason, quoted } => {
                buf[0] = ICMP_DEST_UNREACHABLE;
                buf[1] = reason.code();
                ICMP_HEADER_LEN + quoted.emit(&mut buf[ICMP_HEADER_LEN..])?
            }
            IcmpRepr::Other { msg_type, code } => {
                buf[0] = msg_type;
                buf[1] = code;
                ICMP_HEADER_LEN
            }
        };
        buf[2..ICMP_HEADER_LEN].fill(0);
        let sum = checksum(&buf[..len]);
        put16(buf, 2, sum);
        Ok(len)
    }
}

/// What an IPv4 datagram carries, as far as the sweep cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A TCP segment.
    Tcp(TcpRepr),
    /// An ICMP message.
    Icmp(IcmpRepr),
    /// Another protocol (its number).
    Other(u8),
}

/// A whole IPv4 datagram: the header and what it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram {
    /// The IPv4 header.
    pub ip: Ipv4Repr,
    /// The payload.
    pub transport: Transport,
}

impl Datagram {
    /// Parses a datagram as a raw IPv4 socket hands it over.
    pub fn parse(bytes: &[u8]) -> Result<Datagram> {
        let packet = Ipv4Packet::new_checked(bytes)?;
        let ip = Ipv4Repr::parse(&packet)?;
        let payload = packet.payload();
        let transport = match ip.protocol {
            PROTOCOL_TCP => Transport::Tcp(TcpRepr::parse(&TcpPacket::new_checked(payload)?)?),
            PROTOCOL_ICMP => Transport::Icmp(IcmpRepr::parse(&IcmpPacket::new_checked(payload)?)?),
            other => Transport::Other(other),
        };
        Ok(Datagram { ip, transport })
    }

    /// Writes the datagram into `buf` (payload of `Other` is left empty); returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let body_len = need_body(buf)?;
        let (protocol, len) = {
            let body = &mut buf[IPV4_HEADER_LEN..IPV4_HEADER_LEN + body_len];
            match &self.transport {
                Transport::Tcp(tcp) => (PROTOCOL_TCP, tcp.emit(self.ip.src, self.ip.dst, body)?),
                Transport::Icmp(icmp) => (PROTOCOL_ICMP, icmp.emit(body)?),
                Transport::Other(protocol) => (*protocol, 0),
            }
        };
        let ip = Ipv4Repr {
            protocol,
            payload_len: len,
            ..self.ip
        };
        ip.emit(buf)?;
        Ok(ip.total_len())
    }
}

fn need_body(buf: &[u8]) -> Result<usize> {
    need(buf, IPV4_HEADER_LEN, "IPv4 datagram buffer")?;
    Ok(buf.len() - IPV4_HEADER_LEN)
}

/// Writes an IPv4 datagram carrying `tcp` from `src` to `dst` into `buf`; returns its length.
pub fn emit_tcp_datagram(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ttl: u8,
    tcp: &TcpRepr,
    buf: &mut [u8],
) -> Result<usize> {
    Datagram {
        ip: Ipv4Repr {
            src,
            dst,
            protocol: PROTOCOL_TCP,
            payload_len: tcp.header_len(),
            ttl,
            ident: 0,
        },
        transport: Transport::Tcp(*tcp),
    }
    .emit(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SYN-ACK laid out as Linux sends one (from 10.203.9.2:22 to 10.203.9.1:40000): IPv4
    /// without options, TCP with MSS, SACK-permitted, timestamps, NOP and window scale.
    const SYN_ACK: [u8; 60] = [
        0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x13, 0x24, 0x0a, 0xcb, 0x09,
        0x02, 0x0a, 0xcb, 0x09, 0x01, 0x00, 0x16, 0x9c, 0x40, 0x5e, 0x1f, 0x2a, 0x11, 0x12, 0x34,
        0x56, 0x79, 0xa0, 0x12, 0xfe, 0x88, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04,
        0x02, 0x08, 0x0a, 0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
    ];

    #[test]
    fn a_syn_ack_parses_with_its_mss() {
        let d = Datagram::parse(&SYN_ACK).unwrap();
        assert_eq!(d.ip.src, Ipv4Addr::new(10, 203, 9, 2));
        assert_eq!(d.ip.dst, Ipv4Addr::new(10, 203, 9, 1));
        let Transport::Tcp(tcp) = d.transport else {
            panic!("not TCP: {d:?}")
        };
        assert_eq!((tcp.src_port, tcp.dst_port), (22, 40000));
        assert_eq!(tcp.ack, 0x1234_5679);
        assert!(tcp.flags.contains(TcpFlags::SYN | TcpFlags::ACK));
        assert!(!tcp.flags.contains(TcpFlags::RST));
        assert_eq!(tcp.mss, Some(1460));
        assert!(
            Ipv4Packet::new_checked(&SYN_ACK[..])
                .unwrap()
                .verify_checksum()
        );
    }

    #[test]
    fn an_emitted_syn_has_valid_checksums_and_parses_back() {
        let src = Ipv4Addr::new(10, 203, 90, 1);
        let dst = Ipv4Addr::new(10, 203, 90, 2);
        let syn = TcpRepr::syn(40001, 445, 0xdead_beef);
        let mut buf = [0u8; SYN_DATAGRAM_LEN];
        let len = emit_tcp_datagram(src, dst, 64, &syn, &mut buf).unwrap();
        assert_eq!(len, SYN_DATAGRAM_LEN);
        let ip = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert!(ip.verify_checksum());
        let tcp = TcpPacket::new_checked(ip.payload()).unwrap();
        assert!(tcp.verify_checksum(src, dst));
        assert_eq!(TcpRepr::parse(&tcp).unwrap(), syn);
        assert_eq!(tcp.payload(), &[] as &[u8]);
    }

    #[test]
    fn an_icmp_admin_prohibited_quotes_the_syn() {
        let quoted = QuotedTcp {
            src: Ipv4Addr::new(10, 203, 90, 1),
            dst: Ipv4Addr::new(10, 203, 90, 2),
            src_port: 40001,
            dst_port: 3268,
            seq: 7,
        };
        let message = IcmpRepr::TcpUnreachable {
            reason: Unreachable::AdminProhibited(13),
            quoted,
        };
        let d = Datagram {
            ip: Ipv4Repr {
                src: quoted.dst,
                dst: quoted.src,
                protocol: PROTOCOL_ICMP,
                payload_len: 0,
                ttl: 64,
                ident: 1,
            },
            transport: Transport::Icmp(message),
        };
        let mut buf = [0u8; 128];
        let len = d.emit(&mut buf).unwrap();
        assert_eq!(len, 20 + 8 + 28);
        let back = Datagram::parse(&buf[..len]).unwrap();
        assert_eq!(back.transport, Transport::Icmp(message));
        let icmp = IcmpPacket::new_checked(&buf[20..len]).unwrap();
        assert!(icmp.verify_checksum());
        assert_eq!(Unreachable::from_code(10), Unreachable::AdminProhibited(10));
        assert_eq!(Unreachable::from_code(4), Unreachable::Other(4));
    }

    #[test]
    fn short_and_inconsistent_headers_are_refused() {
        assert!(Datagram::parse(&SYN_ACK[..19]).is_err());
        assert!(Datagram::parse(&SYN_ACK[..59]).is_err(), "total length 60");
        let mut bad = SYN_ACK;
        bad[0] = 0x44;
        assert!(Datagram::parse(&bad).is_err(), "IHL 4");
        let mut bad = SYN_ACK;
        bad[0] = 0x65;
        assert!(Datagram::parse(&bad).is_err(), "version 6");
        let mut bad = SYN_ACK;
        bad[32] = 0x40;
        assert!(Datagram::parse(&bad).is_err(), "data offset 4");
        let mut bad = SYN_ACK;
        bad[32] = 0xf0;
        assert!(Datagram::parse(&bad).is_err(), "data offset past the end");
        let mut bad = SYN_ACK;
        bad[41] = 0;
        assert!(Datagram::parse(&bad).is_err(), "option length 0");
        let mut bad = SYN_ACK;
        bad[6] = 0x00;
        bad[7] = 0x10;
        assert!(Datagram::parse(&bad).is_err(), "later fragment");
        assert!(QuotedTcp::parse(&SYN_ACK[..27]).is_err(), "quote cut short");
    }

    /// Found by the wire_tcpip fuzz target: an unreachable quoting a datagram that is not
    /// TCP (protocol 64) was `Other`, whose emitted form (no quote) did not parse again.
    #[test]
    fn an_unreachable_quoting_something_else_round_trips_as_other() {
        const CRASH: [u8; 57] = [
            0x45, 0x00, 0x00, 0x38, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01, 0x71, 0x2c, 0x0a, 0xcb,
            0x5a, 0x02, 0x0a, 0xcb, 0x5a, 0x01, 0x03, 0x0d, 0x0a, 0xad, 0x00, 0x00, 0x00, 0x00,
            0x45, 0x0c, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x71, 0x33, 0x0a,
            0xcb, 0x5a, 0x01, 0x0a, 0xcb, 0x5a, 0x02, 0x9c, 0x40, 0x01, 0xbd, 0x12, 0x34, 0x56,
            0x78,
        ];
        let first = Datagram::parse(&CRASH).unwrap();
        let other = Transport::Icmp(IcmpRepr::Other {
            msg_type: 3,
            code: 13,
        });
        assert_eq!(first.transport, other);
        let mut buf = [0u8; 128];
        let len = first.emit(&mut buf).unwrap();
        assert_eq!(Datagram::parse(&buf[..len]).unwrap().transport, other);
    }

    #[test]
    fn the_checksum_matches_rfc_1071s_example() {
        // RFC 1071 section 3: the sum of these words is 0xddf2, so the checksum is !0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum(&data), !0xddf2);
        assert_eq!(checksum(&[0xff]), !0xff00);
    }
}
