//! Property tests of the parsers that read user input: look-up arguments and catalog files.

use portolan_catalog::{Catalog, PortQuery, PortRange, Source, parse_port_query, parse_port_range};
use proptest::prelude::*;

proptest! {
    #[test]
    fn port_queries_never_panic_and_errors_explain(text in "\\PC{0,24}") {
        match parse_port_query(&text) {
            Ok(PortQuery::Ports { range, .. }) => prop_assert!(range.first >= 1 && range.first <= range.last),
            Ok(PortQuery::Protocol(t)) => prop_assert!(!t.has_ports()),
            Err(e) => prop_assert!(!e.problem.is_empty() && !e.fix.is_empty() && e.input == text),
        }
    }

    #[test]
    fn ranges_round_trip(a in 1u16.., b in 1u16..) {
        let (first, last) = (a.min(b), a.max(b));
        prop_assert_eq!(parse_port_range(&format!("{first}-{last}")), Ok(PortRange { first, last }));
        prop_assert_eq!(parse_port_range(&first.to_string()), Ok(PortRange::single(first)));
        if first < last {
            let backwards = format!("{}-{}", last, first);
            prop_assert!(parse_port_range(&backwards).is_err());
        }
    }

    #[test]
    fn out_of_range_ports_are_refused(p in 65536u32..10_000_000) {
        prop_assert!(parse_port_query(&p.to_string()).is_err());
    }

    /// Catalog files made of plausible pieces: whatever the mix, loading either succeeds or
    /// fails with a position inside the file.
    #[test]
    fn catalog_files_load_or_point_at_the_problem(
        lines in proptest::collection::vec(prop_oneof![
            Just("[[service]]".to_string()),
            Just("[[role]]".to_string()),
            Just("[[erratum]]".to_string()),
            "id = \"[a-z-]{0,12}\"",
            "name = \"[A-Za-z ]{0,12}\"",
            Just("ports = [ { app = \"A\", transport = \"tcp\", port = 80 } ]".to_string()),
            "ports = \\[ \\{ app = \"A\", transport = \"(tcp|udp|gre|upd)\", port = [0-9]{1,6} \\} \\]",
            "services = \\[ \\{ service = \"[a-z-]{1,20}\", reason = \"r\" \\} \\]",
            "[a-z_]{1,8} = [0-9]{1,3}",
            "\\PC{0,16}",
        ], 0..12)
    ) {
        let text = lines.join("\n");
        match Catalog::load(&[Source::new("p.toml", &text)]) {
            Ok(catalog) => prop_assert!(catalog.services().len() >= 62),
            Err(e) => {
                prop_assert!(e.line >= 1 && e.column >= 1);
                prop_assert!(e.line <= text.lines().count().max(1) + 1);
                prop_assert!(e.origin == "p.toml");
            }
        }
    }
}
