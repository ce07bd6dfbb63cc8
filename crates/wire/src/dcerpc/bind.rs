//! The server's answer to a bind: bind_ack (C706 section 12.6.4.4) or bind_nak (12.6.4.5,
//! reasons extended by [MS-RPCE] 2.2.2.5).
//!
//! A bind_ack lists one result per proposed presentation context; ours proposes one, so
//! [`BindAck::accepted`] looks at the first. A bind_nak refuses the whole association and
//! may list the protocol versions the server speaks.

use core::fmt;

use crate::error::slice;
use crate::{Error, Result};

use super::pdu::{Packet, PacketType, le16, le32};
use super::printable;
use super::uuid::{SYNTAX_ID_LEN, SyntaxId};

/// Byte offsets in bind_ack and bind_nak PDUs.
mod field {
    pub const MAX_XMIT_FRAG: usize = 16;
    pub const MAX_RECV_FRAG: usize = 18;
    pub const ASSOC_GROUP: usize = 20;
    pub const SEC_ADDR: usize = 24;
    pub const REJECT_REASON: usize = 16;
    pub const NAK_VERSIONS: usize = 18;
}

/// How the server answered one proposed presentation context (`p_cont_def_result_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextResult {
    /// 0: the context can be used.
    Acceptance,
    /// 1
    UserRejection,
    /// 2
    ProviderRejection,
    /// 3: [MS-RPCE] bind time feature negotiation acknowledgement.
    NegotiateAck,
    /// Any other value.
    Other(u16),
}

impl ContextResult {
    fn from_u16(value: u16) -> ContextResult {
        match value {
            0 => ContextResult::Acceptance,
            1 => ContextResult::UserRejection,
            2 => ContextResult::ProviderRejection,
            3 => ContextResult::NegotiateAck,
            other => ContextResult::Other(other),
        }
    }
}

/// Name of a `provider_reason` code in a rejected context result.
pub fn context_reason_name(reason: u16) -> &'static str {
    match reason {
        0 => "reason not specified",
        1 => "abstract syntax not supported",
        2 => "proposed transfer syntaxes not supported",
        3 => "local limit exceeded",
        _ => "unknown reason",
    }
}

/// One entry of a bind_ack's result list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextAnswer {
    /// Accepted or why not.
    pub result: ContextResult,
    /// `provider_reason`, meaningful when rejected.
    pub reason: u16,
    /// The transfer syntax the server chose (nil when rejected).
    pub transfer_syntax: SyntaxId,
}

/// Longest secondary address kept (it is a port number or pipe name in practice).
const MAX_SECONDARY_ADDRESS: usize = 256;

/// A bind_ack (or alter_context_resp, same layout), C706 section 12.6.4.4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindAck {
    /// The call id of the bind it answers.
    pub call_id: u32,
    /// Largest fragment the server will send.
    pub max_xmit_frag: u16,
    /// Largest fragment the server accepts.
    pub max_recv_frag: u16,
    /// Association group the connection joined.
    pub assoc_group_id: u32,
    /// Secondary address: the server's port (`135`) or pipe, without the final NUL.
    pub secondary_address: String,
    /// One answer per proposed context, in order.
    pub results: Vec<ContextAnswer>,
}

