//! Port ranges: folding them into disjoint runs, and cutting lists of them into chunks a
//! dialect can hold in one rule.

// One range type and one fold for the whole workspace: the port grammar's.
pub use portolan_catalog::portspec::{PortRange, fold};

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
    fn chunks_respect_the_budget() {
        let ranges: Vec<PortRange> = (1..=20).map(PortRange::single).collect();
        let chunks = chunk(&ranges, 15, 2);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].len(), 15);
        let with_ranges = [r(1, 2), r(4, 5), r(7, 7)];
        let chunks = chunk(&with_ranges, 4, 2);
        assert_eq!(chunks, vec![vec![r(1, 2), r(4, 5)], vec![r(7, 7)]]);
    }
}
