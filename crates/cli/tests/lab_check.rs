//! `portolan check` against the lab's real peers (Samba AD DC, chrony, dnsmasq, tftpd-hpa,
//! snmpd, FreeRADIUS, inetd, vsftpd, postfix, nginx, dovecot, innd, lpd, xrdp, pptpd,
//! xl2tpd, strongSwan, minissdpd, snmptrapd) and the firewalled host: every status and every
//! verification detail. Needs the lab (root); see tests/common.

mod common;

use common::{json_lines, json_run, lab, portolan, results, stdout_ok, strings};
use serde_json::Value;

fn field<'a>(r: &'a Value, name: &str) -> &'a str {
    r[name].as_str().unwrap_or("")
}

fn assert_result(
    all: &std::collections::BTreeMap<String, Value>,
    key: &str,
    status: &str,
    needle: &str,
) {
    let r = all
        .get(key)
        .unwrap_or_else(|| panic!("{key} was not checked; results: {:?}", all.keys()));
    assert_eq!(field(r, "status"), status, "{key}: {r:#}");
    if !needle.is_empty() {
        let text = format!(
            "{} | {} | {} | {}",
            field(r, "evidence"),
            field(r, "answer"),
            r["verification"]["detail"].as_str().unwrap_or(""),
            field(r, "note")
        );
        assert!(text.contains(needle), "{key}: `{needle}` not in `{text}`");
    }
}

