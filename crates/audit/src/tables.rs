//! What the audit knows beyond the catalog's rows: which service holds a listener that
//! several services use, ports the seed document does not list, the executables and RPC
//! interfaces of catalog services.

use portolan_catalog::Transport;

/// A port several catalog services list, with the one that holds the socket (if it is a
/// catalog service) and what the others reach it through.
pub(crate) struct SharedPort {
    pub transport: Transport,
    pub port: u16,
    /// The catalog service that holds the socket; `None` when a driver holds it.
    pub owner: Option<&'static str>,
    /// What the other services use: "the RPC endpoint mapper".
    pub via: &'static str,
}

pub(crate) const SHARED_PORTS: &[SharedPort] = &[
    SharedPort {
        transport: Transport::Tcp,
        port: 135,
        owner: Some("rpc"),
        via: "the RPC endpoint mapper",
    },
    SharedPort {
        transport: Transport::Tcp,
        port: 593,
        owner: Some("rpc"),
        via: "the RPC over HTTP endpoint mapper",
    },
    SharedPort {
        transport: Transport::Tcp,
        port: 445,
        owner: Some("server"),
        via: "SMB (shares and named pipes)",
    },
    SharedPort {
        transport: Transport::Tcp,
        port: 139,
        owner: Some("server"),
        via: "the NetBIOS session service (SMB over NetBIOS)",
    },
    SharedPort {
        transport: Transport::Tcp,
        port: 389,
        owner: Some("local-security-authority"),
        via: "LDAP",
    },
    SharedPort {
        transport: Transport::Udp,
        port: 389,
        owner: Some("local-security-authority"),
        via: "connectionless LDAP",
    },
    SharedPort {
        transport: Transport::Udp,
        port: 137,
        owner: None,
        via: "the NetBIOS name service of NetBIOS over TCP/IP",
    },
    SharedPort {
        transport: Transport::Udp,
        port: 138,
        owner: None,
        via: "the NetBIOS datagram service (mailslots) of NetBIOS over TCP/IP",
    },
];

pub(crate) fn shared_port(transport: Transport, port: u16) -> Option<&'static SharedPort> {
    SHARED_PORTS
        .iter()
        .find(|s| s.transport == transport && s.port == port)
}

/// A port that Windows servers (or Samba) listen on but the seed document does not list.
pub(crate) struct ExtraPort {
    pub id: &'static str,
    pub name: &'static str,
    pub transport: Transport,
    pub port: u16,
    pub note: &'static str,
    /// The catalog service this port comes with: expected wherever that service is.
    pub companion_of: Option<&'static str>,
}

