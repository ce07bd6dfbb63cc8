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
    /// Is every port of these services or roles reachable on these hosts? PortQry's
    /// verdicts (LISTENING, NOT LISTENING, FILTERED, LISTENING OR FILTERED), in parallel.
    Check(CheckArgs),
    /// List the endpoints registered with a host's RPC endpoint mapper (TCP 135): interfaces,
    /// their names and services, and the ports behind "randomly allocated high TCP ports".
    Rpc(RpcArgs),
    /// What a server listens on, which service each listener is, and what a role lacks.
    /// Reads this machine's sockets, or `ss -lntup`, `netstat -ano(b)`, PowerShell
    /// Get-NetTCPConnection / Get-NetUDPEndpoint JSON, or nmap XML from files or `-`.
    Audit(AuditArgs),
    /// Firewall rules for roles and services, in the dialect you use (nftables, iptables,
    /// powershell, netsh, firewalld, ufw, pf, aws, terraform, azure, cisco).
    Plan(PlanArgs),
    /// Sweep many ports of many hosts with TCP connects, as fast as the kernel allows.
    Scan(crate::commands::scan::ScanArgs),
}

/// Formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Readable tables, grouped by host and service.
    Table,
    /// One JSON document at the end (docs/json.md).
    Json,
    /// One JSON object per port, printed as soon as it is known.
    Jsonl,
    /// CSV, one line per port.
    Csv,
    /// Markdown: a section per host with its table, then the totals.
    Md,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Hosts: names, IPv4 or IPv6 addresses.
    #[arg(required = true, value_name = "HOST")]
    pub hosts: Vec<String>,
    /// Check the services of a server role (see `portolan roles`). Repeatable.
    #[arg(long, value_name = "ROLE")]
    pub role: Vec<String>,
    /// Check a service (name, Windows service name or id). Repeatable.
    #[arg(long, short = 's', value_name = "SERVICE")]
    pub service: Vec<String>,
    /// Check these ports: `tcp:80,443,1000-1010 udp:53,137`.
    #[arg(long, short = 'p', value_name = "SPEC")]
    pub ports: Option<String>,
    /// Also check the services and rows a role marks optional.
    #[arg(long)]
    pub include_optional: bool,
    /// Longest wait for a silent port (and the wait before a host answers anything):
    /// 1500ms, 2s, or milliseconds.
    #[arg(long, value_name = "DURATION", default_value = "1500ms", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Shortest wait for a silent TCP port, however fast the host answers.
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = parse_duration)]
    pub min_timeout: std::time::Duration,
    /// TCP tries after the first before FILTERED (at most 10).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// UDP tries after the first before LISTENING OR FILTERED (at most 10).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub udp_retries: u32,
    /// Most probes in flight at once.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub concurrency: u32,
    /// Do not speak the expected protocol on open TCP ports.
    #[arg(long)]
    pub no_verify: bool,
    /// Do not ask the RPC endpoint mapper for the dynamic ports of RPC services.
    #[arg(long)]
    pub no_rpc: bool,
    /// SNMP community for the SNMP probe.
    #[arg(long, value_name = "COMMUNITY", default_value = "public")]
    pub community: String,
    /// Active Directory DNS domain (for the CLDAP netlogon ping and the Kerberos realm).
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// RADIUS shared secret (lets a RADIUS server answer the probe's requests with a verified authenticator).
    #[arg(
        long,
        value_name = "SECRET",
        env = "PORTOLAN_RADIUS_SECRET",
        hide_env_values = true
    )]
    pub radius_secret: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
}

/// Parses `1500ms`, `2s`, `1.5s` or a bare number of milliseconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        (t, 1e-3)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write 1500ms, 2s or 1.5s"))?;
    let seconds = value * scale;
    if !(0.001..=600.0).contains(&seconds) {
        return Err(format!(
            "`{text}` is out of range; durations run from 1ms to 600s"
        ));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
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

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A server role to plan for (see `portolan roles`). Repeatable.
    #[arg(long, value_name = "ROLE")]
    pub role: Vec<String>,
    /// A service to plan for (name, Windows service name or id). Repeatable.
    #[arg(long, short = 's', value_name = "SERVICE")]
    pub service: Vec<String>,
    /// Firewall dialect: nftables, iptables, powershell, netsh, firewalld, ufw, pf, aws,
    /// terraform, azure, cisco.
    #[arg(long, short = 'd', value_name = "DIALECT", default_value = "nftables")]
    pub dialect: String,
    /// Where clients are: an address or CIDR, IPv4 or IPv6. Repeatable; default any.
    #[arg(long, value_name = "CIDR")]
    pub from: Vec<String>,
    /// The server the rules protect (an address or CIDR); default this host.
    #[arg(long, value_name = "ADDR")]
    pub to: Option<String>,
    /// Dynamic RPC range: `modern` (49152-65535, Windows 2008 and later), `legacy`
    /// (1025-5000, Windows 2000/2003) or a narrowed range `A-B`.
    #[arg(long, value_name = "RANGE", default_value = "modern")]
    pub rpc_range: String,
    /// FTP passive data range (default IIS 6.0's 1025-5000).
    #[arg(long, value_name = "A-B")]
    pub ftp_passive: Option<String>,
    /// Leave out the services a role marks optional (they are listed as caveats).
    #[arg(long)]
    pub no_optional: bool,
    /// Print the plan itself as JSON instead of a dialect.
    #[arg(long)]
    pub json: bool,
    /// Write to this file; when the dialect has several files, this is a folder.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RpcArgs {
    /// Hosts: names, IPv4 or IPv6 addresses.
    #[arg(required = true, value_name = "HOST")]
    pub hosts: Vec<String>,
    /// The endpoint mapper's port.
    #[arg(long, value_name = "PORT", default_value_t = 135)]
    pub port: u16,
    /// Longest wait for each answer of the endpoint mapper.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Only endpoints reached over TCP, `ncacn_ip_tcp` and `ncacn_http` (the ones a firewall
    /// must let through).
    #[arg(long)]
    pub tcp: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = crate::commands::rpc::RpcFormat::Table)]
    pub format: crate::commands::rpc::RpcFormat,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Inputs: files, or `-` for standard input. None: this machine's own sockets.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Read the inputs as this format instead of detecting it: proc, ss, netstat,
    /// powershell, nmap-xml.
    #[arg(long = "input-format", value_name = "FORMAT")]
    pub input_format: Option<String>,
    /// Compare with a server role (see `portolan roles`). Repeatable.
    #[arg(long, value_name = "ROLE")]
    pub role: Vec<String>,
    /// Compare with a service (name, Windows service name or id). Repeatable.
    #[arg(long, short = 's', value_name = "SERVICE")]
    pub service: Vec<String>,
    /// Expect the optional services of the roles too.
    #[arg(long)]
    pub include_optional: bool,
    /// Ask this host's RPC endpoint mapper which dynamic ports its RPC services hold, so
    /// they are named for certain instead of "possibly dynamic RPC".
    #[arg(long, value_name = "HOST")]
    pub endpoint_mapper: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = LookupFormat::Table)]
    pub format: LookupFormat,
}
