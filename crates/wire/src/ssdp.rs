//! SSDP, the discovery part of UPnP (UPnP Device Architecture 1.1 section 1.3): an
//! M-SEARCH request sent by unicast to UDP 1900, and the HTTP-over-UDP answer.
//!
//! A search names a search target (`ST`): `ssdp:all` for everything, `upnp:rootdevice`, or a
//! device or service type such as `urn:schemas-upnp-org:device:Basic:1`. A responder answers
//! only for targets it has: a silent 1900 may be a listener with nothing of that type (the
//! apps lab's minissdpd ignores an `InternetGatewayDevice` search), so `ssdp:all` is the
//! default. Each matching device or service gets its own datagram; [`parse_response`] reads
//! one.
//!
//! The request is plain text; the response is an HTTP/1.1 status line and headers with no
//! body. Header names compare without case. Only the headers the checker shows are kept
//! (ST, USN, SERVER, LOCATION, CACHE-CONTROL), and the datagram's size and header count are
//! bounded.

use core::fmt;

use crate::error::answering;
use crate::simple::Escaped;
use crate::{Error, Result};

/// The well-known SSDP port.
pub const PORT: u16 = 1900;
/// The search target that asks for every device and service.
pub const ST_ALL: &str = "ssdp:all";
/// Largest response accepted.
pub const MAX_RESPONSE: usize = 8192;
/// Most header lines accepted in one response.
pub const MAX_HEADERS: usize = 64;
/// Longest header value kept.
pub const MAX_VALUE: usize = 512;

fn check_header_value(value: &str, what: &'static str) -> Result<()> {
    if value.is_empty() || value.len() > MAX_VALUE || value.bytes().any(|b| b.is_ascii_control()) {
        return Err(Error::Malformed {
            what,
            why: "empty, too long or holds control characters",
        });
    }
    Ok(())
}

/// Builds an M-SEARCH for search target `st` (use [`ST_ALL`] when unsure). `host` is the
/// value of the HOST header: the target's `address:1900` for a unicast search (the lab's
/// minissdpd also accepts the multicast group `239.255.255.250:1900`). `mx` is the most
/// seconds a responder may wait before answering; 1 keeps a probe short.
pub fn m_search(host: &str, st: &str, mx: u8) -> Result<Vec<u8>> {
    check_header_value(host, "SSDP HOST")?;
    check_header_value(st, "SSDP ST")?;
    Ok(format!(
        "M-SEARCH * HTTP/1.1\r\nHOST: {host}\r\nMAN: \"ssdp:discover\"\r\nMX: {mx}\r\nST: {st}\r\n\r\n"
    )
    .into_bytes())
}

/// One SSDP search response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// HTTP status code (200 for a match).
    pub status: u16,
    /// The reason phrase after the code.
    pub reason: String,
    /// `ST`: the search target this response is for.
    pub st: Option<String>,
    /// `USN`: the unique service name (`uuid:...::type`).
    pub usn: Option<String>,
    /// `SERVER`: OS, UPnP version and product.
    pub server: Option<String>,
    /// `LOCATION`: URL of the device description.
    pub location: Option<String>,
    /// `CACHE-CONTROL`, e.g. `max-age=120`.
    pub cache_control: Option<String>,
}

