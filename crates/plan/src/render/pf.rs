//! OpenBSD pf: `pass in quick` rules for pf.conf or an anchor, with the sources in a table.
//!
//! Limits: labels hold at most 63 characters (PF_RULE_LABEL_SIZE is 64 with the zero); the full
//! explanation goes in `#` lines. Port lists use `{ }` and ranges `a:b` (inclusive).

use portolan_catalog::Transport;

use crate::dialect::{Dialect, RenderedFile};
use crate::plan::{Family, Plan};
use crate::render::text;

/// The longest label pf keeps.
pub const LABEL_MAX: usize = 63;

/// `portolan.pf.conf`.
pub fn render(plan: &Plan) -> Vec<RenderedFile> {
    let notes = vec![
        "Rules only: load them into pf.conf's filter section or an anchor (anchor \"portolan\"; load anchor \"portolan\" from \"/etc/pf.portolan.conf\"). The default block rule (block in all) belongs to the main ruleset.".to_string(),
        format!("Labels are cut to {LABEL_MAX} characters; the # lines above each rule list every service."),
        "pass rules keep state, so replies and the TCP/UDP return traffic need no rules of their own.".to_string(),
    ];
    let mut out = text::preamble(plan, Dialect::Pf, &notes, "#");
    let subs = plan.audience_plans();
    for sub in &subs {
        let plan = sub;
        let specific = plan.scopes.iter().any(|s| !s.is_any());
        let table = match plan.focus_audience() {
            Some(a) => format!("portolan_{}", a.slug()),
            None => "portolan_sources".to_string(),
        };
        if specific {
            let nets: Vec<String> = plan
                .scopes
                .iter()
                .flat_map(|s| s.sources_or_any())
                .map(|n| text::net(&n))
                .collect();
            out.push_str(&format!(
                "\ntable <{table}> const {{ {} }}\n",
                nets.join(", ")
            ));
        }
    }
    for sub in &subs {
        let plan = sub;
        if let Some(heading) = text::audience_heading(plan) {
            out.push_str(&format!("\n# {}\n", text::ascii(&heading)));
        }
        let specific = plan.scopes.iter().any(|s| !s.is_any());
        let from = match (specific, plan.focus_audience()) {
            (true, Some(a)) => format!("<portolan_{}>", a.slug()),
            (true, None) => "<portolan_sources>".to_string(),
            (false, _) => "any".to_string(),
        };
        let to = plan
            .destination
            .map_or_else(|| "(self)".to_string(), |d| text::net(&d));
        let family = match (plan.destination, plan.scopes.as_slice()) {
            (Some(d), _) => match Family::of(&d) {
                Family::Ipv4 => "inet ",
                Family::Ipv6 => "inet6 ",
            },
            (None, [only]) => match only.family {
                Family::Ipv4 => "inet ",
                Family::Ipv6 => "inet6 ",
            },
            _ => "",
        };
        for group in plan.groups(&plan.rules) {
            out.push('\n');
            for line in text::explain_group(plan, &plan.rules, &group) {
                out.push_str(&format!("# {}\n", text::ascii(&line)));
            }
            let label = text::double_quoted(&text::group_comment(plan, &group, LABEL_MAX));
            match group.transport {
                Transport::Tcp | Transport::Udp => {
                    let ports: Vec<String> =
                        group.ranges.iter().map(|r| r.with_separator(":")).collect();
                    let ports = match ports.as_slice() {
                        [one] => one.clone(),
                        many => format!("{{ {} }}", many.join(" ")),
                    };
                    out.push_str(&format!(
                        "pass in quick {family}proto {} from {from} to {to} port {ports} label {label}\n",
                        group.transport.key()
                    ));
                }
                other => out.push_str(&format!(
                    "pass in quick {family}proto {} from {from} to {to} label {label}\n",
                    text::protocol_name(other)
                )),
            }
        }
    }
    vec![RenderedFile {
        name: "portolan.pf.conf".to_string(),
        text: out,
    }]
}
