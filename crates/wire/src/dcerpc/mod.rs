//! DCE/RPC over TCP and the endpoint mapper: how portolan turns "RPC dynamic ports" into
//! the real ports of a host.
//!
//! Specifications: C706 (DCE 1.1 RPC) chapter 12 for the connection-oriented PDUs,
//! chapter 14 for NDR, appendices I and L for towers, appendix O for the endpoint mapper;
//! [MS-RPCE] 2.1, 2.2.1.2 and 2.2.2 for Microsoft's extensions.
//!
//! What an enumeration of TCP 135 looks like, and which part does what:
//!
//! 1. send [`pdu::bind`] for [`EPM_SYNTAX`], read one PDU (its size comes from
//!    [`pdu::pdu_length`]) and check it with [`bind::BindAck::parse`] (or see why with
//!    [`pdu::Pdu::parse`]: bind_nak, fault);
//! 2. drive an [`epm::Lookup`]: send [`epm::Lookup::next_request`], feed every PDU of the
//!    answer to a [`reassembly::Reassembler`], give the stub to [`epm::Lookup::consume`],
//!    until `next_request` returns `None`;
//! 3. read each [`epm::EptEntry`]'s [`tower::Endpoint`]: protocol sequence, port, pipe, and
//!    the interface, named by [`names::lookup`].
//!
//! Subset: little-endian NDR only, no authentication (trailers are skipped), one
//! presentation context, no request fragmentation (our stubs are tiny), IPv4 tower
//! addresses. Every count and length from the peer is capped before use.

use core::fmt;

pub mod bind;
pub mod epm;
pub mod fault;
pub mod names;
pub mod ndr;
pub mod pdu;
pub mod reassembly;
pub mod tower;
pub mod uuid;

#[cfg(test)]
mod samba_tests;

pub use bind::{BindAck, BindNak};
pub use epm::{EptEntry, Lookup, LookupEnd, LookupLimits, LookupResponse, MapResponse};
pub use fault::Fault;
pub use ndr::ContextHandle;
pub use pdu::{Pdu, Response};
pub use reassembly::{CallOutcome, Reassembler, ReassemblyLimits};
pub use tower::{Endpoint, ProtocolSequence, Tower};
pub use uuid::{EPM_SYNTAX, NDR_SYNTAX, SyntaxId, Uuid};

/// Shows remote text safely: printable ASCII as is (backslashes too, so pipe names read
/// naturally), anything else as `\u{..}`, at most `limit` characters then `...`.
pub(crate) fn printable(text: &str, limit: usize) -> Printable<'_> {
    Printable { text, limit }
}

/// See [`printable`].
pub(crate) struct Printable<'a> {
    text: &'a str,
    limit: usize,
}

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.text.chars();
        for c in chars.by_ref().take(self.limit) {
            if c == ' ' || c.is_ascii_graphic() {
                write!(f, "{c}")?;
            } else {
                write!(f, "\\u{{{:x}}}", u32::from(c))?;
            }
        }
        if chars.next().is_some() {
            f.write_str("...")?;
        }
        Ok(())
    }
}
