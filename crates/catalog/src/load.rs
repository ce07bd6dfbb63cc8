//! Reading catalog files (TOML) into the model, merging user catalogs over the built-in one,
//! and checking the result.
//!
//! The built-in data (`data/catalog.toml`, `data/errata.toml`, `data/roles.toml`) is embedded
//! in the binary at build time, so no file is needed at run time. A user catalog has the same
//! format; see the header of `data/catalog.toml`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, Deserializer};
use toml::Spanned;

use crate::Catalog;
use crate::error::CatalogError;
use crate::model::{
    Configurable, Erratum, ErratumKind, PortRow, PortSpec, Role, RoleService, RowFilter, RowKey,
    Service, Status,
};
use crate::transport::Transport;

/// The built-in services, embedded at build time.
pub const BUILTIN_CATALOG: &str = include_str!("../data/catalog.toml");
/// The built-in errata, embedded at build time.
pub const BUILTIN_ERRATA: &str = include_str!("../data/errata.toml");
/// The built-in server roles, embedded at build time.
pub const BUILTIN_ROLES: &str = include_str!("../data/roles.toml");

/// A catalog file's text and where it came from (a path, or a name for built-in data).
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// Shown in error messages: the file's path.
    pub origin: &'a str,
    /// The TOML text.
    pub text: &'a str,
}

impl<'a> Source<'a> {
    /// A source named `origin` holding `text`.
    pub fn new(origin: &'a str, text: &'a str) -> Self {
        Source { origin, text }
    }
}

/// The sources of the built-in catalog.
pub fn builtin_sources() -> [Source<'static>; 3] {
    [
        Source::new("data/catalog.toml (built in)", BUILTIN_CATALOG),
        Source::new("data/errata.toml (built in)", BUILTIN_ERRATA),
        Source::new("data/roles.toml (built in)", BUILTIN_ROLES),
    ]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    service: Vec<Spanned<RawService>>,
    #[serde(default)]
    erratum: Vec<Spanned<Erratum>>,
    #[serde(default)]
    role: Vec<Spanned<RawRole>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    id: Spanned<String>,
    name: Option<String>,
    table_name: Option<String>,
    windows_service: Option<String>,
    process: Option<String>,
    product: Option<String>,
    summary: Option<String>,
    status: Option<Status>,
    legacy: Option<bool>,
    risk: Option<String>,
    notes: Option<Vec<String>>,
    configurable: Option<Vec<Configurable>>,
    errata: Option<Vec<Spanned<String>>>,
    ports: Option<Vec<Spanned<RawRow>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    app: String,
    transport: RawTransport,
    port: Option<RawPort>,
    table: Option<u16>,
    #[serde(default)]
    errata: Vec<Spanned<String>>,
    #[serde(default)]
    from_prose: bool,
    #[serde(default)]
    optional: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    id: Spanned<String>,
    name: Option<String>,
    summary: Option<String>,
    services: Option<Vec<Spanned<RawRoleService>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoleService {
    service: String,
    ports: Option<Vec<Spanned<String>>>,
    reason: String,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    who: Vec<crate::model::SourceClass>,
}

struct RawTransport(Transport);

impl<'de> Deserialize<'de> for RawTransport {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map(RawTransport).map_err(de::Error::custom)
    }
}

struct RawPort(PortSpec);

impl<'de> Deserialize<'de> for RawPort {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PortVisitor;
        impl de::Visitor<'_> for PortVisitor {
            type Value = RawPort;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a port 1-65535, a range like \"5000-5100\", \"rpc-dynamic\" or \"ftp-passive\"",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawPort, E> {
                match u16::try_from(v) {
                    Ok(p) if p != 0 => Ok(RawPort(PortSpec::Single(p))),
                    _ => Err(E::custom(format!(
                        "port {v} is out of range: ports run from 1 to 65535"
                    ))),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawPort, E> {
                v.parse().map(RawPort).map_err(E::custom)
            }
        }
        d.deserialize_any(PortVisitor)
    }
}

/// Line and column (1-based) of a byte offset in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

fn error_at(source: &Source<'_>, span: Range<usize>, message: impl Into<String>) -> CatalogError {
    let (line, column) = line_column(source.text, span.start);
    CatalogError::new(source.origin, line, column, message)
}

fn parse_file(source: &Source<'_>) -> Result<RawFile, CatalogError> {
    toml::from_str::<RawFile>(source.text).map_err(|e| {
        let start = e.span().map_or(0, |s| s.start);
        error_at(source, start..start, e.message().trim().to_string())
    })
}

/// Errata and row/service references that can only be checked once all files are merged.
#[derive(Clone)]
struct Reference<'a> {
    source: Source<'a>,
    span: Range<usize>,
    erratum: String,
}

