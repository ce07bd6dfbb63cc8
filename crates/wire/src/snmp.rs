//! SNMP (RFC 1157 v1, RFC 3416 / RFC 1901 v2c, RFC 3412 / RFC 3414 v3): the checker's
//! probes of UDP 161 (agent) and 162 (trap receiver).
//!
//! Hand-rolled over [`crate::ber`]: the SNMP crates either want to own the socket or bring
//! the USM crypto, and a probe needs neither.
//!
//! What is implemented:
//! * a v1 / v2c GetRequest for any OIDs, and [`system_request`] for sysDescr.0 and
//!   sysName.0, with a caller-given community and request id;
//! * a v2c InformRequest ([`inform_request`]): a trap receiver acknowledges an inform with
//!   a Response, while it never answers a trap (net-snmp's snmptrapd on 162 does exactly
//!   that);
//! * an SNMPv3 engine-ID discovery request ([`engine_discovery_request`], RFC 3414 4):
//!   noAuthNoPriv, reportable, empty user and engine ID. Agents and snmptrapd answer it
//!   with a Report that carries their authoritative engine ID, boots and time, whatever
//!   community or users they are configured with;
//! * the parse of v1 / v2c messages ([`parse_community`]) and of plaintext v3 messages
//!   ([`parse_v3`]), or either ([`parse`]): PDU type, request id, error status and index,
//!   variable bindings with every SMIv2 value type and the v2 exceptions.
//!
//! Not implemented: authentication and privacy (an encrypted v3 PDU is reported as such),
//! the v1 Trap-PDU, GetBulk and Set.

use core::fmt;
use std::net::Ipv4Addr;

use crate::ber::{self, Oid, Reader, Tag};
use crate::error::check_room;
use crate::simple::Escaped;
use crate::{Error, Result};

/// sysDescr.0 (RFC 1213 / SNMPv2-MIB).
pub const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
/// sysUpTime.0.
pub const SYS_UPTIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
/// sysName.0.
pub const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
/// snmpTrapOID.0, the second binding of every v2 notification.
pub const SNMP_TRAP_OID: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
/// netSnmpExampleHeartbeatNotification, a harmless notification to send in an inform.
pub const NET_SNMP_HEARTBEAT: &[u32] = &[1, 3, 6, 1, 4, 1, 8072, 2, 3, 0, 1];
/// usmStats (RFC 3414 5): the counters a Report names.
const USM_STATS: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1];

/// Most variable bindings read from one PDU.
pub const MAX_VARBINDS: usize = 128;
/// Longest community accepted in a request.
pub const MAX_COMMUNITY_LEN: usize = 255;
/// Largest message size announced in a v3 request (what net-snmp announces).
const V3_MAX_SIZE: i64 = 65507;
/// The User-based Security Model number (RFC 3411).
pub const SECURITY_MODEL_USM: i64 = 3;

/// Longest remote string shown in a `Display` line.
const SHOWN: usize = 48;

/// SNMP message version (the `version` / `msgVersion` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// SNMPv1, wire value 0.
    V1,
    /// SNMPv2c, wire value 1.
    V2c,
    /// SNMPv3, wire value 3.
    V3,
}

impl Version {
    fn wire(self) -> i64 {
        match self {
            Version::V1 => 0,
            Version::V2c => 1,
            Version::V3 => 3,
        }
    }

    fn from_wire(value: i64) -> Result<Version> {
        match value {
            0 => Ok(Version::V1),
            1 => Ok(Version::V2c),
            3 => Ok(Version::V3),
            _ => Err(Error::Malformed {
                what: "SNMP version",
                why: "not 0 (v1), 1 (v2c) or 3 (v3)",
            }),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V1 => "v1",
            Version::V2c => "v2c",
            Version::V3 => "v3",
        })
    }
}

/// PDU types by their context tag number (RFC 3416 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduType {
    /// `[0]`.
    GetRequest,
    /// `[1]`.
    GetNextRequest,
    /// `[2]`: GetResponse in v1, Response in v2c and v3.
    Response,
    /// `[3]`.
    SetRequest,
    /// `[5]`.
    GetBulkRequest,
    /// `[6]`.
    InformRequest,
    /// `[7]`.
    TrapV2,
    /// `[8]`.
    Report,
}

impl PduType {
    fn number(self) -> u32 {
        match self {
            PduType::GetRequest => 0,
            PduType::GetNextRequest => 1,
            PduType::Response => 2,
            PduType::SetRequest => 3,
            PduType::GetBulkRequest => 5,
            PduType::InformRequest => 6,
            PduType::TrapV2 => 7,
            PduType::Report => 8,
        }
    }

    fn from_tag(tag: Tag) -> Result<PduType> {
        if tag.class != ber::Class::Context || !tag.constructed {
            return Err(Error::malformed(
                "SNMP PDU",
                "not a constructed context tag",
            ));
        }
        match tag.number {
            0 => Ok(PduType::GetRequest),
            1 => Ok(PduType::GetNextRequest),
            2 => Ok(PduType::Response),
            3 => Ok(PduType::SetRequest),
            4 => Err(Error::Unexpected("SNMPv1 Trap-PDU")),
            5 => Ok(PduType::GetBulkRequest),
            6 => Ok(PduType::InformRequest),
            7 => Ok(PduType::TrapV2),
            8 => Ok(PduType::Report),
            _ => Err(Error::malformed("SNMP PDU", "unknown PDU type")),
        }
    }
}

