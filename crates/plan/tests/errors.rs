//! Bad input gets an error that names the input, the problem and the fix.

mod support;

use portolan_catalog::{Catalog, NameKind, ResolveError};
use portolan_plan::{
    CaveatKind, Dialect, Plan, PlanError, Request, RpcRange, parse_destination, parse_ftp_passive,
    parse_source,
};

fn build(request: &Request) -> Result<Plan, PlanError> {
    Plan::build(&support::catalog(), request)
}

#[test]
fn unknown_role_suggests_the_close_one() {
    let err = build(&Request::new(["domain-controler"], Vec::<String>::new())).unwrap_err();
    match &err {
        PlanError::Name(ResolveError::Unknown {
            kind: NameKind::Role,
            input,
            suggestions,
            ..
        }) => {
            assert_eq!(input, "domain-controler");
            assert_eq!(
                suggestions.first().map(|c| c.id.as_str()),
                Some("domain-controller")
            );
        }
        other => panic!("wrong error {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("`domain-controler`"), "{text}");
    assert!(text.contains("did you mean `domain-controller`"), "{text}");
    assert!(text.contains("portolan roles"), "{text}");
}

#[test]
fn unknown_role_without_a_close_one_points_to_the_list() {
    let err = build(&Request::new(["zzzz"], Vec::<String>::new()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`zzzz`") && err.contains("portolan roles"),
        "{err}"
    );
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn unknown_service_suggests_catalog_ids() {
    let err = build(&Request::new(Vec::<String>::new(), ["dns-sever"])).unwrap_err();
    let PlanError::Name(ResolveError::Unknown { suggestions, .. }) = &err else {
        panic!("wrong error {err:?}");
    };
    assert!(
        suggestions.iter().any(|s| s.id == "dns-server"),
        "{suggestions:?}"
    );
    assert!(err.to_string().contains("did you mean"), "{err}");
}

#[test]
fn empty_request_is_refused() {
    let err = build(&Request::default()).unwrap_err();
    assert_eq!(err, PlanError::Empty);
    assert!(err.to_string().contains("--role"), "{err}");
}

#[test]
fn bad_cidrs_and_ranges() {
    let err = parse_source("10.0.0.0/33").unwrap_err().to_string();
    assert!(
        err.contains("`10.0.0.0/33`") && err.contains("0 to 32"),
        "{err}"
    );
    let err = parse_destination("10.0.0.300").unwrap_err().to_string();
    assert!(
        err.contains("`10.0.0.300`") && err.contains("10.0.0.5"),
        "{err}"
    );
    let err = "5000-1000".parse::<RpcRange>().unwrap_err().to_string();
    assert!(
        err.contains("`5000-1000`") && err.contains("backwards") && err.contains("1000-5000"),
        "{err}"
    );
    let err = parse_ftp_passive("70000-70010").unwrap_err().to_string();
    assert!(err.contains("out of range"), "{err}");
}

#[test]
fn destination_family_must_match_a_source() {
    let request = Request {
        sources: vec![parse_source("fd00::/8").unwrap()],
        destination: Some(parse_destination("10.0.0.5").unwrap()),
        ..Request::new(["dns-server"], Vec::<String>::new())
    };
    let err = build(&request).unwrap_err();
    assert!(matches!(err, PlanError::FamilyMismatch { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("10.0.0.5/32") && text.contains("IPv4") && text.contains("fd00::/8"),
        "{text}"
    );
}

#[test]
fn sources_of_the_other_family_are_dropped_with_a_caveat() {
    let request = Request {
        sources: vec![
            parse_source("fd00::/8").unwrap(),
            parse_source("10.0.0.0/8").unwrap(),
        ],
        destination: Some(parse_destination("10.0.0.5").unwrap()),
        ..Request::new(["dns-server"], Vec::<String>::new())
    };
    let plan = build(&request).unwrap();
    assert_eq!(plan.scopes.len(), 1);
    let caveat = support::caveat(&plan, CaveatKind::SourcesDropped);
    assert!(caveat.lines.iter().any(|l| l.contains("fd00::/8")));
}

#[test]
fn host_bits_are_cleared_and_reported() {
    let request = Request {
        sources: vec![parse_source("10.1.2.3/8").unwrap()],
        ..Request::new(["dns-server"], Vec::<String>::new())
    };
    let plan = build(&request).unwrap();
    assert_eq!(plan.scopes[0].sources[0].to_string(), "10.0.0.0/8");
    assert!(
        plan.caveats
            .iter()
            .any(|c| c.kind == CaveatKind::HostBits && c.title.contains("10.1.2.3/8"))
    );
}

#[test]
fn unknown_dialect_lists_the_valid_names() {
    let err = "iptable".parse::<Dialect>().unwrap_err().to_string();
    assert!(err.contains("`iptable`"), "{err}");
    assert!(err.contains("nftables") && err.contains("cisco"), "{err}");
}

#[test]
fn user_role_with_unknown_service_is_refused_by_the_loader() {
    let source = portolan_catalog::Source::new(
        "user.toml",
        "[[role]]\nid = \"mine\"\nname = \"Mine\"\nservices = [{ service = \"dns-sever\", reason = \"x\" }]\n",
    );
    let err = Catalog::load(&[source]).unwrap_err().to_string();
    assert!(
        err.contains("dns-sever") && err.contains("dns-server"),
        "{err}"
    );
}
