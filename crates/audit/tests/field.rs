//! Files captured outside this project (other projects' test fixtures, see
//! `fixtures/field/README.md`): every host of a scan named, unreadable rows skipped and
//! listed, names read for numbers, PowerShell's protocol never guessed, owner mismatches.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod support;

use portolan_audit::{
    AuditOptions, ErrorKind, FlagKind, Format, Listener, Parsed, ReadOptions, Relation,
    SocketState, audit, parse, parse_with,
};
use portolan_catalog::Transport;
use support::{audit_against, catalog, fixture, parsed};

fn field(name: &str) -> String {
    format!("field/{name}")
}

#[test]
fn a_null_scan_of_two_hosts_gives_two_named_reports_with_their_coverage() {
    // nmap -sN of localhost and scanme.nmap.org: every port open|filtered, folded into
    // <extraports>, so no port is listed one by one.
    let input = parsed(&field("libnmap-2_null_hosts.xml"));
    assert!(input.listeners.is_empty());
    let reports = audit(&catalog(), &input, None, &AuditOptions::default());
    let hosts: Vec<(&str, &[String])> = reports
        .iter()
        .map(|r| (r.host.as_deref().unwrap(), r.host_names.as_slice()))
        .collect();
    assert_eq!(
        hosts,
        [
            ("127.0.0.1", &["localhost".to_string()][..]),
            ("74.207.244.221", &["scanme.nmap.org".to_string()][..]),
        ]
    );
    for report in &reports {
        assert!(report.audited);
        assert!(report.ports.is_empty());
        assert_eq!(report.port_states.len(), 1);
        let states = &report.port_states[0];
        assert_eq!(
            (
                states.transport.as_deref(),
                states.state.as_str(),
                states.count
            ),
            (Some("tcp"), "open|filtered", 1000)
        );
        assert!(report.coverage.covers(Transport::Tcp, 445));
        assert!(
            report.verdict.contains("scanned: 1000 open|filtered"),
            "{}",
            report.verdict
        );
    }
    // A role comparison per host: each is named, each lacks the role's ports.
    let reports = audit_against(&input, "domain-controller", &AuditOptions::default());
    assert_eq!(reports.len(), 2);
    for report in &reports {
        let c = report.comparison.as_ref().unwrap();
        assert!(c.missing.iter().any(|m| m == "tcp/389"), "{:?}", c.missing);
        assert!(c.not_covered.iter().any(|m| m == "udp/389"));
    }
}

#[test]
fn hosts_that_did_not_answer_are_listed_as_not_audited() {
    // A /24 sweep: 4 hosts up (one OS-detected as Windows Server 2008), 252 down.
    let input = parsed(&field("libnmap-full_sudo6.xml"));
    let reports = audit_against(&input, "file-server", &AuditOptions::default());
    assert_eq!(reports.len(), 256);
    let down: Vec<_> = reports.iter().filter(|r| !r.audited).collect();
    assert_eq!(down.len(), 252);
    for report in &down {
        assert!(report.ports.is_empty() && report.comparison.is_none());
        assert!(
            report.verdict.starts_with("not audited"),
            "{}",
            report.verdict
        );
        assert_eq!(
            report.exit_code(),
            1,
            "a role cannot match an unanswered host"
        );
    }
    let windows = reports
        .iter()
        .find(|r| r.host.as_deref() == Some("192.168.1.5"))
        .unwrap();
    assert!(windows.audited);
    assert_eq!(windows.host_names, ["00:1F:3C:87:66:50"]);
    let ports: Vec<u16> = windows.ports.iter().map(|p| p.port).collect();
    assert_eq!(ports, [2869, 5357]);
    let filtered = windows
        .port_states
        .iter()
        .find(|c| c.state == "filtered")
        .unwrap();
    assert_eq!(filtered.count, 998);
    // Without a comparison, a host that is down says so and does not fail the audit.
    let plain = audit(&catalog(), &input, None, &AuditOptions::default());
    assert!(plain.iter().all(|r| r.exit_code() == 0));
}

#[test]
fn a_host_with_every_port_filtered_still_has_a_report() {
    let input = parsed(&field("libnmap-1_hosts_down.xml"));
    let reports = audit(&catalog(), &input, None, &AuditOptions::default());
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report.host.as_deref(), Some("10.1.1.1"));
    assert!(report.audited && report.ports.is_empty());
    assert_eq!(report.port_states[0].state, "filtered");
    assert_eq!(report.port_states[0].count, 1000);
}

