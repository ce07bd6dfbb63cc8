//! The command line's surface: closed sets of values listed in `--help` exactly as the code
//! accepts them, completion scripts and the manual page.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

mod common;

use std::io::Write;
use std::process::{Command as Process, Stdio};

use common::portolan;
use portolan_audit::Format;
use portolan_audit::detect::INPUT_FORMATS;
use portolan_plan::{Dialect, RpcRange};
use predicates::prelude::*;

/// The long help of `portolan <command>`.
fn long_help(command: &str) -> String {
    let output = portolan().args([command, "--help"]).output().unwrap();
    assert!(output.status.success(), "{command} --help");
    String::from_utf8(output.stdout).unwrap()
}

/// The names in the "Possible values:" list under `flag` in a long help.
fn possible_values(help: &str, flag: &str) -> Vec<String> {
    let mut lines = help
        .lines()
        .skip_while(|line| !line.trim_start().split(", ").any(|f| f.starts_with(flag)));
    assert!(lines.next().is_some(), "{flag} is in the help");
    lines
        .take_while(|line| !line.trim_start().starts_with("[default"))
        .skip_while(|line| line.trim() != "Possible values:")
        .filter_map(|line| line.trim().strip_prefix("- "))
        .filter_map(|item| item.split(':').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn plan_dialect_help_lists_every_dialect_and_each_name_works() {
    let listed = possible_values(&long_help("plan"), "--dialect");
    let names: Vec<&str> = Dialect::ALL.iter().map(|d| d.name()).collect();
    assert_eq!(listed, names);
    for dialect in Dialect::ALL {
        for name in std::iter::once(dialect.name()).chain(dialect.aliases().iter().copied()) {
            let output = portolan()
                .args(["plan", "--role", "dns-server", "--dialect", name])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(0), "--dialect {name}");
            let text = String::from_utf8(output.stdout).unwrap();
            assert!(
                text.contains(&format!("{} dialect", dialect.name())),
                "--dialect {name} renders {dialect}"
            );
        }
    }
    // Dialect names were never case-sensitive.
    portolan()
        .args(["plan", "--role", "dns-server", "-d", "NFTables"])
        .assert()
        .code(0);
}

#[test]
fn a_wrong_dialect_is_exit_2_naming_the_dialects() {
    let mut expected = predicate::str::contains("'cobol'").boxed();
    for dialect in Dialect::ALL {
        expected = expected
            .and(predicate::str::contains(dialect.name()))
            .boxed();
    }
    portolan()
        .args(["plan", "--role", "dns-server", "--dialect", "cobol"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(expected);
}

#[test]
fn audit_input_format_help_lists_every_format_including_check_json() {
    let listed = possible_values(&long_help("audit"), "--input-format");
    let names: Vec<&str> = INPUT_FORMATS.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(listed, names);
    assert!(listed.iter().any(|n| n == "check-json"));
    let mut all: Vec<Format> = INPUT_FORMATS.iter().map(|(f, _)| *f).collect();
    all.sort_by_key(|f| f.as_str());
    let mut every: Vec<Format> = Format::ALL.into_iter().chain(Format::FORCED_ONLY).collect();
    every.sort_by_key(|f| f.as_str());
    assert_eq!(all, every, "INPUT_FORMATS holds every Format once");
}

#[test]
fn audit_input_format_names_and_aliases_are_accepted() {
    // An empty input of any format is read (no listeners); only the name is under test.
    for (_, names) in INPUT_FORMATS {
        for name in names {
            let output = portolan()
                .args(["audit", "-", "--input-format", name, "--format", "json"])
                .write_stdin("")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                !stderr.contains("invalid value"),
                "--input-format {name}: {stderr}"
            );
        }
    }
    let mut expected = predicate::str::contains("'yaml'").boxed();
    for (format, _) in INPUT_FORMATS {
        expected = expected
            .and(predicate::str::contains(format.as_str()))
            .boxed();
    }
    portolan()
        .args(["audit", "-", "--input-format", "yaml"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(expected);
}

#[test]
fn plan_rpc_range_help_lists_the_named_ranges_and_a_b() {
    let help = long_help("plan");
    let listed = possible_values(&help, "--rpc-range");
    assert_eq!(
        listed,
        [RpcRange::Modern.kind(), RpcRange::Legacy.kind()],
        "{help}"
    );
    assert!(help.contains("`A-B`"));
    for (value, first) in [("modern", 49152), ("legacy", 1025), ("5000-5100", 5000)] {
        let output = portolan()
            .args(["plan", "--role", "domain-controller", "--format", "json"])
            .args(["--rpc-range", value])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "--rpc-range {value}");
        let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            plan.pointer("/rpc_range/first"),
            Some(&serde_json::json!(first)),
            "--rpc-range {value}"
        );
    }
    for bad in ["newest", "1000-2000", "9-"] {
        portolan()
            .args(["plan", "--role", "domain-controller", "--rpc-range", bad])
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains(format!("'{bad}'"))
                    .and(predicate::str::contains("modern"))
                    .and(predicate::str::contains("legacy")),
            );
    }
}

#[test]
fn the_bash_completion_script_is_valid_bash_and_knows_the_closed_sets() {
    let output = portolan().args(["completions", "bash"]).output().unwrap();
    assert!(output.status.success());
    let script = String::from_utf8(output.stdout).unwrap();
    for word in ["check", "scan", "completions", "nftables", "check-json"] {
        assert!(script.contains(word), "the script completes {word}");
    }
    let mut bash = Process::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .spawn()
        .expect("bash is installed");
    bash.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(bash.wait().unwrap().success(), "bash -n accepts the script");
}

#[test]
fn every_shell_gets_a_completion_script() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = portolan().args(["completions", shell]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8(output.stdout)
                .unwrap()
                .contains("portolan"),
            "{shell}"
        );
    }
    portolan()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bash").and(predicate::str::contains("elvish")));
}

#[test]
fn the_man_page_renders_with_groff_and_documents_every_command() {
    let output = portolan().arg("man").output().unwrap();
    assert!(output.status.success());
    let roff = output.stdout;
    let text = String::from_utf8(roff.clone()).unwrap();
    assert!(text.starts_with(".ie") || text.contains(".TH portolan"));
    for command in [
        "PORTOLAN CHECK",
        "PORTOLAN SCAN",
        "PORTOLAN PLAN",
        "PORTOLAN MERGE",
        "PORTOLAN REPORT",
        "PORTOLAN MAN",
    ] {
        assert!(text.contains(command), "the page has a section {command}");
    }
    let Ok(mut groff) = Process::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        portolan_testkit::missing_validator("groff", "apt-get install groff-base");
        return;
    };
    groff.stdin.take().unwrap().write_all(&roff).unwrap();
    let rendered = groff.wait_with_output().unwrap();
    assert!(rendered.status.success(), "groff renders the page");
    assert_eq!(
        String::from_utf8_lossy(&rendered.stderr),
        "",
        "groff has no warning about the page"
    );
}

/// The CLI only parses and renders: engines, models and aggregation live in the libraries, so
/// no source file of the binary grows past 450 lines (issue 10's bound; a file that does has
/// taken on a library's job, or should be split by command as `commands/` is).
#[test]
fn no_cli_source_file_is_over_450_lines() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                seen += 1;
                let lines = std::fs::read_to_string(&path).unwrap().lines().count();
                assert!(lines <= 450, "{} has {lines} lines", path.display());
            }
        }
    }
    assert!(seen > 10, "only {seen} source files found");
}
