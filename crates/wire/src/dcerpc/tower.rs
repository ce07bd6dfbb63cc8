//! Protocol towers (C706 appendix L, protocol identifiers appendix I, [MS-RPCE] 2.1).
//!
//! A tower is how the endpoint mapper writes down one binding: a little-endian floor
//! count, then floors of `lhs_length, lhs, rhs_length, rhs` (lengths little-endian). The
//! first byte of each left-hand side is a protocol identifier. The usual shape:
//!
//! | floor | LHS | RHS |
//! |---|---|---|
//! | 1 | `0x0d` + interface UUID + major version | minor version |
//! | 2 | `0x0d` + transfer syntax UUID + major | minor |
//! | 3 | RPC protocol: `0x0b` connection-oriented, `0x0a` connectionless, `0x0c` local | minor version |
//! | 4 | transport: `0x07` TCP, `0x08` UDP, `0x0f` named pipe, `0x10` LRPC, `0x1f` HTTP, `0x12` NetBIOS over TCP | port (big-endian) or NUL-terminated name |
//! | 5 | host: `0x09` IPv4 (4 bytes, big-endian), `0x11` NetBIOS name | address or name |
//!
//! [`Endpoint`] is the typed reading of such a tower; [`Endpoint::to_tower`] writes one back
//! (for `ept_map` requests and round-trip tests).

use core::fmt;
use std::net::Ipv4Addr;

use crate::error::slice;
use crate::{Error, Result};

use super::names;
use super::printable;
use super::uuid::{NDR_SYNTAX, SyntaxId, Uuid};

/// Most floors accepted in one tower; real towers have 4 or 5.
pub const MAX_FLOORS: usize = 16;

/// Longest tower accepted, in bytes; real ones are under 100.
pub const MAX_TOWER_LEN: usize = 4096;

/// Longest name (pipe, LRPC endpoint, NetBIOS host) kept from a tower.
const MAX_NAME_LEN: usize = 256;

/// Protocol identifiers used in tower floors.
pub mod protocol_id {
    /// DOD TCP port.
    pub const TCP: u8 = 0x07;
    /// DOD UDP port.
    pub const UDP: u8 = 0x08;
    /// DOD IP (v4) host address.
    pub const IP: u8 = 0x09;
    /// RPC connectionless protocol (major version 4).
    pub const RPC_CL: u8 = 0x0a;
    /// RPC connection-oriented protocol (major version 5).
    pub const RPC_CO: u8 = 0x0b;
    /// Local RPC ([MS-RPCE]).
    pub const LRPC: u8 = 0x0c;
    /// UUID-derived identifier: interface or transfer syntax.
    pub const UUID: u8 = 0x0d;
    /// SMB named pipe ([MS-RPCE] 2.1.1.2).
    pub const NAMED_PIPE: u8 = 0x0f;
    /// Local RPC endpoint name ([MS-RPCE]).
    pub const LRPC_ENDPOINT: u8 = 0x10;
    /// NetBIOS host name.
    pub const NETBIOS: u8 = 0x11;
    /// NetBIOS over TCP ([MS-RPCE] 2.1.1.5 uses 0x12 here).
    pub const NETBIOS_TCP: u8 = 0x12;
    /// HTTP port ([MS-RPCH]).
    pub const HTTP: u8 = 0x1f;
}

/// One tower floor: left-hand side (protocol identifier and data), right-hand side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Floor {
    /// Left-hand side; its first byte is the protocol identifier.
    pub lhs: Vec<u8>,
    /// Right-hand side: related or address data.
    pub rhs: Vec<u8>,
}

impl Floor {
    /// The protocol identifier (first LHS byte).
    pub fn protocol_id(&self) -> u8 {
        self.lhs.first().copied().unwrap_or(0)
    }

    fn simple(id: u8, rhs: Vec<u8>) -> Floor {
        Floor { lhs: vec![id], rhs }
    }

    fn syntax(syntax: &SyntaxId) -> Floor {
        let mut lhs = Vec::with_capacity(19);
        lhs.push(protocol_id::UUID);
        lhs.extend_from_slice(&syntax.uuid.to_le_bytes());
        lhs.extend_from_slice(&syntax.major.to_le_bytes());
        Floor {
            lhs,
            rhs: syntax.minor.to_le_bytes().to_vec(),
        }
    }

