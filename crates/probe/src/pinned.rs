//! Pinned RPC, as the endpoint mapper shows it: which interfaces of a role are still
//! registered on a TCP port outside the ports `portolan pin` put its RPC servers on.
//!
//! The pinned ports come from `portolan-plan`'s layout (the CLI builds a [`PinCheck`] from
//! it); this module only compares them with what a mapper answered.

use portolan_catalog::{Catalog, PortRange, PortSpec, Transport};
use serde::Serialize;

use crate::rpc::RpcEndpoint;

/// What "pinned" means for one role (or set of services).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinCheck {
    /// The pinned ports: the servers' fixed ports and the narrowed range.
    pub pinned: PortRange,
    /// Fixed TCP ports of the subject's services that RPC may use besides (the endpoint
    /// mapper's 135, RPC over HTTP's 593).
    pub fixed: Vec<u16>,
    /// The subject's catalog service ids: an interface of one of them is the role's.
    pub services: Vec<String>,
    /// Interface UUIDs the pinned servers serve (some belong to no catalog service, like
    /// Samba's `unixinfo`): these are the role's too.
    pub interfaces: Vec<String>,
}

/// An interface of the role on a port outside the pinned ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutsidePin {
    /// Interface UUID.
    pub interface: String,
    /// Its short name, when known.
    pub name: Option<&'static str>,
    /// Protocol sequence.
    pub protocol: String,
    /// The port it is registered on.
    pub port: u16,
}

/// The verdict on one host's endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinVerdict {
    /// The pinned ports, `first-last`.
    pub pinned: String,
    /// The role's interfaces registered outside them; empty when the server obeys.
    pub outside: Vec<OutsidePin>,
}

impl PinVerdict {
    /// True when every interface of the role is on a pinned (or fixed) port.
    pub fn obeyed(&self) -> bool {
        self.outside.is_empty()
    }

    /// One line for a table's notes.
    pub fn summary(&self) -> String {
        if self.obeyed() {
            return format!(
                "pinned RPC: every interface of the role is on TCP {} (or a fixed port)",
                self.pinned
            );
        }
        let list: Vec<String> = self
            .outside
            .iter()
            .map(|o| format!("{} on {}", o.name.unwrap_or(&o.interface), o.port))
            .collect();
        format!(
            "pinned RPC: {} interface registration(s) OUTSIDE TCP {}: {}",
            self.outside.len(),
            self.pinned,
            list.join(", ")
        )
    }
}

impl PinCheck {
    /// The check for `services` pinned to `pinned`, with the services' fixed TCP ports taken
    /// from the catalog.
    pub fn new(
        catalog: &Catalog,
        services: Vec<String>,
        pinned: PortRange,
        interfaces: Vec<String>,
    ) -> PinCheck {
        let mut fixed: Vec<u16> = services
            .iter()
            .filter_map(|id| catalog.service(id))
            .flat_map(|s| &s.ports)
            .filter(|r| r.transport == Transport::Tcp)
            .filter_map(|r| match r.port {
                Some(PortSpec::Single(p)) => Some(p),
                _ => None,
            })
            .collect();
        fixed.sort_unstable();
        fixed.dedup();
        PinCheck {
            pinned,
            fixed,
            services,
            interfaces: interfaces
                .into_iter()
                .map(|u| u.to_ascii_lowercase())
                .collect(),
        }
    }

    fn is_the_roles(&self, endpoint: &RpcEndpoint) -> bool {
        endpoint
            .services
            .iter()
            .any(|s| self.services.iter().any(|id| id == s))
            || self
                .interfaces
                .iter()
                .any(|u| u.eq_ignore_ascii_case(&endpoint.interface))
    }

