//! Properties over random requests: the rules open exactly the ports the planned rows need (no
//! port lost or added), they are folded as far as they go, and every renderer that cuts lists
//! into chunks (iptables multiport, ufw entries, AWS groups) keeps the same set.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;

use portolan_catalog::{Catalog, Transport};
use portolan_plan::{
    Dialect, OptionalPolicy, Plan, PortRange, Request, RpcRange, parse_source, ports, render,
};
use proptest::prelude::*;

/// Every port of the ranges, as a set.
fn expand(ranges: impl IntoIterator<Item = PortRange>) -> BTreeSet<u16> {
    ranges.into_iter().flat_map(|r| r.first..=r.last).collect()
}

fn request_strategy() -> impl Strategy<Value = Request> {
    let catalog = Catalog::builtin().unwrap();
    let roles: Vec<String> = catalog.roles().iter().map(|r| r.id.clone()).collect();
    let services: Vec<String> = catalog.services().iter().map(|s| s.id.clone()).collect();
    let role_count = roles.len();
    let service_count = services.len();
    (
        proptest::sample::subsequence(roles, 0..=role_count.min(4)),
        proptest::sample::subsequence(services, 0..=service_count.min(6)),
        prop_oneof![
            Just(RpcRange::Modern),
            Just(RpcRange::Legacy),
            (1025u16..60000, 0u16..5000).prop_map(|(a, n)| RpcRange::Custom(
                PortRange::new(a, a.saturating_add(n)).unwrap()
            )),
        ],
        (1u16..65000, 0u16..500).prop_map(|(a, n)| PortRange::new(a, a.saturating_add(n)).unwrap()),
        any::<bool>(),
    )
        .prop_filter("something to plan", |(r, s, ..)| {
            !r.is_empty() || !s.is_empty()
        })
        .prop_map(|(roles, services, rpc_range, ftp, exclude)| Request {
            roles,
            services,
            rpc_range,
            ftp_passive: Some(ftp),
            optional: if exclude {
                OptionalPolicy::Exclude
            } else {
                OptionalPolicy::Include
            },
            ..Request::default()
        })
}

fn plan(request: &Request) -> Plan {
    Plan::build(&support::catalog(), request).unwrap()
}

/// The ports the plan's rows need on a transport, straight from the uses.
fn needed(plan: &Plan, t: Transport) -> BTreeSet<u16> {
    expand(
        plan.uses
            .iter()
            .filter(|u| u.transport == t)
            .filter_map(|u| u.ports),
    )
}

