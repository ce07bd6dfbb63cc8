//! Turning input bytes into text, and the small pieces of text parsing every line-based
//! source shares (socket addresses, fields).

use std::borrow::Cow;
use std::net::IpAddr;

use crate::error::{AuditError, ErrorKind};
use portolan_catalog::Transport;

use crate::listener::{ANY_V6, Format, Listener, Origin, Parsed, SocketState};

/// The largest input read, in bytes.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;
/// The most listeners one input may hold; a busy server has a few thousand.
pub const MAX_LISTENERS: usize = 200_000;

/// How strict decoding is about bytes that are not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Legacy8Bit {
    /// Invalid UTF-8 is an error.
    Refuse,
    /// Invalid UTF-8 is read as Latin-1: Windows consoles write `netstat` in an OEM code page
    /// (German "ABHÖREN"), and only the row shapes matter.
    AcceptAsLatin1,
}

/// Checks the size, strips a byte order mark, decodes UTF-16 (which Windows PowerShell's
/// `>` writes), and refuses binary data.
pub(crate) fn decode<'a>(
    origin: &str,
    bytes: &'a [u8],
    legacy: Legacy8Bit,
) -> Result<Cow<'a, str>, AuditError> {
    check_size(origin, bytes.len())?;
    let text: Cow<'a, str> = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        utf8(origin, rest, legacy)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        Cow::Owned(utf16(origin, rest, u16::from_le_bytes)?)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        Cow::Owned(utf16(origin, rest, u16::from_be_bytes)?)
    } else if looks_like_utf16le(bytes) {
        Cow::Owned(utf16(origin, bytes, u16::from_le_bytes)?)
    } else {
        utf8(origin, bytes, legacy)?
    };
    refuse_control_bytes(origin, &text)?;
    Ok(text)
}

pub(crate) fn check_size(origin: &str, len: usize) -> Result<(), AuditError> {
    if len > MAX_INPUT_BYTES {
        return Err(AuditError::new(
            ErrorKind::TooLarge,
            origin,
            0,
            format!("the input is {len} bytes, more than the {MAX_INPUT_BYTES}-byte limit"),
            "a listener listing (a few megabytes at most); filter it to listening sockets first",
        ));
    }
    Ok(())
}

/// ASCII text saved as UTF-16LE without a byte order mark has a NUL after every character.
fn looks_like_utf16le(bytes: &[u8]) -> bool {
    let sample: Vec<u8> = bytes.iter().take(64).copied().collect();
    sample.len() >= 8
        && sample.len() % 2 == 0
        && sample.chunks(2).all(|pair| match pair {
            [lo, 0] => *lo != 0 && lo.is_ascii(),
            _ => false,
        })
}

fn utf8<'a>(origin: &str, bytes: &'a [u8], legacy: Legacy8Bit) -> Result<Cow<'a, str>, AuditError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(e) => {
            let valid = e.valid_up_to();
            let line = line_of_offset(bytes, valid);
            if bytes.contains(&0) {
                return Err(binary(
                    origin,
                    line_of_offset(bytes, nul_at(bytes)),
                    "a NUL byte",
                ));
            }
            match legacy {
                Legacy8Bit::AcceptAsLatin1 => {
                    Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()))
                }
                Legacy8Bit::Refuse => Err(AuditError::new(
                    ErrorKind::NotUtf8,
                    origin,
                    line,
                    format!("byte {valid} is not valid UTF-8"),
                    "UTF-8 text (or UTF-16 with a byte order mark)",
                )),
            }
        }
    }
}

