//! Sources per class (`--from clients=`, `management=`, `peers=`): each rule admits exactly
//! the classes whose role entries need its ports, in every dialect.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use portolan_catalog::{SourceClass, Transport};
use portolan_plan::{Dialect, LeftOutReason, Plan, PlanError, Request, parse_class_source, render};

const CLIENTS: &str = "10.0.0.0/8";
const MANAGEMENT: &str = "10.9.0.0/24";
const PEERS: &str = "10.1.0.0/29";

fn dc_by_class() -> Plan {
    let request = Request {
        class_sources: [
            ("clients", CLIENTS),
            ("management", MANAGEMENT),
            ("peers", PEERS),
        ]
        .iter()
        .map(|(c, n)| {
            let (class, net) = parse_class_source(&format!("{c}={n}")).unwrap();
            (class.unwrap(), net)
        })
        .collect(),
        optional: portolan_plan::OptionalPolicy::Exclude,
        ..Request::new(["domain-controller"], Vec::<String>::new())
    };
    support::plan(&request)
}

/// The audiences' classes and sources of the rules that open `port` on `transport`.
fn admitted(plan: &Plan, transport: Transport, port: u16) -> Vec<(Vec<SourceClass>, Vec<String>)> {
    plan.rules
        .iter()
        .filter(|r| {
            r.transport == transport && r.ports.is_some_and(|p| p.first <= port && port <= p.last)
        })
        .map(|r| {
            let a = &plan.audiences[r.audience];
            let nets = a
                .scopes
                .iter()
                .flat_map(|s| s.sources.iter().map(|n| n.to_string()))
                .collect();
            (a.classes.clone(), nets)
        })
        .collect()
}

#[test]
fn a_domain_controller_admits_each_class_to_its_ports() {
    let plan = dc_by_class();
    // Kerberos, kpasswd and LDAP: clients (and the other DCs, inside the clients' network).
    for (t, p) in [
        (Transport::Tcp, 88),
        (Transport::Udp, 88),
        (Transport::Tcp, 464),
        (Transport::Tcp, 389),
    ] {
        let who = admitted(&plan, t, p);
        assert_eq!(who.len(), 1, "{t} {p}: {who:?}");
        assert!(who[0].0.contains(&SourceClass::Clients), "{t} {p}: {who:?}");
        assert_eq!(who[0].1, [CLIENTS], "{t} {p}");
    }
    // WinRM and ADWS: management only.
    for p in [5985, 9389] {
        assert_eq!(
            admitted(&plan, Transport::Tcp, p),
            [(vec![SourceClass::Management], vec![MANAGEMENT.to_string()])],
            "TCP {p}"
        );
    }
    // DFS Replication's RPC: the other DCs only.
    let dfsr = plan
        .services
        .iter()
        .position(|s| s.id == "dfs-replication")
        .unwrap();
    let dfsr_uses: Vec<_> = plan.uses.iter().filter(|u| u.service == dfsr).collect();
    assert!(!dfsr_uses.is_empty());
    for u in dfsr_uses {
        assert_eq!(u.classes, [SourceClass::Peers], "{u:?}");
        assert_eq!(plan.audiences[u.audience].classes, [SourceClass::Peers]);
    }
    // The caveat says who gets what.
    let caveat = support::caveat(&plan, portolan_plan::CaveatKind::SourceClasses);
    assert!(
        caveat
            .lines
            .iter()
            .any(|l| l.starts_with("From management: TCP 5985")),
        "{caveat:?}"
    );
}

#[test]
fn a_bare_source_is_every_class() {
    let bare = Request {
        sources: vec![portolan_plan::parse_source(CLIENTS).unwrap()],
        ..Request::new(["domain-controller"], Vec::<String>::new())
    };
    let each = Request {
        class_sources: SourceClass::ALL
            .iter()
            .map(|c| (*c, portolan_plan::parse_source(CLIENTS).unwrap()))
            .collect(),
        ..bare.clone()
    };
    let today = support::today();
    let bare = Plan::build(&today, &bare).unwrap();
    let each = Plan::build(&today, &each).unwrap();
    assert_eq!(bare.audiences.len(), 1);
    assert_eq!(each.audiences.len(), 1);
    let labels = |p: &Plan| p.rules.iter().map(|r| r.label()).collect::<Vec<_>>();
    assert_eq!(labels(&bare), labels(&each));
    assert!(!bare.by_class);
    // Without sources per class the rules are those of a plan without classes at all.
    assert_eq!(
        render(&bare, Dialect::Nftables).to_text(),
        portolan_plan::nftables_ruleset(
            &today,
            &Request {
                sources: vec![portolan_plan::parse_source(CLIENTS).unwrap()],
                ..Request::new(["domain-controller"], Vec::<String>::new())
            }
        )
        .unwrap()
    );
}

