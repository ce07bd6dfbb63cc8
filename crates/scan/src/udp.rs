//! UDP sweeps (`scan --udp`): the check engine's protocol probes (`portolan-probe`) on every
//! port of every host, reported in nmap's UDP words: `open`, `closed` (ICMP port
//! unreachable), `filtered` (another ICMP error) and `open|filtered` (silence).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use portolan_catalog::{Catalog, Transport};
use portolan_core::Record;
use portolan_core::target::TargetList;
use portolan_probe::engine::{self, CheckOptions, Host, Job};
use portolan_probe::select::{Target, catalog_rows_on};
use portolan_probe::{Origin, PortResult};
use tokio::sync::mpsc;

use crate::engine::Progress;
use crate::error::SweepError;
use crate::naming::PortNames;
use crate::ports::PortList;
use crate::report::Sink;
use crate::report::port::PortJson;

/// UDP answers are limited by the targets' ICMP rate limits (about one closed port per
/// second on Linux defaults), so a UDP sweep is kept to this many probes.
pub const MAX_PROBES: u64 = 65_536;

/// What a UDP sweep found.
#[derive(Debug)]
pub struct UdpRun {
    /// Every port decided, in the one result model, sorted by address and port.
    pub records: Vec<Record>,
    /// Probes asked for (hosts x ports).
    pub probes: u64,
    /// Ctrl-C stopped the sweep early.
    pub interrupted: bool,
    /// Wall time.
    pub elapsed: Duration,
}

/// Probes every port of `ports` on every host of `targets`; tells `sink` how far it is about
/// ten times a second, and streams a JSON line per port to it when `stream` is set. Stops
/// early when `stop` is raised.
pub fn run(
    catalog: &Catalog,
    targets: &TargetList,
    ports: &PortList,
    options: &CheckOptions,
    stop: &AtomicBool,
    sink: &mut dyn Sink,
    stream: bool,
) -> Result<UdpRun, SweepError> {
    let probes = targets.len().saturating_mul(ports.len() as u64);
    if probes > MAX_PROBES {
        return Err(SweepError::TooManyUdpProbes {
            addresses: targets.len(),
            ports: ports.len(),
            probes,
        });
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
    let hosts: Vec<Host> = targets
        .iter()
        .map(|h| Host {
            name: h.label(),
            address: h.address,
            scope_id: h.scope_id,
            unresolved: None,
        })
        .collect();
    let jobs: Vec<Job> = (0..hosts.len())
        .flat_map(|host| {
            targets_per_host.iter().map(move |target| Job {
                host,
                target: target.clone(),
                origin: Origin::Catalog,
                note: None,
            })
        })
        .collect();
    let names = PortNames::new(catalog, Transport::Udp);
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(SweepError::Runtime)?;
    let (results, interrupted) = runtime.block_on(collect(
        &hosts,
        jobs,
        options,
        stop,
        (sink, stream, probes),
        &names,
    ))?;
    let mut records: Vec<Record> = results.into_iter().map(|r| r.record).collect();
    records.sort_by_key(|r| (r.address, r.port));
    Ok(UdpRun {
        records,
        probes,
        interrupted,
        elapsed: started.elapsed(),
    })
}

/// Runs the check engine until it is done or Ctrl-C; streams JSON lines when asked.
async fn collect(
    hosts: &[Host],
    jobs: Vec<Job>,
    options: &CheckOptions,
    stop: &AtomicBool,
    (sink, stream, total): (&mut dyn Sink, bool, u64),
    names: &PortNames,
) -> Result<(Vec<PortResult>, bool), SweepError> {
    let (sender, mut receiver) = mpsc::channel(256);
    let engine = engine::run(hosts, jobs, options, sender);
    tokio::pin!(engine);
    let mut results = Vec::new();
    let mut engine_done = false;
    let mut interrupted = false;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let (mut ticks, mut open) = (0u64, 0u64);
    // Ends when the engine has finished and its channel is drained, or on Ctrl-C.
    loop {
        tokio::select! {
            () = &mut engine, if !engine_done => engine_done = true,
            received = receiver.recv() => match received {
                Some(result) => {
                    if stream {
                        sink.line(&PortJson::new(&result.record, names).line())
                            .map_err(SweepError::Output)?;
                    }
                    if result.record.verdict == portolan_core::Verdict::Listening {
                        open += 1;
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
                ticks += 1;
                // About ten times a second, as the connect sweep reports.
                if ticks % 2 == 0 {
                    sink.progress(Progress { total, done: results.len() as u64, open });
                }
            }
        }
    }
    Ok((results, interrupted))
}
