//! Errors of the plan crate: bad requests. Each message names the input, the problem and the
//! fix; the CLI turns every one of them into exit code 2.

/// A plan request could not be understood or cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A role or service name that names nothing, or several things, in the catalog.
    #[error(transparent)]
    Name(#[from] portolan_catalog::ResolveError),
    /// Neither a role nor a service was asked for.
    #[error(
        "nothing to plan: name at least one role (--role domain-controller) or service (--service dns-server)"
    )]
    Empty,
    /// A port range argument is malformed or outside what its setting allows.
    #[error("{what} `{input}`: {problem}; {fix}")]
    BadRange {
        /// Which setting ("RPC dynamic range", "FTP passive range").
        what: &'static str,
        /// What was typed.
        input: String,
        /// What is wrong.
        problem: String,
        /// How to write it instead.
        fix: String,
    },
    /// A source network is not a valid address or CIDR.
    #[error(
        "source `{input}`: {problem}; write an address or a network like 10.0.0.0/8 or fd00::/8"
    )]
    BadSource {
        /// What was typed.
        input: String,
        /// What is wrong.
        problem: String,
    },
    /// The destination is not a valid address or CIDR.
    #[error("destination `{input}`: {problem}; write an address like 10.0.0.5 or 2001:db8::5")]
    BadDestination {
        /// What was typed.
        input: String,
        /// What is wrong.
        problem: String,
    },
    /// The destination's address family matches none of the sources.
    #[error(
        "destination `{destination}` is {family}, but every source is {other}: {sources}; add an {family} source with --from, or give an {other} destination"
    )]
    FamilyMismatch {
        /// The destination as given.
        destination: String,
        /// "IPv4" or "IPv6": the destination's family.
        family: &'static str,
        /// The other family, that all sources share.
        other: &'static str,
        /// The sources, comma-separated.
        sources: String,
    },
    /// `--from CLASS=CIDR` names a class that does not exist.
    #[error(
        "source `{input}`: `{class}` is not a source class; the classes are clients, management and peers, as in --from clients=10.0.0.0/8 (a bare --from CIDR admits every class)"
    )]
    UnknownClass {
        /// What was typed.
        input: String,
        /// The class named.
        class: String,
    },
    /// A dialect name portolan does not know.
    #[error("unknown dialect `{input}`: expected one of {valid}")]
    UnknownDialect {
        /// What was typed.
        input: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// The built-in pinning data is broken (a test keeps it valid).
    #[error(transparent)]
    Pinning(#[from] portolan_catalog::PinningError),
    /// `--base` / `--pin-rpc` leaves no room for the subject's pinned ports.
    #[error("pinned RPC base `{input}`: {problem}; pick a base like 10000")]
    BadPinBase {
        /// What was typed.
        input: String,
        /// What is wrong.
        problem: String,
    },
    /// The subject has no RPC server to pin.
    #[error(
        "{subject} has no RPC server to pin: none of its services listens on dynamic RPC ports; pin a role or service that does (domain-controller, file-server, certificate-services)"
    )]
    NothingToPin {
        /// The role or services.
        subject: String,
    },
}
