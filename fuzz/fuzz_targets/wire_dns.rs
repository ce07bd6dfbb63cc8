//! Fuzzes the DNS reply summary (on top of hickory-proto) and the TCP length framing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::dns;

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = dns::parse_reply(data) {
        let line = reply.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        assert!(dns::parse_reply_to(data, reply.id).is_ok());
    }
    if let Ok((message, rest)) = dns::split_tcp_frame(data) {
        let framed = dns::tcp_frame(message).expect("a split frame fits the prefix");
        assert_eq!(framed.len() + rest.len(), data.len());
    }
});
