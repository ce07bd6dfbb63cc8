//! Shared helpers of the integration tests: fixtures and a test catalog with roles.

#![allow(dead_code)]

use std::path::PathBuf;

use portolan_audit::{AuditOptions, AuditReport, Expectation, Parsed, audit, parse};
use portolan_catalog::{Catalog, Source};

/// The domain-controller role as this crate's tests define it until `data/roles.toml`
/// carries one: the services a Windows Server 2003 domain controller runs, per the seed.
pub const TEST_ROLES: &str = r#"
[[role]]
id = "test-domain-controller"
name = "Domain controller (test definition)"
summary = "An Active Directory domain controller with integrated DNS."
services = [
  { service = "local-security-authority", reason = "LDAP, Global Catalog, replication" },
  { service = "kerberos-kdc", reason = "Kerberos logons" },
  { service = "dns-server", reason = "AD-integrated DNS" },
  { service = "net-logon", reason = "secure channel and DC locator" },
  { service = "rpc", reason = "endpoint mapper" },
  { service = "server", reason = "SYSVOL and NETLOGON shares" },
  { service = "file-replication", reason = "SYSVOL replication" },
  { service = "windows-time", reason = "domain time source" },
  { service = "distributed-file-system", reason = "SYSVOL namespace" },
  { service = "wins", reason = "NetBIOS name service", optional = true },
]

[[role]]
id = "test-file-server"
name = "File server (test definition)"
summary = "Shares files over SMB."
services = [
  { service = "server", reason = "SMB shares" },
]
"#;

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

pub fn catalog() -> Catalog {
    Catalog::load(&[Source::new("test roles", TEST_ROLES)]).expect("test roles load")
}

pub fn audit_against(input: &Parsed, role: &str, options: &AuditOptions) -> Vec<AuditReport> {
    let catalog = catalog();
    let expectation = Expectation::new(&catalog, &[role], &[]).expect("role exists");
    audit(&catalog, input, Some(&expectation), options)
}

pub fn keys(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}
