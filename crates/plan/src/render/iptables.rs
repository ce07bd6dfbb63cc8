//! iptables: an `iptables-restore` file for IPv4 and an `ip6tables-restore` file for IPv6,
//! each replacing the filter table with a `PORTOLAN-IN` chain jumped to from INPUT.
//!
//! Limits: `-m multiport` takes at most 15 ports, a range counting as two, so longer lists are
//! cut into several rules; comments are cut to 255 bytes (the kernel's buffer holds 256 with
//! the terminating zero).

use portolan_catalog::Transport;

use crate::dialect::{Dialect, RenderedFile};
use crate::plan::{Family, Plan, RuleGroup};
use crate::ports::{self, PortRange};
use crate::render::text;

/// Ports one `-m multiport` match holds.
pub const MULTIPORT_MAX: usize = 15;
/// What a range costs in a multiport list.
pub const MULTIPORT_RANGE_COST: usize = 2;
/// The longest comment the `comment` match keeps.
pub const COMMENT_MAX: usize = 255;

/// `rules.v4` and `rules.v6`.
pub fn render(plan: &Plan) -> Vec<RenderedFile> {
    let split = plan
        .groups(&plan.rules)
        .iter()
        .filter(|g| ports::cost(&g.ranges, MULTIPORT_RANGE_COST) > MULTIPORT_MAX)
        .count();
    let mut notes = vec![
        "Two files: rules.v4 for iptables-restore, rules.v6 for ip6tables-restore. Each replaces the filter table; INPUT's policy becomes DROP, so everything else inbound is dropped except loopback, replies, ICMP echo and IPv6 neighbour discovery.".to_string(),
        format!("A multiport match holds at most {MULTIPORT_MAX} ports, a range counting as {MULTIPORT_RANGE_COST}; longer lists are cut into several rules with the same comment."),
        format!("Comments are cut to {COMMENT_MAX} characters; the # lines above each rule list every service."),
    ];
    if split > 0 {
        notes.push(format!(
            "{split} port list(s) of this plan exceed the multiport limit and are split."
        ));
    }
    [Family::Ipv4, Family::Ipv6]
        .into_iter()
        .map(|family| RenderedFile {
            name: match family {
                Family::Ipv4 => "rules.v4".to_string(),
                Family::Ipv6 => "rules.v6".to_string(),
            },
            text: file(plan, family, &notes),
        })
        .collect()
}

fn file(plan: &Plan, family: Family, notes: &[String]) -> String {
    let mut out = text::preamble(plan, Dialect::Iptables, notes, "#");
    out.push_str(&format!(
        "#\n# This file: {} ({}).\n",
        family.name(),
        match family {
            Family::Ipv4 => "iptables-restore rules.v4",
            Family::Ipv6 => "ip6tables-restore rules.v6",
        }
    ));
    out.push_str("*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:PORTOLAN-IN - [0:0]\n");
    out.push_str("-A INPUT -j PORTOLAN-IN\n");
    out.push_str("-A PORTOLAN-IN -i lo -j ACCEPT\n");
    out.push_str("-A PORTOLAN-IN -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
    match family {
        Family::Ipv4 => {
            out.push_str("-A PORTOLAN-IN -m conntrack --ctstate INVALID -j DROP\n");
            out.push_str("-A PORTOLAN-IN -p icmp -m icmp --icmp-type 8 -j ACCEPT\n");
        }
        Family::Ipv6 => {
            for t in [134, 135, 136] {
                out.push_str(&format!(
                    "-A PORTOLAN-IN -p ipv6-icmp -m icmp6 --icmpv6-type {t} -j ACCEPT\n"
                ));
            }
            out.push_str("-A PORTOLAN-IN -m conntrack --ctstate INVALID -j DROP\n");
            out.push_str("-A PORTOLAN-IN -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT\n");
        }
    }
    for sub in plan.audience_plans() {
        let plan = &sub;
        let Some(scope) = plan.scope(family) else {
            let whom = plan.focus_audience().map_or_else(
                || "by this plan".to_string(),
                |a| format!("for {}", a.label()),
            );
            out.push_str(&format!(
                "# No {} sources are admitted {whom}: nothing is opened for {}.\n",
                family.name(),
                family.name()
            ));
            continue;
        };
        if let Some(heading) = text::audience_heading(plan) {
            out.push_str(&format!("\n# {}\n", text::ascii(&heading)));
        }
        let addresses = addresses(plan, scope);
        for group in plan.groups(&plan.rules) {
            out.push('\n');
            for line in text::explain_group(plan, &plan.rules, &group) {
                out.push_str(&format!("# {}\n", text::ascii(&line)));
            }
            let comment = text::double_quoted(&text::group_comment(plan, &group, COMMENT_MAX));
            for matchers in protocol_matches(&group, family) {
                for addr in &addresses {
                    out.push_str(&format!(
                        "-A PORTOLAN-IN {addr}{matchers} -m comment --comment {comment} -j ACCEPT\n"
                    ));
                }
            }
        }
    }
    out.push_str("COMMIT\n");
    out
}

/// `-s SRC -d DST ` per source (or one empty string for any).
fn addresses(plan: &Plan, scope: &crate::plan::Scope) -> Vec<String> {
    let dst = plan
        .destination
        .filter(|d| Family::of(d) == scope.family)
        .map(|d| format!("-d {d} "))
        .unwrap_or_default();
    if scope.is_any() {
        vec![dst]
    } else {
        scope
            .sources
            .iter()
            .map(|s| format!("-s {s} {dst}"))
            .collect()
    }
}

/// The protocol and port matches of a group, one per multiport chunk.
fn protocol_matches(group: &RuleGroup, family: Family) -> Vec<String> {
    match group.transport {
        Transport::Tcp | Transport::Udp => {
            let p = group.transport.key();
            ports::chunk(&group.ranges, MULTIPORT_MAX, MULTIPORT_RANGE_COST)
                .into_iter()
                .map(|chunk| match chunk.as_slice() {
                    [one] => format!("-p {p} -m {p} --dport {}", one.with_separator(":")),
                    many => format!("-p {p} -m multiport --dports {}", join(many)),
                })
                .collect()
        }
        other => vec![match (other.protocol_number(), family) {
            // ip6tables' -p skips AH as an extension header; the ah match finds it.
            (51, Family::Ipv6) => "-m ah".to_string(),
            (47, _) => "-p gre".to_string(),
            (50, _) => "-p esp".to_string(),
            (51, _) => "-p ah".to_string(),
            (n, _) => format!("-p {n}"),
        }],
    }
}

fn join(ranges: &[PortRange]) -> String {
    ranges
        .iter()
        .map(|r| r.with_separator(":"))
        .collect::<Vec<_>>()
        .join(",")
}
