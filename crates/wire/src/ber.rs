//! A small, strict BER reader and DER writer (ITU-T X.690) for the LDAP, SNMP and Kerberos
//! probes.
//!
//! Hand-rolled on purpose: the probes need only tag-length-value framing, INTEGER, OCTET
//! STRING, NULL, BOOLEAN, ENUMERATED and OBJECT IDENTIFIER, and the ASN.1 crates that cover
//! CLDAP, SNMP and Kerberos come with large crypto or TLS stacks or code generators.
//!
//! Reading ([`Reader`]) accepts what real peers send and nothing ambiguous:
//! * definite lengths only, short form or long form with at most four length octets
//!   (Active Directory writes `84 00 00 00 nn`, so non-minimal long forms are accepted);
//!   the indefinite form (`80`) and the reserved `ff` are refused;
//! * every length is checked against the bytes that are really there and capped at
//!   [`MAX_LENGTH`]; nested readers are capped at [`MAX_DEPTH`] levels;
//! * tag numbers in the high-tag-number form must be minimal and fit 28 bits.
//!
//! Writing (the `write_*` functions) emits DER: minimal lengths and minimal integers, so a
//! request built here is byte-for-byte predictable in tests.

use core::fmt;

use crate::error::check_room;
use crate::{Error, Result};

/// Deepest nesting of constructed elements a [`Reader`] descends into.
pub const MAX_DEPTH: usize = 32;

/// Largest value length accepted, in bytes (1 MiB: far above any probe reply).
pub const MAX_LENGTH: usize = 1 << 20;

/// Most arcs accepted in an OBJECT IDENTIFIER.
pub const MAX_OID_ARCS: usize = 64;

/// Most octets in a long-form length: four octets already allow 4 GiB.
const MAX_LENGTH_OCTETS: usize = 4;

/// Most octets in a high-tag-number form, so that the number fits 28 bits.
const MAX_TAG_OCTETS: usize = 4;

/// The class bits of an identifier octet (X.690 8.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Types defined by X.680 itself (INTEGER, SEQUENCE, ...).
    Universal,
    /// Types of one protocol, such as LDAP's `[APPLICATION 3]` SearchRequest.
    Application,
    /// Context-specific tags such as Kerberos' `[1]` field tags.
    Context,
    /// Private-use tags.
    Private,
}

impl Class {
    fn bits(self) -> u8 {
        match self {
            Class::Universal => 0x00,
            Class::Application => 0x40,
            Class::Context => 0x80,
            Class::Private => 0xc0,
        }
    }

    fn from_bits(octet: u8) -> Class {
        match octet & 0xc0 {
            0x00 => Class::Universal,
            0x40 => Class::Application,
            0x80 => Class::Context,
            _ => Class::Private,
        }
    }
}

/// An identifier: class, primitive or constructed, and tag number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag {
    /// Tag class.
    pub class: Class,
    /// Whether the value holds further TLVs.
    pub constructed: bool,
    /// Tag number within the class.
    pub number: u32,
}

impl Tag {
    /// UNIVERSAL 1.
    pub const BOOLEAN: Tag = Tag::universal(1, false);
    /// UNIVERSAL 2.
    pub const INTEGER: Tag = Tag::universal(2, false);
    /// UNIVERSAL 3.
    pub const BIT_STRING: Tag = Tag::universal(3, false);
    /// UNIVERSAL 4.
    pub const OCTET_STRING: Tag = Tag::universal(4, false);
    /// UNIVERSAL 5.
    pub const NULL: Tag = Tag::universal(5, false);
    /// UNIVERSAL 6.
    pub const OID: Tag = Tag::universal(6, false);
    /// UNIVERSAL 10.
    pub const ENUMERATED: Tag = Tag::universal(10, false);
    /// UNIVERSAL 16, constructed.
    pub const SEQUENCE: Tag = Tag::universal(16, true);
    /// UNIVERSAL 17, constructed.
    pub const SET: Tag = Tag::universal(17, true);
    /// UNIVERSAL 24 (Kerberos times).
    pub const GENERALIZED_TIME: Tag = Tag::universal(24, false);
    /// UNIVERSAL 27 (Kerberos strings).
    pub const GENERAL_STRING: Tag = Tag::universal(27, false);

    /// A universal tag.
    pub const fn universal(number: u32, constructed: bool) -> Tag {
        Tag {
            class: Class::Universal,
            constructed,
            number,
        }
    }

