//! Adaptive timeouts per host for the async engine: `portolan_core::timing`'s estimator (the
//! one both engines use) with a tokio `watch` channel on top, so that probes already waiting
//! are told when the estimate changes, and ports filtered before the first answer arrived do
//! not each wait the full ceiling. A host that has not answered anything yet gets the
//! ceiling.

use std::time::Duration;

use portolan_core::timing::{RttEstimate, TimeoutPolicy};
use tokio::sync::watch;

/// The round-trip estimate of one host and the wait it gives.
#[derive(Debug)]
pub struct HostTiming {
    policy: TimeoutPolicy,
    estimate: RttEstimate,
    changed: watch::Sender<Duration>,
}

impl HostTiming {
    /// A host with no samples yet.
    pub fn new(policy: TimeoutPolicy) -> Self {
        let estimate = RttEstimate::default();
        let (changed, _) = watch::channel(estimate.timeout(&policy));
        HostTiming {
            policy,
            estimate,
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

    /// Smoothed round-trip time, once there is a sample.
    pub fn srtt(&self) -> Option<Duration> {
        self.estimate.srtt()
    }

    /// Records a round-trip sample and tells the waiting probes when the wait changes.
    pub fn sample(&self, rtt: Duration) {
        self.estimate.sample_duration(rtt);
        let wait = self.estimate.timeout(&self.policy);
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

    fn policy() -> TimeoutPolicy {
        TimeoutPolicy::ceiling_first(Duration::from_millis(100), Duration::from_secs(2))
    }

    #[test]
    fn silent_hosts_get_the_ceiling() {
        let t = HostTiming::new(policy());
        assert_eq!(t.timeout(), Duration::from_secs(2));
        assert_eq!(t.srtt(), None);
    }

    #[test]
    fn fast_answers_bring_the_wait_down_to_the_floor() {
        let t = HostTiming::new(policy());
        let mut rx = t.subscribe();
        t.sample(Duration::from_micros(200));
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), Duration::from_millis(100));
        for _ in 0..10 {
            t.sample(Duration::from_micros(150));
        }
        assert_eq!(t.timeout(), Duration::from_millis(100));
        assert!(!rx.has_changed().unwrap(), "an unchanged wait wakes nobody");
    }

    #[test]
    fn slow_answers_raise_it_but_never_past_the_ceiling() {
        let t = HostTiming::new(policy());
        t.sample(Duration::from_millis(300));
        // srtt 300 ms + 4 * 150 ms
        assert_eq!(t.timeout(), Duration::from_millis(900));
        t.sample(Duration::from_secs(5));
        assert_eq!(t.timeout(), Duration::from_secs(2));
    }
}
