//! A plan as a firewall change request: one row per rule, with what a firewall team reviews
//! and signs (source, destination, protocol, ports, action), what the rule serves and why,
//! the Microsoft document that requires it, and empty expiry and approval columns.
//!
//! The rows are plain text; the output crate lays them out as CSV or a workbook.

use portolan_catalog::{Modern, PortSpec};

use crate::plan::{Plan, Rule, UseKind};

/// The source key of the seed document in the modern layer's `[[source]]` list.
const SEED_SOURCE: &str = "seed";

/// The source key of KB 224196, which fixes RPC servers to ports (`--pin-rpc`).
const PINNED_SOURCE: &str = "kb224196";

/// The column headers, in order; [`ChangeRequestRow::cells`] follows them.
pub const HEADERS: [&str; 14] = [
    "Rule",
    "Source",
    "Destination",
    "Protocol",
    "Ports",
    "Action",
    "Services",
    "Why",
    "Optional",
    "Required by (Microsoft document)",
    "Document links",
    "Notes",
    "Expiry",
    "Approved by",
];

/// One rule of the change request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRequestRow {
    /// 1-based rule number, in the plan's rule order.
    pub number: usize,
    /// The admitted sources: CIDRs, or "any IPv4" / "any IPv6".
    pub source: String,
    /// The protected server or network ("this host" when the plan names none).
    pub destination: String,
    /// TCP, UDP or an IP protocol (GRE, ESP, AH).
    pub protocol: String,
    /// "135", "49152-65535"; empty for IP protocols.
    pub ports: String,
    /// Always "allow": a plan only opens.
    pub action: String,
    /// The services the rule serves, with their Windows service names.
    pub services: String,
    /// The roles' reasons for those services (or "asked for with --service").
    pub why: String,
    /// "yes" when every row the rule serves is optional.
    pub optional: String,
    /// The titles of the Microsoft documents that require the rule.
    pub documents: String,
    /// Their addresses, in the same order.
    pub links: String,
    /// What the rule alone cannot express (dynamic RPC, FTP passive data, IP protocols).
    pub notes: String,
}

impl ChangeRequestRow {
    /// The cells, in [`HEADERS`] order; expiry and approval are left empty for the reviewer.
    pub fn cells(&self) -> [String; 14] {
        [
            self.number.to_string(),
            self.source.clone(),
            self.destination.clone(),
            self.protocol.clone(),
            self.ports.clone(),
            self.action.clone(),
            self.services.clone(),
            self.why.clone(),
            self.optional.clone(),
            self.documents.clone(),
            self.links.clone(),
            self.notes.clone(),
            String::new(),
            String::new(),
        ]
    }
}

/// The change request of `plan`: one row per [`Plan::rules`] entry, in order. `modern` gives
/// the documents beyond the seed (KB 832017, KB 179442, ...) that restate a rule's rows.
pub fn rows(plan: &Plan, modern: &Modern) -> Vec<ChangeRequestRow> {
    let destination = plan
        .destination
        .map_or_else(|| "this host".to_string(), |d| d.to_string());
    plan.rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let keys = document_keys(plan, rule, modern);
            let documents: Vec<String> = keys
                .iter()
                .map(|k| {
                    modern
                        .source(k)
                        .map_or_else(|| k.clone(), |s| s.title.clone())
                })
                .collect();
            let links: Vec<String> = keys
                .iter()
                .filter_map(|k| modern.source(k).map(|s| s.url.clone()))
                .collect();
            ChangeRequestRow {
                number: i + 1,
                source: sources(plan, rule),
                destination: destination.clone(),
                protocol: rule.transport.to_string(),
                ports: rule.ports.map(|p| p.to_string()).unwrap_or_default(),
                action: "allow".to_string(),
                services: rule
                    .services
                    .iter()
                    .filter_map(|&s| plan.services.get(s))
                    .map(|s| s.label())
                    .collect::<Vec<_>>()
                    .join("; "),
                why: reasons(plan, rule).join("; "),
                optional: if rule.optional { "yes" } else { "no" }.to_string(),
                documents: documents.join("; "),
                links: links.join(" "),
                notes: notes(plan, rule).join(" "),
            }
        })
        .collect()
}

