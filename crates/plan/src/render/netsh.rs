//! Windows netsh: `netsh advfirewall firewall add rule` commands in a batch file, each rule
//! deleted by name first so that the file can run again.
//!
//! netsh takes no escape inside double quotes, so a `"` in text becomes `'`; `%` is doubled for
//! cmd.exe. The endpoint mapper is `localport=RPC-EPMap`, dynamic RPC `localport=RPC` with
//! `service=` (or `program=` for lsass.exe).

use crate::dialect::{Dialect, RenderedFile};
use crate::plan::Plan;
use crate::render::text;
use crate::render::windows::{self, Match};

/// Description length kept.
pub const DESCRIPTION_MAX: usize = 1024;

/// `portolan.cmd`.
pub fn render(plan: &Plan) -> Vec<RenderedFile> {
    let slug = plan.slug();
    let mut notes = windows::notes();
    notes.push("Each rule is deleted by name before it is added, so running the file again gives the same rules.".to_string());
    let mut out = String::from("@echo off\r\n");
    out.push_str(&cmd_comments(&text::preamble(
        plan,
        Dialect::Netsh,
        &notes,
        "rem",
    )));
    for (i, rule) in windows::rules(plan).iter().enumerate() {
        out.push_str("\r\n");
        let lines: Vec<String> = rule.lines.clone();
        out.push_str(&cmd_comments(&text::comment_lines(&lines, "rem")));
        let optional = if rule.optional { " (optional)" } else { "" };
        let name = format!("{slug}-{:03}: {}{optional}", i + 1, rule.display);
        let mut args = vec![
            format!("name={}", quote(&name)),
            "dir=in action=allow profile=any".to_string(),
        ];
        args.extend(
            windows::matches(rule, "RPC-EPMap")
                .into_iter()
                .map(|m| match m {
                    Match::Protocol(p) => format!("protocol={p}"),
                    Match::LocalPort(p) => format!("localport={p}"),
                    Match::Program(p) => format!("program={}", quote(&p)),
                    Match::Service(s) => format!("service={}", quote(&s)),
                }),
        );
        if let Some(remote) = &rule.remote {
            args.push(format!("remoteip={}", remote.join(",")));
        }
        if let Some(d) = plan.destination {
            args.push(format!("localip={}", text::net(&d)));
        }
        args.push(format!(
            "description={}",
            quote(&text::fit(&rule.lines.join("; "), DESCRIPTION_MAX))
        ));
        out.push_str(&format!(
            "netsh advfirewall firewall delete rule name={} >nul 2>&1\r\n",
            quote(&name)
        ));
        out.push_str(&format!(
            "netsh advfirewall firewall add rule {}\r\n",
            args.join(" ")
        ));
    }
    vec![RenderedFile {
        name: "portolan.cmd".to_string(),
        text: out,
    }]
}

/// A double-quoted netsh value for a batch file.
pub fn quote(text: &str) -> String {
    let clean = text::ascii(text).replace('"', "'").replace('%', "%%");
    format!("\"{clean}\"")
}

/// Comment lines made safe for cmd.exe (which expands `%` even in `rem` lines) with CRLF ends.
fn cmd_comments(lines: &str) -> String {
    lines
        .lines()
        .map(|l| format!("{}\r\n", l.replace('%', "%%").replace('^', "")))
        .collect()
}