    /// Reads floor 1 or 2: a UUID identifier with its major version on the left and the
    /// minor version on the right.
    fn as_syntax(&self, what: &'static str) -> Result<SyntaxId> {
        let malformed = Error::malformed(
            what,
            "expected a UUID floor (0x0d, 16-byte UUID, 2-byte major, 2-byte minor)",
        );
        let (Some(&[protocol_id::UUID]), Some(uuid), Some(&[m0, m1]), Some(&[n0, n1])) = (
            self.lhs.get(..1),
            self.lhs.get(1..17),
            self.lhs.get(17..19),
            self.rhs.get(..2),
        ) else {
            return Err(malformed);
        };
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(uuid);
        Ok(SyntaxId::new(
            Uuid::from_le_bytes(bytes),
            u16::from_le_bytes([m0, m1]),
            u16::from_le_bytes([n0, n1]),
        ))
    }
}

/// A parsed tower: its floors, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tower {
    /// The floors, at most [`MAX_FLOORS`].
    pub floors: Vec<Floor>,
}

fn le16(bytes: &[u8], at: usize, what: &'static str) -> Result<u16> {
    match bytes.get(at..at + 2) {
        Some(&[a, b]) => Ok(u16::from_le_bytes([a, b])),
        _ => Err(Error::truncated(what, at + 2, bytes.len())),
    }
}

fn take<'a>(bytes: &'a [u8], at: usize, len: usize, what: &'static str) -> Result<&'a [u8]> {
    slice(bytes, at..at + len, what)
}

impl Tower {
    /// Parses a tower octet string. Bytes after the last floor are ignored.
    pub fn parse(bytes: &[u8]) -> Result<Tower> {
        if bytes.len() > MAX_TOWER_LEN {
            return Err(Error::too_large(
                "DCE/RPC tower",
                bytes.len(),
                MAX_TOWER_LEN,
            ));
        }
        let count = usize::from(le16(bytes, 0, "DCE/RPC tower floor count")?);
        if count > MAX_FLOORS {
            return Err(Error::too_large(
                "DCE/RPC tower floor count",
                count,
                MAX_FLOORS,
            ));
        }
        let mut floors = Vec::with_capacity(count);
        let mut at = 2;
        for _ in 0..count {
            let lhs_len = usize::from(le16(bytes, at, "DCE/RPC tower floor")?);
            if lhs_len == 0 {
                return Err(Error::malformed(
                    "DCE/RPC tower floor",
                    "empty left-hand side (no protocol identifier)",
                ));
            }
            let lhs = take(bytes, at + 2, lhs_len, "DCE/RPC tower floor LHS")?;
            at += 2 + lhs_len;
            let rhs_len = usize::from(le16(bytes, at, "DCE/RPC tower floor")?);
            let rhs = take(bytes, at + 2, rhs_len, "DCE/RPC tower floor RHS")?;
            at += 2 + rhs_len;
            floors.push(Floor {
                lhs: lhs.to_vec(),
                rhs: rhs.to_vec(),
            });
        }
        Ok(Tower { floors })
    }

    /// Writes the tower octet string.
    pub fn emit(&self) -> Result<Vec<u8>> {
        if self.floors.len() > MAX_FLOORS {
            return Err(Error::too_large(
                "DCE/RPC tower floor count",
                self.floors.len(),
                MAX_FLOORS,
            ));
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(self.floors.len() as u16).to_le_bytes());
        for floor in &self.floors {
            for side in [&floor.lhs, &floor.rhs] {
                let len = u16::try_from(side.len()).map_err(|_| {
                    Error::too_large("DCE/RPC tower floor", side.len(), usize::from(u16::MAX))
                })?;
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(side);
            }
        }
        if out.len() > MAX_TOWER_LEN {
            return Err(Error::too_large("DCE/RPC tower", out.len(), MAX_TOWER_LEN));
        }
        Ok(out)
    }
}

