//! Fuzzes the RADIUS response parser, with and without a secret to verify against.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::radius;

fuzz_target!(|data: &[u8]| {
    let identifier = data.get(1).copied().unwrap_or_default();
    for secret in [None, Some(&b"testing123"[..])] {
        let expected = radius::Expected {
            identifier,
            request_authenticator: [0x42; 16],
            secret,
        };
        if let Ok(response) = radius::parse_response(data, &expected) {
            let line = response.to_string();
            assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
            assert!(response.attributes <= radius::MAX_PACKET / 2);
        }
    }
});
