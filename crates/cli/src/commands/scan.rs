//! `scan`: TCP connect sweeps of many ports on many hosts (the engine is `portolan-scan`), and
//! with `--udp` the check engine's UDP protocol probes over the same targets and ports.
//!
//! Exit codes: 0 when at least one port is open, 1 when none is, 2 for bad input. Ctrl-C
//! prints what is known so far and then ends the process as an interrupted command.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use portolan_catalog::Transport;
use portolan_core::target::{self, SizeGuard, TargetList};
use portolan_output::{Grid, GridCell, Tone};
use portolan_scan::engine::{self, Config, Event, Observer, Progress, Summary, TimeoutPolicy};
use portolan_scan::naming::PortNames;
use portolan_scan::nmap_xml::{self, XmlHost, XmlProtocol, XmlScan};
use portolan_scan::ports::{PortList, PortSpec};
use portolan_scan::{HostSummary, NmapState, PortResult};
use serde::Serialize;

use crate::cli::{Global, parse_duration};
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
    /// UDP instead of TCP: the protocol probes of `portolan check` on every port (states
    /// open, closed, filtered, open|filtered; at most 65536 probes).
    #[arg(long)]
    pub udp: bool,
    /// Event loops (threads); 0 means one per core.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=256))]
    pub threads: u16,
    /// Most connections in flight; 0 means as many as the open-file limit allows (at most
    /// 16384). Fewer are used, never an error, when descriptors or source ports run short.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub concurrency: usize,
    /// Most new connections per second, over all hosts.
    #[arg(long, value_name = "PER_SECOND", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate: Option<u32>,
    /// Most new connections per second to any one host.
    #[arg(long, value_name = "PER_SECOND", value_parser = clap::value_parser!(u32).range(1..))]
    pub host_rate: Option<u32>,
    /// Tries after the first for a connection that gets no answer, before FILTERED.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=10))]
    pub retries: u8,
    /// Longest wait for an answer, however slow the host: 1250ms, 2s, or milliseconds.
    #[arg(long, value_name = "DURATION", default_value = "1250ms", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Shortest wait for an answer, however fast the host answers.
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = parse_duration)]
    pub min_timeout: Duration,
    /// Wait for an answer before any host has answered (then the wait follows the
    /// measured round trip).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub initial_timeout: Duration,
    /// No progress bar (it is only ever drawn when standard error is a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

/// Buffered formats with `--all` keep every result in memory; past this many probes the
/// streaming format is the way.
const MAX_BUFFERED_RESULTS: u64 = 4_000_000;
/// Down hosts are listed one by one only in scans of at most this many addresses.
const LIST_DOWN_HOSTS_UP_TO: u64 = 4096;

pub fn run(global: &Global, args: &ScanArgs) -> Result<Status, Failure> {
    let config = config(args)?;
    let catalog = super::load_catalog(global)?;
    let transport = if args.udp {
        Transport::Udp
    } else {
        Transport::Tcp
    };
    let ports = PortSpec::parse(&args.ports)?.resolve(&catalog, transport)?;
    let targets = target::resolve_arguments(
        &args.targets,
        SizeGuard::Sweep {
            confirmed: args.yes,
        },
    )?;
    if args.udp {
        return udp::run(global, args, &catalog, &targets, &ports);
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
        .map_err(|e| Failure::new(format!("cannot watch for Ctrl-C: {e}")))?;
    let start_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut collector = Collector::new(args, &targets, &names, probes);
    let summary = engine::run(&targets, &ports, &config, &stop, &mut collector)?;
    if let Some(bar) = &collector.bar {
        bar.finish_and_clear();
    }
    if let Some(failure) = collector.write_error.take() {
        return Err(failure);
    }
    let report = Report {
        args,
        targets: &targets,
        ports: &ports,
        names: &names,
        summary: &summary,
        collector: &collector,
        start_unix,
    };
    let text = match args.format {
        ScanFormat::Jsonl => String::new(),
        ScanFormat::Table => report.table(terminal_style(global.color)),
        ScanFormat::Csv => report.csv(),
        ScanFormat::Json => render::to_json(&report.json())?,
        ScanFormat::NmapXml => report.nmap_xml(),
    };
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

fn config(args: &ScanArgs) -> Result<Config, Failure> {
    if args.min_timeout > args.timeout {
        return Err(Failure::new(format!(
            "--min-timeout {:?} is longer than --timeout {:?}; the shortest wait cannot exceed the longest",
            args.min_timeout, args.timeout
        )));
    }
    Ok(Config {
        threads: usize::from(args.threads),
        concurrency: args.concurrency,
        rate: args.rate,
        host_rate: args.host_rate,
        retries: args.retries,
        timeouts: TimeoutPolicy {
            initial: args.initial_timeout,
            floor: args.min_timeout,
            ceiling: args.timeout,
        },
        report_all: args.all,
    })
}

fn format_name(format: ScanFormat) -> &'static str {
    match format {
        ScanFormat::Table => "table",
        ScanFormat::Json => "json",
        ScanFormat::Jsonl => "jsonl",
        ScanFormat::Csv => "csv",
        ScanFormat::NmapXml => "nmap-xml",
    }
}

/// Gathers the engine's events, streams JSON lines and drives the progress bar.
struct Collector<'a> {
    stream: bool,
    keep_down_hosts: bool,
    targets: &'a TargetList,
    names: &'a PortNames,
    ports: Vec<PortResult>,
    hosts: Vec<HostSummary>,
    hosts_seen: u64,
    hosts_up: u64,
    down_unlisted: u64,
    bar: Option<ProgressBar>,
    write_error: Option<Failure>,
}