/// A service a role entry names, with where, checked once all files are merged.
#[derive(Clone)]
struct RoleReference<'a> {
    source: Source<'a>,
    role: String,
    service: String,
    span: Range<usize>,
    /// The entry's `ports`, each with where it is written.
    ports: Vec<(RowKey, Range<usize>)>,
}

/// Accumulates sources into a catalog.
#[derive(Default, Clone)]
pub(crate) struct Builder<'a> {
    services: Vec<Service>,
    service_index: HashMap<String, usize>,
    errata: BTreeMap<String, Erratum>,
    errata_order: Vec<String>,
    roles: Vec<Role>,
    role_index: HashMap<String, usize>,
    references: Vec<Reference<'a>>,
    role_references: Vec<RoleReference<'a>>,
}

impl Builder<'static> {
    /// A builder holding the built-in sources, read once per process: every load starts
    /// from a copy of it (user catalogs go on top), and reading the built-in TOML was most
    /// of a load's time for a small user file.
    pub(crate) fn builtin() -> Result<Builder<'static>, CatalogError> {
        static BUILTIN: std::sync::OnceLock<Result<Builder<'static>, CatalogError>> =
            std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let mut builder = Builder::default();
                for source in builtin_sources() {
                    builder.add(source, false)?;
                }
                Ok(builder)
            })
            .clone()
    }
}

impl<'a> Builder<'a> {
    /// Reads one source over what was read before.
    pub(crate) fn add(&mut self, source: Source<'a>, user: bool) -> Result<(), CatalogError> {
        let file = parse_file(&source)?;
        for erratum in file.erratum {
            let span = erratum.span();
            let erratum = erratum.into_inner();
            check_id(&source, span.clone(), &erratum.id)?;
            if !self.errata.contains_key(&erratum.id) {
                self.errata_order.push(erratum.id.clone());
            }
            self.errata.insert(erratum.id.clone(), erratum);
        }
        for raw in file.service {
            self.add_service(&source, raw, user)?;
        }
        for raw in file.role {
            self.add_role(&source, raw, user)?;
        }
        Ok(())
    }

    fn add_service(
        &mut self,
        source: &Source<'a>,
        raw: Spanned<RawService>,
        user: bool,
    ) -> Result<(), CatalogError> {
        let span = raw.span();
        let raw = raw.into_inner();
        let id = checked_id(source, raw.id)?;
        let ports = match raw.ports {
            Some(rows) => Some(self.convert_rows(source, rows)?),
            None => None,
        };
        let errata = raw.errata.map(|list| self.note_references(source, list));
        if let Some(&at) = self.service_index.get(&id) {
            let service = &mut self.services[at];
            merge(&mut service.name, raw.name);
            merge_opt(&mut service.table_name, raw.table_name);
            merge_opt(&mut service.windows_service, raw.windows_service);
            merge_opt(&mut service.process, raw.process);
            merge(&mut service.product, raw.product);
            merge(&mut service.summary, raw.summary);
            merge(&mut service.status, raw.status);
            merge(&mut service.legacy, raw.legacy);
            merge_opt(&mut service.risk, raw.risk);
            merge(&mut service.notes, raw.notes);
            merge(&mut service.configurable, raw.configurable);
            merge(&mut service.errata, errata);
            merge(&mut service.ports, ports);
            service.user_defined |= user;
            return Ok(());
        }
        let missing = |field: &str| {
            error_at(
                source,
                span.clone(),
                format!(
                    "service `{id}` is new (no built-in service has this id), so it needs `{field}`; \
                     to change a built-in service, use one of the ids that `portolan export --format json` lists"
                ),
            )
        };
        let name = raw.name.ok_or_else(|| missing("name"))?;
        let ports = ports.ok_or_else(|| missing("ports"))?;
        if ports.is_empty() {
            return Err(error_at(
                source,
                span,
                format!("service `{id}` has no ports: give at least one row in `ports`"),
            ));
        }
        self.service_index.insert(id.clone(), self.services.len());
        self.services.push(Service {
            id,
            name,
            table_name: raw.table_name,
            windows_service: raw.windows_service,
            process: raw.process,
            product: raw.product.unwrap_or_default(),
            summary: raw.summary.unwrap_or_default(),
            status: raw.status.unwrap_or_default(),
            legacy: raw.legacy.unwrap_or(false),
            risk: raw.risk,
            notes: raw.notes.unwrap_or_default(),
            configurable: raw.configurable.unwrap_or_default(),
            errata: errata.unwrap_or_default(),
            ports,
            user_defined: user,
        });
        Ok(())
    }

