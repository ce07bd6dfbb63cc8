//! Data worked out from a catalog on first use and kept beside it.

use std::fmt;
use std::sync::OnceLock;

/// A value derived from the rest of a catalog, computed on first use.
///
/// It is no part of the catalog's identity: it compares equal to any other, is not serialized,
/// and a clone starts empty, so a catalog copied and then changed (as `Catalog::at` does)
/// never answers from its original's data.
pub(crate) struct Derived<T>(OnceLock<T>);

impl<T> Derived<T> {
    /// The value, computed by `make` the first time.
    pub(crate) fn get_or_init(&self, make: impl FnOnce() -> T) -> &T {
        self.0.get_or_init(make)
    }
}

impl<T> Default for Derived<T> {
    fn default() -> Self {
        Derived(OnceLock::new())
    }
}

impl<T> Clone for Derived<T> {
    fn clone(&self) -> Self {
        Derived::default()
    }
}

impl<T> PartialEq for Derived<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for Derived<T> {}

impl<T> fmt::Debug for Derived<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Derived(computed)"
        } else {
            "Derived(empty)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_starts_empty_and_equality_ignores_the_value() {
        let first = Derived::default();
        assert_eq!(*first.get_or_init(|| 1), 1);
        let copy = first.clone();
        assert_eq!(*copy.get_or_init(|| 2), 2);
        assert_eq!(*first.get_or_init(|| 3), 1);
        assert_eq!(first, copy);
    }
}
