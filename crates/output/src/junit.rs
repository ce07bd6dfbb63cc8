//! JUnit XML, the test report CI systems read (Jenkins, GitLab, GitHub actions, Azure
//! Pipelines): suites of test cases, each passed, failed (with a message and details) or
//! skipped. Commands map their results onto it (a host is a suite, a port a case).
//!
//! Written by hand over [`crate::xml::escape`]: the format is a handful of elements, and the
//! schema CI tools accept (Jenkins' `junit-10.xsd`, a superset of Ant's) fixes their order.

use std::fmt::Write as _;

use crate::xml::escape;

/// A whole report: `<testsuites>`.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The report's name (the command that made it).
    pub name: String,
    /// The suites.
    pub suites: Vec<Suite>,
}

/// One `<testsuite>`: for a check, one host.
#[derive(Debug, Clone, Default)]
pub struct Suite {
    /// The suite's name.
    pub name: String,
    /// Properties shown with the suite (address, vantage point, ...).
    pub properties: Vec<(String, String)>,
    /// The cases.
    pub cases: Vec<Case>,
}

/// What became of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Passed.
    Passed,
    /// Failed: `kind` is the verdict, `message` one line, `details` the evidence.
    Failed {
        /// The failure's type attribute (a verdict such as `FILTERED`).
        kind: String,
        /// One line.
        message: String,
        /// Everything known about it.
        details: String,
    },
    /// Not run, and why.
    Skipped(String),
}

/// One `<testcase>`.
#[derive(Debug, Clone)]
pub struct Case {
    /// The class the case belongs to (`portolan.check.HOST`): CI tools group by it.
    pub classname: String,
    /// The case (`tcp/445 Server (SMB)`).
    pub name: String,
    /// Seconds the case took, if known.
    pub seconds: Option<f64>,
    /// The outcome.
    pub outcome: Outcome,
    /// Text shown with the case whatever its outcome (the evidence of a pass).
    pub output: Option<String>,
}

impl Report {
    /// Counts of (tests, failures, skipped).
    fn counts<'a>(cases: impl Iterator<Item = &'a Case>) -> (usize, usize, usize) {
        cases.fold((0, 0, 0), |(t, f, s), c| match c.outcome {
            Outcome::Passed => (t + 1, f, s),
            Outcome::Failed { .. } => (t + 1, f + 1, s),
            Outcome::Skipped(_) => (t + 1, f, s + 1),
        })
    }

    /// The XML document.
    pub fn to_xml(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let (tests, failures, skipped) =
            Self::counts(self.suites.iter().flat_map(|s| s.cases.iter()));
        let _ = writeln!(
            out,
            "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
            escape(&self.name)
        );
        for (id, suite) in self.suites.iter().enumerate() {
            let (tests, failures, skipped) = Self::counts(suite.cases.iter());
            let time: f64 = suite.cases.iter().filter_map(|c| c.seconds).sum();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" id=\"{id}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{time:.3}\">",
                escape(&suite.name)
            );
            if !suite.properties.is_empty() {
                out.push_str("    <properties>\n");
                for (name, value) in &suite.properties {
                    let _ = writeln!(
                        out,
                        "      <property name=\"{}\" value=\"{}\"/>",
                        escape(name),
                        escape(value)
                    );
                }
                out.push_str("    </properties>\n");
            }
            for case in &suite.cases {
                case.write(&mut out);
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

impl Case {
    fn write(&self, out: &mut String) {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(&self.classname),
            escape(&self.name),
            self.seconds.unwrap_or(0.0)
        );
        if self.outcome == Outcome::Passed && self.output.is_none() {
            out.push_str("/>\n");
            return;
        }
        out.push_str(">\n");
        match &self.outcome {
            Outcome::Passed => {}
            Outcome::Failed {
                kind,
                message,
                details,
            } => {
                let _ = writeln!(
                    out,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    escape(kind),
                    escape(message),
                    escape(details)
                );
            }
            Outcome::Skipped(why) => {
                let _ = writeln!(out, "      <skipped message=\"{}\"/>", escape(why));
            }
        }
        if let Some(text) = &self.output {
            let _ = writeln!(out, "      <system-out>{}</system-out>", escape(text));
        }
        out.push_str("    </testcase>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_escapes() {
        let report = Report {
            name: "portolan check".into(),
            suites: vec![Suite {
                name: "dc1 <192.0.2.1>".into(),
                properties: vec![("address".into(), "192.0.2.1".into())],
                cases: vec![
                    Case {
                        classname: "portolan.check.dc1".into(),
                        name: "tcp/389".into(),
                        seconds: Some(0.001),
                        outcome: Outcome::Passed,
                        output: None,
                    },
                    Case {
                        classname: "portolan.check.dc1".into(),
                        name: "tcp/445".into(),
                        seconds: None,
                        outcome: Outcome::Failed {
                            kind: "FILTERED".into(),
                            message: "no answer & no error".into(),
                            details: "2 tries".into(),
                        },
                        output: None,
                    },
                ],
            }],
        };
        let xml = report.to_xml();
        assert!(xml.contains("tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""));
        assert!(xml.contains("name=\"dc1 &lt;192.0.2.1&gt;\""));
        assert!(xml.contains("message=\"no answer &amp; no error\""));
        assert!(xml.contains(
            "<testcase classname=\"portolan.check.dc1\" name=\"tcp/389\" time=\"0.001\"/>"
        ));
    }
}
