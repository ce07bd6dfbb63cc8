//! `scan --format nmap-xml` names ports as nmap does: ndiff, which keys on nmap's service
//! names, finds no service-name difference between nmap's report and portolan's of the same
//! loopback listeners on catalog ports (issue 11). Needs root (the ports are below 1024),
//! nmap and ndiff (scripts/install-deps.sh installs both); only 127.0.0.1 is probed, and only
//! on ports this test bound.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::Command;

use common::portolan;

/// Catalog ports with a listener on 127.0.0.1: Kerberos, the endpoint mapper, LDAP, SMB,
/// the Global Catalog, RDP. The ones already taken on this machine are left out.
const CANDIDATES: [u16; 6] = [88, 135, 389, 445, 3268, 3389];

fn require(program: &str, arg: &str) {
    let ok = Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "needs `{program}` (scripts/install-deps.sh installs it)"
    );
}

/// The service name of each port line of ndiff's text output that starts with `sign`
/// (`-135/tcp open msrpc ...`).
fn names(diff: &str, sign: char) -> BTreeMap<String, String> {
    diff.lines()
        .filter_map(|line| line.strip_prefix(sign))
        .filter(|line| line.contains("/tcp"))
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let port = fields.next()?.to_string();
            let _state = fields.next()?;
            Some((port, fields.next().unwrap_or("").to_string()))
        })
        .collect()
}

#[test]
#[ignore = "needs root, nmap and ndiff: binds catalog ports below 1024 on 127.0.0.1"]
fn ndiff_finds_no_service_name_difference_with_nmap() {
    require("nmap", "--version");
    require("ndiff", "--help");
    let listeners: Vec<(u16, TcpListener)> = CANDIDATES
        .iter()
        .filter_map(|&port| Some((port, TcpListener::bind(("127.0.0.1", port)).ok()?)))
        .collect();
    assert!(
        listeners.len() >= 3,
        "needs root and at least three of {CANDIDATES:?} free on 127.0.0.1"
    );
    let ports: Vec<String> = listeners.iter().map(|(p, _)| p.to_string()).collect();
    let ports = ports.join(",");
    let dir = std::env::temp_dir().join(format!("portolan-nmap-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ours = dir.join("portolan.xml");
    let theirs = dir.join("nmap.xml");

    let out = portolan()
        .args(["scan", "127.0.0.1", "-p", &ports, "--format", "nmap-xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    std::fs::write(&ours, &out.stdout).unwrap();
    let out = Command::new("nmap")
        .args(["-sT", "-Pn", "-n", "-p", &ports, "127.0.0.1", "-oX"])
        .arg(&theirs)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    // ndiff exits 1 when the scans differ (they do: products, times), 2 on an error.
    let out = Command::new("ndiff")
        .arg(&theirs)
        .arg(&ours)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "ndiff could not compare the files: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff = String::from_utf8(out.stdout).unwrap();
    let (nmap, ours) = (names(&diff, '-'), names(&diff, '+'));
    // Every port differs in its product (the catalog's names), so each is on both sides.
    assert_eq!(nmap.len(), listeners.len(), "{diff}");
    for (port, name) in &ours {
        if let Some(theirs) = nmap.get(port) {
            assert_eq!(name, theirs, "service name of {port} differs:\n{diff}");
        }
    }
    assert_eq!(
        nmap.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>(),
        "a port is listed by one scan only:\n{diff}"
    );
    // And each report names every port with nmap's word, not the catalog's.
    let xml = std::fs::read_to_string(dir.join("portolan.xml")).unwrap();
    assert!(!xml.contains("service name=\"SMB\""), "{xml}");
    let _ = std::fs::remove_dir_all(&dir);
    drop(listeners);
}
