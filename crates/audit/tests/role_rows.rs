//! Roles that take some rows of a service: audits expect only those rows, and rows taken by
//! optional entries only as optional.

mod support;

use portolan_audit::{
    AuditOptions, CoverageStatus, Expectation, ExpectedStatus, Parsed, PortExpectation, audit,
};
use portolan_catalog::Transport;
use support::{audit_against, catalog, keys, parsed};

/// The Samba DC's listeners without the ports in `gone`.
fn dc_without(gone: &[(Transport, u16)]) -> Parsed {
    let mut input = parsed("samba-dc/ss-lntup.txt");
    input
        .listeners
        .retain(|l| !gone.contains(&(l.transport, l.port)));
    input
}

const LDAPS: [(Transport, u16); 2] = [(Transport::Tcp, 636), (Transport::Tcp, 3269)];

#[test]
fn a_dc_without_ldaps_is_not_missing_it() {
    let input = dc_without(&LDAPS);
    let report = &audit_against(&input, "domain-controller", &AuditOptions::default())[0];
    let c = report.comparison.as_ref().unwrap();
    assert_eq!(
        keys(&c.missing),
        ["tcp/593"],
        "only RPC over HTTP is missing"
    );
    assert!(c.unexpected.is_empty(), "{:?}", c.unexpected);
    for port in ["636", "3269"] {
        let expected = c
            .expected
            .iter()
            .find(|e| e.transport == Transport::Tcp && e.port == port)
            .unwrap();
        assert!(expected.optional, "{port}");
        assert_eq!(expected.status, ExpectedStatus::Missing, "{port}");
    }
    let ldaps = c
        .service_coverage
        .iter()
        .find(|s| {
            s.service == "local-security-authority" && s.missing.iter().any(|m| m == "tcp/636")
        })
        .unwrap();
    assert!(ldaps.optional);
    assert_eq!(ldaps.status, CoverageStatus::Skipped);
    assert_eq!(keys(&ldaps.missing), ["tcp/636", "tcp/3269"]);
    // The entry with LDAP, the global catalog and RPC is complete.
    let core = c
        .service_coverage
        .iter()
        .find(|s| s.service == "local-security-authority" && !s.optional)
        .unwrap();
    assert_eq!(core.status, CoverageStatus::Complete);
    assert!(core.missing.is_empty());
}

#[test]
fn a_dc_with_ldaps_has_it_as_optional_and_asked_for_optional_rows_requires_it() {
    let full = parsed("samba-dc/ss-lntup.txt");
    let report = &audit_against(&full, "domain-controller", &AuditOptions::default())[0];
    for port in [636, 3269] {
        assert_eq!(
            report.port(Transport::Tcp, port).unwrap().expectation,
            Some(PortExpectation::Optional),
            "{port}"
        );
    }
    assert_eq!(
        report.port(Transport::Tcp, 3268).unwrap().expectation,
        Some(PortExpectation::Expected)
    );

    let strict = AuditOptions {
        include_optional: true,
        ..AuditOptions::default()
    };
    let report = &audit_against(&dc_without(&LDAPS), "domain-controller", &strict)[0];
    let c = report.comparison.as_ref().unwrap();
    for key in ["tcp/636", "tcp/3269", "udp/500", "udp/4500"] {
        assert!(
            c.missing.iter().any(|m| m == key),
            "{key} in {:?}",
            c.missing
        );
    }
}

#[test]
fn a_vpn_gateway_expects_ike_and_not_the_directory() {
    // The Samba DC audited as a VPN gateway: its LDAP ports are LSA rows the role does not
    // take, so they are unexpected; IKE and NAT-T are expected and missing.
    let input = parsed("samba-dc/ss-lntup.txt");
    let report = &audit_against(&input, "vpn-gateway", &AuditOptions::default())[0];
    let c = report.comparison.as_ref().unwrap();
    for key in ["udp/500", "udp/4500", "tcp/1723", "udp/1701"] {
        assert!(
            c.missing.iter().any(|m| m == key),
            "{key} in {:?}",
            c.missing
        );
    }
    for key in ["tcp/389", "udp/389", "tcp/636", "tcp/3268", "tcp/135"] {
        assert!(
            c.unexpected.iter().any(|u| u == key),
            "{key} in {:?}",
            c.unexpected
        );
    }
    // No LSA dynamic RPC row is taken, so 4915x are not explained as dynamic RPC.
    assert!(!c.expected.iter().any(|e| e.port_kind == "rpc-dynamic"));
    assert_eq!(
        report.port(Transport::Tcp, 49152).unwrap().expectation,
        Some(PortExpectation::Unexpected)
    );
}

#[test]
fn a_service_given_by_name_is_expected_whole_beside_a_role_entry() {
    let catalog = catalog();
    let expectation =
        Expectation::new(&catalog, &["vpn-gateway"], &["local-security-authority"]).unwrap();
    let lsa: Vec<_> = expectation
        .expected
        .iter()
        .filter(|e| e.id == "local-security-authority")
        .collect();
    assert_eq!(lsa.len(), 2);
    assert_eq!(lsa[0].ports.to_string(), "udp/500, udp/4500");
    assert!(lsa[1].ports.is_all() && !lsa[1].optional);

    let input = parsed("samba-dc/ss-lntup.txt");
    let report = &audit(
        &catalog,
        &input,
        Some(&expectation),
        &AuditOptions::default(),
    )[0];
    let c = report.comparison.as_ref().unwrap();
    assert!(
        !c.unexpected.iter().any(|u| u == "tcp/389"),
        "{:?}",
        c.unexpected
    );
    assert_eq!(
        report.port(Transport::Tcp, 636).unwrap().expectation,
        Some(PortExpectation::Expected)
    );
}

#[test]
fn the_expectation_json_names_the_rows_of_each_entry() {
    let catalog = catalog();
    let expectation = Expectation::new(&catalog, &["domain-controller"], &[]).unwrap();
    let json = serde_json::to_value(&expectation).unwrap();
    let entries: Vec<&serde_json::Value> = json["expected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["id"] == "local-security-authority")
        .collect();
    assert_eq!(entries.len(), 3);
    assert_eq!(
        entries[1]["ports"],
        serde_json::json!(["tcp/636", "tcp/3269"])
    );
    assert_eq!(entries[1]["optional"], true);
    let kdc = json["expected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "kerberos-kdc")
        .unwrap();
    assert!(kdc.get("ports").is_none());
}
