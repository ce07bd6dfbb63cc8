//! Pinned RPC: the server-side settings that put each RPC server of a role on a fixed port,
//! counting up from a base, and the narrowed dynamic range for the rest.
//!
//! A [`PinLayout`] gives each server of `data/pinning.toml` whose services the role has the
//! next port from the base, in the file's order, then a block of the rest's size: the same
//! base gives the same ports whatever the platform, so `portolan pin --for windows`, `--for
//! samba` and `plan --pin-rpc` agree. The layout renders as PowerShell, as a `.reg` file and
//! as smb.conf lines.
//!
//! ```
//! use portolan_catalog::Catalog;
//! use portolan_plan::pin::PinLayout;
//!
//! let catalog = Catalog::builtin().unwrap();
//! let pinning = portolan_builtin::pinning(&catalog).unwrap();
//! let layout = PinLayout::for_role(&catalog, &pinning, "domain-controller", 10000).unwrap();
//! assert_eq!(layout.port_of("directory"), Some(10000));
//! assert_eq!(layout.port_of("netlogon"), Some(10001));
//! assert!(layout.samba().contains("rpc server port:netlogon = 10001"));
//! ```

use portolan_catalog::{
    Catalog, PinInterface, PinServer, Pinning, PortSpec, RegType, RegistryValue, SambaPin,
    WindowsPin,
};
use serde::Serialize;

use crate::error::PlanError;
use crate::ports::PortRange;

/// The lowest base: ports below 1024 are the well-known ones.
pub const MIN_BASE: u32 = 1024;

/// The platform whose settings `pin` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PinPlatform {
    /// Windows Server: registry values and dfsrdiag.
    Windows,
    /// Samba's AD DC: smb.conf lines.
    Samba,
}

/// A server of the layout with its port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinnedServer {
    /// The server's id in pinning.toml.
    pub id: String,
    /// What it is.
    pub name: String,
    /// Its fixed port.
    pub port: u16,
    /// The subject's services it serves.
    pub services: Vec<String>,
    /// The interfaces that answer on the port.
    #[serde(skip)]
    pub interfaces: Vec<PinInterface>,
    #[serde(skip)]
    windows: Option<WindowsPin>,
    #[serde(skip)]
    samba: Option<SambaPin>,
}

/// Which port each RPC server of a subject (a role, or a plan's services) gets from a base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinLayout {
    /// What the layout is for: role ids, or service ids.
    pub subject: String,
    /// The first port.
    pub base: u16,
    /// The servers with fixed ports, in order.
    pub servers: Vec<PinnedServer>,
    /// The narrowed dynamic range for every other RPC server.
    pub rest: PortRange,
    /// The subject's catalog services, whose RPC interfaces belong on these ports.
    #[serde(skip)]
    pub services: Vec<String>,
    #[serde(skip)]
    pinning: Pinning,
}

impl PinLayout {
    /// The layout of a role (every entry, optional ones too: the ports must not depend on
    /// whether a plan leaves optional services out).
    pub fn for_role(
        catalog: &Catalog,
        pinning: &Pinning,
        role: &str,
        base: u32,
    ) -> Result<PinLayout, PlanError> {
        PinLayout::for_subjects(catalog, pinning, &[role.to_string()], &[], base)
    }

    /// The layout of roles and services together, as `plan` has them: every service the
    /// roles name (optional ones too) and the services asked for. `pin`, `plan --pin-rpc`,
    /// `rpc --pin-rpc` and `check --pin-rpc` all take their ports from here.
    pub fn for_subjects(
        catalog: &Catalog,
        pinning: &Pinning,
        roles: &[String],
        services: &[String],
        base: u32,
    ) -> Result<PinLayout, PlanError> {
        if roles.is_empty() && services.is_empty() {
            return Err(PlanError::Empty);
        }
        let mut subject: Vec<String> = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        let add = |id: &String, ids: &mut Vec<String>| {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        };
        for name in roles {
            let role = catalog.resolve_role(name)?;
            if !subject.contains(&role.id) {
                subject.push(role.id.clone());
            }
            for entry in &role.services {
                add(&entry.service, &mut ids);
            }
        }
        for name in services {
            let service = catalog.resolve_service(name)?;
            if !subject.contains(&service.id) {
                subject.push(service.id.clone());
            }
            add(&service.id, &mut ids);
        }
        PinLayout::for_services(catalog, pinning, &subject.join(", "), &ids, base)
    }

