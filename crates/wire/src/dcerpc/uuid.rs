//! UUIDs and interface (syntax) identifiers as DCE/RPC carries them.
//!
//! On the wire NDR writes a UUID as its fields: `time_low` (u32), `time_mid` (u16) and
//! `time_hi_and_version` (u16) in the sender's byte order (little-endian for us), then the
//! eight remaining bytes as they are (C706 appendix A). [`Uuid`] keeps the 16 bytes in the
//! order of the usual text form, so `Display` and comparisons need no conversion.

use core::fmt;
use core::str::FromStr;

use crate::{Error, Result};

/// A 128-bit DCE UUID, stored in text order (`00112233-4455-6677-8899-aabbccddeeff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Uuid(pub [u8; 16]);

/// Length of a UUID in bytes, on the wire and in memory.
pub const UUID_LEN: usize = 16;

impl Uuid {
    /// The nil UUID, all zero bytes.
    pub const NIL: Uuid = Uuid([0; 16]);

    /// Decodes the 16 bytes NDR sends in little-endian data representation.
    pub const fn from_le_bytes(b: [u8; 16]) -> Uuid {
        Uuid([
            b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
            b[14], b[15],
        ])
    }

    /// Encodes the UUID as NDR does in little-endian data representation.
    pub const fn to_le_bytes(self) -> [u8; 16] {
        // The field swap is its own inverse.
        Uuid::from_le_bytes(self.0).0
    }

    /// True for the nil UUID.
    pub fn is_nil(&self) -> bool {
        self.0 == [0; 16]
    }

    /// Parses the 36-character text form (either case) at compile time or run time;
    /// `None` if `text` is not exactly that.
    pub const fn parse(text: &str) -> Option<Uuid> {
        let text = text.as_bytes();
        if text.len() != 36 {
            return None;
        }
        let mut out = [0u8; 16];
        let mut byte = 0;
        let mut at = 0;
        while at < 36 {
            if at == 8 || at == 13 || at == 18 || at == 23 {
                if text[at] != b'-' {
                    return None;
                }
                at += 1;
                continue;
            }
            let (Some(high), Some(low)) = (hex_digit(text[at]), hex_digit(text[at + 1])) else {
                return None;
            };
            out[byte] = (high << 4) | low;
            byte += 1;
            at += 2;
        }
        Some(Uuid(out))
    }

    /// Like [`Uuid::parse`] for literals in this crate's tables: a malformed literal stops
    /// the build (the tables are `const`/`static`), so it never runs on remote input.
    pub(crate) const fn literal(text: &str) -> Uuid {
        match Uuid::parse(text) {
            Some(uuid) => uuid,
            None => panic!("malformed UUID literal"),
        }
    }
}

const fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl FromStr for Uuid {
    type Err = Error;

    fn from_str(text: &str) -> Result<Uuid> {
        Uuid::parse(text).ok_or(Error::malformed(
            "UUID",
            "expected 8-4-4-4-12 hexadecimal digits",
        ))
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// An interface or transfer syntax: UUID plus major and minor version
/// (`p_syntax_id_t` in C706 section 12.6.3.1, `RPC_IF_ID` in [MS-RPCE]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SyntaxId {
    /// The interface or transfer syntax UUID.
    pub uuid: Uuid,
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
}

/// Length of an NDR-encoded [`SyntaxId`]: UUID then a 32-bit version (major in the low half).
pub const SYNTAX_ID_LEN: usize = 20;

impl SyntaxId {
    /// Builds a syntax identifier.
    pub const fn new(uuid: Uuid, major: u16, minor: u16) -> SyntaxId {
        SyntaxId { uuid, major, minor }
    }

    /// The 20-byte little-endian NDR form used in bind PDUs.
    pub fn to_le_bytes(&self) -> [u8; SYNTAX_ID_LEN] {
        let mut out = [0u8; SYNTAX_ID_LEN];
        out[..16].copy_from_slice(&self.uuid.to_le_bytes());
        out[16..18].copy_from_slice(&self.major.to_le_bytes());
        out[18..20].copy_from_slice(&self.minor.to_le_bytes());
        out
    }

    /// Decodes the 20-byte little-endian NDR form.
    pub fn from_le_bytes(bytes: &[u8]) -> Result<SyntaxId> {
        let bytes: &[u8; SYNTAX_ID_LEN] = bytes.first_chunk().ok_or(Error::truncated(
            "DCE/RPC syntax identifier",
            SYNTAX_ID_LEN,
            bytes.len(),
        ))?;
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&bytes[..16]);
        Ok(SyntaxId {
            uuid: Uuid::from_le_bytes(uuid),
            major: u16::from_le_bytes([bytes[16], bytes[17]]),
            minor: u16::from_le_bytes([bytes[18], bytes[19]]),
        })
    }
}

