//! Joining the response fragments of one call (C706 section 12.6.3.7).
//!
//! A server splits a long answer into fragments of at most the negotiated size (4280 bytes
//! from Windows and Samba), flagging the first and the last. The reassembler checks that
//! the fragments belong to the expected call and come in a sensible order, and caps the
//! stub size and the number of fragments. `alloc_hint` is advisory and never sizes a
//! buffer: a hostile server could claim 4 GiB in it.

use core::fmt;

use crate::error::check_room;
use crate::{Error, Result};

use super::fault::Fault;
use super::pdu::{Packet, PacketType, Response};

/// Bounds of one reassembled call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyLimits {
    /// Largest stub accepted in total, in bytes.
    pub max_stub: usize,
    /// Most fragments accepted for one call.
    pub max_fragments: usize,
}

impl Default for ReassemblyLimits {
    /// 4 MiB and 1024 fragments: a full 500-entry `ept_lookup` answer is under 64 KiB.
    fn default() -> Self {
        ReassemblyLimits {
            max_stub: 4 << 20,
            max_fragments: 1024,
        }
    }
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// The whole response stub, fragments joined.
    Response(Vec<u8>),
    /// The server answered with a fault (possibly after some fragments).
    Fault(Fault),
}

impl fmt::Display for CallOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallOutcome::Response(stub) => {
                write!(f, "DCE/RPC response: {} stub bytes", stub.len())
            }
            CallOutcome::Fault(fault) => fault.fmt(f),
        }
    }
}

/// Collects the fragments of the answer to one call.
#[derive(Debug, Clone)]
pub struct Reassembler {
    call_id: u32,
    limits: ReassemblyLimits,
    stub: Vec<u8>,
    fragments: usize,
    finished: bool,
}

impl Reassembler {
    /// Expects the answer to `call_id`, with default limits.
    pub fn new(call_id: u32) -> Reassembler {
        Reassembler::with_limits(call_id, ReassemblyLimits::default())
    }

    /// Expects the answer to `call_id`, with the given limits.
    pub fn with_limits(call_id: u32, limits: ReassemblyLimits) -> Reassembler {
        Reassembler {
            call_id,
            limits,
            stub: Vec::new(),
            fragments: 0,
            finished: false,
        }
    }

    /// Fragments taken so far.
    pub fn fragments(&self) -> usize {
        self.fragments
    }

    /// Takes the next PDU read from the connection. Returns `Ok(None)` while more
    /// fragments are due, `Ok(Some(_))` when the call is answered, and an error for a PDU
    /// that does not belong (other call id, other type, order broken, limits exceeded).
    pub fn push(&mut self, pdu: &[u8]) -> Result<Option<CallOutcome>> {
        if self.finished {
            return Err(Error::Unexpected("DCE/RPC call already answered"));
        }
        let packet = Packet::new_checked(pdu)?;
        if packet.call_id() != self.call_id {
            return Err(Error::Unexpected("DCE/RPC PDU answers another call"));
        }
        match packet.packet_type() {
            PacketType::Fault => {
                self.finished = true;
                return Ok(Some(CallOutcome::Fault(Fault::parse(pdu)?)));
            }
            PacketType::Response => {}
            _ => return Err(Error::Unexpected("DCE/RPC PDU is not a response")),
        }
        let response = Response::parse(pdu)?;
        if self.fragments == 0 && !response.is_first() {
            return Err(Error::malformed(
                "DCE/RPC response fragments",
                "first fragment lacks the first-fragment flag",
            ));
        }
        if self.fragments > 0 && response.is_first() {
            return Err(Error::malformed(
                "DCE/RPC response fragments",
                "first-fragment flag in the middle of a call",
            ));
        }
        if self.fragments >= self.limits.max_fragments {
            return Err(Error::too_large(
                "DCE/RPC response fragment count",
                self.fragments + 1,
                self.limits.max_fragments,
            ));
        }
        let total = self.stub.len() + response.stub.len();
        if total > self.limits.max_stub {
            return Err(Error::too_large(
                "DCE/RPC response stub",
                total,
                self.limits.max_stub,
            ));
        }
        self.stub.extend_from_slice(response.stub);
        self.fragments += 1;
        if response.is_last() {
            self.finished = true;
            return Ok(Some(CallOutcome::Response(core::mem::take(&mut self.stub))));
        }
        Ok(None)
    }
}

/// Reassembles a call from PDUs already split (tests and offline captures).
pub fn reassemble<'a>(
    call_id: u32,
    pdus: impl IntoIterator<Item = &'a [u8]>,
) -> Result<CallOutcome> {
    let mut reassembler = Reassembler::new(call_id);
    for pdu in pdus {
        if let Some(outcome) = reassembler.push(pdu)? {
            return Ok(outcome);
        }
    }
    Err(Error::truncated(
        "DCE/RPC response fragments (no last fragment)",
        reassembler.fragments() + 1,
        reassembler.fragments(),
    ))
}

/// Splits a byte stream into whole PDUs by their `frag_length`; a partial PDU at the end
/// is an error. At most `max_pdus` are returned.
pub fn split_stream(stream: &[u8], max_pdus: usize) -> Result<Vec<&[u8]>> {
    let mut pdus = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        check_room(&pdus, max_pdus, "DCE/RPC PDUs in stream")?;
        let length = super::pdu::pdu_length(rest)?;
        let (pdu, tail) = rest.split_at_checked(length).ok_or(Error::truncated(
            "DCE/RPC PDU in stream",
            length,
            rest.len(),
        ))?;
        pdus.push(pdu);
        rest = tail;
    }
    Ok(pdus)
}