    /// The role's TCP endpoints outside the pinned and fixed ports.
    pub fn verdict(&self, endpoints: &[RpcEndpoint]) -> PinVerdict {
        let mut outside: Vec<OutsidePin> = Vec::new();
        for endpoint in endpoints {
            let Some(port) = endpoint.port else {
                continue;
            };
            if self.pinned.contains(port) || self.fixed.contains(&port) {
                continue;
            }
            if !self.is_the_roles(endpoint) {
                continue;
            }
            let found = OutsidePin {
                interface: endpoint.interface.clone(),
                name: endpoint.name,
                protocol: endpoint.protocol.clone(),
                port,
            };
            if !outside.contains(&found) {
                outside.push(found);
            }
        }
        PinVerdict {
            pinned: self.pinned.to_string(),
            outside,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(
        uuid: &str,
        name: &'static str,
        services: &[&'static str],
        port: Option<u16>,
    ) -> RpcEndpoint {
        RpcEndpoint {
            interface: uuid.to_string(),
            version: "1.0".to_string(),
            name: Some(name),
            description: None,
            services: services.to_vec(),
            protocol: if port.is_some() {
                "ncacn_ip_tcp"
            } else {
                "ncacn_np"
            }
            .to_string(),
            port,
            endpoint_name: None,
            binding: String::new(),
            annotation: String::new(),
            object: None,
        }
    }

    /// pinning.toml names its interfaces by UUID and short name; both must be the wire
    /// crate's, or `rpc --pin-rpc` could not tell them in a mapper's answer.
    #[test]
    fn every_pinned_interface_is_one_the_wire_crate_knows() {
        let catalog = Catalog::builtin().unwrap();
        let pinning = portolan_builtin::pinning(&catalog).unwrap();
        for server in &pinning.servers {
            for interface in &server.interfaces {
                let uuid: portolan_wire::dcerpc::Uuid = interface.uuid.parse().unwrap();
                let known = portolan_wire::dcerpc::names::lookup(&uuid)
                    .unwrap_or_else(|| panic!("{} {}: unknown to wire", server.id, interface.uuid));
                assert_eq!(known.name, interface.name, "{}", server.id);
            }
        }
    }

    #[test]
    fn only_the_roles_interfaces_outside_the_pinned_and_fixed_ports_count() {
        let catalog = Catalog::builtin().unwrap();
        let check = PinCheck::new(
            &catalog,
            vec![
                "local-security-authority".into(),
                "rpc".into(),
                "net-logon".into(),
            ],
            PortRange::new(10000, 10103).unwrap(),
            vec!["9C54E310-A955-4885-BD31-78787147DFA6".into()],
        );
        assert!(check.fixed.contains(&135) && check.fixed.contains(&593));
        let endpoints = [
            endpoint(
                "e3514235-4b06-11d1-ab04-00c04fc2dcd2",
                "drsuapi",
                &["local-security-authority"],
                Some(10000),
            ),
            endpoint(
                "e1af8308-5d1f-11c9-91a4-08002b14a0fa",
                "epmapper",
                &["rpc"],
                Some(135),
            ),
            endpoint(
                "12345678-1234-abcd-ef00-01234567cffb",
                "netlogon",
                &["net-logon"],
                None,
            ),
            endpoint(
                "f6beaff7-1e19-4fbb-9f8f-b89e2018337c",
                "eventlog6",
                &["event-log"],
                Some(49152),
            ),
        ];
        let verdict = check.verdict(&endpoints);
        assert!(verdict.obeyed(), "{verdict:?}");
        assert!(verdict.summary().contains("10000-10103"));
        let stray = [
            endpoint(
                "12345778-1234-abcd-ef00-0123456789ab",
                "lsarpc",
                &["local-security-authority"],
                Some(49153),
            ),
            endpoint(
                "9c54e310-a955-4885-bd31-78787147dfa6",
                "unixinfo",
                &[],
                Some(49153),
            ),
        ];
        let verdict = check.verdict(&stray);
        assert_eq!(verdict.outside.len(), 2);
        assert!(
            verdict.summary().contains("lsarpc on 49153"),
            "{}",
            verdict.summary()
        );
    }
}
