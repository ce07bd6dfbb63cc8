//! The target grammar never panics, and what it accepts prints back to itself.

use portolan_core::target::{self, TargetList, TargetSpec};
use proptest::prelude::*;

fn target_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9a-fA-F:.%/\\-\\[\\]a-z@,# ]{0,40}",
        (any::<[u8; 4]>(), 0u8..40)
            .prop_map(|(o, p)| format!("{}.{}.{}.{}/{p}", o[0], o[1], o[2], o[3])),
        (any::<[u8; 4]>(), any::<u8>())
            .prop_map(|(o, e)| format!("{}.{}.{}.{}-{e}", o[0], o[1], o[2], o[3])),
        (any::<[u16; 8]>(), "[a-z0-9]{0,20}")
            .prop_map(|(s, scope)| format!("{}%{scope}", std::net::Ipv6Addr::from(s))),
    ]
}

proptest! {
    #[test]
    fn parsing_never_panics_and_round_trips(text in target_like()) {
        if let Ok(spec) = TargetSpec::parse(&text) {
            let again = TargetSpec::parse(&spec.to_string());
            prop_assert_eq!(again, Ok(spec.clone()));
            if let Some(block) = spec.block() {
                prop_assert_eq!(block.len(), spec.address_count());
                prop_assert_eq!(block.get(0), Some(block.first()));
            }
        }
    }

    #[test]
    fn files_never_panic(text in "[0-9a-f:.%/\\-a-z@,#\n ]{0,200}") {
        if let Ok(specs) = target::parse_targets(&["@f"], |_| Ok(text.clone())) {
            if target::check_size(&specs, true).is_ok() {
                let list = TargetList::build_with(
                    &specs,
                    |_| "192.0.2.1".parse().map_err(|_| String::new()),
                    |_| Ok(1),
                );
                if let Ok(list) = list {
                    prop_assert!(list.get(list.len()).is_none());
                    if let Some(last) = list.len().checked_sub(1) {
                        prop_assert!(list.get(last).is_some());
                    }
                }
            }
        }
    }
}
