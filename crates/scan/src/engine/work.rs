//! Handing out probes to the worker threads.
//!
//! Hosts are taken in groups of at most [`GROUP_HOSTS`]; inside a group the probes go port by
//! port, each port across every host of the group, so a sweep of a /24 spreads its load over
//! the hosts instead of hammering one. A group holds the per-host state (round-trip estimate,
//! pacer, counts), so memory stays bounded however many hosts the scan covers. Workers take
//! chunks of consecutive probes under a mutex, which costs one lock per chunk.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::rate::Pacer;
use portolan_core::target::TargetList;
use portolan_core::timing::RttEstimate;

/// Most hosts per group.
pub const GROUP_HOSTS: u64 = 4096;

/// The state of one host while its group is being scanned.
#[derive(Debug)]
pub struct HostState {
    pub index: u64,
    pub address: IpAddr,
    /// The IPv6 scope (interface index), 0 when none.
    pub scope_id: u32,
    pub rtt: RttEstimate,
    pub pacer: Option<Pacer>,
    pub open: AtomicU32,
    pub closed: AtomicU32,
    pub filtered: AtomicU32,
    pub answered: AtomicBool,
}

/// Hosts scanned together.
#[derive(Debug)]
pub struct Group {
    pub hosts: Box<[HostState]>,
    pub ports: Arc<[u16]>,
    /// Probes not yet finished.
    pub remaining: AtomicU64,
    /// Milliseconds since the scan began when the group was opened.
    pub started_ms: u64,
}

impl Group {
    /// Number of probes in the group.
    pub fn probes(&self) -> u64 {
        self.hosts.len() as u64 * self.ports.len() as u64
    }

    /// The (host, port) of probe `index` (port-major order).
    pub fn probe(&self, index: u64) -> Option<(u32, u16)> {
        let hosts = self.hosts.len() as u64;
        if hosts == 0 {
            return None;
        }
        let port = *self.ports.get(usize::try_from(index / hosts).ok()?)?;
        Some(((index % hosts) as u32, port))
    }

    /// Marks one probe finished; true for the last one.
    pub fn finish_one(&self) -> bool {
        self.remaining.fetch_sub(1, Ordering::AcqRel) == 1
    }
}

/// A run of consecutive probes of one group.
#[derive(Debug)]
pub struct Chunk {
    pub group: Arc<Group>,
    pub next: u64,
    pub end: u64,
}

impl Chunk {
    /// The next probe of the chunk: (host, port).
    pub fn take(&mut self) -> Option<(u32, u16)> {
        while self.next < self.end {
            let index = self.next;
            self.next += 1;
            if let Some(probe) = self.group.probe(index) {
                return Some(probe);
            }
        }
        None
    }

    /// True when the chunk is used up.
    pub fn is_done(&self) -> bool {
        self.next >= self.end
    }
}

struct Cursor {
    next_host: u64,
    current: Option<(Arc<Group>, u64)>,
}

/// Gives out chunks until every probe of the scan has been handed out.
pub struct Dispenser<'a> {
    targets: &'a TargetList,
    ports: Arc<[u16]>,
    host_rate: Option<u32>,
    clock: &'a super::Clock,
    cursor: Mutex<Cursor>,
}

impl<'a> Dispenser<'a> {
    pub fn new(
        targets: &'a TargetList,
        ports: &[u16],
        host_rate: Option<u32>,
        clock: &'a super::Clock,
    ) -> Self {
        Dispenser {
            targets,
            ports: ports.into(),
            host_rate,
            clock,
            cursor: Mutex::new(Cursor {
                next_host: 0,
                current: None,
            }),
        }
    }

    /// The next chunk of at most `size` probes, or `None` when all are handed out.
    pub fn take(&self, size: u64) -> Option<Chunk> {
        let mut cursor = self.cursor.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: each turn either returns or opens a new group, and groups run out.
        loop {
            if let Some((group, next)) = cursor.current.as_mut() {
                let total = group.probes();
                if *next < total {
                    let start = *next;
                    let end = total.min(start.saturating_add(size.max(1)));
                    *next = end;
                    return Some(Chunk {
                        group: Arc::clone(group),
                        next: start,
                        end,
                    });
                }
            }
            let group = self.open_group(&mut cursor)?;
            cursor.current = Some((group, 0));
        }
    }

    fn open_group(&self, cursor: &mut Cursor) -> Option<Arc<Group>> {
        let first = cursor.next_host;
        let count = self.targets.len().saturating_sub(first).min(GROUP_HOSTS);
        if count == 0 || self.ports.is_empty() {
            return None;
        }
        cursor.next_host = first + count;
        let hosts: Box<[HostState]> = (first..first + count)
            .filter_map(|index| {
                let host = self.targets.get(index)?;
                Some(HostState {
                    index,
                    address: host.address,
                    scope_id: host.scope_id,
                    rtt: RttEstimate::default(),
                    pacer: self.host_rate.map(Pacer::new),
                    open: AtomicU32::new(0),
                    closed: AtomicU32::new(0),
                    filtered: AtomicU32::new(0),
                    answered: AtomicBool::new(false),
                })
            })
            .collect();
        let group = Group {
            remaining: AtomicU64::new(hosts.len() as u64 * self.ports.len() as u64),
            hosts,
            ports: Arc::clone(&self.ports),
            started_ms: self.clock.now_ms(),
        };
        Some(Arc::new(group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portolan_core::target::parse_targets;

    #[test]
    fn hands_out_every_probe_once_port_by_port() {
        let specs = parse_targets(&["10.0.0.1-3"], |_| Err(String::new())).unwrap();
        let targets = TargetList::build(&specs, |_| Err(String::new())).unwrap();
        let clock = crate::engine::Clock::new();
        let dispenser = Dispenser::new(&targets, &[22, 80], None, &clock);
        let mut seen = Vec::new();
        while let Some(mut chunk) = dispenser.take(4) {
            while let Some((host, port)) = chunk.take() {
                let address = chunk.group.hosts[host as usize].address.to_string();
                seen.push(format!("{address}:{port}"));
            }
        }
        assert_eq!(
            seen,
            [
                "10.0.0.1:22",
                "10.0.0.2:22",
                "10.0.0.3:22",
                "10.0.0.1:80",
                "10.0.0.2:80",
                "10.0.0.3:80"
            ]
        );
    }

    #[test]
    fn large_target_lists_come_in_bounded_groups() {
        let specs = parse_targets(&["10.0.0.0/19"], |_| Err(String::new())).unwrap();
        let targets = TargetList::build(&specs, |_| Err(String::new())).unwrap();
        let clock = crate::engine::Clock::new();
        let dispenser = Dispenser::new(&targets, &[445], None, &clock);
        let mut groups = 0;
        let mut probes = 0;
        let mut last: Option<*const Group> = None;
        while let Some(chunk) = dispenser.take(1000) {
            assert!(chunk.group.hosts.len() as u64 <= GROUP_HOSTS);
            if last != Some(Arc::as_ptr(&chunk.group)) {
                groups += 1;
                last = Some(Arc::as_ptr(&chunk.group));
            }
            probes += chunk.end - chunk.next;
        }
        assert_eq!(probes, 8190);
        assert_eq!(groups, 2);
    }
}