#[test]
fn a_scan_names_its_host_and_its_windows_services() {
    // A dionaea honeypot, which answers as Windows on 135 and 445.
    let input = parsed(&field("libnmap-dionaea_scan.xml"));
    let reports = audit(&catalog(), &input, None, &AuditOptions::default());
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report.host.as_deref(), Some("172.28.1.3"));
    assert!(report.host_names.iter().any(|n| n == "dionaea"));
    let smb = report.port(Transport::Tcp, 445).unwrap();
    assert!(
        smb.name.starts_with("Server (lanmanserver)"),
        "{}",
        smb.name
    );
    // nmap's service names are not Windows service tags: no confirmation, no mismatch.
    assert!(smb.flags.iter().all(|f| f.kind != FlagKind::OwnerMismatch));
}

#[test]
fn a_hand_redacted_row_is_skipped_and_listed_and_the_rest_is_audited() {
    // jc's Windows 10 `netstat -an`: its last row has an address redacted by hand
    // (`fe80::asda:...`), which is no IPv6 address.
    let name = field("jc-win10-netstat-an.txt");
    let input = parsed(&name);
    assert!(input.is_partial());
    assert_eq!(input.skipped.len(), 1);
    let skipped = &input.skipped[0];
    assert_eq!(skipped.line, 264);
    assert!(skipped.problem.contains("fe80::asda"), "{skipped}");
    assert!(skipped.to_string().starts_with(&format!("{name}:264: ")));
    let reports = audit(&catalog(), &input, None, &AuditOptions::default());
    let rpc = reports[0].port(Transport::Tcp, 135).unwrap();
    assert!(
        rpc.name.starts_with("Remote Procedure Call"),
        "{}",
        rpc.name
    );
    assert_eq!(portolan_audit::exit_code_of(&reports, &input), 1);
    assert_eq!(portolan_audit::exit_code(&reports), 0);

    // --strict: the same row is an error.
    let options = ReadOptions {
        strict: true,
        ..ReadOptions::default()
    };
    let err = parse_with(&name, &fixture(&name), &options).unwrap_err();
    assert_eq!((err.kind, err.line), (ErrorKind::Malformed, 264));
}

#[test]
fn netstat_without_n_is_read_through_port_and_host_names() {
    // jc's Windows 10 `netstat` (no -a, no -n): connections to `api:1032`, `api:31337`.
    let input = parsed(&field("jc-win10-netstat.txt"));
    assert!(!input.is_partial(), "{:?}", input.skipped);
    assert!(input.listeners.is_empty());
    assert!(input.not_listening > 30);
    assert!(input.notes.iter().any(|n| n.contains("services file")));

    // What `netstat -a` prints on a server: names for ports, the host name for its address.
    let text = "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State\r\n\
  TCP    0.0.0.0:epmap          orion:0                LISTENING\r\n\
  TCP    0.0.0.0:microsoft-ds   orion:0                LISTENING\r\n\
  TCP    orion:netbios-ssn      orion:0                LISTENING\r\n\
  TCP    [::]:microsoft-ds      orion:0                LISTENING\r\n\
  TCP    127.0.0.1:5354         orion:0                LISTENING\r\n\
  TCP    orion:49710            dc1:ldap               ESTABLISHED\r\n\
  UDP    0.0.0.0:ntp            *:*                    \r\n\
  UDP    orion:netbios-ns       *:*                    \r\n\
  UDP    localhost:1900         *:*                    \r\n\
  TCP    0.0.0.0:nonesuch       orion:0                LISTENING\r\n";
    let input = parse("named.txt", text.as_bytes(), None).unwrap();
    let read: Vec<(Transport, u16, Option<&str>)> = input
        .listeners
        .iter()
        .map(|l| (l.transport, l.port, l.local_name.as_deref()))
        .collect();
    assert_eq!(
        read,
        [
            (Transport::Tcp, 135, None),
            (Transport::Tcp, 445, None),
            (Transport::Tcp, 139, Some("orion")),
            (Transport::Tcp, 445, None),
            (Transport::Tcp, 5354, None),
            (Transport::Udp, 123, None),
            (Transport::Udp, 137, Some("orion")),
            (Transport::Udp, 1900, Some("localhost")),
        ]
    );
    assert_eq!(input.not_listening, 1);
    assert_eq!(input.skipped.len(), 1);
    assert!(input.skipped[0].problem.contains("`nonesuch`"));
    let reports = audit(&catalog(), &input, None, &AuditOptions::default());
    let ssn = reports[0].port(Transport::Tcp, 139).unwrap();
    assert!(ssn.reachable);
    assert_eq!(ssn.addresses[0].address, "orion");
    assert!(!reports[0].port(Transport::Udp, 1900).unwrap().reachable);
}

