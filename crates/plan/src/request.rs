//! What a plan is asked for: roles and services, where traffic comes from and goes to, and the
//! ranges that Windows decides at run time (dynamic RPC, FTP passive data).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use portolan_catalog::SourceClass;
use portolan_catalog::model::{FTP_PASSIVE_DEFAULT, RPC_DYNAMIC_LEGACY, RPC_DYNAMIC_MODERN};
use serde::Serialize;

use crate::error::PlanError;
use crate::ports::PortRange;

/// The lowest port Windows lets `netsh int ipv4 set dynamicport` start a dynamic range at.
pub const RPC_RANGE_MIN_START: u16 = 1025;

/// The range the RPC endpoint mapper hands ports out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RpcRange {
    /// 49152-65535, Windows Vista / Server 2008 and later.
    #[default]
    Modern,
    /// 1025-5000, Windows 2000, XP and Server 2003.
    Legacy,
    /// A range an administrator set (registry `Rpc\Internet\Ports` or `netsh ... dynamicport`).
    Custom(PortRange),
    /// The ports `portolan pin` puts the RPC servers on (`plan --pin-rpc`).
    Pinned(PortRange),
}

impl RpcRange {
    /// The ports of the range.
    pub fn ports(self) -> PortRange {
        let (first, last) = match self {
            RpcRange::Modern => RPC_DYNAMIC_MODERN,
            RpcRange::Legacy => RPC_DYNAMIC_LEGACY,
            RpcRange::Custom(r) | RpcRange::Pinned(r) => return r,
        };
        PortRange { first, last }
    }

    /// Which Windows versions use the range, for comments.
    pub fn meaning(self) -> &'static str {
        match self {
            RpcRange::Modern => "modern: Windows Vista / Server 2008 and later",
            RpcRange::Legacy => "legacy: Windows 2000, XP and Server 2003",
            RpcRange::Custom(_) => "custom: narrowed by the administrator",
            RpcRange::Pinned(_) => "pinned: the RPC servers' fixed ports and narrowed range",
        }
    }
}

impl RpcRange {
    /// Stable machine name of the kind of range, as in JSON.
    pub fn kind(self) -> &'static str {
        match self {
            RpcRange::Modern => "modern",
            RpcRange::Legacy => "legacy",
            RpcRange::Custom(_) => "custom",
            RpcRange::Pinned(_) => "pinned",
        }
    }
}

/// JSON: `{"kind": "modern", "first": 49152, "last": 65535}`, the ports always resolved.
impl Serialize for RpcRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let ports = self.ports();
        let mut st = s.serialize_struct("RpcRange", 3)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("first", &ports.first)?;
        st.serialize_field("last", &ports.last)?;
        st.end()
    }
}

impl fmt::Display for RpcRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.ports(), self.meaning())
    }
}

impl FromStr for RpcRange {
    type Err = PlanError;

    /// `modern`, `legacy`, or a range `A-B` starting at 1025 or above.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const WHAT: &str = "RPC dynamic range";
        const FIX: &str =
            "write `modern` (49152-65535), `legacy` (1025-5000) or a range like 5000-5100";
        match s.trim().to_ascii_lowercase().as_str() {
            "modern" => return Ok(RpcRange::Modern),
            "legacy" => return Ok(RpcRange::Legacy),
            _ => {}
        }
        let range = parse_range(WHAT, s, FIX)?;
        if range.first < RPC_RANGE_MIN_START {
            return Err(bad_range(
                WHAT,
                s,
                format!(
                    "Windows hands out dynamic ports from {RPC_RANGE_MIN_START} up, so the range cannot start at {}",
                    range.first
                ),
                FIX,
            ));
        }
        Ok(RpcRange::Custom(range))
    }
}

/// Parses the FTP passive data range: `A-B` (or one port).
pub fn parse_ftp_passive(s: &str) -> Result<PortRange, PlanError> {
    parse_range(
        "FTP passive range",
        s,
        "write the server's passive data range like 1025-5000 (IIS 6.0's default) or 50000-50100",
    )
}

/// The default FTP passive range (IIS 6.0's).
pub fn default_ftp_passive() -> PortRange {
    PortRange {
        first: FTP_PASSIVE_DEFAULT.0,
        last: FTP_PASSIVE_DEFAULT.1,
    }
}

fn bad_range(what: &'static str, input: &str, problem: String, fix: &str) -> PlanError {
    PlanError::BadRange {
        what,
        input: input.to_string(),
        problem,
        fix: fix.to_string(),
    }
}

fn parse_range(what: &'static str, s: &str, fix: &str) -> Result<PortRange, PlanError> {
    portolan_catalog::parse_port_range(s).map_err(|problem| bad_range(what, s, problem, fix))
}

/// Parses a source: an address (`10.0.0.5`, a host) or a network (`10.0.0.0/8`, `fd00::/8`).
/// Host bits are kept here; [`crate::Plan::build`] clears them and says so.
pub fn parse_source(s: &str) -> Result<IpNet, PlanError> {
    parse_net(s).map_err(|problem| PlanError::BadSource {
        input: s.to_string(),
        problem,
    })
}

/// Parses a `--from` value: `CIDR` (every class) or `CLASS=CIDR` (`clients=10.0.0.0/8`).
pub fn parse_class_source(s: &str) -> Result<(Option<SourceClass>, IpNet), PlanError> {
    match s.split_once('=') {
        None => parse_source(s).map(|net| (None, net)),
        Some((class, net)) => {
            let class: SourceClass = class.parse().map_err(|_| PlanError::UnknownClass {
                input: s.to_string(),
                class: class.trim().to_string(),
            })?;
            parse_source(net).map(|net| (Some(class), net))
        }
    }
}

