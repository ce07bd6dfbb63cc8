//! The subset of NDR (C706 chapter 14) that the endpoint mapper's arguments use, in the
//! little-endian data representation.
//!
//! Primitives are aligned to their size, counted from the start of the stub data (which a
//! PDU places 8-byte aligned, so stub offsets and PDU offsets agree on alignment). Arrays
//! carry their bounds in front of the elements: a conformant array its `max_count`, a
//! varying array `offset` and `actual_count`, a conformant-varying array all three.
//! Pointers travel as 32-bit referent ids (0 is null); the pointee of an embedded pointer
//! follows the structure or array that holds it.
//!
//! Every count read here is checked against a caller-given cap before anything is sized
//! from it, and against the bytes actually left.

use core::fmt;

use crate::error::slice;
use crate::{Error, Result};

use super::uuid::{UUID_LEN, Uuid};

/// A reader over NDR stub data with alignment relative to the start of the stub.
#[derive(Debug, Clone)]
pub struct NdrReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// Bounds of a conformant-varying array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrayBounds {
    /// `max_count`: the allocated size the sender declares.
    pub max_count: u32,
    /// `offset`: index of the first transmitted element.
    pub offset: u32,
    /// `actual_count`: how many elements follow.
    pub actual_count: u32,
}

impl<'a> NdrReader<'a> {
    /// Starts reading at the first byte of `buf`.
    pub fn new(buf: &'a [u8]) -> NdrReader<'a> {
        NdrReader { buf, pos: 0 }
    }

    /// Offset of the next byte to read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Skips padding up to the next multiple of `to` (1, 2, 4 or 8; 0 is taken as 1).
    pub fn align(&mut self, to: usize) -> Result<()> {
        let to = to.max(1);
        let aligned = self.pos.div_ceil(to) * to;
        if aligned > self.buf.len() {
            return Err(Error::truncated(
                "NDR alignment padding",
                aligned,
                self.buf.len(),
            ));
        }
        self.pos = aligned;
        Ok(())
    }

    /// Reads `len` bytes without alignment.
    pub fn bytes(&mut self, len: usize, what: &'static str) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(len)
            .ok_or(Error::too_large(what, len, self.buf.len()))?;
        let bytes = slice(self.buf, self.pos..end, what)?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, what)?);
        Ok(out)
    }

    /// Reads a byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    /// Reads a 2-byte aligned little-endian `unsigned short`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16> {
        self.align(2)?;
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    /// Reads a 4-byte aligned little-endian `unsigned long`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32> {
        self.align(4)?;
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// Reads a UUID (a structure whose first field is a `long`, hence 4-byte aligned).
    pub fn uuid(&mut self, what: &'static str) -> Result<Uuid> {
        self.align(4)?;
        Ok(Uuid::from_le_bytes(self.array::<UUID_LEN>(what)?))
    }

    /// Reads a 20-byte context handle.
    pub fn context_handle(&mut self) -> Result<ContextHandle> {
        let attributes = self.u32("NDR context handle")?;
        let uuid = self.uuid("NDR context handle")?;
        Ok(ContextHandle { attributes, uuid })
    }

    /// Reads a pointer's referent id; 0 means null.
    pub fn pointer(&mut self, what: &'static str) -> Result<u32> {
        self.u32(what)
    }

    /// Reads the `max_count` of a conformant array and checks it against `cap`.
    pub fn conformance(&mut self, what: &'static str, cap: u32) -> Result<u32> {
        let max_count = self.u32(what)?;
        check_cap(what, max_count, cap)?;
        Ok(max_count)
    }

    /// Reads the `offset` and `actual_count` of a varying array. `actual_count` must not
    /// exceed `cap`; `offset` is returned for the caller to judge.
    pub fn variance(&mut self, what: &'static str, cap: u32) -> Result<(u32, u32)> {
        let offset = self.u32(what)?;
        let actual_count = self.u32(what)?;
        check_cap(what, actual_count, cap)?;
        Ok((offset, actual_count))
    }

    /// Reads the three bounds of a conformant-varying array and checks that the
    /// transmitted part lies inside the declared one and that `actual_count <= cap`.
    /// `max_count` itself is not capped: it sizes nothing here.
    pub fn conformant_varying(&mut self, what: &'static str, cap: u32) -> Result<ArrayBounds> {
        let max_count = self.u32(what)?;
        let (offset, actual_count) = self.variance(what, cap)?;
        let end = u64::from(offset) + u64::from(actual_count);
        if end > u64::from(max_count) {
            return Err(Error::malformed(
                what,
                "offset + actual_count exceeds max_count",
            ));
        }
        Ok(ArrayBounds {
            max_count,
            offset,
            actual_count,
        })
    }
}

fn check_cap(what: &'static str, count: u32, cap: u32) -> Result<()> {
    if count > cap {
        Err(Error::too_large(what, count as usize, cap as usize))
    } else {
        Ok(())
    }
}

/// A writer for NDR stub data (little-endian), aligned from the start of the stub.
#[derive(Debug, Clone, Default)]
pub struct NdrWriter {
    buf: Vec<u8>,
}

impl NdrWriter {
    /// An empty stub.
    pub fn new() -> NdrWriter {
        NdrWriter::default()
    }

