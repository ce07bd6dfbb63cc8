//! Adaptive timeouts, per host, in the manner of TCP's retransmission timer (RFC 6298) and
//! nmap: every answer (a SYN-ACK, a reset, a datagram, an ICMP error) is a round-trip sample;
//! the wait for a silent port is `srtt + 4 * rttvar`, clamped between a floor and the user's
//! ceiling. A host that has not answered anything yet gets the ceiling.
//!
//! Probes that are already waiting are told when the estimate changes (a `watch` channel), so
//! that ports filtered before the first answer arrived do not each wait the full ceiling.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

/// Bounds of the adaptive wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// The shortest wait, however fast the host answers.
    pub floor: Duration,
    /// The longest wait; also the wait before any answer.
    pub ceiling: Duration,
}

#[derive(Debug, Default)]
struct Estimate {
    srtt: Option<Duration>,
    rttvar: Duration,
    samples: u32,
}

/// The round-trip estimate of one host.
#[derive(Debug)]
pub struct HostTiming {
    bounds: Bounds,
    estimate: Mutex<Estimate>,
    changed: watch::Sender<Duration>,
}

impl HostTiming {
    /// A host with no samples yet.
    pub fn new(bounds: Bounds) -> Self {
        let bounds = Bounds {
            floor: bounds.floor.min(bounds.ceiling),
            ceiling: bounds.ceiling,
        };
        let (changed, _) = watch::channel(bounds.ceiling);
        HostTiming {
            bounds,
            estimate: Mutex::new(Estimate::default()),
            changed,
        }
    }

    /// The current wait for a silent probe.
    pub fn timeout(&self) -> Duration {
        *self.changed.borrow()
    }

    /// A receiver that sees every new wait.
    pub fn subscribe(&self) -> watch::Receiver<Duration> {
        self.changed.subscribe()
    }

    /// Number of samples so far.
    pub fn samples(&self) -> u32 {
        self.estimate.lock().map_or(0, |e| e.samples)
    }

    /// Smoothed round-trip time, once there is a sample.
    pub fn srtt(&self) -> Option<Duration> {
        self.estimate.lock().ok().and_then(|e| e.srtt)
    }

    /// Records a round-trip sample (RFC 6298 section 2: alpha 1/8, beta 1/4).
    pub fn sample(&self, rtt: Duration) {
        let Ok(mut e) = self.estimate.lock() else {
            return;
        };
        match e.srtt {
            None => {
                e.srtt = Some(rtt);
                e.rttvar = rtt / 2;
            }
            Some(srtt) => {
                let diff = srtt.abs_diff(rtt);
                e.rttvar = (e.rttvar * 3 + diff) / 4;
                e.srtt = Some((srtt * 7 + rtt) / 8);
            }
        }
        e.samples = e.samples.saturating_add(1);
        let srtt = e.srtt.unwrap_or(self.bounds.ceiling);
        let wait = (srtt + e.rttvar * 4).clamp(self.bounds.floor, self.bounds.ceiling);
        drop(e);
        self.changed.send_if_modified(|current| {
            let modified = *current != wait;
            *current = wait;
            modified
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds() -> Bounds {
        Bounds {
            floor: Duration::from_millis(100),
            ceiling: Duration::from_secs(2),
        }
    }

    #[test]
    fn silent_hosts_get_the_ceiling() {
        let t = HostTiming::new(bounds());
        assert_eq!(t.timeout(), Duration::from_secs(2));
        assert_eq!(t.samples(), 0);
    }

    #[test]
    fn fast_answers_bring_the_wait_down_to_the_floor() {
        let t = HostTiming::new(bounds());
        let mut rx = t.subscribe();
        t.sample(Duration::from_micros(200));
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), Duration::from_millis(100));
        for _ in 0..10 {
            t.sample(Duration::from_micros(150));
        }
        assert_eq!(t.timeout(), Duration::from_millis(100));
    }

    #[test]
    fn slow_answers_raise_it_but_never_past_the_ceiling() {
        let t = HostTiming::new(bounds());
        t.sample(Duration::from_millis(300));
        // srtt 300 ms + 4 * 150 ms
        assert_eq!(t.timeout(), Duration::from_millis(900));
        t.sample(Duration::from_secs(5));
        assert_eq!(t.timeout(), Duration::from_secs(2));
    }
}
