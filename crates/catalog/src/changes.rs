//! What changes between two Windows versions of the modern layer: services added, dropped or
//! replaced, rows added, moved, renamed, re-owned or dropped, and dynamic ranges moved.
//!
//! The answer is a changelog, not only the difference of the two end points: every step from
//! one version to the next in `from`..`to` is compared, and each change carries the version it
//! takes effect in. So `2003`..`2025` shows WinRM's 2008 listeners on 80/443 moving to
//! 5985/5986 in 2012, although neither end has them both.
//!
//! ```
//! use portolan_catalog::{Catalog, Modern, WindowsVersion, changes::{ChangeKind, changes}};
//!
//! let seed = Catalog::builtin().expect("the seed catalog is valid");
//! let modern = Modern::builtin(&seed).expect("the layer is valid");
//! let all = changes(&seed, &modern, WindowsVersion::W2003, WindowsVersion::W2025).unwrap();
//! assert!(all.iter().any(|c| c.kind == ChangeKind::Moved && c.service == "winrm"));
//! ```

use serde::Serialize;

use crate::Catalog;
use crate::model::{PortSpec, RowKey};
use crate::modern::{Modern, ModernRow, ModernService, VersionRow, WindowsVersion};
use crate::transport::Transport;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// A service or row that the older version lacks.
    Added,
    /// A row (or a dynamic range) that continues on another port.
    Moved,
    /// A row that today's documents call by another name.
    Renamed,
    /// A row that another service answers.
    ReOwned,
    /// A service or row that the newer version lacks.
    Dropped,
    /// A service that takes over from another (DFS Replication over File Replication).
    Replaced,
}

impl ChangeKind {
    /// The word written in tables and JSON: `added`, `moved`, `renamed`, `re-owned`,
    /// `dropped`, `replaced`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Moved => "moved",
            ChangeKind::Renamed => "renamed",
            ChangeKind::ReOwned => "re-owned",
            ChangeKind::Dropped => "dropped",
            ChangeKind::Replaced => "replaced",
        }
    }
}

/// What a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeSubject {
    /// A whole service.
    Service,
    /// One row of a service.
    Row,
    /// What a dynamic spec (`rpc-dynamic`, `ftp-passive`) stands for.
    Range,
}

/// One side of a change: the row (or service, or range) before or after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeEnd {
    /// The service (layer or seed id) on this side.
    pub service: String,
    /// Its display name at that version.
    pub service_name: String,
    /// The row's transport and port (absent for a service).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "key_text")]
    pub row: Option<RowKey>,
    /// The row's application protocol (absent for a service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
}

fn key_text<S: serde::Serializer>(key: &Option<RowKey>, s: S) -> Result<S::Ok, S::Error> {
    match key {
        Some(k) => s.serialize_str(&k.to_string()),
        None => s.serialize_none(),
    }
}

/// One change between two consecutive versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The first version with the change.
    pub version: WindowsVersion,
    /// What happened.
    pub kind: ChangeKind,
    /// Service, row or range.
    pub subject: ChangeSubject,
    /// The service the change belongs to (for ranges, the spec: `rpc-dynamic`).
    pub service: String,
    /// Before the change; `None` for additions.
    pub before: Option<ChangeEnd>,
    /// After the change; `None` for drops.
    pub after: Option<ChangeEnd>,
    /// Source keys of the modern layer (`seed`, `kb832017`, ...).
    pub sources: Vec<String>,
    /// In our own words, from the layer.
    pub note: Option<String>,
}

/// `--from` is newer than `--to`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--from {from} is newer than --to {to}: changes run from an older version to a newer one; \
     swap them (--from {to} --to {from})"
)]
pub struct ReversedVersions {
    /// The given `--from`.
    pub from: WindowsVersion,
    /// The given `--to`.
    pub to: WindowsVersion,
}

/// Every change from `from` to `to`, step by step, oldest first; within a step, dynamic
/// ranges first, then services in the layer's order, each service before its rows. Equal
/// versions have none; `from` newer than `to` is refused.
pub fn changes(
    seed: &Catalog,
    modern: &Modern,
    from: WindowsVersion,
    to: WindowsVersion,
) -> Result<Vec<Change>, ReversedVersions> {
    if from > to {
        return Err(ReversedVersions { from, to });
    }
    let steps: Vec<WindowsVersion> = WindowsVersion::ALL
        .into_iter()
        .filter(|v| from <= *v && *v <= to)
        .collect();
    let mut out = Vec::new();
    for pair in steps.windows(2) {
        if let [before, after] = *pair {
            step(seed, modern, before, after, &mut out);
        }
    }
    Ok(out)
}

