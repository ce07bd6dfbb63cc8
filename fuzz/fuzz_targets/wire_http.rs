//! Fuzzes the HTTP response-head and request readers and the RPC over HTTP greeting check;
//! a request that parses is emitted again and must read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::http;

fuzz_target!(|data: &[u8]| {
    if let Ok(head) = http::parse_response_head(data) {
        assert!(head.head_len <= data.len() && head.headers.len() <= http::MAX_HEADERS);
        assert!(head.to_string().bytes().all(|b| (0x20..=0x7e).contains(&b)));
        assert!(http::head_complete(data));
    }
    if let Ok(request) = http::parse_request(data) {
        let bytes = http::request(request.method, &request.host, &request.path)
            .expect("a parsed request re-emits");
        let again = http::parse_request(&bytes).expect("an emitted request parses");
        assert_eq!(
            (again.method, &again.host, &again.path),
            (request.method, &request.host, &request.path)
        );
    }
    if let Ok(greeting) = http::parse_rpc_over_http(data) {
        assert!(http::is_rpc_over_http(data));
        let _ = greeting.to_string();
    }
});