impl fmt::Display for PduType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PduType::GetRequest => "GetRequest",
            PduType::GetNextRequest => "GetNextRequest",
            PduType::Response => "Response",
            PduType::SetRequest => "SetRequest",
            PduType::GetBulkRequest => "GetBulkRequest",
            PduType::InformRequest => "InformRequest",
            PduType::TrapV2 => "SNMPv2-Trap",
            PduType::Report => "Report",
        })
    }
}

/// The value of a variable binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// INTEGER / Integer32.
    Integer(i64),
    /// OCTET STRING (DisplayString, engine IDs, ...).
    OctetString(Vec<u8>),
    /// NULL, as in requests and v1 error responses.
    Null,
    /// OBJECT IDENTIFIER.
    Oid(Oid),
    /// IpAddress (`[APPLICATION 0]`).
    IpAddress(Ipv4Addr),
    /// Counter32 (`[APPLICATION 1]`).
    Counter32(u32),
    /// Gauge32 / Unsigned32 (`[APPLICATION 2]`).
    Gauge32(u32),
    /// TimeTicks, hundredths of a second (`[APPLICATION 3]`).
    TimeTicks(u32),
    /// Opaque (`[APPLICATION 4]`).
    Opaque(Vec<u8>),
    /// Counter64 (`[APPLICATION 6]`).
    Counter64(u64),
    /// v2 exception noSuchObject (`[0]`).
    NoSuchObject,
    /// v2 exception noSuchInstance (`[1]`).
    NoSuchInstance,
    /// v2 exception endOfMibView (`[2]`).
    EndOfMibView,
    /// Anything else, kept as it came.
    Unknown {
        /// The tag.
        tag: Tag,
        /// The contents octets.
        contents: Vec<u8>,
    },
}

impl Value {
    fn read(reader: &mut Reader<'_>) -> Result<Value> {
        let tlv = reader.read_tlv()?;
        let unsigned32 = |contents: &[u8]| -> Result<u32> {
            u32::try_from(ber::decode_unsigned(contents)?)
                .map_err(|_| Error::malformed("SNMP unsigned value", "above 32 bits"))
        };
        let value = match (tlv.tag.class, tlv.tag.constructed, tlv.tag.number) {
            (ber::Class::Universal, false, 2) => Value::Integer(ber::decode_integer(tlv.value)?),
            (ber::Class::Universal, false, 4) => Value::OctetString(tlv.value.to_vec()),
            (ber::Class::Universal, false, 5) => Value::Null,
            (ber::Class::Universal, false, 6) => Value::Oid(Oid::decode(tlv.value)?),
            (ber::Class::Application, false, 0) => match tlv.value {
                [a, b, c, d] => Value::IpAddress(Ipv4Addr::new(*a, *b, *c, *d)),
                _ => {
                    return Err(Error::malformed("SNMP IpAddress", "not four octets"));
                }
            },
            (ber::Class::Application, false, 1) => Value::Counter32(unsigned32(tlv.value)?),
            (ber::Class::Application, false, 2) => Value::Gauge32(unsigned32(tlv.value)?),
            (ber::Class::Application, false, 3) => Value::TimeTicks(unsigned32(tlv.value)?),
            (ber::Class::Application, false, 4) => Value::Opaque(tlv.value.to_vec()),
            (ber::Class::Application, false, 6) => {
                Value::Counter64(ber::decode_unsigned(tlv.value)?)
            }
            (ber::Class::Context, false, 0) => Value::NoSuchObject,
            (ber::Class::Context, false, 1) => Value::NoSuchInstance,
            (ber::Class::Context, false, 2) => Value::EndOfMibView,
            _ => Value::Unknown {
                tag: tlv.tag,
                contents: tlv.value.to_vec(),
            },
        };
        Ok(value)
    }

    fn write(&self, out: &mut Vec<u8>) {
        let app = Tag::application_primitive;
        match self {
            Value::Integer(value) => ber::write_integer(out, *value),
            Value::OctetString(bytes) => ber::write_octet_string(out, bytes),
            Value::Null => ber::write_null(out),
            Value::Oid(oid) => ber::write_oid(out, oid),
            Value::IpAddress(address) => ber::write_tlv(out, app(0), &address.octets()),
            Value::Counter32(value) => ber::write_unsigned(out, app(1), u64::from(*value)),
            Value::Gauge32(value) => ber::write_unsigned(out, app(2), u64::from(*value)),
            Value::TimeTicks(value) => ber::write_unsigned(out, app(3), u64::from(*value)),
            Value::Opaque(bytes) => ber::write_tlv(out, app(4), bytes),
            Value::Counter64(value) => ber::write_unsigned(out, app(6), *value),
            Value::NoSuchObject => ber::write_tlv(out, Tag::context_primitive(0), &[]),
            Value::NoSuchInstance => ber::write_tlv(out, Tag::context_primitive(1), &[]),
            Value::EndOfMibView => ber::write_tlv(out, Tag::context_primitive(2), &[]),
            Value::Unknown { tag, contents } => ber::write_tlv(out, *tag, contents),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(value) => write!(f, "INTEGER {value}"),
            Value::OctetString(bytes) => write!(f, "\"{}\"", Escaped::new(bytes, SHOWN)),
            Value::Null => f.write_str("NULL"),
            Value::Oid(oid) => write!(f, "OID {oid}"),
            Value::IpAddress(address) => write!(f, "IpAddress {address}"),
            Value::Counter32(value) => write!(f, "Counter32 {value}"),
            Value::Gauge32(value) => write!(f, "Gauge32 {value}"),
            Value::TimeTicks(value) => write!(f, "TimeTicks {value}"),
            Value::Opaque(bytes) => write!(f, "Opaque ({} bytes)", bytes.len()),
            Value::Counter64(value) => write!(f, "Counter64 {value}"),
            Value::NoSuchObject => f.write_str("noSuchObject"),
            Value::NoSuchInstance => f.write_str("noSuchInstance"),
            Value::EndOfMibView => f.write_str("endOfMibView"),
            Value::Unknown { tag, contents } => write!(f, "{tag} ({} bytes)", contents.len()),
        }
    }
}

