//! Fuzzes the NetBIOS node status response parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::nbns;

fuzz_target!(|data: &[u8]| {
    if let Ok(status) = nbns::NodeStatus::parse(data) {
        assert!(status.names.len() <= 255);
        let line = status.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        assert!(nbns::parse_node_status_to(data, status.id).is_ok());
    }
});
