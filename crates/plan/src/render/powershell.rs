//! Windows PowerShell: `New-NetFirewallRule` commands, one group per plan, removed and
//! re-created on each run.
//!
//! Strings are single-quoted (PowerShell expands nothing inside them; a `'` is doubled). The
//! endpoint mapper is `-LocalPort RPCEPMap`, dynamic RPC is `-LocalPort RPC` with `-Service`
//! (or `-Program` for lsass.exe), and IP protocols are given by number.

use crate::dialect::{Dialect, RenderedFile};
use crate::plan::Plan;
use crate::render::text;
use crate::render::windows::{self, Match};

/// Description length kept (Windows stores more, but the MMC shows little).
pub const DESCRIPTION_MAX: usize = 1024;

/// `portolan.ps1`.
pub fn render(plan: &Plan) -> Vec<RenderedFile> {
    let group = plan.slug();
    let mut out = text::preamble(plan, Dialect::Powershell, &windows::notes(), "#");
    out.push('\n');
    out.push_str("#Requires -Modules NetSecurity\n");
    out.push_str("$ErrorActionPreference = 'Stop'\n");
    out.push_str(&format!("$Group = {}\n", quote(&group)));
    out.push_str("# Remove the rules of an earlier run, so that running the script again gives the same rules.\n");
    out.push_str("Get-NetFirewallRule -Group $Group -ErrorAction SilentlyContinue | Remove-NetFirewallRule\n");
    for (i, rule) in windows::rules(plan).iter().enumerate() {
        out.push('\n');
        for line in &rule.lines {
            out.push_str(&format!("# {}\n", text::ascii(line)));
        }
        let optional = if rule.optional { " (optional)" } else { "" };
        let mut args = vec![
            format!("-Name {}", quote(&format!("{group}-{:03}", i + 1))),
            format!(
                "-DisplayName {}",
                quote(&format!("portolan: {}{optional}", rule.display))
            ),
            "-Group $Group".to_string(),
            format!(
                "-Description {}",
                quote(&text::fit(&rule.lines.join("; "), DESCRIPTION_MAX))
            ),
            "-Direction Inbound -Action Allow -Profile Any".to_string(),
        ];
        args.extend(
            windows::matches(rule, "RPCEPMap")
                .into_iter()
                .map(|m| match m {
                    Match::Protocol(p) => format!("-Protocol {}", p.to_uppercase()),
                    Match::LocalPort(p) => format!("-LocalPort {p}"),
                    Match::Program(p) => format!("-Program {}", quote(&p)),
                    Match::Service(s) => format!("-Service {}", quote(&s)),
                }),
        );
        if let Some(remote) = &rule.remote {
            args.push(format!(
                "-RemoteAddress {}",
                remote
                    .iter()
                    .map(|a| quote(a))
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
        if let Some(d) = plan.destination {
            args.push(format!("-LocalAddress {}", quote(&text::net(&d))));
        }
        out.push_str(&format!(
            "New-NetFirewallRule {} | Out-Null\n",
            args.join(" `\n    ")
        ));
    }
    vec![RenderedFile {
        name: "portolan.ps1".to_string(),
        text: out,
    }]
}

/// A single-quoted PowerShell string: nothing is expanded inside; `'` is doubled.
pub fn quote(text: &str) -> String {
    let clean = text::ascii(text).replace('\'', "''");
    format!("'{clean}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_double_single_quotes() {
        assert_eq!(quote("it's"), "'it''s'");
        assert_eq!(quote("$env:x `n"), "'$env:x `n'");
    }
}
