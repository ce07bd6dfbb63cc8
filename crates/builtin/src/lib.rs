//! The built-in catalog, compiled at build time.
//!
//! `build.rs` parses and checks the TOML data of `portolan-catalog` once, at build time, and
//! stores the result in the compiled form ([`portolan_catalog::compiled`]). Here it is read
//! back: a command starts without parsing TOML or checking the data again, and reads only
//! what it asks for (a look-up reads the one version view it shows).
//!
//! ```
//! use portolan_catalog::{WindowsVersion, parse_port_query};
//!
//! let today = portolan_builtin::view(WindowsVersion::W2025).unwrap();
//! assert!(!today.rows_on(&parse_port_query("9389").unwrap()).is_empty());
//! ```

use std::sync::OnceLock;

use portolan_catalog::compiled::{CompiledError, decode, decode_catalog, decode_catalog_for};
use portolan_catalog::pinning::{BUILTIN_PINNING, PinningError};
use portolan_catalog::{Catalog, Modern, Pinning, PortQuery, PortSharing, WindowsVersion};

const LAYER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/layer.bin"));
const SHARING: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sharing.bin"));

/// The compiled view of each version, in [`WindowsVersion::ALL`]'s order.
const VIEWS: [&[u8]; 7] = [
    include_bytes!(concat!(env!("OUT_DIR"), "/view-2003.bin")),
    include_bytes!(concat!(env!("OUT_DIR"), "/view-2008.bin")),
    include_bytes!(concat!(env!("OUT_DIR"), "/view-2012.bin")),
    include_bytes!(concat!(env!("OUT_DIR"), "/view-2016.bin")),
    include_bytes!(concat!(env!("OUT_DIR"), "/view-2019.bin")),
    include_bytes!(concat!(env!("OUT_DIR"), "/view-2022.bin")),
    include_bytes!(concat!(env!("OUT_DIR"), "/view-2025.bin")),
];

/// The seed catalog and the layer for today's Windows over it ([`Catalog::builtin`] and
/// [`Modern::builtin`]), read once per process.
pub fn layer() -> Result<&'static (Catalog, Modern), CompiledError> {
    static LAYER_ONCE: OnceLock<Result<(Catalog, Modern), CompiledError>> = OnceLock::new();
    LAYER_ONCE
        .get_or_init(|| decode("layer", LAYER))
        .as_ref()
        .map_err(Clone::clone)
}

/// The port-sharing decisions ([`PortSharing::builtin`]), read once per process.
pub fn sharing() -> Result<&'static PortSharing, CompiledError> {
    static SHARING_ONCE: OnceLock<Result<PortSharing, CompiledError>> = OnceLock::new();
    SHARING_ONCE
        .get_or_init(|| decode("sharing", SHARING))
        .as_ref()
        .map_err(Clone::clone)
}

/// The built-in catalog as `version` has it (`seed.at(&modern, version)`), a fresh copy.
pub fn view(version: WindowsVersion) -> Result<Catalog, CompiledError> {
    let (what, bytes) = view_bytes(version)?;
    decode_catalog(&what, bytes)
}

/// The built-in catalog as `version` has it, with only the services that have a row one of
/// `queries` finds and no roles: what a look-up by port shows, read without decoding the other
/// services or the roles.
/// [`Catalog::rows_on`] answers each of `queries` on it as on [`view`].
pub fn view_for(version: WindowsVersion, queries: &[PortQuery]) -> Result<Catalog, CompiledError> {
    let (what, bytes) = view_bytes(version)?;
    decode_catalog_for(&what, bytes, queries)
}

/// The compiled view of `version`, and its name for errors.
fn view_bytes(version: WindowsVersion) -> Result<(String, &'static [u8]), CompiledError> {
    let what = format!("view {version}");
    let bytes = WindowsVersion::ALL
        .iter()
        .position(|v| *v == version)
        .and_then(|index| VIEWS.get(index))
        .ok_or_else(|| CompiledError {
            what: what.clone(),
            problem: "no compiled view for this version".to_string(),
        })?;
    Ok((what, bytes))
}

/// The built-in pinning data (which RPC servers `pin` puts on fixed ports), checked against
/// `catalog` (the seed or a version's view) and the compiled layer for today's Windows, whose
/// services it may name. The one place plan and the CLI take it from.
pub fn pinning(catalog: &Catalog) -> Result<Pinning, PinningError> {
    let (_, modern) = layer().map_err(|e| PinningError::Layer(e.to_string()))?;
    Pinning::parse(BUILTIN_PINNING, catalog, Some(modern))
}
