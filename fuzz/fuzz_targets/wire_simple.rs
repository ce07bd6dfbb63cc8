//! Fuzzes the simple-services checks: chargen, daytime/qotd text, echo comparison, and the
//! display escaping that all of them share.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::simple;

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = simple::parse_chargen(data) {
        assert_eq!(reply.len, data.len());
        let _ = reply.to_string();
    }
    for service in [simple::TextService::Daytime, simple::TextService::Qotd] {
        if let Ok(reply) = simple::parse_text(service, data) {
            assert!(
                reply
                    .to_string()
                    .bytes()
                    .all(|b| (0x20..=0x7e).contains(&b))
            );
        }
    }
    let (sent, reply) = data.split_at(data.len() / 2);
    let _ = simple::parse_echo(sent, reply);
    assert!(simple::parse_echo(data, data).is_ok() || data.len() > simple::MAX_REPLY);
});
