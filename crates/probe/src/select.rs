//! What to check on a host: ports from services, roles, a port spec, or the catalog's
//! well-known ports, each with the catalog rows that explain it.

use std::collections::BTreeMap;

use portolan_catalog::model::RowFilter;
use portolan_catalog::{Catalog, PortRange, PortSpec, PortSpecError, Ports, Transport};

use crate::error::SelectError;

/// Most ports a single `--ports` range or catalog range may add, so that a typo such as
/// `tcp:1-65535` in a check does not start 65,535 verifications. `scan` is the tool for sweeps.
pub const MAX_PORTS: usize = 4096;

/// A catalog row that a checked port stands for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowLabel {
    /// Service id.
    pub service_id: String,
    /// Service display name.
    pub service: String,
    /// Application protocol of the row.
    pub app_protocol: String,
}

/// One transport/port to check, with what it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// TCP or UDP.
    pub transport: Transport,
    /// The port.
    pub port: u16,
    /// The catalog rows on this port among the selected services (all catalog rows on it when
    /// the port came from `--ports`).
    pub rows: Vec<RowLabel>,
}

/// A selected row that cannot be checked by connecting to a port, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unchecked {
    /// The row.
    #[serde(flatten)]
    pub row: RowLabel,
    /// `gre`, `esp`, `tcp`...
    pub transport: String,
    /// The port as text (`dynamic RPC`, `n/a`).
    pub port: String,
    /// Why it is not checked.
    pub reason: String,
}

/// Dynamic RPC rows of the selection: their services are looked up in the endpoint mapper.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DynamicRpc {
    /// Service ids whose rows say "randomly allocated high TCP ports".
    pub services: Vec<String>,
}

/// A service to check: every row of it, or the rows a role entry takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceChoice {
    /// Catalog service id.
    pub id: String,
    /// The rows to check; every row when it takes all.
    pub rows: RowFilter,
}

impl ServiceChoice {
    /// Every row of the service `id`, as `--service` asks.
    pub fn whole(id: impl Into<String>) -> ServiceChoice {
        ServiceChoice {
            id: id.into(),
            rows: RowFilter::all(),
        }
    }

    /// Adds `choice` to `choices`, widening the rows of an earlier choice of the same service.
    pub fn merge_into(choices: &mut Vec<ServiceChoice>, choice: ServiceChoice) {
        match choices.iter_mut().find(|c| c.id == choice.id) {
            Some(earlier) => earlier.rows.union(&choice.rows),
            None => choices.push(choice),
        }
    }
}

/// The result of selecting ports.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Ports to probe, in (transport, port) order.
    pub targets: Vec<Target>,
    /// Rows that cannot be probed, with the reason.
    pub unchecked: Vec<Unchecked>,
    /// Services reached through dynamic RPC ports.
    pub dynamic_rpc: DynamicRpc,
}