fn utf16(origin: &str, bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, AuditError> {
    let pairs = bytes.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(AuditError::new(
            ErrorKind::Truncated,
            origin,
            0,
            "the UTF-16 text ends in the middle of a character (odd number of bytes)",
            "complete UTF-16 text",
        ));
    }
    let units = pairs.map(|p| unit([p[0], p[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    for (index, c) in char::decode_utf16(units).enumerate() {
        match c {
            Ok(c) => out.push(c),
            Err(_) => {
                return Err(AuditError::new(
                    ErrorKind::NotUtf8,
                    origin,
                    out.matches('\n').count() + 1,
                    format!("UTF-16 unit {index} is an unpaired surrogate"),
                    "valid UTF-16 text",
                ));
            }
        }
    }
    Ok(out)
}

fn nul_at(bytes: &[u8]) -> usize {
    bytes.iter().position(|&b| b == 0).unwrap_or(0)
}

fn binary(origin: &str, line: usize, what: &str) -> AuditError {
    AuditError::new(
        ErrorKind::Binary,
        origin,
        line,
        format!("binary data ({what}), not text"),
        "the text output of ss, netstat, /proc/net/*, PowerShell's ConvertTo-Json or nmap -oX",
    )
}

/// Text never holds NUL or most C0 control bytes; tab, CR, LF, form feed and escape
/// (terminal colours) are allowed. Nor does it hold U+FFFE, which is a UTF-16 byte order
/// mark read the wrong way round.
fn refuse_control_bytes(origin: &str, text: &str) -> Result<(), AuditError> {
    // Bytes rather than characters: an ASCII control byte never occurs inside a multi-byte
    // UTF-8 sequence, so this finds the same first one without decoding every character
    // (decoding was a fifth of a large audit's time).
    let control = text
        .bytes()
        .enumerate()
        .find(|&(_, b)| {
            b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r' | b'\x0c' | b'\x1b')
        })
        .map(|(at, b)| (at, u32::from(b)));
    let reversed_bom = text.find('\u{fffe}').map(|at| (at, 0xfffe));
    match [control, reversed_bom].into_iter().flatten().min() {
        Some((at, c)) => Err(binary(
            origin,
            line_of_offset(text.as_bytes(), at),
            &format!("control byte 0x{c:02x}"),
        )),
        None => Ok(()),
    }
}

/// 1-based line of a byte offset.
pub(crate) fn line_of_offset(bytes: &[u8], offset: usize) -> usize {
    let end = offset.min(bytes.len());
    bytes
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

/// The 1-based lines of offsets that mostly ascend, as a parser meets them: each look-up
/// counts only the newlines since the previous one, so numbering every event of a large
/// input reads the input once instead of once per event.
pub(crate) struct LineCursor<'t> {
    bytes: &'t [u8],
    offset: usize,
    line: usize,
}

impl<'t> LineCursor<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        LineCursor {
            bytes: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of `offset`; an offset before the previous one is counted from the start.
    pub(crate) fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.bytes.len());
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let newlines = self
            .bytes
            .get(self.offset..offset)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        self.line += newlines;
        self.offset = offset;
        self.line
    }
}

/// Lines with their 1-based numbers, and whether each one was cut short (the input's last
/// line without a newline).
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str, bool)> {
    let ends_cleanly = text.ends_with('\n');
    let count = text.lines().count();
    text.lines()
        .enumerate()
        .map(move |(i, line)| (i + 1, line, i + 1 == count && !ends_cleanly))
}

/// Splits off `n` whitespace-separated fields and returns them with the rest of the line
/// (leading whitespace removed), or `None` when the line has fewer fields.
pub(crate) fn split_fields(line: &str, n: usize) -> Option<(Vec<&str>, &str)> {
    let mut fields = Vec::with_capacity(n);
    let mut rest = line.trim_start();
    for _ in 0..n {
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (field, after) = rest.split_at(end);
        fields.push(field);
        rest = after.trim_start();
    }
    Some((fields, rest))
}

/// A socket address as `ss` and `netstat` print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextAddr {
    pub address: IpAddr,
    pub interface: Option<String>,
    /// `None` for `*`.
    pub port: Option<u16>,
}

