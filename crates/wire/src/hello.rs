//! The portolan hello: a one-line exchange that proves a probe reached `portolan listen`
//! and not a SYN proxy, a load balancer or another server.
//!
//! The prober sends `PORTOLAN/1 PING <token>\n`, where the token is 32 lowercase hex digits
//! (128 random bits, new for every run); the listener answers `PORTOLAN/1 PONG <token>\n`
//! with the same token. Both lines are 49 bytes, so a UDP answer is never larger than the
//! request. Over TCP the listener may first send a protocol greeting (SMTP's 220 line): the
//! prober looks for the answer anywhere in what it reads ([`find_pong`]).
//!
//! Nothing else speaks this, so an echoed token is proof that the probe's bytes reached
//! the listener itself: a middlebox that completes handshakes cannot know the token.
//!
//! ```
//! use portolan_wire::hello;
//! let token = hello::Token::from_bytes([7; 16]);
//! let ping = hello::ping(&token);
//! let answer = hello::pong_for(&ping).unwrap();
//! assert!(hello::find_pong(&answer, &token));
//! assert_eq!(ping.len(), answer.len());
//! ```

use core::fmt;

use crate::{Error, Result};

/// What every hello line starts with.
pub const MAGIC: &[u8] = b"PORTOLAN/1 ";
const PING: &[u8] = b"PING ";
const PONG: &[u8] = b"PONG ";
/// Hex digits of a token.
pub const TOKEN_HEX: usize = 32;
/// Length of a ping or pong line: magic, verb, token, newline.
pub const LINE_LEN: usize = MAGIC.len() + PING.len() + TOKEN_HEX + 1;

/// A run's random token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Token([u8; 16]);

impl Token {
    /// A token from 16 bytes (random ones: the caller's generator).
    pub const fn from_bytes(bytes: [u8; 16]) -> Token {
        Token(bytes)
    }

    /// The token as 32 lowercase hex digits.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads 32 hex digits.
    pub fn parse_hex(text: &[u8]) -> Result<Token> {
        // Hex digits only: `from_str_radix` would also take a sign (`+f`).
        if text.len() != TOKEN_HEX || !text.iter().all(u8::is_ascii_hexdigit) {
            return Err(Error::malformed(
                "portolan hello token",
                "not 32 hex digits",
            ));
        }
        let mut bytes = [0u8; 16];
        for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
            let digits = core::str::from_utf8(pair)
                .map_err(|_| Error::malformed("portolan hello token", "not hex"))?;
            *byte = u8::from_str_radix(digits, 16)
                .map_err(|_| Error::malformed("portolan hello token", "not hex"))?;
        }
        Ok(Token(bytes))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({})", self.hex())
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

fn line(verb: &[u8], token: &Token) -> Vec<u8> {
    let mut out = Vec::with_capacity(LINE_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(verb);
    out.extend_from_slice(token.hex().as_bytes());
    out.push(b'\n');
    out
}

/// The prober's line.
pub fn ping(token: &Token) -> Vec<u8> {
    line(PING, token)
}

/// The listener's line.
pub fn pong(token: &Token) -> Vec<u8> {
    line(PONG, token)
}

/// Reads a ping (a whole datagram, or the start of what a TCP client sent; a trailing
/// `\r` before the newline is allowed) and returns its token.
pub fn parse_ping(bytes: &[u8]) -> Result<Token> {
    let rest = bytes
        .strip_prefix(MAGIC)
        .and_then(|rest| rest.strip_prefix(PING))
        .ok_or(Error::Unexpected("not a portolan hello"))?;
    let digits =
        rest.get(..TOKEN_HEX)
            .ok_or(Error::truncated("portolan hello", LINE_LEN, bytes.len()))?;
    Token::parse_hex(digits)
}

/// The answer to a ping, or an error when `request` is not one.
pub fn pong_for(request: &[u8]) -> Result<Vec<u8>> {
    parse_ping(request).map(|token| pong(&token))
}

/// Whether `received` (a datagram, or everything read from a TCP stream so far, a greeting
/// included) holds the pong for `token`.
pub fn find_pong(received: &[u8], token: &Token) -> bool {
    let wanted = pong(token);
    received
        .windows(wanted.len())
        .any(|w| w == wanted.as_slice())
}

/// Whether `received` holds a pong with another token (a listener of another run, or a
/// replay): something portolan-shaped answered, but not to this probe.
pub fn find_any_pong(received: &[u8]) -> bool {
    let mut prefix = MAGIC.to_vec();
    prefix.extend_from_slice(PONG);
    received
        .windows(prefix.len())
        .any(|w| w == prefix.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_and_pong_round_trip_at_equal_length() {
        let token = Token::from_bytes(*b"0123456789abcdef");
        let ping = ping(&token);
        assert_eq!(ping.len(), LINE_LEN);
        assert_eq!(parse_ping(&ping).unwrap(), token);
        let answer = pong_for(&ping).unwrap();
        assert_eq!(answer.len(), ping.len());
        let mut stream = b"220 mail ESMTP\r\n".to_vec();
        stream.extend_from_slice(&answer);
        assert!(find_pong(&stream, &token));
        assert!(!find_pong(&stream, &Token::from_bytes([0; 16])));
        assert!(find_any_pong(&stream));
    }

    #[test]
    fn other_bytes_are_not_a_ping() {
        assert!(parse_ping(b"").is_err());
        assert!(parse_ping(b"PORTOLAN/1 PING 12").is_err());
        assert!(parse_ping(b"PORTOLAN/1 PONG 0123456789abcdef0123456789abcdef\n").is_err());
        assert!(parse_ping(b"PORTOLAN/1 PING 0123456789abcdef0123456789abcdeg\n").is_err());
        assert!(pong_for(b"GET / HTTP/1.0\r\n").is_err());
    }

    /// Regression (found by the round trip): a sign passed for a hex digit, so
    /// `PING +f...` read as the token `0f...` and the pong named a token the ping did not.
    #[test]
    fn a_token_is_hex_digits_only() {
        let mut line = ping(&Token::from_bytes([0x0f; 16]));
        line[MAGIC.len() + PING.len()] = b'+';
        assert!(parse_ping(&line).is_err());
        assert!(Token::parse_hex(b"+f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f").is_err());
    }
}
