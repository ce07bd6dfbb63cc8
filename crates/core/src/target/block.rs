//! Inclusive runs of addresses, held as integers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
