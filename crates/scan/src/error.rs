//! Errors of target and port parsing, name resolution and engine start-up. Each names the
//! input, the problem and a fix, so the CLI can print it as it is.

pub use portolan_core::target::TargetError;

/// Why a UDP sweep could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// More probes than a UDP sweep takes.
    #[error(
        "--udp over {addresses} addresses x {ports} ports is {probes} probes, more than {max}; \
         closed UDP ports answer at the pace of the target's ICMP rate limit, so narrow \
         the ports (-p catalog, -p role:NAME) or the hosts",
        max = crate::udp::MAX_PROBES
    )]
    TooManyUdpProbes {
        /// Addresses.
        addresses: u64,
        /// Ports per address.
        ports: usize,
        /// Their product.
        probes: u64,
    },
    /// The async runtime of the probe engine could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// Streamed output could not be written.
    #[error("cannot write the results: {0}")]
    Output(#[source] std::io::Error),
}

/// Why the engine could not start (a scan that started always finishes).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The kernel refused an epoll instance or a thread.
    #[error(
        "cannot start the scan engine: {what}: {source}; check the open-file and thread limits (ulimit -n, ulimit -u)"
    )]
    Setup {
        /// What was being set up.
        what: &'static str,
        /// The system error.
        #[source]
        source: std::io::Error,
    },
}
