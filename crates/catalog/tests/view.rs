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

const KB179442: &str = include_str!("../../../tests/data/kb179442.md");

/// The server ports of KB 179442's table for Windows Server 2008 and later: (transport,
/// first, last, service), one per transport a cell names.
fn kb179442_server_ports() -> Vec<(Transport, u16, u16, String)> {
    let start = KB179442
        .find("### Windows Server 2008 and later versions")
        .unwrap();
    let table = KB179442[start..]
        .lines()
        .skip_while(|l| !l.starts_with("|Client Port(s)|"))
        .skip(2)
        .take_while(|l| l.starts_with('|'));
    let mut out = Vec::new();
    for line in table {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let (server, service) = (cells[1], cells[2]);
        let mut parts = server.split('/');
        let ports = parts.next().unwrap();
        let (first, last) = match ports.split_once('-') {
            Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
            None => (ports.parse().unwrap(), ports.parse().unwrap()),
        };
        for transport in parts {
            let transport = match transport {
                "TCP" => Transport::Tcp,
                "UDP" => Transport::Udp,
                other => panic!("transport {other} in {line}"),
            };
            out.push((transport, first, last, service.to_string()));
        }
    }
    out
}

#[test]
fn todays_domain_controller_covers_kb179442() {
    let (seed, modern) = both();
    let today = seed.at(&modern, WindowsVersion::NEWEST);
    let dc = today.role("domain-controller").unwrap();
    let rows: Vec<_> = today.role_rows(dc).collect();
    let ports = kb179442_server_ports();
    assert_eq!(ports.len(), 17, "{ports:?}");
    for (transport, first, last, service) in ports {
        let covered = rows.iter().any(|(_, _, row)| {
            row.transport == transport
                && row.port.is_some_and(|spec| {
                    today
                        .ranges_of(spec)
                        .iter()
                        .any(|&(a, b)| a == first && b == last)
                })
        });
        assert!(
            covered,
            "KB 179442's {transport} {first}-{last} ({service}) is not a port of today's DC"
        );
    }
    // The seed's role lacks kpasswd: the reason today's roles exist.
    let old = seed.at(&modern, WindowsVersion::W2003);
    let old_dc = old.role("domain-controller").unwrap();
    assert!(
        !old.role_rows(old_dc)
            .any(|(_, _, r)| r.port == Some(PortSpec::Single(464)))
    );
}

#[test]
fn the_2003_view_is_the_seed() {
    let (seed, modern) = both();
    let view = seed.at(&modern, WindowsVersion::W2003);
    assert_eq!(view.roles(), seed.roles());
    assert_eq!(view.services().len(), seed.services().len());
    for (a, b) in view.services().iter().zip(seed.services()) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.name, b.name);
        assert_eq!(a.ports.len(), b.ports.len());
        for (x, y) in a.ports.iter().zip(&b.ports) {
            let mut x = x.clone();
            x.provenance = None;
            assert_eq!(&x, y);
        }
    }
}

#[test]
fn every_entry_of_todays_roles_says_who_needs_it() {
    let (seed, modern) = both();
    for version in WindowsVersion::ALL.into_iter().skip(1) {
        let view = seed.at(&modern, version);
        for role in modern.roles() {
            let Some(role) = view.role(&role.id) else {
                continue;
            };
            for entry in &role.services {
                assert!(!entry.who.is_empty(), "{} {}", role.id, entry.service);
                assert!(view.service(&entry.service).is_some());
            }
        }
    }
    // A DC: Kerberos for clients, replication for peers, WinRM and ADWS for management.
    let today = seed.at(&modern, WindowsVersion::NEWEST);
    let dc = today.role("domain-controller").unwrap();
    let who = |service: &str| -> Vec<SourceClass> {
        let mut all: Vec<SourceClass> = dc
            .services
            .iter()
            .filter(|e| e.service == service)
            .flat_map(|e| e.who.clone())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    assert_eq!(
        who("kerberos-kdc"),
        [SourceClass::Clients, SourceClass::Peers]
    );
    assert_eq!(who("dfs-replication"), [SourceClass::Peers]);
    assert_eq!(who("winrm"), [SourceClass::Management]);
    assert_eq!(who("ad-web-services"), [SourceClass::Management]);
}

#[test]
fn entries_follow_the_versions() {
    let (seed, modern) = both();
    let at = |v: WindowsVersion| seed.at(&modern, v);
    let has = |c: &Catalog, role: &str, t: Transport, p: u16| {
        let r = c.role(role).unwrap();
        c.role_rows(r)
            .any(|(_, _, row)| row.transport == t && row.port == Some(PortSpec::Single(p)))
    };
    // DFSR's fixed 5722 only on 2008; RDP over UDP from 2012.
    assert!(has(
        &at(WindowsVersion::W2008),
        "domain-controller",
        Transport::Tcp,
        5722
    ));
    assert!(!has(
        &at(WindowsVersion::W2012),
        "domain-controller",
        Transport::Tcp,
        5722
    ));
    assert!(!has(
        &at(WindowsVersion::W2008),
        "terminal-server",
        Transport::Udp,
        3389
    ));
    assert!(has(
        &at(WindowsVersion::W2012),
        "terminal-server",
        Transport::Udp,
        3389
    ));
    // Roles that start later are absent before.
    assert!(at(WindowsVersion::W2008).role("wsus-server").is_none());
    assert!(at(WindowsVersion::W2012).role("wac-gateway").is_none());
    assert!(at(WindowsVersion::W2016).role("wac-gateway").is_some());
}

#[test]
fn user_catalogs_hold_in_every_version() {
    let user = r#"
[[service]]
id = "terminal-services"
ports = [ { app = "Terminal Services", transport = "tcp", port = 3390 } ]

[[service]]
id = "sql-server-sales"
name = "SQL Server (instance SALES)"
ports = [ { app = "SQL over TCP", transport = "tcp", port = 1500 } ]

[[role]]
id = "sales-db"
name = "Sales database"
services = [ { service = "sql-server-sales", reason = "The sales instance." } ]
"#;
    let merged = Catalog::load(&[portolan_catalog::Source::new("site.toml", user)]).unwrap();
    let seed = Catalog::builtin().unwrap();
    let modern = Modern::builtin(&seed).unwrap();
    for version in WindowsVersion::ALL {
        let view = merged.at(&modern, version);
        assert!(view.service("sql-server-sales").is_some(), "{version}");
        assert!(view.role("sales-db").is_some(), "{version}");
        let rdp: Vec<_> = view
            .service("terminal-services")
            .unwrap()
            .ports
            .iter()
            .filter(|r| r.transport == Transport::Tcp)
            .map(|r| r.port)
            .collect();
        // The user moved RDP: the layer does not bring 3389 back.
        assert_eq!(rdp, [Some(PortSpec::Single(3390))], "{version}");
        let row = &view.service("sql-server-sales").unwrap().ports[0];
        assert_eq!(row.provenance.as_ref().unwrap().sources, ["user"]);
    }
}
