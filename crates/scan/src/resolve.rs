//! From parsed targets to the list of addresses to scan: names are looked up (the system
//! resolver, first address), literals stay blocks.

use std::net::{IpAddr, ToSocketAddrs};

use crate::error::TargetError;
use crate::target::{AddressBlock, TargetSpec};

/// One block of the scan with the name it came from, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    block: AddressBlock,
    name: Option<String>,
    /// Index of the first address of this block in the whole list.
    start: u64,
}

/// Every address of a scan, in order, indexed without being expanded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetList {
    entries: Vec<Entry>,
    len: u64,
}

/// One address of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host<'a> {
    /// The address.
    pub address: IpAddr,
    /// The host name it was given as, if it was given by name.
    pub name: Option<&'a str>,
}

impl TargetList {
    /// Builds the list from targets; `lookup` turns a name into an address.
    pub fn build<F>(specs: &[TargetSpec], mut lookup: F) -> Result<TargetList, TargetError>
    where
        F: FnMut(&str) -> Result<IpAddr, String>,
    {
        let mut list = TargetList::default();
        for spec in specs {
            let (block, name) = match spec {
                TargetSpec::Name(name) => {
                    let address = lookup(name).map_err(|problem| {
                        TargetError::new(
                            name,
                            problem,
                            "check the name, or give the address instead",
                        )
                    })?;
                    (AddressBlock::single(address), Some(name.clone()))
                }
                other => match other.block() {
                    Some(block) => (block, None),
                    None => continue,
                },
            };
            let count = u64::try_from(block.len()).map_err(|_| {
                TargetError::new(
                    spec.to_string(),
                    "holds too many addresses",
                    "narrow the network",
                )
            })?;
            list.entries.push(Entry {
                block,
                name,
                start: list.len,
            });
            list.len = list.len.checked_add(count).ok_or_else(|| {
                TargetError::new(
                    spec.to_string(),
                    "brings the total past 2^64 addresses",
                    "narrow the networks",
                )
            })?;
        }
        Ok(list)
    }

    /// Number of addresses.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when there is no address.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The address at `index`.
    pub fn get(&self, index: u64) -> Option<Host<'_>> {
        if index >= self.len {
            return None;
        }
        let at = self.entries.partition_point(|e| e.start <= index);
        let entry = self.entries.get(at.checked_sub(1)?)?;
        let address = entry.block.get(u128::from(index - entry.start))?;
        Some(Host {
            address,
            name: entry.name.as_deref(),
        })
    }
}

/// Looks a name up with the system resolver and takes the first address.
pub fn system_lookup(name: &str) -> Result<IpAddr, String> {
    let mut addresses = (name, 0u16)
        .to_socket_addrs()
        .map_err(|e| format!("cannot be resolved: {e}"))?;
    addresses
        .next()
        .map(|a| a.ip())
        .ok_or_else(|| "resolves to no address".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::parse_targets;

    #[test]
    fn indexes_across_blocks_and_names() {
        let specs = parse_targets(&["10.0.0.0/30", "host.example", "::1-3"], |_| {
            Err(String::new())
        })
        .unwrap();
        let list = TargetList::build(&specs, |_| Ok("192.0.2.7".parse().unwrap())).unwrap();
        assert_eq!(list.len(), 2 + 1 + 3);
        let addresses: Vec<String> = (0..list.len())
            .map(|i| list.get(i).unwrap().address.to_string())
            .collect();
        assert_eq!(
            addresses,
            ["10.0.0.1", "10.0.0.2", "192.0.2.7", "::1", "::2", "::3"]
        );
        assert_eq!(list.get(2).unwrap().name, Some("host.example"));
        assert_eq!(list.get(0).unwrap().name, None);
        assert_eq!(list.get(6), None);
    }

    #[test]
    fn lookup_failures_name_the_host() {
        let specs = parse_targets(&["nowhere.invalid"], |_| Err(String::new())).unwrap();
        let err =
            TargetList::build(&specs, |_| Err("cannot be resolved: unknown".into())).unwrap_err();
        assert!(err.to_string().contains("nowhere.invalid"));
    }
}
