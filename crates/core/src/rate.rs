//! Pacing for `--rate` and `--host-rate` (scan's connect sweep, and its UDP sweep through the
//! check engine): a lock-free token bucket. The bucket is one atomic "next send time"; a send
//! moves it on by one interval, and it may lag the clock by at most the burst, so an idle
//! period does not buy an unbounded burst. Hand-written: it is
//! a dozen lines, and the rate-limiting crates bring clocks and locks the workers do not need.

use std::sync::atomic::{AtomicU64, Ordering};

/// Sends per second, shared by every thread that takes from it.
#[derive(Debug)]
pub struct Pacer {
    interval_ns: u64,
    burst_ns: u64,
    next_ns: AtomicU64,
}

impl Pacer {
    /// A pacer of `per_second` sends (at least 1) that allows a burst of 10 ms worth
    /// (at least one send).
    pub fn new(per_second: u32) -> Self {
        let interval_ns = 1_000_000_000 / u64::from(per_second.max(1));
        Pacer {
            interval_ns,
            burst_ns: interval_ns.max(10_000_000) - interval_ns,
            next_ns: AtomicU64::new(0),
        }
    }

    /// When a send is allowed at `now_ns` (nanoseconds on the engine's clock): `Ok` after
    /// taking it, or `Err(time)` with the first time it will be.
    pub fn take(&self, now_ns: u64) -> Result<(), u64> {
        let floor = now_ns.saturating_sub(self.burst_ns);
        let mut current = self.next_ns.load(Ordering::Relaxed);
        // Bounded: each failed exchange means another thread took a send.
        for _ in 0..64 {
            let start = current.max(floor);
            if start > now_ns {
                return Err(start);
            }
            match self.next_ns.compare_exchange_weak(
                current,
                start + self.interval_ns,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(seen) => current = seen,
            }
        }
        Err(now_ns + self.interval_ns)
    }

    /// Whether a send would be allowed at `now_ns`, without taking it.
    pub fn ready_at(&self, now_ns: u64) -> Result<(), u64> {
        let start = self
            .next_ns
            .load(Ordering::Relaxed)
            .max(now_ns.saturating_sub(self.burst_ns));
        if start > now_ns { Err(start) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_to_the_rate_after_a_bounded_burst() {
        let p = Pacer::new(1000); // 1 ms apart, 10 ms burst
        let now = 1_000_000_000;
        let mut sent = 0;
        while p.take(now).is_ok() {
            sent += 1;
            assert!(sent <= 20, "burst is bounded");
        }
        assert_eq!(sent, 10);
        assert_eq!(p.take(now), Err(now + 1_000_000));
        assert!(p.take(now + 1_000_000).is_ok());
        assert!(p.ready_at(now + 1_000_000).is_err());
    }

    #[test]
    fn a_slow_rate_waits_whole_intervals() {
        let p = Pacer::new(2); // 500 ms apart
        assert!(p.take(5_000_000_000).is_ok());
        assert_eq!(p.take(5_000_000_001), Err(5_500_000_000));
    }
}
