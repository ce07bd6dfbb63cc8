//! Every dialect with a real validator on Debian passes it, for every test request and for
//! the plan of everything. A missing validator prints `SKIPPED` and fails under
//! `PORTOLAN_REQUIRE_VALIDATORS=1`; see tests/README.md for the packages.
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};

use portolan_plan::{Dialect, Plan, Rendered, render};
use support::{Case, assert_success, have, missing, run, scratch};

const SUPPORT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support");

fn all_cases() -> Vec<Case> {
    let mut cases = support::cases();
    cases.push(support::pinned_case());
    cases.extend(support::class_cases());
    cases.push(Case {
        name: "everything",
        request: support::everything(),
    });
    cases
}

fn write(dir: &Path, rendered: &Rendered) -> Vec<PathBuf> {
    rendered
        .files
        .iter()
        .map(|f| {
            let path = dir.join(&f.name);
            std::fs::write(&path, &f.text).expect("write rendered file");
            path
        })
        .collect()
}

fn rendered(case: &Case, dialect: Dialect) -> (Plan, Rendered) {
    let plan = support::plan(&case.request);
    let out = render(&plan, dialect);
    (plan, out)
}

/// A Python that has `module`, or `None` once the pip `package` is reported missing.
fn python_or_missing(module: &str, package: &str) -> Option<String> {
    let python = support::python_with(module);
    if python.is_none() {
        missing(
            &format!("{package} (Python)"),
            &format!("pip install {package}, or set PORTOLAN_PYTHON to a Python that has it"),
        );
    }
    python
}

/// Runs `script` of tests/support under `python` on `files`, the output of `case`, which
/// the validator of the pip `package` must accept.
fn script_passes(
    python: &str,
    package: &str,
    script: &str,
    files: &[String],
    case: &Case,
    out: &Rendered,
) {
    let script = format!("{SUPPORT}/{script}");
    let args: Vec<&str> = std::iter::once(script.as_str())
        .chain(files.iter().map(String::as_str))
        .collect();
    let output = run(python, &args);
    assert_success(
        &format!("{package} ({})", case.name),
        &output,
        &out.to_text(),
    );
}

/// The output of `case` in `dialect`, and the paths of its files written to a scratch
/// directory.
fn written(case: &Case, dialect: Dialect) -> (Rendered, Vec<PathBuf>) {
    let (_, out) = rendered(case, dialect);
    let paths = write(&scratch(case.name), &out);
    (out, paths)
}

#[test]
fn nftables_passes_nft_check() {
    if !have("nft") || !support::can_unshare() {
        return missing(
            "nft (or unshare -rn)",
            "apt-get install nftables util-linux",
        );
    }
    for case in all_cases() {
        let (_, out) = rendered(&case, Dialect::Nftables);
        let text = &out.files[0].text;
        if let Err(e) = support::nft_check(text) {
            panic!("nft -c refused {}: {e}\n{text}", case.name);
        }
    }
}

#[test]
fn iptables_passes_restore_test() {
    for tool in ["iptables-restore", "ip6tables-restore"] {
        if !have(tool) || !support::can_unshare() {
            return missing(tool, "apt-get install iptables util-linux");
        }
    }
    for case in all_cases() {
        let (_, paths) = written(&case, Dialect::Iptables);
        for (path, tool) in paths.iter().zip(["iptables-restore", "ip6tables-restore"]) {
            let file = path.to_string_lossy();
            let output = run("unshare", &["-rn", tool, "--test", &file]);
            let text = std::fs::read_to_string(path).unwrap_or_default();
            assert_success(&format!("{tool} --test ({})", case.name), &output, &text);
        }
    }
}

