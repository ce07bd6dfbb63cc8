//! `roles` and `role`: server roles and the merged ports of their services.

use portolan_catalog::{Catalog, Role, RowRef};
use portolan_output::catalog::{RowRecord, SCHEMA_VERSION, rows_grid};
use portolan_output::{Grid, GridCell, Tone};
use serde::Serialize;

use crate::cli::{FormatArgs, Global, RoleArgs};
use crate::exit::{Failure, Status};
use crate::render::{self, terminal_style};

pub fn list(catalog: &Catalog, global: &Global, args: &FormatArgs) -> Result<Status, Failure> {
    #[derive(Serialize)]
    struct RolesJson<'c> {
        schema_version: u32,
        roles: &'c [Role],
    }
    let mut grid = Grid::new(["Role", "Name", "Services", "Summary"]);
    for role in catalog.roles() {
        grid.push([
            role.id.clone(),
            role.name.clone(),
            role.services.len().to_string(),
            role.summary.clone(),
        ]);
    }
    let json = RolesJson {
        schema_version: SCHEMA_VERSION,
        roles: catalog.roles(),
    };
    let text = render::lookup(args.format, terminal_style(global.color), &grid, &json)?;
    render::print(text.as_bytes())?;
    Ok(Status::Clean)
}

pub fn show(catalog: &Catalog, global: &Global, args: &RoleArgs) -> Result<Status, Failure> {
    #[derive(Serialize)]
    struct RoleJson<'c> {
        schema_version: u32,
        role: &'c Role,
        rows: Vec<RowRecord<'c>>,
        /// Services of the role that cannot listen on one port together.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        conflicts: Vec<portolan_catalog::PortConflict>,
    }
    let role = catalog.resolve_role(&args.role)?;
    let mut rows: Vec<RowRef<'_>> = Vec::new();
    for (service, _, row) in catalog.role_rows(role) {
        // Each row once when several entries name a service.
        if !rows.iter().any(|r| std::ptr::eq(r.row, row)) {
            rows.push(RowRef {
                service,
                row,
                matched: portolan_catalog::MatchKind::Exact,
            });
        }
    }
    let style = terminal_style(global.color);
    let conflicts =
        super::conflicts::find(rows.iter().map(|r| (r.service.id.as_str(), r.row.key())))?;
    let mut grid = rows_grid(catalog, &rows, None);
    super::conflicts::show(catalog, args.format.format, &mut grid, &conflicts);
    let json = RoleJson {
        schema_version: SCHEMA_VERSION,
        role,
        rows: rows
            .iter()
            .map(|r| RowRecord::new(catalog, r, None))
            .collect(),
        conflicts: conflicts.clone(),
    };
    let text = match args.format.format {
        crate::cli::LookupFormat::Table => {
            let mut members = Grid::new(["Service", "Why the role needs it", "Optional"]);
            for m in &role.services {
                let mut name = catalog
                    .service(&m.service)
                    .map_or(m.service.clone(), |s| s.name.clone());
                if !m.ports.is_all() {
                    name = format!("{name} ({})", m.ports);
                }
                members.push([
                    GridCell::from(name),
                    m.reason.clone().into(),
                    if m.optional {
                        GridCell::toned("optional", Tone::Dim)
                    } else {
                        GridCell::default()
                    },
                ]);
            }
            format!(
                "{} [{}]\n  {}\n{}\nPorts of these services:\n{}",
                role.name,
                role.id,
                role.summary,
                members.to_terminal(style),
                grid.to_terminal(style)
            )
        }
        other => render::lookup(other, style, &grid, &json)?,
    };
    render::print(text.as_bytes())?;
    Ok(Status::Clean)
}
