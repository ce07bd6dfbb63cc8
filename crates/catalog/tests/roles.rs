//! Role entries that take some rows of a service: the row keys, the filter rule, and the
//! loader's errors for filters that are malformed or match nothing.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use portolan_catalog::model::{RowFilter, RowKey};
use portolan_catalog::{Catalog, CatalogError, PortRow, PortSpec, Source, Transport};

fn key(text: &str) -> RowKey {
    text.parse()
        .unwrap_or_else(|e| panic!("{text} refused: {e}"))
}

fn row(catalog: &Catalog, service: &str, key_text: &str) -> PortRow {
    let wanted = key(key_text);
    catalog
        .service(service)
        .and_then(|s| s.ports.iter().find(|r| r.key() == wanted))
        .cloned()
        .unwrap_or_else(|| panic!("{service} has no row {key_text}"))
}

/// Loads a user catalog named `user.toml` over the built-in one.
fn load(text: &str) -> Result<Catalog, CatalogError> {
    Catalog::load(&[Source::new("user.toml", text)])
}

/// Line and column (1-based) where `needle` first starts in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let offset = text.find(needle).expect("needle in text");
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[test]
fn row_keys_read_and_write_the_catalogs_notation() {
    let cases = [
        ("tcp/636", Transport::Tcp, Some(PortSpec::Single(636))),
        ("udp/500", Transport::Udp, Some(PortSpec::Single(500))),
        (
            "tcp/rpc-dynamic",
            Transport::Tcp,
            Some(PortSpec::RpcDynamic),
        ),
        (
            "tcp/ftp-passive",
            Transport::Tcp,
            Some(PortSpec::FtpPassive),
        ),
        (
            "tcp/5000-5100",
            Transport::Tcp,
            Some(PortSpec::Range(5000, 5100)),
        ),
        ("gre", Transport::Ip(47), None),
        ("esp", Transport::Ip(50), None),
        ("ah", Transport::Ip(51), None),
        ("ip/41", Transport::Ip(41), None),
    ];
    for (text, transport, port) in cases {
        let parsed = key(text);
        assert_eq!(parsed, RowKey { transport, port }, "{text}");
        assert_eq!(parsed.to_string(), text);
    }
    // Other spellings of the same row come out in the catalog's notation.
    for (text, canonical) in [
        ("TCP/636", "tcp/636"),
        (" udp/0500 ", "udp/500"),
        ("tcp/5000-5000", "tcp/5000"),
        ("GRE", "gre"),
        ("ip/47", "gre"),
    ] {
        assert_eq!(key(text).to_string(), canonical, "{text}");
    }
}

#[test]
fn malformed_row_keys_are_refused_with_the_forms_to_use() {
    for bad in [
        "",
        "tcp",
        "udp",
        "tcp:636",
        "tcp/",
        "tcp/0",
        "tcp/70000",
        "tcp/9-3",
        "tcp/rpc",
        "sctp/1",
        "gre/47",
        "esp/500",
        "ip/300",
        "636",
    ] {
        let err = bad.parse::<RowKey>().expect_err(bad).to_string();
        assert!(
            err.contains("tcp/636") && err.contains("gre"),
            "{bad}: {err}"
        );
    }
    let err = "tcp".parse::<RowKey>().unwrap_err();
    assert!(err.problem.contains("tcp/636"), "{}", err.problem);
    let err = "gre/47".parse::<RowKey>().unwrap_err();
    assert!(err.problem.contains("`gre` alone"), "{}", err.problem);
}

#[test]
fn every_catalog_row_key_reads_back_as_itself() {
    let catalog = Catalog::builtin().unwrap();
    for (service, row) in catalog.rows() {
        let text = row.key().to_string();
        assert_eq!(key(&text), row.key(), "{} {text}", service.id);
    }
}

