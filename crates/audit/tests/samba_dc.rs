//! The shared lab's Samba AD domain controller, read from every Linux source and from nmap,
//! audited against a domain-controller role.

mod support;

use std::collections::BTreeSet;

use portolan_audit::{
    AuditOptions, BindingKind, ExpectedStatus, FlagKind, Format, Parsed, PortExpectation, Relation,
    SocketState, audit, exit_code,
};
use portolan_catalog::Transport;
use support::{audit_against, catalog, dynamic_rpc, keys, parsed, with_endpoints};

const ROLE: &str = "domain-controller";

fn ports(parsed: &Parsed, reachable_only: bool) -> BTreeSet<(Transport, u16)> {
    parsed
        .listeners
        .iter()
        .filter(|l| !reachable_only || l.is_reachable())
        .map(|l| (l.transport, l.port))
        .collect()
}

/// What the DC listens on from the network, as the lab notes list it.
fn lab_ports() -> BTreeSet<(Transport, u16)> {
    let tcp = [
        53, 88, 135, 139, 389, 445, 464, 636, 3268, 3269, 49152, 49153, 49154,
    ];
    let udp = [53, 88, 123, 137, 138, 389, 464];
    tcp.iter()
        .map(|&p| (Transport::Tcp, p))
        .chain(udp.iter().map(|&p| (Transport::Udp, p)))
        .collect()
}

fn proc_tables() -> Parsed {
    let mut all = parsed("samba-dc/proc-net-tcp.txt");
    for table in ["tcp6", "udp", "udp6"] {
        all.extend(parsed(&format!("samba-dc/proc-net-{table}.txt")));
    }
    all
}

#[test]
fn every_linux_source_sees_the_same_sockets() {
    let ss = parsed("samba-dc/ss-lntup.txt");
    assert_eq!(ss.format, Format::Ss);
    assert_eq!(ss.listeners.len(), 60);
    assert_eq!(ports(&ss, true), lab_ports());
    let without_processes = parsed("samba-dc/ss-lntu.txt");
    let proc = proc_tables();
    assert_eq!(proc.format, Format::ProcNet);
    let netstat = parsed("samba-dc/netstat-tulpn.txt");
    assert_eq!(netstat.format, Format::Netstat);
    for other in [&without_processes, &proc, &netstat] {
        assert_eq!(
            other.listeners.len(),
            ss.listeners.len(),
            "{:?}",
            other.sources
        );
        assert_eq!(
            ports(other, false),
            ports(&ss, false),
            "{:?}",
            other.sources
        );
    }
    // Loopback listeners (127.0.0.1, ::1, 127.255.255.255) are there but not reachable.
    let loopback = ss.listeners.iter().filter(|l| !l.is_reachable()).count();
    assert_eq!(loopback, 60 - 20 - 2);
}

#[test]
fn ss_gives_processes_and_interfaces() {
    let ss = parsed("samba-dc/ss-lntup.txt");
    let kdc = ss
        .listeners
        .iter()
        .find(|l| l.transport == Transport::Udp && l.port == 88 && l.is_reachable())
        .unwrap();
    // Four workers and the master share the socket; the master has the lowest pid.
    assert_eq!(kdc.process.as_deref(), Some("kdc[master]"));
    assert_eq!(kdc.pid, Some(7442));
    assert_eq!(kdc.other_owners.len(), 4);
    let udp_only = parsed("samba-dc/ss-lun.txt");
    assert!(udp_only.coverage.udp && !udp_only.coverage.tcp);
    assert!(
        udp_only
            .listeners
            .iter()
            .all(|l| l.transport == Transport::Udp)
    );
}

