//! Azure network security groups: `az network nsg rule create` commands, one per group of
//! ports and address family, with priorities from 1000 up.
//!
//! Limits: GRE (and any IP protocol other than TCP, UDP, ESP and AH) cannot be expressed, and
//! Azure virtual networks drop GRE anyway: such rules are listed as not rendered. Priorities
//! run from 100 to 4096 and must be unique; descriptions hold 140 characters; names 80.

use portolan_catalog::Transport;

use crate::dialect::{Dialect, RenderedFile};
use crate::plan::{Family, Plan};
use crate::render::text;

/// The first priority used.
pub const PRIORITY_START: u32 = 1000;
/// The gap between priorities, leaving room for rules of one's own.
pub const PRIORITY_STEP: u32 = 10;
/// The highest priority Azure takes.
pub const PRIORITY_MAX: u32 = 4096;
/// The longest description.
pub const DESCRIPTION_MAX: usize = 140;
/// The longest rule name.
pub const NAME_MAX: usize = 80;

/// `<slug>-azure.sh`.
pub fn render(plan: &Plan) -> Vec<RenderedFile> {
    let slug = plan.slug();
    let mut commands: Vec<(String, Vec<String>)> = Vec::new();
    let mut unexpressed: Vec<String> = Vec::new();
    let whole = plan;
    for sub in whole.audience_plans() {
        let plan = &sub;
        let groups = plan.groups(&plan.rules);
        let both_any = plan.scopes.len() == 2 && plan.scopes.iter().all(|s| s.is_any());
        let heading = text::audience_heading(plan);
        for group in &groups {
            let protocol = match group.transport {
                Transport::Tcp => "Tcp",
                Transport::Udp => "Udp",
                t if t.protocol_number() == 50 => "Esp",
                t if t.protocol_number() == 51 => "Ah",
                other => {
                    let why = if other.protocol_number() == 47 {
                        "Azure NSG rules cannot name GRE, and virtual networks drop GRE packets: PPTP cannot work through Azure"
                    } else {
                        "Azure NSG rules take only TCP, UDP, ICMP, ESP and AH"
                    };
                    unexpressed.push(format!(
                        "Not rendered: {} ({}): {why}.",
                        other,
                        text::short_names(plan, &group.services).join(", ")
                    ));
                    continue;
                }
            };
            let ports = if group.transport.has_ports() {
                group
                    .ranges
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                "'*'".to_string()
            };
            let description = quote(&text::group_comment(plan, group, DESCRIPTION_MAX));
            let mut explanation = text::explain_group(plan, &plan.rules, group);
            if let Some(heading) = &heading {
                explanation.insert(0, heading.clone());
            }
            // One rule per family when sources or a destination are given: a rule does not mix them.
            let families: Vec<Option<Family>> = if both_any && plan.destination.is_none() {
                vec![None]
            } else {
                plan.scopes.iter().map(|s| Some(s.family)).collect()
            };
            for family in families {
                let sources = match family.and_then(|f| plan.scope(f)) {
                    Some(scope) if !scope.is_any() => scope
                        .sources
                        .iter()
                        .map(text::net)
                        .collect::<Vec<_>>()
                        .join(" "),
                    Some(scope) => scope.family.any_net().to_string(),
                    None => "'*'".to_string(),
                };
                let destination = match (plan.destination, family) {
                    (Some(d), Some(f)) if Family::of(&d) == f => text::net(&d),
                    (None, Some(f)) if !both_any => f.any_net().to_string(),
                    _ => "'*'".to_string(),
                };
                let suffix = match family {
                    Some(Family::Ipv4) => "-v4",
                    Some(Family::Ipv6) => "-v6",
                    None => "",
                };
                let args = [
                    format!("--protocol {protocol}"),
                    format!("--source-address-prefixes {sources}"),
                    "--source-port-ranges '*'".to_string(),
                    format!("--destination-address-prefixes {destination}"),
                    format!("--destination-port-ranges {ports}"),
                    format!("--description {description}"),
                ];
                commands.push((suffix.to_string(), {
                    let mut lines = explanation.clone();
                    lines.push(args.join(" \\\n  "));
                    lines
                }));
            }
        }
    }
    let plan = whole;
    let count = commands.len() as u32;
    let step = if PRIORITY_START + count.saturating_sub(1) * PRIORITY_STEP <= PRIORITY_MAX {
        PRIORITY_STEP
    } else {
        1
    };
    let mut notes = vec![
        format!("Priorities run from {PRIORITY_START} in steps of {step}; rules of your own can go between them. Set RG and NSG before running."),
        format!("Descriptions are cut to {DESCRIPTION_MAX} characters; the # lines above each command list every service."),
        "A rule holds one address family: with sources or a destination, each port group gets an IPv4 and an IPv6 rule.".to_string(),
        "NSGs are stateful: replies need no rules.".to_string(),
    ];
    let room = PRIORITY_MAX - PRIORITY_START + 1;
    if count > room {
        notes.push(format!(
            "{count} rules do not fit the {room} priorities from {PRIORITY_START} to {PRIORITY_MAX}: the last {} are printed as NOT RENDERED; split the plan over two NSGs.",
            count - room
        ));
    }
    notes.extend(unexpressed);
    let mut out = String::from("#!/bin/sh\n");
    out.push_str(&text::preamble(plan, Dialect::Azure, &notes, "#"));
    out.push_str("set -eu\n: \"${RG:?set RG to the resource group}\"\n: \"${NSG:?set NSG to the network security group}\"\n");
    for (i, (suffix, lines)) in commands.iter().enumerate() {
        let priority = PRIORITY_START + (i as u32) * step;
        out.push('\n');
        let Some((command, explanation)) = lines.split_last() else {
            continue;
        };
        for line in explanation {
            out.push_str(&format!("# {}\n", text::ascii(line)));
        }
        if priority > PRIORITY_MAX {
            out.push_str(&format!(
                "# NOT RENDERED: priority {priority} would exceed {PRIORITY_MAX}; split the plan over two NSGs.\n"
            ));
            continue;
        }
        let name: String = format!("{slug}-{priority}{suffix}")
            .chars()
            .take(NAME_MAX)
            .collect();
        out.push_str(&format!(
            "az network nsg rule create --resource-group \"$RG\" --nsg-name \"$NSG\" \\\n  --name {name} --priority {priority} --direction Inbound --access Allow \\\n  {command}\n"
        ));
    }
    vec![RenderedFile {
        name: format!("{slug}-azure.sh"),
        text: out,
    }]
}

/// A single-quoted shell word.
fn quote(text: &str) -> String {
    format!("'{}'", text::ascii(text).replace('\'', "'\\''"))
}
