//! LDAPv3 (RFC 4511) and Connectionless LDAP: the rootDSE search and the Active Directory
//! "LDAP ping" that the checker sends to ports 389 (UDP and TCP) and 3268.
//!
//! Hand-rolled over [`crate::ber`]: the LDAP crates are clients that own a socket and pull
//! in TLS, and none of them knows the netlogon reply of Active Directory.
//!
//! What is implemented:
//! * requests: a base-object search of the rootDSE for the attributes in
//!   [`ROOT_DSE_ATTRIBUTES`] ([`root_dse_request`]), and the netlogon ping of [MS-ADTS]
//!   6.3.3 ([`netlogon_ping`]). The same bytes work over UDP (CLDAP, RFC 1798 framing: one
//!   message per datagram) and over TCP;
//! * replies: LDAPMessage with SearchResultEntry, SearchResultDone and ExtendedResponse
//!   (the notice of disconnection a server sends before it hangs up); several messages in
//!   one buffer, as CLDAP sends entry and done in one datagram ([`parse_messages`]);
//!   [`message_len`] and [`search_finished`] tell a TCP reader when to stop;
//! * the `Netlogon` attribute value: NETLOGON_SAM_LOGON_RESPONSE_EX ([MS-ADTS] 6.3.1.9)
//!   with its RFC 1035 4.1.4 compressed names, and the older forms (6.3.1.7, 6.3.1.8)
//!   reduced to their opcode and NetBIOS names ([`parse_netlogon`]).
//!
//! Controls, referrals and every other operation are recognised and skipped.

use core::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

use crate::ber::{self, Reader, Tag};
use crate::error::{check_room, slice};
use crate::simple::Escaped;
use crate::{Error, Result};

/// Most LDAP messages read from one buffer.
pub const MAX_MESSAGES: usize = 64;
/// Most attributes read from one entry.
pub const MAX_ATTRIBUTES: usize = 256;
/// Most values read from one attribute.
pub const MAX_VALUES: usize = 1024;
/// Largest message id (RFC 4511 4.1.1: `INTEGER (0 .. maxInt)`).
pub const MAX_MESSAGE_ID: u32 = i32::MAX as u32;
/// Longest DNS domain accepted in a netlogon ping, in bytes.
pub const MAX_DOMAIN_LEN: usize = 255;

/// The rootDSE attributes the checker asks for: the Active Directory ones that name the
/// server and its domain, and the generic ones that any LDAP server publishes.
pub const ROOT_DSE_ATTRIBUTES: &[&str] = &[
    "defaultNamingContext",
    "dnsHostName",
    "serverName",
    "ldapServiceName",
    "supportedLDAPVersion",
    "isGlobalCatalogReady",
    "domainControllerFunctionality",
    "currentTime",
    "namingContexts",
    "vendorName",
];

/// `NETLOGON_NT_VERSION_5`: answer with NETLOGON_SAM_LOGON_RESPONSE ([MS-ADTS] 6.3.1.1).
pub const NT_VERSION_5: u32 = 0x0000_0002;
/// `NETLOGON_NT_VERSION_5EX`: answer with NETLOGON_SAM_LOGON_RESPONSE_EX.
pub const NT_VERSION_5EX: u32 = 0x0000_0004;
/// `NETLOGON_NT_VERSION_5EX_WITH_IP`: also return the DC's IPv4 address.
pub const NT_VERSION_5EX_WITH_IP: u32 = 0x0000_0008;
/// `NETLOGON_NT_VERSION_WITH_CLOSEST_SITE`: also return the next closest site.
pub const NT_VERSION_WITH_CLOSEST_SITE: u32 = 0x0000_0010;
/// What Windows clients usually send (`\06\00\00\00`): V5 and V5EX.
pub const NT_VERSION_DEFAULT: u32 = NT_VERSION_5 | NT_VERSION_5EX;

/// protocolOp application tag numbers (RFC 4511 4.2 to 4.12).
mod op {
    pub const SEARCH_REQUEST: u32 = 3;
    pub const SEARCH_RESULT_ENTRY: u32 = 4;
    pub const SEARCH_RESULT_DONE: u32 = 5;
    pub const SEARCH_RESULT_REFERENCE: u32 = 19;
    pub const EXTENDED_RESPONSE: u32 = 24;
}

/// Filter choice tags (RFC 4511 4.5.1).
mod filter {
    pub const AND: u32 = 0;
    pub const EQUALITY_MATCH: u32 = 3;
    pub const PRESENT: u32 = 7;
}

/// Longest remote string shown in a `Display` line.
const SHOWN: usize = 64;

fn check_message_id(message_id: u32) -> Result<i64> {
    if message_id > MAX_MESSAGE_ID {
        return Err(Error::too_large(
            "LDAP message id",
            message_id as usize,
            MAX_MESSAGE_ID as usize,
        ));
    }
    Ok(i64::from(message_id))
}

/// A base-object search of the rootDSE (empty DN) with the given filter and attributes.
fn root_search(
    message_id: u32,
    write_filter: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    attributes: &[&str],
) -> Result<Vec<u8>> {
    let id = check_message_id(message_id)?;
    let mut out = Vec::new();
    ber::write_sequence(&mut out, |message| {
        ber::write_integer(message, id);
        ber::write_constructed(message, Tag::application(op::SEARCH_REQUEST), |search| {
            ber::write_octet_string(search, b""); // baseObject: the rootDSE
            ber::write_enumerated(search, 0); // scope: baseObject
            ber::write_enumerated(search, 0); // derefAliases: never
            ber::write_integer(search, 0); // sizeLimit: none
            ber::write_integer(search, 0); // timeLimit: none
            ber::write_boolean(search, false); // typesOnly
            write_filter(search)?;
            ber::write_sequence(search, |list| {
                for attribute in attributes {
                    ber::write_octet_string(list, attribute.as_bytes());
                }
                Ok(())
            })
        })
    })?;
    Ok(out)
}

/// Builds a rootDSE search (`-b '' -s base (objectClass=*)`) for [`ROOT_DSE_ATTRIBUTES`].
///
/// Usable over UDP 389 (CLDAP) and TCP 389 / 3268 alike; anonymous, so it needs no bind.
pub fn root_dse_request(message_id: u32) -> Result<Vec<u8>> {
    root_search(
        message_id,
        |out| {
            ber::write_tlv(out, Tag::context_primitive(filter::PRESENT), b"objectClass");
            Ok(())
        },
        ROOT_DSE_ATTRIBUTES,
    )
}

fn write_equality(out: &mut Vec<u8>, attribute: &str, value: &[u8]) -> Result<()> {
    ber::write_constructed(out, Tag::context(filter::EQUALITY_MATCH), |ava| {
        ber::write_octet_string(ava, attribute.as_bytes());
        ber::write_octet_string(ava, value);
        Ok(())
    })
}

/// Builds the Active Directory "LDAP ping" ([MS-ADTS] 6.3.3): a rootDSE search for the
/// `Netlogon` attribute with the filter `(&(DnsDomain=<domain>)(NtVer=<nt_version>))`, or
/// `(&(NtVer=<nt_version>))` when no domain is given (the DC then answers for its default
/// domain).
///
/// The filter is always an AND, even with one clause: Samba 4.17 answers a bare
/// `(NtVer=...)` with an empty result. Use [`NT_VERSION_DEFAULT`] unless the DC's address
/// ([`NT_VERSION_5EX_WITH_IP`]) is wanted too.
pub fn netlogon_ping(
    message_id: u32,
    dns_domain: Option<&str>,
    nt_version: u32,
) -> Result<Vec<u8>> {
    if let Some(domain) = dns_domain {
        if domain.is_empty() {
            return Err(Error::malformed(
                "netlogon ping domain",
                "empty (the DC would refuse the filter)",
            ));
        }
        if domain.len() > MAX_DOMAIN_LEN {
            return Err(Error::too_large(
                "netlogon ping domain",
                domain.len(),
                MAX_DOMAIN_LEN,
            ));
        }
    }
    root_search(
        message_id,
        |out| {
            ber::write_constructed(out, Tag::context(filter::AND), |clauses| {
                if let Some(domain) = dns_domain {
                    write_equality(clauses, "DnsDomain", domain.as_bytes())?;
                }
                write_equality(clauses, "NtVer", &nt_version.to_le_bytes())
            })
        },
        &["Netlogon"],
    )
}

