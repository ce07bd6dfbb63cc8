//! What the sender and the receiver share: the probes (one byte of state and four bytes of
//! send time each), the hosts with their source addresses and round-trip estimates, and the
//! cookie that ties an answer to its probe without any per-connection state.
//!
//! A probe's state byte holds the tries in its high nibble (the sender adds one per SYN) and
//! the answer in its low nibble (0 while none came; the receiver sets it once, the first
//! answer wins). Both change with compare-and-swap, so neither thread takes a lock.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};

use portolan_core::timing::RttEstimate;
use portolan_core::verdict::Reason;

/// Low nibble of a probe's state: no answer yet.
const PENDING: u8 = 0;
const NIBBLE: u8 = 0x0f;
/// Highest tries count a state byte keeps.
pub const MAX_TRIES: u8 = 15;

/// The answer codes of the state's low nibble.
fn code(reason: Reason) -> u8 {
    match reason {
        Reason::SynAck => 1,
        Reason::ConnRefused => 2,
        Reason::HostUnreach => 3,
        Reason::NetUnreach => 4,
        Reason::ProtoUnreach => 5,
        Reason::PortUnreach => 6,
        Reason::NoResponse => 7,
        _ => 8,
    }
}

fn reason(code: u8) -> Option<Reason> {
    Some(match code {
        1 => Reason::SynAck,
        2 => Reason::ConnRefused,
        3 => Reason::HostUnreach,
        4 => Reason::NetUnreach,
        5 => Reason::ProtoUnreach,
        6 => Reason::PortUnreach,
        7 => Reason::NoResponse,
        8 => Reason::LocalError,
        _ => return None,
    })
}

/// One target host.
#[derive(Debug)]
pub struct Host {
    /// The address scanned.
    pub address: Ipv4Addr,
    /// The address this machine sends from toward it; `None` when there is no route.
    pub source: Option<Ipv4Addr>,
    /// Its round trip.
    pub rtt: RttEstimate,
}

/// Every probe of a sweep.
#[derive(Debug)]
pub struct Table {
    /// The hosts, in target order.
    pub hosts: Vec<Host>,
    /// The ports, in the order given.
    pub ports: Vec<u16>,
    /// The port's index in `ports`, by port number (`u32::MAX`: not scanned).
    port_index: Vec<u32>,
    /// The host's index by address (the first, if an address is listed twice).
    host_index: HashMap<Ipv4Addr, u32>,
    /// Tries and answer of each probe (host-major: `host * ports + port`).
    state: Vec<AtomicU8>,
    /// Microseconds since the sweep began at the probe's last SYN (wrapping).
    sent_us: Vec<AtomicU32>,
    /// The source port of every SYN.
    pub source_port: u16,
    keys: RandomState,
}

/// What a probe came to, read back from the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// SYNs sent.
    pub tries: u8,
    /// The answer, if one came (or the sweep decided one).
    pub reason: Option<Reason>,
}

impl Table {
    /// A table of `hosts` x `ports`, every probe pending.
    pub fn new(hosts: Vec<Host>, ports: Vec<u16>, source_port: u16) -> Table {
        let mut port_index = vec![u32::MAX; 65536];
        for (i, &port) in ports.iter().enumerate() {
            if port_index[usize::from(port)] == u32::MAX {
                port_index[usize::from(port)] = i as u32;
            }
        }
        let mut host_index = HashMap::with_capacity(hosts.len());
        for (i, host) in hosts.iter().enumerate() {
            host_index.entry(host.address).or_insert(i as u32);
        }
        let probes = hosts.len() * ports.len();
        Table {
            hosts,
            ports,
            port_index,
            host_index,
            state: (0..probes).map(|_| AtomicU8::new(0)).collect(),
            sent_us: (0..probes).map(|_| AtomicU32::new(0)).collect(),
            source_port,
            keys: RandomState::new(),
        }
    }

    /// Number of probes.
    pub fn len(&self) -> usize {
        self.state.len()
    }

