//! Listener audit: what a server listens on, which catalog service each listener is, and
//! how the server compares with a role.
//!
//! Listeners come from wherever administrators have them: Linux `/proc/net/*` (this
//! machine's own sockets, see [`system::read_local`]), `ss`, Windows `netstat -ano` /
//! `-anob`, PowerShell's `Get-NetTCPConnection` / `Get-NetUDPEndpoint` as JSON, nmap XML
//! and portolan's own `check` JSON. [`parse`] detects the format (or takes a forced one) and reads the input into
//! [`Listener`]s; [`audit()`] names every port from the catalog and, given an
//! [`Expectation`], says what is missing and what is unexpected.
//!
//! Everything but [`system`] is pure: parsers take bytes, never touch files, and refuse
//! oversized, binary or truncated input with an [`AuditError`] that names the line.
//!
//! ```
//! use portolan_audit::{AuditOptions, audit, parse};
//! use portolan_catalog::{Catalog, Transport};
//!
//! let ss = "Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n\
//!           tcp LISTEN 0 50 0.0.0.0:445 0.0.0.0:* users:((\"smbd\",pid=7,fd=3))\n";
//! let input = parse("ss.txt", ss.as_bytes(), None).unwrap();
//! let catalog = Catalog::builtin().unwrap();
//! let reports = audit(&catalog, &input, None, &AuditOptions::default());
//! let smb = reports[0].port(Transport::Tcp, 445).unwrap();
//! assert!(smb.name.starts_with("Server (lanmanserver)"));
//! ```

pub mod audit;
pub mod compare;
pub mod detect;
pub mod error;
pub mod listener;
mod naming;
pub mod report;
pub mod rpc;
pub mod source;
pub mod system;
mod tables;
mod text;

pub use audit::{AuditOptions, audit};
pub use compare::{Expectation, ExpectedService};
pub use detect::detect;
pub use error::{AuditError, ErrorKind};
pub use listener::{
    BindingKind, Coverage, Format, Listener, Origin, Owner, Parsed, ScanRange, SocketState,
    UnknownFormat,
};
pub use report::{
    AuditReport, BoundAddress, Candidate, Comparison, CoverageStatus, EXIT_BAD_INPUT, EXIT_MATCH,
    EXIT_MISMATCH, ExpectedPort, ExpectedStatus, ExtraPortInfo, Flag, FlagKind, PortExpectation,
    PortReport, ProcessRef, Relation, ServiceCoverage, exit_code,
};
pub use rpc::RpcEndpoint;
pub use text::{MAX_INPUT_BYTES, MAX_LISTENERS};

use text::{Legacy8Bit, decode};

/// Reads one input into listeners. `origin` names it in errors and in each listener's
/// origin; `format` forces a format instead of detecting it from the content.
pub fn parse(origin: &str, bytes: &[u8], format: Option<Format>) -> Result<Parsed, AuditError> {
    let (text, format) = match decode(origin, bytes, Legacy8Bit::Refuse) {
        Ok(text) => {
            let format = match format {
                Some(f) => f,
                None => detect(&text).ok_or_else(|| unknown_format(origin, &text))?,
            };
            (text, format)
        }
        Err(e) if e.kind == ErrorKind::NotUtf8 => {
            // Windows consoles write netstat in an OEM code page; other formats are UTF-8.
            let lenient = decode(origin, bytes, Legacy8Bit::AcceptAsLatin1)?;
            let format = format.or_else(|| detect(&lenient));
            if format != Some(Format::Netstat) {
                return Err(e);
            }
            (lenient, Format::Netstat)
        }
        Err(e) => return Err(e),
    };
    let result = parse_as(origin, &text, format);
    match result {
        Err(e) if matches!(e.kind, ErrorKind::Malformed | ErrorKind::Truncated) => {
            match detect(&text) {
                Some(other) if other != format => Err(AuditError::new(
                    ErrorKind::WrongFormat,
                    origin,
                    e.line,
                    format!(
                        "read as {} ({}), but the content looks like {}: {}",
                        format,
                        format.describe(),
                        other.describe(),
                        e.problem
                    ),
                    format!("{}, or no forced format", format.describe()),
                )),
                _ => Err(e),
            }
        }
        other => other,
    }
}

/// Reads decoded text as `format`.
pub fn parse_as(origin: &str, text: &str, format: Format) -> Result<Parsed, AuditError> {
    match format {
        Format::ProcNet => source::proc_net::parse(origin, text),
        Format::Ss => source::ss::parse(origin, text),
        Format::Netstat => source::netstat::parse(origin, text),
        Format::PowerShell => source::powershell::parse(origin, text),
        Format::NmapXml => source::nmap::parse(origin, text),
        Format::Check => source::check::parse(origin, text),
    }
}

fn unknown_format(origin: &str, text: &str) -> AuditError {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    let shown: String = first.chars().take(60).collect();
    let problem = if first.is_empty() {
        "the input is empty".to_string()
    } else {
        format!("cannot tell the format from the content (it starts with `{shown}`)")
    };
    let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
    AuditError::new(
        ErrorKind::UnknownFormat,
        origin,
        0,
        problem,
        format!(
            "ss, netstat, /proc/net/* text, PowerShell ConvertTo-Json output, nmap XML or \
             portolan check JSON; force one with a format name ({})",
            names.join(", ")
        ),
    )
}
