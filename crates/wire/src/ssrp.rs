//! SQL Server Resolution Protocol, [MC-SQLR], spoken by the SQL Server Browser service on
//! UDP 1434: which database instances a host runs and where each one listens.
//!
//! Requests (section 2.2): `CLNT_UCAST_EX` (a single byte 0x03) asks for every instance;
//! `CLNT_UCAST_INST` (0x04, an instance name, NUL) for one; `CLNT_UCAST_DAC` (0x0F, version
//! 0x01, an instance name, NUL) for the dedicated administrator connection's port.
//!
//! The answer, `SVR_RESP` (section 2.2.5), is 0x05, a little-endian 16-bit size and a text of
//! that size. The text is a run of instance records, each a `;`-separated list of
//! key/value tokens closed by `;;`: `ServerName;H;InstanceName;I;IsClustered;No;Version;V`
//! and then one entry per protocol (`np;<pipe>`, `tcp;<port>`, `via;...`, `rpc;<host>`,
//! `spx;<service>`, `adsp;<object>`, and `bv;` with five values). The DAC answer (section
//! 2.2.6) is 0x05, size 6, version 1 and the port as a little-endian 16-bit number.
//!
//! A browser that has no instance to describe stays silent (the spec's rule), so silence
//! on 1434 is not a verdict by itself. No SQL Server Browser runs in the labs (Debian has
//! none): the tests use the spec's example and records built from its grammar, and they
//! press hard on malformed input. The text is a multibyte string in the server's code page;
//! it is kept as lossy UTF-8 and escaped for display.

use core::fmt;

use crate::error::check_room;
use crate::simple::Escaped;
use crate::{Error, Result};

/// The SQL Server Browser port.
pub const PORT: u16 = 1434;
/// `CLNT_UCAST_EX`: every instance on the host.
pub const CLNT_UCAST_EX: u8 = 0x03;
/// `CLNT_UCAST_INST`: one named instance.
pub const CLNT_UCAST_INST: u8 = 0x04;
/// `CLNT_UCAST_DAC`: the DAC port of one instance.
pub const CLNT_UCAST_DAC: u8 = 0x0f;
/// `SVR_RESP`: the only answer.
pub const SVR_RESP: u8 = 0x05;
/// Longest instance name a request may carry (section 2.2.3).
pub const MAX_INSTANCE_NAME: usize = 32;
/// Longest token accepted in a record (SERVERNAME and INSTANCENAME are capped at 255).
pub const MAX_TOKEN: usize = 255;
/// Most instance records read from one answer.
pub const MAX_INSTANCES: usize = 64;
/// Most tokens read from one record.
const MAX_TOKENS_PER_RECORD: usize = 64;

/// Builds `CLNT_UCAST_EX`, the request for every instance.
pub fn request_all() -> [u8; 1] {
    [CLNT_UCAST_EX]
}

fn check_instance_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_INSTANCE_NAME || name.bytes().any(|b| b == 0) {
        return Err(Error::malformed(
            "SSRP instance name",
            "must be 1 to 32 bytes without NUL",
        ));
    }
    Ok(())
}

/// Builds `CLNT_UCAST_INST` for instance `name` (e.g. `MSSQLSERVER`, `SQLEXPRESS`).
pub fn request_instance(name: &str) -> Result<Vec<u8>> {
    check_instance_name(name)?;
    let mut packet = vec![CLNT_UCAST_INST];
    packet.extend_from_slice(name.as_bytes());
    packet.push(0);
    Ok(packet)
}

/// Builds `CLNT_UCAST_DAC` for instance `name`.
pub fn request_dac(name: &str) -> Result<Vec<u8>> {
    check_instance_name(name)?;
    let mut packet = vec![CLNT_UCAST_DAC, 0x01];
    packet.extend_from_slice(name.as_bytes());
    packet.push(0);
    Ok(packet)
}

/// One instance record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Instance {
    /// `ServerName`: the host's name.
    pub server_name: String,
    /// `InstanceName`: `MSSQLSERVER` for the default instance.
    pub instance_name: String,
    /// `IsClustered`: `Yes` or `No` (`None` for any other text).
    pub is_clustered: Option<bool>,
    /// `Version`, e.g. `15.0.2000.5`.
    pub version: String,
    /// `tcp`: the TCP port.
    pub tcp_port: Option<u16>,
    /// `np`: the named pipe.
    pub pipe: Option<String>,
    /// Other protocol entries (`via`, `rpc`, `spx`, `adsp`, `bv`, or unknown keys), with
    /// their values joined by `;`.
    pub other: Vec<(String, String)>,
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Instance records (answer to `CLNT_UCAST_EX` or `CLNT_UCAST_INST`).
    Instances(Vec<Instance>),
    /// The DAC port (answer to `CLNT_UCAST_DAC`).
    Dac {
        /// The TCP port of the dedicated administrator connection.
        port: u16,
    },
}

