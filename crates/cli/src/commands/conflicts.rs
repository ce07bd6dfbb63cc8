//! Port conflicts in the output of `port`, `role`, `plan` and `audit`: loading the reviewed
//! decisions and saying each conflict in one line. The decisions and the logic are
//! portolan_catalog's (`PortSharing`); this only renders.

use portolan_catalog::{Catalog, PortConflict, PortSharing, RowKey};
use portolan_output::Grid;

use crate::cli::LookupFormat;
use crate::exit::Failure;

/// The built-in decisions, as compiled at build time. They are checked against the built-in
/// catalog and layer, which a user catalog can extend but not shrink, so they hold for every
/// catalog.
pub fn load() -> Result<&'static PortSharing, Failure> {
    portolan_builtin::sharing().map_err(super::built_in_invalid)
}

/// The conflicts among rows given as (service id, row key).
pub fn find<'s>(
    claims: impl IntoIterator<Item = (&'s str, RowKey)>,
) -> Result<Vec<PortConflict>, Failure> {
    Ok(load()?.conflicts(claims))
}

/// A service's display name: the catalog's, else the layer's, else its id.
fn name(catalog: &Catalog, id: &str) -> String {
    if let Some(s) = catalog.service(id) {
        return s.name.clone();
    }
    super::builtin_layer()
        .ok()
        .and_then(|(_, m)| m.service(id).map(|s| s.name.clone()))
        .unwrap_or_else(|| id.to_string())
}

/// `TCP 80: Windows Media Services and World Wide Web Publishing Service cannot both listen
/// on one address (media-services-http): REASON`.
pub fn line(catalog: &Catalog, c: &PortConflict) -> String {
    let [a, b] = &c.services;
    let rule = c
        .rule
        .as_deref()
        .map_or_else(|| " (not reviewed)".to_string(), |r| format!(" ({r})"));
    format!(
        "{} {}: {} and {} cannot both listen on one address{rule}: {}",
        c.transport,
        c.port,
        name(catalog, a),
        name(catalog, b),
        c.reason
    )
}

/// Shows conflicts with a look-up's output: under the table (terminal and Markdown), or on
/// standard error where the format has no room for notes (CSV, JSON Lines). JSON carries them
/// as data.
pub fn show(catalog: &Catalog, format: LookupFormat, grid: &mut Grid, conflicts: &[PortConflict]) {
    for c in conflicts {
        let text = format!("conflict: {}", line(catalog, c));
        match format {
            LookupFormat::Table | LookupFormat::Md => grid.notes.push(text),
            LookupFormat::Csv | LookupFormat::Jsonl => eprintln!("{text}"),
            LookupFormat::Json => {}
        }
    }
}
