//! Port ranges: folding them into disjoint runs, and cutting lists of them into chunks a
//! dialect can hold in one rule.

use std::fmt;

use serde::Serialize;

/// An inclusive range of ports, `first <= last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PortRange {
    /// First port.
    pub first: u16,
    /// Last port (equal to `first` for one port).
    pub last: u16,
}

impl PortRange {
    /// The range `first..=last`, or `None` when it runs backwards.
    pub fn new(first: u16, last: u16) -> Option<PortRange> {
        (first <= last).then_some(PortRange { first, last })
    }

    /// One port.
    pub fn single(port: u16) -> PortRange {
        PortRange {
            first: port,
            last: port,
        }
    }

    /// True for a range of one port.
    pub fn is_single(self) -> bool {
        self.first == self.last
    }

    /// How many ports the range holds.
    pub fn len(self) -> u32 {
        u32::from(self.last) - u32::from(self.first) + 1
    }

    /// Never true: a range holds at least one port. Present for clippy's `len` convention.
    pub fn is_empty(self) -> bool {
        false
    }

    /// True when `port` lies in the range.
    pub fn contains(self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }

    /// The range written with `sep` between its ends (`-` or `:`), or the lone port.
    pub fn with_separator(self, sep: &str) -> String {
        if self.is_single() {
            self.first.to_string()
        } else {
            format!("{}{sep}{}", self.first, self.last)
        }
    }

    /// True when the two ranges overlap or touch, so that their union is one range.
    pub fn joins(self, other: PortRange) -> bool {
        u32::from(self.first) <= u32::from(other.last) + 1
            && u32::from(other.first) <= u32::from(self.last) + 1
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.with_separator("-"))
    }
}

/// Folds ranges into the fewest disjoint ranges covering the same ports, in ascending order.
/// Overlapping and adjacent ranges (`1-5` and `6-9`) become one.
pub fn fold(ranges: impl IntoIterator<Item = PortRange>) -> Vec<PortRange> {
    let mut sorted: Vec<PortRange> = ranges.into_iter().collect();
    sorted.sort_unstable();
    let mut out: Vec<PortRange> = Vec::with_capacity(sorted.len());
    for range in sorted {
        match out.last_mut() {
            Some(last) if last.joins(range) => last.last = last.last.max(range.last),
            _ => out.push(range),
        }
    }
    out
}

/// Cuts `ranges` into consecutive chunks whose cost stays within `budget`, where a single port
/// costs 1 and a range costs `range_cost` (iptables' multiport counts a range as two ports).
/// Order is kept and no range is split; a budget below `range_cost` is raised to it so that
/// every range fits somewhere.
pub fn chunk(ranges: &[PortRange], budget: usize, range_cost: usize) -> Vec<Vec<PortRange>> {
    let budget = budget.max(range_cost).max(1);
    let mut chunks: Vec<Vec<PortRange>> = Vec::new();
    let mut current: Vec<PortRange> = Vec::new();
    let mut used = 0;
    for &range in ranges {
        let cost = if range.is_single() { 1 } else { range_cost };
        if used + cost > budget && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
            used = 0;
        }
        current.push(range);
        used += cost;
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// The multiport cost of a list: singles count 1, ranges count `range_cost`.
pub fn cost(ranges: &[PortRange], range_cost: usize) -> usize {
    ranges
        .iter()
        .map(|r| if r.is_single() { 1 } else { range_cost })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(a: u16, b: u16) -> PortRange {
        PortRange::new(a, b).unwrap()
    }

    #[test]
    fn folds_overlapping_and_adjacent() {
        assert_eq!(
            fold([r(6, 9), r(1, 5), r(20, 20), r(8, 12), r(22, 22)]),
            vec![r(1, 12), r(20, 20), r(22, 22)]
        );
        assert_eq!(fold([r(65535, 65535), r(1, 65534)]), vec![r(1, 65535)]);
        assert!(fold([]).is_empty());
    }

    #[test]
    fn chunks_respect_the_budget() {
        let ranges: Vec<PortRange> = (1..=20).map(PortRange::single).collect();
        let chunks = chunk(&ranges, 15, 2);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].len(), 15);
        let with_ranges = [r(1, 2), r(4, 5), r(7, 7)];
        let chunks = chunk(&with_ranges, 4, 2);
        assert_eq!(chunks, vec![vec![r(1, 2), r(4, 5)], vec![r(7, 7)]]);
    }

    #[test]
    fn backwards_range_is_refused() {
        assert!(PortRange::new(5000, 1000).is_none());
        assert_eq!(r(1000, 5000).len(), 4001);
        assert_eq!(r(3268, 3269).with_separator(":"), "3268:3269");
    }
}
