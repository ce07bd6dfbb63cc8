//! NTP / SNTP (RFC 5905, RFC 4330): a mode-3 client request and the server's mode-4 reply.
//!
//! SNTP uses the very same 48-byte packet, so one probe covers both. The request carries a
//! caller-chosen transmit timestamp; a genuine reply copies it into its origin timestamp
//! (RFC 5905 section 8), which is how [`ServerReply::matches`] tells our answer from a stray
//! datagram. Extension fields and the MAC that may follow the 48-byte header are ignored.
//!
//! Also recognised, because they prove an NTP daemon just as well:
//! * a kiss-o'-death reply (stratum 0, the reference id is a four-letter code such as
//!   `RATE` or `DENY`, RFC 5905 section 7.4), see [`ServerReply::kiss_code`];
//! * a mode-7 ("private", ntpdc) reply header from the reference implementation
//!   ([`PrivateReply`]). No mode-7 request is built: chrony does not answer mode 7, and
//!   the classic mode-7 `monlist` request is an amplification vector.

use core::fmt;
use std::net::Ipv4Addr;

use crate::error::answering;
use crate::simple::Escaped;
use crate::{Error, Result};

/// Size of the NTP header without extension fields.
pub const HEADER_LEN: usize = 48;

/// Seconds between the NTP era 0 epoch (1900) and the Unix epoch (1970).
pub const UNIX_EPOCH_OFFSET: u64 = 2_208_988_800;

/// Byte offsets of the header fields (RFC 5905 figure 8).
mod field {
    pub const FLAGS: usize = 0;
    pub const STRATUM: usize = 1;
    pub const POLL: usize = 2;
    pub const PRECISION: usize = 3;
    pub const ROOT_DELAY: usize = 4;
    pub const ROOT_DISPERSION: usize = 8;
    pub const REFERENCE_ID: usize = 12;
    pub const REFERENCE_TS: usize = 16;
    pub const ORIGIN_TS: usize = 24;
    pub const RECEIVE_TS: usize = 32;
    pub const TRANSMIT_TS: usize = 40;
}

/// Builds a 48-byte NTPv4 client request whose transmit timestamp is `transmit`,
/// so that the reply's origin timestamp can be matched against it.
pub fn client_request(transmit: u64) -> [u8; 48] {
    let mut packet = [0u8; 48];
    packet[0] = (4 << 3) | 3; // LI 0, version 4, mode 3 (client)
    packet[40..48].copy_from_slice(&transmit.to_be_bytes());
    packet
}

/// The association mode in the low three bits of the first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 0, reserved.
    Reserved,
    /// 1, symmetric active.
    SymmetricActive,
    /// 2, symmetric passive.
    SymmetricPassive,
    /// 3, client.
    Client,
    /// 4, server.
    Server,
    /// 5, broadcast.
    Broadcast,
    /// 6, NTP control message (ntpq).
    Control,
    /// 7, private use (ntpdc).
    Private,
}

impl Mode {
    /// Decodes the low three bits of `flags`.
    pub fn from_flags(flags: u8) -> Mode {
        match flags & 0x07 {
            0 => Mode::Reserved,
            1 => Mode::SymmetricActive,
            2 => Mode::SymmetricPassive,
            3 => Mode::Client,
            4 => Mode::Server,
            5 => Mode::Broadcast,
            6 => Mode::Control,
            _ => Mode::Private,
        }
    }
}

/// What the reference id of a server reply names, which depends on the stratum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// Stratum 0: a kiss code (`RATE`, `DENY`, `RSTR`, ...), four ASCII bytes.
    Kiss([u8; 4]),
    /// Stratum 1: the name of the reference clock (`GPS`, `PPS`, `LOCL`, ...), NUL padded.
    Clock([u8; 4]),
    /// Stratum 2 and up: the IPv4 address of the upstream server (for an IPv6 upstream, the
    /// first four bytes of a hash of its address, which look like an address all the same).
    Upstream(Ipv4Addr),
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Kiss(code) | Reference::Clock(code) => {
                let text = code.split(|&b| b == 0).next().unwrap_or(&[]);
                write!(f, "{}", Escaped::new(text, 4))
            }
            Reference::Upstream(address) => write!(f, "{address}"),
        }
    }
}