#[test]
fn the_dc_audits_as_a_domain_controller() {
    let input = parsed("samba-dc/ss-lntup.txt");
    let reports = audit_against(&input, ROLE, &AuditOptions::default());
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    let c = report.comparison.as_ref().unwrap();

    // Samba lacks what only Windows has: RPC over HTTP. IPsec's ISAKMP and NAT-T are missing
    // too, but the role takes them as optional.
    assert_eq!(keys(&c.missing), ["tcp/593"]);
    // Every reachable port is explained: kpasswd comes with the KDC, 4915x are dynamic RPC.
    assert!(c.unexpected.is_empty(), "{:?}", c.unexpected);
    assert!(!c.matches);
    assert_eq!(report.exit_code(), 1);
    assert_eq!(exit_code(&reports), 1);
    assert!(
        report
            .verdict
            .starts_with("does not match role domain-controller: missing tcp/593"),
        "{}",
        report.verdict
    );

    let kpasswd = report.port(Transport::Tcp, 464).unwrap();
    assert_eq!(kpasswd.expectation, Some(PortExpectation::Companion));
    assert_eq!(kpasswd.extra.as_ref().unwrap().id, "kpasswd");
    for port in [49152, 49153, 49154] {
        let p = report.port(Transport::Tcp, port).unwrap();
        assert_eq!(p.expectation, Some(PortExpectation::ExpectedDynamic));
        assert!(p.name.starts_with("possibly dynamic RPC of:"), "{}", p.name);
        assert!(
            p.candidates
                .iter()
                .all(|c| c.relation == Relation::PossibleDynamic)
        );
    }
    let dynamic = dynamic_rpc(c);
    assert_eq!(dynamic.status, ExpectedStatus::ListeningDynamic);
    assert_eq!(dynamic.satisfied_by, [49152, 49153, 49154]);

    let by_service = |id: &str| c.service_coverage.iter().find(|s| s.service == id).unwrap();
    // The role's first LSA entry (LDAP, global catalog, RPC) is complete; its IKE entry is
    // optional and nothing of it listens.
    assert!(by_service("local-security-authority").missing.is_empty());
    let ike = c
        .service_coverage
        .iter()
        .find(|s| {
            s.service == "local-security-authority" && s.missing.iter().any(|m| m == "udp/500")
        })
        .unwrap();
    assert!(ike.optional);
    assert_eq!(ike.status, portolan_audit::CoverageStatus::Skipped);
    assert_eq!(keys(&by_service("rpc").missing), ["tcp/593"]);
    for complete in [
        "kerberos-kdc",
        "dns-server",
        "net-logon",
        "server",
        "windows-time",
    ] {
        assert!(by_service(complete).missing.is_empty(), "{complete}");
    }
    // DNS is optional in the role: allowed, so its port is not unexpected.
    let dns = by_service("dns-server");
    assert!(dns.optional);
    assert_eq!(dns.status, portolan_audit::CoverageStatus::Complete);
    assert_eq!(
        report.port(Transport::Udp, 53).unwrap().expectation,
        Some(PortExpectation::Optional)
    );
}

#[test]
fn shared_ports_name_their_owner() {
    let input = parsed("samba-dc/ss-lntup.txt");
    let report = &audit(&catalog(), &input, None, &AuditOptions::default())[0];
    let epm = report.port(Transport::Tcp, 135).unwrap();
    assert!(
        epm.name
            .starts_with("Remote Procedure Call (RpcSs); reached through the RPC endpoint mapper:"),
        "{}",
        epm.name
    );
    assert_eq!(epm.candidates[0].service, "rpc");
    assert_eq!(epm.candidates[0].relation, Relation::Owner);
    assert!(
        epm.candidates[1..]
            .iter()
            .all(|c| c.relation == Relation::ReachedThrough)
    );
    assert_eq!(epm.binding, BindingKind::Specific);
    assert_eq!(epm.addresses.len(), 3);

    let ldap = report.port(Transport::Tcp, 389).unwrap();
    assert_eq!(ldap.candidates[0].service, "local-security-authority");
    let dns = report.port(Transport::Udp, 53).unwrap();
    assert!(
        dns.candidates
            .iter()
            .all(|c| c.relation == Relation::Candidate)
    );
    assert!(
        dns.name.starts_with("one of: DNS Server (DNS)"),
        "{}",
        dns.name
    );

    // NetBIOS next to direct SMB is flagged; nothing in a DC's listing is certainly legacy.
    let nbt = report.port(Transport::Udp, 137).unwrap();
    assert!(
        nbt.flags
            .iter()
            .any(|f| f.kind == FlagKind::NetbiosWithSmb && f.certain)
    );
    assert!(report.ports.iter().all(|p| {
        p.flags
            .iter()
            .all(|f| f.kind == FlagKind::NetbiosWithSmb || !f.certain)
    }));
}

#[test]
fn endpoint_mapper_dump_makes_dynamic_ports_certain() {
    let input = parsed("samba-dc/ss-lntup.txt");
    let options = with_endpoints(&[
        (49152, "12345678-1234-ABCD-EF00-01234567CFFB"),
        (49153, "lsarpc"),
        (49153, "drsuapi"),
        (49153, "dnsserver"),
        (49154, "samr"),
        (49154, "wkssvc"),
    ]);
    let report = &audit_against(&input, ROLE, &options)[0];
    let netlogon = report.port(Transport::Tcp, 49152).unwrap();
    assert_eq!(netlogon.candidates.len(), 1);
    assert_eq!(netlogon.candidates[0].service, "net-logon");
    assert_eq!(netlogon.candidates[0].relation, Relation::RpcEndpoint);
    let lsa = report.port(Transport::Tcp, 49153).unwrap();
    let services: Vec<&str> = lsa.candidates.iter().map(|c| c.service.as_str()).collect();
    assert_eq!(services, ["local-security-authority", "dns-server"]);
    assert_eq!(lsa.rpc_interfaces, ["dnsserver", "drsuapi", "lsarpc"]);
    let c = report.comparison.as_ref().unwrap();
    let dynamic = dynamic_rpc(c);
    assert_eq!(dynamic.status, ExpectedStatus::Listening);
    // Net Logon has no dynamic RPC row in the catalog; samr on 49154 is the LSA's.
    assert_eq!(dynamic.satisfied_by, [49153, 49154]);
    assert!(c.unexpected.is_empty());
}

