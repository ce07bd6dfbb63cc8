//! Today's server roles (`data/modern-roles.toml`): the roles of the seed as today's documents
//! describe them, and roles the seed does not have, each entry with the versions it holds for
//! and who needs it. The 2003 view keeps `data/roles.toml` exactly.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{Modern, ModernError, WindowsVersion, from_toml};
use crate::Catalog;
use crate::load::line_column;
use crate::model::{Role, RoleService, RowFilter, RowKey, SourceClass};

/// Today's roles, embedded at build time.
pub const BUILTIN_MODERN_ROLES: &str = include_str!("../../data/modern-roles.toml");

pub(super) const ROLES_ORIGIN: &str = "data/modern-roles.toml (built in)";

/// A role of today's Windows: its entries, each with the versions it holds for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModernRole {
    /// Stable id; a seed role keeps its roles.toml id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One line on what the role is.
    pub summary: String,
    /// First version with the role (2008 at the earliest: 2003 is the seed's view).
    pub since: WindowsVersion,
    /// The entries, in the role's order.
    pub entries: Vec<ModernRoleEntry>,
}

/// One entry of a [`ModernRole`]: a role entry (with who needs it) and its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModernRoleEntry {
    /// The entry as a role of a version view holds it.
    pub entry: RoleService,
    /// First version with the entry.
    pub since: WindowsVersion,
    /// Last version with the entry; `None` while it holds.
    pub until: Option<WindowsVersion>,
}

impl ModernRoleEntry {
    /// True when the entry holds at `version`.
    pub fn applies_to(&self, version: WindowsVersion) -> bool {
        self.since <= version && self.until.is_none_or(|u| version <= u)
    }
}

impl ModernRole {
    /// The role as it is at `version`: the entries that hold then. `None` before `since`.
    pub fn at(&self, version: WindowsVersion) -> Option<Role> {
        (self.since <= version).then(|| Role {
            id: self.id.clone(),
            name: self.name.clone(),
            summary: self.summary.clone(),
            services: self
                .entries
                .iter()
                .filter(|e| e.applies_to(version))
                .map(|e| e.entry.clone())
                .collect(),
            user_defined: false,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoles {
    #[serde(default)]
    role: Vec<Spanned<RawRole>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    id: String,
    name: String,
    summary: String,
    since: Option<String>,
    services: Vec<Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    service: String,
    ports: Option<Vec<String>>,
    reason: String,
    #[serde(default)]
    optional: bool,
    who: Vec<SourceClass>,
    since: Option<String>,
    until: Option<String>,
}

impl Modern {
    /// Today's roles, in the file's order.
    pub fn roles(&self) -> &[ModernRole] {
        &self.roles
    }

    /// Today's role with this id.
    pub fn role(&self, id: &str) -> Option<&ModernRole> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// Reads and checks today's roles (`text`, named `origin` in errors) against this layer
    /// and `seed`: every entry names a service of some version it holds for, every row it
    /// names is a row of that service at some such version, and says who needs it.
    pub fn with_roles(
        mut self,
        origin: &str,
        text: &str,
        seed: &Catalog,
    ) -> Result<Modern, ModernError> {
        let raw: RawRoles = from_toml(origin, text)?;
        let error = |span: Range<usize>, context: String, problem: String| {
            let (line, column) = line_column(text, span.start);
            ModernError {
                origin: origin.to_string(),
                line,
                column,
                context,
                problem,
            }
        };
        let version = |span: &Range<usize>, context: &str, field: &str, t: Option<&str>| {
            t.map(|t| {
                t.parse::<WindowsVersion>()
                    .map_err(|e| error(span.clone(), context.to_string(), format!("{field}: {e}")))
            })
            .transpose()
        };
        let mut roles: Vec<ModernRole> = Vec::new();
        for role in raw.role {
            let span = role.span();
            let role = role.into_inner();
            let context = format!("role {}", role.id);
            if roles.iter().any(|r| r.id == role.id) {
                return Err(error(span, context, "the id is defined twice".to_string()));
            }
            let since = version(&span, &context, "since", role.since.as_deref())?
                .unwrap_or(WindowsVersion::W2008);
            if since == WindowsVersion::W2003 {
                return Err(error(
                    span,
                    context,
                    "since = 2003: the 2003 view is roles.toml's; today's roles start in 2008 or later"
                        .to_string(),
                ));
            }
            let mut entries = Vec::new();
            for entry in role.services {
                let espan = entry.span();
                let entry = entry.into_inner();
                let econtext = format!("role {}, entry {}", role.id, entry.service);
                let fail = |problem: String| error(espan.clone(), econtext.clone(), problem);
                let esince =
                    version(&espan, &econtext, "since", entry.since.as_deref())?.unwrap_or(since);
                let until = version(&espan, &econtext, "until", entry.until.as_deref())?;
                if esince < since {
                    return Err(fail(format!(
                        "since {esince} is before the role's since {since}"
                    )));
                }
                if until.is_some_and(|u| u < esince) {
                    return Err(fail("since is after until".to_string()));
                }
                if entry.who.is_empty() {
                    return Err(fail(
                        "who is empty: say who needs the entry: clients, management, peers"
                            .to_string(),
                    ));
                }
                let versions: Vec<WindowsVersion> = WindowsVersion::ALL
                    .into_iter()
                    .filter(|v| esince <= *v && until.is_none_or(|u| *v <= u))
                    .collect();
                let rows: Vec<RowKey> = versions
                    .iter()
                    .flat_map(|v| self.service_rows(seed, &entry.service, *v))
                    .map(|r| RowKey {
                        transport: r.transport,
                        port: r.port,
                    })
                    .collect();
                if rows.is_empty() {
                    return Err(fail(format!(
                        "service `{}` has no rows from {esince} to {}: name a service of the layer or the seed that exists then",
                        entry.service,
                        until.map_or("today", |u| u.as_str())
                    )));
                }
                let mut keys = Vec::new();
                for text in entry.ports.unwrap_or_default() {
                    let key: RowKey = text.parse().map_err(|e| fail(format!("{e}")))?;
                    if !rows.contains(&key) {
                        return Err(fail(format!(
                            "service `{}` has no row {key} from {esince} to {}",
                            entry.service,
                            until.map_or("today", |u| u.as_str())
                        )));
                    }
                    if keys.contains(&key) {
                        return Err(fail(format!("`{key}` is listed twice in ports")));
                    }
                    keys.push(key);
                }
                let mut who = entry.who;
                who.sort_unstable();
                who.dedup();
                entries.push(ModernRoleEntry {
                    entry: RoleService {
                        service: entry.service,
                        ports: RowFilter::only(keys),
                        reason: entry.reason,
                        optional: entry.optional,
                        who,
                    },
                    since: esince,
                    until,
                });
            }
            roles.push(ModernRole {
                id: role.id,
                name: role.name,
                summary: role.summary,
                since,
                entries,
            });
        }
        self.roles = roles;
        Ok(self)
    }
}
