//! Kerberos V5 (RFC 4120): the AS-REQ that the checker sends to a KDC on port 88 and the
//! parse of what comes back.
//!
//! Hand-rolled over [`crate::ber`]: the Kerberos crates bring the whole crypto stack, and a
//! probe needs none of it. The request carries no pre-authentication, so a KDC that knows
//! the client answers with KRB-ERROR `KDC_ERR_PREAUTH_REQUIRED` (25), and one that does not
//! with `KDC_ERR_C_PRINCIPAL_UNKNOWN` (6); any KRB-ERROR proves a KDC. An account without
//! pre-authentication gets an AS-REP, which is reported but not decrypted.
//!
//! What is implemented:
//! * [`AsRequest`] (RFC 4120 5.4.1, `[APPLICATION 10]`): client principal, realm, nonce and
//!   etypes from the caller, sname `krbtgt/REALM`, a fixed end time, options forwardable,
//!   renewable, canonicalize and renewable-ok; its parse, for round trips;
//! * [`parse`]: KRB-ERROR (5.9.1, `[APPLICATION 30]`) with the error code's name, the
//!   realms, names and e-text, and the pre-authentication types and etypes a
//!   `PREAUTH_REQUIRED` error offers in its METHOD-DATA; AS-REP (5.4.2, `[APPLICATION 11]`)
//!   with the client and ticket names;
//! * the TCP record framing of 7.2.2 ([`frame_tcp`], [`tcp_record_len`], [`unframe_tcp`]).

use core::fmt;

use crate::ber::{self, Reader, Tag};
use crate::error::{check_room, slice};
use crate::simple::Escaped;
use crate::{Error, Result};

/// Kerberos protocol version.
const PVNO: i64 = 5;
/// msg-type of an AS-REQ (and its application tag).
const AS_REQ: u32 = 10;
/// msg-type of an AS-REP.
const AS_REP: u32 = 11;
/// msg-type of a KRB-ERROR.
const KRB_ERROR: u32 = 30;
/// The ticket's application tag.
const TICKET: u32 = 1;

/// Encryption types (RFC 3961 / 3962 / 4757 / 8009).
pub mod etype {
    /// aes128-cts-hmac-sha1-96.
    pub const AES128_CTS_HMAC_SHA1_96: i32 = 17;
    /// aes256-cts-hmac-sha1-96.
    pub const AES256_CTS_HMAC_SHA1_96: i32 = 18;
    /// aes128-cts-hmac-sha256-128.
    pub const AES128_CTS_HMAC_SHA256_128: i32 = 19;
    /// aes256-cts-hmac-sha384-192.
    pub const AES256_CTS_HMAC_SHA384_192: i32 = 20;
    /// rc4-hmac.
    pub const RC4_HMAC: i32 = 23;
}

/// The etypes the checker offers: what Active Directory and Samba both accept.
pub const DEFAULT_ETYPES: &[i32] = &[
    etype::AES256_CTS_HMAC_SHA1_96,
    etype::AES128_CTS_HMAC_SHA1_96,
    etype::RC4_HMAC,
];

/// Principal name types (RFC 4120 6.2).
pub mod name_type {
    /// NT-PRINCIPAL: a user or host.
    pub const PRINCIPAL: i32 = 1;
    /// NT-SRV-INST: a service instance such as `krbtgt/REALM`.
    pub const SRV_INST: i32 = 2;
}

/// PA-DATA types worth naming (RFC 4120 7.5.2, RFC 6113, [MS-KILE]).
pub mod padata {
    /// PA-ENC-TIMESTAMP.
    pub const ENC_TIMESTAMP: i32 = 2;
    /// PA-ETYPE-INFO2.
    pub const ETYPE_INFO2: i32 = 19;
}

/// KDCOptions: forwardable (1), renewable (8), canonicalize (15), renewable-ok (27), as
/// MIT kinit sends them.
const KDC_OPTIONS: u32 = 0x4081_0010;
/// The `till` of the request: the end of time as MIT kinit spells it.
const TILL: &[u8] = b"20370913024805Z";
/// Nonces are kept to 31 bits: Samba 4.17's KDC silently drops an AS-REQ whose nonce
/// needs a fifth INTEGER octet (checked against 10.201.0.2).
const NONCE_MASK: u32 = 0x7fff_ffff;

/// Most name components in a principal.
pub const MAX_COMPONENTS: usize = 16;
/// Longest realm or name component accepted in a request, in bytes.
pub const MAX_NAME_LEN: usize = 255;
/// Most etypes in a request or read from a reply.
pub const MAX_ETYPES: usize = 32;
/// Most PA-DATA entries read from an error's METHOD-DATA.
pub const MAX_PADATA: usize = 32;
/// Largest Kerberos message accepted in a TCP record.
pub const MAX_MESSAGE_LEN: usize = ber::MAX_LENGTH;

/// Longest remote string shown in a `Display` line.
const SHOWN: usize = 40;

/// A PrincipalName: a type and its components (`krbtgt` / `LAB.EXAMPLE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalName {
    /// name-type, see [`name_type`].
    pub name_type: i32,
    /// name-string, at most [`MAX_COMPONENTS`].
    pub components: Vec<String>,
}

impl PrincipalName {
    fn read(reader: &mut Reader<'_>) -> Result<PrincipalName> {
        let mut fields = reader.read_sequence()?;
        let name_type = read_int32(&mut fields.read_explicit(0)?, "Kerberos name-type")?;
        let mut list = fields.read_explicit(1)?.read_sequence()?;
        let mut components = Vec::new();
        while !list.is_empty() {
            check_room(&components, MAX_COMPONENTS, "Kerberos name components")?;
            components.push(read_string(&mut list)?);
        }
        Ok(PrincipalName {
            name_type,
            components,
        })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        ber::write_sequence(out, |fields| {
            ber::write_explicit(fields, 0, |field| {
                ber::write_integer(field, i64::from(self.name_type));
                Ok(())
            })?;
            ber::write_explicit(fields, 1, |field| {
                ber::write_sequence(field, |list| {
                    for component in &self.components {
                        ber::write_tlv(list, Tag::GENERAL_STRING, component.as_bytes());
                    }
                    Ok(())
                })
            })
        })
    }

