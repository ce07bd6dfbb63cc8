//! Differential check of portolan's BER reader (`portolan_wire::ber`) against asn1-rs, an
//! independent decoder: on the same bytes both must split the same elements (class,
//! constructed bit, tag number, contents) in the same places, at every nesting level.
//!
//! portolan's reader is deliberately stricter in a few documented places; an input that only
//! asn1-rs accepts is fine when [`stricter_by_design`] names the reason from the bytes alone
//! (X.690's rules, not portolan's error text). Anything else is a disagreement.
//!
//! Shared by the differential test (crates/wire/tests/ber_differential.rs) and the fuzz target
//! fuzz/fuzz_targets/wire_ber_differential.rs.

use asn1_rs::{FromBer, Header, Length};
use portolan_wire::ber::{self, Class, Reader};

/// Where the two decoders may part: portolan refuses these, asn1-rs reads them.
pub fn stricter_by_design(element: &[u8]) -> Option<&'static str> {
    let (&first, rest) = element.split_first()?;
    let mut at = 0;
    if first & 0x1f == 0x1f {
        // High-tag-number form (X.690 8.1.2.4): portolan wants minimal groups, a number of
        // 31 or more, and at most four groups (28 bits).
        if rest.first() == Some(&0x80) {
            return Some("tag number with a leading zero group");
        }
        let mut number: u64 = 0;
        loop {
            let octet = *rest.get(at)?;
            at += 1;
            number = (number << 7) | u64::from(octet & 0x7f);
            if octet & 0x80 == 0 {
                break;
            }
            if at >= 4 {
                return Some("tag number longer than four octets");
            }
        }
        if number < 31 {
            return Some("high-tag-number form for a tag below 31");
        }
    }
    let length_octet = *rest.get(at)?;
    if length_octet == 0x80 {
        return Some("indefinite length");
    }
    if length_octet > 0x80 {
        let count = usize::from(length_octet & 0x7f);
        if count > 4 {
            return Some("length in more than four octets");
        }
        let octets = rest.get(at + 1..at + 1 + count)?;
        let length = octets
            .iter()
            .fold(0u64, |acc, &o| (acc << 8) | u64::from(o));
        if length > ber::MAX_LENGTH as u64 {
            return Some("length over portolan's 1 MiB cap");
        }
    }
    None
}

fn class_number(class: Class) -> u8 {
    match class {
        Class::Universal => 0,
        Class::Application => 1,
        Class::Context => 2,
        Class::Private => 3,
    }
}

/// The fields: where both decoders read an INTEGER, ENUMERATED or OBJECT IDENTIFIER value,
/// the values must be equal. (Which values each accepts differs by design: portolan takes only
/// what fits an i64 and 32-bit arcs, asn1-rs other ranges.)
fn compare_value(tlv: &ber::Tlv<'_>) -> Result<(), String> {
    if tlv.tag.class != Class::Universal || tlv.tag.constructed {
        return Ok(());
    }
    match tlv.tag.number {
        2 | 10 => {
            let theirs = asn1_rs::Integer::new(tlv.value).as_i64();
            if let (Ok(mine), Ok(theirs)) = (ber::decode_integer(tlv.value), theirs) {
                if mine != theirs {
                    return Err(format!(
                        "INTEGER {:02x?}: portolan {mine}, asn1-rs {theirs}",
                        tlv.value
                    ));
                }
            }
        }
        // asn1-rs 0.7 reads the first octet alone as the first two arcs, so a first
        // subidentifier of two or more octets (2.48 and up, e.g. 2.999) reads differently;
        // X.690 8.19.2 allows it and portolan follows X.690. Those are not compared.
        6 if tlv.value.first().is_some_and(|&o| o & 0x80 != 0) => {}
        6 => {
            // asn1-rs 0.7 also splits a one-octet first subidentifier its own way (0x78 reads
            // as 3.0, 0x00 as the single arc 0), so the first two arcs are checked against
            // X.690 8.19.4 directly and the later arcs against asn1-rs.
            let theirs = asn1_rs::Oid::new(tlv.value.into());
            if let (Ok(mine), Some(arcs)) = (ber::Oid::decode(tlv.value), theirs.iter()) {
                let mine: Vec<u64> = mine.arcs().iter().map(|&a| u64::from(a)).collect();
                let theirs: Vec<u64> = arcs.skip(2).collect();
                let first = u64::from(tlv.value[0]);
                let expected = match first {
                    0..40 => [0, first],
                    40..80 => [1, first - 40],
                    _ => [2, first - 80],
                };
                if mine[..2] != expected || mine[2..] != theirs[..] {
                    return Err(format!(
                        "OID {:02x?}: portolan {mine:?}, X.690 first arcs {expected:?}, asn1-rs later arcs {theirs:?}",
                        tlv.value
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// One element as asn1-rs reads it: header and contents, when the length is definite and the
/// contents are all there.
fn theirs(input: &[u8]) -> Option<(Header<'_>, &[u8], &[u8])> {
    let (rest, header) = Header::from_ber(input).ok()?;
    let Length::Definite(length) = header.length() else {
        return None;
    };
    let contents = rest.get(..length)?;
    Some((header.clone(), contents, &rest[length..]))
}

/// Compares the two decoders on every element of `input`, recursing into constructed ones up to
/// `depth` levels. Returns a description of the first disagreement.
pub fn compare(input: &[u8], depth: usize) -> Result<usize, String> {
    let mut ours = Reader::new(input);
    let mut remaining = input;
    let mut elements = 0;
    while !remaining.is_empty() && elements < 256 {
        let mine = ours.read_tlv();
        let other = theirs(remaining);
        match (mine, other) {
            (Ok(tlv), Some((header, contents, rest))) => {
                let same = class_number(tlv.tag.class) == header.class() as u8
                    && tlv.tag.constructed == header.is_constructed()
                    && tlv.tag.number == header.tag().0
                    && tlv.value == contents;
                if !same {
                    return Err(format!(
                        "element {elements}: portolan reads {} constructed={} with {} bytes, \
                         asn1-rs reads class {:?} tag {} constructed={} with {} bytes",
                        tlv.tag,
                        tlv.tag.constructed,
                        tlv.value.len(),
                        header.class(),
                        header.tag().0,
                        header.is_constructed(),
                        contents.len()
                    ));
                }
                compare_value(&tlv)?;
                elements += 1;
                if tlv.tag.constructed && depth > 0 {
                    elements += compare(tlv.value, depth - 1)?;
                }
                remaining = rest;
            }
            (Err(_), None) => return Ok(elements),
            (Err(_), Some(_)) => {
                return match stricter_by_design(remaining) {
                    Some(_) => Ok(elements),
                    None => Err(format!(
                        "element {elements}: asn1-rs reads {:02x?}, portolan refuses it",
                        &remaining[..remaining.len().min(16)]
                    )),
                };
            }
            (Ok(tlv), None) => {
                // asn1-rs refuses a primitive element with an indefinite length before its
                // contents, and nothing else portolan reads.
                return Err(format!(
                    "element {elements}: portolan reads {} with {} bytes, asn1-rs refuses {:02x?}",
                    tlv.tag,
                    tlv.value.len(),
                    &remaining[..remaining.len().min(16)]
                ));
            }
        }
    }
    Ok(elements)
}
