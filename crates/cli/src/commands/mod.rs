//! One module per group of commands; `run` dispatches.

mod audit;
mod changes;
mod check;
mod completions;
mod conflicts;
pub mod listen;
mod lookup;
mod man;
pub mod merge;
pub mod pin;
mod plan;
mod report;
mod roles;
pub mod rpc;
pub mod scan;

use portolan_catalog::{Catalog, Modern, PortQuery, Ports, Source, WindowsVersion};

use crate::cli::{Cli, Command, Global};
use crate::exit::{Failure, Status};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<Status, Failure> {
    let global = &cli.global;
    match cli.command {
        Command::Port(args) => lookup::port(&load_catalog_for(global, &args.ports)?, global, &args),
        Command::Service(args) => lookup::service(&load_catalog(global)?, global, &args),
        Command::Search(args) => lookup::search(&load_catalog(global)?, global, &args),
        // `table --seed` is the seed's own table, whatever the version.
        Command::Table(args) if args.seed => lookup::table(
            &load_catalog_at(global, WindowsVersion::W2003)?,
            global,
            &args,
        ),
        Command::Table(args) => lookup::table(&load_catalog(global)?, global, &args),
        Command::Export(args) => lookup::export(&load_catalog(global)?, global, &args),
        Command::Errata(args) => lookup::errata(&load_catalog(global)?, global, &args),
        Command::Roles(args) => roles::list(&load_catalog(global)?, global, &args),
        Command::Role(args) => roles::show(&load_catalog(global)?, global, &args),
        Command::Changes(args) => changes::run(global, &args),
        Command::Check(args) => check::run(global, &args),
        Command::Rpc(args) => rpc::run(global, &args),
        Command::Audit(args) => audit::run(global, &args),
        Command::Plan(args) => plan::run(global, &args),
        Command::Pin(args) => pin::run(global, &args),
        Command::Scan(args) => scan::run(global, &args),
        Command::Listen(args) => listen::run(global, &args),
        Command::Merge(args) => merge::run(global, &args),
        Command::Report(args) => report::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Man => man::run(),
    }
}

/// The built-in catalog with the user's catalog files merged over it, as the `--windows`
/// version has it.
pub fn load_catalog(global: &Global) -> Result<Catalog, Failure> {
    load_catalog_at(global, global.catalog.windows)
}

/// The catalog a `port` look-up of `specs` needs. With no user file and specs of port numbers
/// and protocols only, the built-in view holds just the services with a row on those ports (a
/// cold look-up then decodes a few services, not all of them); otherwise the whole catalog.
/// A spec that does not parse takes the whole catalog, and `port` reports it.
fn load_catalog_for(global: &Global, specs: &[String]) -> Result<Catalog, Failure> {
    let numeric: Option<Vec<Vec<PortQuery>>> = specs
        .iter()
        .map(|text| Ports::parse(text).ok()?.numeric_lookups())
        .collect();
    match numeric {
        Some(queries) if global.catalog.catalogs.is_empty() => {
            portolan_builtin::view_for(global.catalog.windows, &queries.concat())
                .map_err(built_in_invalid)
        }
        _ => load_catalog(global),
    }
}

/// The catalog of [`load_catalog`] at `version`.
pub fn load_catalog_at(global: &Global, version: WindowsVersion) -> Result<Catalog, Failure> {
    if global.catalog.catalogs.is_empty() {
        // No user file: the view compiled at build time, read without parsing anything else.
        return portolan_builtin::view(version).map_err(built_in_invalid);
    }
    let merged = load_files(global)?;
    let (_, modern) = builtin_layer()?;
    Ok(merged.at(modern, version))
}

/// The built-in seed catalog and the layer for today's Windows over it, as compiled at build
/// time (crates/builtin). The layer is checked against the built-in seed, which user files do
/// not change, so this is the one place both come from (versions, `changes`, port conflicts,
/// user catalogs), read once per run.
pub fn builtin_layer() -> Result<&'static (Catalog, Modern), Failure> {
    portolan_builtin::layer().map_err(built_in_invalid)
}

/// Compiled data that does not read back is a broken build, not the user's input.
fn built_in_invalid(e: portolan_catalog::compiled::CompiledError) -> Failure {
    Failure::runtime(format!("the built-in catalog is invalid: {e}"))
}

/// The built-in catalog with the user's catalog files (at least one) merged over it.
fn load_files(global: &Global) -> Result<Catalog, Failure> {
    let mut texts = Vec::new();
    for path in &global.catalog.catalogs {
        let text = std::fs::read(path).map_err(|e| {
            Failure::new(format!(
                "cannot read catalog file {}: {e}; check the path given to --catalog or PORTOLAN_CATALOG",
                path.display()
            ))
        })?;
        let text = String::from_utf8(text).map_err(|e| {
            Failure::new(format!(
                "catalog file {} is not UTF-8 text (invalid byte at offset {}); catalog files are TOML",
                path.display(),
                e.utf8_error().valid_up_to()
            ))
        })?;
        texts.push((path.display().to_string(), text));
    }
    let sources: Vec<Source<'_>> = texts
        .iter()
        .map(|(origin, text)| Source::new(origin, text))
        .collect();
    Catalog::load(&sources).map_err(|e| {
        Failure::new(format!("invalid catalog: {e}")).detail(
            "the format is described at the top of crates/catalog/data/catalog.toml and in docs/catalog.md",
        )
    })
}
