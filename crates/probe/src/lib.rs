//! The probing engine: which ports of which hosts to probe, how (TCP connect, protocol-aware
//! UDP datagrams, protocol verification of open ports), how long to wait (adaptive, per
//! host), and the verdicts in PortQry's words.
//!
//! Bytes are built and parsed by `portolan-wire`; this crate owns sockets and scheduling.
//! Every probe of every host is in flight at once, up to a bound. What it shares with the
//! sweep engine (`portolan-scan`) lives in `portolan-core`: the target grammar, the
//! round-trip estimator ([`timing`] wraps it in a tokio `watch`), the errno-to-verdict table,
//! the self-connect guard and the verdicts ([`Status`] is core's `Verdict`). [`report`]
//! renders what a check or an endpoint-mapper listing found.

pub mod check;
pub mod engine;
pub mod error;
pub mod net;
pub mod pinned;
pub mod report;
pub mod resolve;
pub mod result;
pub mod rpc;
pub mod select;
pub mod timing;
mod tls;
pub mod udp_probes;
mod verify;

pub use engine::{CheckOptions, Host, Job, ProbeContext};
pub use error::{ResolveError, SelectError};
pub use pinned::{OutsidePin, PinCheck, PinVerdict};
pub use result::{Origin, PortResult, Status, Verification, VerifyOutcome};
pub use select::{Selection, Target, parse_port_spec, select};
