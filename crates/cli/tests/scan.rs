//! `portolan scan` from the command line, without root: bad input (exit 2 with a message
//! that says what to do), every output format against listeners of this test on loopback
//! (only ports this test bound are probed), nmap XML against nmap's DTD and read back by
//! `portolan audit`.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::Command as StdCommand;

mod common;

use common::{fails, json_lines, json_ok, portolan, stdout_ok};
use predicates::prelude::*;
use serde_json::Value;

/// Fails with exit 2 and a message containing every needle.
fn refused(args: &[&str], needles: &[&str]) {
    fails(&[&["scan"], args].concat(), 2, needles);
}

/// `scan 127.0.0.1 --udp -p PORTS -f json` with the `extra` flags, run.
fn udp_json_scan(ports: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    portolan()
        .args(["scan", "127.0.0.1", "--udp", "-p", ports])
        .args(extra)
        .args(["-f", "json"])
        .assert()
}

/// Two listeners and two ports that were just released, on 127.0.0.1.
fn listeners() -> (Vec<TcpListener>, Vec<u16>, Vec<u16>) {
    let bind_two = || -> Vec<TcpListener> {
        (0..2)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect()
    };
    let ports = |listeners: &[TcpListener]| -> Vec<u16> {
        listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect()
    };
    let open = bind_two();
    // Held together until both are bound, so the ports are distinct; then released (closed).
    let closed = ports(&bind_two());
    let open_ports = ports(&open);
    (open, open_ports, closed)
}

