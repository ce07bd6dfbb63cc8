//! `portolan plan`, `roles` and `role` from the command line.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fails, field_strings, json_ok, json_run, portolan, stdout_ok};

#[test]
fn a_domain_controller_plan_in_two_dialects() {
    let nft = stdout_ok(portolan().args([
        "plan",
        "--role",
        "domain-controller",
        "--from",
        "10.0.0.0/8",
    ]));
    assert!(nft.starts_with("#!/usr/sbin/nft -f"));
    assert!(
        nft.contains("49152-65535"),
        "the modern dynamic RPC range is opened"
    );
    assert!(
        nft.contains("portolan TCP 636 (optional): LSASS"),
        "LDAPS is a row the role takes as optional"
    );
    let ps = stdout_ok(portolan().args([
        "plan",
        "--role",
        "domain-controller",
        "--dialect",
        "powershell",
    ]));
    assert!(ps.contains("-LocalPort RPCEPMap"));
    assert!(ps.contains("-LocalPort RPC "));
}

#[test]
fn services_by_name_and_several_files_to_a_folder() {
    let dir = std::env::temp_dir().join(format!("portolan-plan-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    portolan()
        .args([
            "--windows",
            "2003",
            "plan",
            "--service",
            "dns",
            "--service",
            "kdc",
            "--dialect",
            "iptables",
            "-o",
        ])
        .arg(&dir)
        .assert()
        .success();
    let v4 = std::fs::read_to_string(dir.join("rules.v4")).unwrap();
    assert!(v4.contains("--dport 53") && v4.contains("--dport 88"));
    assert!(dir.join("rules.v6").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_plan_as_json() {
    let v = json_ok(portolan().args(["plan", "--role", "dns-server", "--json"]));
    let transports: Vec<&str> = field_strings(&v["rules"], "transport");
    assert_eq!(transports.len(), 2);
    assert!(transports.contains(&"tcp") && transports.contains(&"udp"));
}

#[test]
fn bad_plan_input_exits_2_and_says_why() {
    for (args, problem) in [
        (
            vec!["--role", "domian-controller"],
            "did you mean `domain-controller`",
        ),
        (
            vec!["--role", "domain-controller", "--rpc-range", "5000-1000"],
            "runs backwards",
        ),
        (
            vec!["--role", "domain-controller", "--from", "10.0.0.0/33"],
            "/33",
        ),
        (
            vec!["--role", "domain-controller", "--dialect", "bogus"],
            "[possible values: nftables,",
        ),
        (vec!["--service", "kerbros"], "did you mean"),
        (vec![], "nothing to plan"),
        (
            vec![
                "--role",
                "web-server",
                "--from",
                "10.0.0.0/8",
                "--to",
                "2001:db8::5",
            ],
            "IPv6",
        ),
    ] {
        fails(&[&["plan"], &args[..]].concat(), 2, &[problem]);
    }
}

#[test]
fn roles_and_a_role() {
    let (code, v) = json_run(&["roles"]);
    assert_eq!(code, 0);
    // Every role of today's catalog, no more (the catalog's tests name the required ones).
    let mut ids: Vec<&str> = field_strings(&v["roles"], "id");
    ids.sort_unstable();
    let seed = portolan_catalog::Catalog::builtin().unwrap();
    let modern = portolan_catalog::Modern::builtin(&seed).unwrap();
    let today = seed.at(&modern, portolan_catalog::WindowsVersion::NEWEST);
    let mut expected: Vec<&str> = today.roles().iter().map(|r| r.id.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    // The seed's view lists the seed's roles.
    let (_, v) = json_run(&["--windows", "2003", "roles"]);
    let mut ids: Vec<&str> = field_strings(&v["roles"], "id");
    ids.sort_unstable();
    let mut expected: Vec<&str> = seed.roles().iter().map(|r| r.id.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let (code, v) = json_run(&["role", "dns-server"]);
    assert_eq!(code, 0);
    assert_eq!(v["role"]["id"], "dns-server");
    assert!(
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["port"] == 53)
    );
    fails(&["role", "domian-controller"], 2, &["domain-controller"]);
}

/// The lines of the README's fenced block that starts with "```{lang}" after `after`.
fn readme_block(after: &str, lang: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find(after).expect("the README's example section");
    let rest = &readme[start..];
    let fence = format!("```{lang}\n");
    let open = rest.find(&fence).expect("the fenced block") + fence.len();
    let close = rest[open..].find("```").unwrap();
    rest[open..open + close]
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_readme_example_is_the_real_output() {
    let section = "### Example: a domain controller, in two dialects";
    let plan = |dialect: &str| {
        let out = portolan()
            .args([
                "plan",
                "--role",
                "domain-controller",
                "--from",
                "clients=10.0.0.0/8",
                "--from",
                "management=10.9.0.0/24",
                "--from",
                "peers=10.1.0.0/29",
                "--no-optional",
                "--dialect",
                dialect,
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let nft = plan("nftables");
    let nft_rules: Vec<String> = nft
        .lines()
        .filter(|l| l.trim_start().starts_with("ip saddr"))
        .map(|l| l.trim_start().to_string())
        .collect();
    assert_eq!(readme_block(section, "nft"), nft_rules);
    let ps = plan("powershell");
    let shown = readme_block(section, "powershell");
    assert!(!shown.is_empty());
    // The excerpt leaves out comment and blank lines.
    let text: Vec<&str> = ps
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    // Each rule of the excerpt is a run of the real output.
    let mut rules: Vec<Vec<String>> = Vec::new();
    for line in shown {
        if line.starts_with("New-NetFirewallRule") || rules.is_empty() {
            rules.push(Vec::new());
        }
        if let Some(rule) = rules.last_mut() {
            rule.push(line);
        }
    }
    assert!(rules.len() >= 2);
    for rule in &rules {
        assert!(
            text.windows(rule.len())
                .any(|w| w.iter().zip(rule).all(|(a, b)| a == b)),
            "the README's PowerShell rule is not a run of the real output: {rule:#?}"
        );
    }
}
