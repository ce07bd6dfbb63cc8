//! Cisco IOS: an extended IPv4 access list and an IPv6 access list, for the interface that
//! carries traffic toward the server.
//!
//! Limits: `remark` lines hold at most 100 characters; each entry takes one port (`eq`) or one
//! range (`range a b`); IPv4 sources use wildcard masks, IPv6 prefixes. AH is `ahp`; IPv6
//! lists have no `gre` keyword, so GRE is protocol 47 there. Access lists are stateless.

use ipnet::IpNet;
use portolan_catalog::Transport;

use crate::dialect::{Dialect, RenderedFile};
use crate::plan::{Family, Plan};
use crate::render::text;

/// The longest remark.
pub const REMARK_MAX: usize = 100;

/// `<slug>.ios`.
pub fn render(plan: &Plan) -> Vec<RenderedFile> {
    let name = plan.slug().to_ascii_uppercase();
    let mut notes = vec![
        "Apply the lists to the interface in front of the server: ip access-group NAME in / ipv6 traffic-filter NAME in. Each list ends in the implicit deny.".to_string(),
        format!("Remarks are cut to {REMARK_MAX} characters; each entry holds one port or one range."),
        "Access lists are stateless: the server's replies travel the other way and are not filtered here, but the list admits no connection the server opens (FTP active data, TFTP transfers; see the caveats). An ASA or a zone-based firewall (inspect ftp, inspect dcerpc) tracks them instead.".to_string(),
    ];
    if plan.destination.is_none() {
        notes.push("No destination was given: the entries match any destination address; give --to for a router in front of several hosts.".to_string());
    }
    let mut out = text::preamble(plan, Dialect::Cisco, &notes, "!");
    let subs = plan.audience_plans();
    for family in [Family::Ipv4, Family::Ipv6] {
        if subs.iter().all(|sub| sub.scope(family).is_none()) {
            continue;
        }
        out.push_str("!\n");
        match family {
            Family::Ipv4 => out.push_str(&format!("ip access-list extended {name}-IN\n")),
            Family::Ipv6 => out.push_str(&format!("ipv6 access-list {name}-IN6\n")),
        }
        for sub in &subs {
            let plan = sub;
            let Some(scope) = plan.scope(family) else {
                continue;
            };
            if let Some(heading) = text::audience_heading(plan) {
                out.push_str(&format!(
                    " remark {}\n",
                    text::fit(&text::ascii(&heading), REMARK_MAX)
                ));
            }
            let sources: Vec<String> = scope.sources_or_any().iter().map(address).collect();
            let destination = plan
                .destination
                .filter(|d| Family::of(d) == family)
                .map_or_else(|| "any".to_string(), |d| address(&d));
            for group in plan.groups(&plan.rules) {
                for line in text::explain_group(plan, &plan.rules, &group) {
                    out.push_str(&format!(
                        " remark {}\n",
                        text::fit(&text::ascii(&line), REMARK_MAX)
                    ));
                }
                let protocol = protocol(group.transport, family);
                for source in &sources {
                    if group.transport.has_ports() {
                        for r in &group.ranges {
                            let port = if r.is_single() {
                                format!("eq {}", r.first)
                            } else {
                                format!("range {} {}", r.first, r.last)
                            };
                            out.push_str(&format!(
                                " permit {protocol} {source} {destination} {port}\n"
                            ));
                        }
                    } else {
                        out.push_str(&format!(" permit {protocol} {source} {destination}\n"));
                    }
                }
            }
        }
    }
    vec![RenderedFile {
        name: format!("{}.ios", plan.slug()),
        text: out,
    }]
}

fn protocol(t: Transport, family: Family) -> String {
    match (t.protocol_number(), family) {
        (6, _) => "tcp".to_string(),
        (17, _) => "udp".to_string(),
        (47, Family::Ipv4) => "gre".to_string(),
        (50, _) => "esp".to_string(),
        (51, _) => "ahp".to_string(),
        (n, _) => n.to_string(),
    }
}

/// `any`, `host A`, `A WILDCARD` (IPv4) or `P/L` (IPv6).
pub fn address(net: &IpNet) -> String {
    match net {
        _ if net.prefix_len() == 0 => "any".to_string(),
        IpNet::V4(n) if n.prefix_len() == 32 => format!("host {}", n.addr()),
        IpNet::V4(n) => format!("{} {}", n.network(), n.hostmask()),
        IpNet::V6(n) if n.prefix_len() == 128 => format!("host {}", n.addr()),
        IpNet::V6(n) => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_masks() {
        let a = |s: &str| address(&s.parse().unwrap());
        assert_eq!(a("10.0.0.0/8"), "10.0.0.0 0.255.255.255");
        assert_eq!(a("192.168.1.0/24"), "192.168.1.0 0.0.0.255");
        assert_eq!(a("10.0.0.5/32"), "host 10.0.0.5");
        assert_eq!(a("0.0.0.0/0"), "any");
        assert_eq!(a("fd00::/8"), "fd00::/8");
        assert_eq!(a("2001:db8::5/128"), "host 2001:db8::5");
    }
}