/// Length of the first LDAP message in a TCP buffer, once its header has arrived
/// (`Ok(None)`: read more). Fails at once on bytes that cannot start an LDAPMessage, so a
/// non-LDAP service is recognised without waiting for a timeout.
pub fn message_len(buf: &[u8]) -> Result<Option<usize>> {
    match buf.first() {
        None => Ok(None),
        Some(&0x30) => ber::element_len(buf),
        Some(_) => Err(Error::Unexpected("not an LDAP message (no SEQUENCE tag)")),
    }
}

/// Whether a TCP buffer holds a finished search: whole messages only, one of which is a
/// SearchResultDone or an ExtendedResponse (a notice of disconnection). `Ok(false)` means
/// read more; an error means the bytes are not LDAP.
pub fn search_finished(buf: &[u8]) -> Result<bool> {
    let mut rest = buf;
    for _ in 0..MAX_MESSAGES {
        let Some(total) = message_len(rest)? else {
            return Ok(false);
        };
        let Some(bytes) = rest.get(..total) else {
            return Ok(false);
        };
        let (message, _) = parse_message(bytes)?;
        if matches!(
            message.op,
            ProtocolOp::SearchResultDone(_) | ProtocolOp::ExtendedResponse { .. }
        ) {
            return Ok(true);
        }
        rest = rest.get(total..).unwrap_or_default();
    }
    Err(Error::too_large(
        "LDAP messages in one buffer",
        MAX_MESSAGES + 1,
        MAX_MESSAGES,
    ))
}

/// The LDAPResult of a response (RFC 4511 4.1.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapResult {
    /// resultCode, e.g. 0 for success.
    pub code: u32,
    /// matchedDN.
    pub matched_dn: String,
    /// diagnosticMessage.
    pub diagnostic: String,
}

impl LdapResult {
    /// The RFC 4511 name of the result code, or `"unknown"`.
    pub fn code_name(&self) -> &'static str {
        result_code_name(self.code)
    }

    fn read(reader: &mut Reader<'_>) -> Result<LdapResult> {
        let code = reader.read_enumerated()?;
        let code = u32::try_from(code)
            .map_err(|_| Error::malformed("LDAP resultCode", "negative or above 32 bits"))?;
        let matched_dn = text(reader.read_octet_string()?);
        let diagnostic = text(reader.read_octet_string()?);
        // A referral [3] may follow; it is not needed.
        Ok(LdapResult {
            code,
            matched_dn,
            diagnostic,
        })
    }
}

impl fmt::Display for LdapResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code_name(), self.code)?;
        if !self.diagnostic.is_empty() {
            write!(
                f,
                " \"{}\"",
                Escaped::new(self.diagnostic.as_bytes(), SHOWN)
            )?;
        }
        Ok(())
    }
}

/// Names of the result codes of RFC 4511 4.1.9 and appendix A.
pub fn result_code_name(code: u32) -> &'static str {
    match code {
        0 => "success",
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        5 => "compareFalse",
        6 => "compareTrue",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        10 => "referral",
        11 => "adminLimitExceeded",
        12 => "unavailableCriticalExtension",
        13 => "confidentialityRequired",
        14 => "saslBindInProgress",
        16 => "noSuchAttribute",
        17 => "undefinedAttributeType",
        18 => "inappropriateMatching",
        19 => "constraintViolation",
        20 => "attributeOrValueExists",
        21 => "invalidAttributeSyntax",
        32 => "noSuchObject",
        33 => "aliasProblem",
        34 => "invalidDNSyntax",
        36 => "aliasDereferencingProblem",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        54 => "loopDetect",
        64 => "namingViolation",
        65 => "objectClassViolation",
        66 => "notAllowedOnNonLeaf",
        67 => "notAllowedOnRDN",
        68 => "entryAlreadyExists",
        69 => "objectClassModsProhibited",
        71 => "affectsMultipleDSAs",
        80 => "other",
        _ => "unknown",
    }
}

/// One attribute of an entry with its raw values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// AttributeDescription, as the server spelled it.
    pub name: String,
    /// The values, as bytes (some, like `Netlogon`, are binary).
    pub values: Vec<Vec<u8>>,
}

/// A SearchResultEntry (RFC 4511 4.5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResultEntry {
    /// objectName (empty for the rootDSE).
    pub object_name: String,
    /// The attributes returned, at most [`MAX_ATTRIBUTES`].
    pub attributes: Vec<Attribute>,
}

impl SearchResultEntry {
    /// The values of attribute `name` (compared without regard to ASCII case).
    pub fn values(&self, name: &str) -> Option<&[Vec<u8>]> {
        self.attributes
            .iter()
            .find(|attribute| attribute.name.eq_ignore_ascii_case(name))
            .map(|attribute| attribute.values.as_slice())
    }

    /// The first value of attribute `name` as text.
    pub fn first_text(&self, name: &str) -> Option<String> {
        self.values(name)
            .and_then(|values| values.first())
            .map(|value| text(value))
    }

    fn read(reader: &mut Reader<'_>) -> Result<SearchResultEntry> {
        let object_name = text(reader.read_octet_string()?);
        let mut list = reader.read_sequence()?;
        let mut attributes = Vec::new();
        while !list.is_empty() {
            check_room(&attributes, MAX_ATTRIBUTES, "LDAP attributes in an entry")?;
            let mut attribute = list.read_sequence()?;
            let name = text(attribute.read_octet_string()?);
            let mut set = attribute.read_set()?;
            let mut values = Vec::new();
            while !set.is_empty() {
                check_room(&values, MAX_VALUES, "LDAP values of an attribute")?;
                values.push(set.read_octet_string()?.to_vec());
            }
            attributes.push(Attribute { name, values });
        }
        Ok(SearchResultEntry {
            object_name,
            attributes,
        })
    }
}

/// The protocolOp of a message, as far as the checker cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolOp {
    /// `[APPLICATION 4]`.
    SearchResultEntry(SearchResultEntry),
    /// `[APPLICATION 5]`.
    SearchResultDone(LdapResult),
    /// `[APPLICATION 19]`, contents skipped.
    SearchResultReference,
    /// `[APPLICATION 24]`; with message id 0 this is an unsolicited notification such as
    /// the notice of disconnection (`1.3.6.1.4.1.1466.20036`).
    ExtendedResponse {
        /// The LDAPResult part.
        result: LdapResult,
        /// responseName, if present.
        name: Option<String>,
    },
    /// Any other operation, by its application tag number.
    Other(u32),
}

/// One LDAPMessage (RFC 4511 4.2.1). Controls are skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// messageID.
    pub message_id: u32,
    /// protocolOp.
    pub op: ProtocolOp,
}

