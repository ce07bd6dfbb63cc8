//! Fault PDUs (C706 section 12.6.4.7) and the names of the status codes they and the
//! endpoint mapper's `status` arguments carry (C706 appendix E, [MS-RPCE] 2.2.2.11 and
//! 2.2.1.2).

use core::fmt;

use crate::Result;

use super::pdu::{Packet, PacketType, field, flags, le16, le32};

/// Offset of the status in a fault PDU.
const FAULT_STATUS: usize = 24;

/// The `EPT_S_NOT_REGISTERED` status: the endpoint map has no (more) matching entries.
pub const EPT_S_NOT_REGISTERED: u32 = 0x16c9_a0d6;

/// The `nca_s_op_rng_error` status: the interface has no operation of that number.
pub const NCA_S_OP_RNG_ERROR: u32 = 0x1c01_0002;

/// Name of a fault or call status code: C706 appendix E (`nca_s_*`), the Windows codes
/// [MS-RPCE] 2.2.2.11 lists for faults, and the endpoint mapper's statuses.
pub fn status_name(status: u32) -> Option<&'static str> {
    Some(match status {
        0 => "success",
        0x0000_0005 => "access denied",
        0x0000_06d1 => "RPC_S_PROCNUM_OUT_OF_RANGE",
        0x0000_06d8 => "EPT_S_CANT_PERFORM_OP",
        0x0000_06e4 => "RPC_S_CANNOT_SUPPORT",
        0x0000_06f7 => "RPC_X_BAD_STUB_DATA",
        0x1c00_0001 => "nca_s_fault_int_div_by_zero",
        0x1c00_0002 => "nca_s_fault_addr_error",
        0x1c00_0003 => "nca_s_fault_fp_div_zero",
        0x1c00_0004 => "nca_s_fault_fp_underflow",
        0x1c00_0005 => "nca_s_fault_fp_overflow",
        0x1c00_0006 => "nca_s_fault_invalid_tag",
        0x1c00_0007 => "nca_s_fault_invalid_bound",
        0x1c00_0008 => "nca_s_rpc_version_mismatch",
        0x1c00_0009 => "nca_s_unspec_reject",
        0x1c00_000a => "nca_s_bad_actid",
        0x1c00_000b => "nca_s_who_are_you_failed",
        0x1c00_000c => "nca_s_manager_not_entered",
        0x1c00_000d => "nca_s_fault_cancel",
        0x1c00_000e => "nca_s_fault_ill_inst",
        0x1c00_000f => "nca_s_fault_fp_error",
        0x1c00_0010 => "nca_s_fault_int_overflow",
        0x1c00_0012 => "nca_s_fault_unspec",
        0x1c00_0013 => "nca_s_fault_remote_comm_failure",
        0x1c00_0014 => "nca_s_fault_pipe_empty",
        0x1c00_0015 => "nca_s_fault_pipe_closed",
        0x1c00_0016 => "nca_s_fault_pipe_order",
        0x1c00_0017 => "nca_s_fault_pipe_discipline",
        0x1c00_0018 => "nca_s_fault_pipe_comm_error",
        0x1c00_0019 => "nca_s_fault_pipe_memory",
        0x1c00_001a => "nca_s_fault_context_mismatch",
        0x1c00_001b => "nca_s_fault_remote_no_memory",
        0x1c00_001c => "nca_s_invalid_pres_context_id",
        0x1c00_001d => "nca_s_unsupported_authn_level",
        0x1c00_001f => "nca_s_invalid_checksum",
        0x1c00_0020 => "nca_s_invalid_crc",
        0x1c00_0021 => "nca_s_fault_user_defined",
        0x1c00_0022 => "nca_s_fault_tx_open_failed",
        0x1c00_0023 => "nca_s_fault_codeset_conv_error",
        0x1c00_0024 => "nca_s_fault_object_not_found",
        0x1c00_0025 => "nca_s_fault_no_client_stub",
        0x1c01_0001 => "nca_s_comm_failure",
        NCA_S_OP_RNG_ERROR => "nca_s_op_rng_error",
        0x1c01_0003 => "nca_s_unk_if",
        0x1c01_0006 => "nca_s_wrong_boot_time",
        0x1c01_0009 => "nca_s_you_crashed",
        0x1c01_000b => "nca_s_proto_error",
        0x1c01_0013 => "nca_s_out_args_too_big",
        0x1c01_0014 => "nca_s_server_too_busy",
        0x1c01_0015 => "nca_s_fault_string_too_long",
        0x1c01_0017 => "nca_s_unsupported_type",
        EPT_S_NOT_REGISTERED => "EPT_S_NOT_REGISTERED",
        _ => return None,
    })
}

/// A fault PDU: the call failed with a status code (C706 section 12.6.4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// The call id of the request it answers.
    pub call_id: u32,
    /// `pfc_flags`; [`flags::DID_NOT_EXECUTE`] says the operation never ran.
    pub flags: u8,
    /// Presentation context of the call.
    pub context_id: u16,
    /// The status code, see [`status_name`].
    pub status: u32,
}

impl Fault {
    /// Parses a fault PDU.
    pub fn parse(bytes: &[u8]) -> Result<Fault> {
        let packet = Packet::new_checked(bytes)?;
        packet.expect(PacketType::Fault, "DCE/RPC PDU is not a fault")?;
        let body = packet.as_bytes();
        crate::error::need(body, FAULT_STATUS + 4, "DCE/RPC fault")?;
        Ok(Fault {
            call_id: packet.call_id(),
            flags: packet.flags(),
            context_id: le16(body, field::CONTEXT_ID),
            status: le32(body, FAULT_STATUS),
        })
    }

    /// Encodes the fault PDU, the inverse of [`Fault::parse`]: a single fragment with the
    /// fault's own flags, no stub data. A server answers an operation it does not offer
    /// with `nca_s_op_rng_error` and [`flags::DID_NOT_EXECUTE`].
    pub fn emit(&self) -> Result<Vec<u8>> {
        let mut body = Vec::with_capacity(16);
        body.extend_from_slice(&0u32.to_le_bytes()); // alloc_hint
        body.extend_from_slice(&self.context_id.to_le_bytes());
        body.extend_from_slice(&[0, 0]); // cancel count, reserved
        body.extend_from_slice(&self.status.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes()); // reserved
        super::pdu::with_header_flags(PacketType::Fault, self.flags, self.call_id, &body)
    }

    /// The status name, when known.
    pub fn status_name(&self) -> Option<&'static str> {
        status_name(self.status)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DCE/RPC fault: {} (0x{:08x}), call {}{}",
            self.status_name().unwrap_or("unknown status"),
            self.status,
            self.call_id,
            if self.flags & flags::DID_NOT_EXECUTE != 0 {
                ", not executed"
            } else {
                ""
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dcerpc::fixtures::FAULT;

    #[test]
    fn samba_fault_for_an_unknown_opnum() {
        let fault = Fault::parse(FAULT).unwrap();
        assert_eq!(fault.status, 0x1c01_0002);
        assert_eq!(fault.call_id, 4);
        assert_eq!(
            fault.to_string(),
            "DCE/RPC fault: nca_s_op_rng_error (0x1c010002), call 4, not executed"
        );
        assert_eq!(status_name(5), Some("access denied"));
        assert_eq!(status_name(0x1c01_0003), Some("nca_s_unk_if"));
        assert_eq!(status_name(0x1234_5678), None);
    }
}
