//! Errors of target and port parsing, name resolution and engine start-up. Each names the
//! input, the problem and a fix, so the CLI can print it as it is.

use std::fmt;

/// A target that cannot be scanned as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TargetError {
    /// The text at fault.
    pub input: String,
    /// What is wrong with it.
    pub problem: String,
    /// How to put it right.
    pub fix: String,
}

impl TargetError {
    pub(crate) fn new(
        input: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        TargetError {
            input: input.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// Places the error in a file line.
    pub(crate) fn at(mut self, origin: &str, line: usize) -> Self {
        self.problem = format!("{origin} line {line}: {}", self.problem);
        self
    }
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.input.is_empty() {
            write!(f, "{}; {}", self.problem, self.fix)
        } else {
            write!(f, "target `{}`: {}; {}", self.input, self.problem, self.fix)
        }
    }
}

/// Why the engine could not start (a scan that started always finishes).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The kernel refused an epoll instance or a thread.
    #[error(
        "cannot start the scan engine: {what}: {source}; check the open-file and thread limits (ulimit -n, ulimit -u)"
    )]
    Setup {
        /// What was being set up.
        what: &'static str,
        /// The system error.
        #[source]
        source: std::io::Error,
    },
}
