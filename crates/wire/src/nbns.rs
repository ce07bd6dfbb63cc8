//! NetBIOS Name Service node status (NBSTAT), RFC 1002 sections 4.2.17 and 4.2.18, on
//! UDP 137.
//!
//! The request asks a host for its whole name table by querying the wildcard name `*`
//! (padded to 16 bytes with NULs, then "first-level encoded": each nibble becomes a letter
//! `A`..`P`, RFC 1001 section 14.1) with question type NBSTAT (0x21), class IN. The answer
//! lists every NetBIOS name registered on the node with its 16th-byte suffix (`<00>`
//! workstation, `<20>` file server, `<1c>` domain controllers, ...) and flags, followed by
//! a statistics block whose first six bytes are the unit id, usually the MAC address.
//!
//! This is what `nmblookup -A` and `nbtstat -A` send. Only node status is implemented:
//! it is the one NBNS query that any NetBIOS responder answers without knowing a name.
//! Scope ids are not sent; a scope in the reply's name is skipped.

use core::fmt;

use crate::error::{answering, slice};
use crate::simple::Escaped;
use crate::{Error, Result};

/// Question and record type NBSTAT.
pub const TYPE_NBSTAT: u16 = 0x0021;
/// Class IN.
pub const CLASS_IN: u16 = 0x0001;
/// Length of the NBNS header (the DNS header layout).
pub const HEADER_LEN: usize = 12;
/// Length of one entry of the node name array: 15 name bytes, suffix, two flag bytes.
pub const NAME_ENTRY_LEN: usize = 18;

/// Flag bits of the header's third and fourth bytes (RFC 1002 section 4.2.1.1).
mod flag {
    pub const RESPONSE: u16 = 0x8000;
    pub const OPCODE_MASK: u16 = 0x7800;
    pub const RCODE_MASK: u16 = 0x000f;
}

/// Bits of a NAME_FLAGS word (RFC 1002 section 4.2.18).
mod name_flag {
    pub const GROUP: u16 = 0x8000;
    pub const OWNER_TYPE_SHIFT: u16 = 13;
    pub const DEREGISTERING: u16 = 0x1000;
    pub const CONFLICT: u16 = 0x0800;
    pub const ACTIVE: u16 = 0x0400;
    pub const PERMANENT: u16 = 0x0200;
}

/// Builds the 50-byte node status request for the wildcard name with transaction id `id`.
pub fn node_status_request(id: u16) -> [u8; 50] {
    let mut packet = [0u8; 50];
    packet[0..2].copy_from_slice(&id.to_be_bytes());
    // Flags 0: a query, opcode QUERY, no broadcast, no recursion.
    packet[4..6].copy_from_slice(&1u16.to_be_bytes()); // QDCOUNT
    packet[12] = 32;
    let mut name = [0u8; 16];
    name[0] = b'*';
    for (i, byte) in name.iter().enumerate() {
        packet[13 + 2 * i] = b'A' + (byte >> 4);
        packet[14 + 2 * i] = b'A' + (byte & 0x0f);
    }
    // packet[45] = 0: the empty scope ends the name.
    packet[46..48].copy_from_slice(&TYPE_NBSTAT.to_be_bytes());
    packet[48..50].copy_from_slice(&CLASS_IN.to_be_bytes());
    packet
}

/// One entry of the node's name table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeName {
    /// The first 15 bytes of the name, trailing spaces removed.
    pub name: Vec<u8>,
    /// The 16th byte, which says what the name is for.
    pub suffix: u8,
    /// The raw NAME_FLAGS word.
    pub flags: u16,
}

/// Owner node type of a name (RFC 1001 section 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    /// B node: broadcast.
    Broadcast,
    /// P node: point to point (NBNS server).
    PointToPoint,
    /// M node: mixed.
    Mixed,
    /// H node: hybrid (Microsoft's extension, the fourth value).
    Hybrid,
}

impl NodeName {
    /// True for a group name, false for a unique one.
    pub fn is_group(&self) -> bool {
        self.flags & name_flag::GROUP != 0
    }

    /// True when the name is active (registered and in use).
    pub fn is_active(&self) -> bool {
        self.flags & name_flag::ACTIVE != 0
    }

    /// True for the permanent node name.
    pub fn is_permanent(&self) -> bool {
        self.flags & name_flag::PERMANENT != 0
    }

