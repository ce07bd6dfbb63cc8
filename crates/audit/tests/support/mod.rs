//! Shared helpers of the integration tests: fixtures and a test catalog with roles.

#![allow(dead_code)]

use std::path::PathBuf;

use portolan_audit::{AuditOptions, AuditReport, Expectation, Parsed, audit, parse};
use portolan_catalog::Catalog;

pub fn fixture_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

pub fn fixture(relative: &str) -> Vec<u8> {
    let path = fixture_path(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn parsed(relative: &str) -> Parsed {
    parse(relative, &fixture(relative), None).unwrap_or_else(|e| panic!("{e}"))
}

/// The built-in catalog, with the roles of `crates/catalog/data/roles.toml`.
pub fn catalog() -> Catalog {
    Catalog::builtin().expect("the built-in catalog loads")
}

pub fn audit_against(input: &Parsed, role: &str, options: &AuditOptions) -> Vec<AuditReport> {
    let catalog = catalog();
    let expectation = Expectation::new(&catalog, &[role], &[]).expect("role exists");
    audit(&catalog, input, Some(&expectation), options)
}

pub fn keys(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}
