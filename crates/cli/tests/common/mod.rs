//! Support for the CLI's integration tests: running the binary, and finding the lab.
#![allow(dead_code)]
// Test code: a panic is a failed test, so unwrap and expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use serde_json::Value;

/// The `portolan` binary, with no user catalog and colour rules from the environment unset.
pub fn portolan() -> Command {
    let mut cmd = Command::cargo_bin("portolan").unwrap();
    cmd.env_remove("PORTOLAN_CATALOG").env_remove("NO_COLOR");
    cmd
}

/// `portolan --windows 2003`: the seed's view, for tests about the seed's own facts.
pub fn portolan_2003() -> Command {
    let mut cmd = portolan();
    cmd.args(["--windows", "2003"]);
    cmd
}

/// Stdout of `portolan --windows 2003 ARGS`, which must succeed, as text.
pub fn stdout_2003(args: &[&str]) -> String {
    stdout_ok(portolan_2003().args(args))
}

/// Stdout of a run that must succeed, as text.
pub fn stdout_ok(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// Stdout of a run that must succeed, as JSON.
pub fn json_ok(cmd: &mut Command) -> Value {
    json_exit(cmd, 0)
}

/// Stdout of a run that must exit with `code`, as JSON.
pub fn json_exit(cmd: &mut Command, code: i32) -> Value {
    let out = cmd.assert().code(code).get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("no JSON ({e}): {text}"))
}

/// Stdout of `portolan ARGS`, which must succeed, as text.
pub fn stdout(args: &[&str]) -> String {
    stdout_ok(portolan().args(args))
}

/// Runs `portolan ARGS`, which must exit with `code` and print every needle on stderr.
pub fn fails(args: &[&str], code: i32, needles: &[&str]) {
    let mut assert = portolan().args(args).assert().code(code);
    for needle in needles {
        assert = assert.stderr(predicates::str::contains(*needle));
    }
}

/// The strings of a JSON array.
pub fn strings(list: &Value) -> Vec<&str> {
    let list = list
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"));
    list.iter().map(|v| v.as_str().unwrap()).collect()
}

/// The string field `name` of each object of a JSON array.
pub fn field_strings<'a>(list: &'a Value, name: &str) -> Vec<&'a str> {
    let list = list
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"));
    list.iter().map(|v| v[name].as_str().unwrap()).collect()
}

/// One JSON value per line (JSON Lines).
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The stdout of a finished run, which must have exited 0 (its stderr is shown otherwise).
pub fn success_stdout(out: &std::process::Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Addresses and settings of the project's lab (`lab/lab.sh env`).
#[derive(Debug, Clone)]
pub struct Lab {
    pub dc: String,
    pub svc: String,
    pub apps: String,
    pub fw: String,
    pub fw_truth: String,
    pub radius_secret: String,
    pub domain: String,
}

/// The lab, from its environment. The tests that use it are `#[ignore]`d, so a plain
/// `cargo test` lists them as ignored; scripts/test.sh runs them with `--include-ignored` as
/// root with the lab up. Run without the lab, such a test fails: a skip is never a pass.
pub fn lab() -> Lab {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| {
                panic!(
                    "{name} is not set: this test needs the lab of real peers \
                     (as root: bash lab/lab.sh up && eval \"$(bash lab/lab.sh env)\")"
                )
            })
    };
    let lab = Lab {
        dc: var("PORTOLAN_LAB_DC"),
        svc: var("PORTOLAN_LAB_SVC"),
        apps: var("PORTOLAN_LAB_APPS"),
        fw: var("PORTOLAN_LAB_FW"),
        fw_truth: var("PORTOLAN_LAB_FW_TRUTH"),
        radius_secret: var("PORTOLAN_LAB_RADIUS_SECRET"),
        domain: var("PORTOLAN_LAB_DOMAIN"),
    };
    for address in [&lab.dc, &lab.svc, &lab.apps, &lab.fw] {
        assert_namespace_route(address);
    }
    lab
}

/// Runs `portolan` with `args` and `--format json`, returning the exit code and the JSON.
pub fn json_run(args: &[&str]) -> (i32, Value) {
    let out = portolan()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "portolan {args:?} printed no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, value)
}

/// The results of a `check --format json` run, keyed by "port/transport".
pub fn results(check: &Value) -> std::collections::BTreeMap<String, Value> {
    check["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["results"].as_array().unwrap().iter())
        .map(|r| {
            (
                format!("{}/{}", r["port"], r["transport"].as_str().unwrap()),
                r.clone(),
            )
        })
        .collect()
}

/// Refuses to go on unless `address` is reached over a link of this machine (a lab veth),
/// not through a gateway: with the lab's namespaces gone, a lab address would otherwise be
/// routed off the machine, and the network rule says tests never send traffic there.
pub fn assert_namespace_route(address: &str) {
    let out = std::process::Command::new("ip")
        .args(["-o", "route", "get", address])
        .output()
        .expect("`ip` (iproute2) is needed to check the lab's routes");
    let route = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !route.contains(" via ") && route.contains(" dev "),
        "refusing to probe {address}: it is not routed to a lab namespace here ({}); \
         bring the lab up with `lab/lab.sh up`",
        route.trim()
    );
}

/// Reads lab/fw-lab.truth: (transport, port, state) per line; `#` starts a comment, and words
/// after the state are informational.
pub fn fw_truth(path: &str) -> Vec<(String, u16, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let mut words = line.split('#').next().unwrap_or("").split_whitespace();
            let transport = words.next()?.to_string();
            let port = words.next()?.parse().unwrap();
            let state = words.next()?.to_string();
            Some((transport, port, state))
        })
        .collect()
}
