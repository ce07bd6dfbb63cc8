//! Target lists: host names, addresses, CIDR networks, address ranges and `@file` lists.
//!
//! Parsing is pure: names stay names until [`crate::resolve`] looks them up, and `@file`
//! contents come from a caller-supplied reader. Every address set is held as inclusive
//! blocks of integers, so a /8 costs a few bytes, not sixteen million entries.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::IpNet;

use crate::error::TargetError;

/// More addresses than this need an explicit confirmation (`--yes`): a /16 is the largest
/// sweep that may start by accident.
pub const CONFIRM_ABOVE: u64 = 65_536;

/// No scan covers more addresses than this, confirmed or not (all of IPv4).
pub const HARD_LIMIT: u64 = 1 << 32;

/// Longest `@file` accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// Most items one target list may hold (after `@file` expansion).
pub const MAX_ITEMS: usize = 1 << 20;

/// One target as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// A host name, looked up before the scan.
    Name(String),
    /// One address.
    Address(IpAddr),
    /// A CIDR network. IPv4 networks larger than a /31 leave out their network and
    /// broadcast addresses, which no host answers on.
    Network(IpNet),
    /// An inclusive range of addresses of one family, first <= last.
    Range(IpAddr, IpAddr),
}

impl TargetSpec {
    /// Parses one target: `host.example`, `10.0.0.5`, `::1`, `10.0.0.0/24`,
    /// `10.0.0.5-20`, `10.0.0.5-10.0.1.20`, `2001:db8::1-ff`, `[::1]`.
    pub fn parse(text: &str) -> Result<TargetSpec, TargetError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(TargetError::new(
                text,
                "is empty",
                "give a host name, an address, a CIDR network or a range",
            ));
        }
        let unbracketed = t
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or(t);
        if let Ok(address) = IpAddr::from_str(unbracketed) {
            return Ok(TargetSpec::Address(address));
        }
        if let Some((address, prefix)) = t.split_once('/') {
            return parse_network(t, address, prefix);
        }
        if let Some(spec) = parse_range(t)? {
            return Ok(spec);
        }
        parse_name(t)
    }

    /// How many addresses this target stands for (a name counts as one).
    pub fn address_count(&self) -> u128 {
        match self {
            TargetSpec::Name(_) | TargetSpec::Address(_) => 1,
            TargetSpec::Network(_) | TargetSpec::Range(..) => match self.block() {
                Some(block) => block.len(),
                None => 0,
            },
        }
    }

    /// The addresses of a literal target as a block; `None` for a name.
    pub fn block(&self) -> Option<AddressBlock> {
        match *self {
            TargetSpec::Name(_) => None,
            TargetSpec::Address(a) => Some(AddressBlock::single(a)),
            TargetSpec::Range(first, last) => AddressBlock::new(first, last),
            TargetSpec::Network(IpNet::V4(net)) => {
                let first = u32::from(net.network());
                let last = u32::from(net.broadcast());
                let (first, last) = if net.prefix_len() <= 30 {
                    (first.saturating_add(1), last.saturating_sub(1))
                } else {
                    (first, last)
                };
                AddressBlock::new(Ipv4Addr::from(first).into(), Ipv4Addr::from(last).into())
            }
            TargetSpec::Network(IpNet::V6(net)) => {
                AddressBlock::new(net.network().into(), net.broadcast().into())
            }
        }
    }
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSpec::Name(n) => f.write_str(n),
            TargetSpec::Address(a) => write!(f, "{a}"),
            TargetSpec::Network(n) => write!(f, "{n}"),
            TargetSpec::Range(a, b) => write!(f, "{a}-{b}"),
        }
    }
}

/// An inclusive run of addresses of one family, as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressBlock {
    v6: bool,
    first: u128,
    last: u128,
}

impl AddressBlock {
    /// A block of one address.
    pub fn single(address: IpAddr) -> Self {
        let (v6, n) = to_integer(address);
        AddressBlock {
            v6,
            first: n,
            last: n,
        }
    }

    /// The block `first..=last`; `None` when the families differ or the range is backwards.
    pub fn new(first: IpAddr, last: IpAddr) -> Option<Self> {
        let (v6a, a) = to_integer(first);
        let (v6b, b) = to_integer(last);
        (v6a == v6b && a <= b).then_some(AddressBlock {
            v6: v6a,
            first: a,
            last: b,
        })
    }

    /// Number of addresses (saturates at `u128::MAX` for all of IPv6).
    pub fn len(&self) -> u128 {
        (self.last - self.first).saturating_add(1)
    }