    /// A constructed `[APPLICATION number]` tag.
    pub const fn application(number: u32) -> Tag {
        Tag {
            class: Class::Application,
            constructed: true,
            number,
        }
    }

    /// A primitive `[APPLICATION number]` tag (SNMP's Counter32, TimeTicks, ...).
    pub const fn application_primitive(number: u32) -> Tag {
        Tag {
            class: Class::Application,
            constructed: false,
            number,
        }
    }

    /// A constructed context-specific tag `[number]`, as used for EXPLICIT tagging.
    pub const fn context(number: u32) -> Tag {
        Tag {
            class: Class::Context,
            constructed: true,
            number,
        }
    }

    /// A primitive context-specific tag `[number]`, as used for IMPLICIT simple types.
    pub const fn context_primitive(number: u32) -> Tag {
        Tag {
            class: Class::Context,
            constructed: false,
            number,
        }
    }

    /// Appends the identifier octets of this tag.
    fn write(self, out: &mut Vec<u8>) {
        let first = self.class.bits() | if self.constructed { 0x20 } else { 0 };
        if self.number < 31 {
            // The guard keeps the cast lossless.
            out.push(first | self.number as u8);
            return;
        }
        out.push(first | 0x1f);
        push_base128(out, u64::from(self.number));
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = match self.class {
            Class::Universal => "UNIVERSAL ",
            Class::Application => "APPLICATION ",
            Class::Context => "",
            Class::Private => "PRIVATE ",
        };
        write!(f, "[{class}{}]", self.number)
    }
}

/// One decoded element: its tag and the bytes of its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier.
    pub tag: Tag,
    /// The contents octets.
    pub value: &'a [u8],
}

fn malformed(why: &'static str) -> Error {
    Error::malformed("BER element", why)
}

/// Splits the identifier octets off `buf`.
fn split_tag(buf: &[u8]) -> Result<(Tag, &[u8])> {
    let (&first, mut rest) = buf
        .split_first()
        .ok_or(Error::truncated("BER identifier", 1, 0))?;
    let class = Class::from_bits(first);
    let constructed = first & 0x20 != 0;
    let tag = |number| Tag {
        class,
        constructed,
        number,
    };
    let low = first & 0x1f;
    if low != 0x1f {
        return Ok((tag(u32::from(low)), rest));
    }
    let mut number: u32 = 0;
    for index in 0..MAX_TAG_OCTETS {
        let (&octet, tail) =
            rest.split_first()
                .ok_or(Error::truncated("BER identifier", index + 2, index + 1))?;
        rest = tail;
        if index == 0 && octet == 0x80 {
            return Err(malformed("tag number has a leading zero group"));
        }
        number = (number << 7) | u32::from(octet & 0x7f);
        if octet & 0x80 == 0 {
            if number < 31 {
                return Err(malformed("high-tag-number form used for a small tag"));
            }
            return Ok((tag(number), rest));
        }
    }
    Err(Error::too_large(
        "BER tag number octets",
        MAX_TAG_OCTETS + 1,
        MAX_TAG_OCTETS,
    ))
}

/// Splits the length octets off `buf`; the length is checked against [`MAX_LENGTH`] but not
/// against the bytes that follow.
fn split_length(buf: &[u8]) -> Result<(usize, &[u8])> {
    let (&first, rest) = buf
        .split_first()
        .ok_or(Error::truncated("BER length", 1, 0))?;
    if first < 0x80 {
        return Ok((usize::from(first), rest));
    }
    if first == 0x80 {
        return Err(malformed("indefinite length"));
    }
    if first == 0xff {
        return Err(malformed("reserved length octet 0xff"));
    }
    let count = usize::from(first & 0x7f);
    if count > MAX_LENGTH_OCTETS {
        return Err(Error::too_large(
            "BER length octets",
            count,
            MAX_LENGTH_OCTETS,
        ));
    }
    let octets =
        rest.get(..count)
            .ok_or(Error::truncated("BER length", count + 1, rest.len() + 1))?;
    let length = octets
        .iter()
        .fold(0usize, |acc, &octet| (acc << 8) | usize::from(octet));
    if length > MAX_LENGTH {
        return Err(Error::too_large("BER length", length, MAX_LENGTH));
    }
    Ok((length, rest.get(count..).unwrap_or_default()))
}

