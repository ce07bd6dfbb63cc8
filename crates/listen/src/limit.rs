//! What keeps the listener from being an amplifier: a token bucket per source address, and
//! the sources never answered.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

/// Most sources remembered; past it, sources whose bucket is full again are forgotten (a
/// full bucket is what a new source gets anyway), so spoofed floods cannot grow memory.
const MAX_SOURCES: usize = 65_536;

/// Per-source token buckets: `rate` answers a second, bursts of up to `rate`.
#[derive(Debug)]
pub struct RateLimit {
    rate: f64,
    buckets: HashMap<IpAddr, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    /// At most `per_second` answers a second to each source (0: none at all).
    pub fn new(per_second: u32) -> RateLimit {
        RateLimit {
            rate: f64::from(per_second),
            buckets: HashMap::new(),
        }
    }

    /// Takes a token for `source` at `now`: false when its answers are used up.
    pub fn allow(&mut self, source: IpAddr, now: Instant) -> bool {
        if self.rate <= 0.0 {
            return false;
        }
        if self.buckets.len() >= MAX_SOURCES && !self.buckets.contains_key(&source) {
            let rate = self.rate;
            self.buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * rate < rate
            });
        }
        let rate = self.rate;
        let bucket = self.buckets.entry(source).or_insert(Bucket {
            tokens: rate,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Whether a datagram from `source` may be answered at all: never a broadcast, multicast
/// or unspecified source (an answer would go to many hosts, or to none), never a
/// source port 0.
pub fn answerable(source: IpAddr, source_port: u16) -> bool {
    if source_port == 0 {
        return false;
    }
    match source {
        IpAddr::V4(v4) => !(v4.is_broadcast() || v4.is_multicast() || v4.is_unspecified()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => answerable(IpAddr::V4(v4), source_port),
            None => !(v6.is_multicast() || v6.is_unspecified()),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_holds_a_second_of_answers_and_refills() {
        let mut limit = RateLimit::new(100);
        let source: IpAddr = "192.0.2.1".parse().unwrap();
        let start = Instant::now();
        let allowed = (0..1000).filter(|_| limit.allow(source, start)).count();
        assert_eq!(allowed, 100);
        // Another source has its own bucket.
        assert!(limit.allow("192.0.2.2".parse().unwrap(), start));
        // A tenth of a second later, ten more.
        let later = start + Duration::from_millis(100);
        let refilled = (0..1000).filter(|_| limit.allow(source, later)).count();
        assert!((9..=10).contains(&refilled), "{refilled}");
        assert!(!RateLimit::new(0).allow(source, start));
    }

    #[test]
    fn broadcast_and_multicast_sources_are_never_answered() {
        for (source, port) in [
            ("255.255.255.255", 53),
            ("224.0.0.251", 5353),
            ("0.0.0.0", 68),
            ("ff02::1", 547),
            ("::", 53),
            ("::ffff:255.255.255.255", 53),
            ("192.0.2.1", 0),
        ] {
            assert!(!answerable(source.parse().unwrap(), port), "{source}");
        }
        assert!(answerable("192.0.2.1".parse().unwrap(), 40000));
        assert!(answerable("2001:db8::1".parse().unwrap(), 40000));
    }
}
