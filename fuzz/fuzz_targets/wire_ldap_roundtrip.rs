//! Round trip of LDAP and CLDAP messages (and the listener's searchResDone to any search): whatever parses is emitted, parsed
//! again and must come back equal, and emitted again to the same bytes. The checks are
//! shared with crates/wire/tests/roundtrip.rs (crates/wire/tests/support/roundtrip.rs).
#![no_main]

#[path = "../../crates/wire/tests/support/roundtrip.rs"]
mod roundtrip;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| roundtrip::ldap(data));
