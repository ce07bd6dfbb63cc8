//! Pinning RPC servers to fixed ports: the settings that move each RPC server of a role off
//! the dynamic range, for Windows (registry values, `dfsrdiag`) and Samba's AD DC (smb.conf),
//! and the narrowed dynamic range for the rest.
//!
//! The data is reviewed TOML (`data/pinning.toml`), embedded at build time and checked against
//! the catalog and today's layer: every service it names exists, every source key is defined.
//! Which ports a role gets is `portolan-plan`'s business (`plan::pin`); this module only holds
//! the facts.
//!
//! The built-in data, checked against the compiled layer, comes from `portolan_builtin::pinning`.
//!
//! ```
//! use portolan_catalog::pinning::BUILTIN_PINNING;
//! use portolan_catalog::{Catalog, Modern, Pinning};
//!
//! let catalog = Catalog::builtin().unwrap();
//! let modern = Modern::builtin(&catalog).unwrap();
//! let pinning = Pinning::parse(BUILTIN_PINNING, &catalog, Some(&modern)).unwrap();
//! let netlogon = pinning.servers.iter().find(|s| s.id == "netlogon").unwrap();
//! let windows = netlogon.windows.as_ref().unwrap();
//! assert_eq!(windows.registry[0].value, "DCTcpipPort");
//! ```

use std::collections::HashSet;

use serde::Deserialize;

use crate::Catalog;
use crate::modern::Modern;

/// The pinning data, embedded at build time.
pub const BUILTIN_PINNING: &str = include_str!("../data/pinning.toml");

/// The pinning data is malformed or names what does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinningError {
    /// The TOML does not parse.
    #[error("data/pinning.toml: {0}")]
    Parse(String),
    /// The layer for today's Windows, which the data is checked against, is not there.
    #[error("data/pinning.toml cannot be checked: {0}")]
    Layer(String),
    /// An entry names a service, source or type that does not exist.
    #[error("data/pinning.toml, {entry}: {problem}")]
    Invalid {
        /// Which entry (`server netlogon`, `rest`).
        entry: String,
        /// What is wrong.
        problem: String,
    },
}

/// A document the data cites.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinSource {
    /// The key entries cite.
    pub key: String,
    /// Its title.
    pub title: String,
    /// Where it is.
    pub url: String,
}

/// An RPC interface, by name and UUID.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinInterface {
    /// Short name (`drsuapi`), as the wire crate's table has it.
    pub name: String,
    /// The interface UUID, lower case.
    pub uuid: String,
}

/// The type of a registry value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegType {
    /// REG_DWORD.
    Dword,
    /// REG_SZ.
    Sz,
    /// REG_MULTI_SZ.
    MultiSz,
}

/// One registry value a setting writes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryValue {
    /// The key, `HKLM\...`.
    pub key: String,
    /// The value's name.
    pub value: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: RegType,
    /// Its data; `None` for a server's value, which is set to the server's port. May use
    /// `{first}` and `{last}` (the rest's range).
    #[serde(default)]
    pub data: Option<String>,
}

/// How Windows pins a server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsPin {
    /// Registry values set to the port.
    #[serde(default)]
    pub registry: Vec<RegistryValue>,
    /// Commands; `{port}` is the port, `{member}` the server's name.
    #[serde(default)]
    pub commands: Vec<String>,
    /// What makes the setting take effect.
    pub restart: String,
}

/// How Samba's AD DC pins a server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SambaPin {
    /// smb.conf parameters of `[global]`, each set to the port.
    pub settings: Vec<String>,
    /// What makes the setting take effect.
    pub restart: String,
}

/// An RPC server that can be given a fixed port.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinServer {
    /// Kebab-case id.
    pub id: String,
    /// What it is.
    pub name: String,
    /// Catalog service ids it belongs to.
    pub services: Vec<String>,
    /// The interfaces that answer on its port.
    pub interfaces: Vec<PinInterface>,
    /// Source keys.
    pub sources: Vec<String>,
    /// Our own words.
    pub note: String,
    /// Windows' setting, if Windows has the server.
    #[serde(default)]
    pub windows: Option<WindowsPin>,
    /// Samba's setting, if Samba has the server.
    #[serde(default)]
    pub samba: Option<SambaPin>,
}

/// Windows' narrowed dynamic range.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsRest {
    /// The values to write.
    pub registry: Vec<RegistryValue>,
    /// What makes them take effect.
    pub restart: String,
}

/// Samba's narrowed dynamic range.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SambaRest {
    /// The parameter, set to `first-last`.
    pub setting: String,
    /// What makes it take effect.
    pub restart: String,
}

/// The narrowed dynamic range for every RPC server without a setting of its own.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinRest {
    /// How many ports it has.
    pub ports: u16,
    /// Source keys.
    pub sources: Vec<String>,
    /// Our own words.
    pub note: String,
    /// Windows' setting.
    pub windows: WindowsRest,
    /// Samba's setting.
    pub samba: SambaRest,
}