    /// A block always holds at least one address.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The address at `index`, if the block is that long.
    pub fn get(&self, index: u128) -> Option<IpAddr> {
        let n = self.first.checked_add(index)?;
        (n <= self.last).then(|| from_integer(self.v6, n))
    }

    /// The first address.
    pub fn first(&self) -> IpAddr {
        from_integer(self.v6, self.first)
    }

    /// The last address.
    pub fn last(&self) -> IpAddr {
        from_integer(self.v6, self.last)
    }
}

fn to_integer(address: IpAddr) -> (bool, u128) {
    match address {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

fn from_integer(v6: bool, n: u128) -> IpAddr {
    if v6 {
        Ipv6Addr::from(n).into()
    } else {
        // Blocks of the IPv4 family only ever hold 32-bit values.
        Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX)).into()
    }
}

fn parse_network(text: &str, address: &str, prefix: &str) -> Result<TargetSpec, TargetError> {
    let fix = "write a network as ADDRESS/PREFIX, e.g. 10.0.0.0/24 or 2001:db8::/64";
    let address = address.trim_start_matches('[').trim_end_matches(']');
    let ip = IpAddr::from_str(address).map_err(|_| {
        TargetError::new(
            text,
            format!("`{address}` is not an IPv4 or IPv6 address"),
            fix,
        )
    })?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits: u8 = match prefix.parse::<u32>() {
        Ok(n) if n <= max => n as u8,
        Ok(n) => {
            return Err(TargetError::new(
                text,
                format!("prefix length /{n} is longer than the {max} bits of the address"),
                fix,
            ));
        }
        Err(_) => {
            return Err(TargetError::new(
                text,
                format!("`/{prefix}` is not a prefix length (a number 0-{max})"),
                fix,
            ));
        }
    };
    IpNet::new(ip, bits)
        .map(|net| TargetSpec::Network(net.trunc()))
        .map_err(|_| TargetError::new(text, "is not a valid network", fix))
}

/// `a.b.c.d-e`, `a.b.c.d-w.x.y.z`, `v6-v6`, `v6-hhhh`. `Ok(None)` when it is no range at all.
fn parse_range(text: &str) -> Result<Option<TargetSpec>, TargetError> {
    let Some((left, right)) = text.split_once('-') else {
        return Ok(None);
    };
    let Ok(first) = IpAddr::from_str(left.trim()) else {
        // `dc-01.example` is a name with a dash, not a range.
        return Ok(None);
    };
    let right = right.trim();
    let fix = "write a range as 10.0.0.5-20 or 10.0.0.5-10.0.1.20, lower address first";
    let last = if let Ok(last) = IpAddr::from_str(right) {
        if last.is_ipv4() != first.is_ipv4() {
            return Err(TargetError::new(text, "mixes IPv4 and IPv6 addresses", fix));
        }
        last
    } else {
        match first {
            IpAddr::V4(a) => {
                let end: u8 = right.parse().map_err(|_| {
                    TargetError::new(
                        text,
                        format!("`{right}` is not an address or a last octet (0-255)"),
                        fix,
                    )
                })?;
                let [o1, o2, o3, _] = a.octets();
                IpAddr::V4(Ipv4Addr::new(o1, o2, o3, end))
            }
            IpAddr::V6(a) => {
                let end = u16::from_str_radix(right, 16)
                    .ok()
                    .filter(|_| !right.is_empty() && right.len() <= 4)
                    .ok_or_else(|| {
                        TargetError::new(
                            text,
                            format!("`{right}` is not an address or a last group (0-ffff)"),
                            fix,
                        )
                    })?;
                let mut segments = a.segments();
                segments[7] = end;
                IpAddr::V6(Ipv6Addr::from(segments))
            }
        }
    };
    if last < first {
        return Err(TargetError::new(
            text,
            format!("the range runs backwards ({first} is after {last})"),
            fix,
        ));
    }
    Ok(Some(TargetSpec::Range(first, last)))
}

fn parse_name(text: &str) -> Result<TargetSpec, TargetError> {
    let fix = "give a host name, an IPv4 or IPv6 address, a CIDR network (10.0.0.0/24) or a range (10.0.0.5-20)";
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(TargetError::new(text, "is not a valid IPv4 address", fix));
    }
    if text.contains(':') {
        return Err(TargetError::new(text, "is not a valid IPv6 address", fix));
    }
    let name = text.strip_suffix('.').unwrap_or(text);
    if name.len() > 253 {
        return Err(TargetError::new(
            text,
            "is longer than a host name may be (253 characters)",
            fix,
        ));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(TargetError::new(
                text,
                "has an empty or over-long (more than 63 characters) label",
                fix,
            ));
        }
        let valid = label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid || label.starts_with('-') || label.ends_with('-') {
            return Err(TargetError::new(
                text,
                format!("`{label}` is not a host name label (letters, digits, `-`, `_`)"),
                fix,
            ));
        }
    }
    Ok(TargetSpec::Name(name.to_string()))
}

