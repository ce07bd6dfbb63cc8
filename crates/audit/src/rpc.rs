//! RPC endpoints from an endpoint-mapper dump: they turn "possibly dynamic RPC" into a
//! named service.

use portolan_catalog::Transport;
use serde::Serialize;

use crate::tables::rpc_interface;

/// One `ncacn_ip_tcp` (or `ncadg_ip_udp`) endpoint an endpoint mapper registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RpcEndpoint {
    /// `tcp` for `ncacn_ip_tcp`, `udp` for `ncadg_ip_udp`.
    pub transport: Transport,
    /// The endpoint's port.
    pub port: u16,
    /// The interface UUID (`12345678-1234-ABCD-EF00-01234567CFFB`) or a short name
    /// (`netlogon`).
    pub interface: String,
    /// The catalog service, when the caller knows it; otherwise looked up from the
    /// interface.
    pub service: Option<String>,
    /// The host the dump came from; `None` applies it to every host.
    pub host: Option<String>,
}

impl RpcEndpoint {
    /// A TCP endpoint of an interface, for every host.
    pub fn tcp(port: u16, interface: impl Into<String>) -> Self {
        RpcEndpoint {
            transport: Transport::Tcp,
            port,
            interface: interface.into(),
            service: None,
            host: None,
        }
    }
}

/// An endpoint with its interface's short name and catalog service looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedEndpoint {
    pub transport: Transport,
    pub port: u16,
    /// Short name where known, else what the caller gave.
    pub interface: String,
    pub service: Option<String>,
}

/// The endpoints that apply to `host`.
pub(crate) fn resolve_for(endpoints: &[RpcEndpoint], host: Option<&str>) -> Vec<ResolvedEndpoint> {
    endpoints
        .iter()
        .filter(|e| e.host.is_none() || e.host.as_deref() == host)
        .map(|e| {
            let known = rpc_interface(&e.interface);
            ResolvedEndpoint {
                transport: e.transport,
                port: e.port,
                interface: known.map_or_else(|| e.interface.clone(), |(name, _)| name.to_string()),
                service: e
                    .service
                    .clone()
                    .or_else(|| known.and_then(|(_, s)| s.map(str::to_string))),
            }
        })
        .collect()
}
