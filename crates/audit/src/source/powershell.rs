//! PowerShell's `Get-NetTCPConnection` and `Get-NetUDPEndpoint` piped to `ConvertTo-Json`.
//!
//! `ConvertTo-Json` writes one object when the pipeline held one, an array otherwise; with
//! `-Compress` everything is on one line. Several documents may follow each other (the TCP
//! and the UDP listing appended to one file). Each object has `LocalAddress`, `LocalPort` and
//! `OwningProcess`; TCP objects also have `RemoteAddress`, `RemotePort` and `State`, which is
//! a number (2 is Listen) unless `-EnumsAsStrings` or a `Select-Object` made it a string.
//! Objects straight from the cmdlets carry their CIM class name, which tells TCP from UDP;
//! objects reduced by `Select-Object` are TCP when they have a `State` or remote address.

use std::fmt;
use std::net::IpAddr;

use portolan_catalog::Transport;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::{AuditError, ErrorKind};
use crate::listener::{Format, Listener, Origin, Owner, Parsed, SocketState};
use crate::source::proc_net::too_many;
use crate::text::MAX_LISTENERS;

/// `MSFT_NetTCPConnection.State` for a listening socket.
const STATE_LISTEN: u64 = 2;
const OBJECT_EXPECTED: &str = "objects with LocalAddress, LocalPort and OwningProcess, as \
                               `Get-NetTCPConnection | ConvertTo-Json` writes them";
/// Nesting kept track of when locating objects; deeper values are skipped by serde anyway.
const MAX_DEPTH: usize = 128;

/// The commands whose JSON tells TCP from UDP, shown when an input cannot.
pub const UNAMBIGUOUS_COMMANDS: &str = "`Get-NetTCPConnection -State Listen | ConvertTo-Json` and \
     `Get-NetUDPEndpoint | ConvertTo-Json` (whole objects keep their CIM class), or \
     `Get-NetTCPConnection -State Listen | Select-Object LocalAddress,LocalPort,State,OwningProcess | ConvertTo-Json` \
     (a State marks TCP)";

/// Reads one or more `ConvertTo-Json` documents; an object that cannot be read is skipped,
/// and objects that do not say whether they are TCP or UDP are an error (see [`read`]).
pub fn parse(origin: &str, text: &str) -> Result<Parsed, AuditError> {
    read(origin, text, false, None)
}

/// Reads `ConvertTo-Json` documents. `strict` makes an object that cannot be read an error;
/// `protocol` is the transport of objects that do not tell (no CIM class, `State` or
/// `RemoteAddress`), as the user says; without it such objects are an
/// [`ErrorKind::Ambiguous`] error.
pub fn read(
    origin: &str,
    text: &str,
    strict: bool,
    protocol: Option<Transport>,
) -> Result<Parsed, AuditError> {
    let mut parsed = Parsed::new(Format::PowerShell, origin);
    parsed.strict = strict;
    let lines = object_lines(text);
    let mut index = 0usize;
    let stream = serde_json::Deserializer::from_str(text).into_iter::<Document>();
    let mut documents = 0usize;
    for document in stream {
        let document = document.map_err(|e| json_error(origin, &e))?;
        documents += 1;
        for object in document.0 {
            let line = lines.get(index).copied().unwrap_or(0);
            index += 1;
            if let Err(e) = read_object(origin, line, object, &mut parsed, protocol) {
                parsed.skip(e)?;
            }
        }
    }
    if documents == 0 {
        return Err(AuditError::new(
            ErrorKind::Malformed,
            origin,
            0,
            "the input holds no JSON",
            OBJECT_EXPECTED,
        ));
    }
    Ok(parsed)
}

