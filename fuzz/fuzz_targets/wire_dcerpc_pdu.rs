//! Fuzzes the connection-oriented PDU parsers: the length prefix, the typed dispatch and
//! each PDU parser, and checks that what parses agrees with the header it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::dcerpc::pdu::{self, Packet, Pdu};
use portolan_wire::dcerpc::{BindAck, BindNak, Fault, Response};

fuzz_target!(|data: &[u8]| {
    let length = pdu::pdu_length(data);
    if let Ok(parsed) = Pdu::parse(data) {
        // A PDU that parses has a length prefix that says it fits.
        let length = length.expect("parsed PDU without a valid length prefix");
        assert!(length <= data.len() && length >= pdu::HEADER_LEN);
        assert!(parsed.to_string().len() < 200);
        if let Pdu::Response(response) = parsed {
            assert!(response.stub.len() <= length);
        }
    }
    if let Ok(packet) = Packet::new_checked(data) {
        let _ = packet.stub();
        assert_eq!(packet.as_bytes().len(), packet.frag_length());
    }
    let _ = BindAck::parse(data).map(|ack| ack.accepted());
    let _ = BindNak::parse(data).map(|nak| nak.to_string());
    let _ = Fault::parse(data).map(|fault| fault.to_string());
    let _ = Response::parse(data).map(|response| response.to_string());
});