/// The protocol sequence a tower describes ([MS-RPCE] 2.1 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolSequence {
    /// Connection-oriented RPC over TCP.
    NcacnIpTcp,
    /// Connectionless RPC over UDP.
    NcadgIpUdp,
    /// Connection-oriented RPC over SMB named pipes.
    NcacnNp,
    /// Local RPC (same machine only).
    Ncalrpc,
    /// RPC over HTTP (the RPC proxy port, 593 by default).
    NcacnHttp,
    /// RPC over NetBIOS over TCP.
    NcacnNbTcp,
    /// A transport this decoder does not know: its floor-4 protocol identifier.
    Unknown(u8),
}

impl ProtocolSequence {
    /// The protocol sequence string (`ncacn_ip_tcp`, ...); `None` for [`Self::Unknown`].
    pub fn name(&self) -> Option<&'static str> {
        Some(match self {
            ProtocolSequence::NcacnIpTcp => "ncacn_ip_tcp",
            ProtocolSequence::NcadgIpUdp => "ncadg_ip_udp",
            ProtocolSequence::NcacnNp => "ncacn_np",
            ProtocolSequence::Ncalrpc => "ncalrpc",
            ProtocolSequence::NcacnHttp => "ncacn_http",
            ProtocolSequence::NcacnNbTcp => "ncacn_nb_tcp",
            ProtocolSequence::Unknown(_) => return None,
        })
    }

    /// True when the endpoint is reached over a TCP port of the target
    /// (`ncacn_ip_tcp` and `ncacn_http`), the ones a firewall must open.
    pub fn is_tcp(&self) -> bool {
        matches!(
            self,
            ProtocolSequence::NcacnIpTcp | ProtocolSequence::NcacnHttp
        )
    }
}

impl fmt::Display for ProtocolSequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self) {
            (Some(name), _) => f.write_str(name),
            (None, ProtocolSequence::Unknown(id)) => write!(f, "unknown(0x{id:02x})"),
            (None, _) => f.write_str("unknown"),
        }
    }
}

/// A typed endpoint read from a tower.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The interface (floor 1).
    pub interface: SyntaxId,
    /// The transfer syntax (floor 2), NDR v2 in practice.
    pub transfer: SyntaxId,
    /// The protocol sequence (floors 3 and 4).
    pub protocol: ProtocolSequence,
    /// TCP, UDP or HTTP port, when the transport has one.
    pub port: Option<u16>,
    /// Named pipe (`\pipe\lsass`) or LRPC endpoint name, when the transport has one.
    pub name: Option<String>,
    /// NetBIOS host name from the tower, when present and not empty.
    pub host: Option<String>,
    /// IPv4 address from the tower. Samba writes 0.0.0.0, so the engine should use the
    /// address it queried instead (see [`Endpoint::binding`]).
    pub address: Option<Ipv4Addr>,
}

fn port(rhs: &[u8]) -> Result<u16> {
    match rhs {
        [high, low] => Ok(u16::from_be_bytes([*high, *low])),
        _ => Err(Error::malformed(
            "DCE/RPC tower port floor",
            "port is not 2 bytes",
        )),
    }
}

/// The NUL-terminated name of a floor, at most [`MAX_NAME_LEN`] characters (counted after
/// decoding, so that writing the name back and reading it again gives the same string).
fn name(rhs: &[u8]) -> String {
    let text = rhs.split(|&b| b == 0).next().unwrap_or(&[]);
    String::from_utf8_lossy(text)
        .chars()
        .take(MAX_NAME_LEN)
        .collect()
}

fn name_floor(id: u8, text: &str) -> Floor {
    let mut rhs = text.as_bytes().to_vec();
    rhs.push(0);
    Floor::simple(id, rhs)
}

