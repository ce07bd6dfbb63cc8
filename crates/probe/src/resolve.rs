//! One host to probe (`audit --endpoint-mapper`), read with the one target grammar
//! (`portolan_core::target`): an address literal as it is, a name through the resolver.
//! Commands that take many hosts use `portolan_core::target::resolve_arguments` instead.

use std::net::IpAddr;

use portolan_core::target::TargetSpec;

use crate::error::ResolveError;

/// The address to probe for `host`: an IPv4 or IPv6 literal (brackets and a scope allowed),
/// or the first address the system resolver gives for a name. A network or a range is not
/// one host.
pub async fn resolve(host: &str) -> Result<IpAddr, ResolveError> {
    let failure = |problem: String| ResolveError {
        host: host.to_string(),
        problem,
    };
    match TargetSpec::parse(host).map_err(|e| failure(format!("{}; {}", e.problem, e.fix)))? {
        TargetSpec::Address(address) => Ok(address),
        TargetSpec::Scoped(address, _) => Ok(IpAddr::V6(address)),
        TargetSpec::Name(name) => {
            let mut addrs = tokio::net::lookup_host((name.as_str(), 0))
                .await
                .map_err(|e| failure(e.to_string()))?;
            addrs
                .next()
                .map(|a| a.ip())
                .ok_or_else(|| failure("the resolver returned no address".to_string()))
        }
        TargetSpec::Network(_) | TargetSpec::Range(..) => {
            Err(failure("is a network or a range, not one host".to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn literals_names_and_sets() {
        assert_eq!(resolve("[::1]").await, Ok("::1".parse().unwrap()));
        assert_eq!(resolve("127.0.0.1").await, Ok("127.0.0.1".parse().unwrap()));
        assert_eq!(resolve("fe80::1%lo").await, Ok("fe80::1".parse().unwrap()));
        let set = resolve("10.0.0.0/24").await.unwrap_err().to_string();
        assert!(set.contains("not one host"), "{set}");
        let empty = resolve("").await.unwrap_err().to_string();
        assert!(empty.contains("empty"), "{empty}");
    }
}
