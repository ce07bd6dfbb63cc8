//! A Windows Server domain controller (synthesized fixtures, see fixtures/README.md) from
//! netstat in its several forms and from PowerShell, audited against a domain-controller
//! role.

mod support;

use std::collections::BTreeSet;

use portolan_audit::{
    AuditOptions, Format, Parsed, PortExpectation, Relation, SocketState, audit, parse,
};
use portolan_catalog::Transport;
use support::{audit_against, catalog, fixture, keys, parsed, with_endpoints};

const ROLE: &str = "domain-controller";

fn listening(parsed: &Parsed) -> BTreeSet<(Transport, String, u16)> {
    parsed
        .listeners
        .iter()
        .map(|l| (l.transport, l.address.to_string(), l.port))
        .collect()
}

#[test]
fn netstat_anob_reads_rows_processes_and_service_tags() {
    let input = parsed("windows-dc/netstat-anob.txt");
    assert_eq!(input.format, Format::Netstat);
    assert_eq!(input.listeners.len(), 53 + 29);
    assert_eq!(input.not_listening, 4);
    let find = |t: Transport, addr: &str, port: u16| {
        input
            .listeners
            .iter()
            .find(|l| l.transport == t && l.address.to_string() == addr && l.port == port)
            .unwrap_or_else(|| panic!("{t} {addr} {port}"))
    };
    let epm = find(Transport::Tcp, "0.0.0.0", 135);
    assert_eq!(
        (epm.pid, epm.process.as_deref(), epm.service.as_deref()),
        (Some(908), Some("svchost.exe"), Some("RpcSs"))
    );
    let smb = find(Transport::Tcp, "0.0.0.0", 445);
    assert_eq!(
        (smb.pid, smb.process.as_deref(), smb.service.as_deref()),
        (Some(4), None, None)
    );
    let dns6 = find(Transport::Tcp, "fe80::d1c2:5e4a:7b1f:9a3c", 53);
    assert_eq!(dns6.interface.as_deref(), Some("6"));
    assert_eq!(dns6.process.as_deref(), Some("dns.exe"));
    let ntp = find(Transport::Udp, "::", 123);
    assert_eq!(ntp.state, SocketState::Bound);
    assert_eq!(ntp.service.as_deref(), Some("W32Time"));
}

#[test]
fn every_netstat_form_sees_the_same_sockets() {
    let full = parsed("windows-dc/netstat-anob.txt");
    for variant in [
        "windows-dc/netstat-ano.txt",
        "windows-dc/netstat-ano-de-cp850.txt",
        "windows-dc/netstat-ano-utf16.txt",
    ] {
        let other = parsed(variant);
        assert_eq!(other.format, Format::Netstat, "{variant}");
        assert_eq!(listening(&other), listening(&full), "{variant}");
        assert_eq!(other.not_listening, full.not_listening, "{variant}");
    }
    let german = parsed("windows-dc/netstat-ano-de-cp850.txt");
    assert_eq!(german.notes.len(), 1, "{:?}", german.notes);
}

#[test]
fn powershell_sees_the_same_sockets() {
    let netstat = parsed("windows-dc/netstat-ano.txt");
    let mut ps = parsed("powershell/get-nettcpconnection.json");
    assert_eq!(ps.format, Format::PowerShell);
    assert_eq!(ps.not_listening, 4);
    ps.extend(parsed("powershell/get-netudpendpoint.json"));
    assert_eq!(listening(&ps), listening(&netstat));
    assert!(ps.coverage.tcp && ps.coverage.udp);

    let compact = parsed("powershell/listen-select-compress.json");
    let tcp: BTreeSet<_> = listening(&netstat)
        .into_iter()
        .filter(|(t, _, _)| *t == Transport::Tcp)
        .collect();
    assert_eq!(listening(&compact), tcp);
    assert!(!compact.coverage.udp);
    let lsass = compact.listeners.iter().find(|l| l.port == 88).unwrap();
    assert_eq!(lsass.process.as_deref(), Some("lsass"));

    let single = parsed("powershell/single-object.json");
    assert_eq!(single.listeners.len(), 1);
    assert_eq!(
        (single.listeners[0].port, single.listeners[0].pid),
        (88, Some(660))
    );
}

