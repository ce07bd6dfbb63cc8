//! Well-known RPC interfaces: UUID to short name, description, the document that defines
//! the UUID, and the portolan catalog services the interface belongs to.
//!
//! `source` names where the UUID is assigned: the [MS-*] open specification (section 1.9
//! "Standards Assignments" or the IDL appendix), C706, or, for interfaces Microsoft never
//! documented, the public list the UUID was taken from (J.-B. Marchand's "Windows network
//! services internals" tables as quoted by scanners, or the binary names in impacket's
//! `epm.py`). Unknown UUIDs are shown raw by the callers.

use super::uuid::Uuid;

/// One known interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownInterface {
    /// The interface UUID (all versions share it).
    pub uuid: Uuid,
    /// Short name, as IDL or the pipe calls it (`lsarpc`, `samr`, ...).
    pub name: &'static str,
    /// What it is, in a few words.
    pub description: &'static str,
    /// The document that assigns the UUID.
    pub source: &'static str,
    /// Catalog service ids (see [`SERVICE_IDS`]) this interface is evidence of; empty for
    /// interfaces of services the catalog does not list (workstation, registry, ...).
    pub services: &'static [&'static str],
}

/// The catalog service ids an interface may point to (the `id`s of `crates/catalog/data/catalog.toml`).
pub const SERVICE_IDS: &[&str] = &[
    "application-layer-gateway",
    "aspnet-state",
    "certificate-services",
    "cluster-service",
    "computer-browser",
    "dhcp-server",
    "distributed-file-system",
    "distributed-link-tracking",
    "distributed-transaction-coordinator",
    "dns-server",
    "event-log",
    "exchange-server",
    "fax-service",
    "file-replication",
    "file-server-for-macintosh",
    "ftp-publishing",
    "http-ssl",
    "internet-authentication-service",
    "icf-ics",
    "kerberos-kdc",
    "license-logging",
    "local-security-authority",
    "message-queuing",
    "messenger",
    "exchange-mta-stacks",
    "operations-manager",
    "pop3-service",
    "sql-server",
    "mssql-uddi",
    "net-logon",
    "netmeeting-remote-desktop",
    "nntp",
    "performance-logs-alerts",
    "print-spooler",
    "remote-installation",
    "rpc",
    "rpc-locator",
    "remote-storage-notification",
    "remote-storage-server",
    "routing-remote-access",
    "server",
    "sharepoint-portal-server",
    "smtp",
    "simple-tcpip",
    "sms-remote-control",
    "snmp",
    "snmp-trap",
    "sql-analysis-server",
    "olap-downlevel",
    "ssdp-discovery",
    "systems-management-server",
    "tcpip-print-server",
    "telnet",
    "terminal-services",
    "terminal-services-licensing",
    "terminal-services-session-directory",
    "tftp",
    "upnp-device-host",
    "wins",
    "windows-media-services",
    "windows-time",
    "www-publishing",
];

const LSA: &[&str] = &["local-security-authority"];
const RPC: &[&str] = &["rpc"];
const NONE: &[&str] = &[];
const MARCHAND: &str = "J.-B. Marchand, Windows network services internals";

const fn entry(
    uuid: &str,
    name: &'static str,
    description: &'static str,
    source: &'static str,
    services: &'static [&'static str],
) -> KnownInterface {
    KnownInterface {
        uuid: Uuid::literal(uuid),
        name,
        description,
        source,
        services,
    }
}

