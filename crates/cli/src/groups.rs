//! Flags shared by several commands, each defined once: timing (check, scan, rpc), the
//! roles and services a command is about (check, audit, plan), output (look-ups' `--format`,
//! `-o/--output`). The catalog group ([`CatalogSelection`]) is global, in [`crate::cli::Global`].

use std::marker::PhantomData;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use portolan_catalog::WindowsVersion;

use crate::cli::LookupFormat;
use crate::exit::Failure;

/// The timing flags of `check` and `scan` (`rpc` takes only [`Wait`]), defined once. The defaults that differ come from
/// `D`: check's probes wait for a service's answer, scan's connects only for a handshake.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Timing")]
pub struct Timing<D: TimingDefaults> {
    #[command(flatten)]
    pub wait: Wait<D>,
    /// Shortest wait for an answer, however fast the host answers.
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = parse_duration)]
    pub min_timeout: Duration,
    /// Tries after the first for a port that gets no answer, before FILTERED (check: TCP
    /// ports; its UDP ports have --udp-retries).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=10))]
    pub retries: u8,
    /// Most probes in flight at once; 0 lets the engine choose (check: as many as the
    /// open-file limit allows, raised to the hard limit; scan: the same, at most 16384). Probes
    /// that find descriptors or source ports short wait and retry, never an error.
    #[arg(long, value_name = "N", default_value = D::CONCURRENCY, value_parser = clap::value_parser!(u32).range(0..=MAX_CONCURRENCY))]
    pub concurrency: u32,
    #[arg(skip)]
    defaults: PhantomData<D>,
}

/// `--timeout` alone: the one definition, in [`Timing`] and in `rpc`.
#[derive(Debug, Clone, Args)]
pub struct Wait<D: WaitDefault> {
    /// Longest wait for an answer, however slow the host: 1500ms, 2s, or milliseconds. The
    /// default depends on what is awaited: check waits for a service to answer (and uses it
    /// before the host has answered anything too), scan only for a handshake, rpc for each
    /// answer of the endpoint mapper.
    #[arg(long, value_name = "DURATION", default_value = D::TIMEOUT, value_parser = parse_duration)]
    pub timeout: Duration,
    #[arg(skip)]
    default: PhantomData<D>,
}

/// The most probes in flight anyone may ask for: Linux's default ceiling on open files.
const MAX_CONCURRENCY: i64 = 1 << 20;

impl<D: TimingDefaults> Timing<D> {
    /// `--timeout`.
    pub fn timeout(&self) -> Duration {
        self.wait.timeout
    }

    /// Refuses a shortest wait longer than the longest.
    pub fn validate(&self) -> Result<(), Failure> {
        if self.min_timeout > self.timeout() {
            return Err(Failure::new(format!(
                "--min-timeout {:?} is longer than --timeout {:?}; the shortest wait cannot exceed the longest",
                self.min_timeout,
                self.timeout()
            )));
        }
        Ok(())
    }

    /// `--concurrency`, with 0 (let the engine choose) as `None`.
    pub fn concurrency(&self) -> Option<usize> {
        usize::try_from(self.concurrency).ok().filter(|&n| n > 0)
    }
}

/// The default of [`Wait`] for a command, as a clap default string.
pub trait WaitDefault: std::fmt::Debug + Clone + Send + Sync + 'static {
    /// `--timeout`.
    const TIMEOUT: &'static str;
}

/// The defaults of [`Timing`] that differ between commands, as clap default strings.
pub trait TimingDefaults: WaitDefault {
    /// `--concurrency`.
    const CONCURRENCY: &'static str;
}

/// `check`: protocol probes, which wait for the service itself to answer.
#[derive(Debug, Clone)]
pub struct CheckTiming;

impl WaitDefault for CheckTiming {
    const TIMEOUT: &'static str = "1500ms";
}

impl TimingDefaults for CheckTiming {
    // 0: as many probes in flight as the open-file limit allows (the engine raises it).
    const CONCURRENCY: &'static str = "0";
}

/// `scan`: TCP connects, which only wait for the kernel's handshake.
#[derive(Debug, Clone)]
pub struct ScanTiming;

impl WaitDefault for ScanTiming {
    const TIMEOUT: &'static str = "1250ms";
}

impl TimingDefaults for ScanTiming {
    const CONCURRENCY: &'static str = "0";
}

/// `rpc`: each answer of an endpoint mapper, which may list hundreds of endpoints.
#[derive(Debug, Clone)]
pub struct RpcTiming;

impl WaitDefault for RpcTiming {
    const TIMEOUT: &'static str = "3s";
}

/// The roles and services `check`, `audit` and `plan` are about.
#[derive(Debug, Args)]
pub struct Subjects {
    /// A server role: its id or name (see `portolan roles`); the command covers its
    /// services. Repeatable.
    #[arg(long, value_name = "ROLE")]
    pub role: Vec<String>,
    /// A service: display name, Windows service name or id. Repeatable.
    #[arg(long, short = 's', value_name = "SERVICE")]
    pub service: Vec<String>,
}

