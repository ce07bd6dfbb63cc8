//! Exit codes and error reporting.
//!
//! - 0: the command did what was asked and found what it looked for (everything LISTENING,
//!   the audited server matches, a look-up found rows).
//! - 1: it ran, but the answer is negative (a port not listening or filtered, a look-up with
//!   no match, an audit with missing or unexpected listeners).
//! - 2: bad usage or bad input (an unknown service, a malformed catalog file, port 70000):
//!   the message names the input, the problem and a fix.

use std::process::ExitCode;

/// How a successful run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Found / all good: exit 0.
    Clean,
    /// Ran, negative answer: exit 1.
    Negative,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        match status {
            Status::Clean => ExitCode::SUCCESS,
            Status::Negative => ExitCode::from(1),
        }
    }
}

/// An error that ends the run with exit code 2.
#[derive(Debug)]
pub struct Failure {
    /// The message: input, problem and fix.
    pub message: String,
    /// Further lines (suggestions).
    pub details: Vec<String>,
}

impl Failure {
    /// A failure with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Adds a detail line.
    pub fn detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }

    /// Exit code 2: usage or input error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(2)
    }
}

impl<E: std::error::Error> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure::new(error.to_string())
    }
}

/// Prints a failure to standard error.
pub fn report(failure: &Failure) {
    eprintln!("error: {}", failure.message);
    for line in &failure.details {
        eprintln!("  {line}");
    }
}