    /// Whether the components equal `other`'s, ignoring ASCII case (a KDC that
    /// canonicalizes may change the case of a user name).
    fn same_as(&self, other: &PrincipalName) -> bool {
        self.components.len() == other.components.len()
            && self
                .components
                .iter()
                .zip(&other.components)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

impl fmt::Display for PrincipalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, component) in self.components.iter().enumerate() {
            if index > 0 {
                f.write_str("/")?;
            }
            write!(f, "{}", Escaped::new(component.as_bytes(), SHOWN))?;
        }
        Ok(())
    }
}

/// Reads a KerberosString / Realm (GeneralString; UTF8String tolerated).
fn read_string(reader: &mut Reader<'_>) -> Result<String> {
    let tlv = reader.read_tlv()?;
    if tlv.tag != Tag::GENERAL_STRING && tlv.tag != Tag::universal(12, false) {
        return Err(Error::malformed("Kerberos string", "not a GeneralString"));
    }
    Ok(String::from_utf8_lossy(tlv.value).into_owned())
}

fn read_int32(reader: &mut Reader<'_>, what: &'static str) -> Result<i32> {
    i32::try_from(reader.read_integer()?).map_err(|_| Error::malformed(what, "outside Int32"))
}

/// Reads `[number] { INTEGER }` and checks it equals `expected`.
fn expect_explicit_integer(
    fields: &mut Reader<'_>,
    number: u32,
    expected: i64,
    what: &'static str,
) -> Result<()> {
    if fields.read_explicit(number)?.read_integer()? == expected {
        Ok(())
    } else {
        Err(Error::malformed(what, "unexpected value"))
    }
}

/// An AS-REQ without pre-authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsRequest {
    /// The client principal's components, e.g. `["administrator"]` (NT-PRINCIPAL).
    pub client: Vec<String>,
    /// The realm, e.g. `LAB.EXAMPLE`; also the realm of the `krbtgt` service asked for.
    pub realm: String,
    /// The nonce; only its low 31 bits go on the wire (see the module notes).
    pub nonce: u32,
    /// The etypes offered, most preferred first.
    pub etypes: Vec<i32>,
}

impl AsRequest {
    /// A request for `client` (components split at `/`) in `realm` with
    /// [`DEFAULT_ETYPES`].
    pub fn new(client: &str, realm: &str, nonce: u32) -> AsRequest {
        AsRequest {
            client: client.split('/').map(str::to_owned).collect(),
            realm: realm.to_owned(),
            nonce,
            etypes: DEFAULT_ETYPES.to_vec(),
        }
    }

    fn check(&self) -> Result<()> {
        let bad = |why| Error::malformed("AS-REQ parameters", why);
        if self.realm.is_empty() || self.client.is_empty() {
            return Err(bad("empty realm or client"));
        }
        if self.client.iter().any(String::is_empty) {
            return Err(bad("empty client name component"));
        }
        if self.etypes.is_empty() {
            return Err(bad("no etype"));
        }
        let too_large = |what, value, limit| Error::too_large(what, value, limit);
        if self.client.len() > MAX_COMPONENTS {
            return Err(too_large(
                "AS-REQ client components",
                self.client.len(),
                MAX_COMPONENTS,
            ));
        }
        if self.etypes.len() > MAX_ETYPES {
            return Err(too_large("AS-REQ etypes", self.etypes.len(), MAX_ETYPES));
        }
        let longest = self
            .client
            .iter()
            .map(String::len)
            .chain([self.realm.len()])
            .max()
            .unwrap_or(0);
        if longest > MAX_NAME_LEN {
            return Err(too_large("AS-REQ name", longest, MAX_NAME_LEN));
        }
        Ok(())
    }

    fn service(&self) -> PrincipalName {
        PrincipalName {
            name_type: name_type::SRV_INST,
            components: vec!["krbtgt".to_owned(), self.realm.clone()],
        }
    }

    /// Encodes the request for UDP (wrap it with [`frame_tcp`] for TCP).
    pub fn emit(&self) -> Result<Vec<u8>> {
        self.check()?;
        let client = PrincipalName {
            name_type: name_type::PRINCIPAL,
            components: self.client.clone(),
        };
        let mut out = Vec::new();
        ber::write_constructed(&mut out, Tag::application(AS_REQ), |request| {
            ber::write_sequence(request, |kdc_req| {
                ber::write_explicit(kdc_req, 1, |field| {
                    ber::write_integer(field, PVNO);
                    Ok(())
                })?;
                ber::write_explicit(kdc_req, 2, |field| {
                    ber::write_integer(field, i64::from(AS_REQ));
                    Ok(())
                })?;
                ber::write_explicit(kdc_req, 4, |field| {
                    ber::write_sequence(field, |body| self.write_body(body, &client))
                })
            })
        })?;
        Ok(out)
    }

    fn write_body(&self, body: &mut Vec<u8>, client: &PrincipalName) -> Result<()> {
        ber::write_explicit(body, 0, |field| {
            // A BIT STRING with no unused bits: the 32 option flags.
            let mut bits = vec![0u8];
            bits.extend_from_slice(&KDC_OPTIONS.to_be_bytes());
            ber::write_tlv(field, Tag::BIT_STRING, &bits);
            Ok(())
        })?;
        ber::write_explicit(body, 1, |field| client.write(field))?;
        ber::write_explicit(body, 2, |field| {
            ber::write_tlv(field, Tag::GENERAL_STRING, self.realm.as_bytes());
            Ok(())
        })?;
        ber::write_explicit(body, 3, |field| self.service().write(field))?;
        ber::write_explicit(body, 5, |field| {
            ber::write_tlv(field, Tag::GENERALIZED_TIME, TILL);
            Ok(())
        })?;
        ber::write_explicit(body, 7, |field| {
            ber::write_integer(field, i64::from(self.nonce & NONCE_MASK));
            Ok(())
        })?;
        ber::write_explicit(body, 8, |field| {
            ber::write_sequence(field, |list| {
                for &etype in &self.etypes {
                    ber::write_integer(list, i64::from(etype));
                }
                Ok(())
            })
        })
    }

