//! `--shard I/N`: one of N deterministic parts of a target list, so that N workers (CI jobs,
//! Kubernetes indexed completions, Ansible hosts) split a sweep between them and together
//! cover every address exactly once.
//!
//! Part I holds the addresses whose position in the expanded list is I modulo N. Interleaving,
//! rather than cutting the list in N runs, needs no total to be known in advance and spreads a
//! network's hosts evenly over the workers. Parts are numbered from 0, as a Kubernetes
//! Indexed Job numbers its completions (`JOB_COMPLETION_INDEX`).

use std::fmt;
use std::str::FromStr;

use super::error::TargetError;

/// One part of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// The whole list: part 0 of 1.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Part `index` of `count`; `None` unless `index < count`.
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (index < count).then_some(Shard { index, count })
    }

    /// Which part this is, from 0.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// How many parts there are.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether the address at `position` of the whole list belongs to this part.
    pub fn contains(&self, position: u64) -> bool {
        position % self.count == self.index
    }

    /// How many of `total` addresses belong to this part.
    pub fn len_of(&self, total: u64) -> u64 {
        if total <= self.index {
            0
        } else {
            (total - self.index - 1) / self.count + 1
        }
    }

    /// The position in the whole list of this part's `nth` address.
    pub fn position(&self, nth: u64) -> Option<u64> {
        nth.checked_mul(self.count)?.checked_add(self.index)
    }
}

impl Default for Shard {
    fn default() -> Self {
        Shard::WHOLE
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = TargetError;

    fn from_str(text: &str) -> Result<Shard, TargetError> {
        let bad = |problem: &str, fix: String| TargetError::new(text, problem, fix);
        let (index, count) = text.trim().split_once('/').ok_or_else(|| {
            bad(
                "is not a shard",
                "write I/N: part I (from 0) of N, e.g. --shard 0/4".into(),
            )
        })?;
        let number = |part: &str| part.trim().parse::<u64>().ok();
        let (Some(index), Some(count)) = (number(index), number(count)) else {
            return Err(bad(
                "is not a shard",
                "write I/N with whole numbers: part I (from 0) of N, e.g. --shard 0/4".into(),
            ));
        };
        if count == 0 {
            return Err(bad(
                "has no parts",
                "N is at least 1, e.g. --shard 0/1".into(),
            ));
        }
        Shard::new(index, count).ok_or_else(|| {
            bad(
                "is past the last part",
                format!(
                    "parts are numbered from 0: use 0/{count} to {}/{count}",
                    count - 1
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_explains() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard::new(2, 4).unwrap());
        assert_eq!(" 0 / 1 ".parse::<Shard>().unwrap(), Shard::WHOLE);
        let err = "4/4".parse::<Shard>().unwrap_err();
        assert!(err.fix.contains("use 0/4 to 3/4"), "{err:?}");
        assert!("1/0".parse::<Shard>().is_err());
        assert!("1".parse::<Shard>().is_err());
        assert!("a/b".parse::<Shard>().is_err());
        assert!("-1/3".parse::<Shard>().is_err());
    }

    proptest! {
        /// N parts of a list of any length hold every position exactly once, and each part
        /// counts and enumerates its own positions.
        #[test]
        fn parts_cover_every_position_once(total in 0u64..500, count in 1u64..40) {
            let mut seen = vec![0u32; total as usize];
            for index in 0..count {
                let shard = Shard::new(index, count).unwrap();
                let members: Vec<u64> = (0..total).filter(|&p| shard.contains(p)).collect();
                prop_assert_eq!(members.len() as u64, shard.len_of(total));
                for (nth, &position) in members.iter().enumerate() {
                    prop_assert_eq!(shard.position(nth as u64), Some(position));
                    seen[position as usize] += 1;
                }
            }
            prop_assert!(seen.iter().all(|&n| n == 1));
        }
    }
}
