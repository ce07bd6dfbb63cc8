//! The pieces both probe engines share, so that each exists once: the tokio check engine
//! (`portolan-probe`) and the epoll sweep engine (`portolan-scan`) differ in how they wait,
//! not in what an answer means.
//!
//! - [`target`]: one grammar for targets (names, IPv4 and IPv6 literals, IPv6 with a scope
//!   id, CIDR networks, ranges, `@file`) and the indexed list of addresses they stand for.
//! - [`timing`]: one round-trip estimator (RFC 6298) and the timeout policy derived from it.
//! - [`errno`]: one table from a failed connect's error number to what it says about the port.
//! - [`guard`]: the self-connect guard.
//! - [`verdict`]: PortQry's verdicts, the reasons behind them, and their nmap states.
//! - [`limits`]: the open-file limit, raised to the hard limit, and how many sockets it
//!   leaves for probes in flight (both engines size their default concurrency from it).
//! - [`record`]: the one result model (host, address, port, transport, verdict, evidence,
//!   round trip, tries) that every command produces and every renderer reads.
//!
//! Everything here is pure data and logic. The only I/O is named: [`target::system_lookup`]
//! (the system resolver), [`target::read_target_file`] (an `@file`),
//! [`target::interface_index`] (an IPv6 scope given as an interface name) and
//! [`limits::raise_and_measure`] (the process's open-file limit).
//!
//! ```
//! use portolan_core::target::{self, TargetList};
//!
//! let specs = target::parse_targets(&["127.0.0.0/30", "::1"], |_| Err("no files".into())).unwrap();
//! let list = TargetList::build(&specs, |_| Err("no names".into())).unwrap();
//! assert_eq!(list.len(), 3);
//! assert_eq!(list.get(2).unwrap().socket_addr(135).to_string(), "[::1]:135");
//! ```

pub mod errno;
pub mod guard;
pub mod limits;
pub mod rate;
pub mod record;
pub mod target;
pub mod timing;
pub mod verdict;

pub use record::{Evidence, Record, Transport};
pub use target::{TargetError, TargetList, TargetSpec};
pub use verdict::{NmapState, Reason, Verdict};