fn port_list(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The `port` fields of a JSON array of ports, sorted.
fn port_numbers(ports: &Value) -> Vec<u16> {
    let ports = ports.as_array().unwrap();
    let numbers = ports.iter().map(|p| p["port"].as_u64().unwrap());
    sorted(
        &numbers
            .map(|n| u16::try_from(n).unwrap())
            .collect::<Vec<_>>(),
    )
}

fn sorted(ports: &[u16]) -> Vec<u16> {
    let mut ports = ports.to_vec();
    ports.sort_unstable();
    ports
}

#[test]
fn bad_targets_and_ports_exit_2_with_a_fix() {
    refused(
        &["10.0.0.0/33"],
        &[
            "10.0.0.0/33",
            "/33 is longer than the 32 bits",
            "ADDRESS/PREFIX",
        ],
    );
    refused(&["10.0.0.20-5"], &["runs backwards", "lower address first"]);
    refused(
        &["10.0.0.0/24", "-p", "2000-1000"],
        &["runs backwards", "1000-2000"],
    );
    refused(&["127.0.0.1", "-p", "0"], &["port 0"]);
    refused(
        &["127.0.0.1", "-p", "role:no-such-role"],
        &["names no role", "domain-controller"],
    );
    refused(&["not a host!"], &["not a host name label"]);
    refused(
        &["@/nonexistent/targets.txt"],
        &["cannot read /nonexistent/targets.txt"],
    );
    refused(
        &["127.0.0.1", "--min-timeout", "2s", "--timeout", "1s"],
        &["--min-timeout"],
    );
}

#[test]
fn a_slash_8_asks_for_confirmation_instead_of_sweeping() {
    refused(
        &["10.0.0.0/8", "-p", "445"],
        &["16777214 addresses", "--yes"],
    );
}

#[test]
fn udp_sweeps_are_kept_small() {
    refused(
        &["10.1.0.0/16", "--udp", "-p", "53,123"],
        &["131068 probes, more than 65536", "narrow the ports"],
    );
}

#[test]
fn udp_sweeps_take_more_ports_than_a_check() {
    // 4097 ports, one more than `check` takes, all above the kernel's ephemeral range
    // (32768-60999), where no other test's socket can be.
    let out = udp_json_scan("61439-65535", &[]).get_output().clone();
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scan"]["probes"], 4097);
    assert_eq!(v["scan"]["done"], 4097);
}

#[test]
fn udp_tells_answering_silent_and_closed_ports_apart() {
    use std::net::UdpSocket;
    // An answering socket (echoes every datagram), a silent one, and a port just freed.
    let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let closed = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let echo_port = echo.local_addr().unwrap().port();
    let silent_port = silent.local_addr().unwrap().port();
    echo.set_read_timeout(Some(std::time::Duration::from_millis(100)))
        .unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = std::sync::Arc::clone(&done);
    let echoer = std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        // Bounded by the flag the test sets when the scan is over.
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok((n, from)) = echo.recv_from(&mut buf) {
                let _ = echo.send_to(buf.get(..n.max(1)).unwrap_or(b"x"), from);
            }
        }
    });
    let ports = port_list(&[echo_port, silent_port, closed]);
    let out = udp_json_scan(&ports, &["--all"])
        .code(0)
        .get_output()
        .stdout
        .clone();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    echoer.join().unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let states: std::collections::BTreeMap<u64, String> = v["hosts"][0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["port"].as_u64().unwrap(),
                p["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(states[&u64::from(echo_port)], "open");
    assert_eq!(states[&u64::from(silent_port)], "open|filtered");
    assert_eq!(states[&u64::from(closed)], "closed");
    assert_eq!(v["scan"]["protocol"], "udp");
    assert_eq!(v["summary"]["open_filtered"], 1);
    drop(silent);
}

#[test]
fn json_lists_open_ports_and_exits_0() {
    let (_keep, open, closed) = listeners();
    let mut all = open.clone();
    all.extend(&closed);
    let v = json_ok(portolan().args(["scan", "127.0.0.1", "-p", &port_list(&all), "-f", "json"]));
    let host = &v["hosts"][0];
    assert_eq!(host["address"], "127.0.0.1");
    assert_eq!(host["up"], true);
    assert_eq!(
        port_numbers(&host["ports"]),
        sorted(&open),
        "only open ports without --all"
    );
    assert_eq!(host["ports"][0]["state"], "open");
    assert_eq!(host["ports"][0]["portqry"], "LISTENING");
    assert_eq!(host["ports"][0]["reason"], "syn-ack");
    assert_eq!(v["summary"]["open"], 2);
    assert_eq!(v["summary"]["closed"], 2);
    assert_eq!(v["scan"]["probes"], 4);
    assert_eq!(v["exit_code"], 0);
}

#[test]
fn all_adds_closed_ports_and_no_open_port_exits_1() {
    let (_keep, _open, closed) = listeners();
    let out = portolan()
        .args([
            "scan",
            "127.0.0.1",
            "-p",
            &port_list(&closed),
            "--all",
            "-f",
            "csv",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("host,address,port,protocol,state,reason,tries,rtt_us,service,services")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{text}");
    for row in rows {
        assert!(row.contains(",closed,conn-refused,1,"), "{row}");
    }
}

#[test]
fn jsonl_streams_one_object_per_port() {
    let (_keep, open, closed) = listeners();
    let mut all = open.clone();
    all.extend(&closed);
    let lines = json_lines(&stdout_ok(portolan().args([
        "scan",
        "127.0.0.1",
        "-p",
        &port_list(&all),
        "--all",
        "-f",
        "jsonl",
    ])));
    assert_eq!(lines.len(), 4);
    let open_count = lines.iter().filter(|l| l["state"] == "open").count();
    assert_eq!(open_count, 2);
    assert!(
        lines
            .iter()
            .all(|l| l["host"] == "127.0.0.1" && l["protocol"] == "tcp")
    );
}

#[test]
fn table_names_catalog_ports_and_sums_up() {
    let (_keep, open, _closed) = listeners();
    let text = stdout_ok(portolan().args([
        "scan",
        "127.0.0.1",
        "-p",
        &port_list(&open),
        "--color",
        "never",
    ]));
    assert!(text.contains(&format!("{}/tcp", open[0])), "{text}");
    assert!(
        text.contains("1 address (1 up) x 2 ports: 2 open, 0 closed, 0 filtered"),
        "{text}"
    );
}

#[test]
fn nmap_xml_validates_against_nmaps_dtd_and_audit_reads_it() {
    let (_keep, open, closed) = listeners();
    let mut all = open.clone();
    all.extend(&closed);
    let xml = stdout_ok(portolan().args([
        "scan",
        "127.0.0.1",
        "-p",
        &port_list(&all),
        "-f",
        "nmap-xml",
    ]));
    assert!(xml.contains("<scaninfo type=\"connect\" protocol=\"tcp\" numservices=\"4\""));
    assert!(
        xml.contains("<extraports state=\"closed\" count=\"2\"/>"),
        "{xml}"
    );
    let dir = std::env::temp_dir().join(format!("portolan-scan-xml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scan.xml");
    std::fs::write(&path, &xml).unwrap();

    let dtd = "/usr/share/nmap/nmap.dtd";
    let have_xmllint = StdCommand::new("xmllint").arg("--version").output().is_ok();
    if std::path::Path::new(dtd).exists() && have_xmllint {
        let check = StdCommand::new("xmllint")
            .args(["--noout", "--dtdvalid", dtd])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "xmllint: {}\n{xml}",
            String::from_utf8_lossy(&check.stderr)
        );
    } else {
        portolan_testkit::missing_validator(
            &format!("xmllint or {dtd}"),
            "apt-get install libxml2-utils nmap",
        );
    }

    let audit = portolan()
        .args(["audit", "-f", "json"])
        .arg(&path)
        .assert()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&audit).unwrap();
    assert_eq!(
        port_numbers(&v["reports"][0]["ports"]),
        sorted(&open),
        "audit reads the open ports back"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn targets_come_from_files() {
    let (_keep, open, _closed) = listeners();
    let dir = std::env::temp_dir().join(format!("portolan-scan-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("targets.txt");
    std::fs::write(&list, "# loopback only\n127.0.0.1\n").unwrap();
    let arg = format!("@{}", list.display());
    portolan()
        .args(["scan", &arg, "-p", &port_list(&open), "-f", "csv"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "127.0.0.1,127.0.0.1,{},tcp,open",
            open[0]
        )));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn ctrl_c_prints_what_is_known_and_ends_as_interrupted() {
    use std::io::{BufRead, BufReader, Read};
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;

    let (_keep, open, closed) = listeners();
    // Forty ports at five a second: the scan is still running when the signal comes.
    let mut ports: std::collections::BTreeSet<u16> = open.iter().chain(&closed).copied().collect();
    // Bounded: the kernel hands out other free ports soon enough.
    for _ in 0..10_000 {
        if ports.len() >= 40 {
            break;
        }
        ports.insert(
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port(),
        );
    }
    let ports: Vec<u16> = ports.into_iter().collect();
    assert_eq!(ports.len(), 40);
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("portolan"))
        .args([
            "scan",
            "127.0.0.1",
            "-p",
            &port_list(&ports),
            "--all",
            "--rate",
            "5",
            "-f",
            "jsonl",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.contains("\"port\""), "{first}");
    let kill = StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(2),
        "ends as killed by SIGINT; stderr: {stderr}"
    );
    let printed = 1 + rest.lines().count();
    assert!(
        stderr.contains(&format!("interrupted: {printed} of 40 probes done")),
        "every probe done was printed ({printed}); stderr: {stderr}"
    );
}