fn read_object(
    origin: &str,
    line: usize,
    object: PsObject,
    parsed: &mut Parsed,
    protocol: Option<Transport>,
) -> Result<(), AuditError> {
    let malformed = |problem: String| {
        AuditError::new(ErrorKind::Malformed, origin, line, problem, OBJECT_EXPECTED)
    };
    let address_text = object
        .local_address
        .ok_or_else(|| malformed("an object has no LocalAddress".to_string()))?;
    let (bare, zone) = match address_text.split_once('%') {
        Some((bare, zone)) => (bare, Some(zone)),
        None => (address_text.as_str(), None),
    };
    let address: IpAddr = bare.parse().map_err(|_| {
        malformed(format!(
            "LocalAddress `{address_text}` is not an IP address"
        ))
    })?;
    let port = object
        .local_port
        .as_ref()
        .and_then(Scalar::as_u64)
        .ok_or_else(|| malformed("an object has no numeric LocalPort".to_string()))?;
    let port =
        u16::try_from(port).map_err(|_| malformed(format!("LocalPort {port} is out of range")))?;
    let transport = match object.class_name.as_deref() {
        Some(class) if class.contains("UDPEndpoint") => Transport::Udp,
        Some(class) if class.contains("TCPConnection") => Transport::Tcp,
        _ if object.state.is_some() || object.remote_address.is_some() => Transport::Tcp,
        _ => match protocol {
            Some(transport) => transport,
            None => {
                return Err(AuditError::new(
                    ErrorKind::Ambiguous,
                    origin,
                    line,
                    "the objects have no CIM class, State or RemoteAddress, so nothing tells \
                     TCP listeners from UDP endpoints (Select-Object dropped what would)",
                    format!(
                        "--input-format powershell-tcp or powershell-udp to say which they are, \
                         or JSON from {UNAMBIGUOUS_COMMANDS}"
                    ),
                ));
            }
        },
    };
    match transport {
        Transport::Tcp => parsed.coverage.tcp = true,
        _ => parsed.coverage.udp = true,
    }
    let state = match transport {
        Transport::Tcp => match &object.state {
            Some(Scalar::Number(n)) => (*n == STATE_LISTEN).then_some(SocketState::Listen),
            Some(Scalar::Text(s)) => {
                let s = s.trim();
                (s.eq_ignore_ascii_case("listen") || s.eq_ignore_ascii_case("listening"))
                    .then_some(SocketState::Listen)
            }
            // The user said these are TCP listeners (`Get-NetTCPConnection -State Listen`).
            None if protocol == Some(Transport::Tcp) => Some(SocketState::Listen),
            None => return Err(malformed("a TCP object has no State".to_string())),
        },
        _ => Some(SocketState::Bound),
    };
    let (Some(state), true) = (state, port != 0) else {
        parsed.not_listening += 1;
        return Ok(());
    };
    if parsed.listeners.len() >= MAX_LISTENERS {
        return Err(too_many(origin, line));
    }
    let mut listener = Listener::new(
        transport,
        address,
        port,
        state,
        Origin {
            format: Format::PowerShell,
            source: origin.to_string(),
            line,
        },
    );
    listener.interface = zone.filter(|z| !z.is_empty()).map(str::to_string);
    let pid = object
        .owning_process
        .as_ref()
        .and_then(Scalar::as_u64)
        .and_then(|p| u32::try_from(p).ok());
    if pid.is_some() || object.process_name.is_some() {
        listener.set_owners(vec![Owner {
            pid,
            process: object.process_name,
        }]);
    }
    parsed.listeners.push(listener);
    Ok(())
}

fn json_error(origin: &str, e: &serde_json::Error) -> AuditError {
    use serde_json::error::Category;
    let (kind, expected) = match e.classify() {
        Category::Eof => (ErrorKind::Truncated, "the rest of the JSON document"),
        _ => (ErrorKind::Malformed, OBJECT_EXPECTED),
    };
    let problem = e.to_string();
    // serde_json appends " at line L column C"; the line is reported separately.
    let problem = problem
        .rsplit_once(" at line ")
        .map_or(problem.as_str(), |(p, _)| p)
        .to_string();
    if problem.contains(TOO_MANY) {
        return too_many(origin, e.line());
    }
    AuditError::new(kind, origin, e.line(), problem, expected)
}

