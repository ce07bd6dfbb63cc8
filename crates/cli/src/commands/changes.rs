//! `changes`: what changed between two Windows versions (portolan_catalog::changes).

use portolan_catalog::WindowsVersion;
use portolan_catalog::changes::{Change, ChangeEnd, ChangeSubject, changes};
use portolan_output::Grid;
use portolan_output::catalog::SCHEMA_VERSION;
use serde::Serialize;

use crate::cli::{ChangesArgs, Global};
use crate::exit::{Failure, Status};
use crate::render::{self, terminal_style};

#[derive(Serialize)]
struct SourceJson<'m> {
    key: &'m str,
    title: &'m str,
}

#[derive(Serialize)]
struct ChangeJson<'m> {
    #[serde(flatten)]
    change: &'m Change,
    source_titles: Vec<SourceJson<'m>>,
}

#[derive(Serialize)]
struct ChangesJson<'m> {
    schema_version: u32,
    from: WindowsVersion,
    to: WindowsVersion,
    changes: Vec<ChangeJson<'m>>,
}

/// `TCP 5985 HTTP`, `TCP 1025-5000`, or a service's name; with the service's name when the
/// side belongs to another service than the change (a re-owned row).
fn side(change: &Change, end: Option<&ChangeEnd>) -> String {
    let Some(end) = end else {
        return String::new();
    };
    let row = end.row.map(|key| {
        let mut text = key.transport.to_string();
        if let Some(port) = key.port {
            text.push(' ');
            text.push_str(&port.to_string());
        }
        if let Some(app) = &end.app {
            text.push(' ');
            text.push_str(app);
        }
        text
    });
    match (row, change.subject) {
        (None, _) => end.service_name.clone(),
        (Some(row), ChangeSubject::Row) if end.service != change.service => {
            format!("{row} ({})", end.service_name)
        }
        (Some(row), _) => row,
    }
}

/// The changes between two versions of the built-in layer over the built-in seed (user
/// catalog files add services of their own, not versions).
pub fn run(global: &Global, args: &ChangesArgs) -> Result<Status, Failure> {
    let (seed, modern) = super::builtin_layer()?;
    let catalog = seed;
    let list = changes(catalog, modern, args.from, args.to)?;
    let service_name = |c: &Change| {
        c.after
            .as_ref()
            .or(c.before.as_ref())
            .map_or_else(String::new, |e| e.service_name.clone())
    };
    let mut grid = Grid::new([
        "Version", "Change", "Of", "Service", "Before", "After", "Sources",
    ]);
    let mut used: Vec<&str> = Vec::new();
    for c in &list {
        grid.push([
            c.version.to_string(),
            c.kind.as_str().to_string(),
            match c.subject {
                ChangeSubject::Service => "service",
                ChangeSubject::Row => "row",
                ChangeSubject::Range => "range",
            }
            .to_string(),
            service_name(c),
            side(c, c.before.as_ref()),
            side(c, c.after.as_ref()),
            c.sources.join(", "),
        ]);
        for s in &c.sources {
            if !used.contains(&s.as_str()) {
                used.push(s);
            }
        }
    }
    for key in used {
        if let Some(source) = modern.source(key) {
            grid.notes.push(format!("{key}: {}", source.title));
        }
    }
    if list.is_empty() {
        eprintln!("note: nothing changes from {} to {}", args.from, args.to);
    }
    let json = ChangesJson {
        schema_version: SCHEMA_VERSION,
        from: args.from,
        to: args.to,
        changes: list
            .iter()
            .map(|change| ChangeJson {
                change,
                source_titles: change
                    .sources
                    .iter()
                    .filter_map(|k| modern.source(k))
                    .map(|s| SourceJson {
                        key: &s.key,
                        title: &s.title,
                    })
                    .collect(),
            })
            .collect(),
    };
    let text = render::lookup(
        args.format.format,
        terminal_style(global.color),
        &grid,
        &json,
    )?;
    render::print(text.as_bytes())?;
    Ok(Status::Clean)
}
