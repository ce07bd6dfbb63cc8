//! ufw: an application profile (for `/etc/ufw/applications.d/`) with the plan's TCP and UDP
//! ports, and the `ufw` commands that allow it; IP protocols, which profiles cannot hold,
//! get rules of their own.
//!
//! Limits (from ufw's profile parser): each `|`-separated entry is one multiport rule, so it
//! holds at most 15 ports with a range counting as two; a field holds at most 1024
//! characters, so a longer port list is spread over several profiles; profile names are at
//! most 64 characters and must not be a name in /etc/services (hence the `portolan-` prefix).

use portolan_catalog::Transport;

use crate::dialect::{Dialect, RenderedFile};
use crate::plan::{Family, Plan};
use crate::ports;
use crate::render::text;

/// Ports one profile entry holds.
pub const ENTRY_MAX: usize = 15;
/// What a range costs in an entry.
pub const RANGE_COST: usize = 2;
/// The longest field value ufw reads.
pub const FIELD_MAX: usize = 1024;
/// The longest profile name.
pub const NAME_MAX: usize = 64;
/// The longest comment of a ufw rule kept here.
pub const COMMENT_MAX: usize = 200;

/// A profile: its name and `ports=` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile name.
    pub name: String,
    /// Entries, each `a,b,c:d/tcp`.
    pub entries: Vec<String>,
}

/// The profiles of a plan: entries of at most 15 ports, profiles of at most 1024 characters.
pub fn profiles(plan: &Plan) -> Vec<Profile> {
    let mut entries = Vec::new();
    for transport in [Transport::Tcp, Transport::Udp] {
        let open = plan.open_ports(transport);
        for chunk in ports::chunk(&open, ENTRY_MAX, RANGE_COST) {
            let list = chunk
                .iter()
                .map(|r| r.with_separator(":"))
                .collect::<Vec<_>>()
                .join(",");
            entries.push(format!("{list}/{}", transport.key()));
        }
    }
    let slug = match plan.focus_audience() {
        Some(a) => format!("{}-{}", plan.slug(), a.slug().replace('_', "-")),
        None => plan.slug(),
    };
    let base: String = slug.chars().take(NAME_MAX - 4).collect();
    let mut out: Vec<Profile> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut length = 0;
    for entry in entries {
        let added = entry.len() + usize::from(!current.is_empty());
        if length + added > FIELD_MAX && !current.is_empty() {
            out.push(Profile {
                name: String::new(),
                entries: std::mem::take(&mut current),
            });
            length = 0;
        }
        length += entry.len() + usize::from(!current.is_empty());
        current.push(entry);
    }
    if !current.is_empty() {
        out.push(Profile {
            name: String::new(),
            entries: current,
        });
    }
    let count = out.len();
    for (i, p) in out.iter_mut().enumerate() {
        p.name = if count == 1 {
            base.clone()
        } else {
            format!("{base}-{}", i + 1)
        };
    }
    out
}