/// True when service `layer` exists at `version`: at 2003 exactly the seed's services.
fn exists(layer: &ModernService, version: WindowsVersion) -> bool {
    if version == WindowsVersion::W2003 {
        layer.seed.is_some()
    } else {
        layer.applies_to(version)
    }
}

/// The display name of a service at a version: the seed's at 2003, today's after.
fn name_at(seed: &Catalog, modern: &Modern, id: &str, version: WindowsVersion) -> String {
    let seed_name = || seed.service(id).map(|s| s.name.clone());
    let layer_name = || modern.service(id).map(|s| s.name.clone());
    let name = if version == WindowsVersion::W2003 {
        seed_name().or_else(layer_name)
    } else {
        layer_name().or_else(seed_name)
    };
    name.unwrap_or_else(|| id.to_string())
}

fn row_key(row: &VersionRow) -> RowKey {
    RowKey {
        transport: row.transport,
        port: row.port,
    }
}

/// The layer row of `layer` that yields `row` at `version`, if `row` is a layer row.
fn layer_row<'m>(
    layer: &'m ModernService,
    row: &VersionRow,
    version: WindowsVersion,
) -> Option<&'m ModernRow> {
    layer
        .rows
        .iter()
        .find(|l| l.applies_to(version) && l.key() == row_key(row) && l.named(&row.app))
}

fn step(
    seed: &Catalog,
    modern: &Modern,
    before: WindowsVersion,
    after: WindowsVersion,
    out: &mut Vec<Change>,
) {
    for spec in [PortSpec::RpcDynamic, PortSpec::FtpPassive] {
        let (old, new) = (
            modern.dynamic_range(spec, before),
            modern.dynamic_range(spec, after),
        );
        if old == new {
            continue;
        }
        let range_end = |ports: Option<(u16, u16)>| {
            ports.map(|(a, b)| ChangeEnd {
                service: spec.key(),
                service_name: spec.to_string(),
                row: Some(RowKey {
                    transport: Transport::Tcp,
                    port: Some(PortSpec::Range(a, b)),
                }),
                app: None,
            })
        };
        let entry = modern
            .ranges()
            .iter()
            .find(|r| r.spec == spec && r.since <= after && r.until.is_none_or(|u| after <= u));
        out.push(Change {
            version: after,
            kind: match (old, new) {
                (Some(_), Some(_)) => ChangeKind::Moved,
                (None, _) => ChangeKind::Added,
                (_, None) => ChangeKind::Dropped,
            },
            subject: ChangeSubject::Range,
            service: spec.key(),
            before: range_end(old),
            after: range_end(new),
            sources: entry.map(|r| r.sources.clone()).unwrap_or_default(),
            note: entry.and_then(|r| r.note.clone()),
        });
    }
    for layer in modern.services() {
        service_step(seed, modern, layer, before, after, out);
    }
}