/// The whole pinning data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pinning {
    /// The documents cited.
    #[serde(rename = "source")]
    pub sources: Vec<PinSource>,
    /// The servers, in the order their ports count up from the base.
    #[serde(rename = "server")]
    pub servers: Vec<PinServer>,
    /// The narrowed dynamic range.
    pub rest: PinRest,
}

impl Pinning {
    /// Parses and checks `text`: services must exist in `catalog` or `modern`, sources must be
    /// defined, UUIDs well formed, server values without data, and the rest not empty.
    pub fn parse(
        text: &str,
        catalog: &Catalog,
        modern: Option<&Modern>,
    ) -> Result<Pinning, PinningError> {
        let pinning: Pinning =
            toml::from_str(text).map_err(|e| PinningError::Parse(e.to_string()))?;
        let keys: HashSet<&str> = pinning.sources.iter().map(|s| s.key.as_str()).collect();
        let known_service = |id: &str| {
            catalog.service(id).is_some() || modern.is_some_and(|m| m.service(id).is_some())
        };
        let mut ids = HashSet::new();
        for server in &pinning.servers {
            let invalid = |problem: String| PinningError::Invalid {
                entry: format!("server {}", server.id),
                problem,
            };
            if !ids.insert(server.id.as_str()) {
                return Err(invalid("the id appears twice".to_string()));
            }
            if server.services.is_empty() {
                return Err(invalid("it names no service".to_string()));
            }
            if let Some(unknown) = server.services.iter().find(|s| !known_service(s)) {
                return Err(invalid(format!(
                    "service `{unknown}` is in neither catalog.toml nor modern.toml"
                )));
            }
            check_sources(&server.sources, &keys).map_err(invalid)?;
            if let Some(bad) = server.interfaces.iter().find(|i| !is_uuid(&i.uuid)) {
                return Err(invalid(format!(
                    "interface {} has a malformed UUID `{}`",
                    bad.name, bad.uuid
                )));
            }
            if server.windows.is_none() && server.samba.is_none() {
                return Err(invalid(
                    "it has neither a windows nor a samba setting".to_string(),
                ));
            }
            if let Some(w) = &server.windows {
                if w.registry.is_empty() && w.commands.is_empty() {
                    return Err(invalid("its windows setting is empty".to_string()));
                }
                if let Some(v) = w
                    .registry
                    .iter()
                    .find(|v| v.data.is_some() || v.kind != RegType::Dword)
                {
                    return Err(invalid(format!(
                        "registry value `{}` must be a dword without data: it is set to the port",
                        v.value
                    )));
                }
            }
            if server.samba.as_ref().is_some_and(|s| s.settings.is_empty()) {
                return Err(invalid("its samba setting is empty".to_string()));
            }
        }
        let rest_invalid = |problem: String| PinningError::Invalid {
            entry: "rest".to_string(),
            problem,
        };
        if pinning.rest.ports == 0 {
            return Err(rest_invalid("it has no ports".to_string()));
        }
        check_sources(&pinning.rest.sources, &keys).map_err(rest_invalid)?;
        if let Some(v) = pinning
            .rest
            .windows
            .registry
            .iter()
            .find(|v| v.data.is_none())
        {
            return Err(rest_invalid(format!(
                "registry value `{}` has no data",
                v.value
            )));
        }
        Ok(pinning)
    }
}

fn check_sources(sources: &[String], keys: &HashSet<&str>) -> Result<(), String> {
    if sources.is_empty() {
        return Err("it cites no source".to_string());
    }
    match sources.iter().find(|s| !keys.contains(s.as_str())) {
        Some(unknown) => Err(format!("source `{unknown}` is not a [[source]] key")),
        None => Ok(()),
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case hex.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| {
            g.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_data_is_valid() {
        let catalog = Catalog::builtin().unwrap();
        let modern = Modern::builtin(&catalog).unwrap();
        let pinning = Pinning::parse(BUILTIN_PINNING, &catalog, Some(&modern)).unwrap();
        let ids: Vec<&str> = pinning.servers.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["directory", "netlogon", "frs", "dfsr"]);
        assert!(
            pinning.rest.ports >= 100,
            "Microsoft advises at least 100 ports"
        );
    }

    #[test]
    fn bad_data_is_refused_with_the_entry() {
        let catalog = Catalog::builtin().unwrap();
        let broken = BUILTIN_PINNING.replacen(
            "services = [\"net-logon\"]",
            "services = [\"no-such-service\"]",
            1,
        );
        let err = Pinning::parse(&broken, &catalog, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("server netlogon"), "{err}");
        assert!(err.contains("no-such-service"), "{err}");
        let broken = BUILTIN_PINNING.replacen("sources = [\"dfsrdiag\"", "sources = [\"nope\"", 1);
        let modern = Modern::builtin(&catalog).unwrap();
        let err = Pinning::parse(&broken, &catalog, Some(&modern))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("server dfsr") && err.contains("`nope`"),
            "{err}"
        );
        assert!(is_uuid("e3514235-4b06-11d1-ab04-00c04fc2dcd2"));
        assert!(!is_uuid("E3514235-4b06-11d1-ab04-00c04fc2dcd2"));
        assert!(!is_uuid("e3514235-4b06-11d1-ab04"));
    }
}