pub(crate) const EXTRA_PORTS: &[ExtraPort] = &[
    ExtraPort {
        id: "kpasswd",
        name: "Kerberos password change (kpasswd)",
        transport: Transport::Tcp,
        port: 464,
        note: "Every Kerberos KDC of a domain answers password changes here.",
        companion_of: Some("kerberos-kdc"),
    },
    ExtraPort {
        id: "kpasswd",
        name: "Kerberos password change (kpasswd)",
        transport: Transport::Udp,
        port: 464,
        note: "Every Kerberos KDC of a domain answers password changes here.",
        companion_of: Some("kerberos-kdc"),
    },
    ExtraPort {
        id: "adws",
        name: "Active Directory Web Services",
        transport: Transport::Tcp,
        port: 9389,
        note: "Domain controllers from Windows Server 2008 R2 on serve the AD PowerShell module here.",
        companion_of: Some("local-security-authority"),
    },
    ExtraPort {
        id: "dfsr",
        name: "DFS Replication RPC",
        transport: Transport::Tcp,
        port: 5722,
        note: "Windows Server 2008 and later domain controllers replicate SYSVOL with DFSR, which replaced FRS.",
        companion_of: Some("file-replication"),
    },
    ExtraPort {
        id: "rdp-udp",
        name: "Remote Desktop over UDP",
        transport: Transport::Udp,
        port: 3389,
        note: "RDP 8 and later carry sessions over UDP beside TCP 3389.",
        companion_of: Some("terminal-services"),
    },
    ExtraPort {
        id: "winrm-http",
        name: "Windows Remote Management (HTTP)",
        transport: Transport::Tcp,
        port: 5985,
        note: "WS-Management for PowerShell remoting; on by default from Windows Server 2012.",
        companion_of: None,
    },
    ExtraPort {
        id: "winrm-https",
        name: "Windows Remote Management (HTTPS)",
        transport: Transport::Tcp,
        port: 5986,
        note: "WS-Management over TLS, when an HTTPS listener is configured.",
        companion_of: None,
    },
    ExtraPort {
        id: "winrm-local",
        name: "Windows Remote Management local HTTP listener",
        transport: Transport::Tcp,
        port: 47001,
        note: "An HTTP.sys listener of the System process that Windows Remote Management sets up on servers.",
        companion_of: None,
    },
    ExtraPort {
        id: "llmnr",
        name: "Link-Local Multicast Name Resolution",
        transport: Transport::Udp,
        port: 5355,
        note: "The DNS Client resolves single-label names on the local link with it.",
        companion_of: None,
    },
    ExtraPort {
        id: "mdns",
        name: "Multicast DNS",
        transport: Transport::Udp,
        port: 5353,
        note: "Name discovery on the local link.",
        companion_of: None,
    },
    ExtraPort {
        id: "ws-discovery",
        name: "WS-Discovery",
        transport: Transport::Udp,
        port: 3702,
        note: "Device and printer discovery on the local link.",
        companion_of: None,
    },
    ExtraPort {
        id: "wsdapi",
        name: "Web Services on Devices",
        transport: Transport::Tcp,
        port: 5357,
        note: "Device and printer discovery over HTTP.",
        companion_of: None,
    },
    ExtraPort {
        id: "ssh",
        name: "SSH",
        transport: Transport::Tcp,
        port: 22,
        note: "Encrypted remote shell (OpenSSH).",
        companion_of: None,
    },
];

pub(crate) fn extra_port(transport: Transport, port: u16) -> Option<&'static ExtraPort> {
    EXTRA_PORTS
        .iter()
        .find(|e| e.transport == transport && e.port == port)
}

/// Windows executables (lower case) and the catalog services they host, where the catalog's
/// own `process` field does not say. `svchost.exe` is absent: its service tag says more.
pub(crate) const PROCESS_SERVICES: &[(&str, &[&str])] = &[
    (
        "lsass.exe",
        &["local-security-authority", "kerberos-kdc", "net-logon"],
    ),
    ("dns.exe", &["dns-server"]),
    ("ntfrs.exe", &["file-replication"]),
    ("wins.exe", &["wins"]),
    (
        "tcpsvcs.exe",
        &["simple-tcpip", "tcpip-print-server", "dhcp-server"],
    ),
    (
        "inetinfo.exe",
        &["ftp-publishing", "smtp", "nntp", "www-publishing"],
    ),
    ("msdtc.exe", &["distributed-transaction-coordinator"]),
    ("mqsvc.exe", &["message-queuing"]),
    ("tlntsvr.exe", &["telnet"]),
    ("certsrv.exe", &["certificate-services"]),
    ("clussvc.exe", &["cluster-service"]),
    ("spoolsv.exe", &["print-spooler"]),
    ("snmp.exe", &["snmp"]),
    ("snmptrap.exe", &["snmp-trap"]),
    ("tftpd.exe", &["tftp"]),
    ("pop3svc.exe", &["pop3-service"]),
    ("store.exe", &["exchange-server"]),
    ("emsmta.exe", &["exchange-mta-stacks"]),
    ("msmdsrv.exe", &["sql-analysis-server"]),
];