impl<'a> Collector<'a> {
    fn new(args: &ScanArgs, targets: &'a TargetList, names: &'a PortNames, probes: u64) -> Self {
        let bar = (!args.no_progress && std::io::stderr().is_terminal()).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(probes), ProgressDrawTarget::stderr_with_hz(10));
            let style =
                ProgressStyle::with_template("{bar:24} {pos}/{len} probes, {msg}, eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Collector {
            stream: args.format == ScanFormat::Jsonl,
            keep_down_hosts: targets.len() <= LIST_DOWN_HOSTS_UP_TO,
            targets,
            names,
            ports: Vec::new(),
            hosts: Vec::new(),
            hosts_seen: 0,
            hosts_up: 0,
            down_unlisted: 0,
            bar,
            write_error: None,
        }
    }

    fn label(&self, index: u64, fallback: &std::net::IpAddr) -> String {
        match self.targets.get(index).and_then(|h| h.name) {
            Some(name) => name.to_string(),
            None => fallback.to_string(),
        }
    }
}

impl Observer for Collector<'_> {
    fn event(&mut self, event: Event) {
        match event {
            Event::Port(result) => {
                if self.stream {
                    if self.write_error.is_some() {
                        return;
                    }
                    let line = PortJson::new(
                        &result,
                        self.label(result.host, &result.address),
                        self.names,
                    );
                    let mut text = serde_json::to_string(&line).unwrap_or_default();
                    text.push('\n');
                    let printed = match &self.bar {
                        Some(bar) => bar.suspend(|| render::print(text.as_bytes())),
                        None => render::print(text.as_bytes()),
                    };
                    if let Err(e) = printed {
                        self.write_error = Some(e);
                    }
                } else {
                    self.ports.push(result);
                }
            }
            Event::Host(host) => {
                self.hosts_seen += 1;
                if host.up {
                    self.hosts_up += 1;
                }
                if host.up || self.keep_down_hosts {
                    self.hosts.push(host);
                } else {
                    self.down_unlisted += 1;
                }
            }
        }
    }

    fn tick(&mut self, progress: Progress) {
        if let Some(bar) = &self.bar {
            bar.set_position(progress.done);
            bar.set_message(format!("{} open", progress.open));
        }
    }
}

/// One port as JSON.
#[derive(Serialize)]
struct PortJson<'a> {
    host: String,
    address: String,
    port: u16,
    protocol: &'static str,
    state: NmapState,
    portqry: &'static str,
    reason: &'static str,
    tries: u8,
    rtt_us: Option<u32>,
    service: Option<&'a str>,
    services: Vec<&'a str>,
}

