use super::*;

fn seed() -> Catalog {
    Catalog::builtin().unwrap()
}

const SOURCES: &str = r#"
[[source]]
key = "kb832017"
title = "KB 832017"
url = "https://example.invalid/kb832017"
"#;

/// Parses a layer made of the test sources and `body`, with no errata.
fn layer(body: &str) -> Result<Modern, ModernError> {
    let text = format!("{SOURCES}\n{body}");
    Modern::parse("test.toml", &text, "errata.toml", "", &seed())
}

fn refused(body: &str) -> ModernError {
    match layer(body) {
        Ok(_) => panic!("accepted:\n{body}"),
        Err(e) => e,
    }
}

const KDC: &str = r#"
[[service]]
id = "kerberos-kdc"
seed = "kerberos-kdc"
name = "Kerberos Key Distribution Center"
windows_service = "Kdc"
change = "kept"
sources = ["kb832017"]
summary = "s"
rows = [
"#;

fn kdc_with(row: &str) -> String {
    format!("{KDC}  {row},\n]\n")
}

/// Asserts that the layer made of `body` is refused with a problem naming `words`.
fn refused_naming(body: &str, words: &str) {
    let e = refused(body);
    assert!(e.problem.contains(words), "{e}");
}

/// Asserts that a layer whose KDC has this one row is refused with a problem naming `words`.
fn row_refused_naming(row: &str, words: &str) {
    refused_naming(&kdc_with(row), words);
}

#[test]
fn the_builtin_layer_is_valid() {
    let seed = seed();
    let modern = Modern::builtin(&seed).unwrap();
    assert!(modern.services().len() > 60);
    assert!(modern.source("kb832017").is_some());
    assert!(modern.erratum("kb-winrm-tp").is_some());
    for s in modern.services() {
        // A seed service cites the seed; a new one cannot.
        assert_eq!(
            s.seed.is_some(),
            s.sources.iter().any(|k| k == "seed"),
            "{}",
            s.id
        );
        for r in &s.rows {
            // A row restating a seed row cites the seed; a row the seed lacks cannot.
            assert_eq!(
                r.seed_row.is_some(),
                r.sources.iter().any(|k| k == "seed"),
                "{} {} {}",
                s.id,
                r.key(),
                r.app
            );
        }
    }
}

#[test]
fn versions_parse_order_and_print() {
    assert_eq!(
        "2019".parse::<WindowsVersion>().unwrap(),
        WindowsVersion::W2019
    );
    assert!(WindowsVersion::W2003 < WindowsVersion::W2025);
    assert_eq!(WindowsVersion::NEWEST.to_string(), "2025");
    let e = "2010".parse::<WindowsVersion>().unwrap_err();
    assert!(e.to_string().contains("2010"));
    for v in WindowsVersion::ALL {
        assert_eq!(v.as_str().parse::<WindowsVersion>().unwrap(), v);
    }
}

#[test]
fn the_dynamic_range_moves_in_2008() {
    let seed = seed();
    let modern = Modern::builtin(&seed).unwrap();
    assert_eq!(
        modern.dynamic_range(PortSpec::RpcDynamic, WindowsVersion::W2003),
        Some((1025, 5000))
    );
    for v in &WindowsVersion::ALL[1..] {
        assert_eq!(
            modern.dynamic_range(PortSpec::RpcDynamic, *v),
            Some((49152, 65535))
        );
    }
    assert_eq!(
        modern.dynamic_range(PortSpec::Single(1), WindowsVersion::W2003),
        None
    );
}

fn has(rows: &[VersionRow], transport: Transport, port: u16) -> bool {
    rows.iter()
        .any(|r| r.transport == transport && r.port == Some(PortSpec::Single(port)))
}

#[test]
fn service_rows_follow_the_versions() {
    let seed = seed();
    let m = Modern::builtin(&seed).unwrap();
    let at = |id: &str, v: WindowsVersion| m.service_rows(&seed, id, v);
    use WindowsVersion::*;
    // kpasswd from 2008, not in the seed's 2003.
    assert!(!has(&at("kerberos-kdc", W2003), Transport::Tcp, 464));
    assert!(has(&at("kerberos-kdc", W2022), Transport::Tcp, 464));
    assert!(has(&at("kerberos-kdc", W2022), Transport::Udp, 464));
    // IKE moves from LSASS to IKEEXT.
    assert!(has(
        &at("local-security-authority", W2003),
        Transport::Udp,
        500
    ));
    assert!(!has(
        &at("local-security-authority", W2016),
        Transport::Udp,
        500
    ));
    assert!(has(&at("ike-authip", W2016), Transport::Udp, 4500));
    assert!(at("ike-authip", W2003).is_empty());
    // WinRM: 80 on 2008 only, 5985 from 2008.
    assert!(has(&at("winrm", W2008), Transport::Tcp, 80));
    assert!(!has(&at("winrm", W2012), Transport::Tcp, 80));
    assert!(has(&at("winrm", W2025), Transport::Tcp, 5985));
    // SSDP eventing leaves 5000 after 2003.
    assert!(has(&at("ssdp-discovery", W2003), Transport::Tcp, 5000));
    assert!(!has(&at("ssdp-discovery", W2008), Transport::Tcp, 5000));
    assert!(has(&at("ssdp-discovery", W2008), Transport::Tcp, 2869));
    // Dropped services.
    assert!(at("license-logging", W2008).is_empty());
    assert!(!at("smtp", W2022).is_empty());
    assert!(at("smtp", W2025).is_empty());
    // DFSR's 5722 only in 2008.
    assert!(has(&at("dfs-replication", W2008), Transport::Tcp, 5722));
    assert!(!has(&at("dfs-replication", W2012), Transport::Tcp, 5722));
    // A seed service with no layer entry keeps its rows.
    assert_eq!(at("exchange-server", W2025), at("exchange-server", W2003));
    // Renamed rows show today's name after 2003 and the seed's in 2003.
    let gc = |v| {
        at("local-security-authority", v)
            .into_iter()
            .find(|r| r.port == Some(PortSpec::Single(3268)))
            .unwrap()
            .app
    };
    assert_eq!(gc(W2003), "Global Catalog Server");
    // NetBIOS is optional for Net Logon today, as a restated seed row.
    let nb = at("net-logon", W2022)
        .into_iter()
        .find(|r| r.port == Some(PortSpec::Single(139)))
        .unwrap();
    assert!(nb.optional && nb.change == Some(RowChange::Kept), "{nb:?}");
    assert_eq!(gc(W2019), "Global Catalog");
}

#[test]
fn a_minimal_layer_parses() {
    let m = layer(&kdc_with(
        r#"{ app = "Kerberos Password V5", transport = "tcp", port = 464, since = "2008", change = "added", sources = ["kb832017"] }"#,
    ))
    .unwrap();
    let row = &m.service("kerberos-kdc").unwrap().rows[0];
    assert_eq!(row.since, WindowsVersion::W2008);
    assert_eq!(row.key().to_string(), "tcp/464");
    assert!(row.applies_to(WindowsVersion::W2025));
    assert!(!row.applies_to(WindowsVersion::W2003));
}

#[test]
fn bad_versions_are_refused_naming_the_row() {
    let e = refused(&kdc_with(
        r#"{ app = "Kerberos Password V5", transport = "tcp", port = 464, since = "2010", change = "added", sources = ["kb832017"] }"#,
    ));
    assert!(
        e.context.contains("kerberos-kdc") && e.context.contains("tcp/464"),
        "{e}"
    );
    assert!(e.problem.contains("2010"), "{e}");
    assert!(e.line > 1, "{e}");
}

#[test]
fn since_after_until_is_refused() {
    row_refused_naming(
        r#"{ app = "X", transport = "tcp", port = 464, since = "2016", until = "2012", change = "added", sources = ["kb832017"] }"#,
        "after",
    );
}

#[test]
fn added_rows_cannot_claim_2003() {
    row_refused_naming(
        r#"{ app = "X", transport = "tcp", port = 464, since = "2003", change = "added", sources = ["kb832017"] }"#,
        "seed's view",
    );
    row_refused_naming(
        r#"{ app = "X", transport = "tcp", port = 464, change = "added", sources = ["kb832017"] }"#,
        "since",
    );
}

#[test]
fn bad_ports_are_refused() {
    for (port, words) in [
        ("0", "out of range"),
        ("70000", "out of range"),
        ("\"abc\"", "abc"),
        ("\"6000-5000\"", "6000"),
    ] {
        let e = refused(&kdc_with(&format!(
            r#"{{ app = "X", transport = "tcp", port = {port}, since = "2008", change = "added", sources = ["kb832017"] }}"#
        )));
        assert!(e.context.contains("kerberos-kdc"), "{e}");
        assert!(e.problem.contains(words), "{port}: {e}");
    }
    row_refused_naming(
        r#"{ app = "X", transport = "tcp", since = "2008", change = "added", sources = ["kb832017"] }"#,
        "needs a port",
    );
    row_refused_naming(
        r#"{ app = "X", transport = "gre", port = 1, since = "2008", change = "added", sources = ["kb832017"] }"#,
        "no ports",
    );
    row_refused_naming(
        r#"{ app = "X", transport = "sctp", port = 1, since = "2008", change = "added", sources = ["kb832017"] }"#,
        "sctp",
    );
}

#[test]
fn icmp_is_ip_protocol_1() {
    let m = layer(&kdc_with(
        r#"{ app = "ICMP", transport = "icmp", since = "2008", change = "added", sources = ["kb832017"] }"#,
    ))
    .unwrap();
    assert_eq!(
        m.service("kerberos-kdc").unwrap().rows[0].transport,
        Transport::Ip(1)
    );
}

#[test]
fn unknown_seed_ids_and_rows_are_refused() {
    let e = refused(
        r#"
[[service]]
id = "no-such-service"
seed = "no-such-service"
name = "N"
change = "kept"
sources = ["kb832017"]
summary = "s"
"#,
    );
    assert!(
        e.problem.contains("no-such-service") && e.problem.contains("catalog.toml"),
        "{e}"
    );
    row_refused_naming(
        r#"{ app = "Kerberos", transport = "tcp", port = 89, seed_row = "tcp/89", change = "kept", sources = ["kb832017"] }"#,
        "no row tcp/89",
    );
    // A seed service's id without `seed` is refused too.
    refused_naming(
        r#"
[[service]]
id = "kerberos-kdc"
name = "N"
since = "2008"
change = "added"
sources = ["kb832017"]
summary = "s"
"#,
        "seed",
    );
}

#[test]
fn changes_must_fit_their_rows() {
    // Dropped without until.
    row_refused_naming(
        r#"{ app = "Kerberos", transport = "tcp", port = 88, seed_row = "tcp/88", change = "dropped", sources = ["kb832017"] }"#,
        "does not fit",
    );
    // Moved to a row the service does not have.
    row_refused_naming(
        r#"{ app = "Kerberos", transport = "tcp", port = 88, seed_row = "tcp/88", until = "2012", change = "moved", moved_to = "tcp/8888", sources = ["kb832017"] }"#,
        "tcp/8888",
    );
    // Kept under another name.
    row_refused_naming(
        r#"{ app = "Kerberos 5", aka = ["Kerberos"], transport = "tcp", port = 88, seed_row = "tcp/88", change = "kept", sources = ["kb832017"] }"#,
        "use renamed",
    );
    // Renamed to the name it already has.
    row_refused_naming(
        r#"{ app = "Kerberos", transport = "tcp", port = 88, seed_row = "tcp/88", change = "renamed", sources = ["kb832017"] }"#,
        "kept",
    );
    // Re-owned to an unknown service.
    row_refused_naming(
        r#"{ app = "Kerberos", transport = "tcp", port = 88, seed_row = "tcp/88", until = "2003", change = "re-owned", owner = "nobody", sources = ["kb832017"] }"#,
        "nobody",
    );
}

#[test]
fn unknown_sources_and_errata_are_refused() {
    row_refused_naming(
        r#"{ app = "X", transport = "tcp", port = 464, since = "2008", change = "added", sources = ["kb999"] }"#,
        "kb999",
    );
    row_refused_naming(
        r#"{ app = "X", transport = "tcp", port = 464, since = "2008", change = "added", sources = [] }"#,
        "sources is empty",
    );
    row_refused_naming(
        r#"{ app = "X", transport = "tcp", port = 464, since = "2008", change = "added", sources = ["kb832017"], errata = ["kb-nothing"] }"#,
        "kb-nothing",
    );
}

#[test]
fn duplicate_ids_and_unknown_fields_are_refused() {
    let one = kdc_with(
        r#"{ app = "X", transport = "tcp", port = 464, since = "2008", change = "added", sources = ["kb832017"] }"#,
    );
    let e = refused(&format!("{one}\n{one}"));
    assert!(e.problem.contains("twice"), "{e}");
    row_refused_naming(
        r#"{ app = "X", transport = "tcp", port = 464, since = "2008", change = "added", sources = ["kb832017"], colour = "red" }"#,
        "colour",
    );
}

#[test]
fn errata_files_are_checked() {
    let seed = seed();
    let errata = r#"
[[erratum]]
id = "e"
title = "t"
kind = "naming"
document = "kb832017"
services = ["nowhere"]
quotes = ["q"]
decision = "d"
reason = "r"
"#;
    let e = Modern::parse("l.toml", SOURCES, "e.toml", errata, &seed).unwrap_err();
    assert!(e.problem.contains("nowhere") && e.origin == "e.toml", "{e}");
    assert_eq!((e.line, e.context.as_str()), (2, "erratum e"), "{e}");
    let twice = format!(
        "{}\n{}",
        errata.replace("nowhere", "dns-server"),
        errata.replace("nowhere", "dns-server")
    );
    let e = Modern::parse("l.toml", SOURCES, "e.toml", &twice, &seed).unwrap_err();
    assert!(e.problem.contains("twice"), "{e}");
    let bad_doc = errata.replace("kb832017", "kb1");
    let e = Modern::parse("l.toml", SOURCES, "e.toml", &bad_doc, &seed).unwrap_err();
    assert!(e.problem.contains("kb1"), "{e}");
}

#[test]
fn overlapping_ranges_are_refused() {
    let e = refused(
        r#"
[[range]]
spec = "rpc-dynamic"
ports = "1025-5000"
until = "2008"
change = "kept"
sources = ["kb832017"]

[[range]]
spec = "rpc-dynamic"
ports = "49152-65535"
since = "2008"
change = "moved"
sources = ["kb832017"]
"#,
    );
    assert!(
        e.context.contains("49152-65535") && e.problem.contains("2008"),
        "{e}"
    );
    assert!(e.line > 8, "{e}");
    refused_naming(
        r#"
[[range]]
spec = "rpc-dynamic"
ports = "135"
change = "kept"
sources = ["kb832017"]
"#,
        "range like",
    );
}

#[test]
fn renamed_services_must_differ_from_the_seed() {
    refused_naming(
        &KDC.replace("change = \"kept\"", "change = \"renamed\"")
            .replace("rows = [\n", ""),
        "use kept",
    );
    refused_naming(
        &KDC.replace("Kerberos Key Distribution Center", "KDC")
            .replace("rows = [\n", ""),
        "use renamed",
    );
}
