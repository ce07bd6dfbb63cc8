//! What the probe engine's commands found, gathered and rendered: a check ([`check`]) and an
//! endpoint-mapper listing ([`rpc`]).

pub mod check;
pub mod rpc;

pub use check::CheckReport;
pub use rpc::{HostAnswer, RpcReport};
