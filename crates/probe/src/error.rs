//! Errors of the probe crate: all of them are about the caller's input.

/// The selection of ports could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// A service name that names no service, or several.
    #[error(transparent)]
    Name(#[from] portolan_catalog::ResolveError),
    /// More ports than a check takes.
    #[error(
        "{0} ports selected, more than a check takes ({max}); narrow the ranges, or use `portolan scan` for sweeps",
        max = crate::select::MAX_PORTS
    )]
    TooManyPorts(usize),
}

/// A host could not be turned into addresses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot resolve host `{host}`: {problem}; give an IPv4 or IPv6 address or a name this machine can resolve"
)]
pub struct ResolveError {
    /// The host as given.
    pub host: String,
    /// Why.
    pub problem: String,
}