    /// Decodes an AS-REQ into the fields this module sets (padata, options, service and
    /// times are skipped). Used for round trips and by test KDCs.
    pub fn parse(bytes: &[u8]) -> Result<AsRequest> {
        let mut outer = Reader::new(bytes);
        let mut request = outer.read_application(AS_REQ)?;
        let mut kdc_req = request.read_sequence()?;
        expect_explicit_integer(&mut kdc_req, 1, PVNO, "Kerberos pvno")?;
        expect_explicit_integer(&mut kdc_req, 2, i64::from(AS_REQ), "Kerberos msg-type")?;
        kdc_req.read_optional_explicit(3)?;
        let mut body = kdc_req.read_explicit(4)?.read_sequence()?;
        body.read_explicit(0)?; // kdc-options
        let client = match body.read_optional_explicit(1)? {
            Some(mut field) => PrincipalName::read(&mut field)?.components,
            None => Vec::new(),
        };
        let realm = read_string(&mut body.read_explicit(2)?)?;
        let mut nonce = None;
        let mut etypes = Vec::new();
        while !body.is_empty() {
            let tlv = body.read_tlv()?;
            let mut field = body.nested(tlv.value)?;
            if tlv.tag == Tag::context(7) {
                let value = field.read_integer()?;
                nonce = Some(
                    u32::try_from(value)
                        .map_err(|_| Error::malformed("Kerberos nonce", "outside UInt32"))?,
                );
            } else if tlv.tag == Tag::context(8) {
                let mut list = field.read_sequence()?;
                while !list.is_empty() {
                    check_room(&etypes, MAX_ETYPES, "AS-REQ etypes")?;
                    etypes.push(read_int32(&mut list, "Kerberos etype")?);
                }
            }
        }
        let nonce = nonce.ok_or(Error::malformed("AS-REQ", "no nonce"))?;
        Ok(AsRequest {
            client,
            realm,
            nonce,
            etypes,
        })
    }
}

/// Builds an AS-REQ for `client` in `realm` with [`DEFAULT_ETYPES`] (see [`AsRequest`]).
pub fn as_request(client: &str, realm: &str, nonce: u32) -> Result<Vec<u8>> {
    AsRequest::new(client, realm, nonce).emit()
}

/// Prefixes `message` with its 4-byte big-endian length for TCP (RFC 4120 7.2.2).
pub fn frame_tcp(message: &[u8]) -> Result<Vec<u8>> {
    if message.len() > MAX_MESSAGE_LEN {
        return Err(Error::too_large(
            "Kerberos TCP record",
            message.len(),
            MAX_MESSAGE_LEN,
        ));
    }
    let length = u32::try_from(message.len())
        .map_err(|_| Error::too_large("Kerberos TCP record", message.len(), MAX_MESSAGE_LEN))?;
    let mut out = Vec::with_capacity(4 + message.len());
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(message);
    Ok(out)
}

/// Total length (prefix included) of the TCP record that starts `buf`, once its 4-byte
/// prefix has arrived (`Ok(None)`: read more). The reserved high bit and lengths above
/// [`MAX_MESSAGE_LEN`] are errors.
pub fn tcp_record_len(buf: &[u8]) -> Result<Option<usize>> {
    let Some(prefix) = buf.get(..4) else {
        return Ok(None);
    };
    let length = u32::from_be_bytes(prefix.try_into().unwrap_or_default());
    if length & 0x8000_0000 != 0 {
        return Err(Error::malformed(
            "Kerberos TCP record length",
            "reserved high bit set",
        ));
    }
    let length = length as usize;
    if length > MAX_MESSAGE_LEN {
        return Err(Error::too_large(
            "Kerberos TCP record",
            length,
            MAX_MESSAGE_LEN,
        ));
    }
    Ok(Some(4 + length))
}

/// The message inside a complete TCP record (bytes after the record are ignored).
pub fn unframe_tcp(buf: &[u8]) -> Result<&[u8]> {
    let total =
        tcp_record_len(buf)?.ok_or(Error::truncated("Kerberos TCP length prefix", 4, buf.len()))?;
    slice(buf, 4..total, "Kerberos TCP record")
}

/// A KRB-ERROR (RFC 4120 5.9.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KrbError {
    /// error-code, see [`error_code_name`].
    pub error_code: i32,
    /// stime, the KDC's clock (GeneralizedTime text).
    pub server_time: String,
    /// crealm, if present.
    pub client_realm: Option<String>,
    /// cname, if present.
    pub client_name: Option<PrincipalName>,
    /// realm of the service.
    pub realm: String,
    /// sname.
    pub service_name: PrincipalName,
    /// e-text, if present.
    pub text: Option<String>,
    /// The padata types a KDC_ERR_PREAUTH_REQUIRED offers in its METHOD-DATA.
    pub padata_types: Vec<i32>,
    /// The etypes its PA-ETYPE-INFO2 lists.
    pub etypes: Vec<i32>,
}