/// The table, grouped by service. A UUID appears once. One line per interface, so the
/// formatter is told to leave it alone.
#[rustfmt::skip]
pub static KNOWN_INTERFACES: &[KnownInterface] = &[
    // Local Security Authority and Active Directory, all served by lsass.
    entry("12345778-1234-abcd-ef00-0123456789ab", "lsarpc", "Local Security Authority", "[MS-LSAT], [MS-LSAD]", LSA),
    entry("12345778-1234-abcd-ef00-0123456789ac", "samr", "Security Account Manager", "[MS-SAMR]", LSA),
    entry("3919286a-b10c-11d0-9ba8-00c04fd92ef5", "dssetup", "Directory Services Setup", "[MS-DSSP]", LSA),
    entry("e3514235-4b06-11d1-ab04-00c04fc2dcd2", "drsuapi", "AD directory replication", "[MS-DRSR]", LSA),
    entry("7c44d7d4-31d5-424c-bd5e-2b3e1f323d22", "dsaop", "AD replication, DSA operations", "[MS-DRSR]", LSA),
    entry("3dde7c30-165d-11d1-ab8f-00805f14db40", "backupkey", "DPAPI backup keys", "[MS-BKRP]", LSA),
    entry("c681d488-d850-11d0-8c52-00c04fd90f7e", "efsrpc", "Encrypting File System (lsarpc pipe)", "[MS-EFSR]", LSA),
    entry("df1941c5-fe89-4e79-bf10-463657acf44d", "efsrpc", "Encrypting File System", "[MS-EFSR]", LSA),
    entry("afc07e2e-311c-4435-808c-c483ffeec7c9", "lsacap", "Central access policy retrieval", "[MS-CAPR]", LSA),
    entry("b9785960-524f-11df-8b6d-83dcded72085", "gkdi", "Group key distribution", "[MS-GKDI]", LSA),
    entry("12345678-1234-abcd-ef00-01234567cffb", "netlogon", "Netlogon", "[MS-NRPC]", &["net-logon"]),
    // RPC itself: the mapper, management and DCOM activation in rpcss.
    entry("e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epmapper", "RPC endpoint mapper", "C706 appendix O, [MS-RPCE] 2.2.1.2", RPC),
    entry("afa8bd80-7d8a-11c9-bef4-08002b102989", "mgmt", "RPC remote management", "C706 appendix Q, [MS-RPCE]", RPC),
    entry("99fcfec4-5260-101b-bbcb-00aa0021347a", "IObjectExporter", "DCOM OXID resolver", "[MS-DCOM]", RPC),
    entry("000001a0-0000-0000-c000-000000000046", "IRemoteSCMActivator", "DCOM activation", "[MS-DCOM]", RPC),
    entry("4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", "IActivation", "DCOM activation (legacy)", "[MS-DCOM]", RPC),
    entry("e33c0cc4-0482-101a-bc0c-02608c6ba218", "LocToLoc", "RPC Locator, locator to locator", "[MS-RPCL]", &["rpc-locator"]),
    entry("d6d70ef0-0e3b-11cb-acc3-08002b1d29c3", "NsiS", "RPC Locator name service", MARCHAND, &["rpc-locator"]),
    entry("d3fbb514-0e3b-11cb-8fad-08002b1d29c3", "NsiC", "RPC Locator name service", MARCHAND, &["rpc-locator"]),
    entry("d6d70ef0-0e3b-11cb-acc3-08002b1d29c4", "NsiM", "RPC Locator name service", MARCHAND, &["rpc-locator"]),
    // DNS, events, file and print.
    entry("50abc2a4-574d-40b3-9d66-ee4fd5fba076", "dnsserver", "DNS Server management", "[MS-DNSP]", &["dns-server"]),
    entry("82273fdc-e32a-18c3-3f78-827929dc23ea", "eventlog", "Event Log", "[MS-EVEN]", &["event-log"]),
    entry("f6beaff7-1e19-4fbb-9f8f-b89e2018337c", "eventlog6", "Event Log (even6)", "[MS-EVEN6]", &["event-log"]),
    entry("12345678-1234-abcd-ef00-0123456789ab", "spoolss", "Print Spooler", "[MS-RPRN]", &["print-spooler"]),
    entry("76f03f96-cdfd-44fc-a22c-64950a001209", "IRemoteWinspool", "Print Spooler, asynchronous", "[MS-PAR]", &["print-spooler"]),
    entry("4b324fc8-1670-01d3-1278-5a47bf6ee188", "srvsvc", "Server service", "[MS-SRVS]", &["server"]),
    entry("6bffd098-a112-3610-9833-46c3f87e345a", "wkssvc", "Workstation service", "[MS-WKST]", NONE),
    entry("6bffd098-a112-3610-9833-012892020162", "browser", "Computer Browser", "[MS-BRWSA]", &["computer-browser"]),
    entry("4fc742e0-4a10-11cf-8273-00aa004ae673", "netdfs", "DFS namespace management", "[MS-DFSNM]", &["distributed-file-system"]),
    entry("f5cc59b4-4264-101a-8c59-08002b2f8426", "frsrpc", "File Replication Service", "[MS-FRS1]", &["file-replication"]),
    entry("d049b186-814f-11d1-9a3c-00c04fc9b232", "frsapi", "File Replication Service API", "[MS-FRS1]", &["file-replication"]),
    entry("897e2e5f-93f3-4376-9c9c-fd2277495c27", "frs2", "DFS Replication", "[MS-FRS2]", &["file-replication"]),
    entry("300f3532-38cc-11d0-a3f0-0020af6b0add", "trkwks", "Distributed Link Tracking client", "[MS-DLTW]", &["distributed-link-tracking"]),
    entry("4da1c422-943d-11d1-acae-00c04fc2aa3f", "trksvr", "Distributed Link Tracking server", "[MS-DLTM]", &["distributed-link-tracking"]),
    // Service management without a catalog entry of their own.
    entry("367abb81-9844-35f1-ad32-98f038001003", "svcctl", "Service Control Manager", "[MS-SCMR]", NONE),
    entry("338cd001-2244-31f1-aaaa-900038001003", "winreg", "Remote Registry", "[MS-RRP]", NONE),
    entry("1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc", "Task Scheduler (AT)", "[MS-TSCH]", NONE),
    entry("378e52b0-c0a9-11cf-822d-00aa0051e40f", "sasec", "Task Scheduler (SASec)", "[MS-TSCH]", NONE),
    entry("86d35949-83c9-4044-b424-db363231fd0c", "ITaskSchedulerService", "Task Scheduler 2.0", "[MS-TSCH]", NONE),
    entry("894de0c0-0d55-11d3-a322-00c04fa321a1", "InitShutdown", "Remote shutdown", "[MS-RSP]", NONE),
    entry("d95afe70-a6d5-4259-822e-2c84da1ddb0d", "WindowsShutdown", "Remote shutdown", "[MS-RSP]", NONE),
    entry("9c54e310-a955-4885-bd31-78787147dfa6", "unixinfo", "Samba Unix id mapping", "Samba librpc/idl/unixinfo.idl", NONE),
    // Time, DTC, certificates, cluster.
    entry("8fb6d884-2388-11d0-8c35-00c04fda2795", "w32time", "Windows Time", "[MS-W32T]", &["windows-time"]),
    entry("906b0ce0-c70b-1067-b317-00dd010662da", "IXnRemote", "Distributed Transaction Coordinator", "[MS-CMPO]", &["distributed-transaction-coordinator"]),
    entry("91ae6020-9e3c-11cf-8d7c-00aa00c091be", "ICertPassage", "Certificate Services request", "[MS-ICPR]", &["certificate-services"]),
    entry("d99e6e70-fc88-11d0-b498-00a0c90312f3", "ICertRequestD", "Certificate Services enrollment", "[MS-WCCE]", &["certificate-services"]),
    entry("5422fd3a-d4b8-4cef-a12e-e87d4ca22e90", "ICertRequestD2", "Certificate Services enrollment", "[MS-WCCE]", &["certificate-services"]),
    entry("d99e6e71-fc88-11d0-b498-00a0c90312f3", "ICertAdminD", "Certificate Services administration", "[MS-CSRA]", &["certificate-services"]),
    entry("7fe0d935-dda6-443f-85d0-1cfb58fe41dd", "ICertAdminD2", "Certificate Services administration", "[MS-CSRA]", &["certificate-services"]),
    entry("b97db8b2-4c63-11cf-bff6-08002be23f2f", "clusapi", "Failover cluster management", "[MS-CMRP]", &["cluster-service"]),
    entry("ccd8c074-d0e5-4a40-92b4-d074faa6ba28", "witness", "Cluster service witness", "[MS-SWN]", &["cluster-service"]),
    // Exchange.
    entry("a4f1db00-ca47-1067-b31f-00dd010662da", "emsmdb", "Exchange MAPI", "[MS-OXCRPC]", &["exchange-server"]),
    entry("5261574a-4572-206e-b268-6b199213b4e4", "asyncemsmdb", "Exchange MAPI, asynchronous", "[MS-OXCRPC]", &["exchange-server"]),
    entry("f5cc5a18-4264-101a-8c59-08002b2f8426", "nspi", "Exchange address book (NSPI)", "[MS-NSPI], [MS-OXNSPI]", &["exchange-server"]),
    entry("1544f5e0-613c-11d1-93df-00c04fd7bd09", "rfr", "Exchange address book referral", "[MS-OXABREF]", &["exchange-server"]),
    entry("a4f1db00-ca47-1067-b31e-00dd010662da", "exchange-store-admin", "Exchange information store admin", MARCHAND, &["exchange-server"]),
    entry("99e64010-b032-11d0-97a4-00c04fd6551d", "exchange-store-admin", "Exchange information store admin", MARCHAND, &["exchange-server"]),
    entry("89742ace-a9ed-11cf-9c0c-08002be7ae86", "exchange-store-admin", "Exchange information store admin", MARCHAND, &["exchange-server"]),
    entry("469d6ec0-0d87-11ce-b13f-00aa003bac6c", "exchange-sa", "Exchange System Attendant", MARCHAND, &["exchange-server"]),
    entry("83d72bf0-0d89-11ce-b13f-00aa003bac6c", "exchange-sa", "Exchange System Attendant (private)", MARCHAND, &["exchange-server"]),
    entry("f930c514-1215-11d3-99a5-00a0c9b61b04", "exchange-sa", "Exchange System Attendant (cluster)", MARCHAND, &["exchange-server"]),
    entry("f5cc5a7c-4264-101a-8c59-08002b2f8426", "exchange-xds", "Exchange 5.5 directory (XDS)", MARCHAND, &["exchange-server"]),
    entry("9e8ee830-4459-11ce-979b-00aa005ffebe", "exchange-mta", "Exchange MTA", MARCHAND, &["exchange-mta-stacks"]),
    entry("38a94e72-a9bc-11d2-8faf-00c04fa378ff", "exchange-mta-qadmin", "Exchange MTA queue admin", MARCHAND, &["exchange-mta-stacks"]),
    // Fax, message queuing.
    entry("ea0a3165-4834-11d2-a6f8-00c04fa346cc", "fax", "Fax server", "[MS-FAX]", &["fax-service"]),
    entry("6099fc12-3eff-11d0-abd0-00c04fd91a4e", "faxclient", "Fax client notifications", "[MS-FAX]", &["fax-service"]),
    entry("fdb3a030-065f-11d1-bb9b-00a024ea5525", "qmcomm", "Message Queuing (MSMQ)", "[MS-MQMP]", &["message-queuing"]),
    entry("76d12b80-3467-11d3-91ff-0090272f9ea3", "qmcomm2", "Message Queuing (MSMQ)", "[MS-MQMP]", &["message-queuing"]),
    entry("1088a980-eae5-11d0-8d9b-00a02453c337", "qm2qm", "Message Queuing, queue manager to queue manager", "[MS-MQQP]", &["message-queuing"]),
    entry("41208ee0-e970-11d1-9b9e-00e02c064c39", "qmmgmt", "Message Queuing management", "[MS-MQMR]", &["message-queuing"]),
    entry("1a9134dd-7b39-45ba-ad88-44d01ca47f28", "RemoteRead", "Message Queuing remote read", "[MS-MQRR]", &["message-queuing"]),
    entry("77df7a80-f298-11d0-8358-00a024c480a8", "dscomm", "Message Queuing directory", "[MS-MQDS]", &["message-queuing"]),
    entry("708cca10-9569-11d1-b2a5-0060977d8118", "dscomm2", "Message Queuing directory", "[MS-MQDS]", &["message-queuing"]),
    // Terminal services.
    entry("5ca4a760-ebb1-11cf-8611-00a0245420ed", "winstation", "Terminal Services (legacy API)", "[MS-TSTS]", &["terminal-services"]),
    entry("484809d6-4239-471b-b5bc-61df8c23ac48", "TermSrvSession", "Terminal Services sessions", "[MS-TSTS]", &["terminal-services"]),
    entry("11899a43-2b68-4a76-92e3-a3d6ad8c26ce", "tsts", "Terminal Services runtime", "[MS-TSTS]", &["terminal-services"]),
    entry("88143fd0-c28d-4b2b-8fef-8d882f6a9390", "tsts", "Terminal Services runtime", "[MS-TSTS]", &["terminal-services"]),
    entry("bde95fdf-eee0-45de-9e12-e5a61cd0d4fe", "tsts", "Terminal Services runtime", "[MS-TSTS]", &["terminal-services"]),
    entry("497d95a6-2d27-4bf5-9bbd-a6046957133c", "tsts", "Terminal Services runtime", "[MS-TSTS]", &["terminal-services"]),
    entry("44e265dd-7daf-42cd-8560-3cdb6e7a2729", "tsgu", "Terminal Services Gateway", "[MS-TSGU]", &["terminal-services"]),
    entry("3d267954-eeb7-11d1-b94e-00c04fa3080d", "HydraLsPipe", "Terminal Server Licensing", MARCHAND, &["terminal-services-licensing"]),
    entry("12d4b7c8-77d5-11d1-8c24-00c04fa3080d", "lserver", "Terminal Server Licensing", "impacket epm.py KNOWN_UUIDS (lserver.dll)", &["terminal-services-licensing"]),
    entry("aa177641-fc9b-41bd-80ff-f964a701596f", "tssdis", "TS Session Directory", "impacket epm.py KNOWN_UUIDS (tssdis.exe)", &["terminal-services-session-directory"]),
    entry("6af13c8b-0844-4c83-9064-1892ba825527", "tssdis", "TS Session Directory", "impacket epm.py KNOWN_UUIDS (tssdis.exe)", &["terminal-services-session-directory"]),
    // Network infrastructure.
    entry("6bffd098-a112-3610-9833-46c3f874532d", "dhcpsrv", "DHCP Server management", "[MS-DHCPM]", &["dhcp-server"]),
    entry("5b821720-f63b-11d0-aad2-00c04fc324db", "dhcpsrv2", "DHCP Server management", "[MS-DHCPM]", &["dhcp-server"]),
    entry("45f52c28-7f9f-101a-b52b-08002b2efabe", "winsif", "WINS management", "[MS-RAIW]", &["wins"]),
    entry("811109bf-a4e1-11d1-ab54-00a0c91e9b45", "winsi2", "WINS management", "[MS-RAIW]", &["wins"]),
    entry("8f09f000-b7ed-11ce-bbd2-00001a181cad", "dimsvc", "Routing and Remote Access", "[MS-RRASM]", &["routing-remote-access"]),
    entry("20610036-fa22-11cf-9823-00a0c911e5df", "rasrpc", "Routing and Remote Access", "[MS-RRASM]", &["routing-remote-access"]),
    entry("1a927394-352e-4553-ae3f-7cf4aafca620", "WdsRpcInterface", "Windows Deployment Services", "[MS-WDSC]", &["remote-installation"]),
    entry("7d814569-35b3-4850-bb32-83035fcebf6e", "ias", "Internet Authentication Service", "impacket epm.py KNOWN_UUIDS (ias.dll)", &["internet-authentication-service"]),
    entry("4b112204-0e19-11d3-b42b-0000f81feb9f", "ssdpsrv", "SSDP Discovery", MARCHAND, &["ssdp-discovery"]),
    // Messenger, licensing, IIS and its mail and news services, telnet.
    entry("17fdd703-1827-4e34-79d4-24a55c53bb37", "msgsvc", "Messenger service", "[MS-MSRP]", &["messenger"]),
    entry("5a7b91f8-ff00-11d0-a9b2-00c04fb6e6fc", "msgsvcsend", "Messenger service", "[MS-MSRP]", &["messenger"]),
    entry("342cfd40-3c6c-11ce-a893-08002b2e9c6d", "llsrpc", "License Logging", MARCHAND, &["license-logging"]),
    entry("57674cd0-5200-11ce-a897-08002b2e9c6d", "llsrpc", "License Logging", MARCHAND, &["license-logging"]),
    entry("82ad4280-036b-11cf-972c-00aa006887b0", "inetinfo", "IIS administration", "[MS-IRP]", &["www-publishing", "ftp-publishing"]),
    entry("8cfb5d70-31a4-11cf-a7d8-00805f48a135", "smtpsvc", "IIS SMTP administration", MARCHAND, &["smtp"]),
    entry("4f82f460-0e21-11cf-909e-00805f48a135", "nntpsvc", "IIS NNTP administration", MARCHAND, &["nntp"]),
    entry("034634fd-ba3f-11d1-856a-00a0c944138c", "tlntsvr", "Telnet Server administration", "[MS-TSRAP]", &["telnet"]),
];

/// The known interface with this UUID, if any.
pub fn lookup(uuid: &Uuid) -> Option<&'static KnownInterface> {
    KNOWN_INTERFACES.iter().find(|known| known.uuid == *uuid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_uuid_appears_once_with_a_source_and_valid_services() {
        let mut seen = HashSet::new();
        for known in KNOWN_INTERFACES {
            assert!(seen.insert(known.uuid), "duplicate {}", known.uuid);
            assert!(!known.source.is_empty(), "{} has no source", known.name);
            assert!(!known.name.is_empty() && known.description.len() < 60);
            for service in known.services {
                assert!(
                    SERVICE_IDS.contains(service),
                    "{service} is not a catalog id"
                );
            }
        }
    }

    #[test]
    fn lookup_finds_the_lab_interfaces() {
        let lsarpc = Uuid::literal("12345778-1234-abcd-ef00-0123456789ab");
        assert_eq!(lookup(&lsarpc).unwrap().name, "lsarpc");
        let netlogon: Uuid = "12345678-1234-ABCD-EF00-01234567CFFB".parse().unwrap();
        assert_eq!(lookup(&netlogon).unwrap().services, &["net-logon"]);
        assert!(lookup(&Uuid::NIL).is_none());
    }
}