/// Parses every target argument. An argument may hold several targets separated by commas;
/// `@PATH` reads more targets from a file through `read_file` (whitespace, commas or new
/// lines between targets, `#` to the end of a line is a comment; no `@` inside a file).
pub fn parse_targets<S, F>(
    arguments: &[S],
    mut read_file: F,
) -> Result<Vec<TargetSpec>, TargetError>
where
    S: AsRef<str>,
    F: FnMut(&str) -> Result<String, String>,
{
    let mut specs = Vec::new();
    for argument in arguments {
        let argument = argument.as_ref().trim();
        if let Some(path) = argument.strip_prefix('@') {
            let text = read_file(path).map_err(|problem| {
                TargetError::new(
                    argument,
                    problem,
                    "check the path after `@`; the file lists one target per line",
                )
            })?;
            if text.len() > MAX_FILE_BYTES {
                return Err(TargetError::new(
                    argument,
                    "is larger than 16 MiB",
                    "split the list into smaller files",
                ));
            }
            parse_file(argument, &text, &mut specs)?;
        } else {
            for item in argument.split(',').filter(|s| !s.trim().is_empty()) {
                push(argument, &mut specs, TargetSpec::parse(item)?)?;
            }
        }
    }
    if specs.is_empty() {
        return Err(TargetError::new(
            "",
            "no targets were given",
            "name at least one host, address, network or range",
        ));
    }
    Ok(specs)
}

fn parse_file(origin: &str, text: &str, specs: &mut Vec<TargetSpec>) -> Result<(), TargetError> {
    for (number, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("");
        for item in content.split(|c: char| c == ',' || c.is_whitespace()) {
            if item.is_empty() {
                continue;
            }
            if item.starts_with('@') {
                return Err(TargetError::new(
                    item,
                    format!(
                        "{origin} line {}: files cannot include other files",
                        number + 1
                    ),
                    "list the targets of the other file directly, or pass both files",
                ));
            }
            let spec = TargetSpec::parse(item).map_err(|e| e.at(origin, number + 1))?;
            push(origin, specs, spec)?;
        }
    }
    Ok(())
}

fn push(origin: &str, specs: &mut Vec<TargetSpec>, spec: TargetSpec) -> Result<(), TargetError> {
    if specs.len() >= MAX_ITEMS {
        return Err(TargetError::new(
            origin,
            "brings the list past 1048576 targets",
            "use CIDR networks or ranges",
        ));
    }
    specs.push(spec);
    Ok(())
}

/// Total number of addresses of the targets (saturating).
pub fn address_total(specs: &[TargetSpec]) -> u128 {
    specs
        .iter()
        .fold(0u128, |sum, s| sum.saturating_add(s.address_count()))
}