impl KrbError {
    /// The RFC 4120 name of the error code.
    pub fn name(&self) -> &'static str {
        error_code_name(self.error_code)
    }

    fn read(fields: &mut Reader<'_>) -> Result<KrbError> {
        expect_explicit_integer(fields, 0, PVNO, "Kerberos pvno")?;
        expect_explicit_integer(fields, 1, i64::from(KRB_ERROR), "Kerberos msg-type")?;
        fields.read_optional_explicit(2)?; // ctime
        fields.read_optional_explicit(3)?; // cusec
        let server_time = {
            let mut field = fields.read_explicit(4)?;
            String::from_utf8_lossy(field.read_expected(Tag::GENERALIZED_TIME)?).into_owned()
        };
        fields.read_explicit(5)?; // susec
        let error_code = read_int32(&mut fields.read_explicit(6)?, "Kerberos error-code")?;
        let client_realm = fields
            .read_optional_explicit(7)?
            .map(|mut field| read_string(&mut field))
            .transpose()?;
        let client_name = fields
            .read_optional_explicit(8)?
            .map(|mut field| PrincipalName::read(&mut field))
            .transpose()?;
        let realm = read_string(&mut fields.read_explicit(9)?)?;
        let service_name = PrincipalName::read(&mut fields.read_explicit(10)?)?;
        let text = fields
            .read_optional_explicit(11)?
            .map(|mut field| read_string(&mut field))
            .transpose()?;
        let mut error = KrbError {
            error_code,
            server_time,
            client_realm,
            client_name,
            realm,
            service_name,
            text,
            padata_types: Vec::new(),
            etypes: Vec::new(),
        };
        if let Some(mut field) = fields.read_optional_explicit(12)? {
            let data = field.read_octet_string()?;
            // e-data is METHOD-DATA only for some errors; anything else is left alone.
            if let Ok((types, etypes)) = read_method_data(&field.nested(data)?) {
                error.padata_types = types;
                error.etypes = etypes;
            }
        }
        Ok(error)
    }
}

/// Reads METHOD-DATA (SEQUENCE OF PA-DATA): the padata types, and the etypes of a
/// PA-ETYPE-INFO2 among them.
fn read_method_data(reader: &Reader<'_>) -> Result<(Vec<i32>, Vec<i32>)> {
    let mut outer = reader.clone();
    let mut list = outer.read_sequence()?;
    let mut types = Vec::new();
    let mut etypes = Vec::new();
    while !list.is_empty() {
        check_room(&types, MAX_PADATA, "Kerberos METHOD-DATA entries")?;
        let mut entry = list.read_sequence()?;
        let padata_type = read_int32(&mut entry.read_explicit(1)?, "Kerberos padata-type")?;
        let value = entry.read_explicit(2)?.read_octet_string()?;
        types.push(padata_type);
        if padata_type == padata::ETYPE_INFO2 {
            let mut info = list.nested(value)?;
            let mut entries = info.read_sequence()?;
            while !entries.is_empty() && etypes.len() < MAX_ETYPES {
                let mut entry = entries.read_sequence()?;
                etypes.push(read_int32(&mut entry.read_explicit(0)?, "Kerberos etype")?);
            }
        }
    }
    Ok((types, etypes))
}

/// An AS-REP (RFC 4120 5.4.2); the encrypted parts are not opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsRep {
    /// crealm.
    pub client_realm: String,
    /// cname.
    pub client_name: PrincipalName,
    /// The ticket's realm.
    pub ticket_realm: String,
    /// The ticket's sname.
    pub ticket_service: PrincipalName,
    /// The etype of the part encrypted for the client.
    pub enc_etype: i32,
}

impl AsRep {
    fn read(fields: &mut Reader<'_>) -> Result<AsRep> {
        expect_explicit_integer(fields, 0, PVNO, "Kerberos pvno")?;
        expect_explicit_integer(fields, 1, i64::from(AS_REP), "Kerberos msg-type")?;
        fields.read_optional_explicit(2)?; // padata
        let client_realm = read_string(&mut fields.read_explicit(3)?)?;
        let client_name = PrincipalName::read(&mut fields.read_explicit(4)?)?;
        let mut ticket = fields
            .read_explicit(5)?
            .read_application(TICKET)?
            .read_sequence()?;
        expect_explicit_integer(&mut ticket, 0, PVNO, "Kerberos tkt-vno")?;
        let ticket_realm = read_string(&mut ticket.read_explicit(1)?)?;
        let ticket_service = PrincipalName::read(&mut ticket.read_explicit(2)?)?;
        let mut enc_part = fields.read_explicit(6)?.read_sequence()?;
        let enc_etype = read_int32(&mut enc_part.read_explicit(0)?, "Kerberos etype")?;
        Ok(AsRep {
            client_realm,
            client_name,
            ticket_realm,
            ticket_service,
            enc_etype,
        })
    }
}

/// What a KDC answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A KRB-ERROR: proof of a KDC whatever the code.
    Error(KrbError),
    /// An AS-REP: the client needs no pre-authentication.
    AsRep(AsRep),
}

impl Reply {
    /// Whether this reply can answer `request`: the client name, where the reply names
    /// one, must be the requested one (ASCII case ignored). KRB-ERROR carries no nonce in
    /// clear, so this is the only check possible without keys.
    pub fn matches(&self, request: &AsRequest) -> bool {
        let requested = PrincipalName {
            name_type: name_type::PRINCIPAL,
            components: request.client.clone(),
        };
        match self {
            Reply::Error(error) => error
                .client_name
                .as_ref()
                .is_none_or(|name| name.same_as(&requested)),
            Reply::AsRep(reply) => reply.client_name.same_as(&requested),
        }
    }
}

/// Parses a KDC's answer: a UDP datagram, or a TCP record after [`unframe_tcp`].
pub fn parse(bytes: &[u8]) -> Result<Reply> {
    let mut outer = Reader::new(bytes);
    let tlv = outer.read_tlv()?;
    if tlv.tag == Tag::application(KRB_ERROR) {
        let mut fields = outer.nested(tlv.value)?.read_sequence()?;
        KrbError::read(&mut fields).map(Reply::Error)
    } else if tlv.tag == Tag::application(AS_REP) {
        let mut fields = outer.nested(tlv.value)?.read_sequence()?;
        AsRep::read(&mut fields).map(Reply::AsRep)
    } else {
        Err(Error::Unexpected("neither KRB-ERROR nor AS-REP"))
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Error(error) => write!(
                f,
                "Kerberos: KRB-ERROR {} ({}), realm {}",
                error.name(),
                error.error_code,
                Escaped::new(error.realm.as_bytes(), SHOWN)
            ),
            Reply::AsRep(reply) => write!(
                f,
                "Kerberos: AS-REP for {}@{} (no pre-authentication required)",
                reply.client_name,
                Escaped::new(reply.client_realm.as_bytes(), SHOWN)
            ),
        }
    }
}

