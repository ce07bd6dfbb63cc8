//! Port conflicts: services that cannot listen on one port of one address together.
//!
//! Two services meeting on a transport and fixed port either share it (one system listener
//! answers for both, or http.sys tells them apart by URL) or each bind it for themselves, and
//! then only one of them can listen. `data/conflicts.toml` records the decision for every pair
//! of built-in services that meet, with the reason in our own words; [`PortSharing::conflicts`]
//! applies it to any set of rows (a look-up's, a role's, a plan's, an audit's expectations).
//!
//! ```
//! use portolan_catalog::{Catalog, Modern, PortSharing, RowKey};
//!
//! let seed = Catalog::builtin().expect("the seed catalog is valid");
//! let modern = Modern::builtin(&seed).expect("the layer is valid");
//! let sharing = PortSharing::builtin(&seed, &modern).expect("the decisions are valid");
//! let tcp80: RowKey = "tcp/80".parse().unwrap();
//! let found = sharing.conflicts([("www-publishing", tcp80), ("windows-media-services", tcp80)]);
//! assert_eq!(found.len(), 1);
//! let shared = sharing.conflicts([("www-publishing", tcp80), ("winrm", tcp80)]);
//! assert!(shared.is_empty());
//! ```

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::Catalog;
use crate::load::line_column;
use crate::model::{PortSpec, RowKey};
use crate::modern::Modern;
use crate::transport::Transport;

/// The decisions, embedded at build time.
pub const BUILTIN_CONFLICTS: &str = include_str!("../data/conflicts.toml");

const ORIGIN: &str = "data/conflicts.toml (built in)";

/// Ports that several services use at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedPort {
    /// Stable id.
    pub id: String,
    /// The ports (single fixed ports).
    pub ports: Vec<RowKey>,
    /// The services that share them; `None`: every service with a row there.
    pub services: Option<Vec<String>>,
    /// Who holds the socket.
    pub listener: String,
    /// Why they can be together, in our own words.
    pub reason: String,
}

/// Services that each bind a port for themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusivePort {
    /// Stable id.
    pub id: String,
    /// The ports (single fixed ports).
    pub ports: Vec<RowKey>,
    /// One side.
    pub services: Vec<String>,
    /// The other side; `None`: every other service with a row on the port.
    pub against: Option<Vec<String>>,
    /// Why they cannot be together and what to do, in our own words.
    pub reason: String,
}

/// Two services that cannot both listen on one port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortConflict {
    /// TCP or UDP.
    pub transport: Transport,
    /// The port.
    pub port: u16,
    /// The two services (catalog or layer ids), in the order the rows came.
    pub services: [String; 2],
    /// The [`ExclusivePort`] that decided it; `None` when no reviewed entry covers the pair.
    pub rule: Option<String>,
    /// Why, in our own words.
    pub reason: String,
}

/// Reason given for a pair no entry covers.
pub const UNREVIEWED: &str = "both have a row on this port and no reviewed entry says they share it; unless one of them registers with a shared listener (http.sys, the endpoint mapper, SMB), only one can listen on an address";

/// The decisions of `conflicts.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortSharing {
    shared: Vec<SharedPort>,
    exclusive: Vec<ExclusivePort>,
}

