//! `plan --pin-rpc`: every dialect opens exactly the ports `portolan pin` puts the RPC servers
//! on, never the dynamic range, and says so. (validators.rs runs each dialect's validator on
//! the same request.)
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use portolan_catalog::Transport;
use portolan_plan::{
    CaveatKind, Dialect, PinLayout, PlanError, PortRange, Request, RpcRange, UseKind, render,
};

#[test]
fn the_plan_opens_the_pinned_block_instead_of_the_dynamic_range() {
    let case = support::pinned_case();
    let plan = support::plan(&case.request);
    let pinned = PortRange::new(10000, 10103).unwrap();
    assert_eq!(plan.rpc_range, RpcRange::Pinned(pinned));
    assert!(plan.uses.iter().all(|u| u.kind != UseKind::RpcDynamic));
    assert!(plan.uses.iter().any(|u| u.kind == UseKind::RpcPinned));
    let tcp = plan.open_ports(Transport::Tcp);
    assert!(tcp.contains(&pinned), "{tcp:?}");
    assert!(
        tcp.iter().all(|r| r.last < 49152),
        "nothing of the dynamic range: {tcp:?}"
    );
    // Netlogon has no dynamic row in the seed, but its pinned port is opened for it too.
    let netlogon = plan
        .services
        .iter()
        .position(|s| s.id == "net-logon")
        .unwrap();
    assert!(
        plan.uses
            .iter()
            .any(|u| u.service == netlogon && u.kind == UseKind::RpcPinned)
    );
    let caveat = support::caveat(&plan, CaveatKind::RpcPinned);
    assert!(caveat.title.contains("10000-10103"), "{}", caveat.title);
    assert!(
        plan.caveats
            .iter()
            .all(|c| c.kind != CaveatKind::RpcDynamic)
    );
}

#[test]
fn the_same_base_gives_the_ports_of_portolan_pin() {
    let catalog = support::catalog();
    let pinning = portolan_builtin::pinning(&catalog).unwrap();
    let layout = PinLayout::for_role(&catalog, &pinning, "domain-controller", 10000).unwrap();
    for optional in [
        portolan_plan::OptionalPolicy::Include,
        portolan_plan::OptionalPolicy::Exclude,
    ] {
        let request = Request {
            optional,
            ..support::pinned_case().request
        };
        let plan = support::plan(&request);
        assert_eq!(plan.pin.as_ref().unwrap().ports(), layout.ports());
        assert_eq!(plan.pin.as_ref().unwrap().servers, layout.servers);
    }
}

#[test]
fn every_dialect_writes_the_pinned_ports_and_says_so() {
    let plan = support::plan(&support::pinned_case().request);
    for dialect in &Dialect::ALL {
        let text: String = render(&plan, *dialect)
            .files
            .iter()
            .map(|f| f.text.clone())
            .collect();
        assert!(
            text.contains("10000"),
            "{dialect:?}: no pinned port\n{text}"
        );
        assert!(
            text.contains("10103"),
            "{dialect:?}: no end of the pinned block\n{text}"
        );
        assert!(
            !text.contains("49152") && !text.contains("65535"),
            "{dialect:?}: the dynamic range is still there\n{text}"
        );
        // Windows' RPC keyword stands for the dynamic range: a pinned plan names ports.
        assert!(
            !text.contains("-LocalPort RPC ") && !text.contains("localport=RPC "),
            "{dialect:?}: the RPC keyword\n{text}"
        );
        assert!(
            text.to_ascii_lowercase().contains("pinned"),
            "{dialect:?}: the plan does not say it is pinned\n{text}"
        );
    }
}

#[test]
fn pinning_needs_an_rpc_server_and_room() {
    let catalog = support::catalog();
    let no_rpc = Request {
        pin_rpc: Some(10000),
        ..Request::new(["dns-server"], Vec::<String>::new())
    };
    let err = portolan_plan::Plan::build(&catalog, &no_rpc).unwrap_err();
    assert!(matches!(err, PlanError::NothingToPin { .. }), "{err}");
    let no_room = Request {
        pin_rpc: Some(65500),
        ..Request::new(["domain-controller"], Vec::<String>::new())
    };
    let err = portolan_plan::Plan::build(&catalog, &no_room)
        .unwrap_err()
        .to_string();
    assert!(err.contains("65500") && err.contains("65432"), "{err}");
}
