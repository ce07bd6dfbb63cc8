//! Fuzzes the one port grammar (`portolan_catalog::portspec`) as look-ups and probes use it,
//! and the role and service resolver.
#![no_main]

#[path = "common/catalog.rs"]
mod builtin;

use builtin::catalog;
use libfuzzer_sys::fuzz_target;
use portolan_catalog::{PortQuery, Ports, Transport, parse_port_query};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_port_query(text) {
        Ok(PortQuery::Ports { range, .. }) => {
            assert!(range.first >= 1 && range.first <= range.last);
            let _ = catalog().rows_on(&parse_port_query(text).unwrap());
        }
        Ok(PortQuery::Protocol(t)) => assert!(!t.has_ports()),
        Err(e) => assert!(!e.problem.is_empty() && !e.fix.is_empty()),
    }
    if let Ok(spec) = Ports::parse(text) {
        assert_eq!(Ports::parse(&spec.to_string()).as_ref(), Ok(&spec));
        if let Ok(queries) = spec.lookups(catalog()) {
            for query in queries {
                let _ = catalog().rows_on(&query);
            }
        }
        if let Ok(ranges) = spec.resolve(catalog(), &[Transport::Tcp, Transport::Udp]) {
            assert!(
                ranges
                    .iter()
                    .all(|(t, r)| t.has_ports() && r.first >= 1 && r.first <= r.last)
            );
        }
    }
    // The resolver is total: a name resolves, or the error names the input.
    for resolved in [
        catalog().resolve_service(text).map(|s| s.id.clone()),
        catalog().resolve_role(text).map(|r| r.id.clone()),
    ] {
        if let Err(e) = resolved {
            assert!(!e.to_string().is_empty());
        }
    }
    let _ = catalog().search(text);
});
