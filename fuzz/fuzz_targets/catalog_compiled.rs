//! Fuzzes the reader of the compiled catalog (`portolan_catalog::compiled`): whatever the
//! bytes, decoding returns a value or an error, and a value it returns writes back to bytes
//! that read back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_catalog::compiled::{decode, encode};
use portolan_catalog::{Catalog, Modern, PortSharing};

fn round_trip<T>(data: &[u8])
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = decode::<T>("fuzz", data) {
        let bytes = encode("fuzz", &value).expect("a decoded value encodes");
        assert_eq!(decode::<T>("fuzz", &bytes).expect("re-encoded bytes decode"), value);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<PortSharing>(data);
    round_trip::<Catalog>(data);
    round_trip::<(Catalog, Modern)>(data);
});
