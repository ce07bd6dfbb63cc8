//! Command-line arguments (clap derive). Parsing only: no work happens here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Network ports of Windows server products: look-ups, firewall plans, live checks.
///
/// The catalog is Microsoft's "Network Ports Used by Key Microsoft Server Products", with its
/// errata documented. Exit codes: 0 found / all listening, 1 nothing found / something not
/// listening, 2 bad usage or input.
#[derive(Debug, Parser)]
#[command(name = "portolan", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Extra catalog file (TOML, same format as the built-in one): adds services or roles,
    /// or overrides fields of built-in ones. Repeatable; later files win.
    #[arg(
        long = "catalog",
        value_name = "FILE",
        global = true,
        env = "PORTOLAN_CATALOG"
    )]
    pub catalogs: Vec<PathBuf>,

    /// When to colour terminal output. `auto` colours only a terminal, and never when
    /// NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Formats of look-up commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LookupFormat {
    /// A readable table (the default).
    Table,
    /// JSON (shape documented in docs/json.md).
    Json,
    /// CSV with a header line.
    Csv,
    /// A Markdown table.
    Md,
}

/// Formats of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A readable table, one line per row.
    Table,
    /// The whole catalog as JSON (services, errata, roles).
    Json,
    /// CSV, one line per row.
    Csv,
    /// Markdown, one line per row.
    Md,
    /// An Excel workbook: a sheet by port, a sheet by service, a sheet of errata.
    Xlsx,
    /// Lines in the /etc/services format.
    Services,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Which services listen on these ports (445, 389/udp, 2701-2704, gre).
    Port(PortArgs),
    /// Show services by display name, Windows service name or id (fuzzy).
    Service(ServiceArgs),
    /// Free-text search over names, protocols and summaries.
    Search(SearchArgs),
    /// The whole catalog in the seed's port-sorted order.
    Table(TableArgs),
    /// Export the whole catalog (table, json, csv, md, xlsx, services).
    Export(ExportArgs),
    /// The errata: where the seed contradicts itself and what portolan decided.
    Errata(FormatArgs),
    /// List the server roles.
    Roles(FormatArgs),
    /// Show a server role: its services and their merged ports.
    Role(RoleArgs),
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = LookupFormat::Table)]
    pub format: LookupFormat,
}

#[derive(Debug, Args)]
pub struct PortArgs {
    /// Ports: 445, 389/udp, tcp/135, 2701-2704, gre, esp, ah.
    #[arg(required = true, value_name = "PORT")]
    pub ports: Vec<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// Display name, Windows service name or id; case-insensitive, partial names match.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words that must all appear (in names, protocols, summaries or notes).
    #[arg(required = true, value_name = "TEXT")]
    pub words: Vec<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct TableArgs {
    /// Only the seed's own 155 rows, exactly as its table lists them.
    #[arg(long)]
    pub seed: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ExportFormat::Table)]
    pub format: ExportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RoleArgs {
    /// Role id or name (see `portolan roles`).
    #[arg(value_name = "ROLE")]
    pub role: String,
    #[command(flatten)]
    pub format: FormatArgs,
}
