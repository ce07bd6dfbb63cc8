//! `scan`: TCP connect sweeps of many ports on many hosts (the engine is `portolan-scan`), and
//! with `--udp` the check engine's UDP protocol probes over the same targets and ports.
//!
//! Exit codes: 0 when at least one port is open, 1 when none is, 2 for bad input. Ctrl-C
//! prints what is known so far and then ends the process as an interrupted command.

use std::io::IsTerminal;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use portolan_catalog::Transport;
use portolan_core::target::{self, SizeGuard, TargetList};
use portolan_probe::engine::CheckOptions;
use portolan_scan::engine::{self, Config, Progress, TimeoutPolicy};
use portolan_scan::naming::PortNames;
use portolan_scan::ports::PortList;
use portolan_scan::report::tcp::{Collector, TcpReport};
use portolan_scan::report::udp::UdpReport;
use portolan_scan::report::{Listing, Rendered, Sink};

use crate::cli::{Global, ScanTiming, Timing, parse_duration};
use crate::exit::{Failure, Status};
use crate::render::{self, terminal_style};

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// A readable table of the ports found, then a summary line.
    Table,
    /// One JSON document at the end (hosts, ports, summary).
    Json,
    /// One JSON object per port, printed the moment it is known.
    Jsonl,
    /// CSV, one line per port.
    Csv,
    /// A Markdown table of the ports found, then the summary line.
    Md,
    /// nmap's XML format (valid against nmap.dtd), for tools that read nmap reports.
    NmapXml,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// What to scan: host names, IPv4 or IPv6 addresses, CIDR networks (10.0.0.0/24), ranges
    /// (10.0.0.5-20, 10.0.0.5-10.0.1.20) or @FILE (one or more targets per line).
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Ports: 22,80,1000-2000, all, catalog (every fixed TCP port of the catalog),
    /// role:NAME (the fixed ports of a role's services), or a mix: catalog,8080.
    #[arg(long, short = 'p', value_name = "SPEC", default_value = "catalog")]
    pub ports: String,
    /// Also list closed and filtered ports (open ones are always listed).
    #[arg(long)]
    pub all: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Confirm a sweep of more than 65536 addresses (larger than a /16).
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub sharding: crate::groups::Sharding,
    /// UDP instead of TCP: the protocol probes of `portolan check` on every port (states
    /// open, closed, filtered, open|filtered; at most 65536 probes).
    #[arg(long)]
    pub udp: bool,
    /// Half-open TCP sweep: raw SYNs, answers read from raw sockets, no connection completed
    /// (IPv4; needs root or CAP_NET_RAW; honours --rate, --retries and the timeouts).
    #[arg(long, conflicts_with = "udp")]
    pub syn: bool,
    /// Event loops (threads; with --syn, sender threads); 0 means one per core.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=256))]
    pub threads: u16,
    /// Most new probes per second, over all hosts: TCP connects, or with --udp the first
    /// datagram to each port (retries come on top).
    #[arg(long, value_name = "PER_SECOND", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate: Option<u32>,
    /// Most new connections per second to any one host.
    #[arg(long, value_name = "PER_SECOND", value_parser = clap::value_parser!(u32).range(1..))]
    pub host_rate: Option<u32>,
    /// No progress bar (it is only ever drawn when standard error is a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Wait for an answer before any host has answered (then the wait follows the
    /// measured round trip).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration, help_heading = "Timing")]
    pub initial_timeout: Duration,
    // Last: the group's help heading would otherwise carry over to the flags after it.
    #[command(flatten)]
    pub timing: Timing<ScanTiming>,
}

/// Buffered formats with `--all` keep every result in memory; past this many probes the
/// streaming format is the way.
const MAX_BUFFERED_RESULTS: u64 = 4_000_000;

