//! Catalog look-ups: `port`, `service`, `search`, `table`, `export`, `errata`.

use portolan_catalog::{Catalog, PortConflict, Ports, ResolveError, RowRef, Service};
use portolan_output::catalog::{
    ExportRecord, RowRecord, SCHEMA_VERSION, SeedRowRecord, ServiceRecord, errata_grid, rows_grid,
    services_grid,
};
use portolan_output::{etc_services, xlsx};
use serde::Serialize;

use crate::cli::{
    ExportArgs, ExportFormat, FormatArgs, Global, PortArgs, SearchArgs, ServiceArgs, TableArgs,
};
use crate::exit::{Failure, Status};
use crate::render::{self, terminal_style};

#[derive(Serialize)]
struct RowsJson<'c> {
    schema_version: u32,
    rows: Vec<RowRecord<'c>>,
    /// Services among the rows that cannot listen on one port together (`port` only).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    conflicts: &'c [PortConflict],
}

#[derive(Serialize)]
struct SeedRowsJson<'c> {
    schema_version: u32,
    rows: Vec<SeedRowRecord<'c>>,
}

#[derive(Serialize)]
struct ServicesJson<'c> {
    schema_version: u32,
    services: Vec<ServiceRecord<'c>>,
}

/// Prints rows in the chosen format; exit 1 when there are none.
fn print_rows(
    catalog: &Catalog,
    global: &Global,
    format: &FormatArgs,
    rows: &[RowRef<'_>],
    queries: Option<&[&str]>,
    conflicts: &[PortConflict],
) -> Result<Status, Failure> {
    let style = terminal_style(global.color);
    let mut grid = rows_grid(catalog, rows, queries);
    super::conflicts::show(catalog, format.format, &mut grid, conflicts);
    let json = RowsJson {
        schema_version: SCHEMA_VERSION,
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, r)| RowRecord::new(catalog, r, queries.and_then(|q| q.get(i).copied())))
            .collect(),
        conflicts,
    };
    render::print(render::lookup(format.format, style, &grid, &json)?.as_bytes())?;
    Ok(if rows.is_empty() {
        Status::Negative
    } else {
        Status::Clean
    })
}

pub fn port(catalog: &Catalog, global: &Global, args: &PortArgs) -> Result<Status, Failure> {
    let mut rows = Vec::new();
    let mut queries = Vec::new();
    for text in &args.ports {
        // Each argument is a spec of the one port grammar (`389/udp`, `tcp:135,445 udp:53`,
        // `role:NAME`); a row found by several of its items is shown once.
        let mut found: Vec<RowRef<'_>> = Vec::new();
        for query in Ports::parse(text)?.lookups(catalog)? {
            for row in catalog.rows_on(&query) {
                if !found.iter().any(|f| std::ptr::eq(f.row, row.row)) {
                    found.push(row);
                }
            }
        }
        if found.is_empty() {
            eprintln!("note: no service in the catalog uses {text}");
        } else if found
            .iter()
            .all(|r| r.matched == portolan_catalog::MatchKind::DynamicRange)
        {
            eprintln!(
                "note: no service has {text} as a fixed port; it lies in a dynamic range \
                 (RPC endpoint mapper or FTP passive) of the services shown"
            );
        }
        queries.extend(std::iter::repeat_n(text.as_str(), found.len()));
        rows.extend(found);
    }
    let with_query = (args.ports.len() > 1).then_some(queries.as_slice());
    let conflicts =
        super::conflicts::find(rows.iter().map(|r| (r.service.id.as_str(), r.row.key())))?;
    print_rows(catalog, global, &args.format, &rows, with_query, &conflicts)
}