impl Endpoint {
    /// Reads an endpoint from a tower. Needs the two syntax floors and the RPC protocol
    /// floor; unknown transport floors are tolerated and leave the protocol `Unknown`.
    pub fn from_tower(tower: &Tower) -> Result<Endpoint> {
        let (Some(first), Some(second), Some(third)) = (
            tower.floors.first(),
            tower.floors.get(1),
            tower.floors.get(2),
        ) else {
            return Err(Error::malformed("DCE/RPC tower", "fewer than 3 floors"));
        };
        let interface = first.as_syntax("DCE/RPC tower interface floor")?;
        let transfer = second.as_syntax("DCE/RPC tower transfer syntax floor")?;
        let rpc = third.protocol_id();
        let transport = tower.floors.get(3).map(Floor::protocol_id).unwrap_or(0);
        let protocol = match (rpc, transport) {
            (protocol_id::RPC_CO, protocol_id::TCP) => ProtocolSequence::NcacnIpTcp,
            (protocol_id::RPC_CL, protocol_id::UDP) => ProtocolSequence::NcadgIpUdp,
            (protocol_id::RPC_CO, protocol_id::NAMED_PIPE) => ProtocolSequence::NcacnNp,
            (_, protocol_id::LRPC_ENDPOINT) => ProtocolSequence::Ncalrpc,
            (protocol_id::RPC_CO, protocol_id::HTTP) => ProtocolSequence::NcacnHttp,
            (protocol_id::RPC_CO, protocol_id::NETBIOS_TCP) => ProtocolSequence::NcacnNbTcp,
            (_, other) => ProtocolSequence::Unknown(other),
        };
        let mut endpoint = Endpoint {
            interface,
            transfer,
            protocol,
            port: None,
            name: None,
            host: None,
            address: None,
        };
        for floor in tower.floors.iter().skip(3) {
            match floor.protocol_id() {
                protocol_id::TCP | protocol_id::UDP | protocol_id::HTTP => {
                    endpoint.port = Some(port(&floor.rhs)?)
                }
                protocol_id::IP => {
                    let octets: [u8; 4] = floor.rhs.as_slice().try_into().map_err(|_| {
                        Error::malformed("DCE/RPC tower IP floor", "address is not 4 bytes")
                    })?;
                    endpoint.address = Some(Ipv4Addr::from(octets));
                }
                protocol_id::NAMED_PIPE | protocol_id::LRPC_ENDPOINT => {
                    endpoint.name = Some(name(&floor.rhs))
                }
                protocol_id::NETBIOS => {
                    let host = name(&floor.rhs);
                    endpoint.host = (!host.is_empty()).then_some(host);
                }
                _ => {}
            }
        }
        Ok(endpoint)
    }

    /// Parses a tower octet string straight into an endpoint.
    pub fn parse(tower: &[u8]) -> Result<Endpoint> {
        Endpoint::from_tower(&Tower::parse(tower)?)
    }

    /// Writes the tower for this endpoint, the shape Windows and Samba use for each
    /// protocol sequence. `Unknown` protocols cannot be written.
    pub fn to_tower(&self) -> Result<Tower> {
        let mut floors = vec![
            Floor::syntax(&self.interface),
            Floor::syntax(&self.transfer),
        ];
        let address = || {
            Floor::simple(
                protocol_id::IP,
                self.address
                    .unwrap_or(Ipv4Addr::UNSPECIFIED)
                    .octets()
                    .to_vec(),
            )
        };
        let port = |id| Floor::simple(id, self.port.unwrap_or(0).to_be_bytes().to_vec());
        let name = self.name.as_deref().unwrap_or("");
        let host = self.host.as_deref().unwrap_or("");
        let rpc = |id| Floor::simple(id, 0u16.to_le_bytes().to_vec());
        match self.protocol {
            ProtocolSequence::NcacnIpTcp => {
                floors.extend([rpc(protocol_id::RPC_CO), port(protocol_id::TCP), address()])
            }
            ProtocolSequence::NcadgIpUdp => {
                floors.extend([rpc(protocol_id::RPC_CL), port(protocol_id::UDP), address()])
            }
            ProtocolSequence::NcacnHttp => {
                floors.extend([rpc(protocol_id::RPC_CO), port(protocol_id::HTTP), address()])
            }
            ProtocolSequence::NcacnNp => floors.extend([
                rpc(protocol_id::RPC_CO),
                name_floor(protocol_id::NAMED_PIPE, name),
                name_floor(protocol_id::NETBIOS, host),
            ]),
            ProtocolSequence::Ncalrpc => floors.extend([
                rpc(protocol_id::LRPC),
                name_floor(protocol_id::LRPC_ENDPOINT, name),
            ]),
            ProtocolSequence::NcacnNbTcp => floors.extend([
                rpc(protocol_id::RPC_CO),
                Floor::simple(protocol_id::NETBIOS_TCP, vec![0]),
                name_floor(protocol_id::NETBIOS, host),
            ]),
            ProtocolSequence::Unknown(_) => {
                return Err(Error::malformed(
                    "DCE/RPC endpoint",
                    "an unknown protocol sequence cannot be written as a tower",
                ));
            }
        }
        Ok(Tower { floors })
    }