    /// True when the name is being released.
    pub fn is_deregistering(&self) -> bool {
        self.flags & name_flag::DEREGISTERING != 0
    }

    /// True when the name is in conflict.
    pub fn is_in_conflict(&self) -> bool {
        self.flags & name_flag::CONFLICT != 0
    }

    /// Owner node type.
    pub fn node_type(&self) -> NodeType {
        match (self.flags >> name_flag::OWNER_TYPE_SHIFT) & 0x03 {
            0 => NodeType::Broadcast,
            1 => NodeType::PointToPoint,
            2 => NodeType::Mixed,
            _ => NodeType::Hybrid,
        }
    }
}

impl fmt::Display for NodeName {
    /// `DC1<20>`: the name escaped, then the suffix in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}<{:02x}>", Escaped::new(&self.name, 15), self.suffix)
    }
}

/// A node status response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// Transaction id.
    pub id: u16,
    /// Response code: 0 for a positive answer. A negative answer still proves a listener.
    pub rcode: u8,
    /// The node's name table, in the order sent (empty in a negative answer).
    pub names: Vec<NodeName>,
    /// The unit id from the statistics block, normally the MAC address.
    pub unit_id: Option<[u8; 6]>,
}

/// A cursor over the reply; every read is checked.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8]> {
        let end = self.at.saturating_add(len);
        let slice = slice(self.bytes, self.at..end, what)?;
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.take(1, what)?.first().copied().unwrap_or_default())
    }

    fn u16(&mut self, what: &'static str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([
            b.first().copied().unwrap_or_default(),
            b.get(1).copied().unwrap_or_default(),
        ]))
    }

    /// Skips an encoded name: labels up to the empty one, or a compression pointer.
    fn skip_name(&mut self) -> Result<()> {
        // 255 bytes bound a legal name, so 128 labels is more than enough.
        for _ in 0..128 {
            let len = self.u8("NBNS name")?;
            match len {
                0 => return Ok(()),
                1..=63 => {
                    self.take(usize::from(len), "NBNS name label")?;
                }
                0xc0..=0xff => {
                    self.take(1, "NBNS name pointer")?;
                    return Ok(());
                }
                _ => {
                    return Err(Error::malformed("NBNS name", "label length above 63"));
                }
            }
        }
        Err(Error::too_large("NBNS name labels", 129, 128))
    }
}

impl NodeStatus {
    /// Parses a node status response.
    pub fn parse(bytes: &[u8]) -> Result<NodeStatus> {
        let mut r = Reader { bytes, at: 0 };
        let id = r.u16("NBNS header")?;
        let flags = r.u16("NBNS header")?;
        let _questions = r.u16("NBNS header")?;
        let answers = r.u16("NBNS header")?;
        r.take(4, "NBNS header")?;
        if flags & flag::RESPONSE == 0 {
            return Err(Error::Unexpected(
                "NBNS packet is a request, not a response",
            ));
        }
        if flags & flag::OPCODE_MASK != 0 {
            return Err(Error::Unexpected("NBNS response is not to a query"));
        }
        let rcode = (flags & flag::RCODE_MASK) as u8;
        if rcode != 0 || answers == 0 {
            return Ok(NodeStatus {
                id,
                rcode,
                names: Vec::new(),
                unit_id: None,
            });
        }
        r.skip_name()?;
        let rr_type = r.u16("NBNS record")?;
        let _class = r.u16("NBNS record")?;
        let _ttl = r.take(4, "NBNS record")?;
        let rdlength = usize::from(r.u16("NBNS record")?);
        if rr_type != TYPE_NBSTAT {
            return Err(Error::Unexpected("NBNS answer is not a node status"));
        }
        let rdata = r.take(rdlength, "NBNS node status data")?;
        let mut data = Reader {
            bytes: rdata,
            at: 0,
        };
        let count = data.u8("NBNS name count")?;
        let mut names = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let entry = data.take(NAME_ENTRY_LEN, "NBNS name entry")?;
            let (name, rest) = entry.split_at(15);
            let suffix = rest.first().copied().unwrap_or_default();
            let flags = u16::from_be_bytes([
                rest.get(1).copied().unwrap_or_default(),
                rest.get(2).copied().unwrap_or_default(),
            ]);
            let name = name.trim_ascii_end();
            names.push(NodeName {
                name: name.to_vec(),
                suffix,
                flags,
            });
        }
        // The statistics block may be cut short by some responders: the unit id is optional.
        let unit_id = data
            .take(6, "NBNS unit id")
            .ok()
            .and_then(|id| id.first_chunk::<6>().copied());
        Ok(NodeStatus {
            id,
            rcode,
            names,
            unit_id,
        })
    }

    /// True when this response answers the request with transaction id `id`.
    pub fn matches(&self, id: u16) -> bool {
        self.id == id
    }

    /// The unit id as `F0-C7-08-87-2C-7F`, as nbtstat prints a MAC address.
    pub fn mac_text(&self) -> Option<String> {
        self.unit_id.map(|m| {
            format!(
                "{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            )
        })
    }
}

