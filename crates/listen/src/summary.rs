//! What a run of the listener saw: per port, hits and sources; and what was not opened.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::bind::Skipped;

/// One port served.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PortSummary {
    /// "tcp" or "udp".
    pub transport: String,
    /// The port.
    pub port: u16,
    /// What the catalog says listens there.
    pub label: String,
    /// The addresses it was open on.
    pub addresses: Vec<SocketAddr>,
    /// Connections or datagrams that arrived.
    pub hits: u64,
    /// Those answered.
    pub answered: u64,
    /// Datagrams not answered because their source was over the rate limit.
    pub rate_limited: u64,
    /// The first sources seen (at most 16).
    pub sources: Vec<IpAddr>,
}

/// The end of a run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// How long it listened.
    #[serde(serialize_with = "seconds")]
    pub ran_for: Duration,
    /// Every port served, hit or not, in the selection's order.
    pub ports: Vec<PortSummary>,
    /// What could not be opened.
    pub skipped: Vec<Skipped>,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Summary {
    /// The ports that got at least one hit.
    pub fn hit(&self) -> impl Iterator<Item = &PortSummary> {
        self.ports.iter().filter(|p| p.hits > 0)
    }

    /// The ports that got none.
    pub fn not_hit(&self) -> impl Iterator<Item = &PortSummary> {
        self.ports.iter().filter(|p| p.hits == 0)
    }

    /// The summary as text: hit ports with their counts and sources, then the ports no
    /// packet reached, then what was skipped.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let hit: Vec<_> = self.hit().collect();
        let not_hit: Vec<_> = self.not_hit().collect();
        let _ = writeln!(
            out,
            "listened {:.1}s on {} ports: {} hit, {} not hit",
            self.ran_for.as_secs_f64(),
            self.ports.len(),
            hit.len(),
            not_hit.len()
        );
        if !hit.is_empty() {
            let _ = writeln!(out, "hit:");
            for p in &hit {
                let sources: Vec<String> = p.sources.iter().map(IpAddr::to_string).collect();
                let limited = if p.rate_limited > 0 {
                    format!(", {} over the rate limit", p.rate_limited)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "  {} {:<5} {} hits, {} answered{limited}, from {}{}",
                    p.transport.to_uppercase(),
                    p.port,
                    p.hits,
                    p.answered,
                    sources.join(" "),
                    label(&p.label)
                );
            }
        }
        if !not_hit.is_empty() {
            let _ = writeln!(out, "not hit (blocked on the way, or not tried):");
            for p in &not_hit {
                let _ = writeln!(
                    out,
                    "  {} {:<5}{}",
                    p.transport.to_uppercase(),
                    p.port,
                    label(&p.label)
                );
            }
        }
        if !self.skipped.is_empty() {
            let _ = writeln!(out, "not opened:");
            for s in &self.skipped {
                let _ = writeln!(
                    out,
                    "  {} {}: {}",
                    s.transport.to_uppercase(),
                    s.address,
                    s.reason
                );
            }
        }
        out
    }
}

fn label(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("  ({text})")
    }
}