    /// The layout of a set of catalog services; `subject` names them in messages and headers.
    pub fn for_services(
        catalog: &Catalog,
        pinning: &Pinning,
        subject: &str,
        services: &[String],
        base: u32,
    ) -> Result<PinLayout, PlanError> {
        let chosen: Vec<&PinServer> = pinning
            .servers
            .iter()
            .filter(|s| s.services.iter().any(|id| services.contains(id)))
            .collect();
        let has_dynamic = services.iter().any(|id| {
            catalog
                .service(id)
                .is_some_and(|s| s.ports.iter().any(|r| r.port == Some(PortSpec::RpcDynamic)))
        });
        if chosen.is_empty() && !has_dynamic {
            return Err(PlanError::NothingToPin {
                subject: subject.to_string(),
            });
        }
        let count = chosen.len() as u32 + u32::from(pinning.rest.ports);
        let last_base = u32::from(u16::MAX) + 1 - count;
        if !(MIN_BASE..=last_base).contains(&base) {
            return Err(PlanError::BadPinBase {
                input: base.to_string(),
                problem: format!(
                    "{subject} needs {count} ports ({} server(s) and a range of {}), so the base must be from {MIN_BASE} to {last_base}",
                    chosen.len(),
                    pinning.rest.ports
                ),
            });
        }
        // In bounds: base + count - 1 <= 65535.
        let port = |offset: u32| u16::try_from(base + offset).unwrap_or(u16::MAX);
        let servers: Vec<PinnedServer> = chosen
            .iter()
            .enumerate()
            .map(|(i, s)| PinnedServer {
                id: s.id.clone(),
                name: s.name.clone(),
                port: port(i as u32),
                services: s
                    .services
                    .iter()
                    .filter(|id| services.contains(id))
                    .cloned()
                    .collect(),
                interfaces: s.interfaces.clone(),
                windows: s.windows.clone(),
                samba: s.samba.clone(),
            })
            .collect();
        let first = port(servers.len() as u32);
        let last = port(count - 1);
        Ok(PinLayout {
            subject: subject.to_string(),
            base: port(0),
            servers,
            rest: PortRange { first, last },
            services: services.to_vec(),
            pinning: pinning.clone(),
        })
    }

    /// Every pinned port: base to the rest's end (one run).
    pub fn ports(&self) -> PortRange {
        PortRange {
            first: self.base,
            last: self.rest.last,
        }
    }

    /// The port of a server, by id.
    pub fn port_of(&self, id: &str) -> Option<u16> {
        self.servers.iter().find(|s| s.id == id).map(|s| s.port)
    }

    fn header(&self, platform: &str, comment: &str) -> Vec<String> {
        vec![
            format!(
                "{comment} portolan pin: the RPC servers of {} on TCP {} ({platform})",
                self.subject,
                self.ports()
            ),
            format!(
                "{comment} Plan the firewall with: portolan plan ... --pin-rpc {}",
                self.base
            ),
        ]
    }

    /// PowerShell that writes the Windows settings (run as an administrator on the server).
    pub fn powershell(&self) -> String {
        let mut out = self.header("Windows", "#");
        out.push(
            "# Run as an administrator on the server; then restart as each block says.".to_string(),
        );
        for server in &self.servers {
            let Some(windows) = &server.windows else {
                continue;
            };
            out.push(String::new());
            out.push(format!("# {}: TCP {}", server.name, server.port));
            out.push(format!("# {}", windows.restart));
            for value in &windows.registry {
                out.extend(ps_set(value, &server.port.to_string()));
            }
            for command in &windows.commands {
                out.push(
                    command
                        .replace("{port}", &server.port.to_string())
                        .replace("{member}", "$env:COMPUTERNAME"),
                );
            }
        }
        let rest = &self.pinning.rest;
        out.push(String::new());
        out.push(format!(
            "# Every other RPC server: the dynamic range narrowed to TCP {}",
            self.rest
        ));
        out.push(format!("# {}", rest.windows.restart));
        for value in &rest.windows.registry {
            out.extend(ps_set(value, &self.rest_data(value)));
        }
        join_lines(&out, "\n")
    }