/// The 1-based line where each object of interest starts: a top-level object, or an object
/// directly inside a top-level array. The JSON reader does not report positions of
/// elements, so this light scan finds them for error and origin lines, counting newlines as
/// it goes.
fn object_lines(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut stack: Vec<u8> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut line = 1;
    for &b in text.as_bytes() {
        if b == b'\n' {
            line += 1;
        }
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                if b == b'{' && (stack.is_empty() || stack == b"[") && starts.len() < MAX_LISTENERS
                {
                    starts.push(line);
                }
                if stack.len() < MAX_DEPTH {
                    stack.push(b);
                }
            }
            b'}' | b']' => {
                stack.pop();
            }
            _ => {}
        }
    }
    starts
}

const TOO_MANY: &str = "too many objects";

/// One `ConvertTo-Json` document: an array of objects or one object.
struct Document(Vec<PsObject>);

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DocumentVisitor;
        impl<'de> Visitor<'de> for DocumentVisitor {
            type Value = Document;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object or an array of objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Document, A::Error> {
                let mut objects = Vec::new();
                while let Some(object) = seq.next_element::<PsObject>()? {
                    if objects.len() >= MAX_LISTENERS {
                        return Err(de::Error::custom(TOO_MANY));
                    }
                    objects.push(object);
                }
                Ok(Document(objects))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Document, A::Error> {
                let object = PsObject::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Document(vec![object]))
            }
        }
        d.deserialize_any(DocumentVisitor)
    }
}

/// The properties read from one object; every other property is skipped unread.
#[derive(Default)]
struct PsObject {
    local_address: Option<String>,
    local_port: Option<Scalar>,
    remote_address: Option<String>,
    state: Option<Scalar>,
    owning_process: Option<Scalar>,
    process_name: Option<String>,
    class_name: Option<String>,
}

impl<'de> Deserialize<'de> for PsObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = PsObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object with LocalAddress and LocalPort")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PsObject, A::Error> {
                let mut object = PsObject::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "LocalAddress" => {
                            object.local_address = map.next_value::<Option<String>>()?
                        }
                        "LocalPort" => object.local_port = map.next_value()?,
                        "RemoteAddress" => {
                            object.remote_address = map.next_value::<Option<String>>()?
                        }
                        "State" => object.state = map.next_value()?,
                        "OwningProcess" => object.owning_process = map.next_value()?,
                        "ProcessName" | "OwningProcessName" | "Process" => {
                            object.process_name = map
                                .next_value::<Option<Scalar>>()?
                                .and_then(Scalar::into_text)
                        }
                        "CimClass" | "CimSystemProperties" => {
                            let class = map.next_value::<ClassName>()?;
                            if object.class_name.is_none() {
                                object.class_name = class.0;
                            }
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(object)
            }
        }
        d.deserialize_map(ObjectVisitor)
    }
}

/// A property that may be a number or a string (`"2"`, `"Listen"`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scalar {
    Number(u64),
    Text(String),
}

impl Scalar {
    fn as_u64(&self) -> Option<u64> {
        match self {
            Scalar::Number(n) => Some(*n),
            Scalar::Text(s) => s.trim().parse().ok(),
        }
    }