    fn note_references(&mut self, source: &Source<'a>, list: Vec<Spanned<String>>) -> Vec<String> {
        list.into_iter()
            .map(|id| {
                let span = id.span();
                let id = id.into_inner();
                self.references.push(Reference {
                    source: *source,
                    span,
                    erratum: id.clone(),
                });
                id
            })
            .collect()
    }

    fn convert_rows(
        &mut self,
        source: &Source<'a>,
        rows: Vec<Spanned<RawRow>>,
    ) -> Result<Vec<PortRow>, CatalogError> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let span = row.span();
            let row = row.into_inner();
            let transport = row.transport.0;
            let port = row.port.map(|p| p.0);
            match (transport.has_ports(), port) {
                (true, None) => {
                    return Err(error_at(
                        source,
                        span,
                        format!(
                            "row `{}` on {transport} has no `port`: TCP and UDP rows need a port, \
                             a range, \"rpc-dynamic\" or \"ftp-passive\"",
                            row.app
                        ),
                    ));
                }
                (false, Some(_)) => {
                    return Err(error_at(
                        source,
                        span,
                        format!(
                            "row `{}` on {transport} has a `port`, but IP protocols other than \
                             TCP and UDP have no ports: remove it",
                            row.app
                        ),
                    ));
                }
                _ => {}
            }
            if row.app.trim().is_empty() {
                return Err(error_at(
                    source,
                    span,
                    "a row has an empty `app`: name its application protocol",
                ));
            }
            let errata = self.note_references(source, row.errata);
            out.push(PortRow {
                app: row.app,
                transport,
                port,
                table: row.table,
                errata,
                from_prose: row.from_prose,
                optional: row.optional,
                listener: true,
                provenance: None,
            });
        }
        Ok(out)
    }

    fn add_role(
        &mut self,
        source: &Source<'a>,
        raw: Spanned<RawRole>,
        user: bool,
    ) -> Result<(), CatalogError> {
        let span = raw.span();
        let raw = raw.into_inner();
        let id = checked_id(source, raw.id)?;
        let services = match raw.services {
            Some(list) => {
                // A new list replaces the old one, and with it what the old one referred to.
                self.role_references.retain(|r| r.role != id);
                let mut services = Vec::with_capacity(list.len());
                for entry in list {
                    let (service, reference) = role_service(source, &id, entry)?;
                    services.push(service);
                    self.role_references.push(reference);
                }
                Some(services)
            }
            None => None,
        };
        if let Some(&at) = self.role_index.get(&id) {
            let role = &mut self.roles[at];
            merge(&mut role.name, raw.name);
            merge(&mut role.summary, raw.summary);
            merge(&mut role.services, services);
            role.user_defined |= user;
            return Ok(());
        }
        let (Some(name), Some(services)) = (raw.name, services) else {
            return Err(error_at(
                source,
                span,
                format!("role `{id}` is new, so it needs `name` and `services`"),
            ));
        };
        self.role_index.insert(id.clone(), self.roles.len());
        self.roles.push(Role {
            id,
            name,
            summary: raw.summary.unwrap_or_default(),
            services,
            user_defined: user,
        });
        Ok(())
    }

    /// Checks cross-references and builds the catalog.
    pub(crate) fn finish(self) -> Result<Catalog, CatalogError> {
        for reference in &self.references {
            if !self.errata.contains_key(&reference.erratum) {
                return Err(error_at(
                    &reference.source,
                    reference.span.clone(),
                    format!(
                        "unknown erratum `{}`: define it in an [[erratum]] table or remove the reference",
                        reference.erratum
                    ),
                ));
            }
        }
        for reference in &self.role_references {
            self.check_role_reference(reference)?;
        }
        let spurious: HashSet<&str> = self
            .errata
            .values()
            .filter(|e| e.kind == ErratumKind::Spurious)
            .map(|e| e.id.as_str())
            .collect();
        let mut services = self.services;
        for service in &mut services {
            for row in &mut service.ports {
                row.listener = !row.errata.iter().any(|e| spurious.contains(e.as_str()));
            }
        }
        let mut errata_map = self.errata;
        let errata = self
            .errata_order
            .iter()
            .filter_map(|id| errata_map.remove(id))
            .collect();
        Ok(Catalog::from_parts(services, errata, self.roles))
    }
}