impl Response {
    /// Parses one response datagram.
    pub fn parse(bytes: &[u8]) -> Result<Response> {
        if bytes.len() > MAX_RESPONSE {
            return Err(Error::too_large("SSDP response", bytes.len(), MAX_RESPONSE));
        }
        let head = header_block(bytes).ok_or(Error::malformed(
            "SSDP response",
            "headers do not end with an empty line",
        ))?;
        let mut lines = head
            .split(|&b| b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
        let status_line = lines.next().unwrap_or_default();
        let mut response = Response::default();
        if status_line.starts_with(b"NOTIFY ") || status_line.starts_with(b"M-SEARCH ") {
            return Err(Error::Unexpected(
                "SSDP message is a request, not a response",
            ));
        }
        let rest = status_line
            .strip_prefix(b"HTTP/1.1 ")
            .or_else(|| status_line.strip_prefix(b"HTTP/1.0 "))
            .ok_or(Error::malformed(
                "SSDP status line",
                "does not start with HTTP/1.x",
            ))?;
        let code = rest.get(..3).unwrap_or_default();
        if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
            return Err(Error::malformed(
                "SSDP status line",
                "no three-digit status code",
            ));
        }
        response.status = code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
        response.reason = text(rest.get(4..).unwrap_or_default());
        for (count, line) in lines.enumerate() {
            if count >= MAX_HEADERS {
                return Err(Error::too_large("SSDP headers", count + 1, MAX_HEADERS));
            }
            let colon = line
                .iter()
                .position(|&b| b == b':')
                .ok_or(Error::malformed("SSDP header", "no colon"))?;
            let (name, value) = line.split_at(colon);
            let value = header_value(value.get(1..).unwrap_or_default());
            let slot = match name.trim_ascii().to_ascii_uppercase().as_slice() {
                b"ST" => &mut response.st,
                b"USN" => &mut response.usn,
                b"SERVER" => &mut response.server,
                b"LOCATION" => &mut response.location,
                b"CACHE-CONTROL" => &mut response.cache_control,
                _ => continue,
            };
            *slot = Some(value);
        }
        Ok(response)
    }

    /// Encodes the response, the inverse of [`Response::parse`]: an HTTP/1.1 status line,
    /// then CACHE-CONTROL, EXT (which UPnP requires and carries nothing), LOCATION, SERVER,
    /// ST and USN, those that are set. Refuses what would read back differently: a status
    /// over 999, a reason or value with a line break or over [`MAX_VALUE`] bytes, a value
    /// with surrounding whitespace.
    pub fn emit(&self) -> Result<Vec<u8>> {
        if self.status > 999 {
            return Err(Error::malformed("SSDP status", "more than three digits"));
        }
        let line_text = |text: &str, what| {
            if text.len() > MAX_VALUE || text.contains('\n') {
                Err(Error::malformed(
                    what,
                    "over 512 bytes or holds a line break",
                ))
            } else {
                Ok(())
            }
        };
        line_text(&self.reason, "SSDP reason phrase")?;
        let mut out = format!("HTTP/1.1 {:03} {}\r\n", self.status, self.reason);
        let headers = [
            ("CACHE-CONTROL", &self.cache_control),
            ("EXT", &None),
            ("LOCATION", &self.location),
            ("SERVER", &self.server),
            ("ST", &self.st),
            ("USN", &self.usn),
        ];
        for (name, value) in headers {
            if name == "EXT" {
                out.push_str("EXT:\r\n");
                continue;
            }
            if let Some(value) = value {
                line_text(value, "SSDP header value")?;
                if value.trim_ascii() != value {
                    return Err(Error::malformed(
                        "SSDP header value",
                        "surrounded by whitespace",
                    ));
                }
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str("\r\n");
        Ok(out.into_bytes())
    }

    /// True when this response answers a search for `st`: any response answers
    /// [`ST_ALL`], otherwise its ST must be the one asked for.
    pub fn matches(&self, st: &str) -> bool {
        st == ST_ALL
            || self
                .st
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(st))
    }
}

/// The status line and headers, without the empty line that must end them.
fn header_block(bytes: &[u8]) -> Option<&[u8]> {
    let end = bytes
        .windows(2)
        .enumerate()
        .find_map(|(at, pair)| match pair {
            b"\n\n" => Some(at),
            b"\n\r" if bytes.get(at + 2) == Some(&b'\n') => Some(at),
            _ => None,
        })?;
    bytes.get(..end)
}

/// A header value as text, cut at [`MAX_VALUE`] bytes (invalid UTF-8 replaced). The cut is
/// made again after the replacement (a replacement character is three bytes), so that the
/// text is within the bound and reads back the same when written.
fn text(bytes: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(bytes.get(..MAX_VALUE).unwrap_or(bytes)).into_owned();
    let mut end = text.len().min(MAX_VALUE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}

/// A header's value: [`text`] without surrounding whitespace (also after the cut).
fn header_value(bytes: &[u8]) -> String {
    text(bytes.trim_ascii()).trim_ascii().to_owned()
}

/// Parses a response and checks that it answers a search for `st`.
pub fn parse_response(bytes: &[u8], st: &str) -> Result<Response> {
    answering(
        Response::parse(bytes)?,
        |response| response.matches(st),
        "SSDP response is for another search target",
    )
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SSDP: {} {}",
            self.status,
            Escaped::new(self.reason.as_bytes(), 20)
        )?;
        // LOCATION is left out: ST and SERVER identify the responder, and the line stays short.
        let fields = [("ST", &self.st, 48), ("SERVER", &self.server, 40)];
        for (name, value, limit) in fields {
            if let Some(value) = value {
                write!(f, ", {name} {}", Escaped::new(value.as_bytes(), limit))?;
            }
        }
        Ok(())
    }
}