impl BindAck {
    /// Parses a bind_ack or alter_context_resp PDU.
    pub fn parse(bytes: &[u8]) -> Result<BindAck> {
        let packet = Packet::new_checked(bytes)?;
        if !matches!(
            packet.packet_type(),
            PacketType::BindAck | PacketType::AlterContextResp
        ) {
            return Err(Error::Unexpected("DCE/RPC PDU is not a bind_ack"));
        }
        let body = packet.as_bytes().get(..packet.body_end()?).unwrap_or(&[]);
        crate::error::need(body, field::SEC_ADDR + 2, "DCE/RPC bind_ack")?;
        let address_len = usize::from(le16(body, field::SEC_ADDR));
        let address_start = field::SEC_ADDR + 2;
        let address = slice(
            body,
            address_start..address_start + address_len,
            "DCE/RPC bind_ack secondary address",
        )?;
        let address = address.split(|&b| b == 0).next().unwrap_or(&[]);
        let address = &address[..address.len().min(MAX_SECONDARY_ADDRESS)];
        // Kept within the bound after the lossy conversion too (a replacement character is
        // three bytes), so that what parses can be emitted again.
        let mut secondary_address = String::from_utf8_lossy(address).into_owned();
        let mut end = secondary_address.len().min(MAX_SECONDARY_ADDRESS);
        while !secondary_address.is_char_boundary(end) {
            end -= 1;
        }
        secondary_address.truncate(end);
        // The result list is 4-byte aligned from the start of the PDU.
        let list = (address_start + address_len + 3) & !3;
        crate::error::need(body, list + 4, "DCE/RPC bind_ack result list")?;
        let count = usize::from(body[list]);
        let mut results = Vec::with_capacity(count);
        for i in 0..count {
            let at = list + 4 + i * (4 + SYNTAX_ID_LEN);
            let entry = slice(body, at..at + 4 + SYNTAX_ID_LEN, "DCE/RPC bind_ack result")?;
            results.push(ContextAnswer {
                result: ContextResult::from_u16(le16(entry, 0)),
                reason: le16(entry, 2),
                transfer_syntax: SyntaxId::from_le_bytes(entry.get(4..).unwrap_or(&[]))?,
            });
        }
        Ok(BindAck {
            call_id: packet.call_id(),
            max_xmit_frag: le16(body, field::MAX_XMIT_FRAG),
            max_recv_frag: le16(body, field::MAX_RECV_FRAG),
            assoc_group_id: le32(body, field::ASSOC_GROUP),
            secondary_address,
            results,
        })
    }

    /// True when the first (our only) context was accepted.
    pub fn accepted(&self) -> bool {
        self.results
            .first()
            .is_some_and(|answer| answer.result == ContextResult::Acceptance)
    }
}

impl fmt::Display for BindAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DCE/RPC bind_ack: ")?;
        match self.results.first() {
            Some(answer) if answer.result == ContextResult::Acceptance => {
                write!(f, "accepted ({})", answer.transfer_syntax.uuid)?
            }
            Some(answer) => write!(
                f,
                "rejected ({:?}, {})",
                answer.result,
                context_reason_name(answer.reason)
            )?,
            None => f.write_str("no context results")?,
        }
        write!(
            f,
            ", max frag {}/{}, secondary address \"{}\"",
            self.max_xmit_frag,
            self.max_recv_frag,
            printable(&self.secondary_address, 32)
        )
    }
}

/// Name of a bind_nak `provider_reject_reason` (C706 section 12.6.3.1, [MS-RPCE] 2.2.2.5).
pub fn reject_reason_name(reason: u16) -> &'static str {
    match reason {
        0 => "reason not specified",
        1 => "temporary congestion",
        2 => "local limit exceeded",
        3 => "called address unknown",
        4 => "protocol version not supported",
        5 => "default context not supported",
        6 => "user data not readable",
        7 => "no PSAP available",
        8 => "authentication type not recognized",
        9 => "invalid checksum",
        _ => "unknown reason",
    }
}

/// A bind_nak: the server refused the association (C706 section 12.6.4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindNak {
    /// The call id of the bind it answers.
    pub call_id: u32,
    /// `provider_reject_reason`, see [`reject_reason_name`].
    pub reason: u16,
    /// Protocol versions (major, minor) the server supports, when it lists them.
    pub versions: Vec<(u8, u8)>,
}

impl BindNak {
    /// Parses a bind_nak PDU. The version list is optional: old servers stop after the reason.
    pub fn parse(bytes: &[u8]) -> Result<BindNak> {
        let packet = Packet::new_checked(bytes)?;
        packet.expect(PacketType::BindNak, "DCE/RPC PDU is not a bind_nak")?;
        let body = packet.as_bytes();
        crate::error::need(body, field::REJECT_REASON + 2, "DCE/RPC bind_nak")?;
        let mut versions = Vec::new();
        if let Some(&count) = body.get(field::NAK_VERSIONS) {
            for i in 0..usize::from(count) {
                let at = field::NAK_VERSIONS + 1 + 2 * i;
                match body.get(at..at + 2) {
                    Some(&[major, minor]) => versions.push((major, minor)),
                    _ => {
                        return Err(Error::truncated(
                            "DCE/RPC bind_nak version list",
                            at + 2,
                            body.len(),
                        ));
                    }
                }
            }
        }
        Ok(BindNak {
            call_id: packet.call_id(),
            reason: le16(body, field::REJECT_REASON),
            versions,
        })
    }
}