fn token_text(token: &[u8]) -> Result<String> {
    if token.len() > MAX_TOKEN {
        return Err(Error::too_large("SSRP token", token.len(), MAX_TOKEN));
    }
    Ok(String::from_utf8_lossy(token).into_owned())
}

/// Values that follow a protocol key: `bv` has five, every other key one.
fn value_count(key: &[u8]) -> usize {
    if key.eq_ignore_ascii_case(b"bv") {
        5
    } else {
        1
    }
}

fn malformed(why: &'static str) -> Error {
    Error::malformed("SSRP instance record", why)
}

/// Parses one record's tokens (without the closing `;;`).
fn parse_record(record: &[u8]) -> Result<Instance> {
    let tokens: Vec<&[u8]> = record.split(|&b| b == b';').collect();
    if tokens.len() > MAX_TOKENS_PER_RECORD {
        return Err(Error::too_large(
            "SSRP record tokens",
            tokens.len(),
            MAX_TOKENS_PER_RECORD,
        ));
    }
    let mut instance = Instance::default();
    let mut seen_name = false;
    let mut at = 0;
    while let Some(&key) = tokens.get(at) {
        let count = value_count(key);
        let values = tokens
            .get(at + 1..at + 1 + count)
            .ok_or(malformed("a key has no value"))?;
        let value = values.first().copied().unwrap_or_default();
        if at == 0 && !key.eq_ignore_ascii_case(b"ServerName") {
            return Err(malformed("does not start with ServerName"));
        }
        match key.to_ascii_lowercase().as_slice() {
            b"servername" => {
                seen_name = true;
                instance.server_name = token_text(value)?;
            }
            b"instancename" => instance.instance_name = token_text(value)?,
            b"isclustered" => {
                instance.is_clustered = match value.to_ascii_lowercase().as_slice() {
                    b"yes" => Some(true),
                    b"no" => Some(false),
                    _ => None,
                };
            }
            b"version" => instance.version = token_text(value)?,
            b"tcp" => {
                let text = core::str::from_utf8(value).map_err(|_| malformed("tcp port"))?;
                instance.tcp_port = Some(
                    text.parse()
                        .map_err(|_| malformed("tcp port is not a number up to 65535"))?,
                );
            }
            b"np" => instance.pipe = Some(token_text(value)?),
            b"" => return Err(malformed("empty key")),
            _ => {
                let joined = values
                    .iter()
                    .map(|v| token_text(v))
                    .collect::<Result<Vec<_>>>()?
                    .join(";");
                instance.other.push((token_text(key)?, joined));
            }
        }
        at += 1 + count;
    }
    if !seen_name || instance.instance_name.is_empty() {
        return Err(malformed("lacks ServerName or InstanceName"));
    }
    Ok(instance)
}

/// Splits `RESP_DATA` into records: each ends at `;;` (the last one may lack it).
fn parse_records(data: &[u8]) -> Result<Vec<Instance>> {
    let mut instances = Vec::new();
    let mut rest = data;
    // Some servers pad the text with NULs.
    while let Some(stripped) = rest.strip_suffix(b"\0") {
        rest = stripped;
    }
    while !rest.is_empty() {
        check_room(&instances, MAX_INSTANCES, "SSRP instances")?;
        let end = rest.windows(2).position(|w| w == b";;");
        let (record, tail) = match end {
            Some(end) => (&rest[..end], &rest[end + 2..]),
            None => (rest, &[][..]),
        };
        instances.push(parse_record(record)?);
        rest = tail;
    }
    if instances.is_empty() {
        return Err(malformed("the answer lists no instance"));
    }
    Ok(instances)
}

/// Parses an `SVR_RESP`: the DAC form when the message is exactly the 6 bytes of section
/// 2.2.6, instance records otherwise.
pub fn parse_response(bytes: &[u8]) -> Result<Reply> {
    let (head, body) = bytes.split_first_chunk::<3>().ok_or(Error::truncated(
        "SSRP SVR_RESP header",
        3,
        bytes.len(),
    ))?;
    if head[0] != SVR_RESP {
        return Err(Error::malformed(
            "SSRP response",
            "does not start with SVR_RESP (0x05)",
        ));
    }
    let size = usize::from(u16::from_le_bytes([head[1], head[2]]));
    // The DAC answer (section 2.2.6) counts the whole 6-byte message in RESP_SIZE: 0x05,
    // 0x0006, version 0x01, then the port.
    if let (6, &[0x01, low, high]) = (size, body) {
        return Ok(Reply::Dac {
            port: u16::from_le_bytes([low, high]),
        });
    }
    let data = body
        .get(..size)
        .ok_or(Error::truncated("SSRP RESP_DATA", size + 3, bytes.len()))?;
    Ok(Reply::Instances(parse_records(data)?))
}