/// Parses a node status response and checks its transaction id.
pub fn parse_node_status_to(bytes: &[u8], id: u16) -> Result<NodeStatus> {
    answering(
        NodeStatus::parse(bytes)?,
        |status| status.matches(id),
        "NBNS reply carries another transaction id",
    )
}

impl fmt::Display for NodeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rcode != 0 {
            return write!(
                f,
                "NetBIOS node status: negative answer, rcode {}",
                self.rcode
            );
        }
        f.write_str("NetBIOS node status:")?;
        if self.names.is_empty() {
            f.write_str(" no names")?;
        }
        let mut width = 0;
        for (n, name) in self.names.iter().enumerate() {
            let text = name.to_string();
            if width + text.len() > 72 {
                write!(f, " ... ({} more)", self.names.len() - n)?;
                break;
            }
            width += text.len() + 1;
            write!(f, " {text}")?;
        }
        if let Some(mac) = self.mac_text() {
            write!(f, ", MAC {mac}")?;
        }
        Ok(())
    }
}

/// Emits a negative name query response (RFC 1002 section 4.2.14) to a request: the
/// request's id, RESPONSE and authoritative answer set, response code NAM_ERR (3), no
/// records. A node status answer would name the host's NetBIOS names, which a stand-in
/// does not have, and would be longer than the request; this header is 12 bytes.
pub fn emit_negative_response(request: &[u8]) -> Result<[u8; HEADER_LEN]> {
    crate::error::need(request, HEADER_LEN, "NBNS header")?;
    let flags = u16::from_be_bytes([request[2], request[3]]);
    if flags & flag::RESPONSE != 0 {
        return Err(Error::Unexpected(
            "NBNS packet is a response, not a request",
        ));
    }
    // One question whose name is the 32-character first-level encoding (RFC 1001 14.1).
    if flags & flag::OPCODE_MASK != 0 || u16::from_be_bytes([request[4], request[5]]) != 1 {
        return Err(Error::malformed(
            "NBNS request",
            "not a query with one question",
        ));
    }
    crate::error::need(request, HEADER_LEN + 34 + 4, "NBNS question")?;
    if request[HEADER_LEN] != 0x20 {
        return Err(Error::malformed(
            "NBNS question",
            "name is not 32 encoded characters",
        ));
    }
    let mut reply = [0u8; HEADER_LEN];
    reply[..2].copy_from_slice(&request[..2]);
    // RESPONSE, the request's opcode, AA (0x0400), RCODE 3.
    let reply_flags = flag::RESPONSE | (flags & flag::OPCODE_MASK) | 0x0400 | 3;
    reply[2..4].copy_from_slice(&reply_flags.to_be_bytes());
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REQUEST: &[u8] = include_bytes!("../tests/fixtures/nbns/request-nbstat.bin");
    const SAMBA: &[u8] = include_bytes!("../tests/fixtures/nbns/samba-4.17-nbstat.bin");

    #[test]
    fn request_is_what_nmblookup_would_ask() {
        let request = node_status_request(0x4e42);
        assert_eq!(request.as_slice(), REQUEST);
        assert_eq!(&request[13..17], b"CKAA");
        assert!(request[17..45].iter().all(|&b| b == b'A'));
    }

    #[test]
    fn samba_name_table() {
        let status = parse_node_status_to(SAMBA, 0x4e42).unwrap();
        let shown: Vec<String> = status.names.iter().map(|n| n.to_string()).collect();
        // The same table that `nmblookup -A 10.201.0.2` prints.
        assert_eq!(
            shown,
            [
                "DC1<00>",
                "DC1<03>",
                "DC1<20>",
                "LAB<1b>",
                "LAB<1c>",
                "LAB<00>",
                "__SAMBA__<00>",
                "__SAMBA__<20>"
            ]
        );
        let lab_dcs = &status.names[4];
        assert!(lab_dcs.is_group() && lab_dcs.is_active() && !lab_dcs.is_permanent());
        assert_eq!(lab_dcs.node_type(), NodeType::Mixed);
        assert!(!status.names[0].is_group());
        assert!(status.names[7].is_permanent());
        assert_eq!(status.mac_text().as_deref(), Some("F0-C7-08-87-2C-7F"));
        assert_eq!(
            status.to_string(),
            "NetBIOS node status: DC1<00> DC1<03> DC1<20> LAB<1b> LAB<1c> LAB<00> \
             __SAMBA__<00> ... (1 more), MAC F0-C7-08-87-2C-7F"
        );
    }

    #[test]
    fn other_id_and_requests_are_refused() {
        assert!(matches!(
            parse_node_status_to(SAMBA, 1),
            Err(Error::Unexpected(_))
        ));
        assert!(matches!(
            NodeStatus::parse(REQUEST),
            Err(Error::Unexpected(_))
        ));
    }

    #[test]
    fn every_truncation_is_an_error_or_loses_only_the_unit_id() {
        for cut in 0..SAMBA.len() {
            if let Ok(status) = NodeStatus::parse(&SAMBA[..cut]) {
                assert_eq!(status.names.len(), 8);
            }
        }
    }

    #[test]
    fn negative_answer_is_kept() {
        let mut packet = [0u8; 12];
        packet[2] = 0x84;
        packet[3] = 0x03; // response, AA, rcode 3
        let status = NodeStatus::parse(&packet).unwrap();
        assert_eq!(status.rcode, 3);
        assert_eq!(
            status.to_string(),
            "NetBIOS node status: negative answer, rcode 3"
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(status) = NodeStatus::parse(&bytes) {
                prop_assert!(status.to_string().bytes().all(|b| (0x20..=0x7e).contains(&b)));
            }
        }

        #[test]
        fn names_round_trip(id in any::<u16>(), names in proptest::collection::vec(("[A-Z0-9_]{1,15}", any::<u8>(), any::<u16>()), 0..20), mac in any::<[u8; 6]>()) {
            // Builds a response the way RFC 1002 lays it out, then parses it back.
            let mut packet = id.to_be_bytes().to_vec();
            packet.extend_from_slice(&[0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 0]);
            packet.extend_from_slice(&node_status_request(0)[12..46]);
            packet.extend_from_slice(&[0, 0x21, 0, 1, 0, 0, 0, 0]);
            let rdlength = 1 + NAME_ENTRY_LEN * names.len() + 46;
            packet.extend_from_slice(&(rdlength as u16).to_be_bytes());
            packet.push(names.len() as u8);
            for (name, suffix, flags) in &names {
                let mut padded = [b' '; 15];
                padded[..name.len()].copy_from_slice(name.as_bytes());
                packet.extend_from_slice(&padded);
                packet.push(*suffix);
                packet.extend_from_slice(&flags.to_be_bytes());
            }
            packet.extend_from_slice(&mac);
            packet.extend_from_slice(&[0; 40]);
            let status = parse_node_status_to(&packet, id).unwrap();
            prop_assert_eq!(status.unit_id, Some(mac));
            prop_assert_eq!(status.names.len(), names.len());
            for (parsed, (name, suffix, flags)) in status.names.iter().zip(&names) {
                prop_assert_eq!(&parsed.name, name.as_bytes());
                prop_assert_eq!(parsed.suffix, *suffix);
                prop_assert_eq!(parsed.flags, *flags);
            }
        }
    }

    #[test]
    fn an_emitted_negative_response_answers_its_request() {
        let request = node_status_request(0x4242);
        let reply = emit_negative_response(&request).unwrap();
        let parsed = parse_node_status_to(&reply, 0x4242).unwrap();
        assert_eq!(parsed.rcode, 3);
        assert!(parsed.names.is_empty());
        assert!(emit_negative_response(&reply).is_err());
        assert!(emit_negative_response(b"junk junk junk junk").is_err());
    }
}
