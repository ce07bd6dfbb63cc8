//! Port ranges: the one range type of the workspace, its parser and its fold.
//! [`crate::portspec`] is the grammar built on them.

use std::fmt;

use serde::Serialize;

/// An inclusive range of ports, `1 <= first <= last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PortRange {
    /// First port.
    pub first: u16,
    /// Last port (equal to `first` for one port).
    pub last: u16,
}

impl PortRange {
    /// Every port, 1-65535.
    pub const ALL: PortRange = PortRange {
        first: 1,
        last: u16::MAX,
    };

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

    /// The ports, ascending.
    pub fn ports(self) -> std::ops::RangeInclusive<u16> {
        self.first..=self.last
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

/// Parses one port number, 1 to 65535; the problem is returned as text.
pub fn parse_port(text: &str) -> Result<u16, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a port number is missing".to_string());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` is not a port number"));
    }
    match text.parse::<u32>() {
        Ok(0) => Err("port 0 is not a real port: ports run from 1 to 65535".to_string()),
        Ok(n) => u16::try_from(n).map_err(|_| {
            format!("port {text} is out of range (above 65535): ports run from 1 to 65535")
        }),
        Err(_) => Err(format!(
            "port {text} is out of range (above 65535): ports run from 1 to 65535"
        )),
    }
}

/// Parses a port (`445`), an inclusive range (`2701-2704`) or an open one (`-100`, `60000-`);
/// the problem is returned as text.
pub fn parse_port_range(text: &str) -> Result<PortRange, String> {
    let text = text.trim();
    let Some((a, b)) = text.split_once('-') else {
        return parse_port(text).map(PortRange::single);
    };
    if a.trim().is_empty() && b.trim().is_empty() {
        return Ok(PortRange::ALL);
    }
    let first = if a.trim().is_empty() {
        1
    } else {
        parse_port(a)?
    };
    let last = if b.trim().is_empty() {
        u16::MAX
    } else {
        parse_port(b)?
    };
    PortRange::new(first, last).ok_or_else(|| {
        format!(
            "the range {first}-{last} runs backwards: write the lower port first ({last}-{first})"
        )
    })
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
    fn ranges_parse_with_open_ends() {
        assert_eq!(parse_port_range("-3"), Ok(r(1, 3)));
        assert_eq!(parse_port_range("65534-"), Ok(r(65534, 65535)));
        assert_eq!(parse_port_range("-"), Ok(PortRange::ALL));
        assert!(parse_port_range("3-1").unwrap_err().contains("(1-3)"));
        assert!(parse_port_range("0").unwrap_err().contains("port 0"));
        assert!(
            parse_port_range("65536")
                .unwrap_err()
                .contains("above 65535")
        );
        assert_eq!(r(1000, 5000).len(), 4001);
        assert_eq!(r(3268, 3269).with_separator(":"), "3268:3269");
    }
}