    /// Pads with zeros to the next multiple of `to` (0 is taken as 1).
    pub fn align(&mut self, to: usize) -> &mut Self {
        let to = to.max(1);
        let aligned = self.buf.len().div_ceil(to) * to;
        self.buf.resize(aligned, 0);
        self
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    /// Appends an aligned `unsigned long`.
    pub fn u32(&mut self, value: u32) -> &mut Self {
        self.align(4);
        self.buf.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// Appends an aligned UUID.
    pub fn uuid(&mut self, uuid: Uuid) -> &mut Self {
        self.align(4);
        self.buf.extend_from_slice(&uuid.to_le_bytes());
        self
    }

    /// Appends a context handle.
    pub fn context_handle(&mut self, handle: &ContextHandle) -> &mut Self {
        self.u32(handle.attributes).uuid(handle.uuid)
    }

    /// The stub built so far.
    pub fn finish(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.buf)
    }
}

/// An RPC context handle (`ndr_context_handle`): 4 bytes of attributes and a UUID.
/// The endpoint mapper uses one to page through its map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ContextHandle {
    /// Attribute word (0 in practice).
    pub attributes: u32,
    /// The handle's identity; nil for the null handle.
    pub uuid: Uuid,
}

/// Length of a context handle on the wire.
pub const CONTEXT_HANDLE_LEN: usize = 20;

impl ContextHandle {
    /// The null handle (all zeros): "start a new enumeration", or "no more to come".
    pub const NULL: ContextHandle = ContextHandle {
        attributes: 0,
        uuid: Uuid::NIL,
    };

    /// True for the null handle. Only the UUID decides, as in C706's handle semantics.
    pub fn is_null(&self) -> bool {
        self.uuid.is_nil()
    }
}

impl fmt::Display for ContextHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_null() {
            f.write_str("null handle")
        } else {
            write!(f, "handle {}", self.uuid)
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn alignment_to_zero_is_alignment_to_one() {
        let mut reader = NdrReader::new(&[1, 2, 3]);
        reader.bytes(1, "x").unwrap();
        reader.align(0).unwrap();
        assert_eq!(reader.position(), 1);
        assert_eq!(NdrWriter::new().bytes(&[1]).align(0).finish(), vec![1]);
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn primitives_align_from_the_stub_start() {
        let bytes = [1, 0xff, 2, 0, 0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0];
        let mut reader = NdrReader::new(&bytes);
        assert_eq!(reader.u8("a").unwrap(), 1);
        assert_eq!(reader.u16("b").unwrap(), 2);
        assert_eq!(reader.u32("c").unwrap(), 0xffff_ffff);
        assert_eq!(reader.u32("d").unwrap(), 3);
        assert_eq!(reader.remaining(), 0);
        assert!(matches!(reader.u8("e"), Err(Error::Truncated { .. })));
    }

    #[test]
    fn alignment_past_the_end_is_truncation() {
        let mut reader = NdrReader::new(&[0, 0, 0]);
        reader.u8("x").unwrap();
        assert!(matches!(reader.align(4), Err(Error::Truncated { .. })));
    }

    #[test]
    fn conformant_varying_bounds_are_checked() {
        let mut writer = NdrWriter::new();
        writer.u32(500).u32(0).u32(53);
        let ok = writer.finish();
        assert_eq!(
            NdrReader::new(&ok).conformant_varying("a", 500).unwrap(),
            ArrayBounds {
                max_count: 500,
                offset: 0,
                actual_count: 53
            }
        );
        assert!(matches!(
            NdrReader::new(&ok).conformant_varying("a", 52),
            Err(Error::TooLarge {
                value: 53,
                limit: 52,
                ..
            })
        ));
        let lying = NdrWriter::new().u32(10).u32(5).u32(6).finish();
        assert!(matches!(
            NdrReader::new(&lying).conformant_varying("a", 100),
            Err(Error::Malformed { .. })
        ));
        let overflow = NdrWriter::new().u32(u32::MAX).u32(u32::MAX).u32(2).finish();
        assert!(
            NdrReader::new(&overflow)
                .conformant_varying("a", 100)
                .is_err()
        );
    }

    #[test]
    fn context_handle_round_trip() {
        let handle = ContextHandle {
            attributes: 0,
            uuid: "440531f0-c497-4e94-ac07-d9ab06e56f25".parse().unwrap(),
        };
        let bytes = NdrWriter::new().context_handle(&handle).finish();
        assert_eq!(bytes.len(), CONTEXT_HANDLE_LEN);
        assert_eq!(NdrReader::new(&bytes).context_handle().unwrap(), handle);
        assert!(!handle.is_null());
        assert!(ContextHandle::NULL.is_null());
    }

    proptest! {
        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), ops in proptest::collection::vec(0u8..8, 0..16)) {
            let mut reader = NdrReader::new(&bytes);
            for op in ops {
                let _ = match op {
                    0 => reader.u8("x").map(|_| ()),
                    1 => reader.u16("x").map(|_| ()),
                    2 => reader.u32("x").map(|_| ()),
                    3 => reader.uuid("x").map(|_| ()),
                    4 => reader.context_handle().map(|_| ()),
                    5 => reader.conformant_varying("x", 64).map(|_| ()),
                    6 => reader.bytes(7, "x").map(|_| ()),
                    _ => reader.align(8),
                };
                prop_assert!(reader.position() <= bytes.len());
            }
        }
    }
}