#[test]
fn classes_without_sources_lose_their_rows_and_the_plan_says_so() {
    let request = Request {
        class_sources: vec![parse_class_source("clients=10.0.0.0/8").unwrap()]
            .into_iter()
            .map(|(c, n)| (c.unwrap(), n))
            .collect(),
        ..Request::new(["domain-controller"], Vec::<String>::new())
    };
    let plan = support::plan(&request);
    assert!(admitted(&plan, Transport::Tcp, 9389).is_empty());
    assert!(admitted(&plan, Transport::Tcp, 5985).is_empty());
    assert!(!admitted(&plan, Transport::Tcp, 88).is_empty());
    assert!(plan.left_out.iter().any(|l| matches!(
        &l.reason,
        LeftOutReason::NoSources { classes } if classes == &[SourceClass::Management]
    )));
    let caveat = support::caveat(&plan, portolan_plan::CaveatKind::NoSources);
    assert!(
        caveat.lines.iter().any(|l| l.contains("9389")),
        "{caveat:?}"
    );
    assert!(
        caveat
            .lines
            .iter()
            .any(|l| l.contains("--from management="))
    );
}

#[test]
fn an_unknown_class_names_the_classes() {
    let err = parse_class_source("admins=10.0.0.0/8").unwrap_err();
    assert!(matches!(err, PlanError::UnknownClass { .. }));
    let text = err.to_string();
    assert!(
        text.contains("admins") && text.contains("clients, management and peers"),
        "{text}"
    );
    // A bad network after a good class is the network's error.
    let text = parse_class_source("peers=10.0.0/8")
        .unwrap_err()
        .to_string();
    assert!(text.contains("10.0.0/8"), "{text}");
}

/// Lines of `text` that name `needle`.
fn lines_with<'t>(text: &'t str, needle: &str) -> Vec<&'t str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn every_dialect_admits_management_only_to_management_ports() {
    let plan = dc_by_class();
    for dialect in Dialect::ALL {
        let text = render(&plan, dialect).to_text();
        for cidr in [CLIENTS, MANAGEMENT, PEERS] {
            assert!(
                text.contains(cidr)
                    || text.contains(
                        &cidr
                            .replace("/8", " 0.255.255.255")
                            .replace("/24", " 0.0.0.255")
                            .replace("/29", " 0.0.0.7")
                    ),
                "{dialect:?} does not name {cidr}:\n{text}"
            );
        }
    }
    // Line-oriented dialects: a rule naming the management sources opens only WinRM or ADWS,
    // and no rule opening them names the clients' sources.
    let iptables = render(&plan, Dialect::Iptables).to_text();
    for line in lines_with(&iptables, &format!("-s {MANAGEMENT}")) {
        assert!(line.contains("5985") || line.contains("9389"), "{line}");
    }
    for line in lines_with(&iptables, "9389")
        .into_iter()
        .chain(lines_with(&iptables, "5985"))
    {
        if line.starts_with("-A") {
            assert!(line.contains(MANAGEMENT), "{line}");
        }
    }
    let nft = render(&plan, Dialect::Nftables).to_text();
    for line in lines_with(&nft, "@management_v4") {
        assert!(line.contains("5985") || line.contains("9389"), "{line}");
    }
    for line in lines_with(&nft, "dport 88") {
        assert!(line.contains("@clients_peers_v4"), "{line}");
    }
    let netsh = render(&plan, Dialect::Netsh).to_text();
    for line in lines_with(&netsh, &format!("remoteip={MANAGEMENT}")) {
        assert!(
            line.contains("localport=5985") || line.contains("localport=9389"),
            "{line}"
        );
    }
    let pf = render(&plan, Dialect::Pf).to_text();
    for line in lines_with(&pf, "from <portolan_management>") {
        assert!(line.contains("5985") || line.contains("9389"), "{line}");
    }
    let cisco = render(&plan, Dialect::Cisco).to_text();
    for line in lines_with(&cisco, "10.9.0.0 0.0.0.255") {
        assert!(
            line.contains("eq 5985") || line.contains("eq 9389"),
            "{line}"
        );
    }
    // AWS: every permission of 9389 admits the management CIDR alone, of 88 the clients'.
    let aws = portolan_plan::render::aws::security_groups(&plan);
    for p in aws.iter().flatten() {
        match p.ports.map(|r| r.first) {
            Some(9389 | 5985) => assert_eq!(p.v4, [MANAGEMENT], "{p:?}"),
            Some(88) => assert_eq!(p.v4, [CLIENTS], "{p:?}"),
            _ => {}
        }
    }
    // PowerShell: the rule of ADWS admits the management network.
    let ps = render(&plan, Dialect::Powershell).to_text();
    let adws = ps
        .split("New-NetFirewallRule")
        .find(|r| r.contains("-LocalPort 9389"))
        .unwrap();
    assert!(
        adws.contains(&format!("-RemoteAddress '{MANAGEMENT}'")),
        "{adws}"
    );
}
