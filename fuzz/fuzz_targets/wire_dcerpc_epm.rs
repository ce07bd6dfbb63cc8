//! Fuzzes the endpoint mapper's response parsers and the lookup state machine; a lookup
//! response that parses and can be written again must parse back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::dcerpc::{Lookup, LookupLimits, LookupResponse, MapResponse};

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = LookupResponse::parse(data) {
        assert!(response.entries.len() <= 500);
        for entry in &response.entries {
            let line = entry.describe("192.0.2.1");
            assert!(line.len() < 600);
            assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        }
        if let Ok(bytes) = response.emit() {
            assert_eq!(LookupResponse::parse(&bytes), Ok(response));
        }
    }
    if let Ok(map) = MapResponse::parse(data) {
        let _ = map.endpoints();
        let _ = map.to_string();
    }
    // The same stub forever: the state machine must stop by itself.
    let mut lookup = Lookup::new(LookupLimits {
        max_rounds: 8,
        ..LookupLimits::default()
    });
    let mut calls = 0;
    while lookup.next_stub().is_some() {
        if lookup.consume(data).is_err() {
            break;
        }
        calls += 1;
        assert!(calls <= 8);
    }
});
