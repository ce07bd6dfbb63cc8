//! Fuzzes the SSDP response parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::ssdp;

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = ssdp::Response::parse(data) {
        let line = response.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        assert!(response.matches(ssdp::ST_ALL));
        if let Some(st) = &response.st {
            assert!(ssdp::parse_response(data, st).is_ok());
        }
    }
});