/// Names of the error codes of RFC 4120 7.5.9, RFC 4556 and RFC 6113.
pub fn error_code_name(code: i32) -> &'static str {
    match code {
        0 => "KDC_ERR_NONE",
        1 => "KDC_ERR_NAME_EXP",
        2 => "KDC_ERR_SERVICE_EXP",
        3 => "KDC_ERR_BAD_PVNO",
        4 => "KDC_ERR_C_OLD_MAST_KVNO",
        5 => "KDC_ERR_S_OLD_MAST_KVNO",
        6 => "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        7 => "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        8 => "KDC_ERR_PRINCIPAL_NOT_UNIQUE",
        9 => "KDC_ERR_NULL_KEY",
        10 => "KDC_ERR_CANNOT_POSTDATE",
        11 => "KDC_ERR_NEVER_VALID",
        12 => "KDC_ERR_POLICY",
        13 => "KDC_ERR_BADOPTION",
        14 => "KDC_ERR_ETYPE_NOSUPP",
        15 => "KDC_ERR_SUMTYPE_NOSUPP",
        16 => "KDC_ERR_PADATA_TYPE_NOSUPP",
        17 => "KDC_ERR_TRTYPE_NOSUPP",
        18 => "KDC_ERR_CLIENT_REVOKED",
        19 => "KDC_ERR_SERVICE_REVOKED",
        20 => "KDC_ERR_TGT_REVOKED",
        21 => "KDC_ERR_CLIENT_NOTYET",
        22 => "KDC_ERR_SERVICE_NOTYET",
        23 => "KDC_ERR_KEY_EXPIRED",
        24 => "KDC_ERR_PREAUTH_FAILED",
        25 => "KDC_ERR_PREAUTH_REQUIRED",
        26 => "KDC_ERR_SERVER_NOMATCH",
        27 => "KDC_ERR_MUST_USE_USER2USER",
        28 => "KDC_ERR_PATH_NOT_ACCEPTED",
        29 => "KDC_ERR_SVC_UNAVAILABLE",
        31 => "KRB_AP_ERR_BAD_INTEGRITY",
        32 => "KRB_AP_ERR_TKT_EXPIRED",
        33 => "KRB_AP_ERR_TKT_NYV",
        34 => "KRB_AP_ERR_REPEAT",
        35 => "KRB_AP_ERR_NOT_US",
        36 => "KRB_AP_ERR_BADMATCH",
        37 => "KRB_AP_ERR_SKEW",
        38 => "KRB_AP_ERR_BADADDR",
        39 => "KRB_AP_ERR_BADVERSION",
        40 => "KRB_AP_ERR_MSG_TYPE",
        41 => "KRB_AP_ERR_MODIFIED",
        42 => "KRB_AP_ERR_BADORDER",
        44 => "KRB_AP_ERR_BADKEYVER",
        45 => "KRB_AP_ERR_NOKEY",
        46 => "KRB_AP_ERR_MUT_FAIL",
        47 => "KRB_AP_ERR_BADDIRECTION",
        48 => "KRB_AP_ERR_METHOD",
        49 => "KRB_AP_ERR_BADSEQ",
        50 => "KRB_AP_ERR_INAPP_CKSUM",
        51 => "KRB_AP_PATH_NOT_ACCEPTED",
        52 => "KRB_ERR_RESPONSE_TOO_BIG",
        60 => "KRB_ERR_GENERIC",
        61 => "KRB_ERR_FIELD_TOOLONG",
        62 => "KDC_ERR_CLIENT_NOT_TRUSTED",
        63 => "KDC_ERR_KDC_NOT_TRUSTED",
        64 => "KDC_ERR_INVALID_SIG",
        65 => "KDC_ERR_KEY_TOO_WEAK",
        66 => "KDC_ERR_CERTIFICATE_MISMATCH",
        67 => "KRB_AP_ERR_NO_TGT",
        68 => "KDC_ERR_WRONG_REALM",
        69 => "KRB_AP_ERR_USER_TO_USER_REQUIRED",
        70 => "KDC_ERR_CANT_VERIFY_CERTIFICATE",
        71 => "KDC_ERR_INVALID_CERTIFICATE",
        72 => "KDC_ERR_REVOKED_CERTIFICATE",
        73 => "KDC_ERR_REVOCATION_STATUS_UNKNOWN",
        74 => "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE",
        75 => "KDC_ERR_CLIENT_NAME_MISMATCH",
        76 => "KDC_ERR_KDC_NAME_MISMATCH",
        90 => "KDC_ERR_PREAUTH_EXPIRED",
        91 => "KDC_ERR_MORE_PREAUTH_DATA_REQUIRED",
        92 => "KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET",
        93 => "KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS",
        _ => "unknown error code",
    }
}

