//! Property tests of the one port grammar (`portolan_catalog::portspec`): whatever the text,
//! parsing and resolving end in ports within 1-65535 or in an error that names the input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

use portolan_catalog::{Catalog, PortRange, PortSpecError, Ports, Transport};
use proptest::prelude::*;

fn catalog() -> &'static Catalog {
    static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| Catalog::builtin().expect("the built-in catalog loads"))
}

/// Pieces a user might type, glued by the separators the grammar takes.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u16.., 1u16..).prop_map(|(a, b)| format!("{a}-{b}")),
        any::<u16>().prop_map(|p| p.to_string()),
        (0u32..100_000).prop_map(|p| p.to_string()),
        Just("all".to_string()),
        Just("catalog".to_string()),
        Just("-".to_string()),
        (1u16..).prop_map(|p| format!("-{p}")),
        (1u16..).prop_map(|p| format!("{p}-")),
        "(tcp|udp|t|u|sctp|TCP):[0-9]{1,5}",
        "[0-9]{1,5}/(tcp|udp|sctp)",
        "(role|service):[A-Za-z_ -]{0,20}",
        Just("role:domain-controller".to_string()),
        Just("service:dns".to_string()),
        Just("gre".to_string()),
        "\\PC{0,6}",
    ]
}

proptest! {
    #[test]
    fn specs_resolve_to_real_ports_or_explain(
        pieces in proptest::collection::vec(piece(), 1..6),
        seps in proptest::collection::vec("(,| |, | ,|,,)", 6),
    ) {
        let mut text = String::new();
        for (i, p) in pieces.iter().enumerate() {
            if i > 0 {
                text.push_str(&seps[i % seps.len()]);
            }
            text.push_str(p);
        }
        match Ports::parse(&text) {
            Ok(spec) => {
                // What parses prints back to a spec that parses the same.
                prop_assert_eq!(&Ports::parse(&spec.to_string()).unwrap(), &spec);
                match spec.resolve(catalog(), &[Transport::Tcp]) {
                    Ok(ranges) => {
                        for (t, r) in ranges {
                            prop_assert!(t.has_ports());
                            prop_assert!(r.first >= 1 && r.first <= r.last);
                        }
                    }
                    Err(PortSpecError::Bad(e)) => prop_assert!(!e.problem.is_empty() && !e.fix.is_empty()),
                    Err(PortSpecError::Name { input, .. }) => prop_assert!(!input.is_empty()),
                }
            }
            Err(e) => {
                prop_assert_eq!(&e.input, &text);
                prop_assert!(!e.problem.is_empty() && !e.fix.is_empty());
            }
        }
    }

    #[test]
    fn ranges_parse_to_themselves(a in 1u16.., b in 1u16.., udp in any::<bool>()) {
        let (first, last) = (a.min(b), a.max(b));
        let t = if udp { Transport::Udp } else { Transport::Tcp };
        let text = format!("{}:{first}-{last}", t.key());
        let ranges = Ports::parse(&text).unwrap().resolve(catalog(), &[]).unwrap();
        prop_assert_eq!(ranges, vec![(t, PortRange { first, last })]);
    }
}
