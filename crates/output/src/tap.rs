//! TAP, the Test Anything Protocol (testanything.org): a plan line, then `ok N - description`
//! or `not ok N - description`, each failure followed by a YAML block of diagnostics. Read by
//! `prove`, Jenkins' TAP plugin and most CI test reporters. Version 13, the one most readers
//! know (Perl's TAP::Parser refuses 14); its YAML diagnostics are the same in 14.
//!
//! Written by hand: a few lines of text; the YAML block holds only flat string pairs, each
//! written as a quoted scalar so no value can break out of it.

use std::fmt::Write as _;

/// One test line.
#[derive(Debug, Clone)]
pub struct Test {
    /// Passed or not.
    pub ok: bool,
    /// What was tested (`dc1 tcp/445 Server`).
    pub description: String,
    /// A `# SKIP` reason: the test was not run.
    pub skip: Option<String>,
    /// Diagnostics shown under a failure (verdict, evidence, ...).
    pub diagnostics: Vec<(String, String)>,
}

/// The TAP stream for `tests`.
pub fn render(tests: &[Test]) -> String {
    let mut out = String::from("TAP version 13\n");
    let _ = writeln!(out, "1..{}", tests.len());
    for (index, test) in tests.iter().enumerate() {
        let number = index + 1;
        // A description must not end the line early or start a directive.
        let description = one_line(&test.description).replace('#', "\\#");
        let status = if test.ok { "ok" } else { "not ok" };
        let _ = write!(out, "{status} {number} - {description}");
        if let Some(why) = &test.skip {
            let _ = write!(out, " # SKIP {}", one_line(why));
        }
        out.push('\n');
        if !test.ok && !test.diagnostics.is_empty() {
            out.push_str("  ---\n");
            for (key, value) in &test.diagnostics {
                let _ = writeln!(out, "  {}: {}", yaml_key(key), yaml_string(value));
            }
            out.push_str("  ...\n");
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.split(['\n', '\r']).collect::<Vec<_>>().join(" ")
}

fn yaml_key(key: &str) -> String {
    key.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A YAML double-quoted scalar: every character that could end or bend it is escaped.
fn yaml_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_lines_and_diagnostics() {
        let tap = render(&[
            Test {
                ok: true,
                description: "dc1 tcp/389".into(),
                skip: None,
                diagnostics: vec![],
            },
            Test {
                ok: false,
                description: "dc1 tcp/445 # not a directive".into(),
                skip: None,
                diagnostics: vec![
                    ("verdict".into(), "FILTERED".into()),
                    ("evidence".into(), "a \"b\"\nc".into()),
                ],
            },
            Test {
                ok: true,
                description: "dc1 tcp/49152".into(),
                skip: Some("not checked".into()),
                diagnostics: vec![],
            },
        ]);
        assert_eq!(
            tap,
            "TAP version 13\n1..3\nok 1 - dc1 tcp/389\nnot ok 2 - dc1 tcp/445 \\# not a directive\n  ---\n  verdict: \"FILTERED\"\n  evidence: \"a \\\"b\\\"\\nc\"\n  ...\nok 3 - dc1 tcp/49152 # SKIP not checked\n"
        );
    }
}