/// Process names (lower case, without `.exe`) that are not a mismatch when they hold a
/// catalog port: hosts of many services that a listing cannot tell apart (`svchost` without
/// a service tag, the kernel's `System`, which holds SMB, NetBIOS and HTTP.sys ports), and the
/// usual daemons of other systems that serve the same protocols as the catalog's Windows
/// services (Samba for SMB, LDAP, Kerberos and RPC; BIND, dnsmasq; chrony, ntpd; inetd for
/// Telnet and the simple TCP/IP services; web, mail, news, FTP, VPN, SNMP and print servers).
/// Any other named process on a port with one catalog owner is an owner mismatch
/// (`dockerd` on TCP 389).
const IMPLEMENTATIONS: &[&str] = &[
    // Windows hosts of many services.
    "svchost",
    "system",
    "services",
    "wininit",
    // Samba and Kerberos/LDAP servers.
    "samba",
    "smbd",
    "nmbd",
    "winbindd",
    "kdc",
    "ldap",
    "ldap_server",
    "cldap",
    "rpc",
    "nbt",
    "dns",
    "krb5kdc",
    "kadmind",
    "kpasswdd",
    "slapd",
    // Name and time servers.
    "named",
    "dnsmasq",
    "unbound",
    "chronyd",
    "ntpd",
    "dhcpd",
    "kea-dhcp4",
    "minissdpd",
    // inetd and the servers of classic protocols.
    "inetd",
    "xinetd",
    "in.telnetd",
    "telnetd",
    "vsftpd",
    "proftpd",
    "pure-ftpd",
    "in.tftpd",
    "nginx",
    "apache2",
    "httpd",
    "lighttpd",
    "xrdp",
    "dovecot",
    "master",
    "postfix",
    "sendmail",
    "exim",
    "exim4",
    "innd",
    "nnrpd",
    "lpd",
    "cupsd",
    "snmpd",
    "snmptrapd",
    "charon",
    "pluto",
    "racoon",
    "pptpd",
    "xl2tpd",
    "radiusd",
    "freeradius",
    "sshd",
    "rpcbind",
];

/// True when `stem` (a lower-case process name without `.exe`) is one of
/// [`IMPLEMENTATIONS`] or a Samba helper (`rpcd_*`, `samba-*`).
pub(crate) fn is_implementation(stem: &str) -> bool {
    IMPLEMENTATIONS.contains(&stem) || stem.starts_with("rpcd_") || stem.starts_with("samba")
}

