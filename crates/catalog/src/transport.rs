//! Transports: TCP, UDP, or another IP protocol by number.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// IP protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;
/// IP protocol number of GRE (PPTP's tunnel).
pub const IPPROTO_GRE: u8 = 47;
/// IP protocol number of IPsec ESP.
pub const IPPROTO_ESP: u8 = 50;
/// IP protocol number of IPsec AH.
pub const IPPROTO_AH: u8 = 51;

/// What a row rides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// TCP: rows have ports.
    Tcp,
    /// UDP: rows have ports.
    Udp,
    /// Any other IP protocol, by number; such rows have no ports.
    Ip(u8),
}

impl Transport {
    /// The IP protocol number.
    pub fn protocol_number(self) -> u8 {
        match self {
            Transport::Tcp => IPPROTO_TCP,
            Transport::Udp => IPPROTO_UDP,
            Transport::Ip(n) => n,
        }
    }

    /// True for TCP and UDP, the transports that have ports.
    pub fn has_ports(self) -> bool {
        matches!(self, Transport::Tcp | Transport::Udp)
    }

    /// Lower-case machine name: `tcp`, `udp`, `gre`, `esp`, `ah` or `ip/<n>`.
    pub fn key(self) -> String {
        match self.known_name() {
            Some(name) => name.to_ascii_lowercase(),
            None => format!("ip/{}", self.protocol_number()),
        }
    }

    fn known_name(self) -> Option<&'static str> {
        Some(match self.protocol_number() {
            IPPROTO_TCP => "TCP",
            IPPROTO_UDP => "UDP",
            IPPROTO_GRE => "GRE",
            IPPROTO_ESP => "ESP",
            IPPROTO_AH => "AH",
            _ => return None,
        })
    }

    /// Creates the transport of an IP protocol number, folding 6 and 17 into TCP and UDP.
    pub fn from_protocol_number(n: u8) -> Transport {
        match n {
            IPPROTO_TCP => Transport::Tcp,
            IPPROTO_UDP => Transport::Udp,
            n => Transport::Ip(n),
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.known_name() {
            Some(name) => f.write_str(name),
            None => write!(f, "IP/{}", self.protocol_number()),
        }
    }
}

/// Why a transport name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown transport `{0}`: expected tcp, udp, gre, esp, ah or ip/<protocol number 0-255>")]
pub struct UnknownTransport(pub String);

impl FromStr for Transport {
    type Err = UnknownTransport;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let number = match lower.as_str() {
            "tcp" => IPPROTO_TCP,
            "udp" => IPPROTO_UDP,
            "gre" => IPPROTO_GRE,
            "esp" => IPPROTO_ESP,
            "ah" => IPPROTO_AH,
            other => other
                .strip_prefix("ip/")
                .or_else(|| other.strip_prefix("ip:"))
                .and_then(|n| n.parse::<u8>().ok())
                .ok_or_else(|| UnknownTransport(s.to_string()))?,
        };
        Ok(Transport::from_protocol_number(number))
    }
}

/// Written as its [`Transport::key`] (`tcp`, `gre`, `ip/41`) in human-readable output (JSON,
/// TOML); as the protocol number in the compiled catalog, which reads it back without parsing.
impl Serialize for Transport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.key())
        } else {
            s.serialize_u8(self.protocol_number())
        }
    }
}

impl<'de> Deserialize<'de> for Transport {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            text.parse().map_err(de::Error::custom)
        } else {
            u8::deserialize(d).map(Transport::from_protocol_number)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in ["tcp", "udp", "gre", "esp", "ah", "ip/41"] {
            let t: Transport = name.parse().unwrap();
            assert_eq!(t.key(), name);
        }
        assert_eq!("ip/6".parse::<Transport>().unwrap(), Transport::Tcp);
        assert_eq!("GRE".parse::<Transport>().unwrap(), Transport::Ip(47));
        assert_eq!(Transport::Ip(50).to_string(), "ESP");
        assert_eq!(Transport::Ip(41).to_string(), "IP/41");
    }

    #[test]
    fn rejects_unknown_names() {
        for bad in ["upd", "", "ip/256", "ip/", "sctp"] {
            assert!(bad.parse::<Transport>().is_err(), "{bad} accepted");
        }
    }
}
