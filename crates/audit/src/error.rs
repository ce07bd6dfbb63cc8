//! Errors of the audit crate: input that cannot be read as listeners. (Role and service names
//! that name nothing are the catalog's [`portolan_catalog::ResolveError`].)

use std::fmt;

/// What kind of problem an input has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input is larger than [`crate::MAX_INPUT_BYTES`].
    TooLarge,
    /// The input holds more listeners than [`crate::MAX_LISTENERS`].
    TooManyRows,
    /// The input holds bytes no text has (NUL and other control bytes).
    Binary,
    /// The input is text, but not UTF-8 (nor UTF-16 with a byte order mark).
    NotUtf8,
    /// The input stops in the middle of a row, object or element.
    Truncated,
    /// A row, object or element does not have the shape the format requires.
    Malformed,
    /// The content matches none of the formats this crate reads.
    UnknownFormat,
    /// A format was forced, but the content is another format.
    WrongFormat,
    /// Reading a file or this machine's sockets failed.
    Io,
    /// The request cannot be served on this platform.
    Unsupported,
    /// The input does not say something the audit needs (PowerShell objects that do not
    /// tell TCP from UDP), and the audit does not guess.
    Ambiguous,
}

impl ErrorKind {
    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::TooLarge => "too-large",
            ErrorKind::TooManyRows => "too-many-rows",
            ErrorKind::Binary => "binary",
            ErrorKind::NotUtf8 => "not-utf8",
            ErrorKind::Truncated => "truncated",
            ErrorKind::Malformed => "malformed",
            ErrorKind::UnknownFormat => "unknown-format",
            ErrorKind::WrongFormat => "wrong-format",
            ErrorKind::Io => "io",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Ambiguous => "ambiguous",
        }
    }
}

/// An input could not be read as listeners: where, what is wrong, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AuditError {
    /// What kind of problem it is.
    pub kind: ErrorKind,
    /// The input's name: a path, `-` for standard input, or `/proc/net/tcp`.
    pub origin: String,
    /// 1-based line of the problem; 0 when it concerns the whole input.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
    /// What was expected instead.
    pub expected: String,
}

impl AuditError {
    pub(crate) fn new(
        kind: ErrorKind,
        origin: &str,
        line: usize,
        problem: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        AuditError {
            kind,
            origin: origin.to_string(),
            line,
            problem: problem.into(),
            expected: expected.into(),
        }
    }

    /// A row that cannot be read: truncated when it is the input's last line cut short
    /// (`cut`), malformed otherwise.
    pub(crate) fn bad_row(
        cut: bool,
        origin: &str,
        line: usize,
        problem: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        let kind = if cut {
            ErrorKind::Truncated
        } else {
            ErrorKind::Malformed
        };
        AuditError::new(kind, origin, line, problem, expected)
    }
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: ", self.origin, self.line)?;
        } else {
            write!(f, "{}: ", self.origin)?;
        }
        write!(f, "{}", self.problem)?;
        if !self.expected.is_empty() {
            write!(f, "; expected {}", self.expected)?;
        }
        Ok(())
    }
}