#[test]
fn a_filter_takes_exactly_its_rows_and_no_filter_takes_all() {
    let catalog = Catalog::builtin().unwrap();
    let ldaps = row(&catalog, "local-security-authority", "tcp/636");
    let ike = row(&catalog, "local-security-authority", "udp/500");
    let dynamic = row(&catalog, "local-security-authority", "tcp/rpc-dynamic");

    let all = RowFilter::all();
    assert!(all.is_all());
    assert!(all.includes(&ldaps) && all.includes(&ike) && all.includes(&dynamic));

    let some = RowFilter::only([key("udp/500"), key("tcp/rpc-dynamic")]);
    assert!(!some.includes(&ldaps));
    assert!(some.includes(&ike) && some.includes(&dynamic));
    // The transport is part of the key: UDP 636 is not TCP 636.
    let udp_ldaps = row(&catalog, "local-security-authority", "udp/636");
    assert!(!RowFilter::only([key("tcp/636")]).includes(&udp_ldaps));

    let mut widened = RowFilter::only([key("tcp/636")]);
    widened.union(&RowFilter::only([key("udp/500"), key("tcp/636")]));
    assert_eq!(widened.keys(), [key("tcp/636"), key("udp/500")]);
    assert_eq!(widened.to_string(), "tcp/636, udp/500");
    widened.union(&RowFilter::all());
    assert!(
        widened.is_all(),
        "a whole entry widens a filter to every row"
    );
}

#[test]
fn domain_controller_takes_ldaps_and_ike_as_optional() {
    let catalog = Catalog::builtin().unwrap();
    let dc = catalog.role("domain-controller").unwrap();
    let lsa = "local-security-authority";
    for required in [
        "tcp/389",
        "udp/389",
        "tcp/3268",
        "tcp/135",
        "tcp/rpc-dynamic",
    ] {
        let r = row(&catalog, lsa, required);
        assert_eq!(dc.row_optional(lsa, &r), Some(false), "{required}");
    }
    for optional in ["tcp/636", "tcp/3269", "udp/500", "udp/4500"] {
        let r = row(&catalog, lsa, optional);
        assert_eq!(dc.row_optional(lsa, &r), Some(true), "{optional}");
    }
    let spurious = row(&catalog, lsa, "udp/636");
    assert_eq!(dc.row_optional(lsa, &spurious), None);
    // Services named whole are unchanged.
    let kerberos = row(&catalog, "kerberos-kdc", "udp/88");
    assert_eq!(dc.row_optional("kerberos-kdc", &kerberos), Some(false));
    assert_eq!(
        dc.row_optional("dns-server", &row(&catalog, "dns-server", "udp/53")),
        Some(true)
    );
}

#[test]
fn vpn_gateway_takes_ike_and_nat_t_and_nothing_else_of_lsa() {
    let catalog = Catalog::builtin().unwrap();
    let vpn = catalog.role("vpn-gateway").unwrap();
    let lsa = catalog.service("local-security-authority").unwrap();
    let taken: Vec<String> = lsa
        .ports
        .iter()
        .filter(|r| vpn.row_optional(&lsa.id, r) == Some(false))
        .map(|r| r.key().to_string())
        .collect();
    assert_eq!(taken, ["udp/500", "udp/4500"]);
    assert!(
        lsa.ports
            .iter()
            .all(|r| vpn.row_optional(&lsa.id, r) != Some(true))
    );
    let rras = "routing-remote-access";
    assert_eq!(
        vpn.row_optional(rras, &row(&catalog, rras, "esp")),
        Some(false)
    );
    assert_eq!(
        vpn.row_optional(rras, &row(&catalog, rras, "ah")),
        Some(true)
    );
}

#[test]
fn a_required_entry_outweighs_an_optional_one_for_the_same_row() {
    let text = r#"
[[role]]
id = "both-ways"
name = "Both ways"
services = [
  { service = "local-security-authority", ports = ["tcp/389", "tcp/636"], reason = "needed" },
  { service = "local-security-authority", ports = ["tcp/636", "udp/500"], reason = "maybe", optional = true },
]
"#;
    let catalog = load(text).unwrap();
    let role = catalog.role("both-ways").unwrap();
    let lsa = "local-security-authority";
    let need = |k: &str| role.row_optional(lsa, &row(&catalog, lsa, k));
    assert_eq!(need("tcp/389"), Some(false));
    assert_eq!(need("tcp/636"), Some(false));
    assert_eq!(need("udp/500"), Some(true));
    assert_eq!(need("tcp/3268"), None);
}

/// A user file with one role `id` whose one entry is `entry`: loading it must fail at the
/// first `at` in the file, with every one of `parts` in the message.
fn entry_refused(id: &str, entry: &str, at: &str, parts: &[&str]) {
    let text = format!("[[role]]\nid = \"{id}\"\nname = \"{id}\"\nservices = [\n  {entry},\n]\n");
    let err = load(&text).unwrap_err();
    assert_eq!(err.origin, "user.toml");
    assert_eq!((err.line, err.column), position(&text, at), "{err}");
    for part in parts {
        assert!(err.message.contains(part), "{part}: {err}");
    }
}