/// The profile file and the commands.
pub fn render(plan: &Plan) -> Vec<RenderedFile> {
    let subs = plan.audience_plans();
    let per_audience: Vec<Vec<Profile>> = subs.iter().map(profiles).collect();
    let profiles: Vec<Profile> = per_audience.iter().flatten().cloned().collect();
    let slug = plan.slug();
    let mut notes = vec![
        format!("Two files: {slug} (the application profile, for /etc/ufw/applications.d/) and {slug}-ufw.sh (the ufw commands)."),
        format!("Each profile entry is one multiport rule: at most {ENTRY_MAX} ports, a range counting as {RANGE_COST}; longer lists are cut into several entries."),
        "Profiles cannot hold IP protocols (GRE, ESP, AH): the script allows them with rules of their own.".to_string(),
    ];
    for rule in plan.rules.iter().filter(|r| !r.transport.has_ports()) {
        if protocol_name(rule.transport).is_none() {
            notes.push(format!(
                "Not rendered: {} ({}): ufw takes IP protocols only by name (ipv6, esp, ah, igmp, gre, vrrp), and this one has none there.",
                rule.transport,
                text::short_names(plan, &rule.services).join(", ")
            ));
        }
    }
    if profiles.len() > 1 {
        notes.push(format!(
            "The port list is longer than the {FIELD_MAX} characters a profile field holds: it is spread over {} profiles.",
            profiles.len()
        ));
    }
    let mut file = text::preamble(plan, Dialect::Ufw, &notes, "#");
    for p in &profiles {
        file.push_str(&format!("\n[{}]\n", p.name));
        file.push_str(&format!(
            "title={}\n",
            text::fit(
                &text::ascii(&format!("portolan: {}", plan.subject_ids().join(", "))),
                FIELD_MAX
            )
        ));
        let services = plan.service_labels();
        file.push_str(&format!(
            "description={}\n",
            text::fit(
                &text::ascii(&format!("Generated by portolan for {services}")),
                FIELD_MAX
            )
        ));
        file.push_str(&format!("ports={}\n", p.entries.join("|")));
    }
    if profiles.is_empty() {
        file.push_str("\n# The plan opens no TCP or UDP port: no profile.\n");
    }
    let mut script = String::from("#!/bin/sh\n");
    script.push_str(&text::preamble(plan, Dialect::Ufw, &notes, "#"));
    script.push_str("set -eu\n");
    script.push_str(&format!(
        "# Install the profile first: cp {slug} /etc/ufw/applications.d/\n"
    ));
    let comment = quote(&text::fit(
        &format!("portolan: {}", plan.subject_ids().join(", ")),
        COMMENT_MAX,
    ));
    for p in &profiles {
        script.push_str(&format!("ufw app update {}\n", p.name));
    }
    for (sub, profiles) in subs.iter().zip(&per_audience) {
        let plan = sub;
        if let Some(heading) = text::audience_heading(plan) {
            script.push_str(&format!("# {}\n", text::ascii(&heading)));
        }
        for (from, to) in endpoints(plan) {
            for p in profiles {
                script.push_str(&format!(
                    "ufw allow from {from} to {to} app {} comment {comment}\n",
                    p.name
                ));
            }
            for rule in plan.rules.iter().filter(|r| !r.transport.has_ports()) {
                let Some(protocol) = protocol_name(rule.transport) else {
                    continue;
                };
                script.push_str(&format!(
                    "ufw allow proto {protocol} from {from} to {to} comment {}\n",
                    quote(&text::rule_comment(plan, rule, COMMENT_MAX))
                ));
            }
        }
    }
    vec![
        RenderedFile {
            name: slug.clone(),
            text: file,
        },
        RenderedFile {
            name: format!("{slug}-ufw.sh"),
            text: script,
        },
    ]
}

/// (from, to) pairs for the commands.
fn endpoints(plan: &Plan) -> Vec<(String, String)> {
    let both_any = plan.scopes.len() == 2 && plan.scopes.iter().all(|s| s.is_any());
    if both_any && plan.destination.is_none() {
        return vec![("any".to_string(), "any".to_string())];
    }
    let mut out = Vec::new();
    for scope in &plan.scopes {
        let to = plan
            .destination
            .filter(|d| Family::of(d) == scope.family)
            .map_or_else(|| scope.family.any_net().to_string(), |d| text::net(&d));
        for from in scope.sources_or_any() {
            out.push((text::net(&from), to.clone()));
        }
    }
    out
}

/// ufw's name for an IP protocol: its parser takes these names and no numbers.
fn protocol_name(t: Transport) -> Option<&'static str> {
    match t.protocol_number() {
        2 => Some("igmp"),
        41 => Some("ipv6"),
        47 => Some("gre"),
        50 => Some("esp"),
        51 => Some("ah"),
        112 => Some("vrrp"),
        _ => None,
    }
}

/// A single-quoted shell word.
fn quote(text: &str) -> String {
    format!("'{}'", text::ascii(text).replace('\'', "'\\''"))
}