#[test]
fn dockerd_on_the_ldap_port_is_a_mismatch_not_the_lsa() {
    // jc's Ubuntu 18.04 `ss -tulpen`: dockerd publishes a container's LDAP on TCP 389.
    let input = parsed(&field("jc-ubuntu1804-ss-tulpen.txt"));
    let reports = audit(&catalog(), &input, None, &AuditOptions::default());
    let ldap = reports[0].port(Transport::Tcp, 389).unwrap();
    assert_eq!(
        ldap.name,
        "TCP 389 is LDAP Server (Local Security Authority) in the catalog; held by dockerd"
    );
    let flag = &ldap.flags[0];
    assert_eq!(flag.kind, FlagKind::OwnerMismatch);
    assert!(flag.certain);
    assert!(
        ldap.candidates
            .iter()
            .all(|c| c.relation != Relation::Owner)
    );
    // A daemon that serves the protocol is no mismatch: snmpd on UDP 161.
    let snmp = reports[0].port(Transport::Udp, 161).unwrap();
    assert!(snmp.flags.iter().all(|f| f.kind != FlagKind::OwnerMismatch));
}

#[test]
fn windows_service_tags_confirm_or_contradict_the_owner() {
    // jc's Windows 10 `netstat -aonb`.
    let input = parsed(&field("jc-win10-netstat-aonb.txt"));
    let reports = audit(&catalog(), &input, None, &AuditOptions::default());
    let report = &reports[0];
    let rpc = report.port(Transport::Tcp, 135).unwrap();
    assert_eq!(
        rpc.candidates[0].confirmed_by.as_deref(),
        Some("service tag RpcSs")
    );
    // IKEEXT holds IKE on modern Windows: it confirms the LSA's row, it is no mismatch.
    let ike = report.port(Transport::Udp, 500).unwrap();
    assert!(ike.flags.iter().all(|f| f.kind != FlagKind::OwnerMismatch));
    // SMB held by the kernel (no owner information): the catalog's owner stands.
    let smb = report.port(Transport::Tcp, 445).unwrap();
    assert_eq!(smb.candidates[0].relation, Relation::Owner);
    let mismatches = report
        .ports
        .iter()
        .filter(|p| p.flags.iter().any(|f| f.kind == FlagKind::OwnerMismatch))
        .count();
    assert_eq!(mismatches, 0);
}

#[test]
fn a_file_belongs_to_the_host_the_user_names_or_to_an_unknown_host() {
    let name = field("jc-centos77-netstat-lnp.txt");
    let input = parsed(&name);
    assert_eq!(input.listeners.len(), 7);
    assert!(!input.is_partial(), "{:?}", input.skipped);
    let reports = audit(&catalog(), &input, None, &AuditOptions::default());
    assert_eq!(
        reports[0].host.as_deref(),
        Some(format!("unknown host ({name})").as_str())
    );
    let options = ReadOptions {
        host: Some("centos7".to_string()),
        ..ReadOptions::default()
    };
    let input = parse_with(&name, &fixture(&name), &options).unwrap();
    assert!(
        input
            .listeners
            .iter()
            .all(|l| l.host.as_deref() == Some("centos7"))
    );
    // A scan names its hosts itself: the user's name does not replace them.
    let scan = field("libnmap-1_hosts_down.xml");
    let input = parse_with(&scan, &fixture(&scan), &options).unwrap();
    assert_eq!(input.hosts[0].host, "10.1.1.1");
}

