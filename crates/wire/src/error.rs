//! The one error type of every decoder in this crate.

use thiserror::Error;

/// Why bytes could not be decoded (or a request could not be encoded).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// The buffer ends before a field that the format requires.
    #[error("truncated: {what} needs {need} bytes, only {have} available")]
    Truncated {
        what: &'static str,
        need: usize,
        have: usize,
    },
    /// A field holds a value that the format does not allow.
    #[error("malformed {what}: {why}")]
    Malformed {
        what: &'static str,
        why: &'static str,
    },
    /// The bytes are well formed but are not the reply this probe asked for.
    #[error("unexpected reply: {0}")]
    Unexpected(&'static str),
    /// A length or count exceeds the bound this decoder accepts.
    #[error("{what} too large: {value} exceeds the limit of {limit}")]
    TooLarge {
        what: &'static str,
        value: usize,
        limit: usize,
    },
}

impl Error {
    /// [`Error::Truncated`]: `what` needs `need` bytes and `have` are there.
    pub const fn truncated(what: &'static str, need: usize, have: usize) -> Self {
        Self::Truncated { what, need, have }
    }

    /// [`Error::Malformed`]: `what` holds a value the format does not allow, because `why`.
    pub const fn malformed(what: &'static str, why: &'static str) -> Self {
        Self::Malformed { what, why }
    }

    /// [`Error::TooLarge`]: `what` is `value`, over `limit`.
    pub const fn too_large(what: &'static str, value: usize, limit: usize) -> Self {
        Self::TooLarge { what, value, limit }
    }
}

/// Result of every decoder in this crate.
pub type Result<T> = core::result::Result<T, Error>;

/// Checks that `buf` holds at least `need` bytes, naming `what` in the error.
pub fn need(buf: &[u8], need: usize, what: &'static str) -> Result<()> {
    if buf.len() < need {
        Err(Error::truncated(what, need, buf.len()))
    } else {
        Ok(())
    }
}

/// Checks that `list`, bounded by `limit`, has room for one more item, naming `what` in the
/// error: the guard of every decoder loop that collects what a peer sends.
pub fn check_room<T>(list: &[T], limit: usize, what: &'static str) -> Result<()> {
    if list.len() >= limit {
        Err(Error::too_large(what, list.len() + 1, limit))
    } else {
        Ok(())
    }
}

/// `reply` when `answers` says it answers our request (its transaction id, cookie or
/// search target matches), or [`Error::Unexpected`] with `why`: the last step of every
/// `parse_*_to` that pairs a reply with the probe that asked for it.
pub fn answering<T>(reply: T, answers: impl FnOnce(&T) -> bool, why: &'static str) -> Result<T> {
    if answers(&reply) {
        Ok(reply)
    } else {
        Err(Error::Unexpected(why))
    }
}

/// `buf[range]`, or [`Error::Truncated`] naming `what` when `buf` ends before `range.end`.
pub fn slice<'a>(
    buf: &'a [u8],
    range: core::ops::Range<usize>,
    what: &'static str,
) -> Result<&'a [u8]> {
    let need = range.end;
    buf.get(range)
        .ok_or(Error::truncated(what, need, buf.len()))
}