impl<'a> PortJson<'a> {
    fn new(r: &PortResult, host: String, names: &'a PortNames) -> Self {
        let name = names.get(r.port);
        PortJson {
            host,
            address: r.address.to_string(),
            port: r.port,
            protocol: "tcp",
            state: r.state,
            portqry: r.state.portqry(),
            reason: r.reason.as_str(),
            tries: r.tries,
            rtt_us: r.rtt_us,
            service: name.map(|n| n.app.as_str()),
            services: name
                .map(|n| n.services.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct HostJson<'a> {
    host: String,
    address: String,
    up: bool,
    open: u32,
    closed: u32,
    filtered: u32,
    srtt_us: Option<u32>,
    timeout_us: Option<u32>,
    ports: Vec<PortJson<'a>>,
}

#[derive(Serialize)]
struct ScanInfoJson<'a> {
    targets: &'a [String],
    ports: String,
    port_count: usize,
    addresses: u64,
    probes: u64,
    done: u64,
    interrupted: bool,
    elapsed_ms: u128,
    threads: usize,
    concurrency: usize,
    open_file_limit: u64,
    retries: u64,
    backoffs: u64,
    self_connects: u64,
}

#[derive(Serialize)]
struct TotalsJson {
    hosts: u64,
    hosts_up: u64,
    open: u64,
    closed: u64,
    filtered: u64,
}

#[derive(Serialize)]
struct ScanJson<'a> {
    schema_version: u32,
    scan: ScanInfoJson<'a>,
    hosts: Vec<HostJson<'a>>,
    summary: TotalsJson,
    exit_code: u8,
}

/// Everything the end-of-scan formats need.
struct Report<'a> {
    args: &'a ScanArgs,
    targets: &'a TargetList,
    ports: &'a PortList,
    names: &'a PortNames,
    summary: &'a Summary,
    collector: &'a Collector<'a>,
    start_unix: u64,
}