pub fn service(catalog: &Catalog, global: &Global, args: &ServiceArgs) -> Result<Status, Failure> {
    let mut found: Vec<&Service> = Vec::new();
    for name in &args.names {
        let matches: Vec<&Service> = match catalog.resolve_service(name) {
            Ok(one) => vec![one],
            // Where other commands need one service, `service` shows all a name matches.
            Err(ResolveError::Ambiguous { candidates, .. }) => candidates
                .iter()
                .filter_map(|c| catalog.service(&c.id))
                .collect(),
            Err(other) => return Err(other.into()),
        };
        for s in matches {
            if !found.iter().any(|f| f.id == s.id) {
                found.push(s);
            }
        }
    }
    let style = terminal_style(global.color);
    let grid = services_grid(catalog, &found);
    let json = ServicesJson {
        schema_version: SCHEMA_VERSION,
        services: found
            .iter()
            .map(|s| ServiceRecord::new(catalog, s))
            .collect(),
    };
    let text = match args.format.format {
        crate::cli::LookupFormat::Table => service_cards(catalog, &found, style),
        other => render::lookup(other, style, &grid, &json)?,
    };
    render::print(text.as_bytes())?;
    Ok(Status::Clean)
}

/// The terminal view of services: a short card (summary, notes, configurable ports, errata)
/// above each service's rows.
fn service_cards(
    catalog: &Catalog,
    services: &[&Service],
    style: portolan_output::TerminalStyle,
) -> String {
    let mut out = String::new();
    for s in services {
        out.push_str(&format!("{} [{}]\n", s.name, s.id));
        let mut facts = Vec::new();
        if let Some(w) = &s.windows_service {
            facts.push(format!("Windows service: {w}"));
        }
        if let Some(p) = &s.process {
            facts.push(format!("process: {p}"));
        }
        facts.push(format!("product: {}", s.product));
        if s.status == portolan_catalog::Status::OffByDefault {
            facts.push("off by default".to_string());
        }
        if s.legacy {
            facts.push("legacy".to_string());
        }
        out.push_str(&format!("  {}\n", facts.join("; ")));
        if !s.summary.is_empty() {
            out.push_str(&format!("  {}\n", s.summary));
        }
        for note in &s.notes {
            out.push_str(&format!("  note: {note}\n"));
        }
        if let Some(risk) = &s.risk {
            out.push_str(&format!("  risk: {risk}\n"));
        }
        for e in catalog.service_errata(s) {
            out.push_str(&format!(
                "  erratum {}: seed says \"{}\"; {}\n",
                e.id, e.seed, e.decision
            ));
        }
        for c in &s.configurable {
            out.push_str(&format!(
                "  configurable: {} (default {}): {}\n",
                c.what, c.default, c.how
            ));
        }
        let rows: Vec<RowRef<'_>> = s
            .ports
            .iter()
            .map(|row| RowRef {
                service: s,
                row,
                matched: portolan_catalog::MatchKind::Exact,
            })
            .collect();
        let mut grid = rows_grid(catalog, &rows, None);
        // The service is in the card's title; its name and Windows name need no columns.
        for row in &mut grid.rows {
            row.drain(3..5);
        }
        grid.headers.drain(3..5);
        out.push_str(&grid.to_terminal(style));
        out.push('\n');
    }
    out
}

pub fn search(catalog: &Catalog, global: &Global, args: &SearchArgs) -> Result<Status, Failure> {
    let text = args.words.join(" ");
    if text.trim().is_empty() {
        return Err(Failure::new(
            "empty search text; give one or more words, e.g. `portolan search kerberos`",
        ));
    }
    let rows = catalog.search(&text);
    if rows.is_empty() {
        eprintln!("note: nothing in the catalog matches every word of `{text}`");
    }
    print_rows(catalog, global, &args.format, &rows, None, &[])
}

pub fn table(catalog: &Catalog, global: &Global, args: &TableArgs) -> Result<Status, Failure> {
    if !args.seed {
        return print_rows(
            catalog,
            global,
            &args.format,
            &catalog.table_rows(),
            None,
            &[],
        );
    }
    // The seed's table in the seed's words, in every format.
    let rows = catalog.seed_table_rows();
    let style = terminal_style(global.color);
    let grid = portolan_output::catalog::seed_rows_grid(catalog, &rows);
    let json = SeedRowsJson {
        schema_version: SCHEMA_VERSION,
        rows: rows
            .iter()
            .map(|r| SeedRowRecord::new(catalog, r))
            .collect(),
    };
    render::print(render::lookup(args.format.format, style, &grid, &json)?.as_bytes())?;
    Ok(if rows.is_empty() {
        Status::Negative
    } else {
        Status::Clean
    })
}

