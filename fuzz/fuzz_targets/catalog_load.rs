//! Fuzzes the catalog loader with arbitrary user catalog files: it must refuse bad input with
//! an error that points inside the file, and a file it accepts must give a usable catalog.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_catalog::load::builtin_sources;
use portolan_catalog::{Catalog, Source, parse_port_query};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Catalog::load(&[Source::new("fuzz.toml", text)]) {
        Ok(catalog) => {
            // Every look-up works on whatever was accepted.
            for query in ["445", "1-65535", "udp/53", "gre"] {
                let _ = catalog.rows_on(&parse_port_query(query).expect("valid query"));
            }
            let _ = catalog.table_rows();
            let _ = catalog.search("a b");
            let _ = catalog.resolve_service("x");
            let _ = catalog.resolve_role("x");
        }
        Err(e) => {
            // The error points inside the file it names: the input, or a built-in file whose
            // reference the input broke (a built-in role filtering rows of a service the
            // input gave other rows).
            let named = if e.origin == "fuzz.toml" {
                Some(text)
            } else {
                builtin_sources()
                    .into_iter()
                    .find(|s| s.origin == e.origin)
                    .map(|s| s.text)
            };
            let named = named.unwrap_or_else(|| panic!("unknown origin: {e}"));
            assert!(e.line >= 1 && e.column >= 1, "{e}");
            assert!(e.line <= named.lines().count().max(1) + 1, "{e}");
            assert!(!e.message.is_empty());
        }
    }
});