impl<'a> Report<'a> {
    /// Results sorted by host, then port.
    fn sorted_ports(&self) -> Vec<&'a PortResult> {
        let mut ports: Vec<&PortResult> = self.collector.ports.iter().collect();
        ports.sort_by_key(|r| (r.host, r.port));
        ports
    }

    /// Sorted results grouped by host index (the lists keep the port order).
    fn ports_by_host(&self) -> HashMap<u64, Vec<&'a PortResult>> {
        let mut by_host: HashMap<u64, Vec<&PortResult>> = HashMap::new();
        for r in self.sorted_ports() {
            by_host.entry(r.host).or_default().push(r);
        }
        by_host
    }

    /// Hosts that have results but no summary yet (an interrupted scan), counted from their
    /// results.
    fn partial_hosts(&self) -> Vec<HostSummary> {
        // Indexes keep this linear in the number of results, whatever the number of hosts.
        let summarised: HashSet<u64> = self.collector.hosts.iter().map(|h| h.host).collect();
        let mut partial: Vec<HostSummary> = Vec::new();
        let mut index: HashMap<u64, usize> = HashMap::new();
        for r in &self.collector.ports {
            if summarised.contains(&r.host) {
                continue;
            }
            let at = match index.get(&r.host).copied() {
                Some(i) => i,
                None => {
                    index.insert(r.host, partial.len());
                    partial.push(HostSummary {
                        host: r.host,
                        address: r.address,
                        open: 0,
                        closed: 0,
                        filtered: 0,
                        up: false,
                        srtt_us: None,
                        rttvar_us: None,
                        timeout_us: 0,
                        started_ms: 0,
                        finished_ms: u64::try_from(self.summary.elapsed.as_millis())
                            .unwrap_or(u64::MAX),
                    });
                    partial.len() - 1
                }
            };
            if let Some(h) = partial.get_mut(at) {
                match r.state {
                    NmapState::Open => h.open += 1,
                    NmapState::Closed => h.closed += 1,
                    NmapState::Filtered | NmapState::OpenFiltered | NmapState::Error => {
                        h.filtered += 1
                    }
                }
                h.up |= r.reason.from_target();
            }
        }
        partial
    }

    /// Every host to report, in target order.
    fn hosts(&self) -> Vec<HostSummary> {
        let mut hosts = self.collector.hosts.clone();
        hosts.extend(self.partial_hosts());
        hosts.sort_by_key(|h| h.host);
        hosts
    }

    /// Hosts that answered, including those of an interrupted scan's partial results.
    fn hosts_up(&self) -> u64 {
        let partial = self.partial_hosts().iter().filter(|h| h.up).count() as u64;
        self.collector.hosts_up + partial
    }

    fn label(&self, index: u64, address: &std::net::IpAddr) -> String {
        self.collector.label(index, address)
    }

    fn totals_line(&self) -> String {
        let s = self.summary;
        let mut line = format!(
            "{} address{} ({} up) x {} port{}: {} open, {} closed, {} filtered in {:.2} s",
            self.targets.len(),
            if self.targets.len() == 1 { "" } else { "es" },
            self.hosts_up(),
            self.ports.len(),
            if self.ports.len() == 1 { "" } else { "s" },
            s.open,
            s.closed,
            s.filtered,
            s.elapsed.as_secs_f64()
        );
        if s.interrupted {
            line.push_str(&format!(
                " (interrupted after {} of {} probes)",
                s.done, s.total
            ));
        }
        line.push('\n');
        line
    }

    fn table(&self, style: portolan_output::TerminalStyle) -> String {
        let ports = self.sorted_ports();
        let mut out = String::new();
        if ports.is_empty() {
            out.push_str("no open ports\n");
        } else {
            let mut grid = Grid::new([
                "Host",
                "Port",
                "State",
                "Reason",
                "Service",
                "Catalog services",
            ]);
            for r in ports {
                let name = self.names.get(r.port);
                let tone = match r.state {
                    NmapState::Open => Tone::Good,
                    NmapState::Closed | NmapState::Error => Tone::Bad,
                    NmapState::Filtered | NmapState::OpenFiltered => Tone::Warn,
                };
                grid.push([
                    GridCell::from(self.label(r.host, &r.address)),
                    format!("{}/tcp", r.port).into(),
                    GridCell::toned(r.state.as_str(), tone),
                    r.reason.as_str().into(),
                    name.map_or_else(String::new, |n| n.app.clone()).into(),
                    name.map_or_else(String::new, |n| n.service_names.join(", "))
                        .into(),
                ]);
            }
            out.push_str(&grid.to_terminal(style));
        }
        out.push_str(&self.totals_line());
        out
    }

    fn csv(&self) -> String {
        let mut grid = Grid::new([
            "host", "address", "port", "protocol", "state", "reason", "tries", "rtt_us", "service",
            "services",
        ]);
        for r in self.sorted_ports() {
            let name = self.names.get(r.port);
            grid.push([
                self.label(r.host, &r.address),
                r.address.to_string(),
                r.port.to_string(),
                "tcp".to_string(),
                r.state.as_str().to_string(),
                r.reason.as_str().to_string(),
                r.tries.to_string(),
                r.rtt_us.map(|t| t.to_string()).unwrap_or_default(),
                name.map(|n| n.app.clone()).unwrap_or_default(),
                name.map(|n| n.services.join(";")).unwrap_or_default(),
            ]);
        }
        grid.to_csv()
    }

    fn json(&self) -> ScanJson<'_> {
        let s = self.summary;
        let mut by_host = self.ports_by_host();
        let hosts = self
            .hosts()
            .into_iter()
            .map(|h| {
                let label = self.label(h.host, &h.address);
                HostJson {
                    ports: by_host
                        .remove(&h.host)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|r| PortJson::new(r, label.clone(), self.names))
                        .collect(),
                    host: label,
                    address: h.address.to_string(),
                    up: h.up,
                    open: h.open,
                    closed: h.closed,
                    filtered: h.filtered,
                    srtt_us: h.srtt_us,
                    timeout_us: (h.timeout_us > 0).then_some(h.timeout_us),
                }
            })
            .collect();
        ScanJson {
            schema_version: portolan_output::catalog::SCHEMA_VERSION,
            scan: ScanInfoJson {
                targets: &self.args.targets,
                ports: self.ports.compact(),
                port_count: self.ports.len(),
                addresses: self.targets.len(),
                probes: s.total,
                done: s.done,
                interrupted: s.interrupted,
                elapsed_ms: s.elapsed.as_millis(),
                threads: s.threads,
                concurrency: s.concurrency,
                open_file_limit: s.fd_budget.soft_limit,
                retries: s.retries,
                backoffs: s.backoffs,
                self_connects: s.self_connects,
            },
            hosts,
            summary: TotalsJson {
                hosts: self.collector.hosts_seen,
                hosts_up: self.hosts_up(),
                open: s.open,
                closed: s.closed,
                filtered: s.filtered,
            },
            exit_code: u8::from(s.open == 0),
        }
    }

    fn nmap_xml(&self) -> String {
        let hosts = self.hosts();
        let mut by_host = self.ports_by_host();
        let command: Vec<String> = std::env::args().collect();
        let args = command.join(" ");
        let xml_hosts = hosts
            .iter()
            .map(|h| {
                let listed = by_host.remove(&h.host).unwrap_or_default();
                XmlHost::tcp(h, self.targets.get(h.host).and_then(|t| t.name), &listed)
            })
            .collect();
        let interrupted = self.summary.interrupted.then(|| {
            format!(
                "interrupted after {} of {} probes",
                self.summary.done, self.summary.total
            )
        });
        let scan = XmlScan {
            args: &args,
            start_unix: self.start_unix,
            version: env!("CARGO_PKG_VERSION"),
            protocol: XmlProtocol::TcpConnect,
            ports: self.ports,
            elapsed: self.summary.elapsed,
            interrupted,
            hosts: xml_hosts,
            unlisted_down: self.collector.down_unlisted,
        };
        nmap_xml::write(&scan, self.names)
    }
}

