//! portolan's BER reader against asn1-rs (an independent decoder) on the real captures of the
//! lab's LDAP, SNMP, Kerberos and TLS peers, on generated element trees, and on random bytes:
//! the two split the same elements, except where portolan is stricter by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/ber_differential.rs"]
mod differential;

use std::path::PathBuf;

use proptest::prelude::*;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for dir in ["ldap", "snmp", "kerberos", "x509"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let ext = path.extension().and_then(|e| e.to_str());
            if matches!(ext, Some("bin" | "der")) {
                let mut bytes = std::fs::read(&path).unwrap();
                // Kerberos over TCP prefixes each message with its 4-byte length.
                if dir == "kerberos" && path.to_string_lossy().contains("-tcp-") {
                    bytes.drain(..4);
                }
                out.push((path.display().to_string(), bytes));
            }
        }
    }
    out
}

#[test]
fn real_captures_decode_the_same_in_both() {
    let files = fixtures();
    assert!(files.len() >= 30, "only {} captures", files.len());
    for (name, bytes) in files {
        let elements = differential::compare(&bytes, 32).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The garbage requests are deliberately not BER: both decoders refuse them at once.
        if !name.contains("garbage") {
            assert!(elements >= 3, "{name}: only {elements} elements compared");
        }
    }
}

#[test]
fn the_deliberate_differences_are_named() {
    let cases: [(&[u8], &str); 5] = [
        (
            &[0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00],
            "indefinite length",
        ),
        (
            &[0x1f, 0x05, 0x00],
            "high-tag-number form for a tag below 31",
        ),
        (
            &[0x1f, 0x80, 0x40, 0x00],
            "tag number with a leading zero group",
        ),
        (
            &[0x04, 0x85, 0, 0, 0, 0, 1, 0xaa],
            "length in more than four octets",
        ),
        (
            &[0x04, 0x84, 0x00, 0x20, 0x00, 0x00],
            "length over portolan's 1 MiB cap",
        ),
    ];
    for (bytes, why) in cases {
        assert_eq!(
            differential::stricter_by_design(bytes),
            Some(why),
            "{bytes:02x?}"
        );
        // Both decoders agree everywhere else, so the comparison passes.
        differential::compare(bytes, 32).unwrap();
    }
    assert_eq!(differential::stricter_by_design(&[0x02, 0x01, 0x05]), None);
}

/// A BER element tree: primitive leaves and constructed nodes, with short and long lengths.
fn element() -> impl Strategy<Value = Vec<u8>> {
    let leaf = (
        0u8..4,
        0u32..200,
        prop::collection::vec(any::<u8>(), 0..40),
        any::<bool>(),
    )
        .prop_map(|(class, number, value, long)| encode(class, false, number, &value, long));
    leaf.prop_recursive(4, 64, 6, |inner| {
        (
            0u8..4,
            0u32..200,
            prop::collection::vec(inner, 0..6),
            any::<bool>(),
        )
            .prop_map(|(class, number, children, long)| {
                encode(class, true, number, &children.concat(), long)
            })
    })
}

fn encode(class: u8, constructed: bool, number: u32, value: &[u8], long: bool) -> Vec<u8> {
    let first = (class << 6) | if constructed { 0x20 } else { 0 };
    let mut out = Vec::new();
    if number < 31 {
        out.push(first | number as u8);
    } else {
        out.push(first | 0x1f);
        if number >= 128 {
            out.push(0x80 | (number >> 7) as u8);
        }
        out.push((number & 0x7f) as u8);
    }
    let len = value.len();
    if len < 128 && !long {
        out.push(len as u8);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(value);
    out
}

proptest! {
    #[test]
    fn generated_trees_decode_the_same(tree in element(), cut in any::<prop::sample::Index>()) {
        differential::compare(&tree, 32).map_err(TestCaseError::fail)?;
        // A truncated copy: both must stop at the same element.
        let short = &tree[..cut.index(tree.len() + 1)];
        differential::compare(short, 32).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn random_bytes_decode_the_same(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        differential::compare(&bytes, 32).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #[test]
    fn integers_and_oids_read_the_same(
        tag in prop::sample::select(vec![2u32, 6, 10]),
        contents in prop::collection::vec(any::<u8>(), 1..12),
    ) {
        let element = encode(0, false, tag, &contents, false);
        differential::compare(&element, 0).map_err(TestCaseError::fail)?;
    }
}