    fn rest_data(&self, value: &RegistryValue) -> String {
        value
            .data
            .as_deref()
            .unwrap_or_default()
            .replace("{first}", &self.rest.first.to_string())
            .replace("{last}", &self.rest.last.to_string())
    }

    /// The Windows settings as a `.reg` file (regedit's version 5 format; write it with
    /// [`reg_file_bytes`]). Commands a `.reg` cannot run are comments.
    pub fn reg_file(&self) -> String {
        let mut out = vec![
            "Windows Registry Editor Version 5.00".to_string(),
            String::new(),
        ];
        out.extend(self.header("Windows", ";"));
        out.push(String::new());
        let mut keys: Vec<(String, Vec<String>)> = Vec::new();
        let mut notes = Vec::new();
        let mut add = |key: &str, line: String| match keys.iter_mut().find(|(k, _)| k == key) {
            Some((_, lines)) => lines.push(line),
            None => keys.push((key.to_string(), vec![line])),
        };
        for server in &self.servers {
            let Some(windows) = &server.windows else {
                continue;
            };
            for value in &windows.registry {
                add(&value.key, reg_line(value, &server.port.to_string()));
            }
            notes.push(format!("; {} (TCP {}):", server.name, server.port));
            for command in &windows.commands {
                notes.push(format!(
                    ";   a .reg file cannot do this; run on the server: {}",
                    command
                        .replace("{port}", &server.port.to_string())
                        .replace("{member}", "<server name>")
                ));
            }
            notes.push(format!(";   {}", windows.restart));
        }
        for value in &self.pinning.rest.windows.registry {
            add(&value.key, reg_line(value, &self.rest_data(value)));
        }
        notes.push(format!("; Every other RPC server (TCP {}):", self.rest));
        notes.push(format!(";   {}", self.pinning.rest.windows.restart));
        for (key, lines) in keys {
            out.push(format!("[{}]", full_hive(&key)));
            out.extend(lines);
            out.push(String::new());
        }
        out.extend(notes);
        join_lines(&out, "\r\n")
    }

    /// smb.conf lines for `[global]` of a Samba AD DC.
    pub fn samba(&self) -> String {
        let mut out = self.header("Samba AD DC", "#");
        out.push(
            "# Put these lines in the [global] section of smb.conf, then restart samba."
                .to_string(),
        );
        for server in &self.servers {
            let Some(samba) = &server.samba else {
                continue;
            };
            out.push(format!("# {}: TCP {}", server.name, server.port));
            for setting in &samba.settings {
                out.push(format!("{setting} = {}", server.port));
            }
        }
        out.push(format!(
            "# Every other RPC server: the dynamic range narrowed to TCP {}",
            self.rest
        ));
        out.push(format!(
            "{} = {}-{}",
            self.pinning.rest.samba.setting, self.rest.first, self.rest.last
        ));
        join_lines(&out, "\n")
    }

    /// The settings of a platform: PowerShell for Windows, smb.conf lines for Samba.
    pub fn settings(&self, platform: PinPlatform) -> String {
        match platform {
            PinPlatform::Windows => self.powershell(),
            PinPlatform::Samba => self.samba(),
        }
    }

    /// The servers a platform has a setting for.
    pub fn servers_for(&self, platform: PinPlatform) -> impl Iterator<Item = &PinnedServer> {
        self.servers.iter().filter(move |s| match platform {
            PinPlatform::Windows => s.windows.is_some(),
            PinPlatform::Samba => s.samba.is_some(),
        })
    }
}

fn join_lines(lines: &[String], end: &str) -> String {
    let mut text = lines.join(end);
    text.push_str(end);
    text
}

/// `HKLM\...` as regedit writes it: `HKEY_LOCAL_MACHINE\...`.
fn full_hive(key: &str) -> String {
    match key.strip_prefix("HKLM\\") {
        Some(rest) => format!("HKEY_LOCAL_MACHINE\\{rest}"),
        None => key.to_string(),
    }
}

/// PowerShell's registry path: `HKLM:\...`.
fn ps_path(key: &str) -> String {
    match key.strip_prefix("HKLM\\") {
        Some(rest) => format!("HKLM:\\{rest}"),
        None => key.to_string(),
    }
}

