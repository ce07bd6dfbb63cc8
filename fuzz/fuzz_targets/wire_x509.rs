//! Fuzzes the certificate summary: x509-parser plus the field picking and bounds of
//! `portolan_wire::x509`; the display line must stay printable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::x509;

fuzz_target!(|data: &[u8]| {
    if let Ok(cert) = x509::parse_certificate(data) {
        assert!(cert.to_string().bytes().all(|b| (0x20..=0x7e).contains(&b)));
        assert!(cert.dns_names.len() + cert.ip_addresses.len() <= x509::MAX_NAMES);
        let _ = cert.covers("apps.lab.example");
    }
});
