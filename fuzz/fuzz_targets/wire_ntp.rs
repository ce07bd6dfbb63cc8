//! Fuzzes the NTP server-reply and mode-7 header parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::ntp;

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = ntp::ServerReply::parse(data) {
        let line = reply.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        assert!(ntp::parse_reply(data, reply.origin_time).is_ok());
    }
    if let Ok(reply) = ntp::PrivateReply::parse(data) {
        let _ = reply.to_string();
    }
});
