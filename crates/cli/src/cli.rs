//! Command-line arguments (clap derive). Parsing only: no work happens here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use portolan_catalog::WindowsVersion;
use portolan_plan::{Dialect, RpcRange};

pub use crate::groups::{
    CatalogSelection, CheckTiming, FormatArgs, IncludeOptional, OutputFile, PinRpc, PortSelection,
    ScanTiming, Sharding, Subjects, Timing, parse_duration,
};
pub use crate::values::{DialectArg, InputFormatArg, RpcRangeParser};

/// Network ports of Windows server products: look-ups, firewall plans, live checks.
///
/// The catalog is Microsoft's "Network Ports Used by Key Microsoft Server Products", with its
/// errata documented. Exit codes: 0 found / all listening, 1 nothing found / something not
/// listening, 2 bad usage or input, 3 a failure that is not the input (docs/exit-codes.md).
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
    #[command(flatten)]
    pub catalog: CatalogSelection,

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
    /// JSON Lines: one record of the JSON document per line.
    Jsonl,
    /// CSV with a header line.
    Csv,
    /// A Markdown table.
    Md,
}

/// Formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// The rules in the `--dialect` language (the default).
    Dialect,
    /// The merged rule set as data (docs/json.md).
    Json,
    /// A firewall change request, one line per rule (docs/plan.md#change-requests).
    Csv,
    /// The change request as an Excel workbook (needs --output FILE or a redirect).
    Xlsx,
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
    /// Aerleon definitions and one policy per role, in the folder --output names
    /// (docs/aerleon.md).
    Aerleon,
}

