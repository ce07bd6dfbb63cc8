//! TCP connect sweeps: the observer that gathers the engine's events (and streams JSON
//! lines), and the report over what it gathered.

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::IpAddr;

use portolan_core::target::TargetList;
use portolan_core::{NmapState, Record};
use serde::Serialize;

use super::port::PortJson;
use super::{Listing, Rendered, Sink, SweepInfo, SweepJson, plural};
use crate::engine::{Event, Observer, Progress, Summary};
use crate::naming::PortNames;
use crate::nmap_xml::{self, XmlHost, XmlProtocol, XmlScan};
use crate::ports::PortList;
use crate::result::{HostSummary, PortResult};

/// Down hosts are listed one by one only in sweeps of at most this many addresses.
pub const LIST_DOWN_HOSTS_UP_TO: u64 = 4096;

/// Gathers the engine's events; streams JSON lines to a sink when asked.
pub struct Collector<'a> {
    stream: bool,
    keep_down_hosts: bool,
    targets: &'a TargetList,
    names: &'a PortNames,
    sink: &'a mut dyn Sink,
    ports: Vec<PortResult>,
    hosts: Vec<HostSummary>,
    hosts_seen: u64,
    hosts_up: u64,
    down_unlisted: u64,
    write_error: Option<io::Error>,
}

impl<'a> Collector<'a> {
    /// A collector for a sweep of `targets`.
    pub fn new(
        listing: &Listing,
        targets: &'a TargetList,
        names: &'a PortNames,
        sink: &'a mut dyn Sink,
    ) -> Self {
        Collector {
            stream: listing.stream,
            keep_down_hosts: targets.len() <= LIST_DOWN_HOSTS_UP_TO,
            targets,
            names,
            sink,
            ports: Vec::new(),
            hosts: Vec::new(),
            hosts_seen: 0,
            hosts_up: 0,
            down_unlisted: 0,
            write_error: None,
        }
    }

    /// The first error writing streamed lines, if any (streaming stops at the first).
    pub fn take_write_error(&mut self) -> Option<io::Error> {
        self.write_error.take()
    }

    fn label(&self, index: u64, fallback: &IpAddr) -> String {
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
                    let record = result.record(self.label(result.host, &result.address));
                    let line = PortJson::new(&record, self.names).line();
                    if let Err(e) = self.sink.line(&line) {
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
        self.sink.progress(progress);
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
    #[serde(flatten)]
    sweep: SweepInfo<'a>,
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

/// The JSON document of a TCP sweep (docs/json.md).
type ScanJson<'a> = SweepJson<ScanInfoJson<'a>, HostJson<'a>, TotalsJson>;

/// Everything the end-of-sweep formats need.
pub struct TcpReport<'a, 'c> {
    listing: &'a Listing,
    targets: &'a TargetList,
    ports: &'a PortList,
    names: &'a PortNames,
    summary: &'a Summary,
    collector: &'a Collector<'c>,
    /// Every result kept, as records, sorted by host index then port.
    records: Vec<(u64, Record)>,
}

impl<'a, 'c> TcpReport<'a, 'c> {
    /// The report of a finished (or interrupted) sweep.
    pub fn new(
        listing: &'a Listing,
        targets: &'a TargetList,
        ports: &'a PortList,
        names: &'a PortNames,
        summary: &'a Summary,
        collector: &'a Collector<'c>,
    ) -> Self {
        let mut sorted: Vec<&PortResult> = collector.ports.iter().collect();
        sorted.sort_by_key(|r| (r.host, r.port));
        let records = sorted
            .into_iter()
            .map(|r| (r.host, r.record(collector.label(r.host, &r.address))))
            .collect();
        TcpReport {
            listing,
            targets,
            ports,
            names,
            summary,
            collector,
            records,
        }
    }

    /// The sorted records grouped by host index.
    fn records_by_host(&self) -> HashMap<u64, Vec<&Record>> {
        let mut by_host: HashMap<u64, Vec<&Record>> = HashMap::new();
        for (host, r) in &self.records {
            by_host.entry(*host).or_default().push(r);
        }
        by_host
    }

    /// Hosts that have results but no summary yet (an interrupted sweep), counted from
    /// their results.
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

    /// Hosts that answered, including those of an interrupted sweep's partial results.
    fn hosts_up(&self) -> u64 {
        let partial = self.partial_hosts().iter().filter(|h| h.up).count() as u64;
        self.collector.hosts_up + partial
    }

    /// The JSON document.
    fn document(&self) -> ScanJson<'_> {
        let s = self.summary;
        let mut by_host = self.records_by_host();
        let hosts = self
            .hosts()
            .into_iter()
            .map(|h| HostJson {
                ports: by_host
                    .remove(&h.host)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| PortJson::new(r, self.names))
                    .collect(),
                host: self.collector.label(h.host, &h.address),
                address: h.address.to_string(),
                up: h.up,
                open: h.open,
                closed: h.closed,
                filtered: h.filtered,
                srtt_us: h.srtt_us,
                timeout_us: (h.timeout_us > 0).then_some(h.timeout_us),
            })
            .collect();
        SweepJson::new(
            ScanInfoJson {
                sweep: SweepInfo {
                    targets: &self.listing.targets,
                    ports: self.ports.compact(),
                    port_count: self.ports.len(),
                    addresses: self.targets.len(),
                    probes: s.total,
                    done: s.done,
                    interrupted: s.interrupted,
                    elapsed_ms: s.elapsed.as_millis(),
                },
                threads: s.threads,
                concurrency: s.concurrency,
                open_file_limit: s.fd_budget.soft_limit,
                retries: s.retries,
                backoffs: s.backoffs,
                self_connects: s.self_connects,
            },
            hosts,
            TotalsJson {
                hosts: self.collector.hosts_seen,
                hosts_up: self.hosts_up(),
                open: s.open,
                closed: s.closed,
                filtered: s.filtered,
            },
            s.open,
        )
    }
}

impl Rendered for TcpReport<'_, '_> {
    fn listed(&self) -> Vec<&Record> {
        self.records.iter().map(|(_, r)| r).collect()
    }

    fn names(&self) -> &PortNames {
        self.names
    }

    /// The line of totals under the table.
    fn totals_line(&self) -> String {
        let s = self.summary;
        let mut line = format!(
            "{} address{} ({} up) x {} port{}: {} open, {} closed, {} filtered in {:.2} s",
            self.targets.len(),
            plural(self.targets.len(), "", "es"),
            self.hosts_up(),
            self.ports.len(),
            plural(self.ports.len() as u64, "", "s"),
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

    /// nmap's XML.
    fn nmap_xml(&self) -> String {
        let hosts = self.hosts();
        let mut by_host = self.records_by_host();
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
            args: &self.listing.command_line,
            start_unix: self.listing.start_unix,
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

    fn json(&self) -> Result<String, serde_json::Error> {
        super::to_json(&self.document())
    }
}
