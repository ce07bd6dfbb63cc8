//! The version view: `Catalog::at` over the seed and the layer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use portolan_catalog::{Catalog, Modern, PortSpec, SourceClass, Transport, WindowsVersion};

fn both() -> (Catalog, Modern) {
    let seed = Catalog::builtin().unwrap();
    let modern = Modern::builtin(&seed).unwrap();
    (seed, modern)
}

#[test]
fn the_builtin_roles_load() {
    let (seed, modern) = both();
    assert!(modern.role("domain-controller").is_some());
    let today = seed.at(&modern, WindowsVersion::NEWEST);
    for id in [
        "hyper-v-host",
        "failover-cluster-node",
        "wsus-server",
        "rd-session-host",
        "rd-gateway",
        "rd-connection-broker",
        "wac-gateway",
        "dhcp-failover-partner",
    ] {
        assert!(today.role(id).is_some(), "{id}");
    }
}
