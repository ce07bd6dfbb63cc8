//! HTTP/1.x (RFC 9110, RFC 9112): a `HEAD` or `GET` request and the head of the response,
//! plus the `ncacn_http/1.0` greeting of RPC over HTTP v1 ([MS-RPCH] section 2.1.1) that
//! Windows' RPC proxy endpoint mapper sends unasked on port 593.
//!
//! The checker only needs to know that an HTTP server answers and what it says about
//! itself, so the subset is small:
//! * [`request`] builds a request line and four fixed headers (`Host`, `User-Agent:`
//!   [`USER_AGENT`], `Accept: */*`, `Connection: close`); the caller names the host (with a
//!   port if it is not the default) and the path. [`parse_request`] reads it back.
//! * [`parse_response_head`] reads the status line (RFC 9112 section 4) and the header
//!   fields (section 5), including obsolete folded lines, and stops at the empty line;
//!   the body is never looked at. [`head_complete`] tells the engine when to stop reading.
//! * [`is_rpc_over_http`] and [`parse_rpc_over_http`] recognise the RPC over HTTP greeting.
//!
//! Bounds: a head of at most [`MAX_HEAD`] bytes and [`MAX_HEADERS`] fields.

use core::fmt;

use crate::error::check_room;
use crate::simple::Escaped;
use crate::{Error, Result};

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("portolan/", env!("CARGO_PKG_VERSION"));

/// Longest response head accepted, status line and empty line included.
pub const MAX_HEAD: usize = 16 * 1024;

/// Most header fields kept from one head.
pub const MAX_HEADERS: usize = 100;

/// Longest `Host` value a request may carry (a DNS name, a port, brackets).
pub const MAX_HOST: usize = 262;

/// Longest request path.
pub const MAX_PATH: usize = 2048;

/// How much of a remote string a `Display` line shows.
const SHOWN: usize = 48;

/// The request methods the checker uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Asks for the head only; the usual probe.
    Head,
    /// Asks for the whole resource, for servers that mishandle `HEAD`.
    Get,
}

impl Method {
    /// The method token.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Head => "HEAD",
            Method::Get => "GET",
        }
    }
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= MAX_HOST
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:[]%".contains(&b))
}

fn valid_path(path: &str) -> bool {
    path.starts_with('/') && path.len() <= MAX_PATH && path.bytes().all(|b| b.is_ascii_graphic())
}

/// Builds an HTTP/1.1 request for `path` on `host`. The host is a name or address, with
/// `:port` when the port is not the scheme's default and IPv6 literals in brackets; the
/// path starts with `/` and holds printable ASCII only (percent-encode anything else).
pub fn request(method: Method, host: &str, path: &str) -> Result<Vec<u8>> {
    if !valid_host(host) {
        return Err(Error::Malformed {
            what: "HTTP request",
            why: "host must be 1-262 characters of a name, an address or a port",
        });
    }
    if !valid_path(path) {
        return Err(Error::malformed(
            "HTTP request",
            "path must start with / and hold printable ASCII only",
        ));
    }
    Ok(format!(
        "{} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n\
         Connection: close\r\n\r\n",
        method.as_str()
    )
    .into_bytes())
}

/// A request as read back by [`parse_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The request target.
    pub path: String,
    /// The `Host` field.
    pub host: String,
    /// The `User-Agent` field, if present.
    pub user_agent: Option<String>,
}

/// Reads a `HEAD` or `GET` request head (the inverse of [`request`]).
pub fn parse_request(bytes: &[u8]) -> Result<Request> {
    const WHAT: &str = "HTTP request";
    let head = bytes.get(..head_end(bytes, WHAT)?).unwrap_or_default();
    let (line, rest) = next_line(head);
    let line = core::str::from_utf8(line).map_err(|_| malformed(WHAT, "request line not ASCII"))?;
    let mut words = line.split(' ');
    let method = match words.next() {
        Some("HEAD") => Method::Head,
        Some("GET") => Method::Get,
        _ => return Err(Error::Unexpected("not a HEAD or GET request")),
    };
    let (Some(path), Some("HTTP/1.1" | "HTTP/1.0"), None) =
        (words.next(), words.next(), words.next())
    else {
        return Err(malformed(
            WHAT,
            "request line is not: method, target, version",
        ));
    };
    let fields = parse_fields(rest, WHAT)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let host = field("Host").ok_or(malformed(WHAT, "no Host field"))?;
    if !valid_host(&host) || !valid_path(path) {
        return Err(malformed(WHAT, "host or path not acceptable"));
    }
    Ok(Request {
        method,
        path: path.to_owned(),
        host,
        user_agent: field("User-Agent"),
    })
}

