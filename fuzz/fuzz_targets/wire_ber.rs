//! Fuzzes the BER reader: a bounded walk through every element, the primitive decoders,
//! and re-encoding of the integers and OIDs that decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::ber::{self, Oid, Reader};

fn walk(reader: &mut Reader<'_>, budget: &mut usize) {
    while !reader.is_empty() && *budget > 0 {
        *budget -= 1;
        let Ok(tlv) = reader.read_tlv() else {
            return;
        };
        assert!(reader.depth() <= ber::MAX_DEPTH);
        if tlv.tag.constructed {
            if let Ok(mut inner) = reader.nested(tlv.value) {
                walk(&mut inner, budget);
            }
            continue;
        }
        if let Ok(value) = ber::decode_integer(tlv.value) {
            let mut out = Vec::new();
            ber::write_integer(&mut out, value);
            assert_eq!(Reader::new(&out).read_integer(), Ok(value));
        }
        if let Ok(oid) = Oid::decode(tlv.value) {
            // The decoder refuses non-minimal forms, so the encoding comes back unchanged.
            let mut out = Vec::new();
            ber::write_oid(&mut out, &oid);
            let mut expected = Vec::new();
            ber::write_tlv(&mut expected, ber::Tag::OID, tlv.value);
            assert_eq!(out, expected);
            assert_eq!(oid.to_string().parse::<Oid>(), Ok(oid));
        }
        let _ = ber::decode_unsigned(tlv.value);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(len)) = ber::element_len(data) {
        if len <= data.len() {
            assert!(Reader::new(data).read_tlv().is_ok());
        }
    }
    walk(&mut Reader::new(data), &mut 10_000);
});