/// Parses the first LDAP message in `bytes` and returns it with the number of bytes it
/// took.
pub fn parse_message(bytes: &[u8]) -> Result<(Message, usize)> {
    let mut outer = Reader::new(bytes);
    let mut message = outer.read_sequence()?;
    let used = bytes.len() - outer.remaining().len();
    let message_id = message.read_integer()?;
    let message_id = u32::try_from(message_id)
        .ok()
        .filter(|&id| id <= MAX_MESSAGE_ID)
        .ok_or(Error::malformed("LDAP messageID", "outside 0 ..= 2^31-1"))?;
    let tlv = message.read_tlv()?;
    if tlv.tag.class != ber::Class::Application {
        return Err(Error::malformed(
            "LDAP protocolOp",
            "not an application tag",
        ));
    }
    let mut contents = message.nested(tlv.value)?;
    let op = match (tlv.tag.number, tlv.tag.constructed) {
        (op::SEARCH_RESULT_ENTRY, true) => {
            ProtocolOp::SearchResultEntry(SearchResultEntry::read(&mut contents)?)
        }
        (op::SEARCH_RESULT_DONE, true) => {
            ProtocolOp::SearchResultDone(LdapResult::read(&mut contents)?)
        }
        (op::SEARCH_RESULT_REFERENCE, true) => ProtocolOp::SearchResultReference,
        (op::EXTENDED_RESPONSE, true) => {
            let result = LdapResult::read(&mut contents)?;
            let mut name = None;
            while !contents.is_empty() {
                let field = contents.read_tlv()?;
                if field.tag == Tag::context_primitive(10) {
                    name = Some(text(field.value));
                }
            }
            ProtocolOp::ExtendedResponse { result, name }
        }
        (number, _) => ProtocolOp::Other(number),
    };
    Ok((Message { message_id, op }, used))
}

impl LdapResult {
    fn write(&self, out: &mut Vec<u8>) {
        ber::write_enumerated(out, i64::from(self.code));
        ber::write_octet_string(out, self.matched_dn.as_bytes());
        ber::write_octet_string(out, self.diagnostic.as_bytes());
    }
}

impl Message {
    /// Encodes the message, the inverse of [`parse_message`]: the message id and the
    /// operation (an entry with its attributes, a result, an extended response with its
    /// name; a search reference with no URI, and any other operation as an empty primitive
    /// element of its tag, as the parser keeps only the tag). No controls. Refuses what
    /// would read back differently: a message id over [`MAX_MESSAGE_ID`], more than
    /// [`MAX_ATTRIBUTES`] attributes or [`MAX_VALUES`] values, a tag number over 28 bits.
    pub fn emit(&self) -> Result<Vec<u8>> {
        let id = check_message_id(self.message_id)?;
        let mut out = Vec::new();
        ber::write_sequence(&mut out, |fields| {
            ber::write_integer(fields, id);
            match &self.op {
                ProtocolOp::SearchResultEntry(entry) => {
                    if entry.attributes.len() > MAX_ATTRIBUTES {
                        return Err(Error::too_large(
                            "LDAP attributes in an entry",
                            entry.attributes.len(),
                            MAX_ATTRIBUTES,
                        ));
                    }
                    ber::write_constructed(
                        fields,
                        Tag::application(op::SEARCH_RESULT_ENTRY),
                        |contents| {
                            ber::write_octet_string(contents, entry.object_name.as_bytes());
                            ber::write_sequence(contents, |list| {
                                for attribute in &entry.attributes {
                                    if attribute.values.len() > MAX_VALUES {
                                        return Err(Error::too_large(
                                            "LDAP values of an attribute",
                                            attribute.values.len(),
                                            MAX_VALUES,
                                        ));
                                    }
                                    ber::write_sequence(list, |pair| {
                                        ber::write_octet_string(pair, attribute.name.as_bytes());
                                        ber::write_constructed(pair, Tag::SET, |set| {
                                            for value in &attribute.values {
                                                ber::write_octet_string(set, value);
                                            }
                                            Ok(())
                                        })
                                    })?;
                                }
                                Ok(())
                            })
                        },
                    )
                }
                ProtocolOp::SearchResultDone(result) => ber::write_constructed(
                    fields,
                    Tag::application(op::SEARCH_RESULT_DONE),
                    |contents| {
                        result.write(contents);
                        Ok(())
                    },
                ),
                ProtocolOp::SearchResultReference => {
                    ber::write_tlv(fields, Tag::application(op::SEARCH_RESULT_REFERENCE), &[]);
                    Ok(())
                }
                ProtocolOp::ExtendedResponse { result, name } => ber::write_constructed(
                    fields,
                    Tag::application(op::EXTENDED_RESPONSE),
                    |contents| {
                        result.write(contents);
                        if let Some(name) = name {
                            ber::write_tlv(contents, Tag::context_primitive(10), name.as_bytes());
                        }
                        Ok(())
                    },
                ),
                ProtocolOp::Other(number) => {
                    if *number >= 1 << 28 {
                        return Err(Error::too_large(
                            "LDAP protocolOp tag number",
                            *number as usize,
                            (1 << 28) - 1,
                        ));
                    }
                    ber::write_tlv(fields, Tag::application_primitive(*number), &[]);
                    Ok(())
                }
            }
        })?;
        Ok(out)
    }
}

/// Parses every message in `bytes` (a CLDAP datagram or a complete TCP read); at most
/// [`MAX_MESSAGES`]. A trailing partial message is an error: check [`search_finished`]
/// before parsing a TCP buffer.
pub fn parse_messages(bytes: &[u8]) -> Result<Vec<Message>> {
    let mut messages = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        check_room(&messages, MAX_MESSAGES, "LDAP messages in one buffer")?;
        let (message, used) = parse_message(rest)?;
        messages.push(message);
        rest = rest.get(used..).unwrap_or_default();
    }
    Ok(messages)
}

/// The answer to one search: its entries and its final result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchReply {
    /// The message id the reply was matched against.
    pub message_id: u32,
    /// SearchResultEntry messages with that id, in order.
    pub entries: Vec<SearchResultEntry>,
    /// The SearchResultDone with that id, if it came.
    pub done: Option<LdapResult>,
    /// An unsolicited notification (message id 0), e.g. a notice of disconnection.
    pub notice: Option<LdapResult>,
}

/// Collects the answer to search `message_id` from the messages in `bytes`. Messages with
/// other ids are ignored, except unsolicited notifications; if nothing answers
/// `message_id`, the reply is `Unexpected`.
pub fn parse_search_reply(bytes: &[u8], message_id: u32) -> Result<SearchReply> {
    let mut reply = SearchReply {
        message_id,
        entries: Vec::new(),
        done: None,
        notice: None,
    };
    for message in parse_messages(bytes)? {
        match message.op {
            ProtocolOp::ExtendedResponse { result, .. } if message.message_id == 0 => {
                reply.notice = Some(result);
            }
            _ if message.message_id != message_id => {}
            ProtocolOp::SearchResultEntry(entry) => reply.entries.push(entry),
            ProtocolOp::SearchResultDone(result) => reply.done = Some(result),
            _ => {}
        }
    }
    if reply.entries.is_empty() && reply.done.is_none() && reply.notice.is_none() {
        return Err(Error::Unexpected("no LDAP message answers this message id"));
    }
    Ok(reply)
}

impl SearchReply {
    /// Whether this reply answers `message_id`.
    pub fn matches(&self, message_id: u32) -> bool {
        self.message_id == message_id
    }

    /// Writes the outcome: the result of the search, or the notice.
    fn fmt_outcome(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.done, &self.notice) {
            (Some(done), _) => write!(f, "searchResDone {done}"),
            (None, Some(notice)) => write!(f, "notice of disconnection {notice}"),
            (None, None) => f.write_str("no searchResDone"),
        }
    }
}

impl fmt::Display for SearchReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.entries.len();
        let plural = if count == 1 { "entry" } else { "entries" };
        write!(f, "LDAP: {count} {plural}, ")?;
        self.fmt_outcome(f)
    }
}

/// The rootDSE as a server returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootDse {
    /// The search reply it came in; `entries` holds at most the one rootDSE entry.
    pub reply: SearchReply,
}

/// Parses the answer to [`root_dse_request`] (one datagram, or a TCP buffer for which
/// [`search_finished`] said yes).
pub fn parse_root_dse(bytes: &[u8], message_id: u32) -> Result<RootDse> {
    parse_search_reply(bytes, message_id).map(|reply| RootDse { reply })
}

