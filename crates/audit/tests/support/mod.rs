//! Shared helpers of the integration tests: fixtures and a test catalog with roles.

#![allow(dead_code)]
// Test helpers, not library code: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use portolan_audit::{
    AuditOptions, AuditReport, Comparison, Expectation, ExpectedPort, Parsed, RpcEndpoint, audit,
    parse,
};
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

/// Audit options with an endpoint-mapper dump: (TCP port, interface) pairs.
pub fn with_endpoints(endpoints: &[(u16, &str)]) -> AuditOptions {
    AuditOptions {
        rpc_endpoints: endpoints
            .iter()
            .map(|&(port, interface)| RpcEndpoint::tcp(port, interface))
            .collect(),
        ..AuditOptions::default()
    }
}

/// The comparison's entry for the role's dynamic RPC range.
pub fn dynamic_rpc(comparison: &Comparison) -> &ExpectedPort {
    comparison
        .expected
        .iter()
        .find(|e| e.port_kind == "rpc-dynamic")
        .expect("the role has a dynamic RPC entry")
}

pub fn keys(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}
