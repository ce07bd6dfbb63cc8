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
pub mod ci;
pub mod compare;
pub mod detect;
pub mod error;
pub mod listener;
mod naming;
pub mod report;
pub mod rpc;
mod services;
pub mod source;
pub mod system;
mod tables;
mod text;
mod today;

pub use audit::{AuditOptions, audit};
pub use compare::{Expectation, ExpectedService};
pub use detect::detect;
pub use error::{AuditError, ErrorKind};
pub use listener::{
    BindingKind, Coverage, Format, Listener, MAX_SKIPPED, Origin, Owner, Parsed, ReadOptions,
    ScanRange, ScannedHost, SkippedRow, SocketState, StateCount, UnknownFormat,
};
pub use report::{
    AuditReport, BoundAddress, Candidate, Comparison, CoverageStatus, EXIT_BAD_INPUT, EXIT_MATCH,
    EXIT_MISMATCH, EXIT_PARTIAL, ExpectedPort, ExpectedStatus, ExtraPortInfo, Flag, FlagKind,
    PortExpectation, PortReport, ProcessRef, Relation, ServiceCoverage, exit_code, exit_code_of,
};
pub use rpc::RpcEndpoint;
pub use text::{MAX_INPUT_BYTES, MAX_LISTENERS};

use text::{Legacy8Bit, decode};

/// Reads one input into listeners. `origin` names it in errors and in each listener's
/// origin; `format` forces a format instead of detecting it from the content.
///
/// Rows that cannot be read are skipped and listed in [`Parsed::skipped`]; the listeners
/// belong to `unknown host (ORIGIN)` unless the input names its host (nmap, check). See
/// [`parse_with`] for strict reading and a host name.
pub fn parse(origin: &str, bytes: &[u8], format: Option<Format>) -> Result<Parsed, AuditError> {
    parse_with(
        origin,
        bytes,
        &ReadOptions {
            format,
            ..ReadOptions::default()
        },
    )
}

/// Reads one input into listeners, as [`ReadOptions`] say: a forced format, strict reading
/// (an unreadable row is an error), the host the listeners belong to.
pub fn parse_with(origin: &str, bytes: &[u8], options: &ReadOptions) -> Result<Parsed, AuditError> {
    let mut parsed = read_bytes(origin, bytes, options.format, options.strict)?;
    if !parsed.format.is_remote() {
        let host = match &options.host {
            Some(host) => host.clone(),
            None => format!("unknown host ({origin})"),
        };
        parsed.assign_host(&host);
    }
    Ok(parsed)
}

fn read_bytes(
    origin: &str,
    bytes: &[u8],
    format: Option<Format>,
    strict: bool,
) -> Result<Parsed, AuditError> {
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
    let result = read_as(origin, &text, format, strict).and_then(|parsed| {
        // Not one row read: the input cannot be read at all (or is another format).
        match parsed.skipped.first() {
            Some(first)
                if parsed.listeners.is_empty()
                    && parsed.not_listening == 0
                    && parsed.hosts.is_empty() =>
            {
                Err(AuditError::new(
                    ErrorKind::Malformed,
                    origin,
                    first.line,
                    format!(
                        "no row can be read ({} tried); the first: {}",
                        parsed.skipped.len(),
                        first.problem
                    ),
                    format.describe(),
                ))
            }
            _ => Ok(parsed),
        }
    });
    match result {
        Err(e) if matches!(e.kind, ErrorKind::Malformed | ErrorKind::Truncated) => {
            match detect(&text) {
                Some(other) if other != format && other != format.family() => Err(AuditError::new(
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

/// Reads decoded text as `format`, skipping unreadable rows; the listeners keep the host the
/// input gives (none for every format but nmap XML and check JSON).
pub fn parse_as(origin: &str, text: &str, format: Format) -> Result<Parsed, AuditError> {
    read_as(origin, text, format, false)
}

fn read_as(origin: &str, text: &str, format: Format, strict: bool) -> Result<Parsed, AuditError> {
    match format {
        Format::ProcNet => source::proc_net::read(origin, text, strict),
        Format::Ss => source::ss::read(origin, text, strict),
        Format::Netstat => source::netstat::read(origin, text, strict),
        Format::PowerShell => source::powershell::read(origin, text, strict, None),
        Format::PowerShellTcp => {
            source::powershell::read(origin, text, strict, Some(portolan_catalog::Transport::Tcp))
        }
        Format::PowerShellUdp => {
            source::powershell::read(origin, text, strict, Some(portolan_catalog::Transport::Udp))
        }
        Format::NmapXml => source::nmap::read(origin, text, strict),
        Format::Check => source::check::read(origin, text, strict),
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
