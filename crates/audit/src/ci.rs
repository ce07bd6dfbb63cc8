//! An audit as CI test results (JUnit XML and TAP): a suite per host. With a role or services
//! to compare with, every expected port is a case (present passes, missing fails, an optional
//! one that is absent or a port the inputs cannot speak for is skipped) and every unexpected
//! listener a failing case; a compared host that did not answer fails as a whole. Without a
//! comparison, every listener is a passing case, its flags shown with it. Failures are exactly
//! what makes the audit's exit code 1, so a pipeline's two signals agree.

use portolan_output::junit::{Case, Outcome, Report, Suite};
use portolan_output::tap::{self, Test};

use crate::report::{AuditReport, ExpectedStatus};

/// One case of one host, before it is written in either format.
struct Finding {
    name: String,
    outcome: Outcome,
    text: String,
}

fn host_name(report: &AuditReport) -> String {
    report
        .host
        .clone()
        .unwrap_or_else(|| String::from("this machine"))
}

fn findings(report: &AuditReport) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(comparison) = &report.comparison else {
        if !report.audited && report.compared {
            out.push(Finding {
                name: String::from("host audited"),
                outcome: Outcome::Failed {
                    kind: String::from("NOT AUDITED"),
                    message: report.verdict.clone(),
                    details: report.verdict.clone(),
                },
                text: String::new(),
            });
        }
        for port in &report.ports {
            let flags: Vec<&str> = port.flags.iter().map(|f| f.text.as_str()).collect();
            out.push(Finding {
                name: format!("{}/{} {}", port.transport.key(), port.port, port.name),
                outcome: Outcome::Passed,
                text: flags.join("\n"),
            });
        }
        return out;
    };
    for expected in &comparison.expected {
        let name = format!("{} {}", expected.key(), expected.services.join(", "));
        let status = format!("{:?}", expected.status);
        let outcome = match expected.status {
            s if s.is_present() => Outcome::Passed,
            s if s.is_missing() && !expected.optional => Outcome::Failed {
                kind: String::from("MISSING"),
                message: format!("{}: {}", expected.key(), expected.detail),
                details: expected.detail.clone(),
            },
            ExpectedStatus::NotCovered | ExpectedStatus::NotChecked => {
                Outcome::Skipped(format!("{status}: {}", expected.detail))
            }
            _ => Outcome::Skipped(format!("optional, absent: {}", expected.detail)),
        };
        out.push(Finding {
            name,
            outcome,
            text: expected.detail.clone(),
        });
    }
    for key in &comparison.unexpected {
        out.push(Finding {
            name: format!("{key} unexpected"),
            outcome: Outcome::Failed {
                kind: String::from("UNEXPECTED"),
                message: format!("{key} listens, and nothing compared with explains it"),
                details: format!("{key} listens, and nothing compared with explains it"),
            },
            text: String::new(),
        });
    }
    out
}

/// JUnit XML for every host's report.
pub fn junit(reports: &[AuditReport]) -> String {
    let suites = reports
        .iter()
        .map(|report| {
            let host = host_name(report);
            let classname = format!("portolan.audit.{host}");
            Suite {
                name: host.clone(),
                properties: report
                    .sources
                    .iter()
                    .map(|s| (String::from("source"), s.clone()))
                    .collect(),
                cases: findings(report)
                    .into_iter()
                    .map(|f| Case {
                        classname: classname.clone(),
                        name: f.name,
                        seconds: None,
                        output: (!f.text.is_empty() && f.outcome == Outcome::Passed)
                            .then_some(f.text),
                        outcome: f.outcome,
                    })
                    .collect(),
            }
        })
        .collect();
    Report {
        name: String::from("portolan audit"),
        suites,
    }
    .to_xml()
}

/// TAP for every host's report.
pub fn tap(reports: &[AuditReport]) -> String {
    let mut tests = Vec::new();
    for report in reports {
        let host = host_name(report);
        for f in findings(report) {
            let description = format!("{host} {}", f.name);
            tests.push(match f.outcome {
                Outcome::Passed => Test {
                    ok: true,
                    description,
                    skip: None,
                    diagnostics: Vec::new(),
                },
                Outcome::Skipped(why) => Test {
                    ok: true,
                    description,
                    skip: Some(why),
                    diagnostics: Vec::new(),
                },
                Outcome::Failed { kind, details, .. } => Test {
                    ok: false,
                    description,
                    skip: None,
                    diagnostics: vec![
                        (String::from("finding"), kind),
                        (String::from("detail"), details),
                    ],
                },
            });
        }
    }
    tap::render(&tests)
}
