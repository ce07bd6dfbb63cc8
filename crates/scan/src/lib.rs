//! Fast, exact TCP connect scans of many ports on many hosts.
//!
//! - [`target`] parses what to scan: names, IPv4 and IPv6 addresses, CIDR networks, ranges
//!   (`10.0.0.5-20`) and `@file` lists, and refuses sweeps larger than a /16 unless confirmed.
//! - [`ports`] parses which ports: `22,80,1000-2000`, `all`, `catalog`, `role:NAME`.
//! - [`resolve`] turns targets into an indexed list of addresses (names looked up once).
//! - [`engine`] runs the scan: one epoll loop per core, five system calls per probe, timeouts
//!   adapted to each host's round trip, back-off instead of failure when descriptors or
//!   source ports run short, and a guard against TCP self-connects.
//! - [`nmap_xml`] writes nmap's XML format; [`naming`] names ports from the catalog.
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use portolan_scan::engine::{self, Config, Event, Observer};
//! use portolan_scan::{ports::PortList, resolve::TargetList, target};
//!
//! struct Print;
//! impl Observer for Print {
//!     fn event(&mut self, event: Event) {
//!         if let Event::Port(p) = event {
//!             println!("{}:{} {}", p.address, p.port, p.state.as_str());
//!         }
//!     }
//! }
//!
//! let specs = target::parse_targets(&["127.0.0.1"], |_| Err("no files".into())).unwrap();
//! let targets = TargetList::build(&specs, portolan_scan::resolve::system_lookup).unwrap();
//! let ports = PortList::new((1..=1024).collect());
//! let stop = AtomicBool::new(false);
//! let summary = engine::run(&targets, &ports, &Config::default(), &stop, &mut Print).unwrap();
//! println!("{} open of {} probes", summary.open, summary.total);
//! ```

pub mod engine;
pub mod error;
pub mod interrupt;
pub mod naming;
pub mod nmap_xml;
pub mod ports;
pub mod resolve;
pub mod result;
pub mod target;

pub use error::{EngineError, TargetError};
pub use result::{HostSummary, PortResult, PortState, Reason};