fn malformed(what: &'static str, why: &'static str) -> Error {
    Error::malformed(what, why)
}

/// The offset just past the empty line that ends a head (`\r\n\r\n`, or `\n\n` from
/// sloppy servers), if it lies within [`MAX_HEAD`] bytes.
pub fn head_len(bytes: &[u8]) -> Option<usize> {
    let window = bytes.get(..MAX_HEAD).unwrap_or(bytes);
    let mut line_start = 0;
    for (i, &byte) in window.iter().enumerate() {
        if byte != b'\n' {
            continue;
        }
        let line = window.get(line_start..i).unwrap_or_default();
        if line.is_empty() || line == b"\r" {
            // An empty first line is not the end of a head: there is no head yet.
            if line_start > 0 {
                return Some(i + 1);
            }
        }
        line_start = i + 1;
    }
    None
}

/// Whether the engine can stop reading: the head has ended, or it is longer than
/// [`MAX_HEAD`] and will be refused anyway.
pub fn head_complete(bytes: &[u8]) -> bool {
    head_len(bytes).is_some() || bytes.len() >= MAX_HEAD
}

fn head_end(bytes: &[u8], what: &'static str) -> Result<usize> {
    head_len(bytes).ok_or(if bytes.len() >= MAX_HEAD {
        Error::too_large(what, bytes.len(), MAX_HEAD)
    } else {
        Error::truncated(what, bytes.len() + 1, bytes.len())
    })
}

/// Splits off one line (without its `\n` or `\r\n`).
fn next_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(end) => {
            let line = bytes.get(..end).unwrap_or_default();
            (
                line.strip_suffix(b"\r").unwrap_or(line),
                bytes.get(end + 1..).unwrap_or_default(),
            )
        }
        None => (bytes.strip_suffix(b"\r").unwrap_or(bytes), &[]),
    }
}

fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Reads header fields up to the empty line; folded lines join the previous value.
fn parse_fields(mut rest: &[u8], what: &'static str) -> Result<Vec<(String, String)>> {
    let mut fields: Vec<(String, String)> = Vec::new();
    loop {
        let (line, after) = next_line(rest);
        rest = after;
        if line.is_empty() {
            return Ok(fields);
        }
        if let Some((b' ' | b'\t', continuation)) = line.split_first() {
            let (_, value) = fields
                .last_mut()
                .ok_or(malformed(what, "folded line before any field"))?;
            value.push(' ');
            value.push_str(&String::from_utf8_lossy(continuation.trim_ascii()));
            continue;
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(malformed(what, "field without a colon"))?;
        let (name, value) = line.split_at(colon);
        if name.is_empty() || !name.iter().copied().all(is_token_byte) {
            return Err(malformed(what, "field name is not a token"));
        }
        check_room(&fields, MAX_HEADERS, what)?;
        let value = value.get(1..).unwrap_or_default().trim_ascii();
        fields.push((
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8_lossy(value).into_owned(),
        ));
    }
}

/// An HTTP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// The major number.
    pub major: u8,
    /// The minor number.
    pub minor: u8,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP/{}.{}", self.major, self.minor)
    }
}

/// The head of an HTTP response: status line and header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The protocol version of the status line.
    pub version: Version,
    /// The three-digit status code.
    pub status: u16,
    /// The reason phrase (lossy UTF-8; may be empty).
    pub reason: String,
    /// Every header field in order, names as received, values trimmed (lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// Length of the head in bytes, empty line included: where the body starts.
    pub head_len: usize,
}

impl ResponseHead {
    /// The first value of the field `name` (compared without regard to case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the field `name`, in order.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Server` field: the software that answered.
    pub fn server(&self) -> Option<&str> {
        self.header("Server")
    }

    /// The `Content-Type` field.
    pub fn content_type(&self) -> Option<&str> {
        self.header("Content-Type")
    }

    /// The `Content-Length` field, when it is a decimal number.
    pub fn content_length(&self) -> Option<u64> {
        self.header("Content-Length")?.parse().ok()
    }

    /// The `Location` field of a redirect.
    pub fn location(&self) -> Option<&str> {
        self.header("Location")
    }