/// One variable binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarBind {
    /// The object's name.
    pub oid: Oid,
    /// Its value, or an exception.
    pub value: Value,
}

/// A PDU with the error-status layout (every type but the v1 trap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// Which PDU.
    pub pdu_type: PduType,
    /// request-id, echoed by the agent.
    pub request_id: i32,
    /// error-status (non-repeaters for GetBulk).
    pub error_status: i64,
    /// error-index (max-repetitions for GetBulk).
    pub error_index: i64,
    /// variable-bindings, at most [`MAX_VARBINDS`].
    pub varbinds: Vec<VarBind>,
}

impl Pdu {
    fn read(reader: &mut Reader<'_>) -> Result<Pdu> {
        let tlv = reader.read_tlv()?;
        let pdu_type = PduType::from_tag(tlv.tag)?;
        let mut fields = reader.nested(tlv.value)?;
        let request_id = i32::try_from(fields.read_integer()?)
            .map_err(|_| Error::malformed("SNMP request-id", "outside Integer32"))?;
        let error_status = fields.read_integer()?;
        let error_index = fields.read_integer()?;
        let mut list = fields.read_sequence()?;
        let mut varbinds = Vec::new();
        while !list.is_empty() {
            check_room(&varbinds, MAX_VARBINDS, "SNMP variable bindings")?;
            let mut binding = list.read_sequence()?;
            let oid = binding.read_oid()?;
            let value = Value::read(&mut binding)?;
            varbinds.push(VarBind { oid, value });
        }
        Ok(Pdu {
            pdu_type,
            request_id,
            error_status,
            error_index,
            varbinds,
        })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        ber::write_constructed(out, Tag::context(self.pdu_type.number()), |pdu| {
            ber::write_integer(pdu, i64::from(self.request_id));
            ber::write_integer(pdu, self.error_status);
            ber::write_integer(pdu, self.error_index);
            ber::write_sequence(pdu, |list| {
                for binding in &self.varbinds {
                    ber::write_sequence(list, |pair| {
                        ber::write_oid(pair, &binding.oid);
                        binding.value.write(pair);
                        Ok(())
                    })?;
                }
                Ok(())
            })
        })
    }

    /// Whether this PDU answers request `request_id`: it carries that id and is a
    /// Response or a Report (RFC 3416 4.2, RFC 3412 7.1). A request with the same id, such
    /// as our own datagram reflected back, answers nothing.
    pub fn answers(&self, request_id: i32) -> bool {
        self.request_id == request_id
            && matches!(self.pdu_type, PduType::Response | PduType::Report)
    }

    /// The value bound to `oid`, if any.
    pub fn value(&self, oid: &[u32]) -> Option<&Value> {
        self.varbinds
            .iter()
            .find(|binding| binding.oid.arcs() == oid)
            .map(|binding| &binding.value)
    }

    /// The RFC 3416 name of the error status.
    pub fn error_name(&self) -> &'static str {
        error_status_name(self.error_status)
    }

    /// The summary shared by v1/v2c and v3 displays.
    fn fmt_summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.value(SYS_NAME);
        let descr = self.value(SYS_DESCR);
        if let (Some(Value::OctetString(_)), _) | (_, Some(Value::OctetString(_))) = (name, descr) {
            let mut first = true;
            for (label, value) in [("sysName", name), ("sysDescr", descr)] {
                if let Some(Value::OctetString(bytes)) = value {
                    if !first {
                        f.write_str(", ")?;
                    }
                    first = false;
                    if label == "sysName" {
                        write!(f, "{label} {}", Escaped::new(bytes, SHOWN))?;
                    } else {
                        write!(f, "{label} \"{}\"", Escaped::new(bytes, SHOWN))?;
                    }
                }
            }
            return Ok(());
        }
        write!(f, "{}", self.pdu_type)?;
        if self.error_status != 0 {
            write!(
                f,
                " error {} ({}) at index {}",
                self.error_name(),
                self.error_status,
                self.error_index
            )?;
        }
        if let Some(first) = self.varbinds.first() {
            if self.pdu_type == PduType::Report && first.oid.starts_with(USM_STATS) {
                let counter = first.oid.arcs().get(USM_STATS.len()).copied();
                write!(f, " {}", usm_stats_name(counter))?;
            } else {
                write!(f, ", {} = {}", first.oid, first.value)?;
            }
            if self.varbinds.len() > 1 {
                write!(f, " (+{} more)", self.varbinds.len() - 1)?;
            }
        }
        Ok(())
    }
}

/// Names of the error-status values of RFC 3416 3.
pub fn error_status_name(status: i64) -> &'static str {
    match status {
        0 => "noError",
        1 => "tooBig",
        2 => "noSuchName",
        3 => "badValue",
        4 => "readOnly",
        5 => "genErr",
        6 => "noAccess",
        7 => "wrongType",
        8 => "wrongLength",
        9 => "wrongEncoding",
        10 => "wrongValue",
        11 => "noCreation",
        12 => "inconsistentValue",
        13 => "resourceUnavailable",
        14 => "commitFailed",
        15 => "undoFailed",
        16 => "authorizationError",
        17 => "notWritable",
        18 => "inconsistentName",
        _ => "unknown",
    }
}

