//! Host names and addresses to probe.

use std::net::IpAddr;

use crate::error::ResolveError;

/// The address to probe for `host`: an IPv4 or IPv6 literal (brackets allowed), or the first
/// address the system resolver gives for a name.
pub async fn resolve(host: &str) -> Result<IpAddr, ResolveError> {
    let trimmed = host.trim();
    let literal = trimmed
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(trimmed);
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(ip);
    }
    if trimmed.is_empty() {
        return Err(ResolveError {
            host: host.to_string(),
            problem: "empty host".to_string(),
        });
    }
    let mut addrs = tokio::net::lookup_host((trimmed, 0))
        .await
        .map_err(|e| ResolveError {
            host: host.to_string(),
            problem: e.to_string(),
        })?;
    addrs.next().map(|a| a.ip()).ok_or_else(|| ResolveError {
        host: host.to_string(),
        problem: "the resolver returned no address".to_string(),
    })
}