    /// The authentication schemes offered in `WWW-Authenticate` (`Negotiate`, `NTLM`,
    /// `Basic`, ...), the first word of each field.
    pub fn auth_schemes(&self) -> impl Iterator<Item = &str> + '_ {
        self.header_all("WWW-Authenticate")
            .filter_map(|value| value.split([' ', ',']).next())
            .filter(|scheme| !scheme.is_empty())
    }
}

impl fmt::Display for ResponseHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.version, self.status)?;
        if !self.reason.is_empty() {
            write!(f, " {}", Escaped::new(self.reason.as_bytes(), 32))?;
        }
        if let Some(server) = self.server() {
            write!(f, ", server {}", Escaped::new(server.as_bytes(), SHOWN))?;
        }
        if let (300..=399, Some(location)) = (self.status, self.location()) {
            write!(f, ", to {}", Escaped::new(location.as_bytes(), SHOWN))?;
        }
        let mut schemes = self.auth_schemes().peekable();
        if self.status == 401 && schemes.peek().is_some() {
            f.write_str(", auth")?;
            for scheme in schemes.take(4) {
                write!(f, " {}", Escaped::new(scheme.as_bytes(), 16))?;
            }
        }
        Ok(())
    }
}

fn parse_version(word: &[u8]) -> Option<Version> {
    match word {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Some(Version {
                major: major - b'0',
                minor: minor - b'0',
            })
        }
        _ => None,
    }
}

/// Reads the head of a response: the status line `HTTP/x.y ddd reason`, then header
/// fields up to the empty line. The body, if any, is left alone ([`ResponseHead::head_len`]
/// says where it starts).
pub fn parse_response_head(bytes: &[u8]) -> Result<ResponseHead> {
    const WHAT: &str = "HTTP response head";
    if !bytes.starts_with(b"HTTP/") {
        // Checked first so that a non-HTTP answer is named as such even when it is short.
        let prefix = bytes.get(..5).unwrap_or(bytes);
        if !b"HTTP/".starts_with(prefix) {
            return Err(Error::Unexpected("not an HTTP response"));
        }
    }
    let head_len = head_end(bytes, WHAT)?;
    let (line, rest) = next_line(bytes.get(..head_len).unwrap_or_default());
    let mut parts = line.splitn(3, |&b| b == b' ');
    let version = parts
        .next()
        .and_then(parse_version)
        .ok_or(malformed(WHAT, "bad version in the status line"))?;
    let status = parts
        .next()
        .filter(|code| code.len() == 3 && code.iter().all(u8::is_ascii_digit))
        .map(|code| {
            code.iter()
                .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'))
        })
        .filter(|code| (100..=599).contains(code))
        .ok_or(malformed(WHAT, "bad status code"))?;
    let reason =
        String::from_utf8_lossy(parts.next().unwrap_or_default().trim_ascii()).into_owned();
    Ok(ResponseHead {
        version,
        status,
        reason,
        headers: parse_fields(rest, WHAT)?,
        head_len,
    })
}

/// The greeting an RPC over HTTP v1 endpoint sends first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcOverHttpGreeting {
    /// The version after `ncacn_http/`, `1.0` in practice.
    pub version: String,
}

impl fmt::Display for RpcOverHttpGreeting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RPC over HTTP: ncacn_http/{}", self.version)
    }
}

const RPC_OVER_HTTP_PREFIX: &[u8] = b"ncacn_http/";

/// Whether `bytes` start with the RPC over HTTP greeting `ncacn_http/<digits>.<digits>`.
pub fn is_rpc_over_http(bytes: &[u8]) -> bool {
    parse_rpc_over_http(bytes).is_ok()
}