impl fmt::Display for BindNak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DCE/RPC bind_nak: {} (reason {})",
            reject_reason_name(self.reason),
            self.reason
        )?;
        for (i, (major, minor)) in self.versions.iter().take(4).enumerate() {
            let lead = if i == 0 { ", server speaks " } else { ", " };
            write!(f, "{lead}{major}.{minor}")?;
        }
        Ok(())
    }
}

impl BindNak {
    /// Encodes the bind_nak, the inverse of [`BindNak::parse`]: the reason and the version
    /// list (at most 255 versions), padded to four bytes.
    pub fn emit(&self) -> Result<Vec<u8>> {
        let count = u8::try_from(self.versions.len())
            .map_err(|_| Error::too_large("DCE/RPC bind_nak versions", self.versions.len(), 255))?;
        let mut body = Vec::with_capacity(3 + 2 * self.versions.len());
        body.extend_from_slice(&self.reason.to_le_bytes());
        body.push(count);
        for &(major, minor) in &self.versions {
            body.extend_from_slice(&[major, minor]);
        }
        // Padded to a multiple of four from the start of the PDU, as Samba sends it.
        while (16 + body.len()) % 4 != 0 {
            body.push(0);
        }
        super::pdu::with_header(PacketType::BindNak, self.call_id, &body)
    }
}

impl ContextResult {
    fn to_u16(self) -> u16 {
        match self {
            ContextResult::Acceptance => 0,
            ContextResult::UserRejection => 1,
            ContextResult::ProviderRejection => 2,
            ContextResult::NegotiateAck => 3,
            ContextResult::Other(other) => other,
        }
    }
}

impl BindAck {
    /// Encodes the bind_ack (a server's answer; used by `portolan listen`'s endpoint mapper
    /// and round-trip tests). The secondary address gets its final NUL; at most 255 results.
    pub fn emit(&self) -> Result<Vec<u8>> {
        if self.secondary_address.len() > MAX_SECONDARY_ADDRESS {
            return Err(Error::too_large(
                "DCE/RPC bind_ack secondary address",
                self.secondary_address.len(),
                MAX_SECONDARY_ADDRESS,
            ));
        }
        let count = u8::try_from(self.results.len())
            .map_err(|_| Error::too_large("DCE/RPC bind_ack results", self.results.len(), 255))?;
        let mut body = Vec::new();
        body.extend_from_slice(&self.max_xmit_frag.to_le_bytes());
        body.extend_from_slice(&self.max_recv_frag.to_le_bytes());
        body.extend_from_slice(&self.assoc_group_id.to_le_bytes());
        let address_len = self.secondary_address.len() + 1;
        body.extend_from_slice(&(address_len as u16).to_le_bytes());
        body.extend_from_slice(self.secondary_address.as_bytes());
        body.push(0);
        // The result list is 4-byte aligned from the start of the PDU (16-byte header).
        while (16 + body.len()) % 4 != 0 {
            body.push(0);
        }
        body.extend_from_slice(&[count, 0, 0, 0]);
        for answer in &self.results {
            body.extend_from_slice(&answer.result.to_u16().to_le_bytes());
            body.extend_from_slice(&answer.reason.to_le_bytes());
            body.extend_from_slice(&answer.transfer_syntax.to_le_bytes());
        }
        super::pdu::with_header(super::pdu::PacketType::BindAck, self.call_id, &body)
    }

