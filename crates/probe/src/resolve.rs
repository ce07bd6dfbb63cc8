//! One host to probe (`audit --endpoint-mapper`), read with the one target grammar
//! (`portolan_core::target`): an address literal as it is, a name through the resolver.
//! Many hosts (`check`): [`hosts`] looks every name up in parallel, and a name that does not
//! resolve becomes a host that is not probed rather than the end of the check.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use portolan_core::target::{TargetError, TargetList, TargetSpec};
use tokio::sync::Semaphore;

use crate::engine::Host;
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

/// How long one name may take to resolve before its host is an ERROR.
pub const NAME_TIMEOUT: Duration = Duration::from_secs(5);
/// Most names looked up at once (each look-up holds a thread of the blocking pool).
pub const NAMES_IN_FLIGHT: usize = 32;

/// The hosts of parsed targets, in the order given, each once: every name looked up in
/// parallel (at most [`NAMES_IN_FLIGHT`] at once, each within `timeout`); a name that does not
/// resolve is a host of its own that [`Host::unresolved`] says why, so the others are still
/// checked. Addresses, networks and ranges are taken as they are; a scope that names no
/// interface of this machine is bad input, the error.
pub async fn hosts(specs: &[TargetSpec], timeout: Duration) -> Result<Vec<Host>, TargetError> {
    let names: Vec<String> = specs
        .iter()
        .filter_map(|spec| match spec {
            TargetSpec::Name(name) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let answers = lookup_all(names, timeout).await;
    let mut hosts: Vec<Host> = Vec::new();
    for spec in specs {
        let found = match spec {
            TargetSpec::Name(name) => match answers.get(name) {
                Some(Err(problem)) => {
                    if !hosts.iter().any(|h| &h.name == name) {
                        hosts.push(Host::unresolved(name.clone(), problem.clone()));
                    }
                    continue;
                }
                _ => TargetList::build(std::slice::from_ref(spec), |name| {
                    answers
                        .get(name)
                        .cloned()
                        .unwrap_or_else(|| Err("was not looked up".to_string()))
                }),
            },
            other => TargetList::build(std::slice::from_ref(other), |_| {
                Err("a literal needs no look-up".to_string())
            }),
        };
        for host in Host::from_targets(&found?) {
            if !hosts.iter().any(|h| h.name == host.name) {
                hosts.push(host);
            }
        }
    }
    Ok(hosts)
}

/// Looks every name up with the system resolver, in parallel and bounded.
async fn lookup_all(
    names: Vec<String>,
    timeout: Duration,
) -> HashMap<String, Result<IpAddr, String>> {
    let permits = Arc::new(Semaphore::new(NAMES_IN_FLIGHT));
    let mut lookups = tokio::task::JoinSet::new();
    let mut answers = HashMap::new();
    for name in names {
        if answers.contains_key(&name) {
            continue;
        }
        answers.insert(name.clone(), Err("was not looked up".to_string()));
        let permits = Arc::clone(&permits);
        lookups.spawn(async move {
            let _permit = permits.acquire_owned().await.ok();
            let answer = match tokio::time::timeout(timeout, lookup(&name)).await {
                Ok(answer) => answer,
                Err(_) => Err(format!(
                    "does not resolve: no answer from the resolver within {} ms",
                    timeout.as_millis()
                )),
            };
            (name, answer)
        });
    }
    while let Some(done) = lookups.join_next().await {
        if let Ok((name, answer)) = done {
            answers.insert(name, answer);
        }
    }
    answers
}

/// The first address of a name, as `portolan_core::target::system_lookup` words failures.
async fn lookup(name: &str) -> Result<IpAddr, String> {
    let mut addresses = tokio::net::lookup_host((name, 0u16))
        .await
        .map_err(|e| format!("does not resolve: {e}"))?;
    addresses
        .next()
        .map(|a| a.ip())
        .ok_or_else(|| "does not resolve: the resolver returned no address".to_string())
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

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_a_host_of_its_own() {
        let specs: Vec<TargetSpec> = ["127.0.0.1", "nowhere.invalid", "localhost", "127.0.0.1"]
            .iter()
            .map(|t| TargetSpec::parse(t).unwrap())
            .collect();
        let hosts = hosts(&specs, NAME_TIMEOUT).await.unwrap();
        let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["127.0.0.1", "nowhere.invalid", "localhost"]);
        assert_eq!(hosts[0].unresolved, None);
        let problem = hosts[1].unresolved.as_deref().unwrap_or_default();
        assert!(problem.starts_with("does not resolve"), "{problem}");
        assert!(hosts[2].address.is_loopback(), "{:?}", hosts[2]);
    }
}
