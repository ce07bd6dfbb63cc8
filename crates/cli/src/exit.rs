//! Exit codes and error reporting: the one home of every code the binary ends with.
//! docs/exit-codes.md describes them for users; keep the two in step.
//!
//! - 0: the command did what was asked and found what it looked for (everything LISTENING,
//!   the audited server matches, a look-up found rows).
//! - 1: it ran, but the answer is negative (a port not listening or filtered, a look-up with
//!   no match, an audit with missing or unexpected listeners).
//! - 2: bad usage or bad input (an unknown service, a malformed catalog file, port 70000):
//!   the message names the input, the problem and a fix. clap's own usage errors are 2 too.
//! - 3: a failure that is not the user's input: an output file that cannot be written, an
//!   endpoint mapper that does not answer, a runtime that cannot start.
//! - 130: `scan` interrupted by Ctrl-C (after printing what it knew).
//! - 141: standard output closed by its reader (`portolan table | head -1`): the work stops
//!   at the next write, without a message.

use std::process::ExitCode;

/// Found / all good.
pub const CLEAN: u8 = 0;
/// Ran, negative answer.
pub const NEGATIVE: u8 = 1;
/// Bad usage or bad input (clap uses 2 for usage errors as well).
pub const BAD_INPUT: u8 = 2;
/// A runtime failure that is not the user's input.
pub const RUNTIME: u8 = 3;
/// Standard output was closed: 128 + SIGPIPE, what a shell reports for a Unix tool killed by
/// the signal, so pipelines under `set -o pipefail` see portolan like any other tool.
pub const CLOSED_PIPE: u8 = 141;

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
            Status::Clean => ExitCode::from(CLEAN),
            Status::Negative => ExitCode::from(NEGATIVE),
        }
    }
}

/// Whose fault a failure is, which decides its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The user's input or usage: exit 2.
    Input,
    /// The environment (a file system, a peer, the runtime): exit 3.
    Runtime,
}

/// An error that ends the run: exit code 2 for bad input, 3 for a runtime failure.
#[derive(Debug)]
pub struct Failure {
    /// The message: input, problem and fix.
    pub message: String,
    /// Further lines (suggestions).
    pub details: Vec<String>,
    /// Whose fault it is.
    pub cause: Cause,
}

impl Failure {
    /// A failure caused by the user's input (exit 2).
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            details: Vec::new(),
            cause: Cause::Input,
        }
    }

    /// A failure that is not the user's input (exit 3).
    pub fn runtime(message: impl Into<String>) -> Self {
        Failure {
            cause: Cause::Runtime,
            ..Failure::new(message)
        }
    }

    /// Adds a detail line.
    pub fn detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }

    /// Exit code 2 (input) or 3 (runtime).
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self.cause {
            Cause::Input => BAD_INPUT,
            Cause::Runtime => RUNTIME,
        })
    }
}

/// Library errors are about what the user asked for (a name, a range, a file's content);
/// the few runtime ones are marked with [`Failure::runtime`] where they happen.
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

/// Ends the process because standard output's reader went away: no message (the reader
/// wanted no more), and no more work, whatever thread notices it.
pub fn closed_pipe() -> ! {
    std::process::exit(i32::from(CLOSED_PIPE))
}