/// A mode-4 (server) reply, RFC 5905 section 7.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerReply {
    /// Leap indicator, 0..=3 (3 = clock not synchronised).
    pub leap: u8,
    /// Protocol version, 1..=7 as sent (3 or 4 in practice).
    pub version: u8,
    /// Stratum: 0 kiss-o'-death or unspecified, 1 primary, 2..=15 secondary, 16 unsynchronised.
    pub stratum: u8,
    /// Poll interval, log2 seconds.
    pub poll: i8,
    /// Clock precision, log2 seconds.
    pub precision: i8,
    /// Root delay, NTP short format (16.16 seconds).
    pub root_delay: u32,
    /// Root dispersion, NTP short format (16.16 seconds).
    pub root_dispersion: u32,
    /// The reference id, decoded according to the stratum.
    pub reference: Reference,
    /// When the server's clock was last set, NTP timestamp format (32.32 seconds).
    pub reference_time: u64,
    /// Our request's transmit timestamp, copied back.
    pub origin_time: u64,
    /// When the server received the request.
    pub receive_time: u64,
    /// When the server sent this reply.
    pub transmit_time: u64,
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(src) = bytes.get(at..at + 4) {
        word.copy_from_slice(src);
    }
    u32::from_be_bytes(word)
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    if let Some(src) = bytes.get(at..at + 8) {
        word.copy_from_slice(src);
    }
    u64::from_be_bytes(word)
}

impl ServerReply {
    /// Parses a server reply; refuses packets shorter than 48 bytes or in another mode.
    pub fn parse(bytes: &[u8]) -> Result<ServerReply> {
        let bytes: &[u8; HEADER_LEN] =
            bytes
                .first_chunk()
                .ok_or(Error::truncated("NTP header", HEADER_LEN, bytes.len()))?;
        let flags = bytes[field::FLAGS];
        let version = (flags >> 3) & 0x07;
        if version == 0 {
            return Err(Error::malformed("NTP header", "version 0"));
        }
        if Mode::from_flags(flags) != Mode::Server {
            return Err(Error::Unexpected(
                "NTP packet is not a server (mode 4) reply",
            ));
        }
        let stratum = bytes[field::STRATUM];
        let mut id = [0u8; 4];
        id.copy_from_slice(&bytes[field::REFERENCE_ID..field::REFERENCE_ID + 4]);
        let reference = match stratum {
            0 => Reference::Kiss(id),
            1 => Reference::Clock(id),
            _ => Reference::Upstream(Ipv4Addr::from(id)),
        };
        Ok(ServerReply {
            leap: flags >> 6,
            version,
            stratum,
            poll: i8::from_be_bytes([bytes[field::POLL]]),
            precision: i8::from_be_bytes([bytes[field::PRECISION]]),
            root_delay: read_u32(bytes, field::ROOT_DELAY),
            root_dispersion: read_u32(bytes, field::ROOT_DISPERSION),
            reference,
            reference_time: read_u64(bytes, field::REFERENCE_TS),
            origin_time: read_u64(bytes, field::ORIGIN_TS),
            receive_time: read_u64(bytes, field::RECEIVE_TS),
            transmit_time: read_u64(bytes, field::TRANSMIT_TS),
        })
    }

    /// True when this reply answers the request built by `client_request(transmit)`.
    pub fn matches(&self, transmit: u64) -> bool {
        self.origin_time == transmit
    }

    /// The kiss code of a kiss-o'-death reply (stratum 0 with an ASCII code), if this is one.
    pub fn kiss_code(&self) -> Option<[u8; 4]> {
        match self.reference {
            Reference::Kiss(code) if code.iter().all(|b| b.is_ascii_uppercase()) => Some(code),
            _ => None,
        }
    }

    /// The server's transmit time as whole seconds since the Unix epoch (era 0 only).
    pub fn transmit_unix_seconds(&self) -> Option<u64> {
        (self.transmit_time >> 32).checked_sub(UNIX_EPOCH_OFFSET)
    }
}

impl fmt::Display for ServerReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = self.kiss_code() {
            return write!(
                f,
                "NTP v{} kiss-o'-death {}",
                self.version,
                Escaped::new(&code, 4)
            );
        }
        write!(
            f,
            "NTP v{} server: stratum {}, reference {}, poll {}, precision {}",
            self.version, self.stratum, self.reference, self.poll, self.precision
        )?;
        if self.leap == 3 {
            f.write_str(", unsynchronised")?;
        }
        Ok(())
    }
}

/// Parses a server reply and checks that it answers `client_request(transmit)`.
pub fn parse_reply(bytes: &[u8], transmit: u64) -> Result<ServerReply> {
    answering(
        ServerReply::parse(bytes)?,
        |reply| reply.matches(transmit),
        "NTP origin timestamp differs from our transmit timestamp",
    )
}

/// The 8-byte header of a mode-7 reply (the reference implementation's private protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateReply {
    /// Protocol version from the first byte.
    pub version: u8,
    /// Implementation number (0 universal, 2 old xntpd, 3 xntpd).
    pub implementation: u8,
    /// Request code being answered (42 = MON_GETLIST_1, ...).
    pub request_code: u8,
    /// Error code from the high nibble of byte 4 (0 = none).
    pub error: u8,
    /// Number of data items that follow.
    pub items: u16,
}

