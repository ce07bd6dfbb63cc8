//! Fuzzes fragment reassembly: the input is cut into PDUs by their own frag_length and fed
//! to a reassembler with small limits, which must stay within them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::dcerpc::pdu;
use portolan_wire::dcerpc::{CallOutcome, Reassembler, ReassemblyLimits};

fuzz_target!(|data: &[u8]| {
    let Some((call_id, stream)) = data.split_first_chunk::<4>() else {
        return;
    };
    let limits = ReassemblyLimits {
        max_stub: 8192,
        max_fragments: 16,
    };
    let mut reassembler = Reassembler::with_limits(u32::from_le_bytes(*call_id), limits);
    let mut rest = stream;
    while let Ok(length) = pdu::pdu_length(rest) {
        let Some((one, tail)) = rest.split_at_checked(length) else {
            break;
        };
        match reassembler.push(one) {
            Ok(Some(CallOutcome::Response(stub))) => {
                assert!(stub.len() <= limits.max_stub);
                assert!(reassembler.fragments() <= limits.max_fragments);
                assert!(reassembler.push(one).is_err());
                break;
            }
            Ok(Some(CallOutcome::Fault(_))) | Err(_) => break,
            Ok(None) => assert!(reassembler.fragments() <= limits.max_fragments),
        }
        rest = tail;
    }
    let _ = portolan_wire::dcerpc::reassembly::split_stream(stream, 64);
});