    /// The acceptance of a bind's one context in NDR, as a server at port `secondary`.
    pub fn accepting(call_id: u32, secondary: &str) -> BindAck {
        BindAck {
            call_id,
            max_xmit_frag: super::pdu::DEFAULT_MAX_FRAG,
            max_recv_frag: super::pdu::DEFAULT_MAX_FRAG,
            assoc_group_id: 0x0001_2345,
            secondary_address: secondary.to_string(),
            results: vec![ContextAnswer {
                result: ContextResult::Acceptance,
                reason: 0,
                transfer_syntax: super::uuid::NDR_SYNTAX,
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dcerpc::fixtures::{BIND_ACK, BIND_NAK, BIND_UNKNOWN};
    use crate::dcerpc::pdu::Pdu;
    use crate::dcerpc::uuid::NDR_SYNTAX;

    #[test]
    fn samba_bind_ack() {
        let ack = BindAck::parse(BIND_ACK).unwrap();
        assert!(ack.accepted());
        assert_eq!(ack.call_id, 1);
        assert_eq!((ack.max_xmit_frag, ack.max_recv_frag), (4280, 4280));
        assert_eq!(ack.secondary_address, "135");
        assert_eq!(ack.results.len(), 1);
        assert_eq!(ack.results[0].transfer_syntax, NDR_SYNTAX);
        assert_eq!(
            ack.to_string(),
            "DCE/RPC bind_ack: accepted (8a885d04-1ceb-11c9-9fe8-08002b104860), \
             max frag 4280/4280, secondary address \"135\""
        );
        assert!(matches!(Pdu::parse(BIND_ACK).unwrap(), Pdu::BindAck(_)));
    }

    #[test]
    fn samba_rejects_an_unknown_interface() {
        let ack = BindAck::parse(BIND_UNKNOWN).unwrap();
        assert!(!ack.accepted());
        assert_eq!(ack.results[0].result, ContextResult::ProviderRejection);
        assert_eq!(ack.results[0].reason, 1);
        assert!(ack.to_string().contains("abstract syntax not supported"));
    }

    #[test]
    fn samba_bind_nak() {
        let nak = BindNak::parse(BIND_NAK).unwrap();
        assert_eq!(nak.reason, 4);
        assert_eq!(nak.versions, vec![(5, 0)]);
        assert_eq!(
            nak.to_string(),
            "DCE/RPC bind_nak: protocol version not supported (reason 4), server speaks 5.0"
        );
        // A bind_nak that stops after the reason, as old servers send it.
        let mut short = BIND_NAK[..18].to_vec();
        short[8] = 18;
        assert_eq!(BindNak::parse(&short).unwrap().versions, vec![]);
        assert!(matches!(
            BindAck::parse(BIND_NAK),
            Err(Error::Unexpected(_))
        ));
    }

    #[test]
    fn an_emitted_bind_ack_parses_back() {
        for address in ["135", "", "\\pipe\\epmapper"] {
            let ack = BindAck::accepting(7, address);
            let bytes = ack.emit().unwrap();
            assert_eq!(BindAck::parse(&bytes).unwrap(), ack);
        }
    }

    /// Regression (found by the round trip): a secondary address of 256 bytes that are not
    /// UTF-8 became 768 bytes of replacement characters, which emit refused.
    #[test]
    fn a_non_utf8_secondary_address_stays_within_the_bound() {
        let mut bytes = BindAck::accepting(3, &"a".repeat(MAX_SECONDARY_ADDRESS))
            .emit()
            .unwrap();
        let start = field::SEC_ADDR + 2;
        bytes[start..start + MAX_SECONDARY_ADDRESS].fill(0xff);
        let ack = BindAck::parse(&bytes).unwrap();
        assert!(ack.secondary_address.len() <= MAX_SECONDARY_ADDRESS);
        assert_eq!(BindAck::parse(&ack.emit().unwrap()).unwrap(), ack);
    }

    #[test]
    fn an_emitted_bind_nak_parses_back() {
        let nak = BindNak::parse(BIND_NAK).unwrap();
        assert_eq!(nak.emit().unwrap(), BIND_NAK);
        let bare = BindNak {
            call_id: 9,
            reason: 1,
            versions: Vec::new(),
        };
        assert_eq!(BindNak::parse(&bare.emit().unwrap()).unwrap(), bare);
    }
}