// Each command's arguments are built only when that command is run (clap's `defer`): a
// look-up then starts without building the other twenty commands' arguments.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Which services listen on these ports (445, 389/udp, 2701-2704, gre).
    Port(PortArgs),
    /// Show services by display name, Windows service name or id (fuzzy).
    Service(ServiceArgs),
    /// Free-text search over names, protocols and summaries.
    Search(SearchArgs),
    /// The whole catalog in the seed's port-sorted order.
    Table(TableArgs),
    /// Export the whole catalog (table, json, csv, md, xlsx, services), or Aerleon policies
    /// for roles (aerleon).
    Export(ExportArgs),
    /// The errata: where the seed contradicts itself and what portolan decided.
    Errata(FormatArgs),
    /// List the server roles.
    Roles(FormatArgs),
    /// Show a server role: its services and their merged ports.
    Role(RoleArgs),
    /// What changed between two Windows versions: services and rows added, moved, renamed,
    /// re-owned or dropped, each with its version and source documents.
    Changes(ChangesArgs),
    /// Is every port of these services or roles reachable on these hosts? PortQry's
    /// verdicts (LISTENING, NOT LISTENING, FILTERED, LISTENING OR FILTERED), in parallel.
    Check(CheckArgs),
    /// List the endpoints registered with a host's RPC endpoint mapper (TCP 135): interfaces,
    /// their names and services, and the ports behind "randomly allocated high TCP ports".
    Rpc(crate::commands::rpc::RpcArgs),
    /// What a server listens on, which service each listener is, and what a role lacks.
    /// Reads this machine's sockets, or `ss -lntup`, `netstat -ano(b)`, PowerShell
    /// Get-NetTCPConnection / Get-NetUDPEndpoint JSON, or nmap XML from files or `-`.
    Audit(AuditArgs),
    /// Firewall rules for roles and services, in the dialect you use (nftables, iptables,
    /// powershell, netsh, firewalld, ufw, pf, aws, terraform, azure, cisco).
    Plan(PlanArgs),
    /// The server settings that put each RPC server of a role on a fixed port, counting up
    /// from a base: Windows registry values (PowerShell, or a .reg file with -o) or Samba's
    /// smb.conf lines. `plan --pin-rpc` with the same base opens exactly those ports.
    Pin(crate::commands::pin::PinArgs),
    /// Sweep many ports of many hosts with TCP connects, as fast as the kernel allows.
    Scan(crate::commands::scan::ScanArgs),
    /// Stand in for a server that does not exist yet: open every port of its roles or
    /// services, answer each protocol, log every hit, so a firewall change can be checked
    /// before the server is built (docs/listen.md).
    Listen(crate::commands::listen::ListenArgs),
    /// Merge check results (JSON or JSON Lines) from many vantage points into one vantage x
    /// host x port matrix; ports seen differently from different places come first. Exit 0
    /// when every vantage agrees, 1 when they differ.
    Merge(MergeArgs),
    /// Write one self-contained HTML report (no network fetches) of check, scan or audit
    /// results: a host x port matrix with coloured verdicts, evidence, caveats, what is
    /// missing or unexpected, and vantage columns when runs are merged.
    Report(ReportArgs),
    /// Print a shell completion script: `portolan completions bash > /etc/bash_completion.d/portolan`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff): `portolan man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Formats of the commands that judge what they found (`check`, `audit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResultFormat {
    /// Readable tables, a section per host.
    Table,
    /// One JSON document at the end (docs/json.md).
    Json,
    /// JSON Lines: one record per line (check prints each port as soon as it is known).
    Jsonl,
    /// CSV with a header line, one line per port.
    Csv,
    /// Markdown: a section per host with its table.
    Md,
    /// JUnit XML for CI: a suite per host; every negative finding (a verdict other than
    /// LISTENING, a missing or unexpected port) is a failing case.
    Junit,
    /// TAP (version 13): the same findings as `not ok` tests.
    Tap,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Hosts: names, IPv4 or IPv6 addresses.
    #[arg(required = true, value_name = "HOST")]
    pub hosts: Vec<String>,
    #[command(flatten)]
    pub selection: PortSelection,
    /// Do not speak the expected protocol on open TCP ports.
    #[arg(long)]
    pub no_verify: bool,
    #[command(flatten)]
    pub rpc: crate::groups::NoRpc,
    #[command(flatten)]
    pub pin: PinRpc,
    /// SNMP community for the SNMP probe.
    #[arg(long, value_name = "COMMUNITY", default_value = "public")]
    pub community: String,
    /// Active Directory DNS domain (for the CLDAP netlogon ping and the Kerberos realm).
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    #[command(flatten)]
    pub radius_secret: crate::groups::RadiusSecret,
    /// The hosts run `portolan listen`: send the portolan hello with a random token on every
    /// port, and count an open port as verified only when the token comes back (a SYN proxy
    /// or load balancer that accepts the connection cannot echo it). See docs/listen.md.
    #[arg(long)]
    pub expect_listener: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ResultFormat::Table)]
    pub format: ResultFormat,
    /// Name of the place this check runs from (a zone, a site, a CI runner): written into the
    /// JSON, JSON Lines and JUnit output, so `portolan merge` can set many runs side by side.
    #[arg(long, value_name = "NAME", env = "PORTOLAN_VANTAGE", value_parser = parse_vantage)]
    pub vantage: Option<String>,
    #[command(flatten)]
    pub sharding: Sharding,
    /// UDP tries after the first before LISTENING OR FILTERED (at most 10).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=10), help_heading = "Timing")]
    pub udp_retries: u32,
    /// Longest wait for an open port's application to answer the protocol verification
    /// (a greeting, a reply), apart from the network's: 5s by default, as nmap's service
    /// detection waits; never shorter than the network's estimate.
    #[arg(long, value_name = "DURATION", value_parser = crate::groups::parse_duration, help_heading = "Timing")]
    pub verify_timeout: Option<std::time::Duration>,
    // Last: the group's help heading would otherwise carry over to the flags after it.
    #[command(flatten)]
    pub timing: Timing<CheckTiming>,
}

