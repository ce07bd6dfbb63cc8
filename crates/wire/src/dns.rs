//! DNS (RFC 1035) over UDP and TCP: one query out, the reply summarised.
//!
//! The wire format itself is `hickory-proto`'s: [`query`] builds a [`Message`] and encodes it,
//! [`parse_reply`] decodes with it and keeps what the checker shows. hickory's errors carry
//! owned data that this crate's [`Error`] cannot hold, so they are mapped to a fixed reason.
//!
//! The verdict rule is PortQry's: any well-formed DNS *response* that carries our
//! transaction id proves a DNS server, whatever its response code (a REFUSED or NXDOMAIN
//! answer is still a listener). [`Reply::matches`] and [`parse_reply_to`] check the id.
//!
//! Recursion desired is off by default: a port check should not make the server go out
//! and resolve names on the probe's behalf.
//!
//! DNS over TCP (RFC 1035 section 4.2.2, RFC 7766) prefixes every message with its length
//! as two big-endian bytes: [`tcp_frame`] adds the prefix, [`split_tcp_frame`] takes one
//! message off the front of what has been read so far.

use core::fmt;
use core::fmt::Write as _;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RData, Record};
use hickory_proto::serialize::binary::DecodeError;

pub use hickory_proto::rr::RecordType;

use crate::error::answering;
use crate::simple::Escaped;
use crate::{Error, Result};

/// Largest DNS message accepted (the TCP length prefix cannot say more).
pub const MAX_MESSAGE: usize = 65_535;

/// Answers summarised in [`Reply::answer_summary`].
pub const SUMMARISED_ANSWERS: usize = 3;

/// Length of the fixed DNS header.
pub const HEADER_LEN: usize = 12;

/// Builds a standard query for `name` / `qtype` (class IN) with recursion desired off.
pub fn query(id: u16, name: &str, qtype: RecordType) -> Result<Vec<u8>> {
    query_with_recursion(id, name, qtype, false)
}

/// Builds a standard query, choosing the RD (recursion desired) flag.
pub fn query_with_recursion(
    id: u16,
    name: &str,
    qtype: RecordType,
    recursion_desired: bool,
) -> Result<Vec<u8>> {
    let name = Name::from_ascii(name)
        .map_err(|_| Error::malformed("DNS name", "not a valid domain name"))?;
    let mut message = Message::new(id, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = recursion_desired;
    message.add_query(Query::query(name, qtype));
    message
        .to_vec()
        .map_err(|_| Error::malformed("DNS query", "hickory-proto could not encode it"))
}

/// Prefixes `message` with its two-byte length for DNS over TCP.
pub fn tcp_frame(message: &[u8]) -> Result<Vec<u8>> {
    let len = u16::try_from(message.len())
        .map_err(|_| Error::too_large("DNS message", message.len(), MAX_MESSAGE))?;
    let mut framed = Vec::with_capacity(message.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(message);
    Ok(framed)
}

/// Takes the first length-prefixed message off a TCP byte stream: returns it and the bytes
/// after it. [`Error::Truncated`] says how many bytes are needed when the frame is not
/// complete yet, so the caller can read more and try again.
pub fn split_tcp_frame(stream: &[u8]) -> Result<(&[u8], &[u8])> {
    let prefix: &[u8; 2] =
        stream
            .first_chunk()
            .ok_or(Error::truncated("DNS TCP length prefix", 2, stream.len()))?;
    let len = usize::from(u16::from_be_bytes(*prefix));
    let rest = stream.get(2..).unwrap_or_default();
    if rest.len() < len {
        return Err(Error::truncated("DNS TCP frame", len + 2, stream.len()));
    }
    Ok(rest.split_at(len))
}

/// What a reply said, reduced to what the checker shows and matches on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Transaction id.
    pub id: u16,
    /// Operation code (0 = QUERY).
    pub opcode: u8,
    /// Response code, extended by EDNS when present (0 = NOERROR, 3 = NXDOMAIN, ...).
    pub rcode: u16,
    /// AA: the server is authoritative for the name.
    pub authoritative: bool,
    /// TC: the reply was cut to fit a datagram; ask again over TCP for the rest.
    pub truncated: bool,
    /// RD, copied from the query.
    pub recursion_desired: bool,
    /// RA: the server offers recursion.
    pub recursion_available: bool,
    /// The first question, as name and type, if the reply repeats one.
    pub question: Option<(String, RecordType)>,
    /// Number of records in the answer section.
    pub answers: usize,
    /// Number of records in the authority section.
    pub authorities: usize,
    /// Number of records in the additional section (the EDNS OPT record not counted).
    pub additionals: usize,
    /// The first few answers, one short line each (`SOA dc1.lab.example.`, `A 10.0.0.1`).
    pub answer_summary: Vec<String>,
}

/// Maps a hickory decoding error to a fixed reason.
fn decode_error(error: &DecodeError) -> Error {
    let why = match error {
        DecodeError::InsufficientBytes => "ends before the records it announces",
        DecodeError::IncorrectRDataLengthRead { .. } => "record data length is wrong",
        DecodeError::PointerNotPriorToLabel { .. } => "name compression pointer goes forward",
        DecodeError::LabelBytesTooLong(_) => "label longer than 63 bytes",
        DecodeError::DomainNameTooLong(_) => "name longer than 255 bytes",
        DecodeError::UnrecognizedLabelCode(_) => "unknown label type",
        _ => "rejected by the decoder",
    };
    Error::malformed("DNS message", why)
}

/// Short name of a response code, as dig prints it.
pub fn rcode_name(rcode: u16) -> Option<&'static str> {
    Some(match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADVERS",
        23 => "BADCOOKIE",
        _ => return None,
    })
}

