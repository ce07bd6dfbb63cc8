//! `portolan listen`'s answers to whatever arrives: the first byte picks a UDP port with a
//! responder, the rest is the datagram. No answer may be larger than its request (the
//! listener must never amplify), and the stand-in endpoint mapper's answer to any PDU must be
//! one that portolan's own DCE/RPC reader takes back (a round trip through both sides).
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_listen::mapper;
use portolan_listen::respond::{Responders, UDP_RESPONDERS, udp_answer};
use portolan_wire::dcerpc::Pdu;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, request)) = data.split_first() else {
        return;
    };
    let responders = Responders::default();
    let port = UDP_RESPONDERS[usize::from(selector) % UDP_RESPONDERS.len()];
    // A port with a responder, and one with only the hello.
    for port in [port, 9] {
        if let Some(answer) = udp_answer(port, request, &responders) {
            assert!(
                answer.bytes.len() <= request.len(),
                "UDP {port}: {} bytes answered to {}",
                answer.bytes.len(),
                request.len()
            );
        }
    }
    if let Some(bytes) = mapper::answer(request, &[], 135) {
        assert!(
            Pdu::parse(&bytes).is_ok(),
            "the mapper's answer does not parse"
        );
    }
});