#[derive(Debug, Args)]
pub struct PortArgs {
    /// Ports: 445, 389/udp, tcp/135, 2701-2704, gre, esp, ah, or a port spec such as
    /// `tcp:135,445 udp:53`, `role:NAME` or `service:NAME`.
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
    // `--format aerleon`: a policy per --role (every role when neither --role nor --service
    // is given), and one for the --service ones.
    #[command(flatten)]
    pub subjects: Subjects,
    #[command(flatten)]
    pub policies: crate::groups::PolicyExport,
    #[command(flatten)]
    pub pin: PinRpc,
    #[command(flatten)]
    pub output: OutputFile,
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
pub struct ChangesArgs {
    /// The older Windows Server version: 2003 (the seed's view), 2008, 2012, 2016, 2019,
    /// 2022 or 2025.
    #[arg(long, value_name = "VERSION", default_value = "2003", value_parser = <WindowsVersion as std::str::FromStr>::from_str)]
    pub from: WindowsVersion,
    /// The newer Windows Server version (at least --from).
    #[arg(long, value_name = "VERSION", default_value = "2025", value_parser = <WindowsVersion as std::str::FromStr>::from_str)]
    pub to: WindowsVersion,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub subjects: Subjects,
    /// Firewall dialect.
    #[arg(long, short = 'd', value_name = "DIALECT", value_enum, ignore_case = true, default_value_t = DialectArg(Dialect::Nftables))]
    pub dialect: DialectArg,
    /// Where traffic comes from: an address or CIDR, IPv4 or IPv6, for every class of
    /// hosts; or CLASS=CIDR for one class (clients, management, peers), so each rule admits
    /// only the classes its role entries name. Repeatable; default any.
    #[arg(long, value_name = "[CLASS=]CIDR")]
    pub from: Vec<String>,
    /// The server the rules protect (an address or CIDR); default this host.
    #[arg(long, value_name = "ADDR")]
    pub to: Option<String>,
    /// Dynamic RPC range: one of the possible values, or a narrowed range `A-B` (from
    /// 1025 up).
    #[arg(long, value_name = "RANGE", default_value = "modern", value_parser = RpcRangeParser)]
    pub rpc_range: RpcRange,
    /// FTP passive data range (default IIS 6.0's 1025-5000).
    #[arg(long, value_name = "A-B")]
    pub ftp_passive: Option<String>,
    /// Leave out the services a role marks optional (they are listed as caveats).
    #[arg(long)]
    pub no_optional: bool,
    #[command(flatten)]
    pub pin: PinRpc,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = PlanFormat::Dialect)]
    pub format: PlanFormat,
    /// The old spelling of `--format json`.
    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
    #[command(flatten)]
    pub output: OutputFile,
}

impl PlanArgs {
    /// `--format`, with the hidden `--json` folded in.
    pub fn format(&self) -> PlanFormat {
        if self.json {
            PlanFormat::Json
        } else {
            self.format
        }
    }
}

/// Result files: JSON or JSON Lines of `check`, `scan` or `audit`.
#[derive(Debug, Args)]
pub struct ResultFiles {
    /// Files of `check`, `scan` or `audit` output (`--format json` or `jsonl`), or `-` for
    /// standard input. Results without a `vantage` field (written without `check --vantage`)
    /// are from the vantage named by the file's stem: `dmz.jsonl` is `dmz`.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    #[command(flatten)]
    pub files: ResultFiles,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = crate::commands::merge::MergeFormat::Table)]
    pub format: crate::commands::merge::MergeFormat,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub files: ResultFiles,
    #[command(flatten)]
    pub output: OutputFile,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Inputs: files, or `-` for standard input. None: this machine's own sockets.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Read the inputs as this format instead of detecting it.
    #[arg(
        long = "input-format",
        value_name = "FORMAT",
        value_enum,
        ignore_case = true
    )]
    pub input_format: Option<InputFormatArg>,
    #[command(flatten)]
    pub subjects: Subjects,
    #[command(flatten)]
    pub optional: IncludeOptional,
    /// Ask this host's RPC endpoint mapper which dynamic ports its RPC services hold, so
    /// they are named for certain instead of "possibly dynamic RPC".
    #[arg(long, value_name = "HOST")]
    pub endpoint_mapper: Option<String>,
    /// The host the input files were captured on (ss, netstat, PowerShell, /proc); without
    /// it their listeners belong to "unknown host (FILE)". nmap and check files name their
    /// hosts themselves.
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Make a row that cannot be read an error (exit 2) instead of skipping it (exit 1, the
    /// audit being partial).
    #[arg(long)]
    pub strict: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ResultFormat::Table)]
    pub format: ResultFormat,
}

/// A vantage point's name: one word of letters, digits, `.`, `_`, `-` and `:`, as zone and
/// host names are written, so it can key files, JUnit properties and table columns.
fn parse_vantage(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'));
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "`{text}` is not a vantage name; use up to 64 letters, digits, '.', '_', '-' or ':', e.g. --vantage dmz-1"
        ))
    }
}
