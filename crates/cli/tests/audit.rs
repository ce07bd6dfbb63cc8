//! `portolan audit` from the command line: real captures of the lab's Samba DC, the
//! synthesized Windows DC, bad input, and this machine's own sockets.

mod common;

use common::{fails, json_run, portolan, stdout_ok, strings};
use predicates::prelude::*;

fn fixture(path: &str) -> String {
    format!(
        "{}/../audit/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn samba_dc_audits_as_a_domain_controller_with_its_extras_explained() {
    // The seed's role (--windows 2003); today's is in samba_dc_lacks_adws_and_winrm_today.
    let (code, v) = json_run(&[
        "--windows",
        "2003",
        "audit",
        &fixture("samba-dc/ss-lntup.txt"),
        "--role",
        "domain-controller",
    ]);
    assert_eq!(code, 1, "Samba has nothing on 593");
    assert_eq!(v["exit_code"], 1);
    let report = &v["reports"][0];
    let missing: Vec<&str> = strings(&report["comparison"]["missing"]);
    // IKE and NAT-T (UDP 500, 4500) are optional rows of the role: not missing.
    assert_eq!(missing, ["tcp/593"]);
    assert!(
        report["comparison"]["unexpected"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let port = |n: u64, t: &str| {
        report["ports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["port"] == n && p["transport"] == t)
            .unwrap_or_else(|| panic!("{n}/{t} not in the report"))
            .clone()
    };
    // The dynamic RPC ports are recognised as such, never claimed as certain.
    for n in [49152, 49153, 49154] {
        let p = port(n, "tcp");
        assert_eq!(p["expectation"], "expected-dynamic", "{p:#}");
        assert!(p["name"].as_str().unwrap().contains("dynamic RPC"));
    }
    // kpasswd is not in the seed, and is explained as the KDC's companion.
    assert_eq!(port(464, "tcp")["expectation"], "companion");
    assert_eq!(port(88, "udp")["expectation"], "expected");
}

#[test]
fn nmap_xml_and_table_output() {
    portolan()
        .args([
            "--windows",
            "2003",
            "audit",
            &fixture("samba-dc/nmap-tcp.xml"),
            "--role",
            "domain-controller",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Kerberos Key Distribution Center"))
        .stdout(predicate::str::contains(
            "does not match role domain-controller",
        ));
}

#[test]
fn formats_can_be_forced_and_bad_input_exits_2() {
    portolan()
        .args([
            "audit",
            &fixture("samba-dc/ss-lntup.txt"),
            "--input-format",
            "nmap-xml",
        ])
        .assert()
        .code(2);
    fails(
        &[
            "audit",
            &fixture("samba-dc/ss-lntup.txt"),
            "--input-format",
            "bogus",
        ],
        2,
        &["'bogus' for '--input-format"],
    );
    fails(
        &["audit", "/nonexistent/listeners.txt"],
        2,
        &["/nonexistent/listeners.txt"],
    );
    portolan()
        .args(["audit", "-"])
        .write_stdin(vec![0u8, 159, 146, 150, 0, 1])
        .assert()
        .code(2);
    fails(
        &[
            "audit",
            &fixture("samba-dc/ss-lntup.txt"),
            "--role",
            "domian-controller",
        ],
        2,
        &["did you mean"],
    );
}

#[test]
fn standard_input_and_csv() {
    let text = std::fs::read_to_string(fixture("samba-dc/ss-lntup.txt")).unwrap();
    let csv = stdout_ok(
        portolan()
            .args(["audit", "-", "--format", "csv"])
            .write_stdin(text),
    );
    assert!(csv.starts_with("Host,Port,Listener,Service,Process,Role,Flags\n"));
    assert!(csv.contains(",88/tcp,"));
}

#[test]
fn this_machines_own_sockets() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_, v) = json_run(&["audit"]);
    let ports = v["reports"][0]["ports"].as_array().unwrap();
    let mine = ports
        .iter()
        .find(|p| p["port"] == port && p["transport"] == "tcp")
        .expect("the test's own listener is found");
    assert_eq!(
        mine["reachable"], false,
        "a loopback listener is not reachable from the network"
    );
}

#[test]
fn a_windows_domain_controller_lacks_nothing_and_shows_its_extras() {
    // The seed's role (--windows 2003); today's is in a_windows_dc_matches_todays_role.
    let netstat = fixture("windows-dc/netstat-anob.txt");
    let audit = |roles: &[&str]| {
        let mut args = vec!["--windows", "2003", "audit", &netstat];
        args.extend(roles.iter().flat_map(|&role| ["--role", role]));
        json_run(&args)
    };
    let (code, v) = audit(&["domain-controller"]);
    assert_eq!(
        code, 1,
        "RDP, WinRM, mDNS and LLMNR are not part of the role"
    );
    let comparison = &v["reports"][0]["comparison"];
    assert!(comparison["missing"].as_array().unwrap().is_empty());
    let unexpected: Vec<&str> = strings(&comparison["unexpected"]);
    assert!(unexpected.contains(&"tcp/3389") && unexpected.contains(&"tcp/5985"));
    // Adding the terminal-server role accounts for RDP.
    let (_, v) = audit(&["domain-controller", "terminal-server"]);
    let unexpected = v["reports"][0]["comparison"]["unexpected"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!unexpected.contains(&serde_json::Value::from("tcp/3389")));
}

#[test]
fn samba_dc_lacks_adws_and_winrm_today() {
    // Today's domain controller answers AD Web Services and WinRM; Samba has neither.
    let (code, v) = json_run(&[
        "audit",
        &fixture("samba-dc/ss-lntup.txt"),
        "--role",
        "domain-controller",
    ]);
    assert_eq!(code, 1);
    let missing: Vec<&str> = strings(&v["reports"][0]["comparison"]["missing"]);
    assert_eq!(missing, ["tcp/5985", "tcp/9389"]);
}

#[test]
fn a_windows_dc_matches_todays_role() {
    // kpasswd, ADWS and WinRM are the role's today; RDP (TCP and UDP) is not.
    let (code, v) = json_run(&[
        "audit",
        &fixture("windows-dc/netstat-anob.txt"),
        "--role",
        "domain-controller",
    ]);
    assert_eq!(code, 1, "RDP, mDNS and LLMNR are not part of the role");
    let comparison = &v["reports"][0]["comparison"];
    assert!(comparison["missing"].as_array().unwrap().is_empty());
    let unexpected: Vec<&str> = strings(&comparison["unexpected"]);
    assert!(unexpected.contains(&"tcp/3389") && unexpected.contains(&"udp/3389"));
    for today in ["tcp/464", "udp/464", "tcp/9389", "tcp/5985", "tcp/593"] {
        assert!(!unexpected.contains(&today), "{today} in {unexpected:?}");
    }
    let (_, v) = json_run(&[
        "audit",
        &fixture("windows-dc/netstat-anob.txt"),
        "--role",
        "domain-controller",
        "--role",
        "rd-session-host",
    ]);
    let unexpected: Vec<&str> = strings(&v["reports"][0]["comparison"]["unexpected"]);
    assert!(!unexpected.contains(&"udp/3389"), "{unexpected:?}");
}
