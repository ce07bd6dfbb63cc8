//! From parsed targets to the indexed list of addresses to probe: names are looked up (the
//! first address), scopes become interface indexes, literals stay blocks.

use std::net::{IpAddr, SocketAddr, SocketAddrV6, ToSocketAddrs};

use super::block::AddressBlock;
use super::error::TargetError;
use super::list::{MAX_FILE_BYTES, check_size, check_within, parse_targets};
use super::shard::Shard;
use super::spec::TargetSpec;

/// One block of the list with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    block: AddressBlock,
    /// The host name the block was given as, if any.
    name: Option<String>,
    /// The IPv6 scope (interface index), 0 when there is none.
    scope_id: u32,
    /// Index of the first address of this block in the whole list.
    start: u64,
}

/// Every address to probe, in order, indexed without being expanded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetList {
    entries: Vec<Entry>,
    /// Addresses in all the entries.
    len: u64,
    /// The part of them this list stands for (`--shard`); the whole by default.
    shard: Shard,
}

/// One address of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host<'a> {
    /// The address.
    pub address: IpAddr,
    /// The IPv6 scope (interface index) it was given with, 0 when none.
    pub scope_id: u32,
    /// The host name it was given as, if it was given by name.
    pub name: Option<&'a str>,
}

impl Host<'_> {
    /// The socket address of `port` on this host, with its scope.
    pub fn socket_addr(&self, port: u16) -> SocketAddr {
        socket_addr(self.address, self.scope_id, port)
    }

    /// How to call the host in results: its name if it was given by name, else its address
    /// (with its scope index, if it has one).
    pub fn label(&self) -> String {
        match (self.name, self.scope_id) {
            (Some(name), _) => name.to_string(),
            (None, 0) => self.address.to_string(),
            (None, scope) => format!("{}%{scope}", self.address),
        }
    }
}

impl TargetList {
    /// Builds the list from targets; `lookup` turns a name into an address, and scopes given
    /// as interface names are looked up with [`interface_index`].
    pub fn build<F>(specs: &[TargetSpec], lookup: F) -> Result<TargetList, TargetError>
    where
        F: FnMut(&str) -> Result<IpAddr, String>,
    {
        TargetList::build_with(specs, lookup, interface_index)
    }

