//! Fuzzes the TFTP reply parser; an ERROR that parses is rebuilt and must parse the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::tftp;

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = tftp::Reply::parse(data) {
        let line = reply.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        if let tftp::Reply::Error { code, message } = &reply {
            if let Ok(text) = std::str::from_utf8(message) {
                if let Ok(packet) = tftp::error_packet(*code, text) {
                    assert_eq!(tftp::Reply::parse(&packet).as_ref(), Ok(&reply));
                }
            }
        }
    }
});
