//! A version view: the catalog as a Windows Server version has it, materialised from the seed
//! catalog and the modern layer, so every command keeps working on a [`Catalog`].
//!
//! At 2003 the view is the seed catalog itself (with each row's provenance filled in). Later,
//! each service has [`Modern::service_rows`] at that version, the layer's new services are
//! added, services the version no longer ships are gone, dynamic specs stand for the version's
//! range, and the roles are today's (`data/modern-roles.toml`), with seed roles the file does
//! not restate and roles of `--catalog` files kept.
//!
//! ```
//! use portolan_catalog::{Catalog, Modern, WindowsVersion, parse_port_query};
//!
//! let seed = Catalog::builtin().expect("the seed catalog is valid");
//! let modern = Modern::builtin(&seed).expect("the layer is valid");
//! let today = seed.at(&modern, WindowsVersion::W2025);
//! let rows = today.rows_on(&parse_port_query("9389").unwrap());
//! assert!(rows.iter().any(|r| r.service.id == "ad-web-services"));
//! ```

use crate::Catalog;
use crate::model::{PortRow, PortSpec, Provenance, Role, Service, Status};
use crate::modern::{Modern, ModernService, RowOrigin, VersionRow, WindowsVersion};

/// The source key of rows that come from a `--catalog` file.
pub const USER_SOURCE: &str = "user";

/// The product the layer's new services belong to.
const LAYER_PRODUCT: &str = "Windows Server";

impl Catalog {
    /// The catalog as `version` has it.
    pub fn at(&self, modern: &Modern, version: WindowsVersion) -> Catalog {
        let mut view = if version == WindowsVersion::W2003 {
            let mut view = self.clone();
            for service in &mut view.services {
                let layer = modern.service(&service.id);
                for row in &mut service.ports {
                    row.provenance = Some(seed_provenance(service.user_defined, layer, row));
                }
            }
            view
        } else {
            Catalog {
                services: self.services_at(modern, version),
                errata: self.errata.clone(),
                roles: Vec::new(),
                version: None,
                dynamic_ranges: Vec::new(),
                search_texts: Default::default(),
                service_names: Default::default(),
                role_names: Default::default(),
            }
        };
        if version != WindowsVersion::W2003 {
            // Nothing has read the view's derived data yet (the name indexes), so changing
            // its roles here leaves none stale.
            view.roles = self.roles_at(modern, version, &view);
        }
        view.version = Some(version);
        view.dynamic_ranges = [PortSpec::RpcDynamic, PortSpec::FtpPassive]
            .into_iter()
            .filter_map(|spec| modern.dynamic_range(spec, version).map(|r| (spec, r)))
            .collect();
        view
    }

    /// The version this catalog is a view of; `None` for a catalog read from files.
    pub fn version(&self) -> Option<WindowsVersion> {
        self.version
    }

    /// The ranges a port of `spec` may lie in: the version's range in a view, else the
    /// spec's candidate ranges (both dynamic RPC ranges for the seed).
    pub fn ranges_of(&self, spec: PortSpec) -> Vec<(u16, u16)> {
        if let Some(range) = spec.fixed_range() {
            return vec![range];
        }
        let view: Vec<(u16, u16)> = self
            .dynamic_ranges
            .iter()
            .filter(|(s, _)| *s == spec)
            .map(|(_, r)| *r)
            .collect();
        if view.is_empty() || self.version == Some(WindowsVersion::W2003) {
            // The seed's view keeps today's behaviour: both ranges.
            spec.candidate_ranges().to_vec()
        } else {
            view
        }
    }

    fn services_at(&self, modern: &Modern, version: WindowsVersion) -> Vec<Service> {
        let mut out: Vec<Service> = Vec::new();
        for service in &self.services {
            let layer = modern.service(&service.id);
            // A user service that takes the id of a new layer service is the user's.
            let users_own = service.user_defined && layer.is_some_and(|l| l.seed.is_none());
            if users_own {
                out.push(with_provenance(service.clone(), None));
                continue;
            }
            let rows = modern.service_rows(self, &service.id, version);
            if rows.is_empty() {
                continue;
            }
            let ports = rows
                .iter()
                .filter_map(|r| view_row(service, layer, r))
                .collect();
            let mut s = service.clone();
            s.ports = ports;
            if let Some(l) = layer {
                // The seed's name stays the name of its port table, so it still resolves.
                if s.table_name.is_none() && l.name != service.name {
                    s.table_name = Some(service.name.clone());
                }
                s.name = l.name.clone();
                if l.windows_service.is_some() {
                    s.windows_service = l.windows_service.clone();
                }
                s.summary = l.summary.clone();
                s.notes.extend(l.notes.iter().cloned());
                s.legacy |= l.until.is_some();
            }
            out.push(s);
        }
        for layer in modern.services() {
            if layer.seed.is_some() || !layer.applies_to(version) {
                continue;
            }
            if self.service(&layer.id).is_some() {
                continue;
            }
            let rows = modern.service_rows(self, &layer.id, version);
            if rows.is_empty() {
                continue;
            }
            let ports: Vec<PortRow> = rows
                .iter()
                .filter_map(|r| layer_row(layer, r, None))
                .collect();
            out.push(Service {
                id: layer.id.clone(),
                name: layer.name.clone(),
                table_name: None,
                windows_service: layer.windows_service.clone(),
                process: None,
                product: LAYER_PRODUCT.to_string(),
                summary: layer.summary.clone(),
                status: Status::OnByDefault,
                legacy: layer.until.is_some(),
                risk: None,
                notes: layer.notes.clone(),
                configurable: Vec::new(),
                errata: Vec::new(),
                ports,
                user_defined: false,
            });
        }
        out
    }

