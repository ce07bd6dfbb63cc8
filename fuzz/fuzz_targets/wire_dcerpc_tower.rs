//! Fuzzes tower parsing: whatever parses is written again and must parse to the same
//! floors; a typed endpoint written back as a tower must read back the same after one
//! normalising pass (absent ports and addresses become 0).
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::dcerpc::{Endpoint, Tower};

fuzz_target!(|data: &[u8]| {
    let Ok(tower) = Tower::parse(data) else {
        return;
    };
    let bytes = tower.emit().expect("a parsed tower can be written");
    assert_eq!(Tower::parse(&bytes).as_ref(), Ok(&tower));
    let Ok(endpoint) = Endpoint::from_tower(&tower) else {
        return;
    };
    let _ = endpoint.describe("192.0.2.1");
    let Ok(again) = endpoint.to_tower() else {
        return;
    };
    let first = Endpoint::parse(&again.emit().expect("emit")).expect("own tower parses");
    assert_eq!(first.interface, endpoint.interface);
    assert_eq!(first.transfer, endpoint.transfer);
    assert_eq!(first.protocol, endpoint.protocol);
    let second = Endpoint::parse(&first.to_tower().expect("tower").emit().expect("emit"))
        .expect("own tower parses");
    assert_eq!(second, first);
});