/// The rule's sources, IPv4 first; with sources per class, led by the classes ("clients:
/// 10.1.0.0/16").
fn sources(plan: &Plan, rule: &Rule) -> String {
    let audience = plan.audiences.get(rule.audience);
    let scopes = audience.map_or(&plan.scopes, |a| &a.scopes);
    let nets = scopes
        .iter()
        .flat_map(|scope| {
            if scope.is_any() {
                vec![format!("any {}", scope.family.name())]
            } else {
                scope.sources.iter().map(ToString::to_string).collect()
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    match audience {
        Some(a) if plan.by_class => format!("{}: {nets}", a.label()),
        _ => nets,
    }
}

/// "role: reason" for each role entry that takes a row of the rule, without repeats.
fn reasons(plan: &Plan, rule: &Rule) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |line: String| {
        if !out.contains(&line) {
            out.push(line);
        }
    };
    for use_ in rule.uses.iter().filter_map(|&u| plan.uses.get(u)) {
        let Some(service) = plan.services.get(use_.service) else {
            continue;
        };
        if service.requested {
            push(format!(
                "{}: asked for with --service",
                service.short_name()
            ));
        }
        for reason in service
            .reasons
            .iter()
            .filter(|r| r.ports.includes_key(&use_.row))
        {
            push(format!("{}: {}", reason.role, reason.reason));
        }
    }
    out
}

/// The source keys of the documents that require the rule: the seed for every row (the plan
/// is built from it), then each document of the modern layer that restates one of the rule's
/// rows, or, for a dynamic range, that gives the range in force. In the layer's order.
fn document_keys(plan: &Plan, rule: &Rule, modern: &Modern) -> Vec<String> {
    let mut cited: Vec<&str> = vec![SEED_SOURCE];
    for use_ in rule.uses.iter().filter_map(|&u| plan.uses.get(u)) {
        let Some(service) = plan.services.get(use_.service) else {
            continue;
        };
        let layer_rows = modern
            .services()
            .iter()
            .filter(|m| m.id == service.id || m.seed.as_deref() == Some(service.id.as_str()))
            .flat_map(|m| m.rows.iter())
            .filter(|r| r.seed_row.as_ref() == Some(&use_.row));
        for row in layer_rows {
            cited.extend(row.sources.iter().map(String::as_str));
        }
        if use_.kind == UseKind::RpcPinned {
            // Fixing RPC servers to ports is KB 224196's procedure.
            cited.push(PINNED_SOURCE);
        }
        let spec = match use_.kind {
            UseKind::RpcDynamic => Some(PortSpec::RpcDynamic),
            UseKind::FtpPassive => Some(PortSpec::FtpPassive),
            _ => None,
        };
        if let (Some(spec), Some(ports)) = (spec, use_.ports) {
            for range in modern
                .ranges()
                .iter()
                .filter(|r| r.spec == spec && r.ports.0 == ports.first && r.ports.1 == ports.last)
            {
                cited.extend(range.sources.iter().map(String::as_str));
            }
        }
    }
    let mut keys: Vec<String> = modern
        .sources()
        .iter()
        .filter(|s| cited.contains(&s.key.as_str()))
        .map(|s| s.key.clone())
        .collect();
    if keys.is_empty() {
        keys.push(SEED_SOURCE.to_string());
    }
    keys
}

/// What the rule alone cannot express, in a few words a reviewer can act on.
fn notes(plan: &Plan, rule: &Rule) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for use_ in rule.uses.iter().filter_map(|&u| plan.uses.get(u)) {
        let note = match use_.kind {
            UseKind::RpcDynamic => {
                "Dynamic RPC: Windows firewalls can scope it with the RPC keyword; \
                 elsewhere narrow the range on the server (KB 224196) or use an RPC-aware firewall."
            }
            UseKind::RpcEndpointMapper => {
                "RPC endpoint mapper (Windows firewalls: the RPCEPMap keyword)."
            }
            UseKind::RpcPinned => {
                "RPC servers pinned to these ports (portolan pin): set them on the servers first."
            }
            UseKind::FtpPassive => {
                "FTP passive data ports: narrow the server's range or use an FTP-aware firewall."
            }
            UseKind::IpProtocol => "An IP protocol without ports.",
            UseKind::Fixed => continue,
        };
        if !out.iter().any(|n| n == note) {
            out.push(note.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;
    use portolan_catalog::Catalog;

    fn plan_of(roles: &[&str]) -> (Plan, Modern) {
        let catalog = Catalog::builtin().unwrap();
        let modern = Modern::builtin(&catalog).unwrap();
        let request = Request::new(roles.iter().copied(), Vec::<String>::new());
        (Plan::build(&catalog, &request).unwrap(), modern)
    }

    #[test]
    fn one_row_per_rule_with_the_seed_cited() {
        let (plan, modern) = plan_of(&["domain-controller"]);
        let rows = rows(&plan, &modern);
        assert_eq!(rows.len(), plan.rules.len());
        for row in &rows {
            assert!(
                row.documents
                    .starts_with("Network Ports Used by Key Microsoft Server Products"),
                "{row:?}"
            );
            assert_eq!(row.action, "allow");
            assert!(!row.services.is_empty() && !row.why.is_empty(), "{row:?}");
            assert_eq!(row.cells().len(), HEADERS.len());
        }
    }

    #[test]
    fn sources_per_class_lead_with_the_classes() {
        let catalog = Catalog::builtin().unwrap();
        let modern = Modern::builtin(&catalog).unwrap();
        let mut request = Request::new(["domain-controller"], Vec::<String>::new());
        let (class, net) = crate::parse_class_source("clients=10.1.0.0/16").unwrap();
        request.class_sources.push((class.unwrap(), net));
        let plan = Plan::build(&catalog, &request).unwrap();
        for row in rows(&plan, &modern) {
            assert!(row.source.ends_with("10.1.0.0/16"), "{row:?}");
            assert!(row.source.contains("clients"), "{row:?}");
        }
    }

    #[test]
    fn modern_documents_are_cited_where_the_layer_restates_a_row() {
        let (plan, modern) = plan_of(&["domain-controller"]);
        let rows = rows(&plan, &modern);
        let ldap = rows
            .iter()
            .find(|r| r.protocol == "TCP" && r.ports == "389")
            .unwrap();
        assert!(ldap.documents.contains("KB 832017"), "{ldap:?}");
        assert!(ldap.documents.contains("KB 179442"), "{ldap:?}");
        let dynamic = rows.iter().find(|r| r.ports == "49152-65535").unwrap();
        assert!(dynamic.documents.contains("KB 929851"), "{dynamic:?}");
        assert!(dynamic.notes.contains("RPC keyword"), "{dynamic:?}");
    }
}