    /// A tower asking `ept_map` where `interface` listens over `protocol` (port 0,
    /// address 0.0.0.0, empty names: the mapper fills them in).
    pub fn map_query(interface: SyntaxId, protocol: ProtocolSequence) -> Endpoint {
        Endpoint {
            interface,
            transfer: NDR_SYNTAX,
            protocol,
            port: None,
            name: None,
            host: None,
            address: None,
        }
    }

    /// The TCP port a client connects to for this endpoint (`ncacn_ip_tcp`, `ncacn_http`).
    pub fn tcp_port(&self) -> Option<u16> {
        if self.protocol.is_tcp() {
            self.port
        } else {
            None
        }
    }

    /// The string binding with `target` (the address or name that was queried) as the
    /// network address, e.g. `ncacn_ip_tcp:10.201.0.2[49153]` or
    /// `ncacn_np:10.201.0.2[\pipe\lsass]`; `ncalrpc` has no network address.
    pub fn binding(&self, target: &str) -> String {
        let target = printable(target, 64);
        let name = printable(self.name.as_deref().unwrap_or(""), 64);
        let port = self.port.unwrap_or(0);
        match self.protocol {
            ProtocolSequence::Ncalrpc => format!("ncalrpc:[{name}]"),
            ProtocolSequence::NcacnNp => format!("ncacn_np:{target}[{name}]"),
            ProtocolSequence::NcacnNbTcp => format!("ncacn_nb_tcp:{target}"),
            ProtocolSequence::Unknown(_) => format!("{}:{target}", self.protocol),
            protocol => format!("{protocol}:{target}[{port}]"),
        }
    }

    /// One line of evidence: binding, interface name and version, description, e.g.
    /// `ncacn_ip_tcp:10.201.0.2[49153] lsarpc v0.0 (Local Security Authority)`.
    /// Unknown interfaces show their UUID.
    pub fn describe(&self, target: &str) -> String {
        let binding = self.binding(target);
        let (major, minor) = (self.interface.major, self.interface.minor);
        match names::lookup(&self.interface.uuid) {
            Some(known) => format!(
                "{binding} {} v{major}.{minor} ({})",
                known.name, known.description
            ),
            None => format!("{binding} {} v{major}.{minor}", self.interface.uuid),
        }
    }
}

impl fmt::Display for Endpoint {
    /// The description with the address found in the tower (or nothing) as the target.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = match (&self.host, self.address) {
            (Some(host), _) => host.clone(),
            (None, Some(address)) => address.to_string(),
            (None, None) => String::new(),
        };
        f.write_str(&self.describe(&target))
    }
}

