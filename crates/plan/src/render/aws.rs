//! AWS security groups: `--ip-permissions` JSON for `aws ec2
//! authorize-security-group-ingress`, and a script with the commands and the plan's notes
//! (JSON has no comments).
//!
//! Limits: a security group holds 60 inbound rules per address family by default, each rule
//! one port range and one CIDR; a plan needing more is spread over several groups (one JSON
//! file each), and the script says so. Descriptions hold at most 255 characters from a
//! restricted set. IP protocols (GRE, ESP, AH) are given by number without ports; AWS opens
//! every port for them anyway. A security group filters traffic to the interfaces it is
//! attached to, so `--to` has no equivalent.

use serde_json::{Value, json};

use crate::dialect::{Dialect, RenderedFile};
use crate::plan::{Family, Plan};
use crate::ports::PortRange;
use crate::render::text;

/// Inbound rules per security group and family (the default quota).
pub const RULES_PER_GROUP: usize = 60;
/// The longest description.
pub const DESCRIPTION_MAX: usize = 255;

/// One permission: a protocol and port range, for some CIDRs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// `tcp`, `udp`, or a protocol number as text.
    pub protocol: String,
    /// The port range, `None` for IP protocols.
    pub ports: Option<PortRange>,
    /// IPv4 CIDRs.
    pub v4: Vec<String>,
    /// IPv6 CIDRs.
    pub v6: Vec<String>,
    /// The description of each CIDR entry.
    pub description: String,
}

/// The permissions of each security group the plan needs, at most 60 rules per family each.
pub fn security_groups(plan: &Plan) -> Vec<Vec<Permission>> {
    // Each rule admits its audience's sources (with sources per class, those of the classes
    // that need it).
    let sources = |audience: usize, f: Family| -> Vec<String> {
        let scopes = plan
            .audiences
            .get(audience)
            .map_or(plan.scopes.as_slice(), |a| a.scopes.as_slice());
        scopes
            .iter()
            .find(|s| s.family == f)
            .map(|s| s.sources_or_any().iter().map(|n| n.to_string()).collect())
            .unwrap_or_default()
    };
    let mut groups: Vec<Vec<Permission>> = Vec::new();
    let mut current: Vec<Permission> = Vec::new();
    let (mut used4, mut used6) = (0, 0);
    for rule in &plan.rules {
        let (v4, v6) = (
            sources(rule.audience, Family::Ipv4),
            sources(rule.audience, Family::Ipv6),
        );
        let protocol = if rule.transport.has_ports() {
            rule.transport.key()
        } else {
            rule.transport.protocol_number().to_string()
        };
        let description = sanitize(&text::rule_comment(plan, rule, DESCRIPTION_MAX));
        // Each CIDR is one rule; spread a rule's CIDRs over groups when they do not fit.
        let mut rest4: &[String] = &v4;
        let mut rest6: &[String] = &v6;
        while !rest4.is_empty() || !rest6.is_empty() {
            let room4 = RULES_PER_GROUP - used4;
            let room6 = RULES_PER_GROUP - used6;
            if (room4 == 0 && !rest4.is_empty()) || (room6 == 0 && !rest6.is_empty()) {
                groups.push(std::mem::take(&mut current));
                used4 = 0;
                used6 = 0;
                continue;
            }
            let (take4, next4) = rest4.split_at(rest4.len().min(room4));
            let (take6, next6) = rest6.split_at(rest6.len().min(room6));
            used4 += take4.len();
            used6 += take6.len();
            current.push(Permission {
                protocol: protocol.clone(),
                ports: rule.ports,
                v4: take4.to_vec(),
                v6: take6.to_vec(),
                description: description.clone(),
            });
            rest4 = next4;
            rest6 = next6;
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// The JSON array of one group's permissions.
pub fn permissions_json(permissions: &[Permission]) -> Value {
    Value::Array(
        permissions
            .iter()
            .map(|p| {
                let mut o = serde_json::Map::new();
                o.insert("IpProtocol".to_string(), json!(p.protocol));
                if let Some(r) = p.ports {
                    o.insert("FromPort".to_string(), json!(r.first));
                    o.insert("ToPort".to_string(), json!(r.last));
                }
                // One list per family, left out when empty: IPv4 in `IpRanges` under
                // `CidrIp`, IPv6 in `Ipv6Ranges` under `CidrIpv6`.
                for (list, cidrs, cidr) in [
                    ("IpRanges", &p.v4, "CidrIp"),
                    ("Ipv6Ranges", &p.v6, "CidrIpv6"),
                ] {
                    if !cidrs.is_empty() {
                        let entries = cidrs
                            .iter()
                            .map(|c| json!({cidr: c, "Description": p.description}))
                            .collect();
                        o.insert(list.to_string(), Value::Array(entries));
                    }
                }
                Value::Object(o)
            })
            .collect(),
    )
}

/// Notes shared with the Terraform dialect.
pub fn notes(plan: &Plan, groups: usize) -> Vec<String> {
    let mut notes = vec![
        format!(
            "A security group holds {RULES_PER_GROUP} inbound rules per address family by default; each port range times each source CIDR is one rule."
        ),
        "IP protocols (GRE 47, ESP 50, AH 51) are given by number without ports.".to_string(),
        "Security groups are stateful: replies need no rules.".to_string(),
    ];
    if groups > 1 {
        notes.push(format!(
            "This plan needs more than {RULES_PER_GROUP} rules in a family: it is spread over {groups} security groups; attach all of them to the instances."
        ));
    }
    if let Some(d) = plan.destination {
        notes.push(format!(
            "Destination {d} is not expressed: a security group filters traffic to the interfaces it is attached to; attach it to the server's interface."
        ));
    }
    notes
}

/// The script and the JSON file(s).
pub fn render(plan: &Plan) -> Vec<RenderedFile> {
    let slug = plan.slug();
    let groups = security_groups(plan);
    let files: Vec<String> = if groups.len() == 1 {
        vec![format!("{slug}-aws.json")]
    } else {
        (1..=groups.len())
            .map(|i| format!("{slug}-aws-{i}.json"))
            .collect()
    };
    let mut notes = notes(plan, groups.len());
    notes.push("JSON has no comments: this script carries the plan's notes, the JSON files only the permissions.".to_string());
    let mut script = String::from("#!/bin/sh\n");
    script.push_str(&text::preamble(plan, Dialect::Aws, &notes, "#"));
    script.push_str("set -eu\n");
    for (i, file) in files.iter().enumerate() {
        let var = if files.len() == 1 {
            "SG_ID".to_string()
        } else {
            format!("SG_ID_{}", i + 1)
        };
        script.push_str(&format!(
            ": \"${{{var}:?set {var} to the id of the security group (sg-...)}}\"\n"
        ));
        script.push_str(&format!(
            "aws ec2 authorize-security-group-ingress --group-id \"${var}\" --ip-permissions file://{file}\n"
        ));
    }
    if groups.is_empty() {
        script.push_str("# The plan opens nothing.\n");
    }
    let mut out = vec![RenderedFile {
        name: format!("{slug}-aws.sh"),
        text: script,
    }];
    for (file, permissions) in files.into_iter().zip(&groups) {
        let json = permissions_json(permissions);
        out.push(RenderedFile {
            name: file,
            text: format!(
                "{}\n",
                serde_json::to_string_pretty(&json).unwrap_or_else(|_| "[]".to_string())
            ),
        });
    }
    out
}

/// Keeps the characters AWS takes in descriptions (`a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*`), turning
/// others into `-`, and cuts to 255.
pub fn sanitize(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    text::fit(&clean, DESCRIPTION_MAX)
}
