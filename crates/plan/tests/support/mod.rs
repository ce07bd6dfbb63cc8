//! Shared pieces of the plan tests: the requests the tests plan, scratch directories, and
//! running the real validators (nft, iptables-restore, firewalld, ufw, xmllint, botocore).
//!
//! A missing validator is never a silent pass: [`missing`] prints `SKIPPED: ... not
//! installed` and fails the test when `PORTOLAN_REQUIRE_VALIDATORS=1` (CI sets it).
//!
//! For the kernel end-to-end test: [`nftables_for`] gives the nftables ruleset of a request,
//! and [`nft_load`] loads a ruleset into the current network namespace (call it inside one).
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use portolan_catalog::{Catalog, SourceClass};
use portolan_plan::{
    Caveat, CaveatKind, OptionalPolicy, Plan, Request, RpcRange, parse_destination,
    parse_ftp_passive, parse_source,
};

/// The built-in catalog.
pub fn catalog() -> Catalog {
    Catalog::builtin().expect("the built-in catalog loads")
}

/// The plan's caveat of `kind`, which the test expects to be there.
pub fn caveat(plan: &Plan, kind: CaveatKind) -> &Caveat {
    plan.caveats
        .iter()
        .find(|c| c.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} caveat"))
}

/// A named request used by the validator and golden tests.
pub struct Case {
    /// Short name, used in snapshot and file names.
    pub name: &'static str,
    /// The request.
    pub request: Request,
}

fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
    list.iter()
        .map(|s| parse_source(s).expect("test source"))
        .collect()
}

/// The requests every dialect is validated and snapshotted with: a domain controller (any
/// source), a VPN gateway (IPv4 and IPv6 sources), an FTP server (one IPv4 network, a
/// destination, a narrowed passive range), a role and services together (IPv6 only, legacy
/// RPC range) and a role without its optional services.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "domain-controller",
            request: Request::new(["domain-controller"], Vec::<String>::new()),
        },
        Case {
            name: "vpn-gateway-v4-v6",
            request: Request {
                sources: nets(&["10.0.0.0/8", "192.168.10.0/24", "fd00::/8"]),
                ..Request::new(["vpn-gateway"], Vec::<String>::new())
            },
        },
        Case {
            name: "ftp-server-to-host",
            request: Request {
                sources: nets(&["192.168.0.0/16"]),
                destination: Some(parse_destination("192.168.1.10").expect("test address")),
                ftp_passive: Some(parse_ftp_passive("50000-50100").expect("test range")),
                ..Request::new(["ftp-server"], Vec::<String>::new())
            },
        },
        Case {
            name: "file-server-plus-services-v6-legacy",
            request: Request {
                sources: nets(&["2001:db8::/32"]),
                rpc_range: RpcRange::Legacy,
                ..Request::new(["file-server"], ["dns-server", "tftp", "smtp"])
            },
        },
        Case {
            name: "mail-server-no-optional",
            request: Request {
                optional: OptionalPolicy::Exclude,
                rpc_range: "5000-5100".parse().expect("test range"),
                ..Request::new(["mail-server"], Vec::<String>::new())
            },
        },
    ]
}

/// A domain controller whose RPC servers are pinned from 10000 (`--pin-rpc 10000`), for
/// clients in 10.0.0.0/8 and fd00::/8.
pub fn pinned_case() -> Case {
    Case {
        name: "domain-controller-pinned",
        request: Request {
            sources: nets(&["10.0.0.0/8", "fd00::/8"]),
            pin_rpc: Some(10000),
            ..Request::new(["domain-controller"], Vec::<String>::new())
        },
    }
}

/// A plan with every role and every service, from 70 sources per family: it meets every
/// list-length limit (multiport, AWS rules per group, ufw field length).
pub fn everything() -> Request {
    let catalog = catalog();
    let mut sources: Vec<String> = (0..70).map(|i| format!("10.{i}.0.0/16")).collect();
    sources.extend((0..70).map(|i| format!("fd00:{i:x}::/32")));
    Request {
        sources: sources
            .iter()
            .map(|s| parse_source(s).expect("test source"))
            .collect(),
        ftp_passive: Some(parse_ftp_passive("40000-40010").expect("test range")),
        ..Request::new(
            catalog.roles().iter().map(|r| r.id.clone()),
            catalog.services().iter().map(|s| s.id.clone()),
        )
    }
}

/// Today's catalog (the default `--windows`), whose roles say who needs each entry.
pub fn today() -> Catalog {
    let seed = catalog();
    let modern = portolan_catalog::Modern::builtin(&seed).expect("the layer loads");
    seed.at(&modern, portolan_catalog::WindowsVersion::NEWEST)
}