#[test]
fn powershell_json_that_cannot_tell_tcp_from_udp_is_not_guessed() {
    // `Get-NetTCPConnection -State Listen | Select-Object LocalAddress,LocalPort,OwningProcess
    // | ConvertTo-Json`, as PowerShell 5.1 writes it.
    let json = "[\r\n    {\r\n        \"LocalAddress\":  \"::\",\r\n        \"LocalPort\":  49667,\r\n        \"OwningProcess\":  1544\r\n    },\r\n    {\r\n        \"LocalAddress\":  \"0.0.0.0\",\r\n        \"LocalPort\":  389,\r\n        \"OwningProcess\":  672\r\n    }\r\n]\r\n";
    let err = parse("ps.json", json.as_bytes(), None).unwrap_err();
    assert_eq!((err.kind, err.line), (ErrorKind::Ambiguous, 2));
    assert!(err.expected.contains("--input-format powershell-tcp"));
    assert!(
        err.expected
            .contains("Get-NetTCPConnection -State Listen | ConvertTo-Json")
    );
    let tcp = parse("ps.json", json.as_bytes(), Some(Format::PowerShellTcp)).unwrap();
    assert_eq!(tcp.format, Format::PowerShell);
    assert!(
        tcp.listeners
            .iter()
            .all(|l| l.transport == Transport::Tcp && l.state == SocketState::Listen)
    );
    assert!(tcp.coverage.tcp && !tcp.coverage.udp);
    let udp = parse("ps.json", json.as_bytes(), Some(Format::PowerShellUdp)).unwrap();
    assert!(udp.listeners.iter().all(|l| l.transport == Transport::Udp));
    // Whole objects carry their CIM class: the forced protocol does not override it.
    let whole = parse(
        "ps.json",
        &fixture("powershell/get-netudpendpoint.json"),
        Some(Format::PowerShellTcp),
    )
    .unwrap();
    assert!(
        whole
            .listeners
            .iter()
            .all(|l| l.transport == Transport::Udp)
    );
}

#[test]
fn a_check_host_with_nothing_listening_still_has_its_report() {
    let jsonl = "{\"address\":\"10.0.0.1\",\"transport\":\"tcp\",\"port\":445,\"probe\":\"tcp\",\"status\":\"LISTENING\"}\n\
{\"address\":\"10.0.0.2\",\"transport\":\"tcp\",\"port\":445,\"probe\":\"tcp\",\"status\":\"FILTERED\"}\n\
{\"address\":\"10.0.0.2\",\"transport\":\"tcp\",\"port\":135,\"probe\":\"tcp\",\"status\":\"NOT LISTENING\"}\n";
    let input = parse("check.jsonl", jsonl.as_bytes(), None).unwrap();
    let reports = audit_against(&input, "file-server", &AuditOptions::default());
    let hosts: Vec<&str> = reports.iter().map(|r| r.host.as_deref().unwrap()).collect();
    assert_eq!(hosts, ["10.0.0.1", "10.0.0.2"]);
    let quiet = &reports[1];
    assert!(quiet.audited && quiet.ports.is_empty());
    assert_eq!(quiet.port_states.len(), 2);
    let c = quiet.comparison.as_ref().unwrap();
    assert!(c.missing.iter().any(|m| m == "tcp/445"), "{:?}", c.missing);
}

/// The listener of a transport, address and port.
fn listener<'a>(input: &'a Parsed, transport: Transport, address: &str, port: u16) -> &'a Listener {
    input
        .listeners
        .iter()
        .find(|l| l.transport == transport && l.port == port && l.address.to_string() == address)
        .unwrap()
}

/// The first index of `needle` in `bytes` at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> usize {
    bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| from + at)
        .unwrap()
}

/// The `netstat -ano` section of CRWinNetDiag's report: the lines between its banner and the
/// next banner, bytes untouched (Windows-1252, LF line ends, as the tool wrote them).
fn crwinnetdiag_netstat_section(report: &[u8]) -> &[u8] {
    let banner = find(report, 0, b" netstat -ano \t ");
    let start = find(report, banner, b"\n") + 1;
    let end = find(report, start, b"\n=====") + 1;
    &report[start..end]
}

