//! What every audit fuzz target does: read the bytes as one forced format, check the reader's
//! bounds, then name what it read against the catalog.

// Beside this file (a path inside a `#[path]` module file is taken from its folder).
#[path = "catalog.rs"]
mod builtin;

use builtin::catalog;
use portolan_audit::{AuditOptions, Format, MAX_LISTENERS, audit, parse};

pub fn run(format: Format, data: &[u8]) {
    let Ok(parsed) = parse("fuzz", data, Some(format)) else {
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
}