/// The catalog a request is planned on: today's for sources per class (the seed's roles
/// name no classes), else the seed's, which the snapshots were taken with.
pub fn catalog_for(request: &Request) -> Catalog {
    if request.class_sources.is_empty() {
        catalog()
    } else {
        today()
    }
}

/// Requests with sources per class, on today's catalog: a domain controller with the three
/// classes (IPv4 and IPv6), a cluster node and a Hyper-V host without management sources,
/// which leaves WinRM out.
pub fn class_cases() -> Vec<Case> {
    let class = |list: &[(&str, &str)]| -> Vec<(SourceClass, ipnet::IpNet)> {
        list.iter()
            .map(|(c, n)| {
                (
                    c.parse().expect("test class"),
                    parse_source(n).expect("test source"),
                )
            })
            .collect()
    };
    vec![
        Case {
            name: "domain-controller-by-class",
            request: Request {
                class_sources: class(&[
                    ("clients", "10.0.0.0/8"),
                    ("clients", "fd00::/8"),
                    ("management", "10.9.0.0/24"),
                    ("peers", "10.1.0.0/29"),
                ]),
                ..Request::new(["domain-controller"], Vec::<String>::new())
            },
        },
        Case {
            name: "cluster-and-hyper-v-no-management",
            request: Request {
                sources: nets(&["192.168.50.0/24"]),
                class_sources: class(&[("peers", "192.168.60.0/28")]),
                ..Request::new(["failover-cluster-node", "hyper-v-host"], ["dns-server"])
            },
        },
    ]
}

/// The plan of a request.
pub fn plan(request: &Request) -> Plan {
    Plan::build(&catalog_for(request), request).expect("test request plans")
}

/// The nftables ruleset of a request (an `nft -f` file), for the kernel end-to-end test.
pub fn nftables_for(request: &Request) -> String {
    portolan_plan::nftables_ruleset(&catalog(), request).expect("test request plans")
}

/// A fresh scratch directory under the system temporary directory.
pub fn scratch(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "portolan-plan-{}-{n}-{}",
        std::process::id(),
        name.replace(['/', ' '], "_")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// True when `program` is on PATH (or is an existing path).
pub fn have(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).exists();
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(program).is_file()))
        .unwrap_or(false)
}

/// Reports a missing validator: a skip the test command shows, and a failure when validators
/// are required.
pub fn missing(what: &str, install: &str) {
    portolan_testkit::missing_validator(what, install);
}

/// Runs a command and returns its output.
pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// Panics with the command's output unless it succeeded.
pub fn assert_success(what: &str, output: &Output, input: &str) {
    assert!(
        output.status.success(),
        "{what} refused the output ({}):\nstdout: {}\nstderr: {}\n--- input ---\n{input}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// True when unprivileged user and network namespaces work here (`unshare -rn true`).
pub fn can_unshare() -> bool {
    have("unshare") && run("unshare", &["-rn", "true"]).status.success()
}

/// Checks an nftables ruleset with `nft -c -f` in a fresh user and network namespace.
pub fn nft_check(ruleset: &str) -> Result<(), String> {
    let dir = scratch("nft");
    let file = dir.join("portolan.nft");
    std::fs::write(&file, ruleset).map_err(|e| e.to_string())?;
    let out = run(
        "unshare",
        &["-rn", "nft", "-c", "-f", &file.to_string_lossy()],
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Loads an nftables ruleset into the current network namespace with `nft -f` (the caller
/// runs this inside the namespace under test, as root or in a user namespace).
pub fn nft_load(ruleset: &str) -> Result<(), String> {
    let dir = scratch("nft-load");
    let file = dir.join("portolan.nft");
    std::fs::write(&file, ruleset).map_err(|e| e.to_string())?;
    let out = run("nft", &["-f", &file.to_string_lossy()]);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// A Python interpreter that can import `module`: `$PORTOLAN_PYTHON`, then `python3`, then
/// Debian's `/usr/bin/python3`.
pub fn python_with(module: &str) -> Option<String> {
    let candidates = std::env::var("PORTOLAN_PYTHON")
        .ok()
        .into_iter()
        .chain(["python3".to_string(), "/usr/bin/python3".to_string()]);
    candidates.into_iter().find(|python| {
        (python.contains('/') && Path::new(python).exists() || have(python))
            && run(python, &["-c", &format!("import {module}")])
                .status
                .success()
    })
}
