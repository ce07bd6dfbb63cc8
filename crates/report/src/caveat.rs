//! Caveats a report of results needs: what a verdict on these ports cannot say. The plan's
//! caveats (`portolan_plan`'s `caveat` module) say the same about rules; here they are worded
//! for results, in our own words.

use portolan_core::Verdict;

use crate::read::{Results, Transport};

/// One caveat: a title and its explanation, plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultCaveat {
    /// Stable id (`rpc-dynamic`, `tftp-reply`, `ftp-data`, `udp-silence`).
    pub id: &'static str,
    /// One line.
    pub title: &'static str,
    /// The explanation, one sentence per element.
    pub lines: &'static [&'static str],
    /// Hosts it applies to.
    pub hosts: Vec<String>,
}

/// A caveat's id, title and lines.
type Text = (&'static str, &'static str, &'static [&'static str]);

const RPC: Text = (
    "rpc-dynamic",
    "Dynamic RPC: a port seen is not the range a firewall must admit",
    &[
        "RPC servers listen on ports the endpoint mapper (TCP 135) hands out at run time; the ports checked are the ones it named when the check ran.",
        "After a restart the services take other ports from the dynamic range: 49152-65535 on Windows Vista, Server 2008 and later, 1025-5000 on Windows 2000, XP and Server 2003.",
        "A firewall must admit the whole range (or use Windows' RPC and RPC endpoint mapper keywords); `portolan plan --rpc-range A-B` writes rules for a narrowed range.",
    ],
);

const TFTP: Text = (
    "tftp-reply",
    "TFTP: the transfer comes from another port",
    &[
        "A TFTP server takes requests on UDP 69 but sends each transfer from a new port it picks at random; the client then talks to that port.",
        "A verdict on UDP 69 says nothing about that traffic: a stateful firewall admits it as a reply, a stateless filter must open UDP 1024-65535, and NAT needs a TFTP helper (Linux: nf_conntrack_tftp).",
    ],
);

const FTP: Text = (
    "ftp-data",
    "FTP: data connections are not checked",
    &[
        "Only FTP's control connection (TCP 21) is probed. In active mode the server connects out from TCP 20 to a port the client names; in passive mode the client connects to a port the server picks from its passive range.",
        "Neither port exists until a transfer starts, so no check can see it: the firewall needs the passive range opened (matching the server's setting) or an FTP helper, which cannot read an encrypted (FTPS) control channel.",
    ],
);

const UDP: Text = (
    "udp-silence",
    "UDP silence: LISTENING OR FILTERED is not an answer",
    &[
        "A UDP service that ignores a probe and a firewall that drops it both stay silent, so the check cannot tell them apart.",
        "portolan sends each protocol's own request where it knows one, so a real service usually answers; a silent port needs a look from the server's side (`portolan audit`).",
    ],
);

fn hosts_where(results: &Results, test: impl Fn(&crate::read::Observation) -> bool) -> Vec<String> {
    let mut hosts: Vec<String> = results
        .observations
        .iter()
        .filter(|o| test(o))
        .map(|o| o.host.clone())
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// The caveats the results call for, in a fixed order.
pub fn caveats(results: &Results) -> Vec<ResultCaveat> {
    let checks: [(Text, Vec<String>); 4] = [
        (
            RPC,
            hosts_where(results, |o| {
                o.from_endpoint_mapper || (o.key.transport == Transport::Tcp && o.key.port == 135)
            }),
        ),
        (
            TFTP,
            hosts_where(results, |o| {
                o.key.transport == Transport::Udp && o.key.port == 69
            }),
        ),
        (
            FTP,
            hosts_where(results, |o| {
                o.key.transport == Transport::Tcp && matches!(o.key.port, 20 | 21)
            }),
        ),
        (
            UDP,
            hosts_where(results, |o| o.verdict == Verdict::ListeningOrFiltered),
        ),
    ];
    checks
        .into_iter()
        .filter(|(_, hosts)| !hosts.is_empty())
        .map(|((id, title, lines), hosts)| ResultCaveat {
            id,
            title,
            lines,
            hosts,
        })
        .collect()
}
