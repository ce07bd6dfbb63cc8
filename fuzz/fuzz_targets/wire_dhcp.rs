//! Fuzzes the BOOTP/DHCP reply parser and its PXE sub-option helpers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::dhcp;

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = dhcp::Reply::parse(data) {
        let line = reply.to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        let _ = reply.pxe_menu();
        let _ = reply.pxe_boot_item();
        assert!(reply.option_codes.len() <= dhcp::MAX_OPTIONS);
        if let Some(mac) = reply.chaddr.first_chunk::<6>() {
            assert!(dhcp::parse_reply_to(data, reply.xid, *mac).is_ok());
        }
    }
});
