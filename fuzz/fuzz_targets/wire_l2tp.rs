//! Fuzzes the L2TP control message parser and its AVP accessors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::l2tp;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = l2tp::ControlMessage::parse(data) {
        assert!(message.avps.len() <= l2tp::MAX_AVPS);
        let line = message.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        let _ = (message.result_code(), message.assigned_tunnel_id());
        assert!(l2tp::parse_reply_to(data, message.tunnel_id).is_ok());
    }
});
