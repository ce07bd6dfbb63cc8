//! Fuzzes the reader of the compiled catalog (`portolan_catalog::compiled`): whatever the
//! bytes, decoding returns a value or an error, and a value it returns writes back to bytes
//! that read back to the same value. A catalog split by service (the views `crates/builtin`
//! compiles) reads back whole, and read for a few ports it answers those ports as the whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_catalog::compiled::{
    decode, decode_catalog, decode_catalog_for, encode, encode_catalog,
};
use portolan_catalog::{Catalog, Modern, PortQuery, PortRange, PortSharing, Transport};

fn round_trip<T>(data: &[u8])
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = decode::<T>("fuzz", data) {
        let bytes = encode("fuzz", &value).expect("a decoded value encodes");
        assert_eq!(
            decode::<T>("fuzz", &bytes).expect("re-encoded bytes decode"),
            value
        );
    }
}

/// What `rows_on` answers, comparable across two catalogs.
fn answer(catalog: &Catalog, query: &PortQuery) -> Vec<(String, String)> {
    catalog
        .rows_on(query)
        .iter()
        .map(|r| (r.service.id.clone(), r.row.key().to_string()))
        .collect()
}

fn split(data: &[u8]) {
    let queries = [
        PortQuery::Ports {
            range: PortRange::single(445),
            transport: Some(Transport::Tcp),
        },
        PortQuery::Ports {
            range: PortRange::single(50000),
            transport: None,
        },
        PortQuery::Protocol(Transport::Ip(47)),
    ];
    // Any bytes: a catalog or an error, whole or in part.
    let _ = decode_catalog_for("fuzz", data, &queries);
    if let Ok(catalog) = decode_catalog("fuzz", data) {
        let bytes = encode_catalog("fuzz", &catalog).expect("a decoded catalog encodes");
        assert_eq!(decode_catalog("fuzz", &bytes).as_ref(), Ok(&catalog));
        for query in &queries {
            let part = decode_catalog_for("fuzz", &bytes, std::slice::from_ref(query))
                .expect("re-encoded bytes decode in part");
            assert_eq!(answer(&part, query), answer(&catalog, query));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<PortSharing>(data);
    round_trip::<Catalog>(data);
    round_trip::<(Catalog, Modern)>(data);
    split(data);
});
