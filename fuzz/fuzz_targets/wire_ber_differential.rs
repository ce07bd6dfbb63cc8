//! portolan's BER reader against asn1-rs on arbitrary bytes: both must split the same elements
//! and read the same INTEGER and OID values, except where portolan is stricter by design (see
//! crates/wire/tests/support/ber_differential.rs, shared with the differential test).
#![no_main]

#[path = "../../crates/wire/tests/support/ber_differential.rs"]
mod differential;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(disagreement) = differential::compare(data, 32) {
        panic!("BER decoders disagree: {disagreement}");
    }
});