#[test]
fn a_german_windows_netstat_is_read_by_shape() {
    // CRWinNetDiag's report of a German Windows 8.1 Pro (2017): `netstat -ano` with
    // "Lokale Adresse", "ABHÖREN" in Windows-1252, "HERGESTELLT", "WARTEND",
    // "SCHLIESSEN_WARTEN", and the tool's own rule of underscores after the last row.
    let name = field("crwinnetdiag-win81-de-report.txt");
    let report = fixture(&name);
    // The whole report is no listener listing: it holds registry dumps with control bytes.
    let err = parse(&name, &report, None).unwrap_err();
    assert_eq!((err.kind, err.line), (ErrorKind::Binary, 33));

    let section = crwinnetdiag_netstat_section(&report);
    assert!(section.windows(8).any(|w| w == b"ABH\xd6REN "));
    let input = parse("netstat-de.txt", section, None).unwrap();
    assert_eq!(input.format, Format::Netstat);
    assert!(!input.is_partial(), "{:?}", input.skipped);
    // 60 TCP rows with the foreign address 0.0.0.0:0 or [::]:0 (17 of them IPv6), 105 UDP
    // rows; 163 TCP rows are connections in other states.
    let tcp = input
        .listeners
        .iter()
        .filter(|l| l.transport == Transport::Tcp)
        .count();
    let udp = input
        .listeners
        .iter()
        .filter(|l| l.transport == Transport::Udp)
        .count();
    assert_eq!((tcp, udp, input.not_listening), (60, 105, 163));
    assert!(
        input
            .listeners
            .iter()
            .filter(|l| l.transport == Transport::Tcp)
            .all(|l| l.state == SocketState::Listen)
    );
    assert!(
        input.notes.iter().any(|n| n.contains("not in English")),
        "{:?}",
        input.notes
    );
    let owner = |transport: Transport, address: &str, port: u16| {
        listener(&input, transport, address, port).pid
    };
    assert_eq!(owner(Transport::Tcp, "0.0.0.0", 135), Some(792));
    assert_eq!(owner(Transport::Tcp, "0.0.0.0", 3389), Some(1268));
    assert_eq!(owner(Transport::Tcp, "::", 445), Some(4));
    assert_eq!(owner(Transport::Udp, "0.0.0.0", 500), Some(1384));
    // The rule after the last row is not taken for a `-b` service tag.
    assert!(input.listeners.iter().all(|l| l.service.is_none()));

    let reports = audit(&catalog(), &input, None, &AuditOptions::default());
    let rdp = reports[0].port(Transport::Tcp, 3389).unwrap();
    assert!(rdp.reachable);
    assert!(rdp.name.contains("Terminal Services"), "{}", rdp.name);
}

#[test]
fn powershell_listeners_captured_on_windows_are_read_as_the_user_says() {
    // RustHunter's test data: `Get-NetTCPConnection -State Listen | Select-Object
    // LocalAddress,LocalPort,@{Name="ProcessName";...} | ConvertTo-Json` and the same for
    // `Get-NetUDPEndpoint`, captured on a Windows machine (WinRM on 5985/5986/47001). No
    // State, no RemoteAddress, no CIM class: nothing in the JSON tells TCP from UDP.
    let tcp_name = field("rusthunter-win-tcp-listen.json");
    let udp_name = field("rusthunter-win-udp-listen.json");
    for name in [&tcp_name, &udp_name] {
        let err = parse(name, &fixture(name), None).unwrap_err();
        assert_eq!((err.kind, err.line), (ErrorKind::Ambiguous, 2), "{name}");
        assert!(err.expected.contains("powershell-tcp"));
    }

    let tcp = parse(&tcp_name, &fixture(&tcp_name), Some(Format::PowerShellTcp)).unwrap();
    assert!(!tcp.is_partial(), "{:?}", tcp.skipped);
    assert_eq!(tcp.listeners.len(), 27);
    assert!(tcp.listeners.iter().all(|l| l.transport == Transport::Tcp
        && l.state == SocketState::Listen
        && l.pid.is_none()
        && l.process.is_none()));
    let on = |port: u16| {
        tcp.listeners
            .iter()
            .filter(|l| l.port == port)
            .map(|l| l.address.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(on(135), ["::", "0.0.0.0"]);
    assert_eq!(on(5985), ["::"]);
    assert_eq!(on(139), ["10.27.128.9", "172.21.128.1"]);
    assert_eq!(tcp.listeners[0].origin.line, 2);

    let udp = parse(&udp_name, &fixture(&udp_name), Some(Format::PowerShellUdp)).unwrap();
    assert!(!udp.is_partial(), "{:?}", udp.skipped);
    assert_eq!(udp.listeners.len(), 36);
    assert!(
        udp.listeners
            .iter()
            .all(|l| l.transport == Transport::Udp && l.state == SocketState::Bound)
    );

    // Both files of one machine, audited together as one host.
    let options = ReadOptions {
        host: Some("rusthunter-win".to_string()),
        ..ReadOptions::default()
    };
    let mut both = parse_with(
        &tcp_name,
        &fixture(&tcp_name),
        &ReadOptions {
            format: Some(Format::PowerShellTcp),
            ..options.clone()
        },
    )
    .unwrap();
    let udp = parse_with(
        &udp_name,
        &fixture(&udp_name),
        &ReadOptions {
            format: Some(Format::PowerShellUdp),
            ..options
        },
    )
    .unwrap();
    both.extend(udp);
    let reports = audit(&catalog(), &both, None, &AuditOptions::default());
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].host.as_deref(), Some("rusthunter-win"));
    let smb = reports[0].port(Transport::Tcp, 445).unwrap();
    assert!(smb.name.starts_with("Server"), "{}", smb.name);
    assert!(reports[0].port(Transport::Udp, 500).is_some());
}

