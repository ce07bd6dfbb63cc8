//! nftables: an `nft -f` file holding `table inet portolan`, with the sources in named sets
//! and one rule per group of ports.
//!
//! Limits: rule comments hold at most 128 characters (`nft` refuses longer ones); the full
//! explanation goes in `#` lines above each rule, which `nft` skips.

use portolan_catalog::Transport;

use crate::dialect::Dialect;
use crate::plan::{Family, Plan};
use crate::render::text;

/// The longest comment `nft` accepts on a rule.
pub const COMMENT_MAX: usize = 128;

/// The nftables ruleset of a plan.
pub fn ruleset(plan: &Plan) -> String {
    let notes = vec![
        "The input chain's policy is drop: everything else inbound is dropped, except loopback, replies to this host's own traffic, ICMP echo and IPv6 neighbour discovery. On a Linux host reached remotely, add your own access (SSH) first.".to_string(),
        format!("Rule comments are cut to {COMMENT_MAX} characters; the lines above each rule list every service."),
        "The table is replaced as a whole on each load (nft -f), leaving other tables alone.".to_string(),
    ];
    let mut out = String::from("#!/usr/sbin/nft -f\n");
    out.push_str(&text::preamble(plan, Dialect::Nftables, &notes, "#"));
    out.push('\n');
    out.push_str("table inet portolan\ndelete table inet portolan\n\n");
    out.push_str("table inet portolan {\n");
    let subs = plan.audience_plans();
    for sub in &subs {
        for scope in sub.scopes.iter().filter(|s| !s.is_any()) {
            let (name, kind) = set_of(sub, scope.family);
            let whose = sub
                .focus_audience()
                .map(|a| format!(" of {}", a.label()))
                .unwrap_or_default();
            out.push_str(&format!(
                "\tset {name} {{\n\t\ttype {kind}\n\t\tflags interval\n\t\tcomment \"portolan: admitted {} sources{whose}\"\n\t\telements = {{ {} }}\n\t}}\n\n",
                scope.family.name(),
                scope
                    .sources
                    .iter()
                    .map(text::net)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    out.push_str("\tchain input {\n");
    out.push_str("\t\ttype filter hook input priority filter; policy drop;\n");
    out.push_str("\t\tiif \"lo\" accept\n");
    out.push_str("\t\tct state established,related accept\n");
    out.push_str(
        "\t\ticmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept\n",
    );
    out.push_str("\t\tct state invalid drop\n");
    out.push_str("\t\ticmp type echo-request accept\n");
    out.push_str("\t\ticmpv6 type echo-request accept\n");
    let mut opened = false;
    for sub in &subs {
        let plan = sub;
        let matchers = matchers(plan);
        let groups = plan.groups(&plan.rules);
        opened |= !groups.is_empty();
        if let Some(heading) = text::audience_heading(plan) {
            out.push_str(&format!("\n\t\t# {}\n", text::ascii(&heading)));
        }
        for group in &groups {
            out.push('\n');
            for line in text::explain_group(plan, &plan.rules, group) {
                out.push_str(&format!("\t\t# {}\n", text::ascii(&line)));
            }
            let comment = text::double_quoted(&text::group_comment(plan, group, COMMENT_MAX));
            let what = match group.transport {
                Transport::Tcp | Transport::Udp => {
                    let ports: Vec<String> = group.ranges.iter().map(|r| r.to_string()).collect();
                    let ports = match ports.as_slice() {
                        [one] => one.clone(),
                        many => format!("{{ {} }}", many.join(", ")),
                    };
                    format!("{} dport {ports}", group.transport.key())
                }
                other => format!("meta l4proto {}", text::protocol_name(other)),
            };
            for m in &matchers {
                out.push_str(&format!("\t\t{m}{what} accept comment {comment}\n"));
            }
        }
    }
    if !opened {
        out.push_str("\t\t# The plan opens nothing.\n");
    }
    out.push_str("\t}\n}\n");
    out
}

/// The set of a family's sources: `sources_v4`, or per audience `clients_peers_v4`.
fn set_of(plan: &Plan, family: Family) -> (String, &'static str) {
    let base = plan
        .focus_audience()
        .map_or_else(|| "sources".to_string(), |a| a.slug());
    match family {
        Family::Ipv4 => (format!("{base}_v4"), "ipv4_addr"),
        Family::Ipv6 => (format!("{base}_v6"), "ipv6_addr"),
    }
}

/// The address matches every rule starts with, one per family that needs its own rule.
fn matchers(plan: &Plan) -> Vec<String> {
    let both_any = plan.scopes.len() == 2 && plan.scopes.iter().all(|s| s.is_any());
    if both_any && plan.destination.is_none() {
        return vec![String::new()];
    }
    plan.scopes
        .iter()
        .map(|scope| {
            let ip = match scope.family {
                Family::Ipv4 => "ip",
                Family::Ipv6 => "ip6",
            };
            let mut m = String::new();
            if !scope.is_any() {
                m.push_str(&format!("{ip} saddr @{} ", set_of(plan, scope.family).0));
            }
            if let Some(d) = plan.destination.filter(|d| Family::of(d) == scope.family) {
                m.push_str(&format!("{ip} daddr {} ", text::net(&d)));
            }
            if m.is_empty() {
                m = format!(
                    "meta nfproto {} ",
                    match scope.family {
                        Family::Ipv4 => "ipv4",
                        Family::Ipv6 => "ipv6",
                    }
                );
            }
            m
        })
        .collect()
}