    /// [`TargetList::build`] with the interface look-up given too.
    pub fn build_with<F, I>(
        specs: &[TargetSpec],
        mut lookup: F,
        mut interface: I,
    ) -> Result<TargetList, TargetError>
    where
        F: FnMut(&str) -> Result<IpAddr, String>,
        I: FnMut(&str) -> Result<u32, String>,
    {
        let mut list = TargetList::default();
        for spec in specs {
            let (block, name, scope_id) = match spec {
                TargetSpec::Name(name) => {
                    let address = lookup(name).map_err(|problem| {
                        TargetError::new(
                            name,
                            problem,
                            "check the name, or give the address instead",
                        )
                    })?;
                    (AddressBlock::single(address), Some(name.clone()), 0)
                }
                TargetSpec::Scoped(address, scope) => {
                    let index = interface(scope).map_err(|problem| {
                        TargetError::new(
                            spec.to_string(),
                            problem,
                            "name an interface of this machine (`ip link` lists them) or give its index",
                        )
                    })?;
                    (AddressBlock::single(IpAddr::V6(*address)), None, index)
                }
                other => match other.block() {
                    Some(block) => (block, None, 0),
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
                scope_id,
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

    /// The list narrowed to one part of its addresses (`--shard I/N`): positions
    /// I, I + N, I + 2N, ... of the whole list, re-indexed from 0.
    pub fn sharded(mut self, shard: Shard) -> TargetList {
        self.shard = shard;
        self
    }

    /// Number of addresses (of this part, when sharded).
    pub fn len(&self) -> u64 {
        self.shard.len_of(self.len)
    }

    /// True when there is no address.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The address at `index` (of this part, when sharded).
    pub fn get(&self, index: u64) -> Option<Host<'_>> {
        if index >= self.len() {
            return None;
        }
        let index = self.shard.position(index)?;
        let at = self.entries.partition_point(|e| e.start <= index);
        let entry = self.entries.get(at.checked_sub(1)?)?;
        let address = entry.block.get(u128::from(index - entry.start))?;
        Some(Host {
            address,
            scope_id: entry.scope_id,
            name: entry.name.as_deref(),
        })
    }

    /// Every address in order.
    pub fn iter(&self) -> impl Iterator<Item = Host<'_>> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// How many addresses a command accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeGuard {
    /// A sweep (`scan`): above a /16 only when confirmed ([`check_size`]).
    Sweep {
        /// `--yes` was given.
        confirmed: bool,
    },
    /// A command that probes hosts one by one (`check`, `rpc`): at most `cap` addresses.
    Cap {
        /// The most addresses.
        cap: u64,
        /// The command's name, for the message.
        command: &'static str,
    },
}

/// Most addresses `rpc` takes: each host gets a full report, which is read by a person;
/// larger sets are sweeps, for `scan`.
pub const CHECK_CAP: u64 = 256;

/// Most addresses `check` takes: a /16. It streams its results (`--format jsonl`) and holds
/// memory only for the probes in flight and the results, so a subnet is its scale; larger
/// sets are sweeps, for `scan`.
pub const CHECK_SCALE_CAP: u64 = 65_536;

/// Target arguments as a command takes them: parsed (`@file` read from disk), held to the
/// size guard, names looked up with the system resolver.
pub fn resolve_arguments<S: AsRef<str>>(
    arguments: &[S],
    guard: SizeGuard,
) -> Result<TargetList, TargetError> {
    let specs = parse_arguments(arguments, guard)?;
    TargetList::build(&specs, system_lookup)
}

/// Target arguments parsed (`@file` read from disk) and held to the size guard, names not
/// looked up yet: for a caller that resolves them itself (`check`, in parallel, a failed
/// name being a result rather than the end of the command).
pub fn parse_arguments<S: AsRef<str>>(
    arguments: &[S],
    guard: SizeGuard,
) -> Result<Vec<TargetSpec>, TargetError> {
    let specs = parse_targets(arguments, read_target_file)?;
    match guard {
        SizeGuard::Sweep { confirmed } => check_size(&specs, confirmed).map(drop)?,
        SizeGuard::Cap { cap, command } => check_within(&specs, cap, command).map(drop)?,
    }
    Ok(specs)
}

/// The socket address of `port` on `address`, with the IPv6 scope `scope_id` (0: none).
pub fn socket_addr(address: IpAddr, scope_id: u32, port: u16) -> SocketAddr {
    match address {
        IpAddr::V6(a) if scope_id != 0 => SocketAddr::V6(SocketAddrV6::new(a, port, 0, scope_id)),
        address => SocketAddr::new(address, port),
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

/// The index of an IPv6 scope: a number as it is, an interface name through the kernel.
pub fn interface_index(scope: &str) -> Result<u32, String> {
    if let Ok(index) = scope.parse::<u32>() {
        return Ok(index);
    }
    let name =
        std::ffi::CString::new(scope).map_err(|_| format!("`{scope}` is not an interface name"))?;
    // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if index == 0 {
        Err(format!("this machine has no interface `{scope}`"))
    } else {
        Ok(index)
    }
}

/// Reads an `@file` of targets, refusing files over [`MAX_FILE_BYTES`] before reading them.
pub fn read_target_file(path: &str) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(format!("{path} is larger than 16 MiB"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
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
        let addresses: Vec<String> = list.iter().map(|h| h.address.to_string()).collect();
        assert_eq!(
            addresses,
            ["10.0.0.1", "10.0.0.2", "192.0.2.7", "::1", "::2", "::3"]
        );
        assert_eq!(list.get(2).unwrap().name, Some("host.example"));
        assert_eq!(list.get(2).unwrap().label(), "host.example");
        assert_eq!(list.get(0).unwrap().name, None);
        assert_eq!(list.get(0).unwrap().label(), "10.0.0.1");
        assert_eq!(list.get(6), None);
    }

    #[test]
    fn shards_take_every_nth_address_of_the_whole_list() {
        let specs = parse_targets(&["10.0.0.0/30", "::1-3"], |_| Err(String::new())).unwrap();
        let whole = TargetList::build(&specs, |_| Err(String::new())).unwrap();
        let part = |i| {
            whole
                .clone()
                .sharded(Shard::new(i, 2).unwrap())
                .iter()
                .map(|h| h.address.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(part(0), ["10.0.0.1", "::1", "::3"]);
        assert_eq!(part(1), ["10.0.0.2", "::2"]);
        let second = whole.sharded(Shard::new(1, 2).unwrap());
        assert_eq!(second.len(), 2);
        assert_eq!(second.get(2), None);
    }

    #[test]
    fn scopes_become_interface_indexes() {
        let specs = parse_targets(&["fe80::1%7", "fe80::2%eth9"], |_| Err(String::new())).unwrap();
        let list = TargetList::build_with(
            &specs,
            |_| Err(String::new()),
            |scope| match scope {
                "eth9" => Ok(3),
                other => other.parse().map_err(|_| "unknown".to_string()),
            },
        )
        .unwrap();
        let first = list.get(0).unwrap();
        assert_eq!(first.scope_id, 7);
        assert_eq!(first.socket_addr(135).to_string(), "[fe80::1%7]:135");
        assert_eq!(list.get(1).unwrap().scope_id, 3);
        let missing = TargetList::build_with(
            &specs[1..],
            |_| Err(String::new()),
            |_| Err("this machine has no interface `eth9`".into()),
        )
        .unwrap_err()
        .to_string();
        assert!(
            missing.contains("fe80::2%eth9") && missing.contains("no interface"),
            "{missing}"
        );
        assert_eq!(interface_index("12"), Ok(12));
        assert!(interface_index("no-such-if0").is_err());
    }

    #[test]
    fn lookup_failures_name_the_host() {
        let specs = parse_targets(&["nowhere.invalid"], |_| Err(String::new())).unwrap();
        let err =
            TargetList::build(&specs, |_| Err("cannot be resolved: unknown".into())).unwrap_err();
        assert!(err.to_string().contains("nowhere.invalid"));
    }
}