impl RootDse {
    /// The rootDSE entry, if the server returned one.
    pub fn entry(&self) -> Option<&SearchResultEntry> {
        self.reply.entries.first()
    }

    /// The first value of attribute `name` as text.
    pub fn get(&self, name: &str) -> Option<String> {
        self.entry().and_then(|entry| entry.first_text(name))
    }
}

/// Attributes shown, in order of preference, when a rootDSE is displayed.
const SHOWN_ROOT_DSE: &[&str] = &[
    "dnsHostName",
    "defaultNamingContext",
    "namingContexts",
    "vendorName",
    "supportedLDAPVersion",
];

impl fmt::Display for RootDse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LDAP rootDSE: ")?;
        let Some(entry) = self.entry() else {
            f.write_str("no entry, ")?;
            return self.reply.fmt_outcome(f);
        };
        let mut shown = 0;
        for name in SHOWN_ROOT_DSE {
            if shown == 2 {
                break;
            }
            if let Some(value) = entry.values(name).and_then(|values| values.first()) {
                if shown > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{name} {}", Escaped::new(value, 48))?;
                shown += 1;
            }
        }
        if shown == 0 {
            write!(f, "{} attributes", entry.attributes.len())?;
        }
        Ok(())
    }
}

/// Netlogon response opcodes ([MS-ADTS] 6.3.1.3).
pub mod opcode {
    /// LOGON_PRIMARY_RESPONSE.
    pub const PRIMARY_RESPONSE: u16 = 12;
    /// LOGON_SAM_LOGON_RESPONSE.
    pub const SAM_LOGON_RESPONSE: u16 = 19;
    /// LOGON_SAM_PAUSE_RESPONSE.
    pub const SAM_PAUSE_RESPONSE: u16 = 20;
    /// LOGON_SAM_USER_UNKNOWN.
    pub const SAM_USER_UNKNOWN: u16 = 21;
    /// LOGON_SAM_LOGON_RESPONSE_EX.
    pub const SAM_LOGON_RESPONSE_EX: u16 = 23;
    /// LOGON_SAM_PAUSE_RESPONSE_EX.
    pub const SAM_PAUSE_RESPONSE_EX: u16 = 24;
    /// LOGON_SAM_USER_UNKNOWN_EX.
    pub const SAM_USER_UNKNOWN_EX: u16 = 25;
}

/// The symbolic name of a netlogon opcode.
pub fn opcode_name(opcode: u16) -> &'static str {
    match opcode {
        7 => "LOGON_PRIMARY_QUERY",
        opcode::PRIMARY_RESPONSE => "LOGON_PRIMARY_RESPONSE",
        18 => "LOGON_SAM_LOGON_REQUEST",
        opcode::SAM_LOGON_RESPONSE => "LOGON_SAM_LOGON_RESPONSE",
        opcode::SAM_PAUSE_RESPONSE => "LOGON_SAM_PAUSE_RESPONSE",
        opcode::SAM_USER_UNKNOWN => "LOGON_SAM_USER_UNKNOWN",
        opcode::SAM_LOGON_RESPONSE_EX => "LOGON_SAM_LOGON_RESPONSE_EX",
        opcode::SAM_PAUSE_RESPONSE_EX => "LOGON_SAM_PAUSE_RESPONSE_EX",
        opcode::SAM_USER_UNKNOWN_EX => "LOGON_SAM_USER_UNKNOWN_EX",
        _ => "unknown opcode",
    }
}

/// DS_FLAG bits of [MS-ADTS] 6.3.1.2, with their names.
pub const DS_FLAGS: &[(u32, &str)] = &[
    (0x0000_0001, "PDC"),
    (0x0000_0004, "GC"),
    (0x0000_0008, "LDAP"),
    (0x0000_0010, "DS"),
    (0x0000_0020, "KDC"),
    (0x0000_0040, "TIMESERV"),
    (0x0000_0080, "CLOSEST"),
    (0x0000_0100, "WRITABLE"),
    (0x0000_0200, "GOOD_TIMESERV"),
    (0x0000_0400, "NDNC"),
    (0x0000_0800, "SELECT_SECRET_DOMAIN_6"),
    (0x0000_1000, "FULL_SECRET_DOMAIN_6"),
    (0x0000_2000, "WS"),
    (0x0000_4000, "DS_8"),
    (0x0000_8000, "DS_9"),
    (0x0001_0000, "DS_10"),
    (0x2000_0000, "DNS_CONTROLLER"),
    (0x4000_0000, "DNS_DOMAIN"),
    (0x8000_0000, "DNS_FOREST"),
];

/// NETLOGON_SAM_LOGON_RESPONSE_EX ([MS-ADTS] 6.3.1.9), names decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamLogonResponseEx {
    /// 23, or 24 / 25 for the pause and unknown-user variants of the same layout.
    pub opcode: u16,
    /// DS_FLAG bits, see [`DS_FLAGS`].
    pub flags: u32,
    /// The domain's GUID in wire order (the first three fields little-endian).
    pub domain_guid: [u8; 16],
    /// DnsForestName.
    pub dns_forest: String,
    /// DnsDomainName.
    pub dns_domain: String,
    /// DnsHostName of the DC.
    pub dns_host: String,
    /// NetbiosDomainName.
    pub netbios_domain: String,
    /// NetbiosComputerName of the DC.
    pub netbios_computer: String,
    /// UserName from the request (usually empty).
    pub user: String,
    /// DcSiteName.
    pub dc_site: String,
    /// ClientSiteName (empty when the client's address is in no site).
    pub client_site: String,
    /// DcSockAddr, when the ping asked for [`NT_VERSION_5EX_WITH_IP`].
    pub dc_address: Option<SocketAddrV4>,
    /// NextClosestSiteName, when present.
    pub next_closest_site: Option<String>,
    /// NtVersion of the reply.
    pub nt_version: u32,
}

impl SamLogonResponseEx {
    /// Names of the DS_FLAG bits that are set.
    pub fn flag_names(&self) -> Vec<&'static str> {
        DS_FLAGS
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|(_, name)| *name)
            .collect()
    }

    /// The domain GUID in the usual text form.
    pub fn domain_guid_string(&self) -> String {
        let g = &self.domain_guid;
        let data1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
        let data2 = u16::from_le_bytes([g[4], g[5]]);
        let data3 = u16::from_le_bytes([g[6], g[7]]);
        format!(
            "{data1:08x}-{data2:04x}-{data3:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]
        )
    }
}

/// A netlogon response of an older layout, kept for its opcode and NetBIOS names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyNetlogon {
    /// 19, 20 or 21.
    pub opcode: u16,
    /// UnicodeLogonServer, e.g. `\\DC1`.
    pub logon_server: String,
    /// UnicodeUserName.
    pub user: String,
    /// UnicodeDomainName (NetBIOS).
    pub domain: String,
}

/// A decoded `Netlogon` attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Netlogon {
    /// Opcodes 23, 24, 25.
    Ex(SamLogonResponseEx),
    /// Opcodes 19, 20, 21 (NETLOGON_SAM_LOGON_RESPONSE or its NT 4.0 form).
    Legacy(LegacyNetlogon),
    /// Any other opcode, reported as is.
    Other {
        /// The opcode.
        opcode: u16,
    },
}

impl Netlogon {
    /// The opcode of the response.
    pub fn opcode(&self) -> u16 {
        match self {
            Netlogon::Ex(ex) => ex.opcode,
            Netlogon::Legacy(legacy) => legacy.opcode,
            Netlogon::Other { opcode } => *opcode,
        }
    }
}

/// Most pointers followed while decompressing one name.
const MAX_NAME_POINTERS: usize = 16;
/// Longest decompressed name, in bytes (RFC 1035 2.3.4).
const MAX_NAME_LEN: usize = 255;
/// Longest UTF-16 string read from an older netlogon response, in code units.
const MAX_UNICODE_UNITS: usize = 256;

