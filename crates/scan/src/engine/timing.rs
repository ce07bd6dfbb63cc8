//! Round-trip estimates and the connect timeout derived from them (RFC 6298's smoothing, as
//! nmap does): `timeout = srtt + 4 * rttvar`, kept between a floor and a ceiling.
//!
//! An estimate lives in one `AtomicU64` (srtt and rttvar in microseconds, 32 bits each) so
//! both worker threads can update a host's estimate without a lock. Two updates racing lose
//! one sample, which a smoothed average does not notice.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Timeout policy shared by every host of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutPolicy {
    /// The wait before a host (or any host) has answered anything.
    pub initial: Duration,
    /// The shortest wait, however fast the host answers.
    pub floor: Duration,
    /// The longest wait.
    pub ceiling: Duration,
}

impl TimeoutPolicy {
    fn clamp_us(&self, us: u64) -> u32 {
        let floor = self.floor.as_micros() as u64;
        let ceiling = (self.ceiling.as_micros() as u64).max(floor);
        us.clamp(floor, ceiling).min(u64::from(u32::MAX)) as u32
    }
}

/// A lock-free smoothed round-trip estimate.
#[derive(Debug, Default)]
pub struct RttEstimate {
    packed: AtomicU64,
}

impl RttEstimate {
    /// `(srtt, rttvar)` in microseconds, if there was a sample.
    pub fn get(&self) -> Option<(u32, u32)> {
        let v = self.packed.load(Ordering::Relaxed);
        (v != 0).then_some(((v >> 32) as u32, v as u32))
    }

    /// Folds in one round trip (microseconds).
    pub fn sample(&self, rtt_us: u32) {
        let r = i64::from(rtt_us.max(1));
        let (srtt, rttvar) = match self.get() {
            None => (r, r / 2),
            Some((s, v)) => {
                let (s, v) = (i64::from(s), i64::from(v));
                let var = (3 * v + (s - r).abs()) / 4;
                let smooth = (7 * s + r) / 8;
                (smooth, var)
            }
        };
        let srtt = srtt.clamp(1, i64::from(u32::MAX)) as u64;
        let rttvar = rttvar.clamp(0, i64::from(u32::MAX)) as u64;
        self.packed.store((srtt << 32) | rttvar, Ordering::Relaxed);
    }

    /// The timeout this estimate gives, if it has a sample.
    pub fn timeout_us(&self, policy: &TimeoutPolicy) -> Option<u32> {
        self.get()
            .map(|(s, v)| policy.clamp_us(u64::from(s) + 4 * u64::from(v)))
    }
}

/// The timeout for a host: its own estimate, else the estimate over every host, else the
/// initial wait.
pub fn timeout_us(host: &RttEstimate, global: &RttEstimate, policy: &TimeoutPolicy) -> u32 {
    host.timeout_us(policy)
        .or_else(|| global.timeout_us(policy))
        .unwrap_or_else(|| policy.clamp_us(policy.initial.as_micros() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: TimeoutPolicy = TimeoutPolicy {
        initial: Duration::from_millis(1000),
        floor: Duration::from_millis(100),
        ceiling: Duration::from_millis(1250),
    };

    #[test]
    fn fast_hosts_get_the_floor_and_silent_ones_the_initial_wait() {
        let host = RttEstimate::default();
        let global = RttEstimate::default();
        assert_eq!(timeout_us(&host, &global, &POLICY), 1_000_000);
        global.sample(50);
        assert_eq!(
            timeout_us(&host, &global, &POLICY),
            100_000,
            "falls back to every host's estimate"
        );
        host.sample(40);
        host.sample(60);
        assert_eq!(timeout_us(&host, &global, &POLICY), 100_000);
    }

    #[test]
    fn slow_hosts_wait_longer_up_to_the_ceiling() {
        let host = RttEstimate::default();
        host.sample(200_000);
        assert_eq!(host.get(), Some((200_000, 100_000)));
        assert_eq!(host.timeout_us(&POLICY), Some(600_000));
        host.sample(2_000_000);
        assert_eq!(host.timeout_us(&POLICY), Some(1_250_000));
    }

    #[test]
    fn smoothing_follows_rfc_6298() {
        let e = RttEstimate::default();
        e.sample(800);
        e.sample(400);
        // rttvar = (3*400 + |800-400|)/4 = 400; srtt = (7*800 + 400)/8 = 750
        assert_eq!(e.get(), Some((750, 400)));
    }
}