/// Emits a search response to an M-SEARCH: status 200, the search target it asked for, a
/// USN naming `uuid` and no LOCATION (a stand-in has no device description to point to).
/// Refuses what is not an M-SEARCH with an ST header.
pub fn emit_search_response(request: &[u8], uuid: &str) -> Result<Vec<u8>> {
    let head = header_block(request).ok_or(Error::malformed(
        "SSDP request",
        "headers do not end with an empty line",
    ))?;
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    if !lines.next().unwrap_or_default().starts_with(b"M-SEARCH ") {
        return Err(Error::Unexpected("SSDP message is not an M-SEARCH"));
    }
    let st = lines
        .find_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let (name, value) = line.split_at(colon);
            name.trim_ascii()
                .eq_ignore_ascii_case(b"ST")
                .then(|| header_value(value.get(1..).unwrap_or_default()))
        })
        .ok_or(Error::malformed("SSDP M-SEARCH", "no ST header"))?;
    check_header_value(&st, "SSDP ST")?;
    check_header_value(uuid, "SSDP USN")?;
    Response {
        status: 200,
        reason: "OK".to_owned(),
        st: Some(st),
        usn: Some(format!("uuid:{uuid}")),
        server: None,
        location: None,
        cache_control: Some("max-age=60".to_owned()),
    }
    .emit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REQUEST: &[u8] = include_bytes!("../tests/fixtures/ssdp/request-m-search-ssdp-all.bin");
    const MINISSDPD: &[u8] = include_bytes!("../tests/fixtures/ssdp/minissdpd-1.6-ssdp-all.bin");
    const BASIC: &str = "urn:schemas-upnp-org:device:Basic:1";

    #[test]
    fn request_is_what_was_sent() {
        assert_eq!(m_search("10.201.2.2:1900", ST_ALL, 1).unwrap(), REQUEST);
        assert!(m_search("h", "a\r\nX: injected", 1).is_err());
        assert!(m_search("h", "", 1).is_err());
    }

    #[test]
    fn minissdpd_response() {
        let response = parse_response(MINISSDPD, ST_ALL).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.reason, "OK");
        assert_eq!(response.st.as_deref(), Some(BASIC));
        assert_eq!(
            response.usn.as_deref(),
            Some("uuid:706f7274-6f6c-616e-2d6c-61622d617070::urn:schemas-upnp-org:device:Basic:1")
        );
        assert_eq!(
            response.location.as_deref(),
            Some("http://10.201.2.2/description.xml")
        );
        assert_eq!(response.cache_control.as_deref(), Some("max-age=120"));
        assert!(response.matches(BASIC));
        assert!(!response.matches("urn:schemas-upnp-org:device:InternetGatewayDevice:1"));
        assert_eq!(
            response.to_string(),
            "SSDP: 200 OK, ST urn:schemas-upnp-org:device:Basic:1, SERVER Linux/6 UPnP/1.1 \
             portolan-lab/1.0"
        );
    }

    #[test]
    fn requests_and_junk_are_refused() {
        assert!(matches!(
            Response::parse(REQUEST),
            Err(Error::Unexpected(_))
        ));
        assert!(Response::parse(b"").is_err());
        assert!(Response::parse(b"HTTP/1.1 2x0 OK\r\n\r\n").is_err());
        assert!(Response::parse(b"HTTP/1.1 200 OK\r\nST: x\r\n").is_err());
        assert!(Response::parse(b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n").is_err());
        let many = format!("HTTP/1.1 200 OK\r\n{}\r\n", "X: y\r\n".repeat(100));
        assert!(matches!(
            Response::parse(many.as_bytes()),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn every_truncation_is_refused() {
        let end = MINISSDPD.len() - 2;
        for cut in 0..end {
            assert!(Response::parse(&MINISSDPD[..cut]).is_err(), "cut {cut}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(response) = Response::parse(&bytes) {
                prop_assert!(response.to_string().bytes().all(|b| (0x20..=0x7e).contains(&b)));
            }
        }

        #[test]
        fn headers_round_trip(st in "[a-z:0-9-]{1,60}", server in "[ -~]{1,60}", location in "[!-~]{1,80}") {
            let server = server.trim().to_owned();
            prop_assume!(!server.is_empty());
            let datagram = format!(
                "HTTP/1.1 200 OK\r\nst:{st}\r\nServer:  {server}\r\nLOCATION: {location}\r\n\r\n"
            );
            let response = parse_response(datagram.as_bytes(), &st).unwrap();
            prop_assert_eq!(response.st, Some(st));
            prop_assert_eq!(response.server, Some(server));
            prop_assert_eq!(response.location, Some(location));
        }
    }

    #[test]
    fn an_emitted_search_response_answers_the_search() {
        let request = m_search("239.255.255.250:1900", ST_ALL, 1).unwrap();
        let reply = emit_search_response(&request, "portolan").unwrap();
        assert!(reply.len() <= request.len());
        let parsed = parse_response(&reply, ST_ALL).unwrap();
        assert_eq!(parsed.status, 200);
        assert_eq!(parsed.st.as_deref(), Some(ST_ALL));
        assert!(emit_search_response(&reply, "portolan").is_err());
    }

    /// Regression (found by the round trip): a value cut at 512 bytes could end in
    /// whitespace or, not being UTF-8, grow threefold past the bound; neither read back.
    #[test]
    fn values_stay_trimmed_and_bounded_after_the_cut() {
        let mut wide = b"HTTP/1.1 200 OK\r\nST: ".to_vec();
        wide.extend_from_slice(&[0xff; 600]);
        wide.extend_from_slice(b"\r\nSERVER: a");
        wide.extend_from_slice(&[b' '; 511]);
        wide.extend_from_slice(b"b\r\n\r\n");
        let response = Response::parse(&wide).unwrap();
        assert!(response.st.as_ref().unwrap().len() <= MAX_VALUE);
        assert_eq!(response.server.as_deref(), Some("a"));
        assert_eq!(
            Response::parse(&response.emit().unwrap()).unwrap(),
            response
        );
    }

    #[test]
    fn the_listeners_answer_is_the_response_emit() {
        let answer = emit_search_response(REQUEST, "x").unwrap();
        assert_eq!(
            answer,
            b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=60\r\nEXT:\r\nST: ssdp:all\r\nUSN: uuid:x\r\n\r\n"
        );
        assert!(
            Response {
                status: 1000,
                ..Response::default()
            }
            .emit()
            .is_err()
        );
    }
}
