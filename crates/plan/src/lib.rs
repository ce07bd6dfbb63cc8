//! Firewall plans for Windows server roles and services.
//!
//! A [`Request`] names roles and services of the catalog, where clients are (`--from`), which
//! server the rules protect (`--to`), and the ranges Windows picks at run time (dynamic RPC,
//! FTP passive data). [`Plan::build`] resolves them to catalog rows, leaves out rows that must
//! not be opened (spurious rows, FTP's outbound data port) and folds the ports into
//! deduplicated [`Rule`]s, each carrying the services it serves, with [`Caveat`]s on what
//! rules alone cannot do. [`render()`] writes a plan in one of eleven firewall [`Dialect`]s,
//! each within its dialect's limits and saying so where a limit bites.
//! [`render::change_request`] turns a plan into a firewall change request (one row per rule,
//! with the Microsoft documents that require it), and [`aerleon_export`] writes Aerleon's
//! definitions and one policy per role.
//!
//! The crate is pure: no I/O, no clock. Outputs are reproducible, so they are golden-tested.
//!
//! ```
//! use portolan_catalog::Catalog;
//! use portolan_plan::{Dialect, Plan, Request, render};
//!
//! let catalog = Catalog::builtin().unwrap();
//! let request = Request::new(["dns-server"], Vec::<String>::new());
//! let plan = Plan::build(&catalog, &request).unwrap();
//! assert_eq!(plan.rules.len(), 2); // TCP 53 and UDP 53
//! let nft = render(&plan, Dialect::Nftables);
//! assert!(nft.to_text().contains("udp dport 53 accept"));
//! ```

pub mod caveat;
pub mod dialect;
pub mod error;
pub mod pin;
pub mod plan;
pub mod ports;
pub mod render;
pub mod request;

pub use caveat::{Caveat, CaveatKind};
pub use dialect::{Dialect, Rendered, RenderedFile};
pub use error::PlanError;
pub use pin::{PinLayout, PinPlatform, PinnedServer, reg_file_bytes};
pub use plan::{
    Audience, Family, LeftOut, LeftOutReason, Plan, PlannedService, PortUse, RoleRef, Rule,
    RuleGroup, Scope, ServiceReason, UseKind,
};
pub use ports::PortRange;
pub use render::render;
pub use request::{
    OptionalPolicy, Request, RpcRange, parse_class_source, parse_destination, parse_ftp_passive,
    parse_source,
};

use portolan_catalog::Catalog;

/// The nftables ruleset (an `nft -f` file) for a request: what the kernel end-to-end test
/// loads into a network namespace. The table is `inet portolan`; its input chain drops
/// everything the plan does not open, loopback, replies and ICMP echo / IPv6 neighbour
/// discovery excepted.
pub fn nftables_ruleset(catalog: &Catalog, request: &Request) -> Result<String, PlanError> {
    let plan = Plan::build(catalog, request)?;
    Ok(render::nftables::ruleset(&plan))
}

/// The Aerleon export (`portolan export --format aerleon`): one plan per role of
/// `request.roles`, and one more for `request.services` when any are given, each with the
/// rest of `request` (sources, ranges, pinned RPC ports), rendered as Aerleon definitions and
/// policies; see [`render::aerleon`]. With neither roles nor services, every role of the
/// catalog gets its policy.
pub fn aerleon_export(
    catalog: &Catalog,
    request: &Request,
) -> Result<Vec<RenderedFile>, PlanError> {
    let roles: Vec<String> = if request.roles.is_empty() && request.services.is_empty() {
        catalog.roles().iter().map(|r| r.id.clone()).collect()
    } else {
        request.roles.clone()
    };
    let mut requests: Vec<Request> = roles
        .into_iter()
        .map(|role| Request {
            roles: vec![role],
            services: Vec::new(),
            ..request.clone()
        })
        .collect();
    if !request.services.is_empty() {
        requests.push(Request {
            roles: Vec::new(),
            ..request.clone()
        });
    }
    let mut plans = Vec::with_capacity(requests.len());
    for one in &requests {
        plans.push(Plan::build(catalog, one)?);
    }
    Ok(render::aerleon::export(&plans))
}