#[test]
fn netstat_module_lists_are_not_service_tags() {
    // Parse::Netstat's Windows sample (XP era, `-b` with `-v`): under a row, the modules that
    // created the socket (`c:\windows\system32\WS2_32.dll`, ...) and then `[svchost.exe]`.
    let input = parsed(&field("parse-netstat-win32-anbv.txt"));
    assert!(!input.is_partial(), "{:?}", input.skipped);
    // (transport, port, pid, process, service tag) of each listener.
    type Read<'a> = (
        Transport,
        u16,
        Option<u32>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let read: Vec<Read<'_>> = input
        .listeners
        .iter()
        .map(|l| {
            (
                l.transport,
                l.port,
                l.pid,
                l.process.as_deref(),
                l.service.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            (Transport::Tcp, 135, Some(988), Some("svchost.exe"), None),
            (Transport::Tcp, 445, Some(4), Some("System"), None),
            (Transport::Tcp, 1027, Some(1244), Some("alg.exe"), None),
            (Transport::Tcp, 139, Some(4), Some("System"), None),
            (Transport::Udp, 1025, Some(1120), Some("svchost.exe"), None),
            (Transport::Udp, 500, Some(696), Some("lsass.exe"), None),
        ]
    );
    assert_eq!(input.not_listening, 0);
}

#[test]
fn a_windows_server_netstat_filtered_by_select_string_is_read() {
    // InSpec's capture on Windows Server 2012 R2 (a WINS server): `netstat -anbo |
    // Select-String -CaseSensitive -pattern "^\s+UDP|\s+LISTENING\s+\d+$" -context 0,1`.
    // No header; each row is marked `> ` and followed by its `-b` line.
    let name = field("inspec-win2012r2-netstat-anbo-select-string.txt");
    let input = parsed(&name);
    assert_eq!(input.format, Format::Netstat);
    assert!(!input.is_partial(), "{:?}", input.skipped);
    // 34 TCP rows (19 IPv4, 15 IPv6) and 15 UDP rows, all listening or bound.
    let count = |transport: Transport| {
        input
            .listeners
            .iter()
            .filter(|l| l.transport == transport)
            .count()
    };
    assert_eq!(
        (
            count(Transport::Tcp),
            count(Transport::Udp),
            input.not_listening
        ),
        (34, 15, 0)
    );
    // (pid, process, service tag) of a listener.
    let owner = |transport: Transport, address: &str, port: u16| {
        let l = listener(&input, transport, address, port);
        (l.pid, l.process.as_deref(), l.service.as_deref())
    };
    assert_eq!(
        owner(Transport::Tcp, "0.0.0.0", 135),
        (Some(564), None, Some("RpcSs"))
    );
    assert_eq!(
        owner(Transport::Tcp, "::", 49312),
        (Some(3576), Some("wins.exe"), None)
    );
    assert_eq!(
        owner(Transport::Udp, "0.0.0.0", 161),
        (Some(3004), Some("snmp.exe"), None)
    );
    assert_eq!(
        owner(Transport::Udp, "::", 5355),
        (Some(908), None, Some("Dnscache"))
    );
    // "Can not obtain ownership information" under System's rows names nothing.
    assert_eq!(owner(Transport::Tcp, "0.0.0.0", 445), (Some(4), None, None));
    // Line numbers count the file's own lines, the leading empty one included.
    let epm = input.listeners.iter().find(|l| l.port == 135).unwrap();
    assert_eq!(epm.origin.line, 8);

    // 28 ports; WINS confirmed by its executable, the endpoint mapper by its tag.
    let reports = audit_against(&input, "wins-server", &AuditOptions::default());
    let report = &reports[0];
    assert_eq!(report.ports.len(), 28);
    for transport in [Transport::Tcp, Transport::Udp] {
        let wins = report.port(transport, 42).unwrap();
        assert_eq!(
            wins.candidates[0].confirmed_by.as_deref(),
            Some("process wins.exe")
        );
    }
    let rpc = report.port(Transport::Tcp, 135).unwrap();
    assert_eq!(
        rpc.candidates[0].confirmed_by.as_deref(),
        Some("service tag RpcSs")
    );
    let eventlog = report.port(Transport::Tcp, 49153).unwrap();
    assert_eq!(eventlog.name, "Event Log (Eventlog)");
    let snmp = report.port(Transport::Udp, 161).unwrap();
    assert_eq!(
        snmp.candidates[0].confirmed_by.as_deref(),
        Some("process snmp.exe")
    );
    assert!(!report.port(Transport::Udp, 53235).unwrap().reachable);
    // Dynamic ports are named by what holds them: a syslog daemon's ports are its own, and
    // lsass.exe's keep only the services lsass runs (before this, each was "possibly
    // dynamic RPC of" some twenty services).
    // (The seed's dynamic RPC rows are TCP 1025-5000 and 49152-65535; UDP 64133 and 64134,
    // also Syslogd's, are in no seed range and stay unknown to the catalog.)
    for (port, holder) in [(3300, "Syslogd_Service.exe"), (49312, "wins.exe")] {
        let p = report.port(Transport::Tcp, port).unwrap();
        assert!(p.candidates.is_empty(), "{port}: {:?}", p.candidates);
        assert_eq!(
            p.name,
            format!(
                "held by {holder}: none of the catalog's services with dynamic ports runs in it"
            ),
            "TCP {port}"
        );
    }
    let lsass = report.port(Transport::Tcp, 49157).unwrap();
    let ids: Vec<&str> = lsass
        .candidates
        .iter()
        .map(|c| c.service.as_str())
        .collect();
    // Of the services lsass.exe runs, only the LSA has a dynamic row in the seed.
    assert_eq!(ids, ["local-security-authority"]);
    // svchost and wininit host many services: every candidate stays.
    assert!(report.port(Transport::Tcp, 49152).unwrap().candidates.len() > 10);
    assert!(
        report
            .ports
            .iter()
            .all(|p| p.flags.iter().all(|f| f.kind != FlagKind::OwnerMismatch))
    );
    // Everything the WINS role needs listens; the server runs much more besides.
    let c = report.comparison.as_ref().unwrap();
    assert!(c.missing.is_empty(), "{:?}", c.missing);
    assert!(c.not_covered.is_empty(), "{:?}", c.not_covered);
    assert_eq!(c.unexpected.len(), 22);
    assert!(c.unexpected.iter().any(|u| u == "tcp/22"));
    assert!(!c.matches);
}

#[test]
fn powershell_tcp_states_as_numbers_are_read() {
    // InSpec's Windows (2012) sample of `Get-NetTCPConnection | Select-Object -Property State,
    // Caption, Description, LocalAddress, LocalPort, RemoteAddress, RemotePort, DisplayName,
    // Status | ConvertTo-Json`: Windows PowerShell writes the State enum as its number (2 is
    // Listen); the remote address tells TCP.
    let input = parsed(&field("inspec-win2012-get-nettcpconnection.json"));
    assert_eq!(input.format, Format::PowerShell);
    assert!(!input.is_partial(), "{:?}", input.skipped);
    let read: Vec<(Transport, String, u16, SocketState, usize)> = input
        .listeners
        .iter()
        .map(|l| {
            (
                l.transport,
                l.address.to_string(),
                l.port,
                l.state,
                l.origin.line,
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            (
                Transport::Tcp,
                "::".to_string(),
                135,
                SocketState::Listen,
                2
            ),
            (
                Transport::Tcp,
                "192.168.10.157".to_string(),
                135,
                SocketState::Listen,
                13
            ),
        ]
    );
    assert!(input.coverage.tcp && !input.coverage.udp);
    let reports = audit(&catalog(), &input, None, &AuditOptions::default());
    let rpc = reports[0].port(Transport::Tcp, 135).unwrap();
    assert!(rpc.reachable);
    assert!(
        rpc.name.starts_with("Remote Procedure Call"),
        "{}",
        rpc.name
    );
}

/// The literal block of the lecture page that follows `.. code-block:: bash`, up to the next
/// heading: a console session, bytes untouched (UTF-8, LF, indented by four spaces).
fn lectures_net_console_block(page: &[u8]) -> &[u8] {
    let marker = b".. code-block:: bash\n";
    let start = find(page, 0, marker) + marker.len();
    let end = find(page, start, "\nЗадания".as_bytes()) + 1;
    &page[start..end]
}

#[test]
fn a_russian_windows_netstat_without_n_is_read() {
    // A lecture's console session on a Russian Windows 10 (build 14393): `netstat -a`, so
    // "Активные подключения", the columns "Имя", "Локальный адрес", "Внешний адрес",
    // "Состояние", English states, host and port names (`DESKTOP-9JPISDO:0`,
    // `a172-226-117-113:https`) and link-local IPv6 with a zone (`%2`).
    let page = fixture(&field("lectures-net-win10-ru-checkpoint.rst"));
    let block = lectures_net_console_block(&page);
    assert!(block.starts_with(b"\n    Microsoft Windows [Version 10.0.14393]"));
    let input = parse("netstat-ru.txt", block, None).unwrap();
    assert_eq!(input.format, Format::Netstat);
    assert!(!input.is_partial(), "{:?}", input.skipped);
    // 7 listening TCP rows (foreign address DESKTOP-9JPISDO:0), 2 connections, 10 UDP rows.
    let read: Vec<(Transport, String, u16)> = input
        .listeners
        .iter()
        .map(|l| (l.transport, l.address.to_string(), l.port))
        .collect();
    let tcp = |address: &str, port: u16| (Transport::Tcp, address.to_string(), port);
    let udp = |address: &str, port: u16| (Transport::Udp, address.to_string(), port);
    let link_local = "fe80::e0aa:34e:fe8c:d651";
    assert_eq!(
        read,
        [
            tcp("0.0.0.0", 135),
            tcp("0.0.0.0", 445),
            tcp("0.0.0.0", 3050),
            tcp("0.0.0.0", 7680),
            tcp("0.0.0.0", 8889),
            tcp("10.0.2.15", 139),
            tcp("::", 135),
            udp("0.0.0.0", 3544),
            udp("0.0.0.0", 5050),
            udp("10.0.2.15", 137),
            udp("::", 5353),
            udp("::", 5355),
            udp("::1", 1900),
            udp("::1", 60633),
            udp(link_local, 546),
            udp(link_local, 1900),
            udp(link_local, 60632),
        ]
    );
    assert_eq!(input.not_listening, 2);
    assert!(
        input
            .listeners
            .iter()
            .filter(|l| l.address.to_string() == link_local)
            .all(|l| l.interface.as_deref() == Some("2"))
    );
    // No -o, no -b: no owner at all.
    assert!(input.listeners.iter().all(|l| l.pid.is_none()));
    assert!(input.notes.iter().any(|n| n.contains("services file")));
    // English states: nothing was read by shape alone.
    assert!(!input.notes.iter().any(|n| n.contains("not in English")));

    let reports = audit(&catalog(), &input, None, &AuditOptions::default());
    let report = &reports[0];
    assert_eq!(report.ports.len(), 15);
    let ssdp = report.port(Transport::Udp, 1900).unwrap();
    assert!(ssdp.name.starts_with("SSDP Discovery"), "{}", ssdp.name);
    assert!(!report.port(Transport::Udp, 60633).unwrap().reachable);
    let smb = report.port(Transport::Tcp, 445).unwrap();
    assert!(
        smb.reachable && smb.name.starts_with("Server"),
        "{}",
        smb.name
    );
}
