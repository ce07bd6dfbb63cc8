//! A hashed timer wheel of millisecond buckets for connect deadlines.
//!
//! Hand-written because it is small and the engine needs exactly this: O(1) insertion, no
//! cancellation (a finished probe's entry is recognised as stale by its generation when it
//! comes due), and no syscall per timer (one `epoll_wait` timeout serves them all).
//! Deadlines further out than the wheel's span stay in their bucket until their turn.

/// What a timer refers to: a slot and the generation of its probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerKey {
    /// Slot index in the worker's table.
    pub slot: u32,
    /// Generation of the slot when the timer was set.
    pub generation: u32,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    deadline_ms: u64,
    key: TimerKey,
}

/// Timers on a millisecond clock that starts at 0.
#[derive(Debug)]
pub struct TimerWheel {
    buckets: Vec<Vec<Entry>>,
    /// Every bucket before this millisecond has been expired.
    cursor_ms: u64,
    len: usize,
}

impl TimerWheel {
    /// A wheel of `buckets` milliseconds (at least 1).
    pub fn new(buckets: usize) -> Self {
        TimerWheel {
            buckets: (0..buckets.max(1)).map(|_| Vec::new()).collect(),
            cursor_ms: 0,
            len: 0,
        }
    }

    fn bucket_of(&self, ms: u64) -> usize {
        (ms % self.buckets.len() as u64) as usize
    }

    /// True when no timer is set.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets a timer; a deadline already past comes due at the next expiry.
    pub fn insert(&mut self, deadline_ms: u64, key: TimerKey) {
        let at = deadline_ms.max(self.cursor_ms);
        let index = self.bucket_of(at);
        if let Some(bucket) = self.buckets.get_mut(index) {
            bucket.push(Entry {
                deadline_ms: at,
                key,
            });
            self.len += 1;
        }
    }

    /// Moves every timer due at or before `now_ms` into `due`.
    pub fn expire(&mut self, now_ms: u64, due: &mut Vec<TimerKey>) {
        if now_ms < self.cursor_ms {
            return;
        }
        let span = self.buckets.len() as u64;
        let steps = (now_ms - self.cursor_ms + 1).min(span);
        for step in 0..steps {
            let index = self.bucket_of(self.cursor_ms + step);
            let Some(bucket) = self.buckets.get_mut(index) else {
                continue;
            };
            let before = bucket.len();
            bucket.retain(|e| {
                if e.deadline_ms <= now_ms {
                    due.push(e.key);
                    false
                } else {
                    true
                }
            });
            self.len -= before - bucket.len();
        }
        self.cursor_ms = now_ms + 1;
    }

    /// The earliest deadline set, if any (scans at most every bucket once).
    pub fn next_deadline(&self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        let span = self.buckets.len() as u64;
        let mut earliest: Option<u64> = None;
        for step in 0..span {
            let ms = self.cursor_ms + step;
            if let Some(bucket) = self.buckets.get(self.bucket_of(ms)) {
                for e in bucket {
                    earliest = Some(earliest.map_or(e.deadline_ms, |x| x.min(e.deadline_ms)));
                }
            }
            // Anything in the first bucket that holds the current round wins.
            if earliest.is_some_and(|x| x <= ms) {
                break;
            }
        }
        earliest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(slot: u32) -> TimerKey {
        TimerKey {
            slot,
            generation: 0,
        }
    }

    #[test]
    fn expires_in_deadline_order_across_wraps() {
        let mut wheel = TimerWheel::new(8);
        wheel.insert(3, key(1));
        wheel.insert(20, key(2)); // beyond one turn of the wheel
        wheel.insert(5, key(3));
        assert_eq!(wheel.next_deadline(), Some(3));
        let mut due = Vec::new();
        wheel.expire(2, &mut due);
        assert!(due.is_empty());
        wheel.expire(5, &mut due);
        assert_eq!(due, [key(1), key(3)]);
        assert_eq!(wheel.next_deadline(), Some(20));
        due.clear();
        wheel.expire(12, &mut due);
        assert!(due.is_empty(), "20 shares a bucket with 12 but is not due");
        wheel.expire(19, &mut due);
        assert!(due.is_empty());
        wheel.expire(40, &mut due);
        assert_eq!(due, [key(2)]);
        assert!(wheel.is_empty());
    }

    #[test]
    fn past_deadlines_come_due_at_once() {
        let mut wheel = TimerWheel::new(16);
        let mut due = Vec::new();
        wheel.expire(100, &mut due);
        wheel.insert(50, key(9));
        assert_eq!(wheel.next_deadline(), Some(101));
        wheel.expire(101, &mut due);
        assert_eq!(due, [key(9)]);
    }
}