pub fn run(global: &Global, args: &ScanArgs) -> Result<Status, Failure> {
    let config = config(args)?;
    let catalog = super::load_catalog(global)?;
    let transport = if args.udp {
        Transport::Udp
    } else {
        Transport::Tcp
    };
    let ports = portolan_scan::ports::resolve_ports(&catalog, &args.ports, transport)?;
    let targets = target::resolve_arguments(
        &args.targets,
        SizeGuard::Sweep {
            confirmed: args.yes,
        },
    )?
    .sharded(args.sharding.shard.unwrap_or_default());
    let listing = Listing {
        targets: args.targets.clone(),
        all: args.all,
        stream: args.format == ScanFormat::Jsonl,
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        start_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    if args.udp {
        return udp(global, args, &catalog, &targets, &ports, &listing);
    }
    let probes = targets.len().saturating_mul(ports.len() as u64);
    if args.all && args.format != ScanFormat::Jsonl && probes > MAX_BUFFERED_RESULTS {
        return Err(Failure::new(format!(
            "--all with --format {} would hold {probes} results in memory; use --format jsonl \
             (printed as they come) or leave out --all",
            format_name(args.format)
        )));
    }
    let names = PortNames::new(&catalog, Transport::Tcp);
    let stop = portolan_scan::interrupt::install()
        .map_err(|e| Failure::runtime(format!("cannot watch for Ctrl-C: {e}")))?;
    let mut out = Terminal::new(args, probes);
    let mut collector = Collector::new(&listing, &targets, &names, &mut out);
    let summary = if args.syn {
        if args.host_rate.is_some() || args.timing.concurrency().is_some() {
            eprintln!(
                "note: --host-rate and --concurrency apply to the connect sweep; --syn paces itself by --rate"
            );
        }
        portolan_scan::syn::run(&targets, ports.ports(), &config, &stop, &mut collector).map_err(
            |e| {
                if e.is_usage() {
                    Failure::new(e.to_string())
                } else {
                    Failure::runtime(e.to_string())
                }
            },
        )?
    } else {
        engine::run(&targets, &ports, &config, &stop, &mut collector)?
    };
    if let Some(e) = collector.take_write_error() {
        drop(collector);
        out.finish();
        return Err(Failure::new(e.to_string()));
    }
    let report = TcpReport::new(&listing, &targets, &ports, &names, &summary, &collector);
    let text = render_as(args.format, &report, global)?;
    drop(collector);
    out.finish();
    render::print(text.as_bytes())?;
    if summary.backoffs > 0 {
        eprintln!(
            "note: backed off {} times for lack of descriptors, buffers or source ports (open-file limit {}); \
             the scan is complete, only slower",
            summary.backoffs, summary.fd_budget.soft_limit
        );
    }
    if summary.interrupted {
        eprintln!(
            "interrupted: {} of {} probes done; the results above are what was known so far",
            summary.done, summary.total
        );
        portolan_scan::interrupt::exit_as_interrupted();
    }
    Ok(if summary.open > 0 {
        Status::Clean
    } else {
        Status::Negative
    })
}

/// `--udp`: the check engine's protocol probes on every port of every host.
fn udp(
    global: &Global,
    args: &ScanArgs,
    catalog: &portolan_catalog::Catalog,
    targets: &TargetList,
    ports: &PortList,
    listing: &Listing,
) -> Result<Status, Failure> {
    if args.host_rate.is_some() || args.threads != 0 {
        eprintln!(
            "note: --host-rate and --threads apply to TCP sweeps; --udp paces itself by --rate and --concurrency"
        );
    }
    let stop = portolan_scan::interrupt::install()
        .map_err(|e| Failure::runtime(format!("cannot watch for Ctrl-C: {e}")))?;
    let mut out = Terminal::new(args, targets.len().saturating_mul(ports.len() as u64));
    let run = portolan_scan::udp::run(
        catalog,
        targets,
        ports,
        &udp_options(args),
        &stop,
        &mut out,
        listing.stream,
    );
    out.finish();
    let run = run?;
    let names = PortNames::new(catalog, Transport::Udp);
    let report = UdpReport {
        listing,
        addresses: targets.len(),
        ports,
        names: &names,
        run: &run,
    };
    let text = render_as(args.format, &report, global)?;
    render::print(text.as_bytes())?;
    if run.interrupted {
        eprintln!(
            "interrupted: {} of {} probes done; the results above are what was known so far",
            run.records.len(),
            run.probes
        );
        portolan_scan::interrupt::exit_as_interrupted();
    }
    let open = run
        .records
        .iter()
        .any(|r| r.verdict == portolan_core::Verdict::Listening);
    Ok(if open {
        Status::Clean
    } else {
        Status::Negative
    })
}

/// The end-of-sweep output in `format` (nothing for `jsonl`, which streamed).
fn render_as(
    format: ScanFormat,
    report: &dyn Rendered,
    global: &Global,
) -> Result<String, Failure> {
    Ok(match format {
        ScanFormat::Jsonl => String::new(),
        ScanFormat::Table => report.table(terminal_style(global.color)),
        ScanFormat::Md => report.markdown(),
        ScanFormat::Csv => report.csv(),
        ScanFormat::Json => report.json()?,
        ScanFormat::NmapXml => report.nmap_xml(),
    })
}

fn config(args: &ScanArgs) -> Result<Config, Failure> {
    args.timing.validate()?;
    Ok(Config {
        threads: usize::from(args.threads),
        concurrency: args.timing.concurrency().unwrap_or(0),
        rate: args.rate,
        host_rate: args.host_rate,
        retries: args.timing.retries,
        timeouts: TimeoutPolicy {
            initial: args.initial_timeout,
            floor: args.timing.min_timeout,
            ceiling: args.timing.timeout(),
        },
        report_all: args.all,
    })
}

/// The check engine's options for `--udp`.
fn udp_options(args: &ScanArgs) -> CheckOptions {
    let defaults = CheckOptions::default();
    CheckOptions {
        ceiling: args.timing.timeout(),
        floor: args.timing.min_timeout,
        udp_floor: defaults.udp_floor.min(args.timing.timeout()),
        tcp_attempts: u32::from(args.timing.retries) + 1,
        udp_attempts: u32::from(args.timing.retries) + 1,
        concurrency: args.timing.concurrency().unwrap_or(defaults.concurrency),
        verify: false,
        verify_timeout: defaults.verify_timeout,
        context: defaults.context,
        mapper_port: defaults.mapper_port,
        rate: args.rate,
        pin: None,
    }
}

fn format_name(format: ScanFormat) -> &'static str {
    match format {
        ScanFormat::Table => "table",
        ScanFormat::Json => "json",
        ScanFormat::Jsonl => "jsonl",
        ScanFormat::Csv => "csv",
        ScanFormat::Md => "md",
        ScanFormat::NmapXml => "nmap-xml",
    }
}

/// Standard output and the progress bar on standard error (only on a terminal).
struct Terminal {
    bar: Option<ProgressBar>,
}

impl Terminal {
    fn new(args: &ScanArgs, probes: u64) -> Self {
        let wanted = probes > 0 && !args.no_progress && std::io::stderr().is_terminal();
        let bar = wanted.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(probes), ProgressDrawTarget::stderr_with_hz(10));
            let style =
                ProgressStyle::with_template("{bar:24} {pos}/{len} probes, {msg}, eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Terminal { bar }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Sink for Terminal {
    fn line(&mut self, text: &str) -> std::io::Result<()> {
        let print = || render::print(text.as_bytes()).map_err(|f| std::io::Error::other(f.message));
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    fn progress(&mut self, progress: Progress) {
        if let Some(bar) = &self.bar {
            bar.set_position(progress.done);
            bar.set_message(format!("{} open", progress.open));
        }
    }
}