fn usm_stats_name(counter: Option<u32>) -> &'static str {
    match counter {
        Some(1) => "usmStatsUnsupportedSecLevels",
        Some(2) => "usmStatsNotInTimeWindows",
        Some(3) => "usmStatsUnknownUserNames",
        Some(4) => "usmStatsUnknownEngineIDs",
        Some(5) => "usmStatsWrongDigests",
        Some(6) => "usmStatsDecryptionErrors",
        _ => "usmStats",
    }
}

fn check_community(community: &[u8]) -> Result<()> {
    if community.len() > MAX_COMMUNITY_LEN {
        return Err(Error::too_large(
            "SNMP community",
            community.len(),
            MAX_COMMUNITY_LEN,
        ));
    }
    Ok(())
}

fn community_message(version: Version, community: &[u8], pdu: &Pdu) -> Result<Vec<u8>> {
    if version == Version::V3 {
        return Err(Error::malformed(
            "SNMP community message",
            "v3 has no community",
        ));
    }
    check_community(community)?;
    let mut out = Vec::new();
    ber::write_sequence(&mut out, |message| {
        ber::write_integer(message, version.wire());
        ber::write_octet_string(message, community);
        pdu.write(message)
    })?;
    Ok(out)
}

/// Builds a v1 or v2c GetRequest for `oids` (each bound to NULL).
pub fn get_request(
    version: Version,
    community: &[u8],
    request_id: i32,
    oids: &[&[u32]],
) -> Result<Vec<u8>> {
    if oids.len() > MAX_VARBINDS {
        return Err(Error::too_large(
            "SNMP variable bindings",
            oids.len(),
            MAX_VARBINDS,
        ));
    }
    let varbinds = oids
        .iter()
        .map(|arcs| {
            Ok(VarBind {
                oid: Oid::new(arcs)?,
                value: Value::Null,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let pdu = Pdu {
        pdu_type: PduType::GetRequest,
        request_id,
        error_status: 0,
        error_index: 0,
        varbinds,
    };
    community_message(version, community, &pdu)
}

/// Builds a v1 or v2c GetRequest for sysDescr.0 and sysName.0.
pub fn system_request(version: Version, community: &[u8], request_id: i32) -> Result<Vec<u8>> {
    get_request(version, community, request_id, &[SYS_DESCR, SYS_NAME])
}

/// Builds a v2c InformRequest with sysUpTime.0 = `uptime` (hundredths of a second) and
/// snmpTrapOID.0 = `notification` (e.g. [`NET_SNMP_HEARTBEAT`]). A trap receiver that
/// accepts the community answers with a Response echoing both bindings.
pub fn inform_request(
    community: &[u8],
    request_id: i32,
    uptime: u32,
    notification: &[u32],
) -> Result<Vec<u8>> {
    let pdu = Pdu {
        pdu_type: PduType::InformRequest,
        request_id,
        error_status: 0,
        error_index: 0,
        varbinds: vec![
            VarBind {
                oid: Oid::new(SYS_UPTIME)?,
                value: Value::TimeTicks(uptime),
            },
            VarBind {
                oid: Oid::new(SNMP_TRAP_OID)?,
                value: Value::Oid(Oid::new(notification)?),
            },
        ],
    };
    community_message(Version::V2c, community, &pdu)
}

/// Builds an SNMPv3 engine-ID discovery request (RFC 3414 4): msgID `message_id`
/// (at most 2^31-1), flags reportable + noAuthNoPriv, USM with empty engine ID and user,
/// and an empty GetRequest `request_id`. The answer is a Report parsed by [`parse_v3`].
pub fn engine_discovery_request(message_id: u32, request_id: i32) -> Result<Vec<u8>> {
    if message_id > i32::MAX as u32 {
        return Err(Error::too_large(
            "SNMPv3 msgID",
            message_id as usize,
            i32::MAX as usize,
        ));
    }
    V3Message {
        message_id,
        max_size: V3_MAX_SIZE,
        flags: flags::REPORTABLE,
        security_model: SECURITY_MODEL_USM,
        usm: Some(UsmParameters {
            engine_id: Vec::new(),
            engine_boots: 0,
            engine_time: 0,
            user_name: Vec::new(),
        }),
        context_engine_id: Vec::new(),
        pdu: Some(Pdu {
            pdu_type: PduType::GetRequest,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds: Vec::new(),
        }),
    }
    .emit()
}

/// msgFlags bits (RFC 3412 6.4).
pub mod flags {
    /// The message is authenticated.
    pub const AUTH: u8 = 0x01;
    /// The message is encrypted.
    pub const PRIV: u8 = 0x02;
    /// The receiver must send a Report on errors.
    pub const REPORTABLE: u8 = 0x04;
}

/// A v1 or v2c message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityMessage {
    /// v1 or v2c.
    pub version: Version,
    /// The community string.
    pub community: Vec<u8>,
    /// The PDU.
    pub pdu: Pdu,
}

impl CommunityMessage {
    /// Whether this message answers request `request_id` (see [`Pdu::answers`]).
    pub fn matches(&self, request_id: i32) -> bool {
        self.pdu.answers(request_id)
    }

    /// The text of sysName.0, if the agent returned it as a string.
    pub fn sys_name(&self) -> Option<String> {
        match self.pdu.value(SYS_NAME) {
            Some(Value::OctetString(bytes)) => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        }
    }

    /// Re-encodes the message (for round-trip tests and fuzzing).
    pub fn emit(&self) -> Result<Vec<u8>> {
        community_message(self.version, &self.community, &self.pdu)
    }
}

impl fmt::Display for CommunityMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SNMP {}: ", self.version)?;
        self.pdu.fmt_summary(f)
    }
}

/// The User-based Security Model parameters of a v3 message (RFC 3414 2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsmParameters {
    /// msgAuthoritativeEngineID.
    pub engine_id: Vec<u8>,
    /// msgAuthoritativeEngineBoots.
    pub engine_boots: u32,
    /// msgAuthoritativeEngineTime, seconds since the last boot.
    pub engine_time: u32,
    /// msgUserName.
    pub user_name: Vec<u8>,
}