impl PrivateReply {
    /// Length of the mode-7 header.
    pub const HEADER_LEN: usize = 8;

    /// Parses a mode-7 header; the response bit must be set.
    pub fn parse(bytes: &[u8]) -> Result<PrivateReply> {
        let bytes: &[u8; Self::HEADER_LEN] = bytes.first_chunk().ok_or(Error::truncated(
            "NTP mode-7 header",
            Self::HEADER_LEN,
            bytes.len(),
        ))?;
        let flags = bytes[0];
        if Mode::from_flags(flags) != Mode::Private {
            return Err(Error::Unexpected("NTP packet is not mode 7"));
        }
        if flags & 0x80 == 0 {
            return Err(Error::Unexpected("NTP mode-7 packet is a request"));
        }
        Ok(PrivateReply {
            version: (flags >> 3) & 0x07,
            implementation: bytes[2],
            request_code: bytes[3],
            error: bytes[4] >> 4,
            items: u16::from_be_bytes([bytes[4] & 0x0f, bytes[5]]),
        })
    }
}

impl fmt::Display for PrivateReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NTP v{} mode-7 reply: implementation {}, request {}, error {}, {} items",
            self.version, self.implementation, self.request_code, self.error, self.items
        )
    }
}

impl ServerReply {
    /// Writes the reply as a 48-byte mode-4 header, the inverse of [`ServerReply::parse`]:
    /// what parses emits the same header (extension fields are not kept). Refuses fields
    /// the header cannot hold (a leap indicator above 3, a version outside 1..=7) and a
    /// reference of the wrong kind for the stratum, which would read back differently.
    pub fn emit(&self) -> Result<[u8; HEADER_LEN]> {
        if self.leap > 3 {
            return Err(Error::malformed("NTP reply", "leap indicator above 3"));
        }
        if !(1..=7).contains(&self.version) {
            return Err(Error::malformed("NTP reply", "version outside 1..=7"));
        }
        let reference = match (self.stratum, self.reference) {
            (0, Reference::Kiss(id)) | (1, Reference::Clock(id)) => id,
            (2.., Reference::Upstream(address)) => address.octets(),
            _ => {
                return Err(Error::malformed(
                    "NTP reply",
                    "reference id of another kind than the stratum's",
                ));
            }
        };
        let mut reply = [0u8; HEADER_LEN];
        reply[field::FLAGS] = (self.leap << 6) | (self.version << 3) | 4;
        reply[field::STRATUM] = self.stratum;
        reply[field::POLL] = self.poll.to_be_bytes()[0];
        reply[field::PRECISION] = self.precision.to_be_bytes()[0];
        let mut put = |at: usize, bytes: &[u8]| reply[at..at + bytes.len()].copy_from_slice(bytes);
        put(field::ROOT_DELAY, &self.root_delay.to_be_bytes());
        put(field::ROOT_DISPERSION, &self.root_dispersion.to_be_bytes());
        put(field::REFERENCE_ID, &reference);
        put(field::REFERENCE_TS, &self.reference_time.to_be_bytes());
        put(field::ORIGIN_TS, &self.origin_time.to_be_bytes());
        put(field::RECEIVE_TS, &self.receive_time.to_be_bytes());
        put(field::TRANSMIT_TS, &self.transmit_time.to_be_bytes());
        Ok(reply)
    }
}