/// Port lists parsed back from iptables rules: `--dport a[:b]` and `--dports a,b:c`.
fn iptables_ports(text: &str, t: Transport) -> (BTreeSet<u16>, usize) {
    let proto = format!("-p {} ", t.key());
    let mut set = BTreeSet::new();
    let mut worst = 0;
    for line in text
        .lines()
        .filter(|l| l.starts_with("-A PORTOLAN-IN") && l.contains(&proto))
    {
        let list = line
            .split_once("--dports ")
            .or_else(|| line.split_once("--dport "))
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .unwrap_or_default();
        let mut cost = 0;
        for item in list.split(',') {
            let (a, b) = item.split_once(':').unwrap_or((item, item));
            let (a, b): (u16, u16) = (a.parse().unwrap(), b.parse().unwrap());
            cost += if a == b { 1 } else { 2 };
            set.extend(a..=b);
        }
        worst = worst.max(cost);
    }
    (set, worst)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn rules_open_exactly_the_needed_ports(request in request_strategy()) {
        let plan = plan(&request);
        let catalog = support::catalog();
        // Every row of every planned service is opened or left out with a reason.
        let rows: usize = plan
            .services
            .iter()
            .filter_map(|s| catalog.service(&s.id))
            .map(|s| s.ports.len())
            .sum();
        prop_assert!(plan.uses.len() + plan.left_out.len() <= rows);
        for t in [Transport::Tcp, Transport::Udp] {
            let from_rules = expand(plan.rules.iter().filter(|r| r.transport == t).filter_map(|r| r.ports));
            prop_assert_eq!(&from_rules, &needed(&plan, t));
            // Rules of a transport are disjoint and not adjacent: folded as far as they go.
            let ranges: Vec<PortRange> = plan.rules.iter().filter(|r| r.transport == t).filter_map(|r| r.ports).collect();
            for pair in ranges.windows(2) {
                prop_assert!(u32::from(pair[0].last) + 1 < u32::from(pair[1].first), "{:?}", pair);
            }
        }
        for rule in &plan.rules {
            for &u in &rule.uses {
                let u = plan.port_use(u).unwrap();
                prop_assert!(rule.services.contains(&u.service));
                if let (Some(r), Some(p)) = (rule.ports, u.ports) {
                    prop_assert!(r.first <= p.first && p.last <= r.last);
                }
            }
        }
        // Every use lands in exactly one rule.
        let mut counted = vec![0usize; plan.uses.len()];
        for rule in &plan.rules {
            for &u in &rule.uses {
                counted[u] += 1;
            }
        }
        prop_assert!(counted.iter().all(|&c| c == 1));
        // A row left out is opened only when another row needs the same port.
        for left in &plan.left_out {
            let Ok(port) = left.port.parse::<u16>() else { continue };
            let opened = plan.open_ports(left.transport).iter().any(|r| r.contains(port));
            let needed_elsewhere = plan.uses.iter().any(|u| u.transport == left.transport && u.ports.is_some_and(|p| p.contains(port)));
            prop_assert_eq!(opened, needed_elsewhere);
        }
    }

    #[test]
    fn iptables_multiport_keeps_the_set(request in request_strategy()) {
        let plan = plan(&request);
        let text = render(&plan, Dialect::Iptables).files[0].text.clone();
        for t in [Transport::Tcp, Transport::Udp] {
            let (set, worst) = iptables_ports(&text, t);
            prop_assert_eq!(set, needed(&plan, t));
            prop_assert!(worst <= 15);
        }
    }

    #[test]
    fn ufw_entries_keep_the_set(request in request_strategy()) {
        let plan = plan(&request);
        let profiles = portolan_plan::render::ufw::profiles(&plan);
        for t in [Transport::Tcp, Transport::Udp] {
            let suffix = format!("/{}", t.key());
            let mut set = BTreeSet::new();
            for entry in profiles.iter().flat_map(|p| &p.entries) {
                let Some(list) = entry.strip_suffix(&suffix) else { continue };
                let mut cost = 0;
                for item in list.split(',') {
                    let (a, b) = item.split_once(':').unwrap_or((item, item));
                    let (a, b): (u16, u16) = (a.parse().unwrap(), b.parse().unwrap());
                    prop_assert!(a < b || item == a.to_string(), "ufw refuses a:a ranges");
                    cost += if a == b { 1 } else { 2 };
                    set.extend(a..=b);
                }
                prop_assert!(cost <= 15);
            }
            prop_assert_eq!(set, needed(&plan, t));
        }
        for p in &profiles {
            prop_assert!(p.entries.join("|").len() <= 1024);
            prop_assert!(p.name.len() <= 64);
        }
    }

    #[test]
    fn aws_groups_keep_every_rule_and_source(
        request in request_strategy(),
        v4 in 0usize..90,
        v6 in 0usize..90,
    ) {
        let mut request = request;
        request.sources = (0..v4)
            .map(|i| format!("10.{i}.0.0/16"))
            .chain((0..v6).map(|i| format!("fd00:{i:x}::/32")))
            .map(|s| parse_source(&s).unwrap())
            .collect();
        let plan = plan(&request);
        let groups = portolan_plan::render::aws::security_groups(&plan);
        let mut got = BTreeSet::new();
        for group in &groups {
            let n4: usize = group.iter().map(|p| p.v4.len()).sum();
            let n6: usize = group.iter().map(|p| p.v6.len()).sum();
            prop_assert!(n4 <= 60 && n6 <= 60, "{} / {}", n4, n6);
            prop_assert!(!group.is_empty());
            for p in group {
                for c in p.v4.iter().chain(&p.v6) {
                    prop_assert!(got.insert((p.protocol.clone(), p.ports, c.clone())), "duplicate");
                }
            }
        }
        let mut want = BTreeSet::new();
        for rule in &plan.rules {
            let protocol = if rule.transport.has_ports() { rule.transport.key() } else { rule.transport.protocol_number().to_string() };
            for scope in &plan.scopes {
                for net in scope.sources_or_any() {
                    want.insert((protocol.clone(), rule.ports, net.to_string()));
                }
            }
        }
        prop_assert_eq!(got, want);
    }

    #[test]
    fn chunking_preserves_ranges(
        raw in proptest::collection::vec((1u16..65535, 0u16..3), 0..80),
        budget in 1usize..20,
    ) {
        let ranges = ports::fold(raw.iter().map(|&(a, n)| PortRange::new(a, a.saturating_add(n)).unwrap()));
        let chunks = ports::chunk(&ranges, budget, 2);
        let flat: Vec<PortRange> = chunks.iter().flatten().copied().collect();
        prop_assert_eq!(&flat, &ranges);
        for c in &chunks {
            prop_assert!(!c.is_empty());
            prop_assert!(ports::cost(c, 2) <= budget.max(2));
        }
    }

    #[test]
    fn fold_is_the_union(raw in proptest::collection::vec((1u16..65535, 0u16..40), 0..60)) {
        let ranges: Vec<PortRange> = raw.iter().map(|&(a, n)| PortRange::new(a, a.saturating_add(n)).unwrap()).collect();
        let folded = ports::fold(ranges.iter().copied());
        prop_assert_eq!(expand(folded.iter().copied()), expand(ranges));
        for pair in folded.windows(2) {
            prop_assert!(u32::from(pair[0].last) + 1 < u32::from(pair[1].first));
        }
    }
}
