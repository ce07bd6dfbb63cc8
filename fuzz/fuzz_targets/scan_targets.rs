//! Fuzzes the target grammar of every command (`portolan_core::target`): one target per
//! line and the same text as an `@file`. What parses must print back to itself, count its
//! addresses consistently and index them without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_core::target::{self, TargetList, TargetSpec};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.lines().take(64) {
        if let Ok(spec) = TargetSpec::parse(line) {
            let again = TargetSpec::parse(&spec.to_string()).expect("printed targets parse");
            assert_eq!(again, spec);
            if let Some(block) = spec.block() {
                assert_eq!(block.len(), spec.address_count());
                assert_eq!(block.get(0), Some(block.first()));
            }
        }
    }
    let from_file = target::parse_targets(&["@fuzz"], |_| Ok(text.to_string()));
    if let Ok(specs) = from_file {
        let _ = target::check_size(&specs, false);
        if target::check_size(&specs, true).is_ok()
            && let Ok(list) =
                TargetList::build_with(&specs, |_| Ok("192.0.2.1".parse().unwrap()), |_| Ok(1))
        {
            for i in (0..list.len()).take(32) {
                assert!(list.get(i).is_some());
            }
            assert!(list.get(list.len()).is_none());
            if let Some(last) = list.len().checked_sub(1) {
                assert!(list.get(last).is_some());
            }
        }
    }
});
