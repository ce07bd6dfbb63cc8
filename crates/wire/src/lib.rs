//! Protocol encoders and decoders for portolan's probes.
//!
//! Every module here is pure: it builds request bytes and parses reply bytes, and never
//! touches a socket. The probe engine (`portolan-probe`) sends what these modules emit and
//! hands whatever comes back to their `parse` functions. The style follows smoltcp's `wire`
//! module: typed views over byte slices, checked lengths, `parse`/`emit`, and no allocation
//! where none is needed.
//!
//! Nothing that arrives from the network may panic a decoder: every parser returns
//! [`Error`] on short, oversized or inconsistent input, and each one has a fuzz target
//! under `fuzz/` and property tests beside its unit tests.
//!
//! Each reply type implements `Display` as a one-line summary of what answered, for
//! example `CLDAP netlogon: domain lab.example, DC dc1, site Default-First-Site-Name`;
//! that line is the evidence the checker prints beside a port's status.
//!
//! ```
//! use portolan_wire::ntp;
//! let request = ntp::client_request(0x0102_0304_0506_0708);
//! assert_eq!(request.len(), 48);
//! ```

pub mod error;
pub mod hello;
pub use error::{Error, Result};

// BER-based protocols.
pub mod ber;
pub mod kerberos;
pub mod ldap;
pub mod snmp;

// Other UDP protocols.
pub mod dhcp;
pub mod dns;
pub mod isakmp;
pub mod l2tp;
pub mod nbns;
pub mod ntp;
pub mod radius;
pub mod simple;
pub mod ssdp;
pub mod ssrp;
pub mod tftp;

// TCP verification.
pub mod greeting;
pub mod http;
pub mod rdp;
pub mod smb2;
pub mod x509;

// DCE/RPC and the endpoint mapper.
pub mod dcerpc;

// IPv4, TCP and ICMP headers of the half-open sweep.
pub mod tcpip;
