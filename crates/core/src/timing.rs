//! The one round-trip estimator and timeout policy of both engines (RFC 6298's smoothing, as
//! nmap does): every answer is a round-trip sample, and the wait for a silent port is
//! `srtt + 4 * rttvar`, kept between a floor and a ceiling. Before any sample the wait is
//! the policy's initial wait.
//!
//! An estimate lives in one `AtomicU64` (srtt and rttvar in microseconds, 32 bits each) so
//! that threads (the sweep's event loops, the check's tasks) update it without a lock. Two
//! updates racing lose one sample, which a smoothed average does not notice.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Timeout policy shared by every host of a run.
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
    /// A policy whose initial wait is the ceiling: a host that has not answered yet gets
    /// the longest wait (the check engine's choice, where each host stands alone).
    pub fn ceiling_first(floor: Duration, ceiling: Duration) -> Self {
        TimeoutPolicy {
            initial: ceiling,
            floor,
            ceiling,
        }
    }

    /// `us` kept between the floor and the ceiling (a floor above the ceiling is the ceiling).
    pub fn clamp_us(&self, us: u64) -> u32 {
        let ceiling = micros(self.ceiling);
        let floor = micros(self.floor).min(ceiling);
        us.clamp(floor, ceiling).min(u64::from(u32::MAX)) as u32
    }

    /// The initial wait, clamped.
    pub fn initial_us(&self) -> u32 {
        self.clamp_us(micros(self.initial))
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
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

    /// The smoothed round trip, if there was a sample.
    pub fn srtt(&self) -> Option<Duration> {
        self.get().map(|(s, _)| Duration::from_micros(u64::from(s)))
    }

    /// Folds in one round trip (microseconds), RFC 6298 section 2: alpha 1/8, beta 1/4.
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

    /// Folds in one round trip given as a duration (saturating at about 71 minutes).
    pub fn sample_duration(&self, rtt: Duration) {
        self.sample(u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX));
    }

    /// The timeout this estimate gives, if it has a sample.
    pub fn timeout_us(&self, policy: &TimeoutPolicy) -> Option<u32> {
        self.get()
            .map(|(s, v)| policy.clamp_us(u64::from(s) + 4 * u64::from(v)))
    }

    /// The timeout of this estimate alone: its own, else the initial wait.
    pub fn timeout(&self, policy: &TimeoutPolicy) -> Duration {
        let us = self
            .timeout_us(policy)
            .unwrap_or_else(|| policy.initial_us());
        Duration::from_micros(u64::from(us))
    }
}

/// The timeout for a host: its own estimate, else the estimate over every host, else the
/// initial wait.
pub fn timeout_us(host: &RttEstimate, global: &RttEstimate, policy: &TimeoutPolicy) -> u32 {
    host.timeout_us(policy)
        .or_else(|| global.timeout_us(policy))
        .unwrap_or_else(|| policy.initial_us())
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
        assert_eq!(host.timeout(&POLICY), Duration::from_secs(1));
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
        assert_eq!(e.srtt(), Some(Duration::from_micros(750)));
    }

    #[test]
    fn a_zero_round_trip_still_counts_as_a_sample() {
        let e = RttEstimate::default();
        e.sample_duration(Duration::ZERO);
        assert_eq!(e.get(), Some((1, 0)));
        assert_eq!(e.timeout(&POLICY), Duration::from_millis(100));
    }

    #[test]
    fn ceiling_first_waits_the_ceiling_until_an_answer() {
        let policy =
            TimeoutPolicy::ceiling_first(Duration::from_millis(100), Duration::from_secs(2));
        let e = RttEstimate::default();
        assert_eq!(e.timeout(&policy), Duration::from_secs(2));
        e.sample_duration(Duration::from_millis(300));
        assert_eq!(e.timeout(&policy), Duration::from_millis(900));
        e.sample_duration(Duration::from_secs(5));
        assert_eq!(e.timeout(&policy), Duration::from_secs(2));
    }

    #[test]
    fn a_floor_above_the_ceiling_is_the_ceiling() {
        let policy = TimeoutPolicy::ceiling_first(Duration::from_secs(3), Duration::from_secs(1));
        let e = RttEstimate::default();
        e.sample(10);
        assert_eq!(e.timeout(&policy), Duration::from_secs(1));
    }
}