fn name_error(why: &'static str) -> Error {
    Error::malformed("netlogon compressed name", why)
}

/// Reads one RFC 1035 compressed name at `start` of `data` (offsets count from the start
/// of the netlogon structure); returns the name and the offset after it. Pointers must go
/// backwards and are followed at most [`MAX_NAME_POINTERS`] times.
fn read_compressed_name(data: &[u8], start: usize) -> Result<(String, usize)> {
    let mut name: Vec<u8> = Vec::new();
    let mut position = start;
    let mut resume = None;
    let mut pointers = 0;
    loop {
        let length = *data.get(position).ok_or(Error::truncated(
            "netlogon compressed name",
            position + 1,
            data.len(),
        ))?;
        match length & 0xc0 {
            0x00 if length == 0 => {
                position += 1;
                break;
            }
            0x00 => {
                let label_len = usize::from(length);
                let label = slice(
                    data,
                    position + 1..position + 1 + label_len,
                    "netlogon name label",
                )?;
                if !name.is_empty() {
                    name.push(b'.');
                }
                name.extend_from_slice(label);
                if name.len() > MAX_NAME_LEN {
                    return Err(Error::too_large("netlogon name", name.len(), MAX_NAME_LEN));
                }
                position += 1 + label_len;
            }
            0xc0 => {
                let low = *data.get(position + 1).ok_or(Error::truncated(
                    "netlogon name pointer",
                    position + 2,
                    data.len(),
                ))?;
                let target = (usize::from(length & 0x3f) << 8) | usize::from(low);
                if target >= position {
                    return Err(name_error("pointer does not point backwards"));
                }
                pointers += 1;
                if pointers > MAX_NAME_POINTERS {
                    return Err(name_error("too many pointers"));
                }
                resume.get_or_insert(position + 2);
                position = target;
            }
            _ => return Err(name_error("reserved label type")),
        }
    }
    Ok((
        String::from_utf8_lossy(&name).into_owned(),
        resume.unwrap_or(position),
    ))
}

fn read_u16_le(data: &[u8], at: usize, what: &'static str) -> Result<u16> {
    data.get(at..at + 2)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_le_bytes)
        .ok_or(Error::truncated(what, at + 2, data.len()))
}

fn read_u32_le(data: &[u8], at: usize, what: &'static str) -> Result<u32> {
    data.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or(Error::truncated(what, at + 4, data.len()))
}

/// Fixed fields at the end of the EX structure: NtVersion, LmNtToken, Lm20Token.
const EX_TRAILER_LEN: usize = 8;
/// Opcode, Sbz, Flags and DomainGuid.
const EX_HEADER_LEN: usize = 24;

fn parse_sam_logon_ex(data: &[u8], opcode: u16) -> Result<SamLogonResponseEx> {
    crate::error::need(
        data,
        EX_HEADER_LEN + EX_TRAILER_LEN,
        "NETLOGON_SAM_LOGON_RESPONSE_EX",
    )?;
    let flags = read_u32_le(data, 4, "netlogon flags")?;
    let mut domain_guid = [0u8; 16];
    domain_guid.copy_from_slice(data.get(8..EX_HEADER_LEN).unwrap_or(&[0; 16]));
    let mut position = EX_HEADER_LEN;
    let mut names: [String; 8] = Default::default();
    for slot in &mut names {
        let (name, next) = read_compressed_name(data, position)?;
        *slot = name;
        position = next;
    }
    let trailer_start = data
        .len()
        .checked_sub(EX_TRAILER_LEN)
        .filter(|&start| start >= position)
        .ok_or(Error::truncated(
            "NETLOGON_SAM_LOGON_RESPONSE_EX trailer",
            position + EX_TRAILER_LEN,
            data.len(),
        ))?;
    let nt_version = read_u32_le(data, trailer_start, "netlogon NtVersion")?;
    // Between the names and the trailer: DcSockAddrSize + DcSockAddr (if the ping asked
    // for the address), then NextClosestSiteName (if it asked for the closest site).
    let mut dc_address = None;
    let mut next_closest_site = None;
    if position < trailer_start && nt_version & NT_VERSION_5EX_WITH_IP != 0 {
        let size = usize::from(*data.get(position).unwrap_or(&0));
        let sockaddr = data
            .get(position + 1..position + 1 + size)
            .filter(|_| position + 1 + size <= trailer_start)
            .ok_or(Error::truncated(
                "netlogon DcSockAddr",
                position + 1 + size,
                trailer_start,
            ))?;
        dc_address = parse_sockaddr_in(sockaddr);
        position += 1 + size;
    }
    if position < trailer_start {
        let (name, next) = read_compressed_name(data, position)?;
        if next > trailer_start {
            return Err(name_error("next closest site name runs into the trailer"));
        }
        next_closest_site = Some(name);
    }
    let [
        dns_forest,
        dns_domain,
        dns_host,
        netbios_domain,
        netbios_computer,
        user,
        dc_site,
        client_site,
    ] = names;
    Ok(SamLogonResponseEx {
        opcode,
        flags,
        domain_guid,
        dns_forest,
        dns_domain,
        dns_host,
        netbios_domain,
        netbios_computer,
        user,
        dc_site,
        client_site,
        dc_address,
        next_closest_site,
        nt_version,
    })
}

/// A SOCKADDR_IN: family 2 (little-endian), port and address in network order.
fn parse_sockaddr_in(bytes: &[u8]) -> Option<SocketAddrV4> {
    match bytes {
        [2, 0, port_hi, port_lo, a, b, c, d, ..] => Some(SocketAddrV4::new(
            Ipv4Addr::new(*a, *b, *c, *d),
            u16::from_be_bytes([*port_hi, *port_lo]),
        )),
        _ => None,
    }
}

/// Reads a NUL-terminated UTF-16LE string at `start`; returns it and the offset after it.
fn read_unicode_z(data: &[u8], start: usize) -> Result<(String, usize)> {
    let mut units = Vec::new();
    let mut position = start;
    loop {
        let unit = read_u16_le(data, position, "netlogon Unicode string")?;
        position += 2;
        if unit == 0 {
            break;
        }
        check_room(&units, MAX_UNICODE_UNITS, "netlogon Unicode string")?;
        units.push(unit);
    }
    Ok((String::from_utf16_lossy(&units), position))
}

/// Decodes a `Netlogon` attribute value (the bytes of the LDAP value).
pub fn parse_netlogon(data: &[u8]) -> Result<Netlogon> {
    let opcode = read_u16_le(data, 0, "netlogon opcode")?;
    match opcode {
        opcode::SAM_LOGON_RESPONSE_EX
        | opcode::SAM_PAUSE_RESPONSE_EX
        | opcode::SAM_USER_UNKNOWN_EX => parse_sam_logon_ex(data, opcode).map(Netlogon::Ex),
        opcode::SAM_LOGON_RESPONSE | opcode::SAM_PAUSE_RESPONSE | opcode::SAM_USER_UNKNOWN => {
            let (logon_server, next) = read_unicode_z(data, 2)?;
            let (user, next) = read_unicode_z(data, next)?;
            let (domain, _) = read_unicode_z(data, next)?;
            Ok(Netlogon::Legacy(LegacyNetlogon {
                opcode,
                logon_server,
                user,
                domain,
            }))
        }
        _ => Ok(Netlogon::Other { opcode }),
    }
}

/// The answer to a netlogon ping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetlogonReply {
    /// The decoded `Netlogon` value; `None` when the DC returned no entry (it serves no
    /// such domain, or the filter did not suit it).
    pub netlogon: Option<Netlogon>,
    /// The search reply it came in.
    pub reply: SearchReply,
}

