//! `portolan listen`: stand in for a server that does not exist yet, so that a firewall
//! change can be proven before the server is built.
//!
//! [`Listener::bind`] opens every TCP and UDP port of a selection on the given addresses at
//! once (a port in use is skipped and reported; a privileged port without the privilege is
//! an error that names the fix). [`Listener::serve`] then answers each protocol the way a
//! real server of the port would ([`respond`]): a refusal or status on UDP, so that a
//! checker sees LISTENING with evidence rather than LISTENING OR FILTERED, and the greeting
//! on TCP ports where the server speaks first. The portolan hello
//! (`portolan_wire::hello`) is answered on every port: `portolan check --expect-listener`
//! sends it with a random token, and the echoed token proves that the probe reached this
//! listener and not a SYN proxy.
//!
//! Never an amplifier: a UDP answer is never larger than its request, each source gets at
//! most [`DEFAULT_RATE_LIMIT`] answers a second, and broadcast or multicast sources are
//! never answered ([`limit`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), portolan_listen::ListenError> {
//! use portolan_catalog::Transport;
//! use portolan_listen::{Listener, Port, ServeOptions};
//! let ports = vec![Port { transport: Transport::Udp, port: 5353, label: String::new() }];
//! let listener = Listener::bind(ports, &portolan_listen::default_addresses())?;
//! let stop = tokio::time::sleep(std::time::Duration::from_secs(60));
//! let summary = listener.serve(ServeOptions::default(), None, |_| {}, stop).await?;
//! print!("{}", summary.text());
//! # Ok(()) }
//! ```

pub mod bind;
mod error;
pub mod limit;
pub mod mapper;
pub mod respond;
pub mod serve;
pub mod summary;

pub use bind::{Port, Skipped, default_addresses};
pub use error::ListenError;
pub use serve::{DEFAULT_RATE_LIMIT, Hit, Listener, RpcStandIn, ServeOptions};
pub use summary::{PortSummary, Summary};

/// Completes on Ctrl-C (SIGINT), on SIGTERM, or when `duration` has passed: the `stop` of
/// [`Listener::serve`] for a command line. A signal that cannot be watched is never
/// taken as one.
pub async fn until_stopped(duration: Option<std::time::Duration>) {
    let interrupted = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminated = async {
        #[cfg(unix)]
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
            return;
        }
        std::future::pending::<()>().await;
    };
    let elapsed = async {
        match duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupted => {}
        () = terminated => {}
        () = elapsed => {}
    }
}
