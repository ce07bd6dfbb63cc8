//! The built-in catalog for the targets that resolve against it.

use portolan_catalog::Catalog;

/// The built-in catalog as compiled at build time, read once per process (parsing the TOML
/// for every input was most of each run's time).
pub fn catalog() -> &'static Catalog {
    &portolan_builtin::layer()
        .expect("the built-in catalog reads back")
        .0
}