/// Reads the RPC over HTTP greeting: `ncacn_http/` and a version of the form `1.0` (no line
/// ending is sent; anything after the version that is not white space is refused).
pub fn parse_rpc_over_http(bytes: &[u8]) -> Result<RpcOverHttpGreeting> {
    const WHAT: &str = "RPC over HTTP greeting";
    let prefix = bytes.get(..RPC_OVER_HTTP_PREFIX.len()).unwrap_or(bytes);
    if !RPC_OVER_HTTP_PREFIX.starts_with(prefix) {
        return Err(Error::Unexpected("not an RPC over HTTP greeting"));
    }
    crate::error::need(bytes, RPC_OVER_HTTP_PREFIX.len(), WHAT)?;
    let rest = bytes.get(RPC_OVER_HTTP_PREFIX.len()..).unwrap_or_default();
    let version_len = rest
        .iter()
        .take(16)
        .position(|b| !(b.is_ascii_digit() || *b == b'.'))
        .unwrap_or(rest.len().min(16));
    let (version, tail) = rest.split_at(version_len);
    let mut parts = version.split(|&b| b == b'.');
    let well_formed = matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some([_, ..]), Some([_, ..]), None)
    );
    if !well_formed && tail.is_empty() {
        // No line ending follows the version, so a short read may simply stop early.
        return Err(Error::truncated(WHAT, bytes.len() + 1, bytes.len()));
    }
    if !well_formed || !tail.iter().all(u8::is_ascii_whitespace) {
        return Err(malformed(WHAT, "version is not <digits>.<digits>"));
    }
    Ok(RpcOverHttpGreeting {
        version: String::from_utf8_lossy(version).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEAD: &[u8] = include_bytes!("../tests/fixtures/http/nginx-1.22-head.bin");
    const GET: &[u8] = include_bytes!("../tests/fixtures/http/nginx-1.22-get.bin");
    const TLS_HEAD: &[u8] = include_bytes!("../tests/fixtures/http/nginx-1.22-tls-head.bin");
    const BAD: &[u8] = include_bytes!("../tests/fixtures/http/nginx-1.22-bad-request.bin");
    const NOT_FOUND: &[u8] = include_bytes!("../tests/fixtures/http/nginx-1.22-head-404.bin");
    const PLAIN_ON_TLS: &[u8] =
        include_bytes!("../tests/fixtures/http/nginx-1.22-plain-on-tls-port.bin");
    const SENT_HEAD: &[u8] = include_bytes!("../tests/fixtures/http/request-head.bin");

    #[test]
    fn request_bytes_are_the_ones_sent_to_nginx() {
        assert_eq!(USER_AGENT, "portolan/0.1.0");
        assert_eq!(request(Method::Head, "10.201.2.2", "/").unwrap(), SENT_HEAD);
        let parsed = parse_request(SENT_HEAD).unwrap();
        assert_eq!(parsed.method, Method::Head);
        assert_eq!(parsed.host, "10.201.2.2");
        assert_eq!(parsed.user_agent.as_deref(), Some(USER_AGENT));
    }

    #[test]
    fn request_refuses_injection() {
        for host in ["", "a b", "a\r\nX: y", "h\u{e9}"] {
            assert!(request(Method::Get, host, "/").is_err(), "{host:?}");
        }
        for path in ["", "x", "/a b", "/\r\n"] {
            assert!(request(Method::Get, "h", path).is_err(), "{path:?}");
        }
        assert!(request(Method::Get, "[fd00::1]:8080", "/owa/").is_ok());
    }

    #[test]
    fn nginx_head() {
        let head = parse_response_head(HEAD).unwrap();
        assert_eq!(head.version, Version { major: 1, minor: 1 });
        assert_eq!(head.status, 200);
        assert_eq!(head.reason, "OK");
        assert_eq!(head.server(), Some("nginx/1.22.1"));
        assert_eq!(head.content_type(), Some("text/html"));
        assert_eq!(head.content_length(), Some(19));
        assert_eq!(head.header("etag"), Some("\"6b083c97-13\""));
        assert_eq!(head.headers.len(), 8);
        assert_eq!(head.head_len, HEAD.len());
        assert_eq!(head.to_string(), "HTTP/1.1 200 OK, server nginx/1.22.1");
        assert_eq!(parse_response_head(TLS_HEAD).unwrap().status, 200);
    }

    #[test]
    fn nginx_get_body_is_left_alone() {
        let head = parse_response_head(GET).unwrap();
        assert_eq!(&GET[head.head_len..], b"portolan lab nginx\n");
        assert!(head_complete(GET));
    }

    #[test]
    fn nginx_errors() {
        let bad = parse_response_head(BAD).unwrap();
        assert_eq!((bad.status, bad.reason.as_str()), (400, "Bad Request"));
        assert_eq!(parse_response_head(NOT_FOUND).unwrap().status, 404);
        let plain = parse_response_head(PLAIN_ON_TLS).unwrap();
        assert_eq!(plain.status, 400);
        let body = &PLAIN_ON_TLS[plain.head_len..];
        assert!(body.windows(10).any(|w| w == b"HTTPS port"));
    }

    #[test]
    fn redirects_and_auth_are_shown() {
        let head = parse_response_head(
            b"HTTP/1.1 302 Found\r\nLocation: /owa/\r\nServer: Microsoft-IIS/10.0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            head.to_string(),
            "HTTP/1.1 302 Found, server Microsoft-IIS/10.0, to /owa/"
        );
        let head = parse_response_head(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\n\
              WWW-Authenticate: NTLM\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            head.auth_schemes().collect::<Vec<_>>(),
            ["Negotiate", "NTLM", "Basic"]
        );
        assert_eq!(
            head.to_string(),
            "HTTP/1.1 401 Unauthorized, auth Negotiate NTLM Basic"
        );
    }

    #[test]
    fn lenient_forms() {
        let head = parse_response_head(b"HTTP/1.0 200\nServer: a\n  b\nX-Empty:\n\nbody").unwrap();
        assert_eq!(head.reason, "");
        assert_eq!(head.server(), Some("a b"));
        assert_eq!(head.header("x-empty"), Some(""));
        assert_eq!(head.head_len, 37);
    }

    #[test]
    fn truncated_lying_and_foreign_input() {
        for cut in 0..HEAD.len() {
            let part = &HEAD[..cut];
            assert!(!head_complete(part), "cut at {cut}");
            assert!(
                matches!(parse_response_head(part), Err(Error::Truncated { .. })),
                "cut at {cut}"
            );
        }
        assert_eq!(
            parse_response_head(b"SSH-2.0-OpenSSH\r\n"),
            Err(Error::Unexpected("not an HTTP response"))
        );
        assert!(parse_response_head(b"HTTP/1.1 2000 OK\r\n\r\n").is_err());
        assert!(parse_response_head(b"HTTP/x.1 200 OK\r\n\r\n").is_err());
        assert!(parse_response_head(b"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n").is_err());
        assert!(parse_response_head(b"HTTP/1.1 200 OK\r\n Folded: first\r\n\r\n").is_err());
        let mut huge = b"HTTP/1.1 200 OK\r\n".to_vec();
        huge.resize(MAX_HEAD + 1, b'a');
        assert!(head_complete(&huge));
        assert!(matches!(
            parse_response_head(&huge),
            Err(Error::TooLarge { .. })
        ));
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for _ in 0..=MAX_HEADERS {
            many.extend_from_slice(b"A: b\r\n");
        }
        many.extend_from_slice(b"\r\n");
        assert!(matches!(
            parse_response_head(&many),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn rpc_over_http_greeting() {
        assert!(is_rpc_over_http(b"ncacn_http/1.0"));
        let greeting = parse_rpc_over_http(b"ncacn_http/1.0").unwrap();
        assert_eq!(greeting.to_string(), "RPC over HTTP: ncacn_http/1.0");
        for short in [
            &b"ncacn_ht"[..],
            b"ncacn_http/",
            b"ncacn_http/1",
            b"ncacn_http/1.",
        ] {
            assert!(matches!(
                parse_rpc_over_http(short),
                Err(Error::Truncated { .. })
            ));
        }
        assert!(matches!(
            parse_rpc_over_http(b"ncacn_http/x"),
            Err(Error::Malformed { .. })
        ));
        for other in [
            &b"HTTP/1.1 200 OK"[..],
            b"ncacn_http/x",
            b"ncacn_http/1.0junk",
            b"ncacn_http/1..0",
        ] {
            assert!(!is_rpc_over_http(other), "{other:?}");
        }
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
            if let Ok(head) = parse_response_head(&bytes) {
                prop_assert!(head.head_len <= bytes.len());
                let shown = head.to_string();
                prop_assert!(shown.bytes().all(|b| (0x20..=0x7e).contains(&b)));
            }
            let _ = parse_request(&bytes);
            let _ = parse_rpc_over_http(&bytes);
            let _ = head_complete(&bytes);
        }

        #[test]
        fn heads_with_a_prefix_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut bytes = b"HTTP/1.1 200 OK\r\n".to_vec();
            bytes.extend_from_slice(&tail);
            let _ = parse_response_head(&bytes).map(|head| head.to_string());
        }

        #[test]
        fn request_round_trips(
            get in any::<bool>(),
            host in "[a-z0-9.-]{1,40}(:[0-9]{1,5})?",
            path in "/[!-~]{0,60}",
        ) {
            let method = if get { Method::Get } else { Method::Head };
            let bytes = request(method, &host, &path).unwrap();
            let parsed = parse_request(&bytes).unwrap();
            prop_assert_eq!(parsed, Request {
                method, path, host, user_agent: Some(USER_AGENT.to_owned()),
            });
        }
    }
}