/// Builds the selection: the rows each choice takes of its service, and the ports of the
/// spec. With no services and no port spec, every fixed listener port of the catalog is
/// selected.
pub fn select(
    catalog: &Catalog,
    services: &[ServiceChoice],
    port_spec: &[(Transport, PortRange)],
) -> Result<Selection, SelectError> {
    let mut targets: BTreeMap<(Transport, u16), Vec<RowLabel>> = BTreeMap::new();
    let mut selection = Selection::default();
    let everything = services.is_empty() && port_spec.is_empty();
    let all_rows = RowFilter::all();
    let chosen: Vec<(&portolan_catalog::Service, &RowFilter)> = if everything {
        catalog.services().iter().map(|s| (s, &all_rows)).collect()
    } else {
        services
            .iter()
            .map(|choice| {
                catalog
                    .resolve_service(&choice.id)
                    .map(|s| (s, &choice.rows))
                    .map_err(SelectError::from)
            })
            .collect::<Result<_, _>>()?
    };
    for (service, rows) in chosen {
        for row in service.ports.iter().filter(|r| rows.includes(r)) {
            let label = RowLabel {
                service_id: service.id.clone(),
                service: service.name.clone(),
                app_protocol: row.app.clone(),
            };
            let unchecked = |reason: String| Unchecked {
                row: label.clone(),
                transport: row.transport.key(),
                port: row.port_text(),
                reason,
            };
            if !row.listener {
                selection.unchecked.push(unchecked(format!(
                    "not a listener according to erratum {}",
                    row.errata.join(", ")
                )));
                continue;
            }
            match (row.transport, row.port) {
                (Transport::Ip(n), _) => selection.unchecked.push(unchecked(format!(
                    "IP protocol {n} ({}) has no ports: a connect or datagram probe cannot test it; \
                     only its own tunnel (PPTP, IPsec) can",
                    row.transport
                ))),
                (_, Some(PortSpec::RpcDynamic)) => {
                    if !selection.dynamic_rpc.services.contains(&service.id) {
                        selection.dynamic_rpc.services.push(service.id.clone());
                    }
                }
                (_, Some(PortSpec::FtpPassive)) => selection.unchecked.push(unchecked(
                    "FTP passive data ports are opened one at a time after a PASV command; \
                     they cannot be probed in advance"
                        .to_string(),
                )),
                (_, Some(spec)) => {
                    if everything && row.optional {
                        continue;
                    }
                    let (a, b) = spec.fixed_range().unwrap_or((1, 0));
                    check_count(usize::from(b - a) + 1)?;
                    for port in a..=b {
                        targets
                            .entry((row.transport, port))
                            .or_default()
                            .push(label.clone());
                    }
                }
                (_, None) => {}
            }
        }
    }
    for &(transport, range) in port_spec {
        check_count(range.len() as usize)?;
        for port in range.ports() {
            let entry = targets.entry((transport, port)).or_default();
            if entry.is_empty() {
                *entry = catalog_rows_on(catalog, transport, port);
            }
        }
    }
    check_count(targets.len())?;
    selection.targets = targets
        .into_iter()
        .map(|((transport, port), rows)| Target {
            transport,
            port,
            rows,
        })
        .collect();
    Ok(selection)
}

/// The catalog's listener rows whose fixed port or range holds `port`.
pub fn catalog_rows_on(catalog: &Catalog, transport: Transport, port: u16) -> Vec<RowLabel> {
    catalog
        .rows()
        .filter(|(_, r)| r.listens_on(transport, port))
        .map(|(s, r)| RowLabel {
            service_id: s.id.clone(),
            service: s.name.clone(),
            app_protocol: r.app.clone(),
        })
        .collect()
}

fn check_count(n: usize) -> Result<(), SelectError> {
    if n > MAX_PORTS {
        Err(SelectError::TooManyPorts(n))
    } else {
        Ok(())
    }
}

/// The transports a bare port of `--ports` takes in a check: TCP, as in PortQry (`-p tcp`
/// is its default) and nmap; write `udp:53` or `53/udp` for UDP.
pub const DEFAULT_TRANSPORTS: &[Transport] = &[Transport::Tcp];

