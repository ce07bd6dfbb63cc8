//! Why `listen` could not start.

use std::net::SocketAddr;

use thiserror::Error;

/// A failure to start listening.
#[derive(Debug, Error)]
pub enum ListenError {
    /// Nothing was asked for.
    #[error(
        "no TCP or UDP port to listen on: the selection has none; give --role, --service or --ports with TCP or UDP ports"
    )]
    NothingSelected,
    /// Ports below 1024 need a privilege this process lacks.
    #[error(
        "cannot bind {}: ports below 1024 need root or the CAP_NET_BIND_SERVICE capability; run as root (sudo), or grant the capability once with `sudo setcap cap_net_bind_service=+ep \"$(command -v portolan)\"`, or listen only on ports from 1024 up (--ports)",
        list(.0)
    )]
    Privileged(Vec<String>),
    /// Every bind failed.
    #[error("no port could be opened: {}", .0.join("; "))]
    NothingBound(Vec<String>),
    /// The log file could not be written.
    #[error("cannot write the hit log: {0}")]
    Log(#[source] std::io::Error),
    /// The async runtime could not serve a socket.
    #[error("cannot serve {address}: {source}")]
    Serve {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

fn list(items: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}