#[test]
fn a_file_server_role_finds_the_dc_services_unexpected() {
    let input = parsed("samba-dc/ss-lntup.txt");
    let report = &audit_against(&input, "file-server", &AuditOptions::default())[0];
    let c = report.comparison.as_ref().unwrap();
    assert!(c.missing.is_empty());
    // The role allows DFS (which lists LDAP 389) and FRS (dynamic RPC) as options.
    for port in [
        "tcp/53", "tcp/88", "tcp/464", "tcp/636", "tcp/3268", "udp/123",
    ] {
        assert!(
            c.unexpected.iter().any(|u| u == port),
            "{port} in {:?}",
            c.unexpected
        );
    }
    for port in [
        "tcp/139",
        "tcp/445",
        "udp/137",
        "udp/138",
        "tcp/389",
        "tcp/49152",
    ] {
        assert!(!c.unexpected.iter().any(|u| u == port), "{port}");
    }
    assert_eq!(
        report.port(Transport::Tcp, 389).unwrap().expectation,
        Some(PortExpectation::Optional)
    );
    // Asked to require optional services too, the Macintosh file server is missing.
    let all = AuditOptions {
        include_optional: true,
        ..AuditOptions::default()
    };
    let report = &audit_against(&input, "file-server", &all)[0];
    let c = report.comparison.as_ref().unwrap();
    assert_eq!(keys(&c.missing), ["tcp/548"]);
}

#[test]
fn nmap_scans_of_the_dc() {
    let mut input = parsed("samba-dc/nmap-tcp.xml");
    input.extend(parsed("samba-dc/nmap-udp.xml"));
    assert_eq!(input.format, Format::NmapXml);
    assert_eq!(ports(&input, true), lab_ports());
    assert!(
        input
            .listeners
            .iter()
            .all(|l| l.host.as_deref() == Some("10.201.0.2"))
    );
    let unconfirmed: BTreeSet<u16> = input
        .listeners
        .iter()
        .filter(|l| l.state == SocketState::OpenFiltered)
        .map(|l| l.port)
        .collect();
    assert_eq!(unconfirmed, [88, 138, 464].into_iter().collect());

    let reports = audit_against(&input, ROLE, &AuditOptions::default());
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report.host.as_deref(), Some("10.201.0.2"));
    let c = report.comparison.as_ref().unwrap();
    // 593 was scanned and is closed; UDP 500 and 4500 were not scanned, and are optional.
    assert_eq!(keys(&c.missing), ["tcp/593"]);
    assert!(c.not_covered.is_empty(), "{:?}", c.not_covered);
    assert_eq!(keys(&c.unconfirmed), ["udp/88", "udp/138"]);
    assert!(c.unexpected.is_empty(), "{:?}", c.unexpected);
    let kpasswd = report.port(Transport::Udp, 464).unwrap();
    assert!(!kpasswd.certain);
    assert_eq!(kpasswd.expectation, Some(PortExpectation::Unconfirmed));

    let sv = parsed("samba-dc/nmap-tcp-sv.xml");
    let smb = sv.listeners.iter().find(|l| l.port == 445).unwrap();
    assert_eq!(smb.product.as_deref(), Some("Samba smbd 4.6.2"));
    assert_eq!(smb.service.as_deref(), Some("netbios-ssn"));
}

#[test]
fn apps_lab_flags_legacy_services() {
    let input = parsed("apps-lab/ss-lntup.txt");
    let report = &audit(&catalog(), &input, None, &AuditOptions::default())[0];
    let telnet = report.port(Transport::Tcp, 23).unwrap();
    let kinds: Vec<FlagKind> = telnet
        .flags
        .iter()
        .filter(|f| f.certain)
        .map(|f| f.kind)
        .collect();
    assert_eq!(
        kinds,
        [FlagKind::Legacy, FlagKind::Risk, FlagKind::OffByDefault]
    );
    for port in [7, 9, 13, 17, 19] {
        let p = report.port(Transport::Tcp, port).unwrap();
        assert!(
            p.flags
                .iter()
                .any(|f| f.kind == FlagKind::Legacy && f.certain),
            "{port}"
        );
    }
    let rdp = report.port(Transport::Tcp, 3389).unwrap();
    assert!(
        rdp.flags.iter().all(|f| !f.certain),
        "NetMeeting is only possible"
    );
    let dhcp = report.port(Transport::Udp, 67).unwrap();
    assert_eq!(dhcp.addresses[0].address, "0.0.0.0%papps-ns");
    assert_eq!(dhcp.binding, BindingKind::Wildcard);
    assert_eq!(report.exit_code(), 0);
    assert!(
        report
            .verdict
            .starts_with("30 listening ports: 30 reachable"),
        "{}",
        report.verdict
    );

    let tcp_only = parsed("apps-lab/ss-ltn.txt");
    assert!(tcp_only.coverage.tcp && !tcp_only.coverage.udp);
    let nmap = parsed("apps-lab/nmap-tcp.xml");
    let tcp: BTreeSet<u16> = input
        .listeners
        .iter()
        .filter(|l| l.transport == Transport::Tcp)
        .map(|l| l.port)
        .collect();
    assert_eq!(
        nmap.listeners
            .iter()
            .map(|l| l.port)
            .collect::<BTreeSet<_>>(),
        tcp
    );
}