impl KrbError {
    /// Encodes the error (RFC 4120 5.9.1), the inverse of [`parse`]: with padata types,
    /// e-data is the METHOD-DATA that lists them, and the etypes go into the first
    /// PA-ETYPE-INFO2 among them (so a parsed error writes back the same [`KrbError`]).
    /// Refuses what the parser would not read back: more than [`MAX_COMPONENTS`] name
    /// components, more than [`MAX_PADATA`] padata types or [`MAX_ETYPES`] etypes, and
    /// etypes without a PA-ETYPE-INFO2 to carry them.
    pub fn emit(&self) -> Result<Vec<u8>> {
        let components = self
            .client_name
            .iter()
            .chain([&self.service_name])
            .map(|name| name.components.len())
            .max()
            .unwrap_or(0);
        if components > MAX_COMPONENTS {
            return Err(Error::too_large(
                "KRB-ERROR name components",
                components,
                MAX_COMPONENTS,
            ));
        }
        let method_data = self.method_data()?;
        let mut out = Vec::new();
        ber::write_constructed(&mut out, Tag::application(KRB_ERROR), |message| {
            ber::write_sequence(message, |fields| {
                let integer = |fields: &mut Vec<u8>, number, value: i64| {
                    ber::write_explicit(fields, number, |field| {
                        ber::write_integer(field, value);
                        Ok(())
                    })
                };
                let string = |fields: &mut Vec<u8>, number, value: &str| {
                    ber::write_explicit(fields, number, |field| {
                        ber::write_tlv(field, Tag::GENERAL_STRING, value.as_bytes());
                        Ok(())
                    })
                };
                integer(fields, 0, PVNO)?;
                integer(fields, 1, i64::from(KRB_ERROR))?;
                ber::write_explicit(fields, 4, |field| {
                    ber::write_tlv(field, Tag::GENERALIZED_TIME, self.server_time.as_bytes());
                    Ok(())
                })?;
                integer(fields, 5, 0)?;
                integer(fields, 6, i64::from(self.error_code))?;
                if let Some(realm) = &self.client_realm {
                    string(fields, 7, realm)?;
                }
                if let Some(name) = &self.client_name {
                    ber::write_explicit(fields, 8, |field| name.write(field))?;
                }
                string(fields, 9, &self.realm)?;
                ber::write_explicit(fields, 10, |field| self.service_name.write(field))?;
                if let Some(text) = &self.text {
                    string(fields, 11, text)?;
                }
                if let Some(data) = &method_data {
                    ber::write_explicit(fields, 12, |field| {
                        ber::write_octet_string(field, data);
                        Ok(())
                    })?;
                }
                Ok(())
            })
        })?;
        Ok(out)
    }

    /// The METHOD-DATA (SEQUENCE OF PA-DATA) carrying the padata types and etypes, if any.
    fn method_data(&self) -> Result<Option<Vec<u8>>> {
        if self.padata_types.is_empty() && self.etypes.is_empty() {
            return Ok(None);
        }
        if self.padata_types.len() > MAX_PADATA {
            return Err(Error::too_large(
                "KRB-ERROR padata types",
                self.padata_types.len(),
                MAX_PADATA,
            ));
        }
        if self.etypes.len() > MAX_ETYPES {
            return Err(Error::too_large(
                "KRB-ERROR etypes",
                self.etypes.len(),
                MAX_ETYPES,
            ));
        }
        let carrier = self
            .padata_types
            .iter()
            .position(|&kind| kind == padata::ETYPE_INFO2);
        if carrier.is_none() && !self.etypes.is_empty() {
            return Err(Error::malformed(
                "KRB-ERROR",
                "etypes without a PA-ETYPE-INFO2 to carry them",
            ));
        }
        let mut out = Vec::new();
        ber::write_sequence(&mut out, |list| {
            for (index, &kind) in self.padata_types.iter().enumerate() {
                // ETYPE-INFO2 (SEQUENCE OF ETYPE-INFO2-ENTRY, each with its etype in [0]).
                let mut value = Vec::new();
                if kind == padata::ETYPE_INFO2 {
                    let etypes: &[i32] = if Some(index) == carrier {
                        &self.etypes
                    } else {
                        &[]
                    };
                    ber::write_sequence(&mut value, |entries| {
                        for &etype in etypes {
                            ber::write_sequence(entries, |entry| {
                                ber::write_explicit(entry, 0, |field| {
                                    ber::write_integer(field, i64::from(etype));
                                    Ok(())
                                })
                            })?;
                        }
                        Ok(())
                    })?;
                }
                ber::write_sequence(list, |entry| {
                    ber::write_explicit(entry, 1, |field| {
                        ber::write_integer(field, i64::from(kind));
                        Ok(())
                    })?;
                    ber::write_explicit(entry, 2, |field| {
                        ber::write_octet_string(field, &value);
                        Ok(())
                    })
                })?;
            }
            Ok(())
        })?;
        Ok(Some(out))
    }