#[test]
fn a_filter_entry_that_matches_no_row_is_refused_where_it_is_written() {
    entry_refused(
        "ike-only",
        r#"{ service = "local-security-authority", ports = ["udp/500", "udp/501"], reason = "IKE" }"#,
        "\"udp/501\"",
        &[
            "role `ike-only`",
            "`udp/501`",
            "local-security-authority",
            "no such row",
            "udp/500, udp/4500",
            "remove `ports` to take every row",
        ],
    );
}

#[test]
fn a_malformed_filter_entry_is_refused_where_it_is_written() {
    entry_refused(
        "typo",
        r#"{ service = "local-security-authority", ports = ["udp/500", "tcp:636"], reason = "LDAPS" }"#,
        "\"tcp:636\"",
        &["`tcp:636` is not a row", "like `tcp/636`"],
    );
}

#[test]
fn empty_and_repeated_filters_are_refused() {
    entry_refused(
        "empty",
        r#"{ service = "server", ports = [], reason = "nothing" }"#,
        "{ service",
        &["empty `ports`", "remove `ports`"],
    );
    entry_refused(
        "twice",
        r#"{ service = "server", ports = ["tcp/445", "TCP/445"], reason = "SMB" }"#,
        "\"TCP/445\"",
        &["`tcp/445` is listed twice"],
    );
}

#[test]
fn a_misspelt_field_of_an_entry_is_refused() {
    let text = r#"[[role]]
id = "misspelt"
name = "Misspelt"
services = [
  { service = "server", port = ["tcp/445"], reason = "SMB" },
]
"#;
    let err = load(text).unwrap_err();
    assert_eq!(err.line, 5, "{err}");
    assert!(err.message.contains("port"), "{err}");
}

#[test]
fn filters_are_checked_against_the_rows_a_user_catalog_gives() {
    // A user catalog that gives LSA rows of its own leaves the built-in vpn-gateway's
    // filter without its rows: the error names the built-in file and the way out.
    let rows_only = r#"[[service]]
id = "local-security-authority"
ports = [
  { app = "LDAP Server", transport = "tcp", port = 389 },
]
"#;
    let err = load(rows_only).unwrap_err();
    assert_eq!(err.origin, "data/roles.toml (built in)");
    assert!(
        err.message
            .contains("a user catalog gave this service its rows"),
        "{err}"
    );

    // Replacing those roles' lists too makes the catalog valid again: only the roles'
    // final entries are checked.
    let with_roles = format!(
        "{rows_only}
[[role]]
id = \"vpn-gateway\"
services = [{{ service = \"routing-remote-access\", reason = \"PPTP and L2TP\" }}]

[[role]]
id = \"domain-controller\"
services = [{{ service = \"local-security-authority\", ports = [\"tcp/389\"], reason = \"LDAP\" }}]
"
    );
    let catalog = load(&with_roles).unwrap();
    let dc = catalog.role("domain-controller").unwrap();
    assert_eq!(dc.services.len(), 1);
    assert_eq!(dc.services[0].ports.to_string(), "tcp/389");
}

#[test]
fn every_built_in_filter_names_rows_of_its_service() {
    let catalog = Catalog::builtin().unwrap();
    let mut filtered = 0;
    for role in catalog.roles() {
        for entry in &role.services {
            let service = catalog.service(&entry.service).unwrap();
            for k in entry.ports.keys() {
                filtered += 1;
                assert!(
                    service.ports.iter().any(|r| r.key() == *k),
                    "{}: {} {k}",
                    role.id,
                    entry.service
                );
            }
            assert!(
                service.ports.iter().any(|r| entry.includes(r)),
                "{}: {} takes no row",
                role.id,
                entry.service
            );
        }
    }
    assert!(filtered > 0);
}

#[test]
fn a_role_naming_a_misspelt_service_gets_the_resolvers_suggestion() {
    entry_refused(
        "typo",
        r#"{ service = "dns-sever", reason = "DNS" }"#,
        "{ service",
        &["unknown service `dns-sever`", "did you mean `dns-server`?"],
    );
}