pub fn export(catalog: &Catalog, global: &Global, args: &ExportArgs) -> Result<Status, Failure> {
    // Files never get colour; standard output follows --color.
    let style = match args.output.output {
        Some(_) => portolan_output::TerminalStyle::default(),
        None => terminal_style(global.color),
    };
    if args.format != ExportFormat::Aerleon
        && (!args.subjects.role.is_empty()
            || !args.subjects.service.is_empty()
            || !args.policies.from.is_empty()
            || args.pin.pin_rpc.is_some())
    {
        return Err(Failure::new(
            "--role, --service, --from and --pin-rpc choose the policies of `export --format aerleon`; \
             the other formats export the whole catalog: drop them, or add --format aerleon",
        ));
    }
    let services: Vec<&Service> = catalog.services().iter().collect();
    let (bytes, binary) = match args.format {
        ExportFormat::Json => (
            render::to_json(&ExportRecord::new(catalog))?.into_bytes(),
            false,
        ),
        ExportFormat::Table => (
            services_grid(catalog, &services)
                .to_terminal(style)
                .into_bytes(),
            false,
        ),
        ExportFormat::Csv => (
            services_grid(catalog, &services).to_csv().into_bytes(),
            false,
        ),
        ExportFormat::Md => (
            services_grid(catalog, &services).to_markdown().into_bytes(),
            false,
        ),
        ExportFormat::Services => (
            etc_services::catalog_services_file(catalog).into_bytes(),
            false,
        ),
        // Handled above: a folder of files, not one output.
        ExportFormat::Aerleon => return aerleon(catalog, args),
        ExportFormat::Xlsx => (
            xlsx::catalog_workbook(catalog)
                .map_err(|e| Failure::runtime(format!("cannot build the spreadsheet: {e}")))?,
            true,
        ),
    };
    render::write_output(args.output.output.as_deref(), &bytes, binary)?;
    Ok(Status::Clean)
}

/// `export --format aerleon -o DIR`: Aerleon's definitions, one policy per role and the
/// notes, written under DIR.
fn aerleon(catalog: &Catalog, args: &ExportArgs) -> Result<Status, Failure> {
    let Some(dir) = args.output.output.as_deref() else {
        return Err(Failure::new(
            "--format aerleon writes a folder of files: add --output DIR \
             (then run aclgen --base_directory DIR/policies --definitions_directory DIR/def)",
        ));
    };
    let mut request = portolan_plan::Request::new(&args.subjects.role, &args.subjects.service);
    for source in &args.policies.from {
        match portolan_plan::parse_class_source(source)? {
            (None, net) => request.sources.push(net),
            (Some(class), net) => request.class_sources.push((class, net)),
        }
    }
    request.pin_rpc = args.pin.pin_rpc;
    let files = portolan_plan::aerleon_export(catalog, &request)?;
    for file in &files {
        let path = dir.join(&file.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                Failure::runtime(format!("cannot create folder {}: {e}", parent.display()))
            })?;
        }
        render::write_output(Some(&path), file.text.as_bytes(), false)?;
    }
    Ok(Status::Clean)
}

pub fn errata(catalog: &Catalog, global: &Global, args: &FormatArgs) -> Result<Status, Failure> {
    #[derive(Serialize)]
    struct ErrataJson<'c> {
        schema_version: u32,
        errata: &'c [portolan_catalog::Erratum],
    }
    let style = terminal_style(global.color);
    let grid = errata_grid(catalog.errata());
    let json = ErrataJson {
        schema_version: SCHEMA_VERSION,
        errata: catalog.errata(),
    };
    render::print(render::lookup(args.format, style, &grid, &json)?.as_bytes())?;
    Ok(Status::Clean)
}