fn ps_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Creates the key when it is missing (New-Item -Force would empty an existing key), then
/// writes the value with its type, replacing an existing one.
fn ps_set(value: &RegistryValue, data: &str) -> Vec<String> {
    let path = ps_quote(&ps_path(&value.key));
    let (kind, data) = match value.kind {
        RegType::Dword => ("DWord", data.to_string()),
        RegType::Sz => ("String", ps_quote(data)),
        RegType::MultiSz => ("MultiString", format!("@({})", ps_quote(data))),
    };
    vec![
        format!("if (-not (Test-Path -Path {path})) {{ New-Item -Path {path} | Out-Null }}"),
        format!(
            "New-ItemProperty -Path {path} -Name {} -PropertyType {kind} -Value {data} -Force | Out-Null",
            ps_quote(&value.value)
        ),
    ]
}

/// A value line of a version 5 `.reg` file.
fn reg_line(value: &RegistryValue, data: &str) -> String {
    let name = format!("\"{}\"", reg_escape(&value.value));
    match value.kind {
        RegType::Dword => {
            let number: u32 = data.parse().unwrap_or_default();
            format!("{name}=dword:{number:08x}")
        }
        RegType::Sz => format!("{name}=\"{}\"", reg_escape(data)),
        RegType::MultiSz => {
            // UTF-16LE, each string ends with a NUL, the list with one more.
            let mut bytes = Vec::new();
            for unit in data.encode_utf16().chain([0, 0]) {
                bytes.extend(unit.to_le_bytes());
            }
            wrap_hex(&format!("{name}=hex(7):"), &bytes)
        }
    }
}

fn reg_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Hex bytes as regedit writes them: comma-separated, lines broken with a backslash before
/// they pass 80 columns, continuation lines indented by two spaces.
fn wrap_hex(prefix: &str, bytes: &[u8]) -> String {
    const WIDTH: usize = 80;
    let mut out = String::from(prefix);
    let mut column = prefix.len();
    for (i, byte) in bytes.iter().enumerate() {
        let last = i + 1 == bytes.len();
        let cell = if last {
            format!("{byte:02x}")
        } else {
            format!("{byte:02x},")
        };
        // Room for the cell and, unless it is the last, a trailing backslash.
        if column + cell.len() + usize::from(!last) > WIDTH - 1 {
            out.push_str("\\\r\n  ");
            column = 2;
        }
        out.push_str(&cell);
        column += cell.len();
    }
    out
}