/// The decisions could not be read: where, which entry, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}:{column}: {context}: {problem}")]
pub struct ConflictsError {
    /// The file.
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The entry.
    pub context: String,
    /// What is wrong.
    pub problem: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    shared: Vec<Spanned<RawShared>>,
    #[serde(default)]
    exclusive: Vec<Spanned<RawExclusive>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShared {
    id: String,
    ports: Vec<String>,
    services: Option<Vec<String>>,
    listener: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExclusive {
    id: String,
    ports: Vec<String>,
    services: Vec<String>,
    against: Option<Vec<String>>,
    reason: String,
}

impl PortSharing {
    /// The built-in decisions, with every service id checked against `seed` and `modern`.
    pub fn builtin(seed: &Catalog, modern: &Modern) -> Result<PortSharing, ConflictsError> {
        PortSharing::parse(ORIGIN, BUILTIN_CONFLICTS, &|id| {
            seed.service(id).is_some() || modern.service(id).is_some()
        })
    }

    /// Reads decisions from `text`; `known` says which service ids exist.
    pub fn parse(
        origin: &str,
        text: &str,
        known: &dyn Fn(&str) -> bool,
    ) -> Result<PortSharing, ConflictsError> {
        let error = |at: usize, context: String, problem: String| {
            let (line, column) = line_column(text, at);
            ConflictsError {
                origin: origin.to_string(),
                line,
                column,
                context,
                problem,
            }
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            error(
                e.span().map_or(0, |s| s.start),
                "file".to_string(),
                e.message().trim().to_string(),
            )
        })?;
        let mut ids: Vec<String> = Vec::new();
        let mut check = |at: usize,
                         context: &str,
                         id: &str,
                         ports: &[String],
                         services: &[&String]|
         -> Result<Vec<RowKey>, ConflictsError> {
            if ids.iter().any(|i| i == id) {
                return Err(error(
                    at,
                    context.to_string(),
                    "the id is used twice".into(),
                ));
            }
            ids.push(id.to_string());
            if let Some(bad) = services.iter().find(|s| !known(s)) {
                return Err(error(
                    at,
                    context.to_string(),
                    format!("service `{bad}` is neither a catalog nor a layer service"),
                ));
            }
            if ports.is_empty() {
                return Err(error(at, context.to_string(), "ports is empty".into()));
            }
            ports
                .iter()
                .map(|p| {
                    let key: RowKey = p
                        .parse()
                        .map_err(|e| error(at, context.to_string(), format!("{e}")))?;
                    match key.port {
                        Some(PortSpec::Single(_)) => Ok(key),
                        _ => Err(error(
                            at,
                            context.to_string(),
                            format!("{p} is not a single fixed port; only those can conflict"),
                        )),
                    }
                })
                .collect()
        };
        let mut sharing = PortSharing::default();
        for entry in raw.shared {
            let at = entry.span().start;
            let e = entry.into_inner();
            let context = format!("shared {}", e.id);
            let services: Vec<&String> = e.services.iter().flatten().collect();
            let ports = check(at, &context, &e.id, &e.ports, &services)?;
            sharing.shared.push(SharedPort {
                id: e.id,
                ports,
                services: e.services,
                listener: e.listener,
                reason: e.reason,
            });
        }
        for entry in raw.exclusive {
            let at = entry.span().start;
            let e = entry.into_inner();
            let context = format!("exclusive {}", e.id);
            if e.services.is_empty() {
                return Err(error(at, context, "services is empty".into()));
            }
            let services: Vec<&String> = e
                .services
                .iter()
                .chain(e.against.iter().flatten())
                .collect();
            let ports = check(at, &context, &e.id, &e.ports, &services)?;
            let exclusive = ExclusivePort {
                id: e.id,
                ports,
                services: e.services,
                against: e.against,
                reason: e.reason,
            };
            // A pair is decided once: never both shared and exclusive.
            for key in &exclusive.ports {
                for shared in sharing.shared.iter().filter(|s| s.ports.contains(key)) {
                    let overlap = match &shared.services {
                        None => true,
                        Some(list) => exclusive.services.iter().any(|a| {
                            list.contains(a)
                                && match &exclusive.against {
                                    None => list.len() > 1,
                                    Some(b) => b.iter().any(|b| list.contains(b)),
                                }
                        }),
                    };
                    if overlap {
                        return Err(error(
                            at,
                            context,
                            format!(
                                "{key} is also shared by `{}`: a pair of services is either shared or exclusive",
                                shared.id
                            ),
                        ));
                    }
                }
            }
            sharing.exclusive.push(exclusive);
        }
        Ok(sharing)
    }

    /// Every shared entry, in the file's order.
    pub fn shared(&self) -> &[SharedPort] {
        &self.shared
    }

    /// Every exclusive entry, in the file's order.
    pub fn exclusive(&self) -> &[ExclusivePort] {
        &self.exclusive
    }

    /// The shared entry that lets `a` and `b` use `key` together, if any.
    pub fn sharing(&self, key: RowKey, a: &str, b: &str) -> Option<&SharedPort> {
        self.shared.iter().find(|s| {
            s.ports.contains(&key)
                && s.services
                    .as_ref()
                    .is_none_or(|list| list.iter().any(|x| x == a) && list.iter().any(|x| x == b))
        })
    }

    /// The exclusive entry that keeps `a` and `b` from using `key` together, if any.
    pub fn excluding(&self, key: RowKey, a: &str, b: &str) -> Option<&ExclusivePort> {
        let sides = |e: &ExclusivePort, x: &str, y: &str| {
            e.services.iter().any(|s| s == x)
                && e.against
                    .as_ref()
                    .is_none_or(|list| list.iter().any(|s| s == y))
        };
        self.exclusive
            .iter()
            .find(|e| e.ports.contains(&key) && (sides(e, a, b) || sides(e, b, a)))
    }

    /// The conflicts among `claims`: each pair of different services with a row on the same
    /// transport and single fixed port that no shared entry lets them use together. One
    /// conflict per port and pair, ordered by transport and port, then by the claims' order.
    pub fn conflicts<'s, I>(&self, claims: I) -> Vec<PortConflict>
    where
        I: IntoIterator<Item = (&'s str, RowKey)>,
    {
        // Per port, its services in the order they came.
        let mut ports: Vec<(RowKey, Vec<&str>)> = Vec::new();
        for (service, key) in claims {
            if !matches!(key.port, Some(PortSpec::Single(_))) {
                continue;
            }
            match ports.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => {
                    if !list.contains(&service) {
                        list.push(service);
                    }
                }
                None => ports.push((key, vec![service])),
            }
        }
        ports.sort_by_key(|(k, _)| *k);
        let mut out = Vec::new();
        for (key, services) in ports {
            let Some(PortSpec::Single(port)) = key.port else {
                continue;
            };
            for (i, a) in services.iter().enumerate() {
                for b in services.iter().skip(i + 1) {
                    if self.sharing(key, a, b).is_some() {
                        continue;
                    }
                    let rule = self.excluding(key, a, b);
                    out.push(PortConflict {
                        transport: key.transport,
                        port,
                        services: [a.to_string(), b.to_string()],
                        rule: rule.map(|r| r.id.clone()),
                        reason: rule.map_or_else(|| UNREVIEWED.to_string(), |r| r.reason.clone()),
                    });
                }
            }
        }
        out
    }
}