impl Tower {
    /// The tower of `interface` over connection-oriented RPC on TCP `port` (ncacn_ip_tcp),
    /// with the IPv4 address 0.0.0.0, as Windows and Samba register it (the client uses the
    /// address it asked).
    pub fn ncacn_ip_tcp(interface: &SyntaxId, port: u16) -> Tower {
        Tower {
            floors: vec![
                Floor::syntax(interface),
                Floor::syntax(&NDR_SYNTAX),
                Floor::simple(protocol_id::RPC_CO, vec![0, 0]),
                Floor::simple(protocol_id::TCP, port.to_be_bytes().to_vec()),
                Floor::simple(protocol_id::IP, Ipv4Addr::UNSPECIFIED.octets().to_vec()),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The netlogon tower from Samba's ept_map answer (samba-4.17-ept-map-netlogon.bin).
    const NETLOGON_TCP: &[u8] = &[
        0x05, 0x00, 0x13, 0x00, 0x0d, 0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00,
        0x01, 0x23, 0x45, 0x67, 0xcf, 0xfb, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x13, 0x00, 0x0d,
        0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48,
        0x60, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x07, 0x02, 0x00, 0xc0, 0x00, 0x01, 0x00, 0x09, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn samba_netlogon_tcp_tower() {
        let tower = Tower::parse(NETLOGON_TCP).unwrap();
        assert_eq!(tower.floors.len(), 5);
        assert_eq!(tower.emit().unwrap(), NETLOGON_TCP);
        let endpoint = Endpoint::from_tower(&tower).unwrap();
        assert_eq!(
            endpoint.interface.uuid.to_string(),
            "12345678-1234-abcd-ef00-01234567cffb"
        );
        assert_eq!((endpoint.interface.major, endpoint.interface.minor), (1, 0));
        assert_eq!(endpoint.transfer, NDR_SYNTAX);
        assert_eq!(endpoint.protocol, ProtocolSequence::NcacnIpTcp);
        assert_eq!(endpoint.tcp_port(), Some(49152));
        assert_eq!(endpoint.address, Some(Ipv4Addr::UNSPECIFIED));
        assert_eq!(
            endpoint.binding("10.201.0.2"),
            "ncacn_ip_tcp:10.201.0.2[49152]"
        );
        assert_eq!(
            endpoint.describe("10.201.0.2"),
            "ncacn_ip_tcp:10.201.0.2[49152] netlogon v1.0 (Netlogon)"
        );
        assert_eq!(endpoint.to_tower().unwrap(), tower);
    }

    #[test]
    fn pipe_lrpc_and_http_towers() {
        let lsarpc = SyntaxId::new(Uuid::literal("12345778-1234-abcd-ef00-0123456789ab"), 0, 0);
        let mut pipe = Endpoint::map_query(lsarpc, ProtocolSequence::NcacnNp);
        pipe.name = Some("\\pipe\\lsass".into());
        let parsed = Endpoint::parse(&pipe.to_tower().unwrap().emit().unwrap()).unwrap();
        assert_eq!(parsed, pipe);
        assert_eq!(parsed.tcp_port(), None);
        assert_eq!(
            parsed.describe("10.201.0.2"),
            "ncacn_np:10.201.0.2[\\pipe\\lsass] lsarpc v0.0 (Local Security Authority)"
        );

        let mut lrpc = Endpoint::map_query(lsarpc, ProtocolSequence::Ncalrpc);
        lrpc.name = Some("DEFAULT".into());
        let parsed = Endpoint::parse(&lrpc.to_tower().unwrap().emit().unwrap()).unwrap();
        assert_eq!(parsed.binding("ignored"), "ncalrpc:[DEFAULT]");

        let mut http = Endpoint::map_query(lsarpc, ProtocolSequence::NcacnHttp);
        http.port = Some(593);
        let parsed = Endpoint::parse(&http.to_tower().unwrap().emit().unwrap()).unwrap();
        assert_eq!(parsed.tcp_port(), Some(593));
        assert_eq!(parsed.binding("dc1"), "ncacn_http:dc1[593]");
    }

    #[test]
    fn unknown_interface_and_transport() {
        let mut tower = Tower::parse(NETLOGON_TCP).unwrap();
        tower.floors[0].lhs[1] ^= 0xff;
        tower.floors[3].lhs[0] = 0x42;
        let endpoint = Endpoint::from_tower(&tower).unwrap();
        assert_eq!(endpoint.protocol, ProtocolSequence::Unknown(0x42));
        assert_eq!(endpoint.protocol.to_string(), "unknown(0x42)");
        assert_eq!(
            endpoint.describe("t"),
            "unknown(0x42):t 12345687-1234-abcd-ef00-01234567cffb v1.0"
        );
        assert!(endpoint.to_tower().is_err());
    }

    #[test]
    fn lying_towers_are_refused() {
        // Floor count larger than the floors present.
        let mut more = NETLOGON_TCP.to_vec();
        more[0] = 6;
        assert!(matches!(Tower::parse(&more), Err(Error::Truncated { .. })));
        // Floor count over the cap.
        let mut many = NETLOGON_TCP.to_vec();
        many[0..2].copy_from_slice(&1000u16.to_le_bytes());
        assert!(matches!(Tower::parse(&many), Err(Error::TooLarge { .. })));
        // LHS length running past the end.
        let mut lhs = NETLOGON_TCP.to_vec();
        lhs[2] = 0xff;
        assert!(matches!(Tower::parse(&lhs), Err(Error::Truncated { .. })));
        // An empty left-hand side.
        assert!(Tower::parse(&[1, 0, 0, 0, 0, 0]).is_err());
        // A tower over the size cap.
        assert!(matches!(
            Tower::parse(&vec![0; MAX_TOWER_LEN + 1]),
            Err(Error::TooLarge { .. })
        ));
        // Too few floors, a short interface floor, a 3-byte port, a 5-byte address.
        assert!(Endpoint::parse(&NETLOGON_TCP[..0]).is_err());
        let mut two = Tower::parse(NETLOGON_TCP).unwrap();
        two.floors.truncate(2);
        assert!(Endpoint::from_tower(&two).is_err());
        let mut short = Tower::parse(NETLOGON_TCP).unwrap();
        short.floors[0].lhs.truncate(10);
        assert!(Endpoint::from_tower(&short).is_err());
        let mut port = Tower::parse(NETLOGON_TCP).unwrap();
        port.floors[3].rhs.push(0);
        assert!(Endpoint::from_tower(&port).is_err());
        let mut ip = Tower::parse(NETLOGON_TCP).unwrap();
        ip.floors[4].rhs.push(0);
        assert!(Endpoint::from_tower(&ip).is_err());
    }

    fn protocol() -> impl Strategy<Value = ProtocolSequence> {
        prop_oneof![
            Just(ProtocolSequence::NcacnIpTcp),
            Just(ProtocolSequence::NcadgIpUdp),
            Just(ProtocolSequence::NcacnNp),
            Just(ProtocolSequence::Ncalrpc),
            Just(ProtocolSequence::NcacnHttp),
            Just(ProtocolSequence::NcacnNbTcp),
        ]
    }

    proptest! {
        #[test]
        fn tower_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..160)) {
            if let Ok(tower) = Tower::parse(&bytes) {
                let again = Tower::parse(&tower.emit().unwrap()).unwrap();
                prop_assert_eq!(&again, &tower);
                if let Ok(endpoint) = Endpoint::from_tower(&tower) {
                    prop_assert!(endpoint.describe("10.0.0.1").len() < 400);
                }
            }
        }

        #[test]
        fn endpoint_tower_round_trip(
            uuid in any::<[u8; 16]>(), major in any::<u16>(), minor in any::<u16>(),
            protocol in protocol(), port in any::<u16>(), octets in any::<[u8; 4]>(),
            name in "[a-zA-Z0-9\\\\_]{1,40}", host in "[A-Z0-9]{0,15}",
        ) {
            let mut endpoint = Endpoint::map_query(SyntaxId::new(Uuid(uuid), major, minor), protocol);
            match protocol {
                ProtocolSequence::NcacnIpTcp | ProtocolSequence::NcadgIpUdp | ProtocolSequence::NcacnHttp => {
                    endpoint.port = Some(port);
                    endpoint.address = Some(Ipv4Addr::from(octets));
                }
                ProtocolSequence::NcacnNp => {
                    endpoint.name = Some(name);
                    endpoint.host = (!host.is_empty()).then_some(host);
                }
                ProtocolSequence::Ncalrpc => endpoint.name = Some(name),
                _ => endpoint.host = (!host.is_empty()).then_some(host),
            }
            let bytes = endpoint.to_tower().unwrap().emit().unwrap();
            prop_assert_eq!(Endpoint::parse(&bytes).unwrap(), endpoint);
        }
    }

    #[test]
    fn an_ncacn_ip_tcp_tower_reads_back() {
        let interface = SyntaxId::new(Uuid::NIL, 3, 1);
        let bytes = Tower::ncacn_ip_tcp(&interface, 49_664).emit().unwrap();
        let endpoint = Endpoint::parse(&bytes).unwrap();
        assert_eq!(endpoint.interface, interface);
        assert_eq!(endpoint.protocol, ProtocolSequence::NcacnIpTcp);
        assert_eq!(endpoint.port, Some(49_664));
    }
}