    /// Today's roles at `version` over `view`'s services: the layer's roles, then the seed's
    /// roles the layer does not restate, with roles of `--catalog` files in place of either;
    /// entries whose service the version lacks are left out.
    fn roles_at(&self, modern: &Modern, version: WindowsVersion, view: &Catalog) -> Vec<Role> {
        let mut roles: Vec<Role> = Vec::new();
        for role in modern.roles() {
            if let Some(user) = self
                .roles
                .iter()
                .find(|r| r.id == role.id && r.user_defined)
            {
                roles.push(user.clone());
            } else if let Some(r) = role.at(version) {
                roles.push(r);
            }
        }
        for role in &self.roles {
            if !roles.iter().any(|r| r.id == role.id) {
                roles.push(role.clone());
            }
        }
        for role in &mut roles {
            role.services.retain(|e| view.service(&e.service).is_some());
        }
        roles.retain(|r| !r.services.is_empty());
        roles
    }
}

/// A seed service's row as the 2003 view annotates it: the layer row that restates it, if
/// any, gives its sources, end and change.
fn seed_provenance(user: bool, layer: Option<&ModernService>, row: &PortRow) -> Provenance {
    let restated = layer.and_then(|l| {
        l.rows
            .iter()
            .find(|m| m.seed_row == Some(row.key()) && m.named(&row.app))
    });
    let service_until = layer.and_then(|l| l.until);
    let until = match (restated.and_then(|m| m.until), service_until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Provenance {
        sources: match restated {
            _ if user => vec![USER_SOURCE.to_string()],
            Some(m) => m.sources.clone(),
            None => vec!["seed".to_string()],
        },
        since: WindowsVersion::W2003,
        until,
        change: restated.map(|m| m.change),
    }
}

fn with_provenance(mut service: Service, until: Option<WindowsVersion>) -> Service {
    let user = service.user_defined;
    for row in &mut service.ports {
        row.provenance = Some(Provenance {
            sources: vec![if user { USER_SOURCE } else { "seed" }.to_string()],
            since: WindowsVersion::W2003,
            until,
            change: None,
        });
    }
    service
}

/// A row of a seed service at a version: the seed's own row, or a layer row (keeping the
/// seed row's table position and errata when it restates one).
fn view_row(service: &Service, layer: Option<&ModernService>, row: &VersionRow) -> Option<PortRow> {
    let seed = row.seed_index.and_then(|i| service.ports.get(i));
    match (row.origin, layer) {
        (RowOrigin::Layer, Some(l)) => {
            // A layer row that restates a seed row the `--catalog` files replaced gives way
            // to them: the user's rows say where the service listens.
            let restates = row
                .layer_index
                .and_then(|i| l.rows.get(i))
                .is_some_and(|m| m.seed_row.is_some());
            if restates && seed.is_none() {
                return None;
            }
            layer_row(l, row, seed)
        }
        _ => {
            let seed = seed?;
            let mut out = seed.clone();
            out.provenance = Some(Provenance {
                sources: vec![
                    if service.user_defined {
                        USER_SOURCE
                    } else {
                        "seed"
                    }
                    .to_string(),
                ],
                since: WindowsVersion::W2003,
                until: layer.and_then(|l| l.until),
                change: None,
            });
            Some(out)
        }
    }
}

fn layer_row(layer: &ModernService, row: &VersionRow, seed: Option<&PortRow>) -> Option<PortRow> {
    let m = row.layer_index.and_then(|i| layer.rows.get(i))?;
    let until = match (m.until, layer.until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Some(PortRow {
        app: m.app.clone(),
        transport: m.transport,
        port: m.port,
        table: seed.and_then(|s| s.table),
        errata: seed.map(|s| s.errata.clone()).unwrap_or_default(),
        from_prose: m.from_prose,
        optional: m.optional,
        listener: seed.is_none_or(|s| s.listener),
        provenance: Some(Provenance {
            sources: m.sources.clone(),
            since: m.since,
            until,
            change: Some(m.change),
        }),
    })
}
