//! Golden tests: every dialect for every test request, and the plan itself as JSON. The
//! snapshots under tests/snapshots/ are reviewed and committed; a change in any output shows
//! as a diff (`INSTA_UPDATE=always cargo test -p portolan-plan --test golden` rewrites them).

mod support;

use portolan_plan::{Dialect, render};

#[test]
fn every_dialect_for_every_case() {
    for case in support::cases() {
        let plan = support::plan(&case.request);
        for dialect in Dialect::ALL {
            let text = render(&plan, dialect).to_text();
            insta::assert_snapshot!(format!("{}__{}", dialect.name(), case.name), text);
        }
    }
}

#[test]
fn plan_as_json() {
    let case = support::cases()
        .into_iter()
        .find(|c| c.name == "vpn-gateway-v4-v6")
        .expect("case exists");
    let plan = support::plan(&case.request);
    insta::assert_json_snapshot!("plan__vpn-gateway-v4-v6", plan);
}

#[test]
fn outputs_are_reproducible() {
    for case in support::cases() {
        for dialect in Dialect::ALL {
            let a = render(&support::plan(&case.request), dialect);
            let b = render(&support::plan(&case.request), dialect);
            assert_eq!(a, b, "{dialect} {} differs between two runs", case.name);
        }
    }
}

/// The worked example in docs/plan.md is the renderer's real output.
#[test]
fn docs_example_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/plan.md");
    let doc = std::fs::read_to_string(path).expect("docs/plan.md");
    let request = portolan_plan::Request {
        sources: ["10.0.0.0/8", "fd00::/8"]
            .iter()
            .map(|s| portolan_plan::parse_source(s).unwrap())
            .collect(),
        ..portolan_plan::Request::new(["domain-controller"], Vec::<String>::new())
    };
    let plan = support::plan(&request);
    for (dialect, fence) in [
        (Dialect::Nftables, "nft"),
        (Dialect::Powershell, "powershell"),
    ] {
        let marker = format!("<!-- example: {} -->\n```{fence}\n", dialect.name());
        let start = doc.find(&marker).expect("example marker") + marker.len();
        let end = start + doc[start..].find("\n```\n").expect("closing fence") + 1;
        assert_eq!(
            &doc[start..end],
            render(&plan, dialect).to_text(),
            "docs/plan.md's {dialect} example is stale: regenerate it"
        );
    }
}
