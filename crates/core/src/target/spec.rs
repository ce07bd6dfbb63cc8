//! One target as written, and its grammar.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::IpNet;

use super::block::AddressBlock;
use super::error::TargetError;

/// Longest interface name Linux accepts (IFNAMSIZ less the terminating zero).
const MAX_SCOPE_LEN: usize = 15;

/// One target as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// A host name, looked up before probing.
    Name(String),
    /// One address.
    Address(IpAddr),
    /// One IPv6 address with a scope (`fe80::1%eth0`, `fe80::1%2`): link-local addresses
    /// mean nothing without the interface they live on.
    Scoped(Ipv6Addr, String),
    /// A CIDR network. IPv4 networks larger than a /31 leave out their network and
    /// broadcast addresses, which no host answers on.
    Network(IpNet),
    /// An inclusive range of addresses of one family, first <= last.
    Range(IpAddr, IpAddr),
}

impl TargetSpec {
    /// Parses one target: `host.example`, `10.0.0.5`, `::1`, `[::1]`, `fe80::1%eth0`,
    /// `10.0.0.0/24`, `10.0.0.5-20`, `10.0.0.5-10.0.1.20`, `2001:db8::1-ff`.
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
        if let Some((address, scope)) = unbracketed.split_once('%') {
            return parse_scoped(t, address, scope);
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
            TargetSpec::Name(_) | TargetSpec::Address(_) | TargetSpec::Scoped(..) => 1,
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
            TargetSpec::Scoped(a, _) => Some(AddressBlock::single(IpAddr::V6(a))),
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
            TargetSpec::Scoped(a, scope) => write!(f, "{a}%{scope}"),
            TargetSpec::Network(n) => write!(f, "{n}"),
            TargetSpec::Range(a, b) => write!(f, "{a}-{b}"),
        }
    }
}

fn parse_scoped(text: &str, address: &str, scope: &str) -> Result<TargetSpec, TargetError> {
    let fix = "write a scoped address as IPV6%INTERFACE or IPV6%INDEX, e.g. fe80::1%eth0; \
               a scope applies to one address, not to a network or a range";
    let Ok(address) = Ipv6Addr::from_str(address) else {
        return Err(TargetError::new(
            text,
            format!("`{address}` is not an IPv6 address (only IPv6 addresses take a scope)"),
            fix,
        ));
    };
    let valid = !scope.is_empty()
        && scope.len() <= MAX_SCOPE_LEN
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid {
        return Err(TargetError::new(
            text,
            format!(
                "`{scope}` is not an interface name or index (1-{MAX_SCOPE_LEN} letters, digits, `-`, `_`, `.`)"
            ),
            fix,
        ));
    }
    Ok(TargetSpec::Scoped(address, scope.to_string()))
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
    let max: u8 = if ip.is_ipv4() { 32 } else { 128 };
    let bits: u8 = match prefix.parse::<u32>() {
        Ok(n) if n <= u32::from(max) => u8::try_from(n).unwrap_or(max),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        IpAddr::from_str(s).unwrap()
    }

    #[test]
    fn literals_networks_ranges_and_names() {
        assert_eq!(
            TargetSpec::parse("10.0.0.5"),
            Ok(TargetSpec::Address(ip("10.0.0.5")))
        );
        assert_eq!(
            TargetSpec::parse("[::1]"),
            Ok(TargetSpec::Address(ip("::1")))
        );
        assert_eq!(
            TargetSpec::parse("10.0.0.5-20"),
            Ok(TargetSpec::Range(ip("10.0.0.5"), ip("10.0.0.20")))
        );
        assert_eq!(
            TargetSpec::parse("10.0.0.250-10.0.1.3")
                .unwrap()
                .address_count(),
            10
        );
        assert_eq!(
            TargetSpec::parse("2001:db8::1-ff"),
            Ok(TargetSpec::Range(ip("2001:db8::1"), ip("2001:db8::ff")))
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
    fn ipv6_scope_ids() {
        let scoped = TargetSpec::parse("fe80::1%eth0").unwrap();
        assert_eq!(
            scoped,
            TargetSpec::Scoped("fe80::1".parse().unwrap(), "eth0".into())
        );
        assert_eq!(scoped.to_string(), "fe80::1%eth0");
        assert_eq!(scoped.address_count(), 1);
        assert_eq!(
            TargetSpec::parse("[fe80::1%2]"),
            Ok(TargetSpec::Scoped("fe80::1".parse().unwrap(), "2".into()))
        );
        let err = |s: &str| TargetSpec::parse(s).unwrap_err().to_string();
        assert!(err("10.0.0.1%eth0").contains("only IPv6 addresses take a scope"));
        assert!(err("fe80::1%").contains("not an interface name"));
        assert!(err("fe80::1%a/b").contains("not an interface name"));
        assert!(err("fe80::1%averyveryverylongname").contains("not an interface name"));
        assert!(err("fe80::/64%eth0").contains("not an IPv6 address"));
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
            (ip("10.0.0.1"), ip("10.0.0.2"))
        );
    }

    #[test]
    fn bad_targets_say_what_is_wrong() {
        let err = |s: &str| TargetSpec::parse(s).unwrap_err().to_string();
        assert!(err("10.0.0.0/33").contains("/33 is longer than the 32 bits"));
        assert!(err("10.0.0.0/x").contains("not a prefix length"));
        assert!(err("10.0.0.0/999").contains("longer than"));
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
}
