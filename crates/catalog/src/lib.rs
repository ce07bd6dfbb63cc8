//! The catalog of Windows server services and the network ports they listen on.
//!
//! The data is Microsoft's "Network Ports Used by Key Microsoft Server Products" (the
//! Windows Server 2003 era document), held in reviewed TOML files under `data/` and embedded
//! at build time: services with their rows (application protocol, transport, port), the
//! errata where the document contradicts itself, and server roles. This crate reads and
//! checks that data, merges user catalogs over it and answers look-ups. It does no I/O.
//!
//! ```
//! use portolan_catalog::{Catalog, parse_port_query};
//!
//! let catalog = Catalog::builtin().expect("the built-in catalog is valid");
//! let rows = catalog.rows_on(&parse_port_query("445").unwrap());
//! assert!(rows.iter().any(|r| r.service.windows_service.as_deref() == Some("lanmanserver")));
//! ```

pub mod changes;
pub mod compiled;
pub mod conflicts;
mod derived;
pub mod error;
pub mod load;
pub mod model;
pub mod modern;
pub mod pinning;
pub mod portspec;
pub mod query;
pub mod range;
pub mod resolve;
pub mod services_file;
pub mod transport;
pub mod view;

pub use conflicts::{ConflictsError, ExclusivePort, PortConflict, PortSharing, SharedPort};
pub use error::{CatalogError, QueryError};
pub use load::Source;
pub use model::{
    Configurable, Erratum, ErratumKind, PortRow, PortSpec, Provenance, Role, RoleService, RowKey,
    Service, SourceClass, Status, UnknownClass,
};
pub use modern::{
    DocSource, DynamicRange, KbErratum, KbErratumKind, KbRowRef, Modern, ModernError, ModernRole,
    ModernRoleEntry, ModernRow, ModernService, RowChange, RowOrigin, ServiceChange, UnknownVersion,
    VersionRow, WindowsVersion,
};
pub use pinning::{
    PinInterface, PinRest, PinServer, PinSource, Pinning, PinningError, RegType, RegistryValue,
    SambaPin, WindowsPin,
};
pub use portspec::{
    PortRange, PortSpecError, Ports, fold, parse_port, parse_port_query, parse_port_range,
};
pub use query::{MatchKind, PortQuery, RowRef};
pub use resolve::{Candidate, NameKind, ResolveError};
pub use transport::Transport;

/// The whole catalog: services, errata and roles.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Catalog {
    services: Vec<Service>,
    errata: Vec<Erratum>,
    roles: Vec<Role>,
    /// The version a view stands for; `None` for a catalog read from files (the seed's).
    version: Option<WindowsVersion>,
    /// What each dynamic spec stands for in a view; empty: the spec's candidate ranges.
    dynamic_ranges: Vec<(PortSpec, (u16, u16))>,
    /// Every row's text as `search` matches words in it, in the order of `rows()`.
    #[serde(skip)]
    search_texts: derived::Derived<Vec<String>>,
    /// The services' names as the resolver compares them, in the order of `services`.
    #[serde(skip)]
    service_names: derived::Derived<resolve::NameIndex>,
    /// The roles' names as the resolver compares them, in the order of `roles`.
    #[serde(skip)]
    role_names: derived::Derived<resolve::NameIndex>,
}

impl Catalog {
    pub(crate) fn from_parts(
        services: Vec<Service>,
        errata: Vec<Erratum>,
        roles: Vec<Role>,
    ) -> Self {
        Catalog {
            services,
            errata,
            roles,
            version: None,
            dynamic_ranges: Vec::new(),
            search_texts: Default::default(),
            service_names: Default::default(),
            role_names: Default::default(),
        }
    }

    /// The built-in catalog.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        Catalog::load(&[])
    }

    /// The built-in catalog with user catalogs merged over it, in order.
    pub fn load(user: &[Source<'_>]) -> Result<Catalog, CatalogError> {
        let mut builder = load::Builder::builtin()?;
        for source in user {
            builder.add(*source, true)?;
        }
        builder.finish()
    }

    /// Every service, in the seed's order (user additions last).
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Every erratum, in the data's order.
    pub fn errata(&self) -> &[Erratum] {
        &self.errata
    }

    /// Every role.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The service with this exact id.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// The erratum with this exact id.
    pub fn erratum(&self, id: &str) -> Option<&Erratum> {
        self.errata.iter().find(|e| e.id == id)
    }

    /// The role with this exact id.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// The rows a role takes, with their service and the role's entry: each entry's rows
    /// of its service, in the role's order.
    pub fn role_rows<'c>(
        &'c self,
        role: &'c Role,
    ) -> impl Iterator<Item = (&'c Service, &'c RoleService, &'c PortRow)> + 'c {
        role.services
            .iter()
            .filter_map(move |entry| self.service(&entry.service).map(|s| (s, entry)))
            .flat_map(|(service, entry)| {
                service
                    .ports
                    .iter()
                    .filter(move |row| entry.includes(row))
                    .map(move |row| (service, entry, row))
            })
    }

    /// Every row of every service, with its service.
    pub fn rows(&self) -> impl Iterator<Item = (&Service, &PortRow)> {
        self.services
            .iter()
            .flat_map(|s| s.ports.iter().map(move |r| (s, r)))
    }

    /// The errata about a row (those about its whole service are on the service).
    pub fn row_errata<'c>(&'c self, row: &'c PortRow) -> impl Iterator<Item = &'c Erratum> + 'c {
        row.errata.iter().filter_map(move |id| self.erratum(id))
    }

    /// The errata about a service as a whole.
    pub fn service_errata<'c>(
        &'c self,
        service: &'c Service,
    ) -> impl Iterator<Item = &'c Erratum> + 'c {
        service.errata.iter().filter_map(move |id| self.erratum(id))
    }
}