/// Parses the destination: an address, or a network of servers.
pub fn parse_destination(s: &str) -> Result<IpNet, PlanError> {
    parse_net(s).map_err(|problem| PlanError::BadDestination {
        input: s.to_string(),
        problem,
    })
}

fn parse_net(s: &str) -> Result<IpNet, String> {
    let text = s.trim();
    if text.is_empty() {
        return Err("it is empty".to_string());
    }
    if let Some((addr, prefix)) = text.split_once('/') {
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not an IPv4 or IPv6 address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix.parse().ok().filter(|p| *p <= max).ok_or_else(|| {
            format!("the prefix length `/{prefix}` is not a number from 0 to {max}")
        })?;
        IpNet::new(addr, prefix).map_err(|e| e.to_string())
    } else {
        let addr: IpAddr = text
            .parse()
            .map_err(|_| format!("`{text}` is not an IPv4 or IPv6 address or network"))?;
        Ok(IpNet::from(addr))
    }
}

/// What to do with the services a role marks optional (and the catalog's optional rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptionalPolicy {
    /// Open them, and mark their rules as optional in comments (the default: a plan that
    /// misses a port breaks a service, one with a marked extra rule does not).
    #[default]
    Include,
    /// Leave them out of the rules, and list them in the plan's caveats.
    Exclude,
}

/// A plan request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// Roles by id or name (resolved by the catalog's one resolver), in the order given.
    pub roles: Vec<String>,
    /// Services by id or any name, in the order given.
    pub services: Vec<String>,
    /// Where clients are, for every class; empty (with no `class_sources`) means any address
    /// of either family.
    pub sources: Vec<IpNet>,
    /// Sources of one class each (`--from peers=10.1.0.0/29`). When any is given, a row is
    /// admitted from the sources of the classes that need it (and from `sources`); rows only
    /// classes without sources need are left out, and the plan says so.
    pub class_sources: Vec<(SourceClass, IpNet)>,
    /// The server (or network of servers) the rules protect; `None` means this host / any.
    pub destination: Option<IpNet>,
    /// The dynamic RPC range to open.
    pub rpc_range: RpcRange,
    /// The FTP passive data range to open; `None` takes IIS 6.0's default, 1025-5000.
    pub ftp_passive: Option<PortRange>,
    /// Optional services and rows: include (marked) or leave out.
    pub optional: OptionalPolicy,
    /// `--pin-rpc BASE`: open the ports `portolan pin --base BASE` puts the RPC servers on,
    /// instead of the dynamic range.
    pub pin_rpc: Option<u32>,
}

impl Request {
    /// A request for the given roles and services, with every other setting at its default.
    pub fn new<R, S>(roles: R, services: S) -> Request
    where
        R: IntoIterator,
        R::Item: Into<String>,
        S: IntoIterator,
        S::Item: Into<String>,
    {
        Request {
            roles: roles.into_iter().map(Into::into).collect(),
            services: services.into_iter().map(Into::into).collect(),
            ..Request::default()
        }
    }

    /// The FTP passive range in force.
    pub fn ftp_passive_range(&self) -> PortRange {
        self.ftp_passive.unwrap_or_else(default_ftp_passive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_ranges() {
        assert_eq!("modern".parse::<RpcRange>().unwrap(), RpcRange::Modern);
        assert_eq!(
            "LEGACY".parse::<RpcRange>().unwrap().ports(),
            PortRange::new(1025, 5000).unwrap()
        );
        assert_eq!(
            "5000-5100".parse::<RpcRange>().unwrap().ports(),
            PortRange::new(5000, 5100).unwrap()
        );
        for (bad, problem) in [
            ("5000-1000", "backwards"),
            ("100-2000", "1025"),
            ("abc", "not a port"),
            ("0-10", "port 0"),
            ("", "missing"),
        ] {
            let err = bad.parse::<RpcRange>().unwrap_err().to_string();
            assert!(err.contains(problem), "{bad}: {err}");
            assert!(err.contains("modern"), "{bad}: no fix in {err}");
        }
    }

    #[test]
    fn ftp_passive() {
        assert_eq!(
            parse_ftp_passive("50000-50100").unwrap(),
            PortRange::new(50000, 50100).unwrap()
        );
        let err = parse_ftp_passive("5000-1000").unwrap_err().to_string();
        assert!(err.contains("FTP passive range `5000-1000`"), "{err}");
        assert!(err.contains("backwards"), "{err}");
    }

    #[test]
    fn sources() {
        assert_eq!(
            parse_source("10.0.0.0/8").unwrap(),
            "10.0.0.0/8".parse::<IpNet>().unwrap()
        );
        assert_eq!(
            parse_source("10.0.0.5").unwrap(),
            "10.0.0.5/32".parse::<IpNet>().unwrap()
        );
        assert_eq!(
            parse_source("fd00::/8").unwrap(),
            "fd00::/8".parse::<IpNet>().unwrap()
        );
        for (bad, problem) in [
            ("10.0.0.0/33", "/33"),
            ("fd00::/129", "0 to 128"),
            ("10.0.0/8", "not an IPv4"),
            ("", "empty"),
            ("example.com", "not an IPv4"),
            ("10.0.0.0/x", "/x"),
        ] {
            let err = parse_source(bad).unwrap_err().to_string();
            assert!(err.contains(problem), "{bad}: {err}");
            assert!(err.contains("10.0.0.0/8"), "{bad}: no fix in {err}");
        }
    }
}
