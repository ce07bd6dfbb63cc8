//! IPv4/TCP/ICMP datagrams as a raw socket hands them to `scan --syn`: the parse is total, and
//! whatever parses is emitted, parsed again and must come back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::tcpip::Datagram;

fuzz_target!(|data: &[u8]| {
    if let Ok(first) = Datagram::parse(data) {
        let mut buf = [0u8; 128];
        let len = first.emit(&mut buf).expect("a parsed datagram emits");
        let second = Datagram::parse(&buf[..len]).expect("an emitted datagram parses");
        assert_eq!(second.transport, first.transport);
        assert_eq!(
            (second.ip.src, second.ip.dst, second.ip.ttl, second.ip.ident),
            (first.ip.src, first.ip.dst, first.ip.ttl, first.ip.ident)
        );
    }
});
