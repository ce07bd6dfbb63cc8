//! `portolan pin`: the settings for each platform, the .reg file's bytes, and bad input
//! (exit 2 with the fix); `plan --pin-rpc` with the same base opens the same ports.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fails, portolan, stdout, stdout_2003};

#[test]
fn windows_prints_powershell_and_writes_a_utf16_reg_file() {
    let dir = std::env::temp_dir().join(format!("portolan-pin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reg = dir.join("dc.reg");
    let text = common::stdout_ok(
        portolan()
            .args(["pin", "--role", "Domain controller", "--base", "10000"])
            .args(["--for", "windows", "-o", reg.to_str().unwrap()]),
    );
    assert!(
        text.contains("-Name 'DCTcpipPort' -PropertyType DWord -Value 10001"),
        "{text}"
    );
    assert!(
        // Today's DC replicates SYSVOL with DFSR, not FRS: DFSR takes the third port.
        text.contains("dfsrdiag StaticRPC /port:10002 /Member:$env:COMPUTERNAME"),
        "{text}"
    );
    let bytes = std::fs::read(&reg).unwrap();
    assert_eq!(&bytes[..2], &[0xff, 0xfe], "a byte-order mark");
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let decoded = String::from_utf16(&units).unwrap();
    assert!(decoded.starts_with("Windows Registry Editor Version 5.00\r\n"));
    assert!(
        decoded.contains("\"TCP/IP Port\"=dword:00002710\r\n"),
        "{decoded}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Samba settings of a domain controller pinned from 20000.
const SAMBA_DC_FROM_20000: [&str; 7] = [
    "pin",
    "--role",
    "domain-controller",
    "--base",
    "20000",
    "--for",
    "samba",
];

#[test]
fn samba_prints_smb_conf_lines() {
    let text = stdout(&SAMBA_DC_FROM_20000);
    assert!(
        text.contains("\nrpc server port:drsuapi = 20000\n"),
        "{text}"
    );
    assert!(
        text.contains("\nrpc server port:netlogon = 20001\n"),
        "{text}"
    );
    assert!(
        text.contains("\nrpc server dynamic port range = 20003-20102\n"),
        "{text}"
    );
    // The 2003 role still has FRS on the third port (unused by Samba): the range moves up.
    let old = stdout_2003(&SAMBA_DC_FROM_20000);
    assert!(
        old.contains("\nrpc server dynamic port range = 20004-20103\n"),
        "{old}"
    );
}

#[test]
fn plan_with_the_same_base_opens_the_same_ports() {
    let text = stdout(&["plan", "--role", "domain-controller", "--pin-rpc", "20000"]);
    assert!(text.contains("tcp dport 20000-20102 accept"), "{text}");
    assert!(!text.contains("49152"), "{text}");
    // Each version's view checks the pinning data against the same compiled layer.
    for version in ["2003", "2008", "2012", "2016", "2019", "2022"] {
        let text = stdout(&[
            "--windows",
            version,
            "plan",
            "--role",
            "domain-controller",
            "--pin-rpc",
            "20000",
        ]);
        assert!(text.contains("dport 20000-20"), "{version}: {text}");
    }
}

#[test]
fn bad_input_exits_2_with_the_fix() {
    fails(
        &[
            "pin",
            "--role",
            "domain-controller",
            "--base",
            "65500",
            "--for",
            "samba",
        ],
        2,
        &["65500", "from 1024 to 65433", "like 10000"],
    );
    fails(
        &[
            "pin",
            "--role",
            "domain-controller",
            "--base",
            "80",
            "--for",
            "windows",
        ],
        2,
        &["from 1024"],
    );
    fails(
        &[
            "pin",
            "--role",
            "dns-server",
            "--base",
            "10000",
            "--for",
            "windows",
        ],
        2,
        &["no RPC server to pin"],
    );
    fails(
        &[
            "pin",
            "--role",
            "no-such-role",
            "--base",
            "10000",
            "--for",
            "samba",
        ],
        2,
        &["no-such-role"],
    );
    fails(
        &["pin", "--base", "10000", "--for", "samba"],
        2,
        &["--role"],
    );
    fails(
        &[
            "plan",
            "--role",
            "domain-controller",
            "--pin-rpc",
            "10000",
            "--rpc-range",
            "legacy",
        ],
        2,
        &["--pin-rpc and --rpc-range"],
    );
    fails(
        &["plan", "--role", "domain-controller", "--pin-rpc", "70000"],
        2,
        &["70000", "65433"],
    );
}