impl Reply {
    /// True when the answer describes instance `name` (names compare without case).
    pub fn has_instance(&self, name: &str) -> bool {
        match self {
            Reply::Instances(list) => list
                .iter()
                .any(|i| i.instance_name.eq_ignore_ascii_case(name)),
            Reply::Dac { .. } => false,
        }
    }
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\\{} {}",
            Escaped::new(self.server_name.as_bytes(), 24),
            Escaped::new(self.instance_name.as_bytes(), 24),
            Escaped::new(self.version.as_bytes(), 16)
        )?;
        if let Some(port) = self.tcp_port {
            write!(f, " tcp {port}")?;
        }
        if self.pipe.is_some() {
            f.write_str(" np")?;
        }
        Ok(())
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Dac { port } => write!(f, "SQL Server Browser: DAC on tcp {port}"),
            Reply::Instances(list) => {
                f.write_str("SQL Server Browser:")?;
                if list.len() > 1 {
                    write!(f, " {} instances:", list.len())?;
                }
                for (n, instance) in list.iter().take(2).enumerate() {
                    f.write_str(if n == 0 { " " } else { ", " })?;
                    write!(f, "{instance}")?;
                }
                if list.len() > 2 {
                    f.write_str(", ...")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SPEC_INST: &[u8] =
        include_bytes!("../tests/fixtures/ssrp/spec-clnt-ucast-inst-response.bin");
    const SPEC_EX: &[u8] =
        include_bytes!("../tests/fixtures/ssrp/grammar-clnt-ucast-ex-three-instances.bin");
    const SPEC_DAC: &[u8] = include_bytes!("../tests/fixtures/ssrp/grammar-dac-response.bin");

    fn svr_resp(text: &[u8]) -> Vec<u8> {
        let mut packet = vec![SVR_RESP];
        packet.extend_from_slice(&(text.len() as u16).to_le_bytes());
        packet.extend_from_slice(text);
        packet
    }

    #[test]
    fn requests() {
        assert_eq!(request_all(), [0x03]);
        assert_eq!(request_instance("YUKONSTD").unwrap(), b"\x04YUKONSTD\x00");
        assert_eq!(request_dac("YUKONSTD").unwrap(), b"\x0f\x01YUKONSTD\x00");
        assert!(request_instance("").is_err());
        assert!(request_instance(&"A".repeat(33)).is_err());
        assert!(request_dac("a\0b").is_err());
    }

    #[test]
    fn spec_example() {
        let reply = parse_response(SPEC_INST).unwrap();
        let Reply::Instances(list) = &reply else {
            panic!("not instances: {reply:?}");
        };
        assert_eq!(
            list[0],
            Instance {
                server_name: "ILSUNG1".into(),
                instance_name: "YUKONSTD".into(),
                is_clustered: Some(false),
                version: "9.00.1399.06".into(),
                tcp_port: Some(57137),
                pipe: None,
                other: Vec::new(),
            }
        );
        assert!(reply.has_instance("yukonstd"));
        assert_eq!(
            reply.to_string(),
            "SQL Server Browser: ILSUNG1\\YUKONSTD 9.00.1399.06 tcp 57137"
        );
    }

    #[test]
    fn every_instance_with_pipes_and_other_protocols() {
        let Reply::Instances(list) = parse_response(SPEC_EX).unwrap() else {
            panic!("not instances");
        };
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].instance_name, "MSSQLSERVER");
        assert_eq!(list[0].tcp_port, Some(1433));
        assert_eq!(
            list[0].pipe.as_deref(),
            Some("\\\\ILSUNG1\\pipe\\sql\\query")
        );
        assert_eq!(list[1].tcp_port, None);
        assert_eq!(list[1].is_clustered, Some(true));
        assert_eq!(
            list[2].other,
            [
                ("rpc".to_owned(), "ILSUNG1".to_owned()),
                ("bv".to_owned(), "item;group;item;group;org".to_owned())
            ]
        );
        assert_eq!(
            parse_response(SPEC_EX).unwrap().to_string(),
            "SQL Server Browser: 3 instances: ILSUNG1\\MSSQLSERVER 9.00.1399.06 tcp 1433 np, \
             ILSUNG1\\YUKONDEV 9.00.1399.06 np, ..."
        );
    }

    #[test]
    fn dac_answer() {
        assert_eq!(parse_response(SPEC_DAC).unwrap(), Reply::Dac { port: 1434 });
        assert_eq!(
            parse_response(SPEC_DAC).unwrap().to_string(),
            "SQL Server Browser: DAC on tcp 1434"
        );
    }

    #[test]
    fn malformed_answers_are_refused() {
        let cases: &[&[u8]] = &[b"", b"\x05", b"\x05\x10\x00short", b"\x04\x03\x00abc"];
        for case in cases {
            assert!(parse_response(case).is_err(), "{case:?}");
        }
        let texts: &[&[u8]] = &[
            b";;",
            b"InstanceName;X;ServerName;H;;",
            b"ServerName;H;;",
            b"ServerName;H;InstanceName;;",
            b"ServerName;H;InstanceName;I;tcp;;",
            b"ServerName;H;InstanceName;I;tcp;99999;;",
            b"ServerName;H;InstanceName;I;tcp;14x3;;",
            b"ServerName;H;InstanceName;I;bv;a;b;;",
            b"ServerName;H;InstanceName;I;;x;;",
        ];
        for text in texts {
            assert!(
                parse_response(&svr_resp(text)).is_err(),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        let long_name = format!("ServerName;{};InstanceName;I;;", "h".repeat(300));
        assert!(matches!(
            parse_response(&svr_resp(long_name.as_bytes())),
            Err(Error::TooLarge { .. })
        ));
        let many = "ServerName;H;InstanceName;I;;".repeat(70);
        assert!(matches!(
            parse_response(&svr_resp(many.as_bytes())),
            Err(Error::TooLarge { .. })
        ));
        for cut in 0..SPEC_INST.len() {
            assert!(parse_response(&SPEC_INST[..cut]).is_err());
        }
    }

    #[test]
    fn lenient_where_servers_differ() {
        // No final ";;", trailing NULs, extra bytes after RESP_SIZE, odd IsClustered.
        let text = b"ServerName;H;InstanceName;I;IsClustered;maybe;Version;1.0\0\0";
        let mut packet = svr_resp(text);
        packet.extend_from_slice(b"junk");
        let Reply::Instances(list) = parse_response(&packet).unwrap() else {
            panic!("not instances");
        };
        assert_eq!(list[0].is_clustered, None);
        assert_eq!(list[0].version, "1.0");
    }

    #[test]
    fn display_escapes_remote_text() {
        let text = b"ServerName;H\x1b[2J;InstanceName;I\xff;Version;1;;";
        let line = parse_response(&svr_resp(text)).unwrap().to_string();
        assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)), "{line}");
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(reply) = parse_response(&bytes) {
                prop_assert!(reply.to_string().bytes().all(|b| (0x20..=0x7e).contains(&b)));
            }
        }

        #[test]
        fn records_round_trip(
            records in proptest::collection::vec(
                ("[A-Z0-9-]{1,15}", "[A-Z0-9_$]{1,16}", any::<bool>(), "[0-9]{1,2}\\.[0-9]{1,4}", proptest::option::of(any::<u16>()), proptest::option::of("[a-z\\\\$]{1,30}")),
                1..5,
            )
        ) {
            let mut text = String::new();
            for (server, instance, clustered, version, port, pipe) in &records {
                let clustered = if *clustered { "Yes" } else { "No" };
                text.push_str(&format!("ServerName;{server};InstanceName;{instance};IsClustered;{clustered};Version;{version}"));
                if let Some(pipe) = pipe { text.push_str(&format!(";np;{pipe}")); }
                if let Some(port) = port { text.push_str(&format!(";tcp;{port}")); }
                text.push_str(";;");
            }
            let Reply::Instances(list) = parse_response(&svr_resp(text.as_bytes())).unwrap() else {
                panic!("not instances");
            };
            prop_assert_eq!(list.len(), records.len());
            for (parsed, (server, instance, clustered, version, port, pipe)) in list.iter().zip(&records) {
                prop_assert_eq!(&parsed.server_name, server);
                prop_assert_eq!(&parsed.instance_name, instance);
                prop_assert_eq!(parsed.is_clustered, Some(*clustered));
                prop_assert_eq!(&parsed.version, version);
                prop_assert_eq!(parsed.tcp_port, *port);
                prop_assert_eq!(&parsed.pipe, pipe);
            }
        }
    }
}
