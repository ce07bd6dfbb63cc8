//! Fuzzes the SNMP v1/v2c and v3 parsers; v1/v2c messages that parse are emitted again
//! and must parse back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::snmp;

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = snmp::parse(data) {
        let line = reply.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    }
    if let Ok(message) = snmp::parse_community(data) {
        assert!(message.pdu.varbinds.len() <= snmp::MAX_VARBINDS);
        if let Ok(bytes) = message.emit() {
            assert_eq!(snmp::parse_community(&bytes), Ok(message));
        }
    }
    if let Ok(message) = snmp::parse_v3(data) {
        let _ = message.matches(message.message_id);
    }
});