/// A `.reg` file's bytes as regedit writes them: UTF-16LE with a byte-order mark.
pub fn reg_file_bytes(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(role: &str, base: u32) -> Result<PinLayout, PlanError> {
        let catalog = Catalog::builtin().unwrap();
        let pinning = portolan_builtin::pinning(&catalog).unwrap();
        PinLayout::for_role(&catalog, &pinning, role, base)
    }

    #[test]
    fn a_domain_controller_counts_up_from_the_base() {
        let l = layout("Domain controller", 10000).unwrap();
        let ports: Vec<(&str, u16)> = l.servers.iter().map(|s| (s.id.as_str(), s.port)).collect();
        assert_eq!(
            ports,
            [
                ("directory", 10000),
                ("netlogon", 10001),
                ("frs", 10002),
                ("dfsr", 10003)
            ]
        );
        assert_eq!(l.rest, PortRange::new(10004, 10103).unwrap());
        assert_eq!(l.ports(), PortRange::new(10000, 10103).unwrap());
        let samba: Vec<&str> = l
            .servers_for(PinPlatform::Samba)
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(samba, ["directory", "netlogon"]);
    }

    #[test]
    fn a_role_without_named_servers_gets_the_range_alone() {
        let l = layout("certificate-authority", 20000).unwrap();
        assert!(l.servers.is_empty());
        assert_eq!(l.rest, PortRange::new(20000, 20099).unwrap());
        assert!(l.powershell().contains("'20000-20099'"));
    }

    #[test]
    fn bad_bases_and_roles_say_the_fix() {
        for (base, wanted) in [
            (1023, "from 1024 to 65432"),
            (65433, "from 1024 to 65432"),
            (70000, "65432"),
        ] {
            let err = layout("domain-controller", base).unwrap_err().to_string();
            assert!(err.contains(&base.to_string()), "{err}");
            assert!(err.contains(wanted), "{err}");
            assert!(err.contains("104 ports"), "{err}");
        }
        assert!(layout("domain-controller", 65432).is_ok());
        let err = layout("dns-server", 10000).unwrap_err().to_string();
        assert!(
            err.contains("dns-server") && err.contains("no RPC server"),
            "{err}"
        );
        assert!(layout("no-such-role", 10000).is_err());
    }

    #[test]
    fn powershell_writes_typed_values() {
        let ps = layout("domain-controller", 10000).unwrap().powershell();
        for line in [
            r"New-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\NTDS\Parameters' -Name 'TCP/IP Port' -PropertyType DWord -Value 10000 -Force | Out-Null",
            r"New-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters' -Name 'DCTcpipPort' -PropertyType DWord -Value 10001 -Force | Out-Null",
            r"New-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\NtFrs\Parameters' -Name 'RPC TCP/IP Port Assignment' -PropertyType DWord -Value 10002 -Force | Out-Null",
            "dfsrdiag StaticRPC /port:10003 /Member:$env:COMPUTERNAME",
            r"if (-not (Test-Path -Path 'HKLM:\SOFTWARE\Microsoft\Rpc\Internet')) { New-Item -Path 'HKLM:\SOFTWARE\Microsoft\Rpc\Internet' | Out-Null }",
            r"New-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Rpc\Internet' -Name 'Ports' -PropertyType MultiString -Value @('10004-10103') -Force | Out-Null",
            r"New-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Rpc\Internet' -Name 'PortsInternetAvailable' -PropertyType String -Value 'Y' -Force | Out-Null",
            r"New-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Rpc\Internet' -Name 'UseInternetPorts' -PropertyType String -Value 'Y' -Force | Out-Null",
        ] {
            assert!(ps.lines().any(|l| l == line), "missing {line}\n{ps}");
        }
    }

    #[test]
    fn the_reg_file_is_regedit_version_5() {
        let reg = layout("domain-controller", 10000).unwrap().reg_file();
        assert!(reg.starts_with("Windows Registry Editor Version 5.00\r\n\r\n"));
        assert!(!reg.replace("\r\n", "").contains('\n'), "CRLF only");
        assert!(reg.contains(
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\NTDS\\Parameters]\r\n\"TCP/IP Port\"=dword:00002710\r\n"
        ));
        assert!(reg.contains("\"DCTcpipPort\"=dword:00002711"));
        assert!(reg.contains("\"RPC TCP/IP Port Assignment\"=dword:00002712"));
        assert!(reg.contains("\"PortsInternetAvailable\"=\"Y\""));
        // "10004-10103" in UTF-16LE, a NUL, and the list's closing NUL.
        let joined = reg.replace("\\\r\n  ", "");
        assert!(joined.contains(
            "\"Ports\"=hex(7):31,00,30,00,30,00,30,00,34,00,2d,00,31,00,30,00,31,00,30,00,33,00,00,00,00,00\r\n"
        ), "{reg}");
        assert!(
            reg.lines()
                .filter(|l| !l.starts_with(';'))
                .all(|l| l.trim_end_matches('\r').len() <= 80),
            "{reg}"
        );
        assert!(reg.contains("; DFS Replication"));
        let bytes = reg_file_bytes(&reg);
        assert_eq!(&bytes[..4], &[0xff, 0xfe, b'W', 0]);
    }

    #[test]
    fn samba_lines_pin_every_interface_of_the_main_process() {
        let samba = layout("domain-controller", 10000).unwrap().samba();
        assert!(samba.contains("\nrpc server port:drsuapi = 10000\n"));
        assert!(samba.contains("\nrpc server port:lsarpc = 10000\n"));
        assert!(samba.contains("\nrpc server port:netlogon = 10001\n"));
        assert!(samba.contains("\nrpc server dynamic port range = 10004-10103\n"));
        assert!(!samba.contains("NtFrs") && !samba.contains("dfsrdiag"));
        assert!(
            samba
                .lines()
                .all(|l| l.starts_with('#') || l.contains(" = "))
        );
    }
}
