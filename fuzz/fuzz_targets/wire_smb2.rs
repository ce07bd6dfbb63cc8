//! Fuzzes the SMB negotiate-response, NEGOTIATE-request and NetBIOS session readers; a
//! request that parses is emitted again and must read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::smb2;

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = smb2::parse_negotiate_response(data) {
        assert!(smb2::is_complete(data));
        let line = reply.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    }
    if let Ok(response) = smb2::parse_session_response(data) {
        let _ = response.to_string();
    }
    if let Ok((called, calling)) = smb2::parse_session_request(data) {
        if called.suffix == 0x20 && calling.suffix == 0 {
            let bytes = smb2::session_request(&called.name, &calling.name).expect("re-emits");
            let (called_back, calling_back) = smb2::parse_session_request(&bytes).expect("parses");
            assert_eq!(called_back.name, called.name.to_ascii_uppercase());
            assert_eq!(calling_back.name, calling.name.to_ascii_uppercase());
        }
    }
    if let Ok(request) = smb2::NegotiateRequest::parse(data) {
        let bytes = request.emit().expect("a parsed request re-emits");
        assert_eq!(smb2::NegotiateRequest::parse(&bytes), Ok(request));
    }
});
