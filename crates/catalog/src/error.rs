//! Errors of the catalog crate.

use std::fmt;

/// A catalog file could not be read: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogError {
    /// The file (a path, or the name of built-in data).
    pub origin: String,
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column of the problem.
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl CatalogError {
    pub(crate) fn new(
        origin: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        CatalogError {
            origin: origin.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.origin, self.line, self.column, self.message
        )
    }
}

/// A look-up argument could not be understood: the input, the problem and a fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}`: {problem}; {fix}")]
pub struct QueryError {
    /// What the user typed.
    pub input: String,
    /// What is wrong with it.
    pub problem: String,
    /// How to write it instead.
    pub fix: String,
}

impl QueryError {
    /// The error for `input`: what is wrong and how to write it instead.
    pub fn new(input: &str, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        QueryError {
            input: input.to_string(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}