    fn into_text(self) -> Option<String> {
        match self {
            Scalar::Text(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                u64::try_from(v)
                    .map(Scalar::Number)
                    .map_err(|_| E::custom(format!("{v} is negative")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
        }
        d.deserialize_any(ScalarVisitor)
    }
}

/// The CIM class name, from `"CimClass": "ROOT/StandardCimv2:MSFT_NetTCPConnection"` or
/// `"CimSystemProperties": {"ClassName": "MSFT_NetUDPEndpoint", ...}`; anything else is
/// skipped.
struct ClassName(Option<String>);

impl<'de> Deserialize<'de> for ClassName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ClassVisitor;
        impl<'de> Visitor<'de> for ClassVisitor {
            type Value = ClassName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a CIM class name or CIM system properties")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ClassName, E> {
                Ok(ClassName(v.contains("MSFT_").then(|| v.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ClassName, A::Error> {
                let mut name = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "ClassName" && name.is_none() {
                        name = map.next_value::<Option<String>>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(ClassName(name))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ClassName, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ClassName(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ClassName, E> {
                Ok(ClassName(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<ClassName, E> {
                Ok(ClassName(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<ClassName, E> {
                Ok(ClassName(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<ClassName, E> {
                Ok(ClassName(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<ClassName, E> {
                Ok(ClassName(None))
            }
        }
        d.deserialize_any(ClassVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_array_with_numeric_states() {
        let text = r#"[{"LocalAddress":"0.0.0.0","LocalPort":135,"RemoteAddress":"0.0.0.0","RemotePort":0,"State":2,"OwningProcess":908},{"LocalAddress":"10.0.0.5","LocalPort":49710,"RemoteAddress":"10.0.0.9","RemotePort":445,"State":5,"OwningProcess":4}]"#;
        let parsed = parse("ps", text).unwrap();
        assert_eq!(parsed.listeners.len(), 1);
        assert_eq!(parsed.not_listening, 1);
        assert_eq!(parsed.listeners[0].pid, Some(908));
        assert_eq!(parsed.listeners[0].origin.line, 1);
    }

    #[test]
    fn single_udp_object_and_string_state() {
        let udp = "{\n  \"LocalAddress\": \"::\",\n  \"LocalPort\": 123,\n  \"OwningProcess\": 1184,\n  \"CimSystemProperties\": {\"ClassName\": \"MSFT_NetUDPEndpoint\"}\n}\n";
        let parsed = parse("ps", udp).unwrap();
        assert_eq!(parsed.listeners[0].transport, Transport::Udp);
        let tcp = r#"{"LocalAddress":"::","LocalPort":"445","State":"Listen","OwningProcess":4}"#;
        let parsed = parse("ps", tcp).unwrap();
        assert_eq!(parsed.listeners[0].transport, Transport::Tcp);
        assert_eq!(parsed.listeners[0].port, 445);
    }

    #[test]
    fn two_documents_and_lines() {
        let text = "[\n  {\"LocalAddress\":\"0.0.0.0\",\"LocalPort\":88,\"State\":2},\n  {\"LocalAddress\":\"0.0.0.0\",\"LocalPort\":389,\"State\":2}\n]\n{\"LocalAddress\":\"0.0.0.0\",\"LocalPort\":53}\n";
        // The last object says neither State nor RemoteAddress: not guessed.
        let err = parse("ps", text).unwrap_err();
        assert_eq!((err.kind, err.line), (ErrorKind::Ambiguous, 5));
        assert!(err.expected.contains("powershell-udp"), "{err}");
        assert!(
            err.expected.contains("Get-NetUDPEndpoint | ConvertTo-Json"),
            "{err}"
        );
        let parsed = read("ps", text, false, Some(Transport::Udp)).unwrap();
        let lines: Vec<usize> = parsed.listeners.iter().map(|l| l.origin.line).collect();
        assert_eq!(lines, [2, 3, 5]);
        assert_eq!(parsed.listeners[0].transport, Transport::Tcp);
        assert_eq!(parsed.listeners[2].transport, Transport::Udp);
        assert!(parsed.coverage.tcp && parsed.coverage.udp);
    }

    #[test]
    fn truncated_and_wrong_shapes() {
        let err = parse("ps", r#"[{"LocalAddress":"0.0.0.0","LocalPo"#).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Truncated);
        let no_address =
            r#"[{"LocalPort":88,"State":2},{"LocalAddress":"::","LocalPort":1,"State":2}]"#;
        let err = read("ps", no_address, true, None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Malformed);
        let parsed = parse("ps", no_address).unwrap();
        assert_eq!(parsed.listeners.len(), 1);
        assert_eq!(parsed.skipped.len(), 1);
        assert!(parsed.skipped[0].problem.contains("LocalAddress"));
        let err = parse("ps", "[1, 2]").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Malformed);
        let err = parse("ps", "").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Malformed);
    }
}
