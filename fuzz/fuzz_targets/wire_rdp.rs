//! Fuzzes the X.224 Connection Confirm and Connection Request readers; a request that
//! parses (without correlation info) is emitted again and must read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::rdp;

fuzz_target!(|data: &[u8]| {
    if let Ok(confirm) = rdp::parse_connection_confirm(data) {
        assert!(rdp::is_complete(data));
        let line = confirm.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    }
    if let Ok(request) = rdp::ConnectionRequest::parse(data) {
        if let Ok(bytes) = request.emit() {
            assert_eq!(rdp::ConnectionRequest::parse(&bytes), Ok(request));
        }
    }
});