/// A v3 message: header, USM parameters and, when not encrypted, the scoped PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Message {
    /// msgID, echoed by the engine.
    pub message_id: u32,
    /// msgMaxSize.
    pub max_size: i64,
    /// msgFlags, see [`flags`].
    pub flags: u8,
    /// msgSecurityModel (3 for USM).
    pub security_model: i64,
    /// The USM parameters, when the security model is USM.
    pub usm: Option<UsmParameters>,
    /// contextEngineID of the scoped PDU (empty when encrypted).
    pub context_engine_id: Vec<u8>,
    /// The PDU, `None` when the scoped PDU is encrypted.
    pub pdu: Option<Pdu>,
}

impl V3Message {
    /// Encodes the message, the inverse of [`parse_v3`]: the header, the USM parameters
    /// (empty authentication and privacy parameters) or, for another security model, empty
    /// security parameters, then the scoped PDU with an empty context name, or an empty
    /// encrypted PDU when the privacy flag is set. Refuses what would read back
    /// differently: USM parameters that do not match the security model, a PDU or context
    /// engine ID with the privacy flag set, no PDU without it.
    pub fn emit(&self) -> Result<Vec<u8>> {
        let bad = |why| Error::malformed("SNMPv3 message", why);
        if self.usm.is_some() != (self.security_model == SECURITY_MODEL_USM) {
            return Err(bad("USM parameters do not match the security model"));
        }
        let encrypted = self.flags & flags::PRIV != 0;
        if encrypted && (self.pdu.is_some() || !self.context_engine_id.is_empty()) {
            return Err(bad("a readable scoped PDU with the privacy flag set"));
        }
        let mut security = Vec::new();
        if let Some(usm) = &self.usm {
            ber::write_sequence(&mut security, |fields| {
                ber::write_octet_string(fields, &usm.engine_id);
                ber::write_integer(fields, i64::from(usm.engine_boots));
                ber::write_integer(fields, i64::from(usm.engine_time));
                ber::write_octet_string(fields, &usm.user_name);
                ber::write_octet_string(fields, b""); // msgAuthenticationParameters
                ber::write_octet_string(fields, b""); // msgPrivacyParameters
                Ok(())
            })?;
        }
        let mut out = Vec::new();
        ber::write_sequence(&mut out, |message| {
            ber::write_integer(message, Version::V3.wire());
            ber::write_sequence(message, |global| {
                ber::write_integer(global, i64::from(self.message_id));
                ber::write_integer(global, self.max_size);
                ber::write_octet_string(global, &[self.flags]);
                ber::write_integer(global, self.security_model);
                Ok(())
            })?;
            ber::write_octet_string(message, &security);
            match &self.pdu {
                Some(pdu) => ber::write_sequence(message, |scoped| {
                    ber::write_octet_string(scoped, &self.context_engine_id);
                    ber::write_octet_string(scoped, b""); // contextName
                    pdu.write(scoped)
                }),
                None if encrypted => {
                    ber::write_octet_string(message, b"");
                    Ok(())
                }
                None => Err(bad("no PDU without the privacy flag")),
            }
        })?;
        Ok(out)
    }

    /// Whether this message answers msgID `message_id`: the same msgID, and a Response or
    /// Report when the PDU can be read (an encrypted one cannot).
    pub fn matches(&self, message_id: u32) -> bool {
        self.message_id == message_id
            && self
                .pdu
                .as_ref()
                .is_none_or(|pdu| matches!(pdu.pdu_type, PduType::Response | PduType::Report))
    }
}

impl fmt::Display for V3Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SNMP v3: ")?;
        match &self.pdu {
            Some(pdu) => pdu.fmt_summary(f)?,
            None => f.write_str("encrypted PDU")?,
        }
        if let Some(usm) = &self.usm {
            f.write_str(", engine ID ")?;
            let shown = usm.engine_id.get(..16).unwrap_or(&usm.engine_id);
            for byte in shown {
                write!(f, "{byte:02x}")?;
            }
            if shown.len() < usm.engine_id.len() {
                f.write_str("...")?;
            }
            if let Some(enterprise) = engine_enterprise(&usm.engine_id) {
                write!(f, " (enterprise {enterprise})")?;
            }
            write!(f, ", boots {}, time {}", usm.engine_boots, usm.engine_time)?;
        }
        Ok(())
    }
}

/// The IANA enterprise number in an RFC 3411 engine ID (first bit set, then 31 bits).
fn engine_enterprise(engine_id: &[u8]) -> Option<u32> {
    match engine_id {
        [a, b, c, d, _, ..] if a & 0x80 != 0 => Some(u32::from_be_bytes([a & 0x7f, *b, *c, *d])),
        _ => None,
    }
}

/// Any SNMP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// v1 or v2c.
    Community(CommunityMessage),
    /// v3.
    V3(V3Message),
}

impl Reply {
    /// Whether the PDU of this reply answers `request_id` (see [`Pdu::answers`]; a v3
    /// Report echoes the request id of the discovery request, too). An encrypted v3 PDU
    /// never matches.
    pub fn matches(&self, request_id: i32) -> bool {
        match self {
            Reply::Community(message) => message.matches(request_id),
            Reply::V3(message) => message
                .pdu
                .as_ref()
                .is_some_and(|pdu| pdu.answers(request_id)),
        }
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Community(message) => message.fmt(f),
            Reply::V3(message) => message.fmt(f),
        }
    }
}