fn push_name(out: &mut String, name: &Name) {
    let mut text = String::new();
    // A name that cannot be shown is skipped rather than aborting the summary.
    if write!(text, "{name}").is_ok() {
        let _ = write!(out, "{}", Escaped::new(text.as_bytes(), 64));
    }
}

/// One short line for an answer record; remote text is escaped and cut.
fn summarise(record: &Record) -> String {
    let mut line = record.record_type().to_string();
    line.push(' ');
    match &record.data {
        RData::A(address) => {
            let _ = write!(line, "{}", address.0);
        }
        RData::AAAA(address) => {
            let _ = write!(line, "{}", address.0);
        }
        RData::CNAME(name) => push_name(&mut line, &name.0),
        RData::NS(name) => push_name(&mut line, &name.0),
        RData::PTR(name) => push_name(&mut line, &name.0),
        RData::SOA(soa) => push_name(&mut line, &soa.mname),
        RData::MX(mx) => {
            let _ = write!(line, "{} ", mx.preference);
            push_name(&mut line, &mx.exchange);
        }
        RData::SRV(srv) => {
            let _ = write!(line, "{} {} {} ", srv.priority, srv.weight, srv.port);
            push_name(&mut line, &srv.target);
        }
        RData::TXT(txt) => {
            let first = txt.txt_data.first().map(|s| &s[..]).unwrap_or_default();
            let _ = write!(line, "\"{}\"", Escaped::new(first, 40));
        }
        _ => {
            line.pop();
        }
    }
    line
}

impl Reply {
    /// True when this reply answers the query with transaction id `id`.
    pub fn matches(&self, id: u16) -> bool {
        self.id == id
    }

    /// Short name of the response code, or `RCODE<n>` for an unlisted one.
    pub fn rcode_text(&self) -> String {
        rcode_name(self.rcode).map_or_else(|| format!("RCODE{}", self.rcode), str::to_owned)
    }
}

