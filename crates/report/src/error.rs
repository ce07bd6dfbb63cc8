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
}

impl ReadError {
    pub(crate) fn malformed(path: &str, line: usize, problem: impl Into<String>) -> ReadError {
        ReadError::Malformed {
            path: path.to_string(),
            line,
            problem: problem.into(),
        }
    }
}
