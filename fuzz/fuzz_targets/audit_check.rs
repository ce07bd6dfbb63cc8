//! Fuzzes the reader of portolan check output (JSON and JSON Lines) of the listener audit, then names what it read.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use portolan_audit::{AuditOptions, Format, MAX_LISTENERS, audit, parse};
use portolan_catalog::Catalog;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::builtin().expect("the built-in catalog loads"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = parse("fuzz", data, Some(Format::Check)) else {
        return;
    };
    assert!(parsed.listeners.len() <= MAX_LISTENERS);
    assert!(
        parsed
            .listeners
            .iter()
            .all(|l| l.port != 0 && l.origin.line > 0)
    );
    let reports = audit(catalog(), &parsed, None, &AuditOptions::default());
    let ports: usize = reports.iter().map(|r| r.ports.len()).sum();
    assert!(ports <= parsed.listeners.len());
});