/// Parses a DNS response. Queries (QR = 0) are refused, since a reflection of our own
/// datagram is not an answer.
pub fn parse_reply(bytes: &[u8]) -> Result<Reply> {
    if bytes.len() > MAX_MESSAGE {
        return Err(Error::too_large("DNS message", bytes.len(), MAX_MESSAGE));
    }
    crate::error::need(bytes, HEADER_LEN, "DNS header")?;
    let message = Message::from_vec(bytes).map_err(|e| decode_error(&e))?;
    let meta = &message.metadata;
    if meta.message_type != MessageType::Response {
        return Err(Error::Unexpected("DNS message is a query, not a response"));
    }
    let question = message.queries.first().map(|q| {
        let mut name = String::new();
        push_name(&mut name, &q.name);
        (name, q.query_type)
    });
    Ok(Reply {
        id: meta.id,
        opcode: u8::from(meta.op_code),
        rcode: u16::from(meta.response_code),
        authoritative: meta.authoritative,
        truncated: meta.truncation,
        recursion_desired: meta.recursion_desired,
        recursion_available: meta.recursion_available,
        question,
        answers: message.answers.len(),
        authorities: message.authorities.len(),
        additionals: message.additionals.len(),
        answer_summary: message
            .answers
            .iter()
            .take(SUMMARISED_ANSWERS)
            .map(summarise)
            .collect(),
    })
}

/// Parses a DNS response and checks that it carries transaction id `id`.
pub fn parse_reply_to(bytes: &[u8], id: u16) -> Result<Reply> {
    answering(
        parse_reply(bytes)?,
        |reply| reply.matches(id),
        "DNS reply carries another transaction id",
    )
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DNS: {}", self.rcode_text())?;
        if self.authoritative {
            f.write_str(" aa")?;
        }
        if self.truncated {
            f.write_str(" tc")?;
        }
        let plural = if self.answers == 1 { "" } else { "s" };
        write!(f, ", {} answer{plural}", self.answers)?;
        if !self.answer_summary.is_empty() {
            // Keep the whole line short: the first answer in full, then a count.
            let mut shown = String::new();
            for (n, line) in self.answer_summary.iter().enumerate() {
                if n > 0 && shown.len() + line.len() > 70 {
                    break;
                }
                if n > 0 {
                    shown.push_str("; ");
                }
                shown.push_str(line);
            }
            write!(f, " ({shown})")?;
        } else if let Some((name, qtype)) = &self.question {
            write!(f, " for {name} {qtype}")?;
        }
        if self.answers == 0 && self.authorities > 0 {
            write!(f, ", {} authority", self.authorities)?;
        }
        Ok(())
    }
}

/// Response codes a stand-in server may give ([`emit_refusal`]).
pub mod rcode {
    /// NXDOMAIN: the name does not exist.
    pub const NAME_ERROR: u8 = 3;
    /// REFUSED: the server will not answer this query.
    pub const REFUSED: u8 = 5;
}

