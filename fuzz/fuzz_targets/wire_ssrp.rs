//! Fuzzes the SQL Server Resolution Protocol answer parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::ssrp;

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = ssrp::parse_response(data) {
        let line = reply.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        if let ssrp::Reply::Instances(list) = &reply {
            assert!(!list.is_empty() && list.len() <= ssrp::MAX_INSTANCES);
            assert!(reply.has_instance(&list[0].instance_name));
        }
    }
});
