//! The Samba 4.17 captures that several DCE/RPC test modules read
//! (`tests/fixtures/dcerpc/README.md` says how they were taken).

/// The bytes of `tests/fixtures/dcerpc/NAME`.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../tests/fixtures/dcerpc/", $name))
    };
}
pub(super) use fixture;

/// bind_ack to our endpoint mapper bind: context accepted (NDR), secondary address `135`.
pub(super) const BIND_ACK: &[u8] = fixture!("samba-4.17-epm-bind-ack.bin");
/// bind_ack to a bind of a made-up interface: provider rejection, abstract syntax not
/// supported.
pub(super) const BIND_UNKNOWN: &[u8] = fixture!("samba-4.17-bind-unknown-if.bin");
/// bind_nak to a bind whose header says RPC version 4: protocol version not supported,
/// the server speaks 5.0.
pub(super) const BIND_NAK: &[u8] = fixture!("samba-4.17-bind-version4.bin");
/// fault to a call of opnum 99 on the mapper: `nca_s_op_rng_error`, did-not-execute.
pub(super) const FAULT: &[u8] = fixture!("samba-4.17-epm-fault-opnum99.bin");
/// ept_lookup answer that ends a walk: no entries, null handle, `EPT_S_NOT_REGISTERED`.
pub(super) const LOOKUP_END: &[u8] = fixture!("samba-4.17-ept-lookup-2.bin");