/// Parses the answer to [`netlogon_ping`] `message_id`.
pub fn parse_netlogon_reply(bytes: &[u8], message_id: u32) -> Result<NetlogonReply> {
    let reply = parse_search_reply(bytes, message_id)?;
    let value = reply
        .entries
        .iter()
        .find_map(|entry| entry.values("Netlogon"))
        .and_then(|values| values.first());
    let netlogon = value.map(|value| parse_netlogon(value)).transpose()?;
    Ok(NetlogonReply { netlogon, reply })
}

impl NetlogonReply {
    /// Whether this reply answers `message_id`.
    pub fn matches(&self, message_id: u32) -> bool {
        self.reply.matches(message_id)
    }
}

impl fmt::Display for NetlogonReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CLDAP netlogon: ")?;
        match &self.netlogon {
            None => {
                f.write_str("no entry, ")?;
                self.reply.fmt_outcome(f)
            }
            Some(Netlogon::Ex(ex)) => {
                if ex.opcode != opcode::SAM_LOGON_RESPONSE_EX {
                    write!(f, "{}, ", opcode_name(ex.opcode))?;
                }
                write!(
                    f,
                    "domain {}, DC {}, site {}",
                    Escaped::new(ex.dns_domain.as_bytes(), 40),
                    Escaped::new(ex.dns_host.as_bytes(), 40),
                    Escaped::new(ex.dc_site.as_bytes(), 40)
                )
            }
            Some(Netlogon::Legacy(legacy)) => write!(
                f,
                "{} ({}, older form), server {}, domain {}",
                opcode_name(legacy.opcode),
                legacy.opcode,
                Escaped::new(legacy.logon_server.trim_start_matches('\\').as_bytes(), 20),
                Escaped::new(legacy.domain.as_bytes(), 20)
            ),
            Some(Netlogon::Other { opcode }) => {
                write!(f, "{} ({opcode})", opcode_name(*opcode))
            }
        }
    }
}

