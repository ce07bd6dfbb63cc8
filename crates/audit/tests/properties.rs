//! Properties: no input makes a parser panic, and whatever parses is consistent.

mod support;

use portolan_audit::{AuditOptions, Format, audit, parse};
use proptest::prelude::*;
use support::{catalog, fixture};

const FORMATS: [Option<Format>; 6] = [
    None,
    Some(Format::ProcNet),
    Some(Format::Ss),
    Some(Format::Netstat),
    Some(Format::PowerShell),
    Some(Format::NmapXml),
];

const FIXTURES: [&str; 6] = [
    "samba-dc/proc-net-tcp6.txt",
    "samba-dc/ss-lntup.txt",
    "samba-dc/netstat-tulpn.txt",
    "windows-dc/netstat-anob.txt",
    "powershell/single-object.json",
    "samba-dc/nmap-udp.xml",
];

/// Whatever parses has listeners with a port and an origin line inside the input.
fn check(name: &str, bytes: &[u8], format: Option<Format>) {
    if let Ok(parsed) = parse(name, bytes, format) {
        // UTF-16 input has half as many bytes per line; a generous bound still catches
        // lines that point past the input.
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        for l in &parsed.listeners {
            assert_ne!(l.port, 0);
            assert!(l.origin.line <= lines, "line {} of {lines}", l.origin.line);
        }
    }
}

/// Text made of the characters the formats are built from.
fn texty() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "([ \t\n\r:.\\[\\]{}\"<>/=*%,()0-9A-Fa-fTtUuCcPpLlIiSsNnEeGgkx_|-]){0,400}",
    )
    .unwrap_or_else(|e| panic!("the strategy's regex compiles: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        for format in FORMATS {
            check("bytes", &bytes, format);
        }
    }

    #[test]
    fn format_like_text_never_panics(text in texty()) {
        for format in FORMATS {
            check("text", text.as_bytes(), format);
        }
    }

    #[test]
    fn damaged_fixtures_never_panic(
        which in 0..FIXTURES.len(),
        at in any::<prop::sample::Index>(),
        len in 0usize..40,
        junk in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let name = FIXTURES[which];
        let mut bytes = fixture(name);
        let start = at.index(bytes.len().max(1)).min(bytes.len());
        let end = (start + len).min(bytes.len());
        bytes.splice(start..end, junk);
        for format in FORMATS {
            check(name, &bytes, format);
        }
        // Auditing whatever parsed never panics either.
        if let Ok(parsed) = parse(name, &bytes, None) {
            let reports = audit(&catalog(), &parsed, None, &AuditOptions::default());
            prop_assert!(!reports.is_empty());
        }
    }
}