    /// Whether there are no probes.
    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }

    /// The probe index of host `host` and port index `port`.
    pub fn probe(&self, host: usize, port: usize) -> usize {
        host * self.ports.len() + port
    }

    /// The sequence number of the SYN for `probe`: a keyed SipHash (std's `RandomState`,
    /// keys drawn at start) of both ends, so an answer proves which probe it answers and a
    /// stray or forged segment does not match.
    pub fn cookie(&self, host: usize, port: u16) -> u32 {
        let mut hasher = self.keys.build_hasher();
        let h = &self.hosts[host];
        hasher.write_u32(u32::from(h.source.unwrap_or(Ipv4Addr::UNSPECIFIED)));
        hasher.write_u32(u32::from(h.address));
        hasher.write_u16(self.source_port);
        hasher.write_u16(port);
        hasher.finish() as u32
    }

    /// The probe an answer from `from:port` to `to:to_port` is about, if it is one of ours.
    pub fn lookup(
        &self,
        from: Ipv4Addr,
        port: u16,
        to: Ipv4Addr,
        to_port: u16,
    ) -> Option<(usize, usize)> {
        if to_port != self.source_port {
            return None;
        }
        let host = *self.host_index.get(&from)? as usize;
        if self.hosts[host].source != Some(to) {
            return None;
        }
        let port_index = self.port_index[usize::from(port)];
        (port_index != u32::MAX).then_some((host, port_index as usize))
    }

    /// The host whose probes stand for host `host`: itself, or the first listing of the same
    /// address (a repeated address is probed once).
    pub fn canonical(&self, host: usize) -> usize {
        self.hosts
            .get(host)
            .and_then(|h| self.host_index.get(&h.address))
            .map_or(host, |&i| i as usize)
    }

    /// Whether the probe has an answer.
    pub fn answered(&self, probe: usize) -> bool {
        self.state
            .get(probe)
            .is_some_and(|s| s.load(Ordering::Relaxed) & NIBBLE != PENDING)
    }

    /// Counts one more SYN for a pending probe and stamps its send time; false when the
    /// probe is answered already (then nothing should be sent).
    pub fn start_try(&self, probe: usize, now_us: u32) -> bool {
        let Some(state) = self.state.get(probe) else {
            return false;
        };
        let updated = state.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
            (s & NIBBLE == PENDING).then(|| {
                let tries = (s >> 4).saturating_add(1).min(MAX_TRIES);
                (tries << 4) | PENDING
            })
        });
        if updated.is_ok() {
            if let Some(sent) = self.sent_us.get(probe) {
                sent.store(now_us, Ordering::Relaxed);
            }
        }
        updated.is_ok()
    }

    /// Records the answer to a probe unless it has one; returns the tries when this call
    /// set it, with the microseconds since its last SYN.
    pub fn answer(&self, probe: usize, reason: Reason, now_us: u32) -> Option<(u8, u32)> {
        let state = self.state.get(probe)?;
        let previous = state
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
                (s & NIBBLE == PENDING).then_some((s & !NIBBLE) | code(reason))
            })
            .ok()?;
        let sent = self.sent_us.get(probe)?.load(Ordering::Relaxed);
        Some((previous >> 4, now_us.wrapping_sub(sent)))
    }

    /// What probe `probe` came to.
    pub fn outcome(&self, probe: usize) -> Outcome {
        let s = self
            .state
            .get(probe)
            .map_or(0, |s| s.load(Ordering::Relaxed));
        Outcome {
            tries: s >> 4,
            reason: reason(s & NIBBLE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let hosts = vec![
            Host {
                address: Ipv4Addr::new(10, 203, 90, 2),
                source: Some(Ipv4Addr::new(10, 203, 90, 1)),
                rtt: RttEstimate::default(),
            },
            Host {
                address: Ipv4Addr::new(10, 203, 90, 3),
                source: None,
                rtt: RttEstimate::default(),
            },
        ];
        Table::new(hosts, vec![22, 80, 443], 40000)
    }

    #[test]
    fn answers_match_only_their_own_probe() {
        let t = table();
        let us = Ipv4Addr::new(10, 203, 90, 1);
        let target = Ipv4Addr::new(10, 203, 90, 2);
        assert_eq!(t.lookup(target, 80, us, 40000), Some((0, 1)));
        assert_eq!(t.lookup(target, 81, us, 40000), None, "port not scanned");
        assert_eq!(t.lookup(target, 80, us, 40001), None, "not our source port");
        assert_eq!(
            t.lookup(us, 80, target, 40000),
            None,
            "our own SYN looped back"
        );
        assert_eq!(
            t.lookup(target, 80, Ipv4Addr::new(10, 203, 91, 1), 40000),
            None,
            "sent to another of our addresses"
        );
        assert_ne!(t.cookie(0, 80), t.cookie(0, 443));
        assert_eq!(t.cookie(0, 80), t.cookie(0, 80));
    }

    #[test]
    fn tries_count_and_the_first_answer_wins() {
        let t = table();
        let p = t.probe(0, 2);
        assert!(t.start_try(p, 100));
        assert!(t.start_try(p, 300));
        assert_eq!(t.answer(p, Reason::ConnRefused, 350), Some((2, 50)));
        assert_eq!(t.answer(p, Reason::SynAck, 400), None);
        assert!(!t.start_try(p, 500), "an answered probe is not sent again");
        assert_eq!(
            t.outcome(p),
            Outcome {
                tries: 2,
                reason: Some(Reason::ConnRefused)
            }
        );
        assert!(t.answered(p));
        assert_eq!(t.outcome(t.probe(1, 0)).reason, None);
    }
}
