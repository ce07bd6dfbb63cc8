//! Property tests of the IPv4/TCP/ICMP codec: whatever parses emits and parses back equal,
//! emitted headers always carry valid checksums, and no input panics the parser.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::Ipv4Addr;

use portolan_wire::tcpip::{
    self, Datagram, IcmpPacket, IcmpRepr, Ipv4Packet, Ipv4Repr, QuotedTcp, TcpFlags, TcpPacket,
    TcpRepr, Transport, Unreachable,
};
use proptest::prelude::*;

fn tcp_repr() -> impl Strategy<Value = TcpRepr> {
    (
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        any::<u8>(),
        any::<u16>(),
        proptest::option::of(any::<u16>()),
    )
        .prop_map(
            |(src_port, dst_port, seq, ack, flags, window, mss)| TcpRepr {
                src_port,
                dst_port,
                seq,
                ack,
                flags: TcpFlags(flags),
                window,
                mss,
            },
        )
}

fn quoted() -> impl Strategy<Value = QuotedTcp> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
    )
        .prop_map(|(src, dst, src_port, dst_port, seq)| QuotedTcp {
            src: Ipv4Addr::from(src),
            dst: Ipv4Addr::from(dst),
            src_port,
            dst_port,
            seq,
        })
}

fn transport() -> impl Strategy<Value = Transport> {
    prop_oneof![
        tcp_repr().prop_map(Transport::Tcp),
        (quoted(), any::<u8>()).prop_map(|(quoted, code)| Transport::Icmp(
            IcmpRepr::TcpUnreachable {
                reason: Unreachable::from_code(code),
                quoted
            }
        )),
        // Type 3 with a TCP quote is the unreachable above; any other type stands alone.
        (
            any::<u8>().prop_filter("not unreachable", |t| *t != 3),
            any::<u8>()
        )
            .prop_map(|(msg_type, code)| Transport::Icmp(IcmpRepr::Other { msg_type, code })),
        any::<u8>()
            .prop_filter("not TCP or ICMP", |p| *p != 6 && *p != 1)
            .prop_map(Transport::Other),
    ]
}

fn datagram() -> impl Strategy<Value = Datagram> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u8>(),
        any::<u16>(),
        transport(),
    )
        .prop_map(|(src, dst, ttl, ident, transport)| Datagram {
            ip: Ipv4Repr {
                src: Ipv4Addr::from(src),
                dst: Ipv4Addr::from(dst),
                protocol: 0,
                payload_len: 0,
                ttl,
                ident,
            },
            transport,
        })
}

proptest! {
    #[test]
    fn emitted_datagrams_parse_back_equal_with_valid_checksums(d in datagram()) {
        let mut buf = [0u8; 128];
        let len = d.emit(&mut buf).unwrap();
        let back = Datagram::parse(&buf[..len]).unwrap();
        prop_assert_eq!(back.transport, d.transport);
        prop_assert_eq!((back.ip.src, back.ip.dst, back.ip.ttl, back.ip.ident),
            (d.ip.src, d.ip.dst, d.ip.ttl, d.ip.ident));
        prop_assert_eq!(back.ip.payload_len + tcpip::IPV4_HEADER_LEN, len);
        let ip = Ipv4Packet::new_checked(&buf[..len]).unwrap();
        prop_assert!(ip.verify_checksum());
        match d.transport {
            Transport::Tcp(_) => {
                let tcp = TcpPacket::new_checked(ip.payload()).unwrap();
                prop_assert!(tcp.verify_checksum(d.ip.src, d.ip.dst));
            }
            Transport::Icmp(_) => {
                prop_assert!(IcmpPacket::new_checked(ip.payload()).unwrap().verify_checksum());
            }
            Transport::Other(_) => {}
        }
    }

    #[test]
    fn whatever_parses_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
        if let Ok(first) = Datagram::parse(&bytes) {
            let mut buf = [0u8; 128];
            let len = first.emit(&mut buf).unwrap();
            let second = Datagram::parse(&buf[..len]).unwrap();
            prop_assert_eq!(second.transport, first.transport);
        }
    }

    #[test]
    fn mutated_syns_never_panic(flip in 0usize..44, value in any::<u8>(), cut in 0usize..=44) {
        let mut buf = [0u8; tcpip::SYN_DATAGRAM_LEN];
        let syn = TcpRepr::syn(40000, 80, 1);
        tcpip::emit_tcp_datagram(Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST, 64, &syn, &mut buf)
            .unwrap();
        buf[flip] = value;
        let _ = Datagram::parse(&buf[..cut]);
        let _ = QuotedTcp::parse(&buf[..cut]);
    }
}

#[test]
fn every_fixture_parses_with_valid_checksums() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tcpip");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let d = Datagram::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            Ipv4Packet::new_checked(&bytes[..])
                .unwrap()
                .verify_checksum()
        );
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        match d.transport {
            Transport::Tcp(_) => {
                let tcp = TcpPacket::new_checked(&bytes[20..]).unwrap();
                assert!(tcp.verify_checksum(d.ip.src, d.ip.dst), "{name}");
            }
            Transport::Icmp(IcmpRepr::TcpUnreachable { quoted, .. }) => {
                assert_eq!((quoted.src_port, quoted.dst_port), (40000, 445), "{name}");
                assert!(
                    IcmpPacket::new_checked(&bytes[20..])
                        .unwrap()
                        .verify_checksum()
                );
            }
            other => panic!("{name}: {other:?}"),
        }
        count += 1;
    }
    assert!(count >= 8);
}