/// RPC interfaces (UUID in upper case, short name) and the catalog service that registers
/// them, from the endpoint mapper's point of view.
pub(crate) const RPC_INTERFACES: &[(&str, &str, Option<&str>)] = &[
    (
        "12345678-1234-ABCD-EF00-01234567CFFB",
        "netlogon",
        Some("net-logon"),
    ),
    (
        "12345778-1234-ABCD-EF00-0123456789AB",
        "lsarpc",
        Some("local-security-authority"),
    ),
    (
        "12345778-1234-ABCD-EF00-0123456789AC",
        "samr",
        Some("local-security-authority"),
    ),
    (
        "3919286A-B10C-11D0-9BA8-00C04FD92EF5",
        "dssetup",
        Some("local-security-authority"),
    ),
    (
        "E3514235-4B06-11D1-AB04-00C04FC2DCD2",
        "drsuapi",
        Some("local-security-authority"),
    ),
    (
        "3DDE7C30-165D-11D1-AB8F-00805F14DB40",
        "backupkey",
        Some("local-security-authority"),
    ),
    (
        "50ABC2A4-574D-40B3-9D66-EE4FD5FBA076",
        "dnsserver",
        Some("dns-server"),
    ),
    (
        "82273FDC-E32A-18C3-3F78-827929DC23EA",
        "eventlog",
        Some("event-log"),
    ),
    (
        "F6BEAFF7-1E19-4FBB-9F8F-B89E2018337C",
        "eventlog6",
        Some("event-log"),
    ),
    (
        "6BFFD098-A112-3610-9833-012892020162",
        "browser",
        Some("computer-browser"),
    ),
    (
        "F5CC59B4-4264-101A-8C59-08002B2F8426",
        "frsrpc",
        Some("file-replication"),
    ),
    (
        "D049B186-814F-11D1-9A3C-00C04FC9B232",
        "NtFrsApi",
        Some("file-replication"),
    ),
    (
        "4DA1C422-943D-11D1-ACAE-00C04FC2AA3F",
        "trksvr",
        Some("distributed-link-tracking"),
    ),
    (
        "906B0CE0-C70B-1067-B317-00DD010662DA",
        "IXnRemote",
        Some("distributed-transaction-coordinator"),
    ),
    (
        "91AE6020-9E3C-11CF-8D7C-00AA00C091BE",
        "ICertPassage",
        Some("certificate-services"),
    ),
    (
        "B97DB8B2-4C63-11CF-BFF6-08002BE23F2F",
        "clusapi",
        Some("cluster-service"),
    ),
    (
        "E1AF8308-5D1F-11C9-91A4-08002B14A0FA",
        "epmapper",
        Some("rpc"),
    ),
    ("6BFFD098-A112-3610-9833-46C3F87E345A", "wkssvc", None),
    ("AFA8BD80-7D8A-11C9-BEF4-08002B102989", "mgmt", None),
    ("9C54E310-A955-4885-BD31-78787147DFA6", "unixinfo", None),
];

/// The catalog service of an RPC interface given by UUID or short name.
pub(crate) fn rpc_interface(uuid_or_name: &str) -> Option<(&'static str, Option<&'static str>)> {
    let wanted = uuid_or_name.trim().trim_matches(|c| c == '{' || c == '}');
    RPC_INTERFACES
        .iter()
        .find(|(uuid, name, _)| {
            uuid.eq_ignore_ascii_case(wanted) || name.eq_ignore_ascii_case(wanted)
        })
        .map(|&(_, name, service)| (name, service))
}

#[cfg(test)]
mod tests {
    use super::*;
    use portolan_catalog::Catalog;

    #[test]
    fn every_service_id_is_in_the_catalog() {
        let catalog = Catalog::builtin().unwrap();
        let ids = SHARED_PORTS
            .iter()
            .filter_map(|s| s.owner)
            .chain(EXTRA_PORTS.iter().filter_map(|e| e.companion_of))
            .chain(
                PROCESS_SERVICES
                    .iter()
                    .flat_map(|(_, ids)| ids.iter().copied()),
            )
            .chain(RPC_INTERFACES.iter().filter_map(|(_, _, s)| *s));
        for id in ids {
            assert!(
                catalog.service(id).is_some(),
                "{id} is not a catalog service"
            );
        }
    }

    #[test]
    fn extra_ports_are_not_catalog_rows() {
        let catalog = Catalog::builtin().unwrap();
        for extra in EXTRA_PORTS {
            let clash = catalog.rows().any(|(_, r)| {
                r.listener
                    && r.transport == extra.transport
                    && r.port
                        .and_then(|p| p.fixed_range())
                        .is_some_and(|(a, b)| a <= extra.port && extra.port <= b)
            });
            assert!(
                !clash,
                "{} {} is a catalog row",
                extra.transport, extra.port
            );
        }
    }

    #[test]
    fn interfaces_by_uuid_or_name() {
        assert_eq!(
            rpc_interface("{12345678-1234-abcd-ef00-01234567cffb}"),
            Some(("netlogon", Some("net-logon")))
        );
        assert_eq!(
            rpc_interface("drsuapi").map(|i| i.1),
            Some(Some("local-security-authority"))
        );
        assert_eq!(rpc_interface("nope"), None);
    }
}
