//! Today's Windows names its listeners (issue 12, step 6): an audit of a Windows 10/11 or
//! Server 2016-2025 `netstat -anob` names IKEEXT on UDP 500/4500, SSDPSRV, DFSR, ADWS and
//! WinRM (under System or under svchost) as today's Windows has them, from the modern layer.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod support;

use portolan_audit::{AuditOptions, AuditReport, PortExpectation, Relation, audit};
use portolan_catalog::Transport;
use support::{audit_against, catalog, parsed};

fn report(fixture: &str) -> AuditReport {
    let input = parsed(fixture);
    audit(&catalog(), &input, None, &AuditOptions::default())
        .into_iter()
        .next()
        .unwrap()
}

/// (owner service id, what confirmed it, the port's name).
fn owner(
    report: &AuditReport,
    transport: Transport,
    port: u16,
) -> (String, Option<String>, String) {
    let p = report.port(transport, port).unwrap();
    let c = &p.candidates[0];
    assert_eq!(
        c.relation,
        Relation::Owner,
        "{transport} {port}: {:?}",
        p.candidates
    );
    (c.service.clone(), c.confirmed_by.clone(), p.name.clone())
}

#[test]
fn a_real_windows_10_listing_names_ikeext_and_ssdpsrv() {
    // jc's Windows 10 `netstat -anob` (a real capture, see fixtures/field/README.md).
    let r = report("field/jc-win10-netstat-aonb.txt");
    for port in [500, 4500] {
        let (id, by, name) = owner(&r, Transport::Udp, port);
        assert_eq!(id, "ike-authip");
        assert_eq!(by.as_deref(), Some("service tag IKEEXT"));
        // LSASS, which the seed gives these ports, no longer names them.
        assert_eq!(name, "IKE and AuthIP IPsec Keying Modules (IKEEXT)");
        assert!(
            r.port(Transport::Udp, port)
                .unwrap()
                .candidates
                .iter()
                .all(|c| c.service != "local-security-authority")
        );
    }
    let (id, by, name) = owner(&r, Transport::Udp, 1900);
    assert_eq!(id, "ssdp-discovery");
    assert_eq!(by.as_deref(), Some("service tag SSDPSRV"));
    assert!(name.starts_with("SSDP Discovery (SSDPSRV)"), "{name}");
    // A service tag on a dynamic RPC port names its service.
    let (id, _, name) = owner(&r, Transport::Tcp, 49666);
    assert_eq!(id, "event-log");
    assert_eq!(name, "Event Log (Eventlog)");
}

#[test]
fn a_server_listing_names_adws_dfsr_winrm_and_kpasswd() {
    // The synthesized Server 2019 DC (fixtures/README.md): ADWS and DFSR by their own
    // executables, WinRM in System's HTTP.sys ("Can not obtain ownership information").
    let r = report("windows-dc/netstat-anob.txt");
    let (id, by, name) = owner(&r, Transport::Tcp, 9389);
    assert_eq!(id, "ad-web-services");
    assert_eq!(
        by.as_deref(),
        Some("process Microsoft.ActiveDirectory.WebServices.exe")
    );
    assert_eq!(name, "Active Directory Web Services (ADWS)");
    let (id, by, name) = owner(&r, Transport::Tcp, 5985);
    assert_eq!(id, "winrm");
    assert_eq!(by, None);
    assert_eq!(name, "Windows Remote Management (WinRM)");
    assert!(r.port(Transport::Tcp, 5985).unwrap().flags.is_empty());
    let (id, by, name) = owner(&r, Transport::Tcp, 49679);
    assert_eq!(id, "dfs-replication");
    assert_eq!(by.as_deref(), Some("process dfsrs.exe"));
    assert_eq!(name, "DFS Replication (DFSR)");
    for transport in [Transport::Tcp, Transport::Udp] {
        let (id, by, _) = owner(&r, transport, 464);
        assert_eq!(id, "kerberos-kdc");
        assert_eq!(by.as_deref(), Some("process lsass.exe"));
    }
    for port in [500, 4500] {
        assert_eq!(owner(&r, Transport::Udp, port).0, "ike-authip");
    }
    let (id, by, name) = owner(&r, Transport::Tcp, 3389);
    assert_eq!(
        (id.as_str(), by.as_deref()),
        ("terminal-services", Some("service tag TermService"))
    );
    assert!(
        name.starts_with("Remote Desktop Services (TermService)"),
        "{name}"
    );
}

#[test]
fn service_tags_of_today_name_their_services() {
    // SYNTHETIC (fixtures/today/README.md): tags as `netstat -anob` prints them on Server
    // 2016-2025, WinRM under svchost, DFSR in its own process, SMB over QUIC in System.
    let r = report("today/netstat-anob-tags.txt");
    let expect = [
        (
            Transport::Tcp,
            5722,
            "dfs-replication",
            Some("service tag Dfsr"),
            "DFS Replication (DFSR)",
        ),
        (
            Transport::Tcp,
            49712,
            "dfs-replication",
            Some("service tag Dfsr"),
            "DFS Replication (DFSR)",
        ),
        (
            Transport::Tcp,
            5985,
            "winrm",
            Some("service tag WinRM"),
            "Windows Remote Management (WinRM)",
        ),
        (
            Transport::Tcp,
            9389,
            "ad-web-services",
            Some("service tag ADWS"),
            "Active Directory Web Services (ADWS)",
        ),
        (
            Transport::Udp,
            500,
            "ike-authip",
            Some("service tag IKEEXT"),
            "IKE and AuthIP IPsec Keying Modules (IKEEXT)",
        ),
        (
            Transport::Udp,
            4500,
            "ike-authip",
            Some("service tag IKEEXT"),
            "IKE and AuthIP IPsec Keying Modules (IKEEXT)",
        ),
        (
            Transport::Udp,
            1900,
            "ssdp-discovery",
            Some("service tag SSDPSRV"),
            "SSDP Discovery (SSDPSRV)",
        ),
        (Transport::Udp, 443, "server", None, "Server (lanmanserver)"),
    ];
    for (transport, port, id, by, name) in expect {
        let got = owner(&r, transport, port);
        assert_eq!(
            (got.0.as_str(), got.1.as_deref(), got.2.as_str()),
            (id, by, name),
            "{transport} {port}"
        );
    }
    // TCP 2869 belongs to http.sys: SSDP and UPnP stay the two candidates.
    let upnp = r.port(Transport::Tcp, 2869).unwrap();
    assert_eq!(upnp.candidates.len(), 2);
    assert!(upnp.name.contains("SSDPSRV"), "{}", upnp.name);
}

#[test]
fn a_dfsr_dynamic_port_stays_expected_dynamic_rpc_for_a_domain_controller() {
    let input = parsed("windows-dc/netstat-anob.txt");
    let r = &audit_against(&input, "domain-controller", &AuditOptions::default())[0];
    let dfsr = r.port(Transport::Tcp, 49679).unwrap();
    assert_eq!(dfsr.expectation, Some(PortExpectation::ExpectedDynamic));
}
