//! Fuzzes every greeting reader, the Telnet refusal builder, the banner classifier and the
//! LPD request and answer readers; requests that parse are emitted again and must match.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::greeting::{self, Protocol};

fuzz_target!(|data: &[u8]| {
    for protocol in [
        Protocol::Ftp,
        Protocol::Smtp,
        Protocol::Pop3,
        Protocol::Imap,
        Protocol::Nntp,
    ] {
        if let Ok(found) = greeting::parse(protocol, data) {
            assert!(
                found
                    .to_string()
                    .bytes()
                    .all(|b| (0x20..=0x7e).contains(&b))
            );
            assert!(found.lines.len() <= greeting::MAX_LINES);
        }
        let _ = greeting::is_complete(protocol, data);
    }
    if let Ok(telnet) = greeting::parse_telnet(data) {
        let _ = telnet.to_string();
        let refusal = greeting::telnet_refusal(&telnet);
        if !refusal.is_empty() {
            let answered = greeting::parse_telnet(&refusal).expect("refusal parses");
            assert!(answered.matched && !answered.partial);
        }
    }
    let _ = greeting::telnet_complete(data);
    let _ = greeting::classify(data).to_string();
    if let Ok(state) = greeting::parse_lpd_queue_state(data) {
        let _ = state.to_string();
    }
    if let Ok(request) = greeting::parse_lpd_queue_request(data) {
        let operands: Vec<&str> = request.operands.iter().map(String::as_str).collect();
        let bytes = greeting::lpd_queue_state_request(request.listing, &request.queue, &operands)
            .expect("a parsed request re-emits");
        assert_eq!(greeting::parse_lpd_queue_request(&bytes), Ok(request));
    }
});
