//! Truncated, binary, oversized and mislabelled input: a clear error naming the source, the
//! line and what was expected; never a panic.

mod support;

use portolan_audit::{ErrorKind, Format, MAX_INPUT_BYTES, MAX_LISTENERS, parse};
use support::fixture;

/// One fixture per format.
const SAMPLES: &[(&str, Format)] = &[
    ("samba-dc/proc-net-tcp.txt", Format::ProcNet),
    ("samba-dc/ss-lntup.txt", Format::Ss),
    ("windows-dc/netstat-anob.txt", Format::Netstat),
    ("powershell/get-nettcpconnection.json", Format::PowerShell),
    ("samba-dc/nmap-tcp.xml", Format::NmapXml),
];

/// Cuts `text` in the middle of the line holding `needle`, just after it.
fn cut_after<'a>(text: &'a str, needle: &str) -> &'a str {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in fixture"));
    &text[..at + needle.len()]
}

#[test]
fn truncation_in_a_row_or_element_is_named() {
    let cases = [
        ("samba-dc/proc-net-tcp.txt", "0200C90A:0CC5 0000"),
        (
            "samba-dc/ss-lntup.txt",
            "udp   UNCONN 0      0           10.201.0.2:5",
        ),
        ("windows-dc/netstat-anob.txt", "  TCP    0.0.0.0:3268"),
        (
            "powershell/get-nettcpconnection.json",
            "\"LocalAddress\":  \"0.0",
        ),
        (
            "samba-dc/nmap-tcp.xml",
            "<port protocol=\"tcp\" portid=\"445\">",
        ),
        ("samba-dc/nmap-udp.xml", "</ports>"),
        ("samba-dc/nmap-udp.xml", "<port protocol=\"udp\" por"),
    ];
    for (name, needle) in cases {
        let bytes = fixture(name);
        let text = std::str::from_utf8(&bytes).unwrap();
        let cut = cut_after(text, needle);
        let err = parse(name, cut.as_bytes(), None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Truncated, "{name}: {err}");
        assert!(err.line > 0, "{name}: {err}");
        assert!(
            err.to_string()
                .starts_with(&format!("{name}:{}: ", err.line)),
            "{err}"
        );
        assert!(!err.expected.is_empty(), "{name}");
    }
}

#[test]
fn every_cut_of_every_sample_is_an_answer_not_a_panic() {
    for &(name, format) in SAMPLES {
        let bytes = fixture(name);
        let step = (bytes.len() / 97).max(1);
        for end in (0..bytes.len()).step_by(step) {
            let cut = &bytes[..end];
            let _ = parse(name, cut, None);
            let _ = parse(name, cut, Some(format));
        }
    }
}

#[test]
fn binary_input_is_refused() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0";
    for bytes in [&png[..], &elf[..]] {
        let err = parse("blob", bytes, None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Binary, "{err}");
        for &(_, format) in SAMPLES {
            let err = parse("blob", bytes, Some(format)).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Binary, "{format}: {err}");
        }
    }
    // A NUL in the middle of a real capture is found on its line.
    let mut ss = fixture("samba-dc/ss-lntup.txt");
    let third_line = ss
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0;
    ss[third_line + 5] = 0;
    let err = parse("ss.txt", &ss, None).unwrap_err();
    assert_eq!((err.kind, err.line), (ErrorKind::Binary, 3), "{err}");
}

#[test]
fn invalid_utf8_is_refused_except_for_netstat() {
    let mut ss = fixture("samba-dc/ss-lntup.txt");
    ss[200] = 0xC3;
    ss[201] = 0x28;
    let err = parse("ss.txt", &ss, None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotUtf8, "{err}");
    // The German console's code page 850 is not UTF-8, yet netstat output reads.
    let german = parse(
        "netstat.txt",
        &fixture("windows-dc/netstat-ano-de-cp850.txt"),
        None,
    )
    .unwrap();
    assert_eq!(german.format, Format::Netstat);
}

#[test]
fn oversized_input_is_refused_before_reading_it() {
    let big = vec![b' '; MAX_INPUT_BYTES + 1];
    let err = parse("big.txt", &big, None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooLarge);
    assert!(err.problem.contains("limit"), "{err}");
}

#[test]
fn too_many_listeners_are_refused() {
    let mut text = String::from("State Recv-Q Send-Q Local Address:Port Peer Address:Port\n");
    let rows = MAX_LISTENERS + 1;
    for i in 0..rows {
        let port = 1 + i % 65_000;
        let host = i / 65_000;
        text.push_str(&format!("LISTEN 0 128 10.0.{host}.1:{port} 0.0.0.0:*\n"));
    }
    let err = parse("many.txt", text.as_bytes(), None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooManyRows, "{err}");
    assert_eq!(err.line, rows + 1);
}

#[test]
fn a_forced_format_that_does_not_fit_says_what_the_input_looks_like() {
    for &(name, _) in SAMPLES {
        for &(_, forced) in SAMPLES {
            let detected = parse(name, &fixture(name), None).unwrap().format;
            if forced == detected {
                continue;
            }
            let result = parse(name, &fixture(name), Some(forced));
            let err = match result {
                Ok(parsed) => panic!("{name} read as {forced}: {:?}", parsed.listeners.len()),
                Err(err) => err,
            };
            assert_eq!(
                err.kind,
                ErrorKind::WrongFormat,
                "{name} as {forced}: {err}"
            );
            assert!(err.problem.contains(detected.describe()), "{err}");
        }
    }
}

#[test]
fn unknown_and_empty_input() {
    let err = parse("notes.txt", b"hello\nworld\n", None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownFormat);
    assert!(err.problem.contains("`hello`"), "{err}");
    for format in Format::ALL {
        assert!(err.expected.contains(format.as_str()), "{format}: {err}");
    }
    let err = parse("empty.txt", b"", None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownFormat);
    assert!(err.problem.contains("empty"), "{err}");
    let err = parse("x.xml", b"<html><body/></html>", None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Malformed);
    assert!(err.problem.contains("<html>"), "{err}");
}

/// Line numbers used to be counted from the start of the input for every XML event and
/// every JSON object, so a few megabytes took minutes; this input is read in one pass now.
#[test]
fn large_scans_and_listings_are_numbered_in_one_pass() {
    const PORTS: usize = 40_000;
    let mut xml = String::from(
        "<nmaprun>\n<host><status state=\"up\"/><address addr=\"10.0.0.1\" addrtype=\"ipv4\"/><ports>\n",
    );
    let mut json = String::from("[\n");
    for i in 0..PORTS {
        let port = 1 + i % 65_000;
        xml.push_str(&format!(
            "<port protocol=\"tcp\" portid=\"{port}\"><state state=\"open\"/></port>\n"
        ));
        let comma = if i + 1 < PORTS { "," } else { "" };
        json.push_str(&format!(
            "{{\"LocalAddress\":\"10.0.0.{}\",\"LocalPort\":{port},\"State\":2}}{comma}\n",
            i / 65_000
        ));
    }
    xml.push_str("</ports></host>\n</nmaprun>\n");
    json.push_str("]\n");

    let scan = parse("scan.xml", xml.as_bytes(), None).unwrap();
    assert_eq!(scan.listeners.len(), PORTS);
    assert_eq!(
        scan.listeners.last().map(|l| l.origin.line),
        Some(PORTS + 2)
    );
    let listing = parse("listing.json", json.as_bytes(), None).unwrap();
    assert_eq!(listing.listeners.len(), PORTS);
    assert_eq!(
        listing.listeners.last().map(|l| l.origin.line),
        Some(PORTS + 1)
    );
}