/// The ports of a `--ports` spec, in the workspace's one port grammar
/// ([`portolan_catalog::portspec`]), bare ports on [`DEFAULT_TRANSPORTS`].
pub fn parse_port_spec(
    catalog: &Catalog,
    text: &str,
) -> Result<Vec<(Transport, PortRange)>, PortSpecError> {
    Ports::parse(text)?.resolve(catalog, DEFAULT_TRANSPORTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_ports_of_a_check_are_tcp() {
        let catalog = Catalog::builtin().unwrap();
        let spec = parse_port_spec(&catalog, "tcp:80 udp:53 445").unwrap();
        let single = |t, p| (t, PortRange::single(p));
        assert_eq!(
            spec,
            [
                single(Transport::Tcp, 80),
                single(Transport::Udp, 53),
                single(Transport::Tcp, 445)
            ]
        );
        for bad in [
            "",
            "sctp:1",
            "tcp:0",
            "udp:70000",
            "tcp:9-3",
            "tcp:a",
            "gre",
        ] {
            assert!(parse_port_spec(&catalog, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_service_selects_its_listener_rows() {
        let catalog = Catalog::builtin().unwrap();
        let s = select(
            &catalog,
            &[ServiceChoice::whole("local-security-authority")],
            &[],
        )
        .unwrap();
        let ports: Vec<(Transport, u16)> =
            s.targets.iter().map(|t| (t.transport, t.port)).collect();
        assert!(ports.contains(&(Transport::Tcp, 636)));
        assert!(
            !ports.contains(&(Transport::Udp, 636)),
            "LDAP SSL over UDP is spurious"
        );
        assert!(ports.contains(&(Transport::Udp, 4500)));
        assert_eq!(s.dynamic_rpc.services, ["local-security-authority"]);
        assert!(
            s.unchecked
                .iter()
                .any(|u| u.port == "636" && u.transport == "udp")
        );
    }

    #[test]
    fn ip_protocols_and_passive_ftp_are_unchecked_with_reasons() {
        let catalog = Catalog::builtin().unwrap();
        let s = select(
            &catalog,
            &[
                ServiceChoice::whole("routing-remote-access"),
                ServiceChoice::whole("ftp-publishing"),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            s.unchecked.iter().filter(|u| u.transport == "gre").count(),
            1
        );
        assert!(s.unchecked.iter().any(|u| u.reason.contains("PASV")));
        assert_eq!(s.targets.len(), 4); // 1701/udp, 1723/tcp, 21/tcp, 20/tcp
    }

    #[test]
    fn explicit_ports_are_named_from_the_catalog() {
        let catalog = Catalog::builtin().unwrap();
        let spec = parse_port_spec(&catalog, "tcp:88 udp:9999").unwrap();
        let s = select(&catalog, &[], &spec).unwrap();
        assert_eq!(s.targets[0].rows[0].service_id, "kerberos-kdc");
        assert!(s.targets[1].rows.is_empty());
        assert!(matches!(
            select(&catalog, &[], &[(Transport::Tcp, PortRange::ALL)]),
            Err(SelectError::TooManyPorts(65535))
        ));
    }

    #[test]
    fn no_selection_means_the_catalogs_well_known_ports() {
        let catalog = Catalog::builtin().unwrap();
        let s = select(&catalog, &[], &[]).unwrap();
        assert!(s.targets.len() > 90);
        assert!(
            !s.targets.iter().any(|t| t.port == 8098),
            "optional rows are left out"
        );
        assert_eq!(s.dynamic_rpc.services.len(), 15);
    }

    fn key(text: &str) -> portolan_catalog::model::RowKey {
        text.parse().unwrap()
    }

    #[test]
    fn a_choice_with_rows_selects_only_those() {
        let catalog = Catalog::builtin().unwrap();
        let ike = ServiceChoice {
            id: "local-security-authority".into(),
            rows: RowFilter::only([key("udp/500"), key("udp/4500")]),
        };
        let s = select(&catalog, &[ike], &[]).unwrap();
        let ports: Vec<(Transport, u16)> =
            s.targets.iter().map(|t| (t.transport, t.port)).collect();
        assert_eq!(ports, [(Transport::Udp, 500), (Transport::Udp, 4500)]);
        assert!(
            s.dynamic_rpc.services.is_empty(),
            "no dynamic RPC row is taken, so the endpoint mapper is not asked"
        );
        assert!(
            s.unchecked.is_empty(),
            "the spurious UDP 636 row is not taken"
        );

        // Rows that cannot be probed are reported only when taken.
        let esp = ServiceChoice {
            id: "routing-remote-access".into(),
            rows: RowFilter::only([key("esp"), key("udp/1701")]),
        };
        let s = select(&catalog, &[esp], &[]).unwrap();
        assert_eq!(s.targets.len(), 1);
        let unchecked: Vec<&str> = s.unchecked.iter().map(|u| u.transport.as_str()).collect();
        assert_eq!(unchecked, ["esp"]);
    }

    #[test]
    fn merged_choices_widen_and_a_whole_choice_takes_every_row() {
        let mut choices = Vec::new();
        let rows = |keys: &[&str]| RowFilter::only(keys.iter().map(|k| key(k)));
        let lsa = "local-security-authority";
        ServiceChoice::merge_into(
            &mut choices,
            ServiceChoice {
                id: lsa.into(),
                rows: rows(&["tcp/389"]),
            },
        );
        ServiceChoice::merge_into(
            &mut choices,
            ServiceChoice {
                id: lsa.into(),
                rows: rows(&["tcp/3268"]),
            },
        );
        assert_eq!(choices.len(), 1);
        let catalog = Catalog::builtin().unwrap();
        let s = select(&catalog, &choices, &[]).unwrap();
        let ports: Vec<u16> = s.targets.iter().map(|t| t.port).collect();
        assert_eq!(ports, [389, 3268]);
        ServiceChoice::merge_into(&mut choices, ServiceChoice::whole(lsa));
        assert!(choices[0].rows.is_all());
    }
}
