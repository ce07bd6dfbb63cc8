//! Fuzzes the reader of services files (Windows' services file behind the audit's port names,
//! nmap-services behind the scan's): every entry it gives comes from one line of the input.
#![no_main]

use portolan_catalog::services_file::entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count();
    let mut read = 0;
    for entry in entries(text) {
        read += 1;
        assert!(!entry.name.is_empty() && !entry.name.contains(char::is_whitespace));
        assert!(!entry.name.contains('#'));
        assert!(entry.fields().all(|f| !f.is_empty() && !f.contains('#')));
    }
    assert!(read <= lines);
});