/// What `check` and `listen` work on: roles, services and `--ports`, and whether the roles'
/// optional entries count.
#[derive(Debug, Args)]
pub struct PortSelection {
    #[command(flatten)]
    pub subjects: Subjects,
    /// Ports (a bare port is TCP), with those of the roles and services if any:
    /// `tcp:80,443,1000-1010 udp:53,137`, `53/udp`, `role:NAME`, `service:NAME`, `catalog`.
    #[arg(long, short = 'p', value_name = "SPEC")]
    pub ports: Option<String>,
    #[command(flatten)]
    pub optional: IncludeOptional,
}

/// Where the clients of `export --format aerleon`'s policies are. The other formats export
/// the whole catalog and refuse it.
#[derive(Debug, Args)]
pub struct PolicyExport {
    /// `--format aerleon`: where traffic comes from, as `plan --from` takes it: an address or
    /// CIDR for every class of hosts, or CLASS=CIDR for one class. Repeatable; default any.
    #[arg(long, value_name = "[CLASS=]CIDR")]
    pub from: Vec<String>,
}

/// `--shard I/N` of `check` and `scan`: split the hosts between N workers.
#[derive(Debug, Args)]
pub struct Sharding {
    /// Only part I (from 0) of N of the hosts: those at positions I, I+N, I+2N, ... of the
    /// expanded target list. N workers given 0/N to N-1/N cover every host exactly once.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<portolan_core::target::Shard>,
}

fn parse_shard(text: &str) -> Result<portolan_core::target::Shard, String> {
    text.parse()
        .map_err(|e: portolan_core::target::TargetError| format!("{}; {}", e.problem, e.fix))
}

/// `--pin-rpc` of `plan`, `rpc` and `check`: the base `portolan pin` was given.
#[derive(Debug, Args)]
pub struct PinRpc {
    /// The RPC servers are pinned from this base (`portolan pin --base PORT`): plan opens
    /// exactly their ports instead of the dynamic range; rpc and check report any interface
    /// of the role registered on a port outside them (exit 1).
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u32))]
    pub pin_rpc: Option<u32>,
}

/// `--include-optional` of `check` and `audit`.
#[derive(Debug, Args)]
pub struct IncludeOptional {
    /// Also the services and rows the roles mark optional (used only when a feature is on).
    #[arg(long)]
    pub include_optional: bool,
}

/// `--radius-secret` of `check` and `listen`.
#[derive(Debug, Args)]
pub struct RadiusSecret {
    /// RADIUS shared secret (check: lets a RADIUS server answer the probe's requests with a
    /// verified authenticator; listen: signs its answers; default for both: portolan-probe).
    #[arg(
        long,
        value_name = "SECRET",
        env = "PORTOLAN_RADIUS_SECRET",
        hide_env_values = true
    )]
    pub radius_secret: Option<String>,
}

/// `--no-rpc` of `check` and `listen`.
#[derive(Debug, Args)]
pub struct NoRpc {
    /// Leave dynamic RPC out (check: do not ask the RPC endpoint mapper for the dynamic
    /// ports of RPC services; listen: no stand-in endpoint mapper and no dynamic RPC ports).
    #[arg(long)]
    pub no_rpc: bool,
}

/// Where a command that writes files puts them.
#[derive(Debug, Args)]
pub struct OutputFile {
    /// Write to this file instead of standard output (`plan`: a folder when the dialect has
    /// several files; `pin --for windows`: a .reg file, beside the PowerShell on standard
    /// output; `export --format aerleon`: the folder of definitions and policies).
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
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

/// `--format` of the look-up commands.
#[derive(Debug, Args)]
pub struct FormatArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = LookupFormat::Table)]
    pub format: LookupFormat,
}

/// Which catalog every command works on: `--catalog` files over the built-in one, seen as a
/// Windows Server version has it. Global: every command takes it.
#[derive(Debug, Args)]
pub struct CatalogSelection {
    /// Extra catalog file (TOML, same format as the built-in one): adds services or roles,
    /// or overrides fields of built-in ones. Repeatable; later files win.
    #[arg(
        long = "catalog",
        value_name = "FILE",
        global = true,
        env = "PORTOLAN_CATALOG"
    )]
    pub catalogs: Vec<PathBuf>,

    /// The Windows Server version the services, rows and roles are those of: 2003 (exactly
    /// the 2003-era seed document), 2008, 2012, 2016, 2019, 2022 or 2025 (current
    /// documents; the newest is the default). docs/modern.md.
    #[arg(
        long = "windows",
        value_name = "VERSION",
        global = true,
        default_value = WindowsVersion::NEWEST.as_str(),
        value_parser = parse_windows
    )]
    pub windows: WindowsVersion,
}

/// Parses `--windows`: one of the layer's versions.
pub fn parse_windows(text: &str) -> Result<WindowsVersion, String> {
    text.parse()
        .map_err(|e: portolan_catalog::UnknownVersion| e.to_string())
}
