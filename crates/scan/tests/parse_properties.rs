//! Properties of target and port parsing: any text is either parsed or refused with a
//! message (never a panic), what is parsed prints back to itself, counts add up, and the
//! resolved port lists are sorted, distinct and within 1-65535.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use portolan_catalog::{Catalog, Transport};
use portolan_core::target::TargetList;
use portolan_core::target::{self, TargetSpec};
use portolan_scan::ports::resolve_ports;
use proptest::prelude::*;

fn no_files(_: &str) -> Result<String, String> {
    Err("no files in this test".into())
}

proptest! {
    #[test]
    fn any_target_text_parses_or_explains(text in "\\PC{0,40}") {
        match TargetSpec::parse(&text) {
            Ok(spec) => prop_assert!(spec.address_count() >= 1 || matches!(spec, TargetSpec::Network(_))),
            Err(e) => {
                prop_assert!(!e.problem.is_empty());
                prop_assert!(!e.fix.is_empty());
            }
        }
    }

    #[test]
    fn target_like_text_parses_or_explains(text in "[0-9a-f:.\\-/\\[\\]]{0,45}") {
        let _ = TargetSpec::parse(&text);
        let _ = target::parse_targets(&[text.as_str()], no_files);
    }

    #[test]
    fn ipv4_ranges_print_back_and_count(a in any::<u32>(), len in 0u32..5000) {
        let b = a.saturating_add(len);
        let text = format!("{}-{}", Ipv4Addr::from(a), Ipv4Addr::from(b));
        let spec = TargetSpec::parse(&text).unwrap();
        prop_assert_eq!(spec.address_count(), u128::from(b - a) + 1);
        prop_assert_eq!(TargetSpec::parse(&spec.to_string()).unwrap(), spec);
    }

    #[test]
    fn reversed_ranges_are_refused(a in any::<u32>(), b in any::<u32>()) {
        prop_assume!(a > b);
        let text = format!("{}-{}", Ipv4Addr::from(a), Ipv4Addr::from(b));
        let err = TargetSpec::parse(&text).unwrap_err();
        prop_assert!(err.problem.contains("backwards"), "{}", err);
    }

    #[test]
    fn networks_print_back_and_count(a in any::<u32>(), prefix in 8u8..=32) {
        let text = format!("{}/{prefix}", Ipv4Addr::from(a));
        let spec = TargetSpec::parse(&text).unwrap();
        let size = 1u128 << (32 - prefix);
        let expected = if prefix <= 30 { size - 2 } else { size };
        prop_assert_eq!(spec.address_count(), expected);
        prop_assert_eq!(TargetSpec::parse(&spec.to_string()).unwrap(), spec);
    }

    #[test]
    fn ipv6_networks_and_ranges(a in any::<u128>(), prefix in 100u8..=128, last in any::<u16>()) {
        let net = format!("{}/{prefix}", Ipv6Addr::from(a));
        prop_assert_eq!(TargetSpec::parse(&net).unwrap().address_count(), 1u128 << (128 - prefix));
        let first = Ipv6Addr::from(a & !0xffff);
        let range = format!("{first}-{last:x}");
        let spec = TargetSpec::parse(&range).unwrap();
        prop_assert_eq!(spec.address_count(), u128::from(last) + 1);
    }

    #[test]
    fn target_lists_index_every_address_once(lens in proptest::collection::vec(1u32..40, 1..6)) {
        let mut texts = Vec::new();
        let mut base = 0x0a00_0000u32;
        for len in &lens {
            texts.push(format!("{}-{}", Ipv4Addr::from(base), Ipv4Addr::from(base + len - 1)));
            base += 1000;
        }
        let specs = target::parse_targets(&texts, no_files).unwrap();
        let list = TargetList::build(&specs, |_| Err("no names".into())).unwrap();
        let total: u64 = lens.iter().map(|&l| u64::from(l)).sum();
        prop_assert_eq!(list.len(), total);
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..list.len() {
            let IpAddr::V4(a) = list.get(i).unwrap().address else { panic!("v4 only") };
            prop_assert!(seen.insert(a));
        }
        prop_assert!(list.get(total).is_none());
    }

    #[test]
    fn port_text_parses_or_explains(text in "[0-9a-z:,\\- ]{0,30}") {
        let catalog = Catalog::builtin().unwrap();
        if let Ok(list) = resolve_ports(&catalog, &text, Transport::Tcp) {
            let ports = list.ports();
            prop_assert!(ports.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(ports.iter().all(|&p| p >= 1));
        }
    }

    #[test]
    fn port_ranges_resolve_to_exactly_their_ports(ranges in proptest::collection::vec((1u16..=65535, 0u16..300), 1..8)) {
        let items: Vec<String> = ranges
            .iter()
            .map(|&(a, len)| format!("{a}-{}", a.saturating_add(len)))
            .collect();
        let mut expected = std::collections::BTreeSet::new();
        for &(a, len) in &ranges {
            expected.extend(a..=a.saturating_add(len));
        }
        let catalog = Catalog::builtin().unwrap();
        let list = resolve_ports(&catalog, &items.join(","), Transport::Tcp).unwrap();
        prop_assert_eq!(list.ports().to_vec(), expected.into_iter().collect::<Vec<_>>());
        let compact = resolve_ports(&catalog, &list.compact(), Transport::Tcp).unwrap();
        prop_assert_eq!(compact, list);
    }
}

#[test]
fn slash_8_without_yes_asks_for_confirmation() {
    let specs = target::parse_targets(&["10.0.0.0/8"], no_files).unwrap();
    let err = target::check_size(&specs, false).unwrap_err().to_string();
    assert!(
        err.contains("16777214 addresses") && err.contains("--yes"),
        "{err}"
    );
    let many = target::parse_targets(&["10.1.0.0/16", "10.2.0.0/29"], no_files).unwrap();
    assert!(
        target::check_size(&many, false).is_err(),
        "65534 + 6 is past a /16"
    );
}
