//! What can go wrong reading saved results.

/// A result file that cannot be read, or a record in it that is not one portolan writes.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}; check the path and that the file is readable")]
    Io {
        /// The file as given.
        path: String,
        /// The system's error.
        source: std::io::Error,
    },
    /// A record is malformed or of an unknown kind.
    #[error(
        "{path}:{line}: {problem}; give the JSON or JSON Lines that `portolan check`, `scan` or `audit` write (--format json or jsonl)"
    )]
    Malformed {
        /// The file as given.
        path: String,
        /// 1-based line where the problem is (or where its record starts).
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A record stops before its end (a file cut short).
    #[error(
        "{path}:{line}: {problem}; the record is cut short: give the whole file `portolan check`, `scan` or `audit` wrote"
    )]
    Truncated {
        /// The file as given.
        path: String,
        /// 1-based line where the cut record starts.
        line: usize,
        /// What the JSON reader said.
        problem: String,
    },
}

/// A record a lenient read left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file as given.
    pub path: String,
    /// 1-based line of the record.
    pub line: usize,
    /// What is wrong with it.
    pub problem: String,
    /// True when the record is cut short rather than malformed.
    pub truncated: bool,
}

impl ReadError {
    /// The record error as a skipped record; `None` for a file that cannot be read at all.
    pub fn skipped(&self) -> Option<Skipped> {
        let (path, line, problem, truncated) = match self {
            ReadError::Io { .. } => return None,
            ReadError::Malformed {
                path,
                line,
                problem,
            } => (path, line, problem, false),
            ReadError::Truncated {
                path,
                line,
                problem,
            } => (path, line, problem, true),
        };
        Some(Skipped {
            path: path.clone(),
            line: *line,
            problem: problem.clone(),
            truncated,
        })
    }

    pub(crate) fn malformed(path: &str, line: usize, problem: impl Into<String>) -> ReadError {
        ReadError::Malformed {
            path: path.to_string(),
            line,
            problem: problem.into(),
        }
    }
}