/// Emits a server (mode 4) reply to a client request: the request's version, its transmit
/// timestamp as the origin, `now` (NTP format) as receive and transmit time. A stand-in has
/// no reference clock, so the reply says so: leap indicator 3 (not synchronised) and
/// stratum 16 (RFC 5905: unsynchronised), which clients never set their clock from.
/// The reply is 48 bytes, as the request.
pub fn emit_server_reply(request: &[u8], now: u64) -> Result<[u8; HEADER_LEN]> {
    let request: &[u8; HEADER_LEN] =
        request
            .first_chunk()
            .ok_or(Error::truncated("NTP request", HEADER_LEN, request.len()))?;
    if Mode::from_flags(request[field::FLAGS]) != Mode::Client {
        return Err(Error::Unexpected(
            "NTP packet is not a client (mode 3) request",
        ));
    }
    ServerReply {
        leap: 3,
        version: ((request[field::FLAGS] >> 3) & 0x07).max(1),
        stratum: 16,
        poll: i8::from_be_bytes([request[field::POLL]]),
        precision: -20, // 2^-20 s
        root_delay: 0,
        root_dispersion: 0,
        reference: Reference::Upstream(Ipv4Addr::UNSPECIFIED),
        reference_time: 0,
        origin_time: read_u64(request, field::TRANSMIT_TS),
        receive_time: now,
        transmit_time: now,
    }
    .emit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REQUEST_V4: &[u8] = include_bytes!("../tests/fixtures/ntp/request-client-v4.bin");
    const CHRONY_V4: &[u8] = include_bytes!("../tests/fixtures/ntp/chrony-server-v4.bin");
    const CHRONY_V3: &[u8] = include_bytes!("../tests/fixtures/ntp/chrony-server-v3.bin");

    #[test]
    fn request_matches_the_fixture_sent_to_chrony() {
        assert_eq!(client_request(0x0102_0304_0506_0708).as_slice(), REQUEST_V4);
    }

    #[test]
    fn chrony_v4_reply() {
        let reply = parse_reply(CHRONY_V4, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(reply.version, 4);
        assert_eq!(reply.leap, 0);
        assert_eq!(reply.stratum, 10);
        assert_eq!(reply.precision, -25);
        assert_eq!(
            reply.reference,
            Reference::Upstream(Ipv4Addr::new(127, 127, 1, 1))
        );
        assert_eq!(reply.kiss_code(), None);
        assert!(reply.transmit_unix_seconds().unwrap() > 1_700_000_000);
        assert_eq!(
            reply.to_string(),
            "NTP v4 server: stratum 10, reference 127.127.1.1, poll 0, precision -25"
        );
    }

    #[test]
    fn chrony_answers_v3_in_v3() {
        let reply = ServerReply::parse(CHRONY_V3).unwrap();
        assert_eq!(reply.version, 3);
        assert!(reply.matches(0x1112_1314_1516_1718));
        assert!(!reply.matches(0x0102_0304_0506_0708));
    }

    #[test]
    fn stray_reply_is_unexpected() {
        assert!(matches!(
            parse_reply(CHRONY_V4, 7),
            Err(Error::Unexpected(_))
        ));
    }

    #[test]
    fn refuses_short_and_other_modes() {
        assert!(matches!(
            ServerReply::parse(&CHRONY_V4[..47]),
            Err(Error::Truncated {
                need: 48,
                have: 47,
                ..
            })
        ));
        assert!(matches!(
            ServerReply::parse(REQUEST_V4),
            Err(Error::Unexpected(_))
        ));
    }

    #[test]
    fn kiss_of_death() {
        let mut packet = [0u8; 48];
        packet[0] = 0xe4; // LI 3, v4, mode 4
        packet[12..16].copy_from_slice(b"RATE");
        let reply = ServerReply::parse(&packet).unwrap();
        assert_eq!(reply.kiss_code(), Some(*b"RATE"));
        assert_eq!(reply.to_string(), "NTP v4 kiss-o'-death RATE");
    }

    #[test]
    fn stratum_one_shows_the_clock_name() {
        let mut packet = [0u8; 48];
        packet[0] = 0x24;
        packet[1] = 1;
        packet[12..16].copy_from_slice(b"GPS\0");
        let reply = ServerReply::parse(&packet).unwrap();
        assert!(reply.to_string().contains("reference GPS,"));
    }

    #[test]
    fn mode_seven_reply_header() {
        // Response bit, v2, mode 7; implementation 3, request 42, no error, 6 items.
        let packet = [0x97, 0x00, 0x03, 0x2a, 0x00, 0x06, 0x00, 0x48];
        let reply = PrivateReply::parse(&packet).unwrap();
        assert_eq!(reply.request_code, 42);
        assert_eq!(reply.items, 6);
        assert!(PrivateReply::parse(&[0x17, 0, 3, 42, 0, 0, 0, 0]).is_err());
        assert!(PrivateReply::parse(CHRONY_V4).is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            if let Ok(reply) = ServerReply::parse(&bytes) {
                prop_assert!(reply.to_string().len() < 120);
            }
            let _ = PrivateReply::parse(&bytes).map(|r| r.to_string());
        }

        #[test]
        fn origin_round_trips(transmit in any::<u64>()) {
            // A server that copies our transmit into the origin field and turns the mode to 4.
            let mut packet = client_request(transmit);
            packet[24..32].copy_from_slice(&transmit.to_be_bytes());
            packet[0] = (4 << 3) | 4;
            prop_assert!(parse_reply(&packet, transmit).is_ok());
        }
    }

    #[test]
    fn an_emitted_server_reply_matches_its_request() {
        let request = client_request(0xdead_beef_0000_0001);
        let reply = emit_server_reply(&request, 0x1111_2222_3333_4444).unwrap();
        let parsed = parse_reply(&reply, 0xdead_beef_0000_0001).unwrap();
        assert_eq!(parsed.stratum, 16);
        assert_eq!(parsed.transmit_time, 0x1111_2222_3333_4444);
        assert!(emit_server_reply(&reply, 0).is_err());
        assert!(emit_server_reply(&request[..47], 0).is_err());
    }
}