    /// The error a KDC gives an AS-REQ for a client it does not know
    /// (KDC_ERR_C_PRINCIPAL_UNKNOWN), for the request's realm and `krbtgt` service, at
    /// `server_time` (GeneralizedTime, `YYYYMMDDhhmmssZ`). The client name is left out so
    /// that the error stays shorter than the request.
    pub fn principal_unknown(request: &AsRequest, server_time: &str) -> KrbError {
        KrbError {
            error_code: 6,
            server_time: server_time.to_owned(),
            client_realm: None,
            client_name: None,
            realm: request.realm.clone(),
            service_name: request.service(),
            text: None,
            padata_types: Vec::new(),
            etypes: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!("../tests/fixtures/kerberos/", $name, ".bin")).as_slice()
        };
    }

    fn error_of(bytes: &[u8]) -> KrbError {
        match parse(bytes).unwrap() {
            Reply::Error(error) => error,
            other => panic!("expected KRB-ERROR, got {other:?}"),
        }
    }

    #[test]
    fn requests_match_the_reference_client_bytes() {
        assert_eq!(
            as_request("administrator", "LAB.EXAMPLE", 0x1234_5678).unwrap(),
            fixture!("samba-4.17-kdc-udp-preauth-required.request")
        );
        assert_eq!(
            as_request("nobody-here", "LAB.EXAMPLE", 0x0bad_f00d).unwrap(),
            fixture!("samba-4.17-kdc-udp-unknown-principal.request")
        );
        assert_eq!(
            as_request("administrator", "WRONG.EXAMPLE", 0x7ead_beef).unwrap(),
            fixture!("samba-4.17-kdc-udp-wrong-realm.request")
        );
        assert_eq!(
            frame_tcp(&as_request("administrator", "LAB.EXAMPLE", 0x1234_5678).unwrap()).unwrap(),
            fixture!("samba-4.17-kdc-tcp-preauth-required.request")
        );
        // The nonce that Samba ignored (0xffffffff) is sent as 0x7fffffff instead.
        let masked = as_request("administrator", "LAB.EXAMPLE", u32::MAX).unwrap();
        assert_ne!(
            masked,
            fixture!("samba-4.17-kdc-udp-nonce-over-31-bits.request")
        );
        assert_eq!(AsRequest::parse(&masked).unwrap().nonce, 0x7fff_ffff);
    }

    #[test]
    fn requests_refuse_bad_parameters() {
        assert!(as_request("", "LAB.EXAMPLE", 1).is_err());
        assert!(as_request("administrator", "", 1).is_err());
        assert!(as_request("host//x", "LAB.EXAMPLE", 1).is_err());
        assert!(as_request(&"a".repeat(256), "LAB.EXAMPLE", 1).is_err());
        let mut request = AsRequest::new("a", "B", 1);
        request.etypes.clear();
        assert!(request.emit().is_err());
        request.etypes = vec![18; MAX_ETYPES + 1];
        assert!(request.emit().is_err());
        let service = AsRequest::new("host/dc1.lab.example", "LAB.EXAMPLE", 1);
        assert_eq!(
            AsRequest::parse(&service.emit().unwrap()).unwrap().client,
            ["host", "dc1.lab.example"]
        );
    }

    #[test]
    fn samba_preauth_required_over_udp_and_tcp() {
        let udp = fixture!("samba-4.17-kdc-udp-preauth-required");
        let tcp = fixture!("samba-4.17-kdc-tcp-preauth-required");
        assert_eq!(tcp_record_len(tcp), Ok(Some(tcp.len())));
        for bytes in [udp, unframe_tcp(tcp).unwrap()] {
            let reply = parse(bytes).unwrap();
            assert_eq!(
                reply.to_string(),
                "Kerberos: KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25), realm LAB.EXAMPLE"
            );
            assert!(reply.matches(&AsRequest::new("administrator", "LAB.EXAMPLE", 1)));
            assert!(reply.matches(&AsRequest::new("Administrator", "LAB.EXAMPLE", 1)));
            assert!(!reply.matches(&AsRequest::new("someone-else", "LAB.EXAMPLE", 1)));
            let Reply::Error(error) = reply else {
                unreachable!()
            };
            assert_eq!(error.error_code, 25);
            assert_eq!(error.realm, "LAB.EXAMPLE");
            assert_eq!(error.client_realm.as_deref(), Some("LAB.EXAMPLE"));
            assert_eq!(error.service_name.to_string(), "krbtgt/LAB.EXAMPLE");
            assert_eq!(
                error
                    .client_name
                    .as_ref()
                    .map(ToString::to_string)
                    .as_deref(),
                Some("administrator")
            );
            assert_eq!(
                error.text.as_deref(),
                Some("Need to use PA-ENC-TIMESTAMP/PA-PK-AS-REQ")
            );
            assert_eq!(error.server_time.len(), 15);
            assert_eq!(error.padata_types, [16, 15, 147, 2, 136, 655, 19]);
            assert_eq!(error.etypes, [etype::AES256_CTS_HMAC_SHA1_96]);
        }
    }

    #[test]
    fn samba_unknown_client_and_wrong_realm() {
        let unknown = error_of(fixture!("samba-4.17-kdc-udp-unknown-principal"));
        assert_eq!(unknown.name(), "KDC_ERR_C_PRINCIPAL_UNKNOWN");
        assert_eq!(unknown.text, None);
        // Samba does not answer a foreign realm with KDC_ERR_WRONG_REALM (68) but treats
        // the client as unknown, echoing the realm that was asked for.
        let wrong = Reply::Error(error_of(fixture!("samba-4.17-kdc-udp-wrong-realm")));
        assert_eq!(
            wrong.to_string(),
            "Kerberos: KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN (6), realm WRONG.EXAMPLE"
        );
        let krbtgt = error_of(fixture!("samba-4.17-kdc-udp-krbtgt"));
        assert_eq!(krbtgt.error_code, 25);
    }

    #[test]
    fn an_as_rep_is_reported() {
        let client = PrincipalName {
            name_type: name_type::PRINCIPAL,
            components: vec!["nopreauth".into()],
        };
        let service = AsRequest::new("x", "LAB.EXAMPLE", 1).service();
        let mut bytes = Vec::new();
        ber::write_constructed(&mut bytes, Tag::application(AS_REP), |rep| {
            ber::write_sequence(rep, |fields| {
                ber::write_explicit(fields, 0, |f| int(f, 5))?;
                ber::write_explicit(fields, 1, |f| int(f, 11))?;
                ber::write_explicit(fields, 3, realm)?;
                ber::write_explicit(fields, 4, |f| client.write(f))?;
                ber::write_explicit(fields, 5, |f| {
                    ber::write_constructed(f, Tag::application(TICKET), |ticket| {
                        ber::write_sequence(ticket, |t| {
                            ber::write_explicit(t, 0, |f| int(f, 5))?;
                            ber::write_explicit(t, 1, realm)?;
                            ber::write_explicit(t, 2, |f| service.write(f))?;
                            ber::write_explicit(t, 3, |f| encrypted_data(f, 18))
                        })
                    })
                })?;
                ber::write_explicit(fields, 6, |f| encrypted_data(f, 23))
            })
        })
        .unwrap();
        let reply = parse(&bytes).unwrap();
        assert_eq!(
            reply.to_string(),
            "Kerberos: AS-REP for nopreauth@LAB.EXAMPLE (no pre-authentication required)"
        );
        assert!(reply.matches(&AsRequest::new("nopreauth", "LAB.EXAMPLE", 9)));
        let Reply::AsRep(rep) = reply else {
            unreachable!()
        };
        assert_eq!(rep.enc_etype, 23);
        assert_eq!(rep.ticket_service.to_string(), "krbtgt/LAB.EXAMPLE");
        for cut in 0..bytes.len() {
            assert!(parse(&bytes[..cut]).is_err());
        }
    }

    fn int(out: &mut Vec<u8>, value: i64) -> Result<()> {
        ber::write_integer(out, value);
        Ok(())
    }

    fn realm(out: &mut Vec<u8>) -> Result<()> {
        ber::write_tlv(out, Tag::GENERAL_STRING, b"LAB.EXAMPLE");
        Ok(())
    }

    fn encrypted_data(out: &mut Vec<u8>, etype: i64) -> Result<()> {
        ber::write_sequence(out, |fields| {
            ber::write_explicit(fields, 0, |f| int(f, etype))?;
            ber::write_explicit(fields, 2, |f| {
                ber::write_octet_string(f, &[0xaa; 8]);
                Ok(())
            })
        })
    }

    #[test]
    fn tcp_framing() {
        assert_eq!(frame_tcp(b"abc").unwrap(), b"\0\0\0\x03abc");
        assert_eq!(tcp_record_len(b"\0\0\0"), Ok(None));
        assert_eq!(tcp_record_len(b"\0\0\0\x03ab"), Ok(Some(7)));
        assert!(unframe_tcp(b"\0\0\0\x03ab").is_err());
        assert_eq!(unframe_tcp(b"\0\0\0\x03abcdef"), Ok(&b"abc"[..]));
        assert!(tcp_record_len(&[0x80, 0, 0, 1]).is_err());
        assert!(matches!(
            tcp_record_len(&[0x7f, 0xff, 0xff, 0xff]),
            Err(Error::TooLarge { .. })
        ));
        assert!(frame_tcp(&vec![0; MAX_MESSAGE_LEN + 1]).is_err());
    }

    #[test]
    fn not_kerberos() {
        assert!(matches!(parse(&[0x30, 0x00]), Err(Error::Unexpected(_))));
        assert!(parse(b"").is_err());
        let reply = fixture!("samba-4.17-kdc-udp-preauth-required");
        for cut in 0..reply.len() {
            assert!(parse(&reply[..cut]).is_err(), "cut {cut}");
        }
        // A KRB-ERROR with pvno 4.
        let mut old = reply.to_vec();
        let at = old
            .windows(5)
            .position(|w| w == [0xa0, 0x03, 0x02, 0x01, 0x05])
            .unwrap();
        old[at + 4] = 4;
        assert!(parse(&old).is_err());
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(reply) = parse(&bytes) {
                let _ = reply.to_string();
            }
            let _ = AsRequest::parse(&bytes);
            let _ = tcp_record_len(&bytes);
            let _ = unframe_tcp(&bytes);
        }

        #[test]
        fn mutated_captures_never_panic(index in 0usize..318, byte in any::<u8>()) {
            let mut bytes = fixture!("samba-4.17-kdc-udp-preauth-required").to_vec();
            bytes[index] = byte;
            if let Ok(reply) = parse(&bytes) {
                let _ = reply.to_string();
            }
        }

        #[test]
        fn requests_round_trip(
            client in proptest::collection::vec("[a-zA-Z0-9$.-]{1,30}", 1..4),
            realm in "[A-Z0-9.-]{1,40}",
            nonce in any::<u32>(),
            etypes in proptest::collection::vec(any::<i32>(), 1..8),
        ) {
            let request = AsRequest { client, realm, nonce, etypes };
            let bytes = request.emit().unwrap();
            let framed = frame_tcp(&bytes).unwrap();
            prop_assert_eq!(unframe_tcp(&framed), Ok(&bytes[..]));
            let parsed = AsRequest::parse(&bytes).unwrap();
            prop_assert_eq!(parsed, AsRequest { nonce: nonce & NONCE_MASK, ..request });
        }
    }

    #[test]
    fn an_emitted_error_parses_back() {
        let bytes = as_request("portolan-probe", "LAB.EXAMPLE", 99).unwrap();
        let request = AsRequest::parse(&bytes).unwrap();
        let error = KrbError::principal_unknown(&request, "20260101000000Z");
        let emitted = error.emit().unwrap();
        assert!(emitted.len() < bytes.len());
        match parse(&emitted).unwrap() {
            Reply::Error(parsed) => assert_eq!(parsed, error),
            other => panic!("{other:?}"),
        }
        let texted = KrbError {
            text: Some("stand-in".into()),
            client_realm: Some("LAB.EXAMPLE".into()),
            client_name: Some(PrincipalName {
                name_type: name_type::PRINCIPAL,
                components: vec!["x".into()],
            }),
            ..error
        };
        match parse(&texted.emit().unwrap()).unwrap() {
            Reply::Error(parsed) => assert_eq!(parsed, texted),
            other => panic!("{other:?}"),
        }
    }

    /// Regression (found by the round trip): emit left METHOD-DATA out, so Samba's
    /// PREAUTH_REQUIRED error lost its padata types and etypes when written back.
    #[test]
    fn a_preauth_required_error_writes_back_its_method_data() {
        let error = error_of(fixture!("samba-4.17-kdc-udp-preauth-required"));
        assert!(!error.padata_types.is_empty() && !error.etypes.is_empty());
        assert_eq!(error_of(&error.emit().unwrap()), error);
        let orphan = KrbError {
            padata_types: vec![padata::ENC_TIMESTAMP],
            ..error.clone()
        };
        assert!(orphan.emit().is_err(), "etypes need a PA-ETYPE-INFO2");
        let many = KrbError {
            padata_types: vec![padata::ETYPE_INFO2; MAX_PADATA + 1],
            ..error
        };
        assert!(many.emit().is_err());
    }

    /// Regression (found by the round trip): emit refused names over 255 bytes that the
    /// parser reads, so a parsed error with a long realm could not be written back.
    #[test]
    fn an_error_with_a_long_realm_writes_back() {
        let bytes = as_request("x", "R.EXAMPLE", 1).unwrap();
        let error = KrbError {
            realm: "R".repeat(300),
            ..KrbError::principal_unknown(&AsRequest::parse(&bytes).unwrap(), "20260101000000Z")
        };
        assert_eq!(error_of(&error.emit().unwrap()), error);
    }
}
