//! Round trip of ISAKMP/IKE messages, with and without the NAT-T marker (and the listener's
//! NO_PROPOSAL_CHOSEN to any request): whatever parses is emitted, parsed
//! again and must come back equal, and emitted again to the same bytes. The checks are
//! shared with crates/wire/tests/roundtrip.rs (crates/wire/tests/support/roundtrip.rs).
#![no_main]

#[path = "../../crates/wire/tests/support/roundtrip.rs"]
mod roundtrip;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| roundtrip::isakmp(data));