#[test]
fn the_windows_dc_audits_against_the_role() {
    let input = parsed("windows-dc/netstat-anob.txt");
    let reports = audit_against(&input, ROLE, &AuditOptions::default());
    let report = &reports[0];
    assert_eq!(
        report.host.as_deref(),
        Some("unknown host (windows-dc/netstat-anob.txt)")
    );
    let c = report.comparison.as_ref().unwrap();
    assert!(c.missing.is_empty(), "{:?}", c.missing);
    // Remote Desktop, WinRM and the local-link name services are not part of the role.
    assert_eq!(
        keys(&c.unexpected),
        [
            "tcp/3389",
            "tcp/5985",
            "tcp/47001",
            "udp/3389",
            "udp/5353",
            "udp/5355"
        ]
    );
    assert_eq!(report.exit_code(), 1);
    for (t, port, want) in [
        (Transport::Tcp, 464, PortExpectation::Companion),
        (Transport::Tcp, 9389, PortExpectation::Companion),
        (Transport::Tcp, 49664, PortExpectation::ExpectedDynamic),
        (Transport::Tcp, 49697, PortExpectation::ExpectedDynamic),
        (Transport::Udp, 52311, PortExpectation::Ephemeral),
        (Transport::Udp, 58421, PortExpectation::LoopbackOnly),
        // IKE is a row the role takes as optional (IPsec policies only).
        (Transport::Udp, 500, PortExpectation::Optional),
        (Transport::Tcp, 389, PortExpectation::Expected),
    ] {
        let p = report.port(t, port).unwrap();
        assert_eq!(p.expectation, Some(want), "{t}/{port}");
    }
    let rdp = report.port(Transport::Tcp, 3389).unwrap();
    let term = rdp
        .candidates
        .iter()
        .find(|c| c.service == "terminal-services")
        .unwrap();
    assert_eq!(term.relation, Relation::Owner);
    assert_eq!(
        term.confirmed_by.as_deref(),
        Some("service tag TermService")
    );
    assert!(
        rdp.name
            .starts_with("Remote Desktop Services (TermService); also listed for: NetMeeting")
    );

    let strict = AuditOptions {
        ephemeral_udp_unexpected: true,
        ..AuditOptions::default()
    };
    let report = &audit_against(&input, ROLE, &strict)[0];
    let c = report.comparison.as_ref().unwrap();
    assert!(c.unexpected.iter().any(|u| u == "udp/52311"));
}

#[test]
fn processes_and_service_tags_confirm_owners() {
    let input = parsed("windows-dc/netstat-anob.txt");
    let report = &audit(&catalog(), &input, None, &AuditOptions::default())[0];
    let kdc = report.port(Transport::Tcp, 88).unwrap();
    assert_eq!(
        kdc.candidates[0].confirmed_by.as_deref(),
        Some("process lsass.exe")
    );
    let dns = report.port(Transport::Udp, 53).unwrap();
    assert_eq!(dns.candidates[0].service, "dns-server");
    assert_eq!(dns.candidates[0].relation, Relation::Owner);
    assert_eq!(dns.candidates[1].relation, Relation::Candidate);
    assert!(
        dns.name
            .starts_with("DNS Server (DNS); also listed for: ICF/ICS"),
        "{}",
        dns.name
    );
    let epm = report.port(Transport::Tcp, 135).unwrap();
    assert_eq!(
        epm.candidates[0].confirmed_by.as_deref(),
        Some("service tag RpcSs")
    );
    let ntp = report.port(Transport::Udp, 123).unwrap();
    assert_eq!(
        ntp.candidates[0].confirmed_by.as_deref(),
        Some("service tag W32Time")
    );
    let adws = report.port(Transport::Tcp, 9389).unwrap();
    // Today's Windows: the layer names the ports the seed lacks.
    assert_eq!(adws.name, "Active Directory Web Services (ADWS)");
}

#[test]
fn endpoint_dump_limits_dynamic_rpc_to_registered_ports() {
    let input = parsed("windows-dc/netstat-anob.txt");
    let options = with_endpoints(&[
        (49664, "lsarpc"),
        (49664, "samr"),
        (49665, "d95afe70-a6d5-4259-822e-2c84da1ddb0d"),
        (49666, "eventlog6"),
        (49667, "86d35949-83c9-4044-b424-db363231fd0c"),
        (49668, "drsuapi"),
        (49669, "netlogon"),
        (49670, "12345678-1234-abcd-ef00-0123456789ab"),
        (49674, "367abb81-9844-35f1-ad32-98f038001003"),
        (49679, "897e2e5f-93f3-4376-9c9c-fd2277495c27"),
        (49685, "dnsserver"),
    ]);
    let report = &audit_against(&input, ROLE, &options)[0];
    let c = report.comparison.as_ref().unwrap();
    // ismserv's 49697 is not in the dump, so it is not taken for dynamic RPC.
    assert!(
        c.unexpected.iter().any(|u| u == "tcp/49697"),
        "{:?}",
        c.unexpected
    );
    let eventlog = report.port(Transport::Tcp, 49666).unwrap();
    assert_eq!(eventlog.candidates[0].service, "event-log");
    assert_eq!(eventlog.candidates[0].relation, Relation::RpcEndpoint);
    let unknown = report.port(Transport::Tcp, 49674).unwrap();
    assert!(unknown.candidates.is_empty());
    assert_eq!(unknown.expectation, Some(PortExpectation::ExpectedDynamic));
    assert!(
        unknown.name.starts_with("dynamic RPC endpoint"),
        "{}",
        unknown.name
    );
}

#[test]
fn forced_format_and_bad_input_are_explained() {
    let bytes = fixture("windows-dc/netstat-anob.txt");
    let forced = parse("netstat-anob.txt", &bytes, Some(Format::Netstat)).unwrap();
    assert_eq!(forced.listeners.len(), 82);
    let err = parse("netstat-anob.txt", &bytes, Some(Format::PowerShell)).unwrap_err();
    assert_eq!(err.kind, portolan_audit::ErrorKind::WrongFormat, "{err}");
    assert!(err.problem.contains("looks like `netstat"), "{err}");
}
