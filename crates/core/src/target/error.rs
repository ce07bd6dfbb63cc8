//! The one error of target parsing and resolution.

use std::fmt;

/// A target that cannot be used as written: the input, the problem and the fix, so that a
/// command can print it as it is.
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
    /// An error about `input`.
    pub fn new(
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