/// `--udp`: the check engine's protocol probes (`portolan-probe`) on every port of every
/// host, reported in nmap's UDP words: `open`, `closed` (ICMP port unreachable), `filtered`
/// (another ICMP error) and `open|filtered` (silence).
mod udp {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use portolan_catalog::{Catalog, Transport};
    use portolan_core::target::TargetList;
    use portolan_core::verdict::{NmapState, Reason, Verdict};
    use portolan_output::{Grid, GridCell, Tone};
    use portolan_probe::engine::{self, CheckOptions, Host, Job};
    use portolan_probe::select::{Target, catalog_rows_on};
    use portolan_probe::{Origin, PortResult};
    use portolan_scan::naming::PortNames;
    use portolan_scan::nmap_xml::{self, XmlHost, XmlPort, XmlProtocol, XmlScan};
    use portolan_scan::ports::PortList;
    use serde::Serialize;
    use tokio::sync::mpsc;

    use super::{ScanArgs, ScanFormat};
    use crate::cli::Global;
    use crate::exit::{Failure, Status};
    use crate::render::{self, terminal_style};

    /// UDP answers are limited by the targets' ICMP rate limits (about one closed port per
    /// second on Linux defaults), so a UDP sweep is kept to this many probes.
    pub const MAX_PROBES: u64 = 65_536;

    /// nmap's state and reason for a check verdict: `portolan_core::verdict`'s mapping.
    fn words(verdict: Verdict) -> (&'static str, &'static str) {
        (
            verdict.nmap().as_str(),
            Reason::of_udp_verdict(verdict).as_str(),
        )
    }