/// Length of the first complete element in `buf` (header plus value), if its header is
/// complete: `Ok(None)` means more bytes are needed to know. The returned length may be
/// larger than `buf`; a stream reader keeps reading until it has that many bytes.
pub fn element_len(buf: &[u8]) -> Result<Option<usize>> {
    let after_tag = match split_tag(buf) {
        Ok((_, rest)) => rest,
        Err(Error::Truncated { .. }) => return Ok(None),
        Err(other) => return Err(other),
    };
    let (length, after_length) = match split_length(after_tag) {
        Ok(split) => split,
        Err(Error::Truncated { .. }) => return Ok(None),
        Err(other) => return Err(other),
    };
    let header = buf.len() - after_length.len();
    Ok(Some(header + length))
}

/// A cursor over a sequence of BER elements.
///
/// Every `read_*` method consumes one element. Readers for the contents of constructed
/// elements are one level deeper; a reader refuses to go beyond [`MAX_DEPTH`].
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    depth: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf` at nesting depth zero.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, depth: 0 }
    }

    /// Whether every element has been read.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes not read yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.buf
    }

    /// Nesting depth of this reader (zero for [`Reader::new`]).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Fails unless every element has been read.
    pub fn finish(&self) -> Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(malformed("unexpected bytes after the last element"))
        }
    }

    /// The tag of the next element, if there is one and it decodes.
    pub fn peek_tag(&self) -> Option<Tag> {
        split_tag(self.buf).ok().map(|(tag, _)| tag)
    }

    /// Reads the next element, whatever its tag.
    pub fn read_tlv(&mut self) -> Result<Tlv<'a>> {
        let (tag, after_tag) = split_tag(self.buf)?;
        let (length, after_length) = split_length(after_tag)?;
        let value = after_length.get(..length).ok_or(Error::truncated(
            "BER value",
            length,
            after_length.len(),
        ))?;
        self.buf = after_length.get(length..).unwrap_or_default();
        Ok(Tlv { tag, value })
    }

    /// Reads the next element and returns its value, failing unless its tag is `tag`.
    pub fn read_expected(&mut self, tag: Tag) -> Result<&'a [u8]> {
        let tlv = self.read_tlv()?;
        if tlv.tag == tag {
            Ok(tlv.value)
        } else {
            Err(malformed("unexpected tag"))
        }
    }

    /// Reads the next element's value if its tag is `tag`; leaves the reader alone otherwise.
    pub fn read_optional(&mut self, tag: Tag) -> Result<Option<&'a [u8]>> {
        if self.peek_tag() == Some(tag) {
            self.read_expected(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A reader over `contents`, one level deeper than this one.
    pub fn nested(&self, contents: &'a [u8]) -> Result<Reader<'a>> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(Error::too_large("BER nesting depth", depth, MAX_DEPTH));
        }
        Ok(Reader {
            buf: contents,
            depth,
        })
    }

    /// Reads a constructed element tagged `tag` and returns a reader over its contents.
    pub fn read_constructed(&mut self, tag: Tag) -> Result<Reader<'a>> {
        let contents = self.read_expected(tag)?;
        self.nested(contents)
    }

    /// Reads a SEQUENCE.
    pub fn read_sequence(&mut self) -> Result<Reader<'a>> {
        self.read_constructed(Tag::SEQUENCE)
    }

    /// Reads a SET (LDAP attribute values come in one).
    pub fn read_set(&mut self) -> Result<Reader<'a>> {
        self.read_constructed(Tag::SET)
    }

    /// Reads an EXPLICIT `[number]` wrapper and returns a reader over what it wraps.
    pub fn read_explicit(&mut self, number: u32) -> Result<Reader<'a>> {
        self.read_constructed(Tag::context(number))
    }

    /// Reads an EXPLICIT `[number]` wrapper if the next element has that tag.
    pub fn read_optional_explicit(&mut self, number: u32) -> Result<Option<Reader<'a>>> {
        match self.read_optional(Tag::context(number))? {
            Some(contents) => self.nested(contents).map(Some),
            None => Ok(None),
        }
    }

    /// Reads a constructed `[APPLICATION number]` element.
    pub fn read_application(&mut self, number: u32) -> Result<Reader<'a>> {
        self.read_constructed(Tag::application(number))
    }

    /// Reads an INTEGER that fits an `i64`.
    pub fn read_integer(&mut self) -> Result<i64> {
        decode_integer(self.read_expected(Tag::INTEGER)?)
    }

    /// Reads an ENUMERATED.
    pub fn read_enumerated(&mut self) -> Result<i64> {
        decode_integer(self.read_expected(Tag::ENUMERATED)?)
    }

    /// Reads a BOOLEAN (any non-zero octet is TRUE, as BER allows).
    pub fn read_boolean(&mut self) -> Result<bool> {
        match self.read_expected(Tag::BOOLEAN)? {
            [octet] => Ok(*octet != 0),
            _ => Err(malformed("BOOLEAN is not one octet")),
        }
    }

    /// Reads an OCTET STRING (primitive form only).
    pub fn read_octet_string(&mut self) -> Result<&'a [u8]> {
        self.read_expected(Tag::OCTET_STRING)
    }

    /// Reads a NULL.
    pub fn read_null(&mut self) -> Result<()> {
        if self.read_expected(Tag::NULL)?.is_empty() {
            Ok(())
        } else {
            Err(malformed("NULL with contents"))
        }
    }

    /// Reads an OBJECT IDENTIFIER.
    pub fn read_oid(&mut self) -> Result<Oid> {
        Oid::decode(self.read_expected(Tag::OID)?)
    }
}

/// Decodes the contents of an INTEGER (or of an IMPLICIT-tagged one) as an `i64`.
///
/// Redundant leading sign octets are tolerated (some agents pad their request ids), but the
/// value itself must fit 64 bits.
pub fn decode_integer(contents: &[u8]) -> Result<i64> {
    let (&first, _) = contents
        .split_first()
        .ok_or(malformed("INTEGER without contents"))?;
    let negative = first & 0x80 != 0;
    let significant = strip_sign_octets(contents, negative);
    if significant.len() > 8 {
        return Err(Error::too_large("BER INTEGER octets", significant.len(), 8));
    }
    let start: i64 = if negative { -1 } else { 0 };
    Ok(significant
        .iter()
        .fold(start, |acc, &octet| (acc << 8) | i64::from(octet)))
}

/// Drops leading octets that only repeat the sign.
fn strip_sign_octets(mut contents: &[u8], negative: bool) -> &[u8] {
    let fill = if negative { 0xff } else { 0x00 };
    while let [first, second, ..] = contents {
        let second_negative = second & 0x80 != 0;
        if *first != fill || second_negative != negative {
            break;
        }
        contents = contents.get(1..).unwrap_or_default();
    }
    contents
}

/// Decodes the contents of an unsigned application type (SNMP Counter32, Gauge32,
/// TimeTicks, Counter64) as a `u64`.
///
/// The octets are taken as an unsigned big-endian number, which also reads agents that
/// forget the leading zero octet before a value with the top bit set.
pub fn decode_unsigned(contents: &[u8]) -> Result<u64> {
    if contents.is_empty() {
        return Err(malformed("INTEGER without contents"));
    }
    let start = contents
        .iter()
        .position(|&octet| octet != 0)
        .unwrap_or(contents.len());
    let significant = contents.get(start..).unwrap_or_default();
    if significant.len() > 8 {
        return Err(Error::too_large(
            "BER unsigned octets",
            significant.len(),
            8,
        ));
    }
    Ok(significant
        .iter()
        .fold(0u64, |acc, &octet| (acc << 8) | u64::from(octet)))
}

/// An OBJECT IDENTIFIER as its arcs, e.g. `1.3.6.1.2.1.1.5.0`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Oid(Vec<u32>);

impl Oid {
    /// An OID from its arcs. At least two arcs, the first at most 2, the second below 40
    /// unless the first is 2, and at most [`MAX_OID_ARCS`] arcs.
    pub fn new(arcs: &[u32]) -> Result<Oid> {
        let bad = |why| Error::malformed("OBJECT IDENTIFIER", why);
        match arcs {
            [first, second, ..] => {
                if *first > 2 {
                    return Err(bad("first arc above 2"));
                }
                if *first < 2 && *second >= 40 {
                    return Err(bad("second arc 40 or more under arc 0 or 1"));
                }
            }
            _ => return Err(bad("fewer than two arcs")),
        }
        if arcs.len() > MAX_OID_ARCS {
            return Err(Error::too_large(
                "OBJECT IDENTIFIER arcs",
                arcs.len(),
                MAX_OID_ARCS,
            ));
        }
        Ok(Oid(arcs.to_vec()))
    }

    /// The arcs.
    pub fn arcs(&self) -> &[u32] {
        &self.0
    }

    /// Decodes the contents octets of an OBJECT IDENTIFIER.
    pub fn decode(contents: &[u8]) -> Result<Oid> {
        let bad = |why| Error::malformed("OBJECT IDENTIFIER", why);
        if contents.is_empty() {
            return Err(bad("no contents"));
        }
        let mut arcs = Vec::new();
        let mut rest = contents;
        while !rest.is_empty() {
            check_room(&arcs, MAX_OID_ARCS, "OBJECT IDENTIFIER arcs")?;
            let (value, tail) = split_base128(rest)?;
            rest = tail;
            if arcs.is_empty() {
                // The first subidentifier packs the first two arcs (X.690 8.19.4).
                let (first, second) = match value {
                    0..40 => (0, value),
                    40..80 => (1, value - 40),
                    _ => (2, value - 80),
                };
                arcs.push(first);
                arcs.push(u32::try_from(second).map_err(|_| bad("arc exceeds 32 bits"))?);
            } else {
                arcs.push(u32::try_from(value).map_err(|_| bad("arc exceeds 32 bits"))?);
            }
        }
        Ok(Oid(arcs))
    }

    /// Appends the contents octets (no tag, no length).
    fn encode_contents(&self, out: &mut Vec<u8>) {
        let mut arcs = self.0.iter();
        let first = u64::from(arcs.next().copied().unwrap_or(0));
        let second = u64::from(arcs.next().copied().unwrap_or(0));
        push_base128(out, first * 40 + second);
        for &arc in arcs {
            push_base128(out, u64::from(arc));
        }
    }

    /// Whether `self` starts with the arcs of `prefix`.
    pub fn starts_with(&self, prefix: &[u32]) -> bool {
        self.0.starts_with(prefix)
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, arc) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(".")?;
            }
            write!(f, "{arc}")?;
        }
        Ok(())
    }
}

impl core::str::FromStr for Oid {
    type Err = Error;

    /// Parses dotted decimal, e.g. `1.3.6.1.2.1.1.5.0`.
    fn from_str(text: &str) -> Result<Oid> {
        let arcs = text
            .split('.')
            .take(MAX_OID_ARCS + 1)
            .map(|arc| arc.parse::<u32>())
            .collect::<core::result::Result<Vec<u32>, _>>()
            .map_err(|_| Error::malformed("OBJECT IDENTIFIER", "not dotted decimal"))?;
        Oid::new(&arcs)
    }
}

/// Splits one base-128 subidentifier (at most 64 bits, minimal) off `buf`.
fn split_base128(buf: &[u8]) -> Result<(u64, &[u8])> {
    let mut value: u64 = 0;
    for (index, &octet) in buf.iter().enumerate() {
        if index == 0 && octet == 0x80 {
            return Err(Error::malformed(
                "OBJECT IDENTIFIER",
                "subidentifier with a leading zero group",
            ));
        }
        if value > (u64::MAX >> 7) {
            return Err(Error::too_large(
                "OBJECT IDENTIFIER subidentifier octets",
                index + 1,
                9,
            ));
        }
        value = (value << 7) | u64::from(octet & 0x7f);
        if octet & 0x80 == 0 {
            return Ok((value, buf.get(index + 1..).unwrap_or_default()));
        }
    }
    Err(Error::truncated(
        "OBJECT IDENTIFIER subidentifier",
        buf.len() + 1,
        buf.len(),
    ))
}

/// Appends `value` in base 128, most significant group first, with continuation bits.
fn push_base128(out: &mut Vec<u8>, value: u64) {
    let groups = (64 - value.leading_zeros()).div_ceil(7).max(1);
    for group in (0..groups).rev() {
        // Seven bits per group; the mask keeps the cast lossless.
        let bits = ((value >> (7 * group)) & 0x7f) as u8;
        out.push(if group == 0 { bits } else { bits | 0x80 });
    }
}

/// Appends a DER length (short form below 128, otherwise the shortest long form).
fn write_length(out: &mut Vec<u8>, length: usize) {
    if length < 0x80 {
        // Guarded above: fits one octet.
        out.push(length as u8);
        return;
    }
    let octets = length.to_be_bytes();
    let skip = octets.iter().take_while(|&&octet| octet == 0).count();
    let significant = octets.get(skip..).unwrap_or_default();
    // At most size_of::<usize>() octets, so the count fits the low seven bits.
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// Appends a complete element: tag, DER length and `value`.
pub fn write_tlv(out: &mut Vec<u8>, tag: Tag, value: &[u8]) {
    tag.write(out);
    write_length(out, value.len());
    out.extend_from_slice(value);
}

/// Appends a constructed element whose contents `body` writes.
pub fn write_constructed(
    out: &mut Vec<u8>,
    tag: Tag,
    body: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    let mut contents = Vec::new();
    body(&mut contents)?;
    write_tlv(out, tag, &contents);
    Ok(())
}

/// Appends a SEQUENCE whose contents `body` writes.
pub fn write_sequence(
    out: &mut Vec<u8>,
    body: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    write_constructed(out, Tag::SEQUENCE, body)
}

/// Appends an EXPLICIT `[number]` wrapper around what `body` writes.
pub fn write_explicit(
    out: &mut Vec<u8>,
    number: u32,
    body: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    write_constructed(out, Tag::context(number), body)
}

/// Appends an integer under `tag` in minimal two's complement.
pub fn write_integer_tagged(out: &mut Vec<u8>, tag: Tag, value: i64) {
    let octets = value.to_be_bytes();
    let significant = strip_sign_octets(&octets, value < 0);
    write_tlv(out, tag, significant);
}

/// Appends an INTEGER.
pub fn write_integer(out: &mut Vec<u8>, value: i64) {
    write_integer_tagged(out, Tag::INTEGER, value);
}

/// Appends an ENUMERATED.
pub fn write_enumerated(out: &mut Vec<u8>, value: i64) {
    write_integer_tagged(out, Tag::ENUMERATED, value);
}

/// Appends a non-negative integer under `tag` (a leading zero octet is added when the top
/// bit is set, so the value stays positive).
pub fn write_unsigned(out: &mut Vec<u8>, tag: Tag, value: u64) {
    let octets = value.to_be_bytes();
    let skip = octets
        .iter()
        .take_while(|&&octet| octet == 0)
        .count()
        .min(7);
    let significant = octets.get(skip..).unwrap_or_default();
    if significant.first().is_some_and(|&octet| octet & 0x80 != 0) {
        let mut padded = Vec::with_capacity(significant.len() + 1);
        padded.push(0);
        padded.extend_from_slice(significant);
        write_tlv(out, tag, &padded);
    } else {
        write_tlv(out, tag, significant);
    }
}

/// Appends a BOOLEAN (DER: `ff` for TRUE).
pub fn write_boolean(out: &mut Vec<u8>, value: bool) {
    write_tlv(out, Tag::BOOLEAN, &[if value { 0xff } else { 0x00 }]);
}

/// Appends an OCTET STRING.
pub fn write_octet_string(out: &mut Vec<u8>, value: &[u8]) {
    write_tlv(out, Tag::OCTET_STRING, value);
}

/// Appends a NULL.
pub fn write_null(out: &mut Vec<u8>) {
    write_tlv(out, Tag::NULL, &[]);
}

/// Appends an OBJECT IDENTIFIER.
pub fn write_oid(out: &mut Vec<u8>, oid: &Oid) {
    let mut contents = Vec::new();
    oid.encode_contents(&mut contents);
    write_tlv(out, Tag::OID, &contents);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn integer_bytes(value: i64) -> Vec<u8> {
        let mut out = Vec::new();
        write_integer(&mut out, value);
        out
    }

    #[test]
    fn integers_are_minimal_twos_complement() {
        assert_eq!(integer_bytes(0), [0x02, 0x01, 0x00]);
        assert_eq!(integer_bytes(127), [0x02, 0x01, 0x7f]);
        assert_eq!(integer_bytes(128), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(integer_bytes(-1), [0x02, 0x01, 0xff]);
        assert_eq!(integer_bytes(-128), [0x02, 0x01, 0x80]);
        assert_eq!(integer_bytes(-129), [0x02, 0x02, 0xff, 0x7f]);
        assert_eq!(
            integer_bytes(i64::MIN),
            [0x02, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn unsigned_values_keep_a_positive_sign() {
        let mut out = Vec::new();
        write_unsigned(&mut out, Tag::INTEGER, 0xffff_ffff);
        assert_eq!(out, [0x02, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff]);
        out.clear();
        write_unsigned(&mut out, Tag::INTEGER, 0);
        assert_eq!(out, [0x02, 0x01, 0x00]);
        assert_eq!(
            decode_unsigned(&[0x00, 0xff, 0xff, 0xff, 0xff]),
            Ok(0xffff_ffff)
        );
        // An agent that forgot the leading zero still reads as unsigned.
        assert_eq!(decode_unsigned(&[0xff]), Ok(255));
        assert!(decode_unsigned(&[1; 9]).is_err());
    }

    #[test]
    fn padded_integers_are_tolerated_but_must_fit_64_bits() {
        assert_eq!(decode_integer(&[0x00, 0x00, 0x00, 0x01]), Ok(1));
        assert_eq!(decode_integer(&[0xff, 0xff, 0xfe]), Ok(-2));
        assert_eq!(
            decode_integer(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f]),
            Ok(127)
        );
        assert!(matches!(
            decode_integer(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(Error::TooLarge { .. })
        ));
        assert!(decode_integer(&[]).is_err());
    }

    #[test]
    fn lengths_short_long_and_refused_forms() {
        assert_eq!(element_len(&[0x04, 0x03]), Ok(Some(5)));
        assert_eq!(element_len(&[0x30, 0x81, 0x80]), Ok(Some(131)));
        // Active Directory style: four length octets for a small value.
        assert_eq!(element_len(&[0x30, 0x84, 0, 0, 0, 0x05]), Ok(Some(11)));
        assert_eq!(element_len(&[0x30, 0x84, 0, 0]), Ok(None));
        assert_eq!(element_len(&[0x30]), Ok(None));
        assert_eq!(element_len(&[]), Ok(None));
        assert!(matches!(
            element_len(&[0x30, 0x80]),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            element_len(&[0x30, 0xff]),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            element_len(&[0x30, 0x85, 1, 0, 0, 0, 0]),
            Err(Error::TooLarge { .. })
        ));
        assert!(matches!(
            element_len(&[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn a_lying_length_is_truncation() {
        let mut reader = Reader::new(&[0x04, 0x05, b'a', b'b']);
        assert!(matches!(
            reader.read_octet_string(),
            Err(Error::Truncated {
                need: 5,
                have: 2,
                ..
            })
        ));
    }

    #[test]
    fn high_tag_numbers() {
        let mut out = Vec::new();
        write_tlv(&mut out, Tag::context_primitive(200), b"x");
        assert_eq!(out, [0x9f, 0x81, 0x48, 0x01, b'x']);
        let tlv = Reader::new(&out).read_tlv().unwrap();
        assert_eq!(tlv.tag, Tag::context_primitive(200));
        // The long form for a number below 31, and a leading zero group, are not DER.
        assert!(Reader::new(&[0x9f, 0x05, 0x00]).read_tlv().is_err());
        assert!(Reader::new(&[0x9f, 0x80, 0x48, 0x00]).read_tlv().is_err());
        assert!(matches!(
            Reader::new(&[0x9f, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00]).read_tlv(),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn oids_round_trip_and_refuse_nonsense() {
        let oid: Oid = "1.3.6.1.2.1.1.5.0".parse().unwrap();
        let mut out = Vec::new();
        write_oid(&mut out, &oid);
        assert_eq!(
            out,
            [0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x05, 0x00]
        );
        assert_eq!(Reader::new(&out).read_oid().unwrap(), oid);
        assert_eq!(oid.to_string(), "1.3.6.1.2.1.1.5.0");
        // Multi-octet arcs (net-snmp's enterprise 8072 is 0xbf 0x08).
        let netsnmp = Oid::decode(&[0x2b, 0x06, 0x01, 0x04, 0x01, 0xbf, 0x08]).unwrap();
        assert_eq!(netsnmp.arcs(), [1, 3, 6, 1, 4, 1, 8072]);
        assert_eq!(Oid::decode(&[0x88, 0x37]).unwrap().arcs(), [2, 999]);
        assert!(Oid::decode(&[]).is_err());
        assert!(Oid::decode(&[0x2b, 0x86]).is_err());
        assert!(Oid::decode(&[0x2b, 0x80, 0x01]).is_err());
        assert!(Oid::decode(&[0x2b, 0x90, 0x80, 0x80, 0x80, 0x00]).is_err());
        assert!("3.1".parse::<Oid>().is_err());
        assert!("1.40".parse::<Oid>().is_err());
        assert!("1".parse::<Oid>().is_err());
        assert!("1.x".parse::<Oid>().is_err());
        assert!(Oid::decode(&[0x2b; MAX_OID_ARCS + 1]).is_err());
    }

    #[test]
    fn nesting_is_capped() {
        // MAX_DEPTH + 2 nested SEQUENCEs around nothing.
        let mut encoded = Vec::new();
        for _ in 0..MAX_DEPTH + 2 {
            let mut outer = Vec::new();
            write_tlv(&mut outer, Tag::SEQUENCE, &encoded);
            encoded = outer;
        }
        let mut reader = Reader::new(&encoded);
        let mut reached = 0;
        let error = loop {
            match reader.read_sequence() {
                Ok(inner) => {
                    reached += 1;
                    reader = inner;
                }
                Err(error) => break error,
            }
        };
        assert_eq!(reached, MAX_DEPTH);
        assert!(matches!(error, Error::TooLarge { .. }));
    }

    #[test]
    fn reader_reads_each_universal_type() {
        let mut out = Vec::new();
        write_sequence(&mut out, |body| {
            write_integer(body, -5);
            write_enumerated(body, 3);
            write_boolean(body, true);
            write_octet_string(body, b"abc");
            write_null(body);
            write_explicit(body, 1, |inner| {
                write_integer(inner, 7);
                Ok(())
            })
        })
        .unwrap();
        let mut outer = Reader::new(&out);
        let mut reader = outer.read_sequence().unwrap();
        outer.finish().unwrap();
        assert_eq!(reader.read_integer(), Ok(-5));
        assert_eq!(reader.read_enumerated(), Ok(3));
        assert_eq!(reader.read_boolean(), Ok(true));
        assert_eq!(reader.read_octet_string(), Ok(&b"abc"[..]));
        assert_eq!(reader.read_null(), Ok(()));
        assert!(reader.read_optional_explicit(2).unwrap().is_none());
        let mut wrapped = reader.read_optional_explicit(1).unwrap().unwrap();
        assert_eq!(wrapped.depth(), 2);
        assert_eq!(wrapped.read_integer(), Ok(7));
        assert!(reader.is_empty());
        // A tag mismatch is an error, not a silent skip.
        assert!(Reader::new(&[0x04, 0x00]).read_integer().is_err());
        assert!(Reader::new(&[0x05, 0x01, 0x00]).read_null().is_err());
        assert!(
            Reader::new(&[0x01, 0x02, 0x00, 0x00])
                .read_boolean()
                .is_err()
        );
        assert!(Reader::new(&[0x02, 0x01, 0x00, 0x00]).finish().is_err());
    }

    /// Walks every element recursively, as a fuzz target would.
    fn walk(reader: &mut Reader<'_>, budget: &mut usize) -> Result<()> {
        while !reader.is_empty() && *budget > 0 {
            *budget -= 1;
            let tlv = reader.read_tlv()?;
            if tlv.tag.constructed {
                walk(&mut reader.nested(tlv.value)?, budget)?;
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn reading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = element_len(&bytes);
            let _ = walk(&mut Reader::new(&bytes), &mut 10_000);
            let mut reader = Reader::new(&bytes);
            let _ = reader.read_integer();
            let _ = reader.read_oid();
            let _ = decode_integer(&bytes);
            let _ = decode_unsigned(&bytes);
            let _ = Oid::decode(&bytes);
        }

        #[test]
        fn integers_round_trip(value in any::<i64>()) {
            let encoded = integer_bytes(value);
            prop_assert_eq!(element_len(&encoded), Ok(Some(encoded.len())));
            prop_assert_eq!(Reader::new(&encoded).read_integer(), Ok(value));
        }

        #[test]
        fn unsigned_round_trip(value in any::<u64>()) {
            let mut encoded = Vec::new();
            write_unsigned(&mut encoded, Tag::application_primitive(6), value);
            let mut reader = Reader::new(&encoded);
            let contents = reader.read_expected(Tag::application_primitive(6)).unwrap();
            prop_assert_eq!(decode_unsigned(contents), Ok(value));
        }

        #[test]
        fn oids_round_trip(first in 0u32..3, second in 0u32..40, rest in proptest::collection::vec(any::<u32>(), 0..20)) {
            let mut arcs = vec![first, second];
            arcs.extend(rest);
            let oid = Oid::new(&arcs).unwrap();
            let mut encoded = Vec::new();
            write_oid(&mut encoded, &oid);
            prop_assert_eq!(Reader::new(&encoded).read_oid(), Ok(oid));
        }

        #[test]
        fn octet_strings_of_any_length_round_trip(value in proptest::collection::vec(any::<u8>(), 0..70_000)) {
            let mut encoded = Vec::new();
            write_octet_string(&mut encoded, &value);
            prop_assert_eq!(element_len(&encoded), Ok(Some(encoded.len())));
            prop_assert_eq!(Reader::new(&encoded).read_octet_string(), Ok(&value[..]));
        }
    }
}