/// Emits the answer a server gives to a query it will not resolve: the query's id, opcode,
/// recursion-desired bit and question section, QR set, no records, response code `rcode`
/// (4 bits). It is never longer than the query (nothing is added, any EDNS record or
/// other section is dropped). Refuses bytes that are not a standard query with one question.
pub fn emit_refusal(query: &[u8], rcode: u8) -> Result<Vec<u8>> {
    crate::error::need(query, HEADER_LEN, "DNS header")?;
    let flags = u16::from_be_bytes([query[2], query[3]]);
    if flags & 0x8000 != 0 {
        return Err(Error::Unexpected("DNS message is a response, not a query"));
    }
    if u16::from_be_bytes([query[4], query[5]]) != 1 {
        return Err(Error::malformed("DNS query", "question count is not 1"));
    }
    // The question: uncompressed labels, then type and class.
    let mut at = HEADER_LEN;
    loop {
        let len = usize::from(*query.get(at).ok_or(Error::truncated(
            "DNS question",
            at + 1,
            query.len(),
        ))?);
        if len & 0xc0 != 0 {
            return Err(Error::malformed(
                "DNS question",
                "compressed or extended label",
            ));
        }
        at += 1 + len;
        if len == 0 {
            break;
        }
        if at > 255 + HEADER_LEN {
            return Err(Error::too_large("DNS question name", at - HEADER_LEN, 255));
        }
    }
    let end = at + 4;
    let question =
        query
            .get(HEADER_LEN..end)
            .ok_or(Error::truncated("DNS question", end, query.len()))?;
    // QR, the query's opcode and RD; AA, TC, RA and the Z bits clear.
    let reply_flags = 0x8000 | (flags & 0x7900) | u16::from(rcode & 0x0f);
    let mut out = Vec::with_capacity(end);
    out.extend_from_slice(&query[..2]);
    out.extend_from_slice(&reply_flags.to_be_bytes());
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(question);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMBA_SOA_QUERY: &[u8] =
        include_bytes!("../tests/fixtures/dns/request-soa-lab.example.bin");
    const SAMBA_SOA: &[u8] = include_bytes!("../tests/fixtures/dns/samba-4.17-soa-lab.example.bin");
    const SAMBA_SRV: &[u8] =
        include_bytes!("../tests/fixtures/dns/samba-4.17-srv-ldap-tcp-lab.example.bin");
    const SAMBA_TCP_SOA: &[u8] =
        include_bytes!("../tests/fixtures/dns/samba-4.17-tcp-soa-lab.example.bin");
    const DNSMASQ_A: &[u8] =
        include_bytes!("../tests/fixtures/dns/dnsmasq-2.90-a-svc1.lab.example.bin");
    const DNSMASQ_NX: &[u8] =
        include_bytes!("../tests/fixtures/dns/dnsmasq-2.90-a-missing.lab.example.bin");

    #[test]
    fn query_is_what_was_sent_to_samba() {
        let built = query(0x5a01, "lab.example", RecordType::SOA).unwrap();
        assert_eq!(built, SAMBA_SOA_QUERY);
        // RD off, one question, no other records.
        assert_eq!(&built[2..12], &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        let recursive = query_with_recursion(1, "lab.example", RecordType::A, true).unwrap();
        assert_eq!(recursive[2], 0x01);
    }

    #[test]
    fn samba_soa_reply() {
        let reply = parse_reply_to(SAMBA_SOA, 0x5a01).unwrap();
        assert_eq!(reply.rcode, 0);
        assert!(reply.authoritative);
        assert_eq!(reply.answers, 1);
        assert_eq!(
            reply.question,
            Some(("lab.example.".into(), RecordType::SOA))
        );
        assert_eq!(reply.answer_summary, ["SOA dc1.lab.example."]);
        assert_eq!(
            reply.to_string(),
            "DNS: NOERROR aa, 1 answer (SOA dc1.lab.example.)"
        );
    }

    #[test]
    fn samba_srv_reply() {
        let reply = parse_reply_to(SAMBA_SRV, 0x5a02).unwrap();
        assert_eq!(reply.answers, 1);
        assert_eq!(reply.answer_summary, ["SRV 0 100 389 dc1.lab.example."]);
    }

    #[test]
    fn samba_over_tcp() {
        let (message, rest) = split_tcp_frame(SAMBA_TCP_SOA).unwrap();
        assert!(rest.is_empty());
        let reply = parse_reply_to(message, 0x5a03).unwrap();
        assert_eq!(reply.answer_summary, ["SOA dc1.lab.example."]);
    }

    #[test]
    fn dnsmasq_replies() {
        let reply = parse_reply_to(DNSMASQ_A, 0x5a04).unwrap();
        assert_eq!(reply.answer_summary, ["A 10.201.1.2"]);
        let missing = parse_reply_to(DNSMASQ_NX, 0x5a05).unwrap();
        // dnsmasq has no upstream here: a name outside its hosts is REFUSED, which is
        // still a well-formed answer from a DNS server.
        assert_eq!(missing.rcode, 5);
        assert_eq!(missing.answers, 0);
        assert_eq!(
            missing.to_string(),
            "DNS: REFUSED, 0 answers for missing.lab.example. A"
        );
    }

    #[test]
    fn wrong_id_and_queries_are_refused() {
        assert!(matches!(
            parse_reply_to(SAMBA_SOA, 0x5a02),
            Err(Error::Unexpected(_))
        ));
        assert!(matches!(
            parse_reply(SAMBA_SOA_QUERY),
            Err(Error::Unexpected(_))
        ));
    }

    #[test]
    fn truncated_reply_is_malformed_not_a_panic() {
        for cut in 0..SAMBA_SOA.len() {
            assert!(parse_reply(&SAMBA_SOA[..cut]).is_err());
        }
    }

    #[test]
    fn tcp_framing() {
        let framed = tcp_frame(b"abc").unwrap();
        assert_eq!(framed, b"\x00\x03abc");
        assert!(matches!(
            split_tcp_frame(&framed[..4]),
            Err(Error::Truncated {
                need: 5,
                have: 4,
                ..
            })
        ));
        assert!(split_tcp_frame(b"\x00").is_err());
        let (first, rest) = split_tcp_frame(b"\x00\x01a\x00\x01b").unwrap();
        assert_eq!((first, rest), (&b"a"[..], &b"\x00\x01b"[..]));
        assert!(tcp_frame(&vec![0; 70_000]).is_err());
    }

    #[test]
    fn bad_names_are_refused() {
        let long_label = "a".repeat(64);
        assert!(query(1, &long_label, RecordType::A).is_err());
        assert!(query(1, "_ldap._tcp.lab.example", RecordType::SRV).is_ok());
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(reply) = parse_reply(&bytes) {
                let line = reply.to_string();
                prop_assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
            }
            let _ = split_tcp_frame(&bytes);
        }

        #[test]
        fn flipped_samba_bytes_never_panic(at in 0usize..200, value in any::<u8>()) {
            let mut bytes = SAMBA_SRV.to_vec();
            if let Some(b) = bytes.get_mut(at) {
                *b = value;
            }
            let _ = parse_reply(&bytes).map(|r| r.to_string());
        }

        #[test]
        fn query_round_trips(id in any::<u16>(), label in "[a-z0-9_][a-z0-9_-]{0,19}") {
            let name = format!("{label}.lab.example");
            let mut bytes = query(id, &name, RecordType::SRV).unwrap();
            bytes[2] |= 0x80; // turn it into a response
            let reply = parse_reply_to(&bytes, id).unwrap();
            prop_assert_eq!(reply.question, Some((format!("{name}."), RecordType::SRV)));
            let framed = tcp_frame(&bytes).unwrap();
            prop_assert_eq!(split_tcp_frame(&framed).unwrap().0, &bytes[..]);
        }
    }

    #[test]
    fn an_emitted_refusal_parses_as_the_answer_to_its_query() {
        let query = query(0x1234, ".", RecordType::SOA).unwrap();
        let reply = emit_refusal(&query, rcode::REFUSED).unwrap();
        assert!(reply.len() <= query.len());
        let parsed = parse_reply_to(&reply, 0x1234).unwrap();
        assert_eq!(parsed.rcode_text(), "REFUSED");
        assert_eq!(parsed.question.as_ref().map(|q| q.0.as_str()), Some("."));
        let named = query_with_recursion(7, "a.portolan.invalid", RecordType::A, true).unwrap();
        let reply = emit_refusal(&named, rcode::NAME_ERROR).unwrap();
        let parsed = parse_reply_to(&reply, 7).unwrap();
        assert!(parsed.recursion_desired);
        assert_eq!(parsed.rcode_text(), "NXDOMAIN");
        assert!(emit_refusal(&reply, rcode::REFUSED).is_err());
        assert!(emit_refusal(&query[..12], rcode::REFUSED).is_err());
    }
}
