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
mod fixtures;
#[cfg(test)]
mod samba_tests;

pub use bind::{BindAck, BindNak};
pub use epm::{
    EptEntry, Lookup, LookupEnd, LookupLimits, LookupRequest, LookupResponse, MapResponse,
};
pub use fault::Fault;
pub use ndr::ContextHandle;
pub use pdu::{Pdu, Request, Response};
pub use reassembly::{CallOutcome, Reassembler, ReassemblyLimits};
pub use tower::{Endpoint, ProtocolSequence, Tower};
pub use uuid::{EPM_SYNTAX, NDR_SYNTAX, SyntaxId, Uuid};

/// Shows remote text safely: printable ASCII as is (backslashes too, so pipe names read
/// naturally), anything else as `\u{..}`; at most `limit` characters of output, then `...`.
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
        let mut width = 0;
        for c in self.text.chars() {
            let piece = if c == ' ' || c.is_ascii_graphic() {
                c.to_string()
            } else {
                format!("\\u{{{:x}}}", u32::from(c))
            };
            width += piece.len();
            if width > self.limit {
                return f.write_str("...");
            }
            f.write_str(&piece)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn printable_escapes_and_bounds_remote_text() {
        assert_eq!(printable("\\pipe\\lsass", 64).to_string(), "\\pipe\\lsass");
        assert_eq!(printable("a\x1b[2Jb", 64).to_string(), "a\\u{1b}[2Jb");
        assert_eq!(printable("\u{202e}", 64).to_string(), "\\u{202e}");
        assert_eq!(printable("abcdef", 4).to_string(), "abcd...");
        assert_eq!(
            printable(&"\u{7}".repeat(100), 20).to_string().len(),
            20 + 3
        );
    }
}