/// Refuses target sets that are too large: above [`CONFIRM_ABOVE`] addresses without
/// `confirmed`, above [`HARD_LIMIT`] always.
pub fn check_size(specs: &[TargetSpec], confirmed: bool) -> Result<u64, TargetError> {
    let total = address_total(specs);
    if total > u128::from(HARD_LIMIT) {
        return Err(TargetError::new(
            "targets",
            format!("cover {total} addresses, more than any scan may ({HARD_LIMIT}, all of IPv4)"),
            "narrow the networks (an IPv6 /64 alone holds 2^64 addresses)",
        ));
    }
    let total = u64::try_from(total).unwrap_or(HARD_LIMIT);
    if total > CONFIRM_ABOVE && !confirmed {
        return Err(TargetError::new(
            "targets",
            format!("cover {total} addresses, more than a /16 ({CONFIRM_ABOVE})"),
            "check the networks, then add --yes to confirm a sweep this large",
        ));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> IpAddr {
        IpAddr::from_str(s).unwrap()
    }

    #[test]
    fn literals_networks_ranges_and_names() {
        assert_eq!(
            TargetSpec::parse("10.0.0.5"),
            Ok(TargetSpec::Address(v4("10.0.0.5")))
        );
        assert_eq!(
            TargetSpec::parse("[::1]"),
            Ok(TargetSpec::Address(v4("::1")))
        );
        assert_eq!(
            TargetSpec::parse("10.0.0.5-20"),
            Ok(TargetSpec::Range(v4("10.0.0.5"), v4("10.0.0.20")))
        );
        assert_eq!(
            TargetSpec::parse("10.0.0.250-10.0.1.3")
                .unwrap()
                .address_count(),
            10
        );
        assert_eq!(
            TargetSpec::parse("2001:db8::1-ff"),
            Ok(TargetSpec::Range(v4("2001:db8::1"), v4("2001:db8::ff")))
        );
        assert_eq!(
            TargetSpec::parse("dc-01.lab.example."),
            Ok(TargetSpec::Name("dc-01.lab.example".into()))
        );
        assert_eq!(
            TargetSpec::parse("localhost"),
            Ok(TargetSpec::Name("localhost".into()))
        );
    }

    #[test]
    fn network_sizes_leave_out_network_and_broadcast() {
        let count = |s: &str| TargetSpec::parse(s).unwrap().address_count();
        assert_eq!(count("10.0.0.0/24"), 254);
        assert_eq!(count("10.0.0.77/24"), 254);
        assert_eq!(count("10.0.0.0/31"), 2);
        assert_eq!(count("10.0.0.9/32"), 1);
        assert_eq!(count("10.0.0.0/8"), (1 << 24) - 2);
        assert_eq!(count("2001:db8::/120"), 256);
        let block = TargetSpec::parse("10.0.0.0/30").unwrap().block().unwrap();
        assert_eq!(
            (block.first(), block.last()),
            (v4("10.0.0.1"), v4("10.0.0.2"))
        );
    }

    #[test]
    fn bad_targets_say_what_is_wrong() {
        let err = |s: &str| TargetSpec::parse(s).unwrap_err().to_string();
        assert!(
            err("10.0.0.0/33").contains("/33 is longer than the 32 bits"),
            "{}",
            err("10.0.0.0/33")
        );
        assert!(err("10.0.0.0/x").contains("not a prefix length"));
        assert!(err("10.0.0.300/24").contains("not an IPv4 or IPv6 address"));
        assert!(err("10.0.0.20-5").contains("runs backwards"));
        assert!(err("10.0.1.1-10.0.0.9").contains("runs backwards"));
        assert!(err("10.0.0.1-::5").contains("mixes IPv4 and IPv6"));
        assert!(err("10.0.0.1-300").contains("last octet"));
        assert!(err("10.0.0.300").contains("not a valid IPv4 address"));
        assert!(err("fe80::zz").contains("not a valid IPv6 address"));
        assert!(err("bad name!").contains("not a host name label"));
        assert!(err("").contains("empty"));
    }

    #[test]
    fn files_and_comma_lists() {
        let read = |path: &str| match path {
            "hosts.txt" => Ok("# lab\n10.0.0.1, 10.0.0.2\n\n::1  host.example # dc\n".to_string()),
            "nested.txt" => Ok("@hosts.txt\n".to_string()),
            "bad.txt" => Ok("10.0.0.1\n10.0.0.0/40\n".to_string()),
            _ => Err("No such file or directory".to_string()),
        };
        let specs = parse_targets(&["@hosts.txt", "127.0.0.1,127.0.0.2"], read).unwrap();
        assert_eq!(specs.len(), 6);
        assert_eq!(specs[3], TargetSpec::Name("host.example".into()));
        let nested = parse_targets(&["@nested.txt"], read)
            .unwrap_err()
            .to_string();
        assert!(nested.contains("cannot include other files"), "{nested}");
        let bad = parse_targets(&["@bad.txt"], read).unwrap_err().to_string();
        assert!(bad.contains("@bad.txt line 2"), "{bad}");
        let missing = parse_targets(&["@nope.txt"], read).unwrap_err().to_string();
        assert!(missing.contains("No such file"), "{missing}");
        assert!(parse_targets::<&str, _>(&[], read).is_err());
    }

    #[test]
    fn a_slash_8_needs_confirmation() {
        let specs = parse_targets(&["10.0.0.0/8"], |_| Err(String::new())).unwrap();
        let message = check_size(&specs, false).unwrap_err().to_string();
        assert!(message.contains("16777214 addresses"), "{message}");
        assert!(message.contains("--yes"), "{message}");
        assert_eq!(check_size(&specs, true), Ok(16_777_214));
        let slash16 = parse_targets(&["10.1.0.0/16"], |_| Err(String::new())).unwrap();
        assert_eq!(check_size(&slash16, false), Ok(65_534));
        let huge = parse_targets(&["2001:db8::/64"], |_| Err(String::new())).unwrap();
        assert!(
            check_size(&huge, true)
                .unwrap_err()
                .to_string()
                .contains("narrow")
        );
    }
}