    #[derive(Serialize)]
    struct PortJson<'a> {
        host: &'a str,
        address: String,
        port: u16,
        protocol: &'static str,
        state: &'static str,
        portqry: &'static str,
        reason: &'static str,
        tries: u32,
        rtt_us: Option<u64>,
        probe: &'a str,
        answer: &'a str,
        evidence: Option<&'a str>,
        service: Option<&'a str>,
        services: Vec<&'a str>,
    }

    fn port_json<'a>(r: &'a PortResult, names: &'a PortNames) -> PortJson<'a> {
        let (state, reason) = words(r.status);
        let name = names.get(r.port);
        PortJson {
            host: &r.host,
            address: r.address.to_string(),
            port: r.port,
            protocol: "udp",
            state,
            portqry: r.status.as_str(),
            reason,
            tries: r.attempts,
            rtt_us: r.rtt_ms.map(|ms| (ms * 1000.0).round() as u64),
            probe: &r.probe,
            answer: &r.answer,
            evidence: r.evidence.as_deref(),
            service: name.map(|n| n.app.as_str()),
            services: name
                .map(|n| n.services.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        }
    }

    #[derive(Serialize, Default)]
    struct Counts {
        open: u64,
        closed: u64,
        filtered: u64,
        open_filtered: u64,
        error: u64,
    }

    impl Counts {
        fn add(&mut self, verdict: Verdict) {
            match verdict.nmap() {
                NmapState::Open => self.open += 1,
                NmapState::Closed => self.closed += 1,
                NmapState::Filtered => self.filtered += 1,
                NmapState::OpenFiltered => self.open_filtered += 1,
                NmapState::Error => self.error += 1,
            }
        }
    }

    #[derive(Serialize)]
    struct HostJson<'a> {
        host: &'a str,
        address: String,
        #[serde(flatten)]
        counts: Counts,
        ports: Vec<PortJson<'a>>,
    }

    #[derive(Serialize)]
    struct ScanJson<'a> {
        schema_version: u32,
        scan: ScanInfo<'a>,
        hosts: Vec<HostJson<'a>>,
        summary: Counts,
        exit_code: u8,
    }

    #[derive(Serialize)]
    struct ScanInfo<'a> {
        targets: &'a [String],
        protocol: &'static str,
        ports: String,
        port_count: usize,
        addresses: u64,
        probes: u64,
        done: u64,
        interrupted: bool,
        elapsed_ms: u128,
    }

    pub fn run(
        global: &Global,
        args: &ScanArgs,
        catalog: &Catalog,
        targets: &TargetList,
        ports: &PortList,
    ) -> Result<Status, Failure> {
        let probes = targets.len().saturating_mul(ports.len() as u64);
        if probes > MAX_PROBES {
            return Err(Failure::new(format!(
                "--udp over {} addresses x {} ports is {probes} probes, more than {MAX_PROBES}; \
                 closed UDP ports answer at the pace of the target's ICMP rate limit, so narrow \
                 the ports (-p catalog, -p role:NAME) or the hosts",
                targets.len(),
                ports.len()
            )));
        }
        if args.rate.is_some() || args.host_rate.is_some() || args.threads != 0 {
            eprintln!(
                "note: --rate, --host-rate and --threads apply to TCP sweeps; --udp paces itself by --concurrency"
            );
        }
        // Not `portolan_probe::select`: its cap is a check's (4096 ports), not a sweep's.
        let targets_per_host: Vec<Target> = ports
            .ports()
            .iter()
            .map(|&port| Target {
                transport: Transport::Udp,
                port,
                rows: catalog_rows_on(catalog, Transport::Udp, port),
            })
            .collect();
        let hosts: Vec<Host> = (0..targets.len())
            .filter_map(|i| targets.get(i))
            .map(|h| Host {
                name: h.label(),
                address: h.address,
                scope_id: h.scope_id,
            })
            .collect();
        let jobs: Vec<Job> = (0..hosts.len())
            .flat_map(|host| {
                targets_per_host.iter().map(move |target| Job {
                    host,
                    target: target.clone(),
                    origin: Origin::Catalog,
                })
            })
            .collect();
        let defaults = CheckOptions::default();
        let options = CheckOptions {
            ceiling: args.timeout,
            floor: args.min_timeout,
            udp_floor: defaults.udp_floor.min(args.timeout),
            tcp_attempts: u32::from(args.retries) + 1,
            udp_attempts: u32::from(args.retries) + 1,
            concurrency: if args.concurrency == 0 {
                defaults.concurrency
            } else {
                args.concurrency
            },
            verify: false,
            context: defaults.context,
        };
        let stop = portolan_scan::interrupt::install()
            .map_err(|e| Failure::new(format!("cannot watch for Ctrl-C: {e}")))?;
        let start_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let names = PortNames::new(catalog, Transport::Udp);
        let started = Instant::now();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::new(format!("cannot start the async runtime: {e}")))?;
        let stream = args.format == ScanFormat::Jsonl;
        let (results, interrupted) =
            runtime.block_on(collect(&hosts, jobs, &options, &stop, stream, &names))?;
        let elapsed = started.elapsed();
        let mut results = results;
        results.sort_by_key(|r| (r.address, r.port));
        let report = Report {
            args,
            targets,
            ports,
            names: &names,
            results: &results,
            probes,
            interrupted,
            elapsed,
            start_unix,
        };
        let text = match args.format {
            ScanFormat::Jsonl => String::new(),
            ScanFormat::Table => report.table(terminal_style(global.color)),
            ScanFormat::Csv => report.csv(),
            ScanFormat::Json => render::to_json(&report.json())?,
            ScanFormat::NmapXml => report.nmap_xml(),
        };
        render::print(text.as_bytes())?;
        if interrupted {
            eprintln!(
                "interrupted: {} of {probes} probes done; the results above are what was known so far",
                results.len()
            );
            portolan_scan::interrupt::exit_as_interrupted();
        }
        let open = results.iter().any(|r| r.status == Verdict::Listening);
        Ok(if open {
            Status::Clean
        } else {
            Status::Negative
        })
    }

    /// Runs the check engine until it is done or Ctrl-C; streams JSON lines when asked.
    async fn collect(
        hosts: &[Host],
        jobs: Vec<Job>,
        options: &CheckOptions,
        stop: &AtomicBool,
        stream: bool,
        names: &PortNames,
    ) -> Result<(Vec<PortResult>, bool), Failure> {
        let (sender, mut receiver) = mpsc::channel(256);
        let engine = engine::run(hosts, jobs, options, sender);
        tokio::pin!(engine);
        let mut results = Vec::new();
        let mut engine_done = false;
        let mut interrupted = false;
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        // Ends when the engine has finished and its channel is drained, or on Ctrl-C.
        loop {
            tokio::select! {
                () = &mut engine, if !engine_done => engine_done = true,
                received = receiver.recv() => match received {
                    Some(result) => {
                        if stream {
                            let mut line = serde_json::to_string(&port_json(&result, names))
                                .unwrap_or_default();
                            line.push('\n');
                            render::print(line.as_bytes())?;
                        }
                        results.push(result);
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    if stop.load(Ordering::Relaxed) {
                        interrupted = true;
                        break;
                    }
                }
            }
        }
        Ok((results, interrupted))
    }

    struct Report<'a> {
        args: &'a ScanArgs,
        targets: &'a TargetList,
        ports: &'a PortList,
        names: &'a PortNames,
        results: &'a [PortResult],
        probes: u64,
        interrupted: bool,
        elapsed: Duration,
        start_unix: u64,
    }

    impl Report<'_> {
        /// The results to list: open ones, or all with `--all`.
        fn listed(&self) -> impl Iterator<Item = &PortResult> {
            let all = self.args.all;
            self.results
                .iter()
                .filter(move |r| all || r.status == Verdict::Listening)
        }

        fn counts(&self) -> Counts {
            let mut counts = Counts::default();
            for r in self.results {
                counts.add(r.status);
            }
            counts
        }

        fn table(&self, style: portolan_output::TerminalStyle) -> String {
            let mut out = String::new();
            let mut grid = Grid::new([
                "Host",
                "Port",
                "State",
                "Reason",
                "Service",
                "What answered",
            ]);
            for r in self.listed() {
                let (state, reason) = words(r.status);
                let tone = match r.status.nmap() {
                    NmapState::Open => Tone::Good,
                    NmapState::Closed | NmapState::Error => Tone::Bad,
                    NmapState::Filtered | NmapState::OpenFiltered => Tone::Warn,
                };
                grid.push([
                    GridCell::from(r.host.clone()),
                    format!("{}/udp", r.port).into(),
                    GridCell::toned(state, tone),
                    reason.into(),
                    self.names
                        .get(r.port)
                        .map_or_else(String::new, |n| n.app.clone())
                        .into(),
                    r.evidence
                        .clone()
                        .unwrap_or_else(|| r.answer.clone())
                        .into(),
                ]);
            }
            if grid.rows.is_empty() {
                out.push_str("no open ports\n");
            } else {
                out.push_str(&grid.to_terminal(style));
            }
            let c = self.counts();
            let mut line = format!(
                "{} address{} x {} UDP port{}: {} open, {} closed, {} filtered, {} open|filtered in {:.2} s",
                self.targets.len(),
                if self.targets.len() == 1 { "" } else { "es" },
                self.ports.len(),
                if self.ports.len() == 1 { "" } else { "s" },
                c.open,
                c.closed,
                c.filtered,
                c.open_filtered,
                self.elapsed.as_secs_f64()
            );
            if c.error > 0 {
                line.push_str(&format!(" ({} not probed: local errors)", c.error));
            }
            if self.interrupted {
                line.push_str(&format!(
                    " (interrupted after {} of {} probes)",
                    self.results.len(),
                    self.probes
                ));
            }
            out.push_str(&line);
            out.push('\n');
            out
        }

        fn csv(&self) -> String {
            let mut grid = Grid::new([
                "host", "address", "port", "protocol", "state", "reason", "tries", "rtt_us",
                "service", "services",
            ]);
            for r in self.listed() {
                let j = port_json(r, self.names);
                grid.push([
                    j.host.to_string(),
                    j.address,
                    j.port.to_string(),
                    "udp".to_string(),
                    j.state.to_string(),
                    j.reason.to_string(),
                    j.tries.to_string(),
                    j.rtt_us.map(|t| t.to_string()).unwrap_or_default(),
                    j.service.unwrap_or_default().to_string(),
                    j.services.join(";"),
                ]);
            }
            grid.to_csv()
        }

        fn hosts(&self) -> Vec<(&str, std::net::IpAddr, Vec<&PortResult>)> {
            let mut hosts: Vec<(&str, std::net::IpAddr, Vec<&PortResult>)> = Vec::new();
            for r in self.results {
                match hosts.iter_mut().find(|(_, a, _)| *a == r.address) {
                    Some((_, _, list)) => list.push(r),
                    None => hosts.push((r.host.as_str(), r.address, vec![r])),
                }
            }
            hosts
        }

        fn json(&self) -> ScanJson<'_> {
            let all = self.args.all;
            let hosts = self
                .hosts()
                .into_iter()
                .map(|(host, address, results)| {
                    let mut counts = Counts::default();
                    for r in &results {
                        counts.add(r.status);
                    }
                    HostJson {
                        host,
                        address: address.to_string(),
                        counts,
                        ports: results
                            .into_iter()
                            .filter(|r| all || r.status == Verdict::Listening)
                            .map(|r| port_json(r, self.names))
                            .collect(),
                    }
                })
                .collect();
            let summary = self.counts();
            ScanJson {
                schema_version: portolan_output::catalog::SCHEMA_VERSION,
                scan: ScanInfo {
                    targets: &self.args.targets,
                    protocol: "udp",
                    ports: self.ports.compact(),
                    port_count: self.ports.len(),
                    addresses: self.targets.len(),
                    probes: self.probes,
                    done: self.results.len() as u64,
                    interrupted: self.interrupted,
                    elapsed_ms: self.elapsed.as_millis(),
                },
                hosts,
                exit_code: u8::from(summary.open == 0),
                summary,
            }
        }

        fn nmap_xml(&self) -> String {
            let args = std::env::args().collect::<Vec<_>>().join(" ");
            let all = self.args.all;
            let finished_ms = u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX);
            let hosts = self
                .hosts()
                .into_iter()
                .map(|(host, address, results)| {
                    let mut unlisted = Counts::default();
                    let mut listed = Vec::new();
                    for r in &results {
                        if all || r.status == Verdict::Listening {
                            let (state, reason) = words(r.status);
                            listed.push(XmlPort {
                                port: r.port,
                                state,
                                reason,
                            });
                        } else {
                            unlisted.add(r.status);
                        }
                    }
                    let answered = results
                        .iter()
                        .any(|r| matches!(r.status.nmap(), NmapState::Open | NmapState::Closed));
                    let open = results.iter().any(|r| r.status == Verdict::Listening);
                    XmlHost {
                        address,
                        name: (host != address.to_string()).then_some(host),
                        up: answered,
                        status_reason: if open {
                            "udp-response"
                        } else if answered {
                            "port-unreach"
                        } else {
                            "no-response"
                        },
                        started_ms: 0,
                        finished_ms,
                        extraports: [
                            ("closed", unlisted.closed),
                            ("filtered", unlisted.filtered),
                            ("open|filtered", unlisted.open_filtered),
                            ("error", unlisted.error),
                        ]
                        .into_iter()
                        .filter(|(_, n)| *n > 0)
                        .collect(),
                        ports: listed,
                        times: None,
                    }
                })
                .collect();
            let scan = XmlScan {
                args: &args,
                start_unix: self.start_unix,
                version: env!("CARGO_PKG_VERSION"),
                protocol: XmlProtocol::Udp,
                ports: self.ports,
                elapsed: self.elapsed,
                interrupted: self.interrupted.then(|| {
                    format!(
                        "interrupted after {} of {} probes",
                        self.results.len(),
                        self.probes
                    )
                }),
                hosts,
                unlisted_down: 0,
            };
            nmap_xml::write(&scan, self.names)
        }
    }
}