fn verified(all: &std::collections::BTreeMap<String, Value>, key: &str) {
    let outcome = all[key]["verification"]["outcome"]
        .as_str()
        .unwrap_or("none");
    assert_eq!(outcome, "verified", "{key}: {:#}", all[key]);
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn domain_controller_role_on_samba() {
    let lab = lab();
    // The role takes LDAPS and IKE as optional, which check leaves out; the LSA by name
    // brings every row of it back. The seed's role (--windows 2003); today's is in
    // todays_domain_controller_role_on_samba.
    let (code, v) = json_run(&[
        "--windows",
        "2003",
        "check",
        &lab.dc,
        "--role",
        "domain-controller",
        "--include-optional",
        "--domain",
        &lab.domain,
    ]);
    assert_eq!(
        code, 1,
        "Samba lacks IPsec and RPC over HTTP, so not everything listens"
    );
    assert_eq!(v["exit_code"], 1);
    let all = results(&v);
    assert_result(&all, "88/tcp", "LISTENING", "KRB-ERROR");
    verified(&all, "88/tcp");
    assert_result(&all, "88/udp", "LISTENING", "realm LAB.EXAMPLE");
    assert_result(
        &all,
        "389/udp",
        "LISTENING",
        "CLDAP netlogon: domain lab.example, DC dc1.lab.example",
    );
    assert_result(&all, "389/tcp", "LISTENING", "dnsHostName dc1.lab.example");
    verified(&all, "389/tcp");
    assert_result(
        &all,
        "3268/tcp",
        "LISTENING",
        "defaultNamingContext DC=lab,DC=example",
    );
    assert_result(&all, "636/tcp", "LISTENING", "CN=DC1.lab.example");
    assert_result(&all, "636/tcp", "LISTENING", "dnsHostName dc1.lab.example");
    assert_result(&all, "3269/tcp", "LISTENING", "CN=DC1.lab.example");
    assert_result(
        &all,
        "445/tcp",
        "LISTENING",
        "SMB2 negotiate: dialect 3.1.1",
    );
    verified(&all, "445/tcp");
    assert_result(&all, "139/tcp", "LISTENING", "SMB2 negotiate");
    assert_eq!(
        all["139/tcp"]["verification"]["probe"],
        "NetBIOS session request, then SMB2 negotiate"
    );
    assert_result(&all, "137/udp", "LISTENING", "DC1<00>");
    assert_result(&all, "137/udp", "LISTENING", "LAB<1c>");
    assert_result(&all, "138/udp", "LISTENING OR FILTERED", "never replies");
    assert_result(&all, "123/udp", "LISTENING", "NTP v4 server: stratum 10");
    assert_result(&all, "135/tcp", "LISTENING", "DCE/RPC bind_ack: accepted");
    verified(&all, "135/tcp");
    // Registered with the endpoint mapper (ncacn_http) but nothing listens: Samba's quirk.
    assert_result(&all, "593/tcp", "NOT LISTENING", "connection refused");
    assert_result(&all, "500/udp", "NOT LISTENING", "ICMP port unreachable");
    assert_result(&all, "4500/udp", "NOT LISTENING", "ICMP port unreachable");
    // The dynamic RPC ports come from the endpoint mapper, not from a guess.
    let host = &v["hosts"][0];
    let mapper = &host["endpoint_mapper"];
    assert!(mapper["endpoints"].as_u64().unwrap() >= 40, "{mapper}");
    let dynamic: Vec<&Value> = all
        .values()
        .filter(|r| r["origin"] == "endpoint-mapper")
        .collect();
    assert!(!dynamic.is_empty());
    for r in &dynamic {
        assert_eq!(r["status"], "LISTENING", "{r:#}");
        assert!(r["port"].as_u64().unwrap() >= 49152);
        assert!(r["rows"].as_array().unwrap().iter().any(|row| {
            row["service_id"] == "local-security-authority"
                && row["app_protocol"]
                    .as_str()
                    .unwrap()
                    .contains("ncacn_ip_tcp")
        }));
    }
    let lsarpc = dynamic.iter().find(|r| {
        r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["app_protocol"].as_str().unwrap().starts_with("lsarpc"))
    });
    assert!(lsarpc.is_some(), "lsarpc's port is checked");
    // FRS and DFS have no interface registered on Samba: said, not hidden.
    let unchecked = host["unchecked"].as_array().unwrap();
    assert!(unchecked.iter().any(|u| {
        u["service_id"] == "file-replication"
            && u["reason"]
                .as_str()
                .unwrap()
                .contains("lists no TCP endpoint")
    }));
    // LDAP SSL over UDP is not a listener (erratum ldaps-over-udp): never probed.
    assert!(!all.contains_key("636/udp"));
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn small_udp_services() {
    let lab = lab();
    let (code, v) = json_run(&[
        "check",
        &lab.svc,
        "--ports",
        "tcp:53 udp:53,69,161,1812,1813,1645,123",
        "--radius-secret",
        &lab.radius_secret,
    ]);
    assert_eq!(code, 1);
    let all = results(&v);
    assert_result(&all, "53/udp", "LISTENING", "DNS: REFUSED");
    assert_result(&all, "53/tcp", "LISTENING", "DNS: REFUSED");
    verified(&all, "53/tcp");
    assert_result(&all, "69/udp", "LISTENING", "TFTP: ERROR 1 file not found");
    // TFTP answers from a port of its own.
    assert!(!field(&all["69/udp"], "answer").ends_with("from port 69"));
    assert_result(&all, "161/udp", "LISTENING", "sysName svc1.lab.example");
    assert_result(&all, "1812/udp", "LISTENING", "Access-Reject");
    assert_result(&all, "1812/udp", "LISTENING", "authenticator ok");
    assert_result(&all, "1813/udp", "LISTENING", "Accounting-Response");
    assert_result(&all, "1645/udp", "NOT LISTENING", "ICMP port unreachable");
    assert_result(&all, "123/udp", "NOT LISTENING", "ICMP port unreachable");
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn radius_without_the_secret_is_honest() {
    let lab = lab();
    let (_, v) = json_run(&["check", &lab.svc, "--ports", "udp:1812,1813"]);
    let all = results(&v);
    // A plain Access-Request with the wrong secret still gets an answer...
    assert_result(&all, "1812/udp", "LISTENING", "Access-Reject");
    // ...an accounting request does not, and the output says why.
    assert_result(&all, "1813/udp", "LISTENING OR FILTERED", "--radius-secret");
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn snmp_with_a_wrong_community_still_answers_v3_discovery() {
    let lab = lab();
    let (_, v) = json_run(&[
        "check",
        &lab.svc,
        "--ports",
        "udp:161",
        "--community",
        "wrong",
    ]);
    assert_result(&results(&v), "161/udp", "LISTENING", "SNMP v3: Report");
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn application_daemons() {
    let lab = lab();
    let (code, v) = json_run(&[
        "check",
        &lab.apps,
        "--ports",
        "tcp:7,13,17,19,21,23,25,80,110,119,143,443,515,563,993,995,1723,3389 \
         udp:7,9,13,17,19,67,162,500,1701,1900,4011,4500",
    ]);
    assert_eq!(code, 1, "discard is silent and qotd/udp is closed");
    let all = results(&v);
    for (key, needle) in [
        ("21/tcp", "FTP: 220"),
        ("23/tcp", "Telnet:"),
        ("25/tcp", "SMTP: 220 apps.lab.example ESMTP"),
        ("80/tcp", "server nginx"),
        ("110/tcp", "POP3: +OK"),
        ("119/tcp", "NNTP: 200"),
        ("143/tcp", "IMAP: * OK"),
        ("443/tcp", "CN=apps.lab.example"),
        ("563/tcp", "NNTP: 200"),
        ("993/tcp", "IMAP: * OK"),
        ("995/tcp", "POP3: +OK"),
        ("515/tcp", "LPD:"),
        ("3389/tcp", "RDP: X.224 connection confirm"),
        ("7/tcp", "echo: 32 bytes returned unchanged"),
        ("13/tcp", "daytime:"),
        ("17/tcp", "qotd:"),
        ("19/tcp", "chargen:"),
    ] {
        assert_result(&all, key, "LISTENING", needle);
        verified(&all, key);
    }
    assert_result(&all, "1723/tcp", "LISTENING", "connection accepted");
    assert_result(
        &all,
        "7/udp",
        "LISTENING",
        "echo: 32 bytes returned unchanged",
    );
    assert_result(&all, "13/udp", "LISTENING", "daytime:");
    assert_result(&all, "19/udp", "LISTENING", "chargen:");
    assert_result(&all, "17/udp", "NOT LISTENING", "ICMP port unreachable");
    assert_result(&all, "9/udp", "LISTENING OR FILTERED", "discard");
    assert_result(&all, "67/udp", "LISTENING", "DHCPACK");
    assert_result(&all, "4011/udp", "LISTENING", "pxelinux.0");
    assert_result(&all, "162/udp", "LISTENING", "SNMP v3: Report");
    assert_result(&all, "500/udp", "LISTENING", "IKEv1 Main Mode");
    assert_result(&all, "4500/udp", "LISTENING", "NAT-T");
    assert_result(
        &all,
        "1701/udp",
        "LISTENING",
        "L2TP: SCCRP, host apps.lab.example",
    );
    assert_result(&all, "1900/udp", "LISTENING", "SSDP: 200 OK");
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn firewalled_host_matches_the_truth() {
    let lab = lab();
    let rows = common::fw_truth(&lab.fw_truth);
    let tcp: Vec<String> = rows
        .iter()
        .filter(|r| r.0 == "tcp")
        .map(|r| r.1.to_string())
        .collect();
    let udp: Vec<String> = rows
        .iter()
        .filter(|r| r.0 == "udp")
        .map(|r| r.1.to_string())
        .collect();
    let spec = format!("tcp:{} udp:{}", tcp.join(","), udp.join(","));
    let (code, v) = json_run(&["check", &lab.fw, "--ports", &spec, "--no-verify"]);
    assert_eq!(code, 1);
    let all = results(&v);
    assert_eq!(all.len(), rows.len());
    for (transport, port, state) in &rows {
        let key = format!("{port}/{transport}");
        let expected = match (transport.as_str(), state.as_str()) {
            (_, "open") => "LISTENING",
            (_, "closed") => "NOT LISTENING",
            ("tcp", "reset") => "NOT LISTENING",
            ("tcp", "dropped") => "FILTERED",
            ("udp", "dropped") => "LISTENING OR FILTERED",
            (_, "admin-prohibited") => "FILTERED",
            other => panic!("unknown truth {other:?}"),
        };
        assert_result(&all, &key, expected, "");
        if state == "admin-prohibited" {
            assert_result(&all, &key, expected, "ICMP");
        }
    }
    // Dropped ports waited only as long as the host's round trips justify: the adaptive
    // wait came down to the floor, not the 1.5 s ceiling.
    let dropped = &all["445/tcp"];
    assert_eq!(dropped["attempts"], 2);
    assert!(
        field(dropped, "answer").contains("waited up to 100 ms"),
        "{dropped:#}"
    );
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn several_hosts_in_one_run() {
    let lab = lab();
    let (code, v) = json_run(&["check", &lab.dc, &lab.apps, "--ports", "tcp:445,25"]);
    assert_eq!(code, 1);
    let hosts = v["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 2);
    let status = |h: usize, port: u64| {
        hosts[h]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["port"] == port)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status(0, 445), "LISTENING");
    assert_eq!(status(0, 25), "NOT LISTENING");
    assert_eq!(status(1, 445), "NOT LISTENING");
    assert_eq!(status(1, 25), "LISTENING");
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn everything_listening_exits_0_and_jsonl_streams_each_port() {
    let lab = lab();
    // The seed's KDC: Kerberos on TCP and UDP 88.
    let lines = json_lines(&stdout_ok(portolan().args([
        "--windows",
        "2003",
        "check",
        &lab.dc,
        "--service",
        "kdc",
        "--format",
        "jsonl",
    ])));
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["status"] == "LISTENING"));
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn rpc_lists_samba_endpoints() {
    let lab = lab();
    let (code, v) = json_run(&["rpc", &lab.dc]);
    assert_eq!(code, 0);
    let host = &v["hosts"][0];
    assert_eq!(host["complete"], true);
    let endpoints = host["endpoints"].as_array().unwrap();
    let netlogon = endpoints
        .iter()
        .find(|e| e["name"] == "netlogon" && e["protocol"] == "ncacn_ip_tcp")
        .unwrap();
    assert!(
        netlogon["services"]
            .as_array()
            .unwrap()
            .contains(&Value::from("net-logon"))
    );
    assert!(
        netlogon["binding"]
            .as_str()
            .unwrap()
            .starts_with(&format!("ncacn_ip_tcp:{}[", lab.dc))
    );
    assert!(
        endpoints
            .iter()
            .any(|e| e["protocol"] == "ncacn_http" && e["port"] == 593)
    );
    assert!(endpoints.iter().any(|e| e["protocol"] == "ncacn_np"));
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn rpc_tcp_keeps_every_endpoint_reached_over_tcp() {
    let lab = lab();
    let (code, v) = json_run(&["rpc", &lab.dc, "--tcp"]);
    assert_eq!(code, 0);
    let endpoints = v["hosts"][0]["endpoints"].as_array().unwrap();
    assert!(
        endpoints.iter().all(|e| e["port"].is_u64()),
        "only endpoints with a TCP port: {endpoints:#?}"
    );
    for protocol in ["ncacn_ip_tcp", "ncacn_http"] {
        assert!(
            endpoints.iter().any(|e| e["protocol"] == protocol),
            "{protocol} is reached over TCP: {endpoints:#?}"
        );
    }
}

/// (interface UUID in upper case, version, protocol, port) of every TCP or HTTP endpoint, as
/// impacket's rpcdump prints it (with lab/rpcdump_samba.py's fix for how Samba ends a lookup).
fn rpcdump_set(output: &str) -> std::collections::BTreeSet<(String, String, String, u16)> {
    let mut set = std::collections::BTreeSet::new();
    let mut current: Option<(String, String)> = None;
    for line in output.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("UUID    :") {
            let mut words = rest.split_whitespace();
            let uuid = words.next().unwrap_or_default().to_uppercase();
            let version = words
                .next()
                .unwrap_or_default()
                .trim_start_matches('v')
                .to_string();
            current = Some((uuid, version));
        } else if let Some((protocol, rest)) = line.split_once(':') {
            if protocol != "ncacn_ip_tcp" && protocol != "ncacn_http" {
                continue;
            }
            let port = rest
                .rsplit_once('[')
                .and_then(|(_, p)| p.strip_suffix(']'))
                .and_then(|p| p.parse::<u16>().ok());
            if let (Some((uuid, version)), Some(port)) = (&current, port) {
                set.insert((uuid.clone(), version.clone(), protocol.to_string(), port));
            }
        }
    }
    set
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn rpc_endpoints_equal_impackets_rpcdump() {
    let lab = lab();
    let venv = std::env::var("PORTOLAN_VENV").unwrap_or_else(|_| "/opt/portolan-venv".to_string());
    let python = format!("{venv}/bin/python");
    let rpcdump = format!("{venv}/bin/rpcdump.py");
    assert!(
        std::path::Path::new(&rpcdump).exists(),
        "impacket's rpcdump.py is missing from {venv}: run scripts/install-deps.sh"
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../lab/rpcdump_samba.py");
    let out = std::process::Command::new(&python)
        .args([script, &rpcdump, &lab.dc])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = rpcdump_set(&String::from_utf8_lossy(&out.stdout));
    assert!(theirs.len() >= 10, "rpcdump found too little: {theirs:?}");

    let (_, v) = json_run(&["rpc", &lab.dc]);
    let ours: std::collections::BTreeSet<(String, String, String, u16)> =
        v["hosts"][0]["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["protocol"] == "ncacn_ip_tcp" || e["protocol"] == "ncacn_http")
            .map(|e| {
                (
                    e["interface"].as_str().unwrap().to_uppercase(),
                    e["version"].as_str().unwrap().to_string(),
                    e["protocol"].as_str().unwrap().to_string(),
                    e["port"].as_u64().unwrap() as u16,
                )
            })
            .collect();
    assert_eq!(ours, theirs);
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn a_checks_json_audits_like_the_servers_own_sockets() {
    let lab = lab();
    let out = common::portolan()
        .args([
            "--windows",
            "2003",
            "check",
            &lab.dc,
            "--role",
            "domain-controller",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("portolan-check-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("check.json");
    std::fs::write(&path, &out.stdout).unwrap();
    let (code, v) = json_run(&[
        "--windows",
        "2003",
        "audit",
        path.to_str().unwrap(),
        "--role",
        "domain-controller",
    ]);
    assert_eq!(code, 1);
    let report = &v["reports"][0];
    assert_eq!(report["host"], lab.dc.as_str());
    let missing: Vec<&str> = strings(&report["comparison"]["missing"]);
    assert!(missing.contains(&"tcp/593"), "{missing:?}");
    // IKE and NAT-T are optional rows of the role: check does not probe them, and the
    // audit does not count them missing.
    assert!(!missing.contains(&"udp/500"), "{missing:?}");
    assert!(!missing.contains(&"tcp/445"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs root and the lab of real peers: run by scripts/test.sh"]
fn todays_domain_controller_role_on_samba() {
    // Today's role: Samba answers Kerberos password changes but has neither AD Web Services
    // nor WinRM, which today's domain controllers answer.
    let lab = lab();
    let (code, v) = json_run(&[
        "check",
        &lab.dc,
        "--role",
        "domain-controller",
        "--domain",
        &lab.domain,
        "--no-rpc",
    ]);
    assert_eq!(code, 1);
    let all = results(&v);
    assert_eq!(
        all["464/tcp"]["status"], "LISTENING",
        "{:#}",
        all["464/tcp"]
    );
    assert_eq!(all["88/udp"]["status"], "LISTENING");
    assert_eq!(
        all["9389/tcp"]["status"], "NOT LISTENING",
        "{:#}",
        all["9389/tcp"]
    );
    assert_eq!(
        all["5985/tcp"]["status"], "NOT LISTENING",
        "{:#}",
        all["5985/tcp"]
    );
}
