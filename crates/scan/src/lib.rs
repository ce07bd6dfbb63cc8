//! Fast, exact TCP connect scans of many ports on many hosts.
//!
//! - What to scan (names, addresses, networks, ranges, `@file`) is `portolan_core::target`'s
//!   grammar, shared with `check` and `rpc`; sweeps larger than a /16 need confirming.
//! - [`ports`] parses which ports: `22,80,1000-2000`, `all`, `catalog`, `role:NAME`.
//! - [`engine`] runs the scan: one epoll loop per core, five system calls per probe, timeouts
//!   adapted to each host's round trip, back-off instead of failure when descriptors or
//!   source ports run short, and a guard against TCP self-connects.
//! - [`udp`] runs UDP sweeps on `portolan-probe`'s protocol probes.
//! - [`report`] gathers and renders what a sweep found (table, JSON, JSON lines, CSV,
//!   Markdown); [`nmap_xml`] writes nmap's XML format; [`naming`] names ports from the
//!   catalog.
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use portolan_scan::engine::{self, Config, Event, Observer};
//! use portolan_core::target::{self, TargetList};
//! use portolan_scan::ports::PortList;
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
//! let targets = TargetList::build(&specs, target::system_lookup).unwrap();
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
pub mod report;
pub mod result;
pub mod syn;
pub mod udp;

pub use error::{EngineError, SweepError, TargetError};
pub use result::{HostSummary, NmapState, PortResult, Reason};