/// LDAP strings are UTF-8; anything else is replaced rather than refused.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Emits the answer of a directory that holds nothing for a search: a searchResDone with
/// result `success` and no entry, under the request's message id. It is what a domain
/// controller returns to a netlogon ping for a domain it does not serve, and 14 bytes or
/// so, shorter than any search request. Refuses bytes that are not one LDAP search request.
pub fn emit_search_done(request: &[u8]) -> Result<Vec<u8>> {
    let mut outer = Reader::new(request);
    let mut message = outer.read_sequence()?;
    let id = message.read_integer()?;
    if !(0..=i64::from(i32::MAX)).contains(&id) {
        return Err(Error::malformed("LDAP message id", "outside 0 to 2^31-1"));
    }
    let op = message.read_tlv()?;
    if op.tag != Tag::application(op::SEARCH_REQUEST) {
        return Err(Error::Unexpected("LDAP message is not a search request"));
    }
    Message {
        message_id: u32::try_from(id).unwrap_or(MAX_MESSAGE_ID),
        op: ProtocolOp::SearchResultDone(LdapResult {
            code: 0,
            matched_dn: String::new(),
            diagnostic: String::new(),
        }),
    }
    .emit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ROOT_DSE_REQUEST: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-cldap-rootdse.request.bin");
    const CLDAP_ROOT_DSE: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-cldap-rootdse.bin");
    const TCP_ROOT_DSE: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-ldap-389-rootdse.bin");
    const GC_ROOT_DSE: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-ldap-3268-rootdse.bin");
    const PING_REQUEST: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-cldap-netlogon.request.bin");
    const PING: &[u8] = include_bytes!("../tests/fixtures/ldap/samba-4.17-cldap-netlogon.bin");
    const PING_NTVER_ONLY_REQUEST: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-cldap-netlogon-ntver-only.request.bin");
    const PING_NTVER_ONLY: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-cldap-netlogon-ntver-only.bin");
    const PING_WITH_IP_REQUEST: &[u8] = include_bytes!(
        "../tests/fixtures/ldap/samba-4.17-cldap-netlogon-with-ip-closest-site.request.bin"
    );
    const PING_WITH_IP: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-cldap-netlogon-with-ip-closest-site.bin");
    const PING_V5: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-cldap-netlogon-v5.bin");
    const PING_NT40: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-cldap-netlogon-nt40.bin");
    const PING_WRONG_DOMAIN: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-cldap-netlogon-wrong-domain.bin");
    const PING_WRONG_DOMAIN_REQUEST: &[u8] =
        include_bytes!("../tests/fixtures/ldap/samba-4.17-cldap-netlogon-wrong-domain.request.bin");

    #[test]
    fn requests_match_the_reference_client_bytes() {
        assert_eq!(root_dse_request(1).unwrap(), ROOT_DSE_REQUEST);
        assert_eq!(
            netlogon_ping(2, Some("lab.example"), NT_VERSION_DEFAULT).unwrap(),
            PING_REQUEST
        );
        // The request of the lab's cldap_ping.py (samba-dc-lab.md, gotcha 12).
        assert_eq!(
            netlogon_ping(1, Some("lab.example"), 6).unwrap(),
            hex(
                "304d020101634804000a01000a0100020100020100010100a029a3180409446e73446f6d61696e040b6c61622e6578616d706c65a30d04054e74566572040406000000300a04084e65746c6f676f6e"
            )
        );
        assert_eq!(netlogon_ping(3, None, 6).unwrap(), PING_NTVER_ONLY_REQUEST);
        assert_eq!(
            netlogon_ping(
                7,
                Some("lab.example"),
                NT_VERSION_DEFAULT | NT_VERSION_5EX_WITH_IP | NT_VERSION_WITH_CLOSEST_SITE
            )
            .unwrap(),
            PING_WITH_IP_REQUEST
        );
        assert_eq!(
            netlogon_ping(6, Some("wrong.example"), 6).unwrap(),
            PING_WRONG_DOMAIN_REQUEST
        );
    }

    #[test]
    fn requests_refuse_bad_parameters() {
        assert!(root_dse_request(MAX_MESSAGE_ID + 1).is_err());
        assert!(netlogon_ping(1, Some(""), 6).is_err());
        assert!(netlogon_ping(1, Some(&"a".repeat(256)), 6).is_err());
        assert!(root_dse_request(MAX_MESSAGE_ID).is_ok());
    }

    #[test]
    fn samba_netlogon_over_cldap() {
        let reply = parse_netlogon_reply(PING, 2).unwrap();
        assert!(reply.matches(2));
        assert_eq!(
            reply.to_string(),
            "CLDAP netlogon: domain lab.example, DC dc1.lab.example, site Default-First-Site-Name"
        );
        assert_eq!(reply.reply.done.as_ref().map(|done| done.code), Some(0));
        let Some(Netlogon::Ex(ex)) = reply.netlogon else {
            panic!("expected the EX form");
        };
        assert_eq!(ex.opcode, 23);
        assert_eq!(ex.flags, 0x13fd);
        assert_eq!(
            ex.flag_names(),
            [
                "PDC",
                "GC",
                "LDAP",
                "DS",
                "KDC",
                "TIMESERV",
                "CLOSEST",
                "WRITABLE",
                "GOOD_TIMESERV",
                "FULL_SECRET_DOMAIN_6"
            ]
        );
        assert_eq!(ex.dns_forest, "lab.example");
        assert_eq!(ex.dns_domain, "lab.example");
        assert_eq!(ex.dns_host, "dc1.lab.example");
        assert_eq!(ex.netbios_domain, "LAB");
        assert_eq!(ex.netbios_computer, "DC1");
        assert_eq!(ex.user, "");
        assert_eq!(ex.dc_site, "Default-First-Site-Name");
        // Samba points the client site at the DC site name.
        assert_eq!(ex.client_site, "Default-First-Site-Name");
        assert_eq!(ex.dc_address, None);
        assert_eq!(ex.next_closest_site, None);
        assert_eq!(ex.nt_version, 5);
        // As `net ads lookup -S 10.201.0.2` printed it.
        assert_eq!(
            ex.domain_guid_string(),
            "74b4ab02-9f68-4b95-b968-b85bfa755a51"
        );
    }

    #[test]
    fn samba_netlogon_without_domain_answers_for_the_default_domain() {
        let reply = parse_netlogon_reply(PING_NTVER_ONLY, 3).unwrap();
        let Some(Netlogon::Ex(ex)) = reply.netlogon else {
            panic!("expected the EX form");
        };
        assert_eq!(ex.dns_domain, "lab.example");
    }

    #[test]
    fn samba_netlogon_with_ip_carries_the_dc_address() {
        let reply = parse_netlogon_reply(PING_WITH_IP, 7).unwrap();
        let Some(Netlogon::Ex(ex)) = reply.netlogon else {
            panic!("expected the EX form");
        };
        assert_eq!(ex.dc_address, Some("10.201.0.2:0".parse().unwrap()));
        assert_eq!(ex.nt_version, 0x0d);
        assert_eq!(ex.next_closest_site, None);
        assert_eq!(ex.dns_host, "dc1.lab.example");
    }

    #[test]
    fn samba_older_forms_are_reported_by_opcode() {
        let v5 = parse_netlogon_reply(PING_V5, 4).unwrap();
        assert_eq!(
            v5.to_string(),
            "CLDAP netlogon: LOGON_SAM_LOGON_RESPONSE (19, older form), server DC1, domain LAB"
        );
        let Some(Netlogon::Legacy(legacy)) = v5.netlogon else {
            panic!("expected an older form");
        };
        assert_eq!(legacy.logon_server, "\\\\DC1");
        assert_eq!(legacy.domain, "LAB");
        let nt40 = parse_netlogon_reply(PING_NT40, 5).unwrap();
        assert_eq!(nt40.netlogon.map(|n| n.opcode()), Some(19));
    }

    #[test]
    fn wrong_domain_gets_an_empty_success() {
        let reply = parse_netlogon_reply(PING_WRONG_DOMAIN, 6).unwrap();
        assert_eq!(reply.netlogon, None);
        assert_eq!(
            reply.to_string(),
            "CLDAP netlogon: no entry, searchResDone success (0)"
        );
    }

    /// Re-encodes every length in the long form with four octets, as Active Directory
    /// writes its LDAP replies (`30 84 00 00 00 nn`).
    fn with_ad_lengths(bytes: &[u8]) -> Vec<u8> {
        let mut reader = Reader::new(bytes);
        let mut out = Vec::new();
        while !reader.is_empty() {
            let tlv = reader.read_tlv().unwrap();
            let value = if tlv.tag.constructed {
                with_ad_lengths(tlv.value)
            } else {
                tlv.value.to_vec()
            };
            let mut identifier = Vec::new();
            ber::write_tlv(&mut identifier, tlv.tag, &[]);
            identifier.pop();
            out.extend(identifier);
            out.push(0x84);
            out.extend(u32::try_from(value.len()).unwrap().to_be_bytes());
            out.extend(value);
        }
        out
    }

    #[test]
    fn active_directory_length_forms_parse_the_same() {
        let padded = with_ad_lengths(PING);
        assert_eq!(&padded[..5], [0x30, 0x84, 0, 0, 0]);
        assert_eq!(
            parse_netlogon_reply(&padded, 2).unwrap(),
            parse_netlogon_reply(PING, 2).unwrap()
        );
        let padded = with_ad_lengths(TCP_ROOT_DSE);
        assert_eq!(search_finished(&padded), Ok(true));
        assert_eq!(
            parse_root_dse(&padded, 1).unwrap(),
            parse_root_dse(TCP_ROOT_DSE, 1).unwrap()
        );
    }

    #[test]
    fn stray_message_ids_are_not_an_answer() {
        assert!(matches!(
            parse_netlogon_reply(PING, 99),
            Err(Error::Unexpected(_))
        ));
        assert!(matches!(
            parse_root_dse(CLDAP_ROOT_DSE, 2),
            Err(Error::Unexpected(_))
        ));
    }

    #[test]
    fn samba_root_dse_over_udp_tcp_and_gc() {
        for bytes in [CLDAP_ROOT_DSE, TCP_ROOT_DSE, GC_ROOT_DSE] {
            let root = parse_root_dse(bytes, 1).unwrap();
            assert_eq!(
                root.to_string(),
                "LDAP rootDSE: dnsHostName dc1.lab.example, defaultNamingContext DC=lab,DC=example"
            );
            assert_eq!(root.get("ISGLOBALCATALOGREADY").as_deref(), Some("TRUE"));
            assert_eq!(
                root.get("domainControllerFunctionality").as_deref(),
                Some("4")
            );
            let entry = root.entry().unwrap();
            assert_eq!(entry.object_name, "");
            assert_eq!(entry.values("supportedLDAPVersion").unwrap().len(), 2);
            assert_eq!(entry.values("namingContexts").unwrap().len(), 5);
            assert_eq!(root.reply.done.as_ref().unwrap().code, 0);
        }
    }

    #[test]
    fn tcp_completeness() {
        assert_eq!(search_finished(TCP_ROOT_DSE), Ok(true));
        // The entry alone is a whole message, but the search is not finished.
        let (_, entry_len) = parse_message(TCP_ROOT_DSE).unwrap();
        assert_eq!(message_len(TCP_ROOT_DSE), Ok(Some(entry_len)));
        assert_eq!(search_finished(&TCP_ROOT_DSE[..entry_len]), Ok(false));
        for cut in [0, 1, 3, 100, TCP_ROOT_DSE.len() - 1] {
            assert_eq!(
                search_finished(&TCP_ROOT_DSE[..cut]),
                Ok(false),
                "cut {cut}"
            );
        }
        assert!(matches!(
            search_finished(b"HTTP/1.1 400 Bad Request\r\n"),
            Err(Error::Unexpected(_))
        ));
        assert!(message_len(b"SSH-2.0-OpenSSH").is_err());
        assert_eq!(message_len(&[]), Ok(None));
    }

    #[test]
    fn several_messages_in_one_datagram() {
        let messages = parse_messages(PING).unwrap();
        assert_eq!(messages.len(), 2);
        assert!(matches!(messages[0].op, ProtocolOp::SearchResultEntry(_)));
        assert!(matches!(messages[1].op, ProtocolOp::SearchResultDone(_)));
        // A partial trailing message is an error, not a silent drop.
        assert!(parse_messages(&PING[..PING.len() - 2]).is_err());
    }

    #[test]
    fn notice_of_disconnection() {
        // ExtendedResponse, message id 0, protocolError, responseName 1.3.6.1.4.1.1466.20036.
        let mut bytes = Vec::new();
        ber::write_sequence(&mut bytes, |message| {
            ber::write_integer(message, 0);
            ber::write_constructed(message, Tag::application(24), |response| {
                ber::write_enumerated(response, 2);
                ber::write_octet_string(response, b"");
                ber::write_octet_string(response, b"bye");
                ber::write_tlv(
                    response,
                    Tag::context_primitive(10),
                    b"1.3.6.1.4.1.1466.20036",
                );
                Ok(())
            })
        })
        .unwrap();
        assert_eq!(search_finished(&bytes), Ok(true));
        let (message, _) = parse_message(&bytes).unwrap();
        assert_eq!(
            message.op,
            ProtocolOp::ExtendedResponse {
                result: LdapResult {
                    code: 2,
                    matched_dn: String::new(),
                    diagnostic: "bye".into()
                },
                name: Some("1.3.6.1.4.1.1466.20036".into())
            }
        );
        let root = parse_root_dse(&bytes, 5).unwrap();
        assert_eq!(
            root.to_string(),
            "LDAP rootDSE: no entry, notice of disconnection protocolError (2) \"bye\""
        );
    }

    #[test]
    fn hostile_message_ids_and_tags() {
        // Negative message id.
        assert!(parse_message(&hex("300c0201ff65070a010004000400")).is_err());
        // protocolOp with a universal tag.
        assert!(parse_message(&hex("30050201010400")).is_err());
        // Lying length inside the entry.
        assert!(parse_message(&hex("300902010164040400307f")).is_err());
    }

    #[test]
    fn compressed_names_are_bounded() {
        // A pointer to itself.
        assert!(read_compressed_name(&[0xc0, 0x00], 0).is_err());
        // A forward pointer.
        assert!(read_compressed_name(&[0xc0, 0x02, 0x00], 0).is_err());
        // Reserved label type 0x40.
        assert!(read_compressed_name(&[0x41, b'a', 0x00], 0).is_err());
        // A label that runs past the end.
        assert!(read_compressed_name(&[0x05, b'a'], 0).is_err());
        // A pointer chain back through labels is fine and resumes after the first pointer.
        let data = [1, b'a', 0, 1, b'b', 0xc0, 0, 0xc0, 3];
        assert_eq!(read_compressed_name(&data, 7).unwrap(), ("b.a".into(), 9));
        // A name longer than 255 bytes.
        let mut long = Vec::new();
        for _ in 0..5 {
            long.push(63);
            long.extend_from_slice(&[b'x'; 63]);
        }
        long.push(0);
        assert!(matches!(
            read_compressed_name(&long, 0),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn truncated_netlogon_values() {
        let value = netlogon_value(PING);
        for cut in 0..value.len() {
            assert!(parse_netlogon(&value[..cut]).is_err(), "cut {cut}");
        }
        assert!(parse_netlogon(&value).is_ok());
    }

    fn netlogon_value(reply: &[u8]) -> Vec<u8> {
        let reply = parse_search_reply(reply, 2).unwrap();
        reply.entries[0].values("netlogon").unwrap()[0].clone()
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Decodes the parts of a netlogon ping that vary, for the round trip.
    fn decode_ping(bytes: &[u8]) -> (u32, Option<String>, u32) {
        let mut outer = Reader::new(bytes);
        let mut message = outer.read_sequence().unwrap();
        outer.finish().unwrap();
        let id = message.read_integer().unwrap() as u32;
        let mut search = message.read_application(3).unwrap();
        assert_eq!(search.read_octet_string().unwrap(), b"");
        for _ in 0..2 {
            search.read_enumerated().unwrap();
        }
        for _ in 0..2 {
            search.read_integer().unwrap();
        }
        search.read_boolean().unwrap();
        let mut and = search.read_constructed(Tag::context(0)).unwrap();
        let mut domain = None;
        let mut nt_version = None;
        while !and.is_empty() {
            let mut ava = and.read_constructed(Tag::context(3)).unwrap();
            let name = ava.read_octet_string().unwrap();
            let value = ava.read_octet_string().unwrap();
            match name {
                b"DnsDomain" => domain = Some(String::from_utf8(value.to_vec()).unwrap()),
                b"NtVer" => nt_version = Some(u32::from_le_bytes(value.try_into().unwrap())),
                _ => panic!("unexpected clause"),
            }
        }
        let mut attributes = search.read_sequence().unwrap();
        assert_eq!(attributes.read_octet_string().unwrap(), b"Netlogon");
        search.finish().unwrap();
        (id, domain, nt_version.unwrap())
    }

    /// Encodes an EX response without compression, for the round trip.
    fn encode_ex(ex: &SamLogonResponseEx) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&ex.opcode.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&ex.flags.to_le_bytes());
        out.extend_from_slice(&ex.domain_guid);
        for name in [
            &ex.dns_forest,
            &ex.dns_domain,
            &ex.dns_host,
            &ex.netbios_domain,
            &ex.netbios_computer,
            &ex.user,
            &ex.dc_site,
            &ex.client_site,
        ] {
            for label in name.split('.').filter(|label| !label.is_empty()) {
                out.push(label.len() as u8);
                out.extend_from_slice(label.as_bytes());
            }
            out.push(0);
        }
        if let Some(address) = ex.dc_address {
            out.push(16);
            out.extend_from_slice(&[2, 0]);
            out.extend_from_slice(&address.port().to_be_bytes());
            out.extend_from_slice(&address.ip().octets());
            out.extend_from_slice(&[0; 8]);
        }
        out.extend_from_slice(&ex.nt_version.to_le_bytes());
        out.extend_from_slice(&[0xff; 4]);
        out
    }

    fn dns_name() -> impl Strategy<Value = String> {
        proptest::collection::vec("[a-zA-Z0-9-]{1,20}", 0..4).prop_map(|labels| labels.join("."))
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_messages(&bytes);
            let _ = parse_netlogon_reply(&bytes, 1);
            let _ = parse_root_dse(&bytes, 1);
            let _ = parse_netlogon(&bytes);
            let _ = search_finished(&bytes);
            let _ = message_len(&bytes);
        }

        #[test]
        fn mutated_captures_never_panic(index in 0usize..PING_WITH_IP.len(), byte in any::<u8>()) {
            let mut bytes = PING_WITH_IP.to_vec();
            bytes[index] = byte;
            let _ = parse_netlogon_reply(&bytes, 7).map(|reply| reply.to_string());
            let mut value = netlogon_value(PING);
            let at = index % value.len();
            value[at] = byte;
            let _ = parse_netlogon(&value);
        }

        #[test]
        fn netlogon_ping_round_trips(
            id in 0..=MAX_MESSAGE_ID,
            domain in proptest::option::of("[a-z0-9.-]{1,60}"),
            nt_version in any::<u32>(),
        ) {
            let bytes = netlogon_ping(id, domain.as_deref(), nt_version).unwrap();
            prop_assert_eq!(decode_ping(&bytes), (id, domain, nt_version));
            prop_assert_eq!(message_len(&bytes), Ok(Some(bytes.len())));
        }

        #[test]
        fn root_dse_request_is_one_message(id in 0..=MAX_MESSAGE_ID) {
            let bytes = root_dse_request(id).unwrap();
            let (message, used) = parse_message(&bytes).unwrap();
            prop_assert_eq!(used, bytes.len());
            prop_assert_eq!(message.message_id, id);
            prop_assert_eq!(message.op, ProtocolOp::Other(3));
        }

        #[test]
        fn ex_responses_round_trip(
            names in proptest::collection::vec(dns_name(), 8),
            flags in any::<u32>(),
            guid in any::<[u8; 16]>(),
            address in proptest::option::of(any::<(u32, u16)>()),
        ) {
            let dc_address = address.map(|(ip, port)| SocketAddrV4::new(Ipv4Addr::from(ip), port));
            let ex = SamLogonResponseEx {
                opcode: 23,
                flags,
                domain_guid: guid,
                dns_forest: names[0].clone(),
                dns_domain: names[1].clone(),
                dns_host: names[2].clone(),
                netbios_domain: names[3].clone(),
                netbios_computer: names[4].clone(),
                user: names[5].clone(),
                dc_site: names[6].clone(),
                client_site: names[7].clone(),
                dc_address,
                next_closest_site: None,
                nt_version: if dc_address.is_some() { 0x0d } else { 5 },
            };
            prop_assert_eq!(parse_netlogon(&encode_ex(&ex)), Ok(Netlogon::Ex(ex)));
        }
    }

    #[test]
    fn an_emitted_search_done_answers_the_ping() {
        let ping = netlogon_ping(77, Some("lab.example"), NT_VERSION_DEFAULT).unwrap();
        let done = emit_search_done(&ping).unwrap();
        assert!(done.len() < ping.len());
        let reply = parse_netlogon_reply(&done, 77).unwrap();
        assert!(reply.matches(77));
        assert!(reply.netlogon.is_none());
        assert!(reply.reply.done.is_some());
        assert!(emit_search_done(&done).is_err());
        assert!(emit_search_done(b"\x30\x03\x02\x01").is_err());
    }
}
