//! Round trip of DCE/RPC bind_ack, bind_nak, fault, request and response PDUs and the ept_lookup
//! request and answer stubs: whatever parses is emitted, parsed
//! again and must come back equal, and emitted again to the same bytes. The checks are
//! shared with crates/wire/tests/roundtrip.rs (crates/wire/tests/support/roundtrip.rs).
#![no_main]

#[path = "../../crates/wire/tests/support/roundtrip.rs"]
mod roundtrip;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| roundtrip::dcerpc(data));