/// The listener a row of `ss` or `netstat` text stands for, at `address` in `format`'s
/// `origin`, line `line`. A row without a port (`*`, 0) is counted as not listening and gives
/// `None`; a row past [`MAX_LISTENERS`] is an error.
pub(crate) fn text_listener(
    parsed: &mut Parsed,
    origin: (Format, &str, usize),
    transport: Transport,
    address: TextAddr,
    state: SocketState,
) -> Result<Option<Listener>, AuditError> {
    let (format, source, line) = origin;
    let Some(port) = address.port.filter(|&p| p != 0) else {
        parsed.not_listening += 1;
        return Ok(None);
    };
    if parsed.listeners.len() >= MAX_LISTENERS {
        return Err(crate::source::proc_net::too_many(source, line));
    }
    let mut listener = Listener::new(
        transport,
        address.address,
        port,
        state,
        Origin {
            format,
            source: source.to_string(),
            line,
        },
    );
    listener.interface = address.interface;
    Ok(Some(listener))
}

/// Parses `10.0.0.1:53`, `0.0.0.0%eth0:67`, `[::]:135`, `[fe80::1%12]:53`,
/// `[fe80::1]%eth0:546`, `*:22`, `:::22` and `::ffff:10.0.0.1:80`; the port may be `*`.
pub(crate) fn parse_text_addr(text: &str) -> Option<TextAddr> {
    let (host, port) = text.rsplit_once(':')?;
    let port = match port {
        "*" => None,
        digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse::<u16>().ok()?)
        }
        _ => return None,
    };
    let (host, interface) = if let Some(inner) = host.strip_prefix('[') {
        let (inside, after) = inner.split_once(']')?;
        let after_zone = match after {
            "" => None,
            zone => Some(zone.strip_prefix('%')?),
        };
        match inside.split_once('%') {
            Some((addr, zone)) => (addr, Some(zone)),
            None => (inside, after_zone),
        }
    } else {
        match host.split_once('%') {
            Some((addr, zone)) => (addr, Some(zone)),
            None => (host, None),
        }
    };
    // `ss` prints a dual-stack wildcard socket as `*`.
    let address = match host {
        "*" => ANY_V6,
        other => other.parse().ok()?,
    };
    let interface = interface.filter(|z| !z.is_empty()).map(str::to_string);
    Some(TextAddr {
        address,
        interface,
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_control_byte_or_reversed_mark_is_named_with_its_line() {
        let cases: [(&str, Option<(usize, &str)>); 7] = [
            ("tcp 0.0.0.0:22\tLISTEN\r\n\x1b[0m\x0c\n", None),
            ("caf\u{e9} \u{4e2d}\u{6587}\n", None),
            ("a\nb\x01c\n", Some((2, "control byte 0x01"))),
            ("a\n\u{e9}\x7f\n", Some((2, "control byte 0x7f"))),
            ("a\nb\nc\u{fffe}\x02", Some((3, "control byte 0xfffe"))),
            ("\x02\n\u{fffe}", Some((1, "control byte 0x02"))),
            ("x\u{fffe}\n\x00", Some((1, "control byte 0xfffe"))),
        ];
        for (text, want) in cases {
            let got = refuse_control_bytes("t", text).err();
            match (got, want) {
                (None, None) => {}
                (Some(e), Some((line, what))) => {
                    assert_eq!(e.line, line, "{text:?}");
                    assert!(e.to_string().contains(what), "{text:?}: {e}");
                }
                (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    proptest::proptest! {
        /// The byte scan finds what a scan of every character finds (the rule as first
        /// written): the same first offending character, or none.
        #[test]
        fn the_byte_scan_agrees_with_a_character_scan(text in "(?s)[a-z\t\n\r\x00-\x1f\x7f\u{e9}\u{4e2d}\u{fffe}\u{1f600}]{0,40}") {
            let by_chars = text
                .char_indices()
                .find(|&(_, c)| {
                    (c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b'))
                        || c == '\u{fffe}'
                })
                .map(|(at, c)| {
                    let line = line_of_offset(text.as_bytes(), at);
                    (line, format!("binary data (control byte 0x{:02x}), not text", u32::from(c)))
                });
            let by_bytes = refuse_control_bytes("t", &text).err().map(|e| (e.line, e.problem));
            proptest::prop_assert_eq!(by_bytes, by_chars);
        }
    }

    fn addr(text: &str) -> (String, Option<String>, Option<u16>) {
        let a = parse_text_addr(text).unwrap_or_else(|| panic!("{text} refused"));
        (a.address.to_string(), a.interface, a.port)
    }

    #[test]
    fn address_forms() {
        assert_eq!(addr("10.201.0.2:53"), ("10.201.0.2".into(), None, Some(53)));
        assert_eq!(
            addr("0.0.0.0%papps-ns:67"),
            ("0.0.0.0".into(), Some("papps-ns".into()), Some(67))
        );
        assert_eq!(addr("[::]:135"), ("::".into(), None, Some(135)));
        assert_eq!(
            addr("[fe80::1%12]:53"),
            ("fe80::1".into(), Some("12".into()), Some(53))
        );
        assert_eq!(
            addr("[fe80::1]%eth0:546"),
            ("fe80::1".into(), Some("eth0".into()), Some(546))
        );
        assert_eq!(addr("*:22"), ("::".into(), None, Some(22)));
        assert_eq!(addr(":::22"), ("::".into(), None, Some(22)));
        assert_eq!(addr("0.0.0.0:*"), ("0.0.0.0".into(), None, None));
        assert_eq!(
            addr("::ffff:10.0.0.1:80"),
            ("::ffff:10.0.0.1".into(), None, Some(80))
        );
        for bad in [
            "",
            "10.0.0.1",
            "10.0.0.1:",
            "10.0.0.1:99999",
            "host:80",
            "[::1:80",
            "[::1]x:80",
        ] {
            assert!(parse_text_addr(bad).is_none(), "{bad} accepted");
        }
    }

    #[test]
    fn decoding() {
        let text = decode("t", b"\xEF\xBB\xBFabc\n", Legacy8Bit::Refuse).unwrap();
        assert_eq!(text, "abc\n");
        let utf16: Vec<u8> = "TCP x\r\n"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend(&utf16);
        assert_eq!(
            decode("t", &with_bom, Legacy8Bit::Refuse).unwrap(),
            "TCP x\r\n"
        );
        assert_eq!(
            decode("t", &utf16, Legacy8Bit::Refuse).unwrap(),
            "TCP x\r\n"
        );
        let err = decode("t", b"ab\ncd\0ef", Legacy8Bit::Refuse).unwrap_err();
        assert_eq!((err.kind, err.line), (ErrorKind::Binary, 2));
        let err = decode("t", b"ok\n\xff\xfe\xfdx", Legacy8Bit::Refuse).unwrap_err();
        assert_eq!((err.kind, err.line), (ErrorKind::NotUtf8, 2));
        let latin = decode("t", b"ABH\x99REN", Legacy8Bit::AcceptAsLatin1).unwrap();
        assert!(latin.starts_with("ABH"));
        let err = decode("t", b"a\x01b", Legacy8Bit::AcceptAsLatin1).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Binary);
        let err = decode("t", &[0xFF, 0xFE, 0x41], Legacy8Bit::Refuse).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Truncated);
    }

    #[test]
    fn line_cursor_agrees_with_counting_from_the_start() {
        let text = "a\nbc\n\ndef\ng";
        let mut cursor = LineCursor::new(text);
        for offset in [0, 1, 2, 4, 5, 6, 9, 13, 99, 3, 0, 8] {
            assert_eq!(
                cursor.line_at(offset),
                line_of_offset(text.as_bytes(), offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn fields_and_rest() {
        let (fields, rest) = split_fields("  a  b c d e", 2).unwrap();
        assert_eq!(fields, ["a", "b"]);
        assert_eq!(rest, "c d e");
        assert!(split_fields("a", 2).is_none());
    }
}
