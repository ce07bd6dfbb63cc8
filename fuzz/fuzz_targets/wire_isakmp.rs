//! Fuzzes the ISAKMP/IKE reply parser, with and without the non-ESP marker.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::isakmp;

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = isakmp::parse_reply(data) {
        assert!(reply.payloads.len() <= isakmp::MAX_PAYLOADS);
        let line = reply.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        let _ = reply.wanted_group();
        // Our SPI matches only in a responder's message, never in a request.
        assert_eq!(
            isakmp::parse_reply_to(data, reply.initiator_spi).is_ok(),
            reply.is_response()
        );
    }
    let _ = isakmp::parse_reply(&isakmp::nat_t(data));
});