fn service_step(
    seed: &Catalog,
    modern: &Modern,
    layer: &ModernService,
    before: WindowsVersion,
    after: WindowsVersion,
    out: &mut Vec<Change>,
) {
    let id = layer.id.as_str();
    let (was, is) = (exists(layer, before), exists(layer, after));
    let end = |service: &str, version: WindowsVersion, row: Option<&VersionRow>| ChangeEnd {
        service: service.to_string(),
        service_name: name_at(seed, modern, service, version),
        row: row.map(row_key),
        app: row.map(|r| r.app.clone()),
    };
    if was != is {
        let (kind, other) = match (is, &layer.replaces, &layer.replaced_by) {
            (true, Some(old), _) => (ChangeKind::Replaced, Some(old.as_str())),
            (false, _, Some(new)) => (ChangeKind::Replaced, Some(new.as_str())),
            (true, _, _) => (ChangeKind::Added, None),
            (false, _, _) => (ChangeKind::Dropped, None),
        };
        let (old_side, new_side) = match (kind, is) {
            (ChangeKind::Replaced, true) => (other.map(|o| end(o, before, None)), Some(id)),
            (ChangeKind::Replaced, false) => (Some(end(id, before, None)), other),
            (_, true) => (None, Some(id)),
            (_, false) => (Some(end(id, before, None)), None),
        };
        out.push(Change {
            version: after,
            kind,
            subject: ChangeSubject::Service,
            service: id.to_string(),
            before: old_side,
            after: new_side.map(|n| end(n, after, None)),
            sources: layer.sources.clone(),
            note: Some(layer.summary.clone()),
        });
    }
    let rows_at = |version: WindowsVersion, present: bool| {
        if present {
            modern.service_rows(seed, id, version)
        } else {
            Vec::new()
        }
    };
    let old_rows = rows_at(before, was);
    let new_rows = rows_at(after, is);
    let same = |a: &VersionRow, b: &VersionRow| row_key(a) == row_key(b) && a.app == b.app;
    let mut gone: Vec<&VersionRow> = old_rows
        .iter()
        .filter(|o| !new_rows.iter().any(|n| same(o, n)))
        .collect();
    let came: Vec<&VersionRow> = new_rows
        .iter()
        .filter(|n| !old_rows.iter().any(|o| same(o, n)))
        .collect();
    // Rows of the old version already told as the start of a move or a rename.
    let mut told: Vec<&VersionRow> = Vec::new();
    let sources_of =
        |l: Option<&ModernRow>| l.map_or_else(|| layer.sources.clone(), |l| l.sources.clone());
    for new in came {
        let l = layer_row(layer, new, after);
        let note = l.and_then(|l| l.note.clone());
        let renamed_from = gone
            .iter()
            .position(|o| row_key(o) == row_key(new) && l.is_some_and(|l| l.named(&o.app)));
        let moved_from = gone.iter().position(|o| {
            layer_row(layer, o, before).is_some_and(|m| m.moved_to == Some(row_key(new)))
        });
        let (kind, old_side) = if let Some(i) = renamed_from {
            let o = gone.remove(i);
            told.push(o);
            (ChangeKind::Renamed, Some(end(id, before, Some(o))))
        } else if let Some(i) = moved_from {
            let o = gone.remove(i);
            told.push(o);
            (ChangeKind::Moved, Some(end(id, before, Some(o))))
        } else if let Some(previous) = l.and_then(|l| l.previous_owner.as_deref()) {
            let before_row = modern
                .service_rows(seed, previous, before)
                .into_iter()
                .find(|r| row_key(r) == row_key(new));
            (
                ChangeKind::ReOwned,
                Some(end(previous, before, before_row.as_ref())),
            )
        } else {
            (ChangeKind::Added, None)
        };
        out.push(Change {
            version: after,
            kind,
            subject: ChangeSubject::Row,
            service: id.to_string(),
            before: old_side,
            after: Some(end(id, after, Some(new))),
            sources: sources_of(l),
            note,
        });
    }
    for old in gone {
        if told.iter().any(|t| std::ptr::eq(*t, old)) {
            continue;
        }
        let l = layer_row(layer, old, before);
        let note = l.and_then(|l| l.note.clone());
        // A move to a row that was already there (WinRM 80 to 5985 in 2012).
        let moved_to = l.and_then(|l| l.moved_to).and_then(|to| {
            new_rows
                .iter()
                .find(|n| row_key(n) == to)
                .map(|n| end(id, after, Some(n)))
        });
        let owner = l.and_then(|l| l.owner.as_deref());
        let (kind, new_side) = if let Some(target) = moved_to {
            (ChangeKind::Moved, Some(target))
        } else if let Some(owner) = owner {
            let owner_row = modern
                .service_rows(seed, owner, after)
                .into_iter()
                .find(|r| row_key(r) == row_key(old));
            // The new owner's side tells a hand-over that starts in this step.
            let told_there = owner_row.as_ref().is_some_and(|r| {
                modern.service(owner).is_some_and(|o| {
                    layer_row(o, r, after).is_some_and(|l| {
                        l.previous_owner.as_deref() == Some(id) && !l.applies_to(before)
                    })
                })
            });
            if told_there {
                continue;
            }
            (
                ChangeKind::ReOwned,
                Some(end(owner, after, owner_row.as_ref())),
            )
        } else {
            (ChangeKind::Dropped, None)
        };
        out.push(Change {
            version: after,
            kind,
            subject: ChangeSubject::Row,
            service: id.to_string(),
            before: Some(end(id, before, Some(old))),
            after: new_side,
            sources: sources_of(l),
            note,
        });
    }
}