#[test]
fn firewalld_service_and_script_pass_firewalld() {
    for tool in ["firewall-offline-cmd", "xmllint"] {
        if !have(tool) {
            return missing(tool, "apt-get install firewalld libxml2-utils");
        }
    }
    let conf = Path::new("/etc/firewalld/firewalld.conf");
    for case in all_cases() {
        let (plan, out) = rendered(&case, Dialect::Firewalld);
        let name = plan.slug();
        let dir = scratch(case.name);
        write(&dir, &out);
        // One service per audience: `{name}.xml`, or `{name}-clients_peers.xml` and so on.
        let services: Vec<String> = out
            .files
            .iter()
            .filter_map(|f| f.name.strip_suffix(".xml").map(str::to_string))
            .collect();
        assert!(!services.is_empty(), "{}: no service", case.name);
        let config = dir.join("config");
        std::fs::create_dir_all(config.join("services")).expect("config dir");
        std::fs::copy(conf, config.join("firewalld.conf")).expect("firewalld.conf");
        let mut xml_text = String::new();
        for service in &services {
            let xml = dir.join(format!("{service}.xml"));
            let text = std::fs::read_to_string(&xml).expect("service XML written");
            assert_success(
                "xmllint --noout",
                &run("xmllint", &["--noout", &xml.to_string_lossy()]),
                &text,
            );
            // The service file alone, as /etc/firewalld/services/ would hold it.
            std::fs::copy(&xml, config.join("services").join(format!("{service}.xml")))
                .expect("copy service");
            xml_text.push_str(&text);
        }
        let system = format!("--system-config={}", config.to_string_lossy());
        let check = run(
            "firewall-offline-cmd",
            &[
                &system,
                "--default-config=/usr/lib/firewalld",
                "--check-config",
            ],
        );
        assert_success(
            &format!("firewall-offline-cmd --check-config ({})", case.name),
            &check,
            &xml_text,
        );

        // The script replayed offline against an empty configuration, then checked.
        let replay_config = dir.join("replay");
        std::fs::create_dir_all(&replay_config).expect("replay dir");
        std::fs::copy(conf, replay_config.join("firewalld.conf")).expect("firewalld.conf");
        let script = std::fs::read_to_string(dir.join(format!("{name}-firewalld.sh")))
            .expect("script written");
        let offline = format!(
            "firewall-offline-cmd --system-config={} --default-config=/usr/lib/firewalld",
            replay_config.to_string_lossy()
        );
        let replay: String = script
            .lines()
            .filter(|l| !l.contains("--reload"))
            .map(|l| format!("{}\n", l.replace("firewall-cmd --permanent", &offline)))
            .collect();
        assert!(
            replay.contains("--new-service-from-file"),
            "script lacks the service import"
        );
        let replay_path = dir.join("replay.sh");
        std::fs::write(&replay_path, &replay).expect("replay script");
        let output = std::process::Command::new("sh")
            .arg(&replay_path)
            .current_dir(&dir)
            .output()
            .expect("run sh");
        assert_success(
            &format!("firewall-cmd script ({})", case.name),
            &output,
            &replay,
        );
        let replay_system = format!("--system-config={}", replay_config.to_string_lossy());
        let check = run(
            "firewall-offline-cmd",
            &[
                &replay_system,
                "--default-config=/usr/lib/firewalld",
                "--check-config",
            ],
        );
        assert_success("check-config after the script", &check, &replay);
        for service in &services {
            assert!(
                replay_config
                    .join("services")
                    .join(format!("{service}.xml"))
                    .exists(),
                "the script did not install the service {service}"
            );
        }
    }
}

#[test]
fn ufw_profiles_pass_ufw_parser() {
    let python = "/usr/bin/python3";
    if !have(python)
        || !run(python, &["-c", "import ufw.applications"])
            .status
            .success()
    {
        return missing(
            "ufw (its Python module for /usr/bin/python3)",
            "apt-get install ufw",
        );
    }
    for case in all_cases() {
        let (plan, out) = rendered(&case, Dialect::Ufw);
        let dir = scratch(case.name);
        let apps = dir.join("applications.d");
        std::fs::create_dir_all(&apps).expect("apps dir");
        let profile = out.file(&plan.slug()).expect("profile file");
        std::fs::write(apps.join(&profile.name), &profile.text).expect("profile");
        let expected = plan
            .audience_plans()
            .iter()
            .map(|sub| portolan_plan::render::ufw::profiles(sub).len())
            .sum::<usize>()
            .to_string();
        let output = run(
            python,
            &[
                &format!("{SUPPORT}/ufw_profiles.py"),
                &apps.to_string_lossy(),
                &expected,
            ],
        );
        assert_success(
            &format!("ufw parser ({})", case.name),
            &output,
            &profile.text,
        );
    }
}

#[test]
fn aws_permissions_pass_botocore() {
    let Some(python) = python_or_missing("botocore", "botocore") else {
        return;
    };
    for case in all_cases() {
        let (out, paths) = written(&case, Dialect::Aws);
        let json: Vec<String> = paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert!(!json.is_empty(), "{}: no JSON file", case.name);
        script_passes(
            &python,
            "botocore",
            "aws_permissions.py",
            &json,
            &case,
            &out,
        );
    }
}

#[test]
fn terraform_parses_as_hcl() {
    let Some(python) = python_or_missing("hcl2", "python-hcl2") else {
        return;
    };
    for case in all_cases() {
        let (out, paths) = written(&case, Dialect::Terraform);
        let tf = paths[0].to_string_lossy().into_owned();
        script_passes(
            &python,
            "python-hcl2",
            "hcl_parse.py",
            std::slice::from_ref(&tf),
            &case,
            &out,
        );
        // terraform is no Debian package: check its formatting only where it happens to be.
        if have("terraform") {
            let output = run("terraform", &["fmt", "-check", "-diff", &tf]);
            assert_success(
                &format!("terraform fmt ({})", case.name),
                &output,
                &out.to_text(),
            );
        } else {
            // Not a required validator (no Debian package): a skip, never a failure.
            portolan_testkit::skip("terraform is not on PATH: fmt -check not run");
        }
    }
}
