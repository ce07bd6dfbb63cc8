//! Terraform: an `aws_security_group` per group the plan needs and one
//! `aws_vpc_security_group_ingress_rule` per port range and CIDR (the resource takes one CIDR).
//!
//! The limits are AWS's (see [`crate::render::aws`]): 60 rules per group and family, spread
//! over several groups when exceeded; IP protocols without `from_port`/`to_port`.

use crate::dialect::{Dialect, RenderedFile};
use crate::plan::Plan;
use crate::render::aws;
use crate::render::text;

/// `<slug>.tf`.
pub fn render(plan: &Plan) -> Vec<RenderedFile> {
    let slug = plan.slug();
    let groups = aws::security_groups(plan);
    let notes = aws::notes(plan, groups.len());
    let mut out = text::preamble(plan, Dialect::Terraform, &notes, "#");
    out.push_str("\nvariable \"vpc_id\" {\n  description = \"The VPC the security group belongs to\"\n  type        = string\n}\n");
    let base = slug.replace('-', "_");
    for (g, permissions) in groups.iter().enumerate() {
        let (resource, name) = if groups.len() == 1 {
            (base.clone(), slug.clone())
        } else {
            (format!("{base}_{}", g + 1), format!("{slug}-{}", g + 1))
        };
        out.push_str(&format!(
            "\nresource \"aws_security_group\" \"{resource}\" {{\n  name        = {}\n  description = {}\n  vpc_id      = var.vpc_id\n}}\n",
            string(&name),
            string(&aws::sanitize(&format!(
                "portolan plan for {}",
                plan.subject_ids().join(", ")
            )))
        ));
        let mut seen: Vec<String> = Vec::new();
        for p in permissions {
            let ports = p
                .ports
                .map(|r| {
                    if r.is_single() {
                        format!("{}", r.first)
                    } else {
                        format!("{}_{}", r.first, r.last)
                    }
                })
                .unwrap_or_default();
            let cidrs =
                p.v4.iter()
                    .map(|c| ("cidr_ipv4", c, "v4"))
                    .chain(p.v6.iter().map(|c| ("cidr_ipv6", c, "v6")));
            for (field, cidr, fam) in cidrs {
                let base = format!(
                    "{}_{}{}_{fam}",
                    resource,
                    p.protocol,
                    if ports.is_empty() {
                        String::new()
                    } else {
                        format!("_{ports}")
                    }
                );
                let mut id = base.clone();
                let mut n = 1;
                while seen.contains(&id) {
                    n += 1;
                    id = format!("{base}_{n}");
                }
                seen.push(id.clone());
                out.push_str(&format!(
                    "\nresource \"aws_vpc_security_group_ingress_rule\" \"{id}\" {{\n  security_group_id = aws_security_group.{resource}.id\n  description       = {}\n  {field:<17} = {}\n  ip_protocol       = {}\n",
                    string(&p.description),
                    string(cidr),
                    string(&p.protocol)
                ));
                if let Some(r) = p.ports {
                    out.push_str(&format!(
                        "  from_port         = {}\n  to_port           = {}\n",
                        r.first, r.last
                    ));
                }
                out.push_str("}\n");
            }
        }
    }
    vec![RenderedFile {
        name: format!("{slug}.tf"),
        text: out,
    }]
}

/// An HCL string literal: `"` and `\` escaped, and `${` / `%{` doubled so they stay literal.
pub fn string(text: &str) -> String {
    let clean = text::ascii(text)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace("${", "$${")
        .replace("%{", "%%{");
    format!("\"{clean}\"")
}
