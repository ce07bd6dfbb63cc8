//! Roles that take some rows of a service: plans open only those rows, optional per entry,
//! in every dialect.

mod support;

use portolan_catalog::{Catalog, Source, Transport};
use portolan_plan::{
    CaveatKind, Dialect, LeftOutReason, OptionalPolicy, Plan, PortRange, Request, render,
};

fn role(ids: &[&str]) -> Request {
    Request::new(ids.iter().copied(), Vec::<String>::new())
}

fn without_optional(request: Request) -> Request {
    Request {
        optional: OptionalPolicy::Exclude,
        ..request
    }
}

/// The rule of `transport` whose range holds `port`, if the plan opens it.
fn rule_on(plan: &Plan, transport: Transport, port: u16) -> Option<&portolan_plan::Rule> {
    plan.rules
        .iter()
        .find(|r| r.transport == transport && r.ports.is_some_and(|p| p.contains(port)))
}

fn opens(plan: &Plan, transport: Transport, port: u16) -> bool {
    rule_on(plan, transport, port).is_some()
}

/// True when `number` stands in `text` as a number of its own (not inside 4500 or 5000).
fn mentions_number(text: &str, number: &str) -> bool {
    text.match_indices(number).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + number.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[test]
fn vpn_gateway_opens_ike_and_nat_t_and_no_directory_port() {
    let plan = support::plan(&role(&["vpn-gateway"]));
    for port in [500, 4500, 1701] {
        let rule = rule_on(&plan, Transport::Udp, port).expect("UDP rule");
        assert!(!rule.optional, "UDP {port} is required");
    }
    assert!(opens(&plan, Transport::Tcp, 1723));
    for port in [389, 636, 3268, 3269, 135, 49152] {
        assert!(!opens(&plan, Transport::Tcp, port), "TCP {port} opened");
    }
    assert!(!opens(&plan, Transport::Udp, 389));
    let lsa = plan
        .services
        .iter()
        .find(|s| s.id == "local-security-authority")
        .expect("LSA planned");
    assert!(!lsa.optional);
    assert_eq!(lsa.reasons.len(), 1);
    assert_eq!(lsa.reasons[0].ports.to_string(), "udp/500, udp/4500");
    // The IPsec caveat no longer says IKE is missing.
    let ipsec = support::caveat(&plan, CaveatKind::Ipsec);
    assert!(
        !ipsec.lines.iter().any(|l| l.contains("does not open IKE")),
        "{:?}",
        ipsec.lines
    );
    // AH is taken as optional.
    let ah = plan
        .rules
        .iter()
        .find(|r| r.transport == Transport::Ip(51))
        .expect("AH rule");
    assert!(ah.optional);
    assert!(
        !plan
            .rules
            .iter()
            .find(|r| r.transport == Transport::Ip(50))
            .unwrap()
            .optional
    );
}

#[test]
fn vpn_gateway_opens_udp_500_and_4500_in_every_dialect() {
    let plan = support::plan(&role(&["vpn-gateway"]));
    for dialect in Dialect::ALL {
        let text = render(&plan, dialect).to_text();
        for port in ["500", "4500"] {
            assert!(mentions_number(&text, port), "{dialect}: no {port}\n{text}");
        }
        for port in ["389", "636", "3268"] {
            assert!(!mentions_number(&text, port), "{dialect}: {port}\n{text}");
        }
    }
}

#[test]
fn domain_controller_marks_ldaps_and_ike_optional() {
    let plan = support::plan(&role(&["domain-controller"]));
    let ldaps = rule_on(&plan, Transport::Tcp, 636).expect("TCP 636 opened");
    assert!(ldaps.optional);
    for port in [500, 4500] {
        assert!(
            rule_on(&plan, Transport::Udp, port)
                .expect("IKE opened")
                .optional
        );
    }
    for (transport, port) in [
        (Transport::Tcp, 389),
        (Transport::Udp, 389),
        (Transport::Tcp, 3268),
    ] {
        assert!(!rule_on(&plan, transport, port).unwrap().optional, "{port}");
    }
    let lsa = plan
        .services
        .iter()
        .find(|s| s.id == "local-security-authority")
        .unwrap();
    assert!(
        !lsa.optional,
        "the service is needed; some rows are optional"
    );
    let optional_use = plan
        .uses
        .iter()
        .find(|u| u.row.to_string() == "tcp/3269")
        .expect("GC over SSL planned");
    assert!(optional_use.optional);
    // The optional caveat gives the role's reason for the row.
    let caveat = support::caveat(&plan, CaveatKind::OptionalIncluded);
    assert!(
        caveat
            .lines
            .iter()
            .any(|l| l.starts_with("Optional: LDAP SSL TCP 636 (LSASS) - domain-controller: ")),
        "{:?}",
        caveat.lines
    );
    let text = render(&plan, Dialect::Nftables).to_text();
    assert!(text.contains("tcp/636, tcp/3269) [optional]"), "{text}");
    assert!(
        text.contains("TCP 636 LDAP SSL: Local Security Authority (LSASS) [optional]"),
        "{text}"
    );
}

#[test]
fn without_optional_the_dc_leaves_ldaps_and_ike_out_and_says_why() {
    let plan = support::plan(&without_optional(role(&["domain-controller"])));
    assert!(!opens(&plan, Transport::Tcp, 636));
    assert!(!opens(&plan, Transport::Tcp, 3269));
    assert!(!opens(&plan, Transport::Udp, 500));
    assert!(!opens(&plan, Transport::Udp, 4500));
    assert!(opens(&plan, Transport::Tcp, 3268));
    let left: Vec<&str> = plan
        .left_out
        .iter()
        .filter(|l| {
            matches!(&l.reason, LeftOutReason::OptionalForRole { roles } if roles == &["domain-controller"])
        })
        .map(|l| l.port.as_str())
        .collect();
    assert_eq!(left, ["3269", "636", "500", "4500"]);
    let caveat = support::caveat(&plan, CaveatKind::OptionalLeftOut);
    assert!(
        caveat.lines.contains(
            &"Left out: LDAP SSL TCP 636 (LSASS), optional for domain-controller.".to_string()
        ),
        "{:?}",
        caveat.lines
    );
}

#[test]
fn a_row_required_by_one_role_and_optional_for_another_is_required() {
    let both = support::plan(&role(&["domain-controller", "vpn-gateway"]));
    for port in [500, 4500] {
        assert!(
            !rule_on(&both, Transport::Udp, port).unwrap().optional,
            "{port}"
        );
    }
    let lean = support::plan(&without_optional(role(&[
        "domain-controller",
        "vpn-gateway",
    ])));
    assert!(opens(&lean, Transport::Udp, 500));
    assert!(!opens(&lean, Transport::Tcp, 636));
}

#[test]
fn a_service_asked_for_by_name_opens_every_row() {
    let plan = support::plan(&without_optional(Request::new(
        ["vpn-gateway"],
        ["local-security-authority"],
    )));
    for port in [389, 636, 3268, 3269, 135] {
        assert!(opens(&plan, Transport::Tcp, port), "TCP {port}");
    }
    assert!(opens(&plan, Transport::Udp, 500));
}

#[test]
fn a_user_role_takes_only_the_rows_it_names() {
    let user = Source::new(
        "user.toml",
        r#"[[role]]
id = "ldaps-proxy"
name = "LDAPS proxy"
summary = "Only LDAP over SSL."
services = [
  { service = "local-security-authority", ports = ["tcp/636"], reason = "LDAPS." },
  { service = "local-security-authority", ports = ["tcp/636", "tcp/3269"], reason = "GC over SSL.", optional = true },
]
"#,
    );
    let catalog = Catalog::load(&[user]).unwrap();
    let plan = Plan::build(&catalog, &role(&["ldaps-proxy"])).unwrap();
    let tcp = plan.open_ports(Transport::Tcp);
    assert_eq!(tcp, [PortRange::single(636), PortRange::single(3269)]);
    assert!(plan.open_ports(Transport::Udp).is_empty());
    assert!(!rule_on(&plan, Transport::Tcp, 636).unwrap().optional);
    assert!(rule_on(&plan, Transport::Tcp, 3269).unwrap().optional);
    assert!(
        !plan
            .caveats
            .iter()
            .any(|c| c.kind == CaveatKind::RpcDynamic),
        "no dynamic RPC row is taken"
    );
}

#[test]
fn the_plans_json_names_the_rows_of_each_entry() {
    let plan = support::plan(&role(&["vpn-gateway"]));
    let json = serde_json::to_value(&plan).unwrap();
    let service = |id: &str| {
        json["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no service {id}"))
    };
    let lsa = service("local-security-authority");
    assert_eq!(
        lsa["reasons"][0]["ports"],
        serde_json::json!(["udp/500", "udp/4500"])
    );
    let rras = service("internet-authentication-service");
    assert!(
        rras["reasons"][0].get("ports").is_none(),
        "whole entries have no ports"
    );
    assert!(
        json["uses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["row"] == "udp/4500")
    );
}