impl fmt::Display for SyntaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} v{}.{}", self.uuid, self.major, self.minor)
    }
}

/// The NDR transfer syntax, version 2.0 (C706 appendix I).
pub const NDR_SYNTAX: SyntaxId =
    SyntaxId::new(Uuid::literal("8a885d04-1ceb-11c9-9fe8-08002b104860"), 2, 0);

/// The endpoint mapper interface `epmapper` v3.0 (C706 appendix O, [MS-RPCE] 2.2.1.2).
pub const EPM_SYNTAX: SyntaxId =
    SyntaxId::new(Uuid::literal("e1af8308-5d1f-11c9-91a4-08002b14a0fa"), 3, 0);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ndr_bytes_of_the_transfer_syntax() {
        // The bytes every bind PDU carries for NDR v2 (seen in the Samba bind_ack fixture).
        let wire = [
            0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10,
            0x48, 0x60, 0x02, 0x00, 0x00, 0x00,
        ];
        assert_eq!(NDR_SYNTAX.to_le_bytes(), wire);
        assert_eq!(SyntaxId::from_le_bytes(&wire).unwrap(), NDR_SYNTAX);
        assert_eq!(
            NDR_SYNTAX.to_string(),
            "8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0"
        );
    }

    #[test]
    fn text_form_accepts_either_case_and_nothing_else() {
        let upper: Uuid = "E1AF8308-5D1F-11C9-91A4-08002B14A0FA".parse().unwrap();
        assert_eq!(upper, EPM_SYNTAX.uuid);
        assert!(
            "e1af8308-5d1f-11c9-91a4-08002b14a0f"
                .parse::<Uuid>()
                .is_err()
        );
        assert!(
            "e1af8308x5d1f-11c9-91a4-08002b14a0fa"
                .parse::<Uuid>()
                .is_err()
        );
        assert!(
            "g1af8308-5d1f-11c9-91a4-08002b14a0fa"
                .parse::<Uuid>()
                .is_err()
        );
        assert!(Uuid::NIL.is_nil());
        assert!(!upper.is_nil());
    }

    #[test]
    fn short_syntax_is_truncated() {
        assert!(matches!(
            SyntaxId::from_le_bytes(&[0; 19]),
            Err(Error::Truncated { need: 20, .. })
        ));
    }

    proptest! {
        #[test]
        fn text_and_wire_forms_round_trip(bytes in any::<[u8; 16]>(), major in any::<u16>(), minor in any::<u16>()) {
            let uuid = Uuid(bytes);
            prop_assert_eq!(uuid.to_string().parse::<Uuid>().unwrap(), uuid);
            prop_assert_eq!(Uuid::from_le_bytes(uuid.to_le_bytes()), uuid);
            let syntax = SyntaxId::new(uuid, major, minor);
            prop_assert_eq!(SyntaxId::from_le_bytes(&syntax.to_le_bytes()).unwrap(), syntax);
        }

        #[test]
        fn parse_never_panics(text in ".{0,40}") {
            let _ = Uuid::parse(&text);
        }
    }
}
