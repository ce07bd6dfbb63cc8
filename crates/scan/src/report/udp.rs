//! The report of a UDP sweep (`scan --udp`).

use std::net::IpAddr;

use portolan_core::{NmapState, Record, Verdict};
use serde::Serialize;

use super::port::PortJson;
use super::{Listing, Rendered, SweepInfo, SweepJson, plural};
use crate::naming::PortNames;
use crate::nmap_xml::{self, XmlHost, XmlPort, XmlProtocol, XmlScan};
use crate::ports::PortList;
use crate::udp::UdpRun;

/// Counts of each state.
#[derive(Debug, Serialize, Default, Clone, Copy)]
pub struct Counts {
    open: u64,
    closed: u64,
    filtered: u64,
    open_filtered: u64,
    error: u64,
}

impl Counts {
    fn add(&mut self, state: NmapState) {
        match state {
            NmapState::Open => self.open += 1,
            NmapState::Closed => self.closed += 1,
            NmapState::Filtered => self.filtered += 1,
            NmapState::OpenFiltered => self.open_filtered += 1,
            NmapState::Error => self.error += 1,
        }
    }

    fn of<'r>(records: impl IntoIterator<Item = &'r Record>) -> Counts {
        let mut counts = Counts::default();
        for r in records {
            counts.add(r.state());
        }
        counts
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

/// The JSON document of a UDP sweep (docs/json.md).
type UdpScanJson<'a> = SweepJson<ScanInfo<'a>, HostJson<'a>, Counts>;

#[derive(Serialize)]
struct ScanInfo<'a> {
    #[serde(flatten)]
    sweep: SweepInfo<'a>,
    protocol: &'static str,
}

/// Everything the end-of-sweep formats of a UDP sweep need.
pub struct UdpReport<'a> {
    /// How the report was asked for.
    pub listing: &'a Listing,
    /// Addresses swept.
    pub addresses: u64,
    /// The ports.
    pub ports: &'a PortList,
    /// Port names of the catalog (UDP).
    pub names: &'a PortNames,
    /// What the sweep found.
    pub run: &'a UdpRun,
}

impl UdpReport<'_> {
    /// Hosts in order of first result, with their records.
    fn hosts(&self) -> Vec<(&str, IpAddr, Vec<&Record>)> {
        let mut hosts: Vec<(&str, IpAddr, Vec<&Record>)> = Vec::new();
        for r in &self.run.records {
            match hosts.iter_mut().find(|(_, a, _)| *a == r.address) {
                Some((_, _, list)) => list.push(r),
                None => hosts.push((r.host.as_str(), r.address, vec![r])),
            }
        }
        hosts
    }

    /// The JSON document.
    fn document(&self) -> UdpScanJson<'_> {
        let all = self.listing.all;
        let hosts = self
            .hosts()
            .into_iter()
            .map(|(host, address, results)| HostJson {
                host,
                address: address.to_string(),
                counts: Counts::of(results.iter().copied()),
                ports: results
                    .into_iter()
                    .filter(|r| all || r.verdict == Verdict::Listening)
                    .map(|r| PortJson::new(r, self.names))
                    .collect(),
            })
            .collect();
        let summary = Counts::of(&self.run.records);
        let open = summary.open;
        SweepJson::new(
            ScanInfo {
                sweep: SweepInfo {
                    targets: &self.listing.targets,
                    ports: self.ports.compact(),
                    port_count: self.ports.len(),
                    addresses: self.addresses,
                    probes: self.run.probes,
                    done: self.run.records.len() as u64,
                    interrupted: self.run.interrupted,
                    elapsed_ms: self.run.elapsed.as_millis(),
                },
                protocol: "udp",
            },
            hosts,
            summary,
            open,
        )
    }
}

impl Rendered for UdpReport<'_> {
    /// The results to list: open ones, or all with `--all`.
    fn listed(&self) -> Vec<&Record> {
        let all = self.listing.all;
        self.run
            .records
            .iter()
            .filter(|r| all || r.verdict == Verdict::Listening)
            .collect()
    }

    fn names(&self) -> &PortNames {
        self.names
    }

    fn totals_line(&self) -> String {
        let c = Counts::of(&self.run.records);
        let mut line = format!(
            "{} address{} x {} UDP port{}: {} open, {} closed, {} filtered, {} open|filtered in {:.2} s",
            self.addresses,
            plural(self.addresses, "", "es"),
            self.ports.len(),
            plural(self.ports.len() as u64, "", "s"),
            c.open,
            c.closed,
            c.filtered,
            c.open_filtered,
            self.run.elapsed.as_secs_f64()
        );
        if c.error > 0 {
            line.push_str(&format!(" ({} not probed: local errors)", c.error));
        }
        if self.run.interrupted {
            line.push_str(&format!(
                " (interrupted after {} of {} probes)",
                self.run.records.len(),
                self.run.probes
            ));
        }
        line.push('\n');
        line
    }

    /// nmap's XML.
    fn nmap_xml(&self) -> String {
        let all = self.listing.all;
        let finished_ms = u64::try_from(self.run.elapsed.as_millis()).unwrap_or(u64::MAX);
        let hosts = self
            .hosts()
            .into_iter()
            .map(|(host, address, results)| {
                let mut unlisted = Counts::default();
                let mut listed = Vec::new();
                for r in &results {
                    if all || r.verdict == Verdict::Listening {
                        listed.push(XmlPort {
                            port: r.port,
                            state: r.state().as_str(),
                            reason: r.reason.as_str(),
                        });
                    } else {
                        unlisted.add(r.state());
                    }
                }
                let answered = results
                    .iter()
                    .any(|r| matches!(r.state(), NmapState::Open | NmapState::Closed));
                let open = results.iter().any(|r| r.verdict == Verdict::Listening);
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
            args: &self.listing.command_line,
            start_unix: self.listing.start_unix,
            version: env!("CARGO_PKG_VERSION"),
            protocol: XmlProtocol::Udp,
            ports: self.ports,
            elapsed: self.run.elapsed,
            interrupted: self.run.interrupted.then(|| {
                format!(
                    "interrupted after {} of {} probes",
                    self.run.records.len(),
                    self.run.probes
                )
            }),
            hosts,
            unlisted_down: 0,
        };
        nmap_xml::write(&scan, self.names)
    }

    fn json(&self) -> Result<String, serde_json::Error> {
        super::to_json(&self.document())
    }
}
