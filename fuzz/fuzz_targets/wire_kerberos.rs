//! Fuzzes the KRB-ERROR / AS-REP parser, the TCP record framing and the AS-REQ parser;
//! AS-REQs that parse are emitted again and must parse back equal (nonce kept to 31 bits).
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::kerberos::{self, AsRequest};

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = kerberos::parse(data) {
        let line = reply.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    }
    if let Ok(message) = kerberos::unframe_tcp(data) {
        let _ = kerberos::parse(message);
        let framed = kerberos::frame_tcp(message).expect("an unframed record fits");
        assert_eq!(data.get(..framed.len()), Some(framed.as_slice()));
    }
    if let Ok(request) = AsRequest::parse(data) {
        if let Ok(bytes) = request.emit() {
            let again = AsRequest::parse(&bytes).expect("own request parses");
            let expected = AsRequest {
                nonce: request.nonce & 0x7fff_ffff,
                ..request
            };
            assert_eq!(again, expected);
        }
    }
});
