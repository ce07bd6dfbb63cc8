//! Fuzzes port specs in the one grammar (`portolan_catalog::portspec`) as a sweep uses them:
//! what parses prints back to an equal spec, and resolves (against the built-in catalog) to
//! sorted, distinct ports whose compact text resolves back to the same list.
#![no_main]

#[path = "common/catalog.rs"]
mod builtin;

use builtin::catalog;
use libfuzzer_sys::fuzz_target;
use portolan_catalog::{Ports, Transport};
use portolan_scan::ports::resolve_ports;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(spec) = Ports::parse(&text) else {
        return;
    };
    let again = Ports::parse(&spec.to_string()).expect("printed specs parse");
    assert_eq!(again, spec);
    for transport in [Transport::Tcp, Transport::Udp] {
        if let Ok(list) = resolve_ports(catalog(), &text, transport) {
            let ports = list.ports();
            assert!(ports.windows(2).all(|w| w[0] < w[1]));
            assert!(ports.first().is_some_and(|&p| p >= 1));
            let compact = resolve_ports(catalog(), &list.compact(), transport);
            assert_eq!(compact.ok(), Some(list));
        }
    }
});