/// Parses any SNMP message, v1, v2c or v3.
pub fn parse(bytes: &[u8]) -> Result<Reply> {
    let mut outer = Reader::new(bytes);
    let mut message = outer.read_sequence()?;
    let version = Version::from_wire(message.read_integer()?)?;
    match version {
        Version::V3 => parse_v3(bytes).map(Reply::V3),
        _ => parse_community(bytes).map(Reply::Community),
    }
}

/// Parses a v1 or v2c message (GetResponse, Response to an inform, ...).
pub fn parse_community(bytes: &[u8]) -> Result<CommunityMessage> {
    let mut outer = Reader::new(bytes);
    let mut message = outer.read_sequence()?;
    let version = Version::from_wire(message.read_integer()?)?;
    if version == Version::V3 {
        return Err(Error::Unexpected(
            "SNMPv3 message where v1/v2c was expected",
        ));
    }
    let community = message.read_octet_string()?.to_vec();
    let pdu = Pdu::read(&mut message)?;
    Ok(CommunityMessage {
        version,
        community,
        pdu,
    })
}

fn non_negative_u32(value: i64, what: &'static str) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::malformed(what, "negative or above 32 bits"))
}

/// Parses a v3 message, typically the Report that answers [`engine_discovery_request`].
pub fn parse_v3(bytes: &[u8]) -> Result<V3Message> {
    let mut outer = Reader::new(bytes);
    let mut message = outer.read_sequence()?;
    if Version::from_wire(message.read_integer()?)? != Version::V3 {
        return Err(Error::Unexpected(
            "SNMP v1/v2c message where v3 was expected",
        ));
    }
    let mut global = message.read_sequence()?;
    let message_id = non_negative_u32(global.read_integer()?, "SNMPv3 msgID")?;
    let max_size = global.read_integer()?;
    let flags = match global.read_octet_string()? {
        [flags] => *flags,
        _ => {
            return Err(Error::malformed("SNMPv3 msgFlags", "not one octet"));
        }
    };
    let security_model = global.read_integer()?;
    let security = message.read_octet_string()?;
    let usm = if security_model == SECURITY_MODEL_USM {
        let mut outer = message.nested(security)?;
        let mut usm = outer.read_sequence()?;
        let engine_id = usm.read_octet_string()?.to_vec();
        let engine_boots = non_negative_u32(usm.read_integer()?, "SNMPv3 engine boots")?;
        let engine_time = non_negative_u32(usm.read_integer()?, "SNMPv3 engine time")?;
        let user_name = usm.read_octet_string()?.to_vec();
        Some(UsmParameters {
            engine_id,
            engine_boots,
            engine_time,
            user_name,
        })
    } else {
        None
    };
    let (context_engine_id, pdu) = if flags & flags::PRIV != 0 {
        message.read_octet_string()?;
        (Vec::new(), None)
    } else {
        let mut scoped = message.read_sequence()?;
        let context_engine_id = scoped.read_octet_string()?.to_vec();
        scoped.read_octet_string()?; // contextName
        (context_engine_id, Some(Pdu::read(&mut scoped)?))
    };
    Ok(V3Message {
        message_id,
        max_size,
        flags,
        security_model,
        usm,
        context_engine_id,
        pdu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!("../tests/fixtures/snmp/", $name, ".bin")).as_slice()
        };
    }

    #[test]
    fn requests_match_the_reference_client_bytes() {
        assert_eq!(
            system_request(Version::V2c, b"public", 0x1234).unwrap(),
            fixture!("netsnmp-5.9.3-v2c-get-system.request")
        );
        assert_eq!(
            system_request(Version::V1, b"public", 0x4321).unwrap(),
            fixture!("netsnmp-5.9.3-v1-get-system.request")
        );
        assert_eq!(
            get_request(
                Version::V2c,
                b"public",
                77,
                &[&[1, 3, 6, 1, 2, 1, 1, 99, 0], &[1, 3, 6, 1, 2, 1, 1, 1]]
            )
            .unwrap(),
            fixture!("netsnmp-5.9.3-v2c-get-missing.request")
        );
        assert_eq!(
            engine_discovery_request(0x5151, 0x6161).unwrap(),
            fixture!("netsnmp-5.9.3-v3-discovery-161.request")
        );
        assert_eq!(
            inform_request(b"public", 0x7171, 12345, NET_SNMP_HEARTBEAT).unwrap(),
            fixture!("snmptrapd-5.9.3-v2c-inform-162.request")
        );
    }

    #[test]
    fn requests_refuse_bad_parameters() {
        assert!(system_request(Version::V3, b"public", 1).is_err());
        assert!(system_request(Version::V2c, &[b'a'; 256], 1).is_err());
        assert!(get_request(Version::V2c, b"public", 1, &[&[7, 1]]).is_err());
        assert!(engine_discovery_request(u32::MAX, 1).is_err());
        assert!(inform_request(b"public", 1, 0, &[1]).is_err());
    }

    #[test]
    fn netsnmp_v2c_system_reply() {
        let reply = parse_community(fixture!("netsnmp-5.9.3-v2c-get-system")).unwrap();
        assert!(reply.matches(0x1234));
        assert!(!reply.matches(0x1235));
        assert_eq!(reply.version, Version::V2c);
        assert_eq!(reply.community, b"public");
        assert_eq!(reply.pdu.pdu_type, PduType::Response);
        assert_eq!(reply.sys_name().as_deref(), Some("svc1.lab.example"));
        assert_eq!(
            reply.to_string(),
            "SNMP v2c: sysName svc1.lab.example, sysDescr \"Linux vm 6.18.44-fc-v657 #1 SMP PREEMPT_DYNAMIC ...\""
        );
        assert_eq!(
            parse(fixture!("netsnmp-5.9.3-v2c-get-system")).unwrap(),
            Reply::Community(reply)
        );
    }

    #[test]
    fn netsnmp_v1_system_reply() {
        let reply = parse_community(fixture!("netsnmp-5.9.3-v1-get-system")).unwrap();
        assert_eq!(reply.version, Version::V1);
        assert!(reply.matches(0x4321));
        assert!(
            reply
                .to_string()
                .starts_with("SNMP v1: sysName svc1.lab.example, ")
        );
    }

    #[test]
    fn netsnmp_missing_objects() {
        let v2c = parse_community(fixture!("netsnmp-5.9.3-v2c-get-missing")).unwrap();
        assert_eq!(v2c.pdu.varbinds[0].value, Value::NoSuchObject);
        assert_eq!(v2c.pdu.varbinds[1].value, Value::NoSuchInstance);
        assert_eq!(
            v2c.to_string(),
            "SNMP v2c: Response, 1.3.6.1.2.1.1.99.0 = noSuchObject (+1 more)"
        );
        let v1 = parse_community(fixture!("netsnmp-5.9.3-v1-get-missing")).unwrap();
        assert_eq!((v1.pdu.error_status, v1.pdu.error_index), (2, 1));
        assert_eq!(
            v1.to_string(),
            "SNMP v1: Response error noSuchName (2) at index 1, 1.3.6.1.2.1.1.99.0 = NULL"
        );
    }

    #[test]
    fn engine_discovery_reports_from_agent_and_trap_receiver() {
        let agent = parse_v3(fixture!("netsnmp-5.9.3-v3-discovery-161")).unwrap();
        assert!(agent.matches(0x5151));
        let usm = agent.usm.as_ref().unwrap();
        assert_eq!(usm.engine_id.len(), 17);
        assert_eq!(engine_enterprise(&usm.engine_id), Some(8072));
        assert_eq!(usm.engine_boots, 1);
        let pdu = agent.pdu.as_ref().unwrap();
        assert_eq!(pdu.pdu_type, PduType::Report);
        assert_eq!(pdu.request_id, 0x6161);
        assert_eq!(
            agent.to_string(),
            format!(
                "SNMP v3: Report usmStatsUnknownEngineIDs, engine ID 80001f8880b017ae3f763c086b000000... (enterprise 8072), boots 1, time {}",
                usm.engine_time
            )
        );
        let trapd = parse(fixture!("snmptrapd-5.9.3-v3-discovery-162")).unwrap();
        assert!(trapd.matches(0x6161));
        assert!(!trapd.matches(0x5151));
        let Reply::V3(trapd) = trapd else {
            panic!("expected v3");
        };
        assert_eq!(trapd.pdu.map(|pdu| pdu.pdu_type), Some(PduType::Report));
        assert!(parse_community(fixture!("snmptrapd-5.9.3-v3-discovery-162")).is_err());
    }

    #[test]
    fn snmptrapd_acknowledges_an_inform() {
        let ack = parse_community(fixture!("snmptrapd-5.9.3-v2c-inform-162")).unwrap();
        assert!(ack.matches(0x7171));
        assert_eq!(ack.pdu.pdu_type, PduType::Response);
        assert_eq!(ack.pdu.value(SYS_UPTIME), Some(&Value::TimeTicks(12345)));
        assert_eq!(
            ack.to_string(),
            "SNMP v2c: Response, 1.3.6.1.2.1.1.3.0 = TimeTicks 12345 (+1 more)"
        );
    }

    #[test]
    fn a_reflected_request_is_not_an_answer() {
        for request in [
            fixture!("netsnmp-5.9.3-v2c-get-system.request"),
            fixture!("snmptrapd-5.9.3-v2c-inform-162.request"),
        ] {
            let message = parse_community(request).unwrap();
            assert!(!message.matches(message.pdu.request_id));
            assert!(!parse(request).unwrap().matches(message.pdu.request_id));
        }
        let discovery = fixture!("netsnmp-5.9.3-v3-discovery-161.request");
        assert!(!parse(discovery).unwrap().matches(0x6161));
        assert!(!parse_v3(discovery).unwrap().matches(0x5151));
    }

    #[test]
    fn every_value_type_round_trips() {
        let values = [
            Value::Integer(-3),
            Value::OctetString(b"x\x00y".to_vec()),
            Value::Null,
            Value::Oid(Oid::new(&[1, 3, 6]).unwrap()),
            Value::IpAddress(Ipv4Addr::new(10, 201, 1, 2)),
            Value::Counter32(u32::MAX),
            Value::Gauge32(7),
            Value::TimeTicks(0x8000_0000),
            Value::Opaque(vec![1, 2]),
            Value::Counter64(u64::MAX),
            Value::NoSuchObject,
            Value::NoSuchInstance,
            Value::EndOfMibView,
        ];
        let message = CommunityMessage {
            version: Version::V2c,
            community: b"public".to_vec(),
            pdu: Pdu {
                pdu_type: PduType::Response,
                request_id: -1,
                error_status: 0,
                error_index: 0,
                varbinds: values
                    .iter()
                    .map(|value| VarBind {
                        oid: Oid::new(SYS_NAME).unwrap(),
                        value: value.clone(),
                    })
                    .collect(),
            },
        };
        assert_eq!(parse_community(&message.emit().unwrap()), Ok(message));
    }

    /// A v2c message whose PDU contents `body` writes, under PDU tag `pdu_tag`.
    fn crafted(pdu_tag: u32, body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        ber::write_sequence(&mut out, |message| {
            ber::write_integer(message, 1);
            ber::write_octet_string(message, b"p");
            ber::write_constructed(message, Tag::context(pdu_tag), |pdu| {
                body(pdu);
                Ok(())
            })
        })
        .unwrap();
        out
    }

    #[test]
    fn hostile_inputs() {
        // A v1 trap is not a reply.
        let trap = crafted(4, |pdu| ber::write_oid(pdu, &Oid::new(&[1, 3]).unwrap()));
        assert!(matches!(parse(&trap), Err(Error::Unexpected(_))));
        // Version 2 does not exist.
        assert!(parse(&[0x30, 0x03, 0x02, 0x01, 0x02]).is_err());
        let response = |request_id: i64, value: &[u8]| {
            crafted(2, |pdu| {
                ber::write_integer(pdu, request_id);
                ber::write_integer(pdu, 0);
                ber::write_integer(pdu, 0);
                ber::write_sequence(pdu, |list| {
                    ber::write_sequence(list, |pair| {
                        ber::write_oid(pair, &Oid::new(SYS_NAME).unwrap());
                        pair.extend_from_slice(value);
                        Ok(())
                    })
                })
                .unwrap();
            })
        };
        assert!(parse(&response(1, &[0x05, 0x00])).is_ok());
        // An IpAddress of three octets.
        assert!(parse(&response(1, &[0x40, 0x03, 10, 0, 0])).is_err());
        // A Counter32 beyond 32 bits.
        assert!(parse(&response(1, &[0x41, 0x05, 1, 0, 0, 0, 0])).is_err());
        // A request id beyond 32 bits.
        assert!(parse(&response(1 << 40, &[0x05, 0x00])).is_err());
        // An unknown value type is kept, not refused.
        let odd = parse_community(&response(1, &[0x9f, 0x30, 0x01, 0xaa])).unwrap();
        assert_eq!(
            odd.pdu.varbinds[0].value,
            Value::Unknown {
                tag: Tag::context_primitive(0x30),
                contents: vec![0xaa]
            }
        );
        // Too many variable bindings.
        let many = CommunityMessage {
            version: Version::V2c,
            community: Vec::new(),
            pdu: Pdu {
                pdu_type: PduType::Response,
                request_id: 1,
                error_status: 0,
                error_index: 0,
                varbinds: vec![
                    VarBind {
                        oid: Oid::new(SYS_NAME).unwrap(),
                        value: Value::Null
                    };
                    MAX_VARBINDS + 1
                ],
            },
        };
        assert!(matches!(
            parse(&many.emit().unwrap()),
            Err(Error::TooLarge { .. })
        ));
        // Truncations of a real reply all fail cleanly.
        let reply = fixture!("netsnmp-5.9.3-v3-discovery-161");
        for cut in 0..reply.len() {
            assert!(parse(&reply[..cut]).is_err(), "cut {cut}");
        }
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(reply) = parse(&bytes) {
                let _ = reply.to_string();
            }
            let _ = parse_community(&bytes);
            let _ = parse_v3(&bytes);
        }

        #[test]
        fn mutated_captures_never_panic(index in 0usize..112, byte in any::<u8>()) {
            for capture in [fixture!("netsnmp-5.9.3-v3-discovery-161"), fixture!("netsnmp-5.9.3-v2c-get-system")] {
                let mut bytes = capture.to_vec();
                let at = index % bytes.len();
                bytes[at] = byte;
                if let Ok(reply) = parse(&bytes) {
                    let _ = reply.to_string();
                }
            }
        }

        #[test]
        fn get_requests_round_trip(
            v1 in any::<bool>(),
            community in proptest::collection::vec(any::<u8>(), 0..40),
            request_id in any::<i32>(),
            tails in proptest::collection::vec(proptest::collection::vec(any::<u32>(), 0..6), 1..5),
        ) {
            let version = if v1 { Version::V1 } else { Version::V2c };
            let oids: Vec<Vec<u32>> = tails.iter().map(|tail| {
                let mut arcs = vec![1, 3, 6, 1];
                arcs.extend(tail);
                arcs
            }).collect();
            let refs: Vec<&[u32]> = oids.iter().map(Vec::as_slice).collect();
            let bytes = get_request(version, &community, request_id, &refs).unwrap();
            let message = parse_community(&bytes).unwrap();
            prop_assert_eq!(message.version, version);
            prop_assert_eq!(&message.community, &community);
            prop_assert_eq!(message.pdu.request_id, request_id);
            // Our own request, reflected back, answers nothing.
            prop_assert!(!message.matches(request_id));
            prop_assert!(!parse(&bytes).unwrap().matches(request_id));
            prop_assert_eq!(message.pdu.pdu_type, PduType::GetRequest);
            let parsed: Vec<&[u32]> = message.pdu.varbinds.iter().map(|b| b.oid.arcs()).collect();
            prop_assert_eq!(parsed, refs);
            prop_assert_eq!(message.emit().unwrap(), bytes);
        }

        #[test]
        fn discovery_requests_round_trip(message_id in 0..=i32::MAX as u32, request_id in any::<i32>()) {
            let bytes = engine_discovery_request(message_id, request_id).unwrap();
            let message = parse_v3(&bytes).unwrap();
            prop_assert_eq!(message.message_id, message_id);
            // Our own request, reflected back, answers nothing.
            prop_assert!(!message.matches(message_id));
            prop_assert!(!parse(&bytes).unwrap().matches(request_id));
            prop_assert_eq!(message.flags, flags::REPORTABLE);
            prop_assert_eq!(message.pdu.map(|pdu| pdu.request_id), Some(request_id));
        }
    }
}