impl Builder<'_> {
    /// The service a role entry names exists, and each of its `ports` is one of its rows.
    fn check_role_reference(&self, reference: &RoleReference<'_>) -> Result<(), CatalogError> {
        let service = match self.service_index.get(&reference.service) {
            Some(&at) => self.services.get(at),
            None => None,
        };
        let Some(service) = service else {
            let hint = crate::resolve::suggest(&self.services, &reference.service)
                .first()
                .map(|s| format!(" (did you mean `{}`?)", s.id))
                .unwrap_or_default();
            return Err(error_at(
                &reference.source,
                reference.span.clone(),
                format!("role names unknown service `{}`{hint}", reference.service),
            ));
        };
        for (key, span) in &reference.ports {
            if service.ports.iter().any(|row| row.key() == *key) {
                continue;
            }
            let mut rows: Vec<String> = Vec::new();
            for row in &service.ports {
                let text = row.key().to_string();
                if !rows.contains(&text) {
                    rows.push(text);
                }
            }
            let replaced = if service.user_defined {
                "; a user catalog gave this service its rows: add the row there, or give the \
                 role a `services` list of its own"
            } else {
                ""
            };
            return Err(error_at(
                &reference.source,
                span.clone(),
                format!(
                    "role `{}` takes `{key}` of service `{}`, which has no such row; its rows are \
                     {}: name one of those, or remove `ports` to take every row{replaced}",
                    reference.role,
                    service.id,
                    rows.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

/// Reads one entry of a role's `services`: its `ports` must be well-formed row keys, none
/// twice, and not an empty list.
fn role_service<'a>(
    source: &Source<'a>,
    role: &str,
    entry: Spanned<RawRoleService>,
) -> Result<(RoleService, RoleReference<'a>), CatalogError> {
    let span = entry.span();
    let entry = entry.into_inner();
    let mut ports: Vec<(RowKey, Range<usize>)> = Vec::new();
    if let Some(list) = entry.ports {
        if list.is_empty() {
            return Err(error_at(
                source,
                span,
                format!(
                    "role `{role}` gives service `{}` an empty `ports` list, which takes no row: \
                     remove `ports` to take every row, or name rows like \"tcp/636\"",
                    entry.service
                ),
            ));
        }
        for text in list {
            let key_span = text.span();
            let key: RowKey = text
                .get_ref()
                .parse()
                .map_err(|e| error_at(source, key_span.clone(), format!("{e}")))?;
            if ports.iter().any(|(k, _)| *k == key) {
                return Err(error_at(
                    source,
                    key_span,
                    format!("`{key}` is listed twice in `ports`: remove one"),
                ));
            }
            ports.push((key, key_span));
        }
    }
    let service = RoleService {
        service: entry.service.clone(),
        ports: RowFilter::only(ports.iter().map(|(k, _)| *k)),
        reason: entry.reason,
        optional: entry.optional,
        who: entry.who,
    };
    let reference = RoleReference {
        source: *source,
        role: role.to_string(),
        service: entry.service,
        span,
        ports,
    };
    Ok((service, reference))
}

fn merge<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

fn merge_opt<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

/// The id of a service or role, once [`check_id`] has found it valid.
fn checked_id(source: &Source<'_>, id: Spanned<String>) -> Result<String, CatalogError> {
    let span = id.span();
    let id = id.into_inner();
    check_id(source, span, &id)?;
    Ok(id)
}

fn check_id(source: &Source<'_>, span: Range<usize>, id: &str) -> Result<(), CatalogError> {
    let valid = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-');
    if valid {
        Ok(())
    } else {
        Err(error_at(
            source,
            span,
            format!(
                "invalid id `{id}`: use lower-case letters, digits and dashes, like `sql-server-sales`"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_from_one() {
        let text = "a\nbc\ndéf";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 2));
        assert_eq!(line_column(text, text.len()), (3, 4));
        assert_eq!(line_column(text, 999), (3, 4));
    }

    #[test]
    fn a_user_load_leaves_the_shared_built_in_sources_as_they_were() {
        let before = Catalog::builtin().unwrap();
        // A new service, and a built-in one given other rows.
        let text = "[[service]]\nid = \"site-agent\"\nname = \"Site agent\"\n\
                    ports = [ { app = \"Agent\", transport = \"tcp\", port = 7777 } ]\n\
                    [[service]]\nid = \"dns-server\"\n\
                    ports = [ { app = \"DNS\", transport = \"udp\", port = 5353 } ]\n";
        let user = Source::new("site.toml", text);
        let merged = Catalog::load(&[user]).unwrap();
        assert!(merged.service("site-agent").is_some());
        assert_ne!(merged.service("dns-server"), before.service("dns-server"));
        // A failing user load leaves nothing behind either.
        let broken = Source::new("broken.toml", "[[service]]\nid = \"x\"\nports = 7\n");
        assert!(Catalog::load(&[broken]).is_err());
        assert_eq!(Catalog::builtin().unwrap(), before);
        assert_eq!(Catalog::load(&[]).unwrap(), before);
    }
}
