//! DHCP (RFC 2131, options RFC 2132) and the PXE boot-server request (PXE 2.1 / RFC 4578):
//! requests that take no lease, and the parse of BOOTP/DHCP replies.
//!
//! Two probes:
//! * [`inform`], a DHCPINFORM for UDP 67: the client already has an address (`ciaddr`) and
//!   only asks for configuration, so the server hands out nothing. Where the DHCPACK goes
//!   depends on the server: RFC 2131 section 4.1 has it unicast to `ciaddr` on the client
//!   port 68, so the engine should bind UDP 68 on the address it puts in `ciaddr` when it
//!   can (root or `CAP_NET_BIND_SERVICE`). dnsmasq 2.90 (the apps lab) was measured to
//!   answer the request's **source address and port** instead, even from an ephemeral port
//!   and even when `ciaddr` names another host; an engine without port 68 still hears it.
//!   A server may also broadcast when `ciaddr` is unusable.
//! * [`pxe_request`], the DHCPREQUEST a PXE client sends to a boot server on UDP 4011 (the
//!   port of proxy DHCP and of Windows WDS/RIS "BINL"). It carries option 60 `PXEClient`,
//!   93 client architecture, 94 network interface id, 97 machine UUID and, in option 43, PXE
//!   sub-option 71 (boot item) naming the boot server type being asked for. dnsmasq answers
//!   only when that type names one of its `pxe-service` lines (0x8000 is the first with a
//!   basename) and `ciaddr` lies in one of its DHCP subnets; anything less gets silence. The
//!   answer comes back from port 4011 to the port the request came from.
//!
//! [`Reply::parse`] reads any BOOTREPLY: the fixed fields, then options 53 (message type),
//! 54 (server id), 60 (vendor class), 66/67 (TFTP server and boot file) and 43, decoded as
//! PXE sub-options when option 60 says `PXEClient`. Option overload (52) is not followed.

use core::fmt;
use std::net::Ipv4Addr;

use crate::error::{answering, check_room};
use crate::simple::Escaped;
use crate::{Error, Result};

/// Server port.
pub const SERVER_PORT: u16 = 67;
/// Client port, where replies to DHCPINFORM are sent.
pub const CLIENT_PORT: u16 = 68;
/// PXE boot server / proxy DHCP / BINL port.
pub const PXE_PORT: u16 = 4011;
/// The magic cookie that starts the options (RFC 2131 section 3).
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// Length of the fixed BOOTP part plus the magic cookie.
pub const FIXED_LEN: usize = 240;
/// Smallest message legacy BOOTP relays and servers accept (RFC 1542 section 2.1).
pub const MIN_MESSAGE: usize = 300;
/// Largest reply accepted.
pub const MAX_MESSAGE: usize = 8192;
/// Most options read from one reply.
pub const MAX_OPTIONS: usize = 255;
/// The boot server type of dnsmasq's first `pxe-service` with a basename (gotcha 8 of the
/// apps lab), and a sensible default for other servers.
pub const PXE_FIRST_SERVICE: u16 = 0x8000;

/// Field offsets of the fixed part (RFC 2131 figure 1).
mod field {
    pub const OP: usize = 0;
    pub const HTYPE: usize = 1;
    pub const HLEN: usize = 2;
    pub const XID: usize = 4;
    pub const FLAGS: usize = 10;
    pub const CIADDR: usize = 12;
    pub const YIADDR: usize = 16;
    pub const SIADDR: usize = 20;
    pub const GIADDR: usize = 24;
    pub const CHADDR: usize = 28;
    pub const SNAME: usize = 44;
    pub const FILE: usize = 108;
    pub const COOKIE: usize = 236;
}

/// Option codes used here.
pub mod option {
    /// Padding.
    pub const PAD: u8 = 0;
    /// Vendor-specific information (PXE sub-options for a PXE client).
    pub const VENDOR_SPECIFIC: u8 = 43;
    /// DHCP message type.
    pub const MESSAGE_TYPE: u8 = 53;
    /// Server identifier.
    pub const SERVER_ID: u8 = 54;
    /// Parameter request list.
    pub const PARAMETER_LIST: u8 = 55;
    /// Vendor class identifier.
    pub const VENDOR_CLASS: u8 = 60;
    /// Client identifier.
    pub const CLIENT_ID: u8 = 61;
    /// TFTP server name.
    pub const TFTP_SERVER: u8 = 66;
    /// Boot file name.
    pub const BOOTFILE: u8 = 67;
    /// Client system architecture (RFC 4578).
    pub const CLIENT_ARCH: u8 = 93;
    /// Client network interface identifier (RFC 4578).
    pub const CLIENT_NDI: u8 = 94;
    /// Client machine identifier, the UUID (RFC 4578).
    pub const CLIENT_UUID: u8 = 97;
    /// End of options.
    pub const END: u8 = 255;
}

/// PXE sub-options inside option 43 (PXE 2.1 table 2-1).
pub mod pxe {
    /// Discovery control bits.
    pub const DISCOVERY_CONTROL: u8 = 6;
    /// Boot servers list.
    pub const BOOT_SERVERS: u8 = 8;
    /// Boot menu entries.
    pub const BOOT_MENU: u8 = 9;
    /// Menu prompt.
    pub const MENU_PROMPT: u8 = 10;
    /// Boot item: server type and layer.
    pub const BOOT_ITEM: u8 = 71;
}

/// Parameters asked for in a DHCPINFORM: subnet mask, router, DNS servers, domain name,
/// broadcast address, NTP servers, TFTP server and boot file.
const INFORM_PARAMETERS: [u8; 8] = [1, 3, 6, 15, 28, 42, 66, 67];

fn fixed_part(xid: u32, ciaddr: Ipv4Addr, mac: [u8; 6]) -> Vec<u8> {
    let mut packet = vec![0u8; FIXED_LEN];
    packet[field::OP] = 1; // BOOTREQUEST
    packet[field::HTYPE] = 1; // Ethernet
    packet[field::HLEN] = 6;
    packet[field::XID..field::XID + 4].copy_from_slice(&xid.to_be_bytes());
    packet[field::CIADDR..field::CIADDR + 4].copy_from_slice(&ciaddr.octets());
    packet[field::CHADDR..field::CHADDR + 6].copy_from_slice(&mac);
    packet[field::COOKIE..field::COOKIE + 4].copy_from_slice(&MAGIC_COOKIE);
    packet
}

fn push_option(packet: &mut Vec<u8>, code: u8, value: &[u8]) {
    // Every value here is built by this module and is far below 255 bytes.
    let len = u8::try_from(value.len()).unwrap_or(u8::MAX);
    packet.push(code);
    packet.push(len);
    packet.extend_from_slice(value.get(..usize::from(len)).unwrap_or(value));
}

fn finish(mut packet: Vec<u8>) -> Vec<u8> {
    packet.push(option::END);
    if packet.len() < MIN_MESSAGE {
        packet.resize(MIN_MESSAGE, option::PAD);
    }
    packet
}

fn client_id(mac: [u8; 6]) -> [u8; 7] {
    let mut id = [1u8; 7]; // hardware type 1, Ethernet, then the address
    id[1..].copy_from_slice(&mac);
    id
}

/// Builds a DHCPINFORM from a client that already holds `ciaddr`, with hardware address
/// `mac` and transaction id `xid`. The answer goes to `ciaddr`:68 (see the module doc).
pub fn inform(xid: u32, ciaddr: Ipv4Addr, mac: [u8; 6]) -> Vec<u8> {
    let mut packet = fixed_part(xid, ciaddr, mac);
    push_option(
        &mut packet,
        option::MESSAGE_TYPE,
        &[MessageType::Inform.code()],
    );
    push_option(&mut packet, option::PARAMETER_LIST, &INFORM_PARAMETERS);
    push_option(&mut packet, option::CLIENT_ID, &client_id(mac));
    finish(packet)
}

/// What a PXE request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PxeRequest {
    /// Transaction id.
    pub xid: u32,
    /// The client's address; must lie in one of the server's DHCP subnets.
    pub ciaddr: Ipv4Addr,
    /// Hardware address.
    pub mac: [u8; 6],
    /// Client architecture (RFC 4578 section 2.1): 0 x86 BIOS, 7 x64 UEFI, ...
    pub arch: u16,
    /// Machine UUID.
    pub uuid: [u8; 16],
    /// Boot server type asked for in sub-option 71, e.g. [`PXE_FIRST_SERVICE`].
    pub boot_item: u16,
}

/// Builds the PXE boot-server DHCPREQUEST for UDP 4011.
pub fn pxe_request(request: &PxeRequest) -> Vec<u8> {
    let mut packet = fixed_part(request.xid, request.ciaddr, request.mac);
    push_option(
        &mut packet,
        option::MESSAGE_TYPE,
        &[MessageType::Request.code()],
    );
    // PXE 2.1 section 2.2.5: "PXEClient:Arch:xxxxx:UNDI:yyyzzz", UNDI version 2.1.
    let class = format!("PXEClient:Arch:{:05}:UNDI:002001", request.arch);
    push_option(&mut packet, option::VENDOR_CLASS, class.as_bytes());
    push_option(
        &mut packet,
        option::CLIENT_ARCH,
        &request.arch.to_be_bytes(),
    );
    push_option(&mut packet, option::CLIENT_NDI, &[1, 2, 1]); // UNDI, version 2.1
    let mut uuid = [0u8; 17]; // type 0, then the UUID
    uuid[1..].copy_from_slice(&request.uuid);
    push_option(&mut packet, option::CLIENT_UUID, &uuid);
    let item = request.boot_item.to_be_bytes();
    let vendor = [pxe::BOOT_ITEM, 4, item[0], item[1], 0, 0, option::END];
    push_option(&mut packet, option::VENDOR_SPECIFIC, &vendor);
    push_option(&mut packet, option::CLIENT_ID, &client_id(request.mac));
    finish(packet)
}

/// The DHCP message type (option 53, RFC 2132 section 9.6 and later registrations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// 1.
    Discover,
    /// 2.
    Offer,
    /// 3.
    Request,
    /// 4.
    Decline,
    /// 5.
    Ack,
    /// 6.
    Nak,
    /// 7.
    Release,
    /// 8.
    Inform,
    /// Any other value.
    Other(u8),
}

impl MessageType {
    /// Decodes the option's value.
    pub fn from_code(code: u8) -> MessageType {
        match code {
            1 => MessageType::Discover,
            2 => MessageType::Offer,
            3 => MessageType::Request,
            4 => MessageType::Decline,
            5 => MessageType::Ack,
            6 => MessageType::Nak,
            7 => MessageType::Release,
            8 => MessageType::Inform,
            other => MessageType::Other(other),
        }
    }

    /// The option's value.
    pub fn code(self) -> u8 {
        match self {
            MessageType::Discover => 1,
            MessageType::Offer => 2,
            MessageType::Request => 3,
            MessageType::Decline => 4,
            MessageType::Ack => 5,
            MessageType::Nak => 6,
            MessageType::Release => 7,
            MessageType::Inform => 8,
            MessageType::Other(code) => code,
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            MessageType::Discover => "DHCPDISCOVER",
            MessageType::Offer => "DHCPOFFER",
            MessageType::Request => "DHCPREQUEST",
            MessageType::Decline => "DHCPDECLINE",
            MessageType::Ack => "DHCPACK",
            MessageType::Nak => "DHCPNAK",
            MessageType::Release => "DHCPRELEASE",
            MessageType::Inform => "DHCPINFORM",
            MessageType::Other(code) => return write!(f, "DHCP type {code}"),
        };
        f.write_str(name)
    }
}

/// A reply from a DHCP, BOOTP or PXE server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Transaction id.
    pub xid: u32,
    /// Broadcast flag set by the server.
    pub broadcast: bool,
    /// The client's address as echoed back.
    pub ciaddr: Ipv4Addr,
    /// "Your" address: the address offered (0.0.0.0 in an ACK to an INFORM).
    pub yiaddr: Ipv4Addr,
    /// Next server to use (TFTP for a boot).
    pub siaddr: Ipv4Addr,
    /// Relay agent address.
    pub giaddr: Ipv4Addr,
    /// Client hardware address (first `hlen` bytes, at most 16).
    pub chaddr: Vec<u8>,
    /// Server host name field, up to its first NUL.
    pub sname: Vec<u8>,
    /// Boot file field, up to its first NUL.
    pub file: Vec<u8>,
    /// Option 53; `None` for a plain BOOTP reply.
    pub message_type: Option<MessageType>,
    /// Option 54.
    pub server_id: Option<Ipv4Addr>,
    /// Option 60, as sent.
    pub vendor_class: Option<Vec<u8>>,
    /// Option 66.
    pub tftp_server: Option<Vec<u8>>,
    /// Option 67.
    pub bootfile: Option<Vec<u8>>,
    /// Option 43 split into PXE sub-options, when option 60 starts with `PXEClient`.
    pub pxe: Vec<(u8, Vec<u8>)>,
    /// Option 43 as raw bytes when it is not PXE.
    pub vendor_specific: Option<Vec<u8>>,
    /// Every option code seen, in order (pad and end excluded).
    pub option_codes: Vec<u8>,
}

/// Splits `code, length, value` triples, skipping pads, up to `END` or the end of data.
fn split_options<'a>(mut bytes: &'a [u8], what: &'static str) -> Result<Vec<(u8, &'a [u8])>> {
    let mut options = Vec::new();
    while let Some((&code, rest)) = bytes.split_first() {
        match code {
            option::PAD => {
                bytes = rest;
                continue;
            }
            option::END => break,
            _ => {}
        }
        check_room(&options, MAX_OPTIONS, what)?;
        let (&len, rest) = rest.split_first().ok_or(Error::truncated(what, 2, 1))?;
        let value = rest.get(..usize::from(len)).ok_or(Error::truncated(
            what,
            usize::from(len) + 2,
            rest.len() + 2,
        ))?;
        options.push((code, value));
        bytes = rest.get(usize::from(len)..).unwrap_or_default();
    }
    Ok(options)
}

fn ipv4(bytes: &[u8], at: usize) -> Ipv4Addr {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.first_chunk::<4>())
        .map_or(Ipv4Addr::UNSPECIFIED, |b| Ipv4Addr::from(*b))
}

fn until_nul(bytes: &[u8]) -> Vec<u8> {
    bytes.split(|&b| b == 0).next().unwrap_or_default().to_vec()
}

impl Reply {
    /// Parses a BOOTREPLY (op 2) with the DHCP magic cookie.
    pub fn parse(bytes: &[u8]) -> Result<Reply> {
        if bytes.len() > MAX_MESSAGE {
            return Err(Error::too_large("DHCP message", bytes.len(), MAX_MESSAGE));
        }
        let fixed: &[u8; FIXED_LEN] = bytes.first_chunk().ok_or(Error::truncated(
            "DHCP fixed header",
            FIXED_LEN,
            bytes.len(),
        ))?;
        match fixed[field::OP] {
            2 => {}
            1 => return Err(Error::Unexpected("DHCP message is a request, not a reply")),
            _ => {
                return Err(Error::malformed(
                    "DHCP op",
                    "neither BOOTREQUEST nor BOOTREPLY",
                ));
            }
        }
        if fixed[field::COOKIE..field::COOKIE + 4] != MAGIC_COOKIE {
            return Err(Error::malformed("DHCP options", "no magic cookie"));
        }
        let hlen = usize::from(fixed[field::HLEN]).min(16);
        let mut reply = Reply {
            xid: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            broadcast: fixed[field::FLAGS] & 0x80 != 0,
            ciaddr: ipv4(fixed, field::CIADDR),
            yiaddr: ipv4(fixed, field::YIADDR),
            siaddr: ipv4(fixed, field::SIADDR),
            giaddr: ipv4(fixed, field::GIADDR),
            chaddr: fixed[field::CHADDR..field::CHADDR + hlen].to_vec(),
            sname: until_nul(&fixed[field::SNAME..field::FILE]),
            file: until_nul(&fixed[field::FILE..field::COOKIE]),
            message_type: None,
            server_id: None,
            vendor_class: None,
            tftp_server: None,
            bootfile: None,
            pxe: Vec::new(),
            vendor_specific: None,
            option_codes: Vec::new(),
        };
        let options = split_options(bytes.get(FIXED_LEN..).unwrap_or_default(), "DHCP options")?;
        let mut vendor_specific = None;
        for (code, value) in options {
            reply.option_codes.push(code);
            match code {
                option::MESSAGE_TYPE => {
                    reply.message_type = value.first().map(|&c| MessageType::from_code(c));
                }
                option::SERVER_ID => {
                    reply.server_id = value.first_chunk::<4>().map(|b| Ipv4Addr::from(*b));
                }
                option::VENDOR_CLASS => reply.vendor_class = Some(value.to_vec()),
                option::TFTP_SERVER => reply.tftp_server = Some(until_nul(value)),
                option::BOOTFILE => reply.bootfile = Some(until_nul(value)),
                option::VENDOR_SPECIFIC => vendor_specific = Some(value),
                _ => {}
            }
        }
        if let Some(value) = vendor_specific {
            if reply.is_pxe() {
                reply.pxe = split_options(value, "PXE sub-options")?
                    .into_iter()
                    .map(|(code, v)| (code, v.to_vec()))
                    .collect();
            } else {
                reply.vendor_specific = Some(value.to_vec());
            }
        }
        Ok(reply)
    }

    /// True when option 60 names a PXE server (`PXEClient`).
    pub fn is_pxe(&self) -> bool {
        self.vendor_class
            .as_deref()
            .is_some_and(|class| class.starts_with(b"PXEClient"))
    }

    /// True when this reply answers our request `xid` from hardware address `mac`.
    pub fn matches(&self, xid: u32, mac: [u8; 6]) -> bool {
        self.xid == xid && self.chaddr.get(..6) == Some(&mac[..])
    }

    /// The boot server type and layer from PXE sub-option 71.
    pub fn pxe_boot_item(&self) -> Option<(u16, u16)> {
        let (_, value) = self.pxe.iter().find(|(code, _)| *code == pxe::BOOT_ITEM)?;
        let item: &[u8; 4] = value.first_chunk()?;
        Some((
            u16::from_be_bytes([item[0], item[1]]),
            u16::from_be_bytes([item[2], item[3]]),
        ))
    }

    /// The boot menu entries of PXE sub-option 9: server type and description.
    pub fn pxe_menu(&self) -> Vec<(u16, Vec<u8>)> {
        let Some((_, mut menu)) = self
            .pxe
            .iter()
            .find(|(code, _)| *code == pxe::BOOT_MENU)
            .map(|(c, v)| (*c, v.as_slice()))
        else {
            return Vec::new();
        };
        let mut entries = Vec::new();
        // Each entry is at least 3 bytes, so the sub-option's 255 bytes bound the loop.
        while let Some((head, rest)) = menu.split_first_chunk::<3>() {
            let len = usize::from(head[2]);
            let Some(text) = rest.get(..len) else { break };
            entries.push((u16::from_be_bytes([head[0], head[1]]), text.to_vec()));
            menu = rest.get(len..).unwrap_or_default();
        }
        entries
    }

    /// The boot file: option 67 if present, else the `file` field.
    pub fn boot_file(&self) -> Option<&[u8]> {
        self.bootfile
            .as_deref()
            .or((!self.file.is_empty()).then_some(self.file.as_slice()))
    }
}

impl Reply {
    /// Encodes the reply, the inverse of [`Reply::parse`]: a BOOTREPLY (Ethernet) with the
    /// fixed fields, then one option per entry of `option_codes`, in order, the last one of
    /// each code carrying the value the reply keeps for it (the others empty, as are the
    /// codes it does not keep), the end
    /// option and padding to [`MIN_MESSAGE`]. Refuses a reply that would read back
    /// differently: a hardware address over 16 bytes, `sname` or `file` too long or with a
    /// NUL, a kept value whose option is not listed (or the other way round), PXE
    /// sub-options without a PXE vendor class, values over 255 bytes.
    pub fn emit(&self) -> Result<Vec<u8>> {
        let bad = |why| Error::malformed("DHCP reply", why);
        if self.chaddr.len() > 16 {
            return Err(Error::too_large("DHCP chaddr", self.chaddr.len(), 16));
        }
        let field_fits = |value: &[u8], room: usize| value.len() <= room && !value.contains(&0);
        if !field_fits(&self.sname, field::FILE - field::SNAME)
            || !field_fits(&self.file, field::COOKIE - field::FILE)
        {
            return Err(bad("sname or file too long or holds a NUL"));
        }
        if self.option_codes.len() > MAX_OPTIONS {
            return Err(Error::too_large(
                "DHCP options",
                self.option_codes.len(),
                MAX_OPTIONS,
            ));
        }
        let listed = |code| self.option_codes.contains(&code);
        let kept = [
            (option::MESSAGE_TYPE, self.message_type.is_some()),
            (option::SERVER_ID, self.server_id.is_some()),
            (option::VENDOR_CLASS, self.vendor_class.is_some()),
            (option::TFTP_SERVER, self.tftp_server.is_some()),
            (option::BOOTFILE, self.bootfile.is_some()),
            (
                option::VENDOR_SPECIFIC,
                self.vendor_specific.is_some() || !self.pxe.is_empty(),
            ),
        ];
        if kept.iter().any(|&(code, some)| some && !listed(code)) {
            return Err(bad("a kept option is not in option_codes"));
        }
        if listed(option::VENDOR_CLASS) != self.vendor_class.is_some()
            || listed(option::TFTP_SERVER) != self.tftp_server.is_some()
            || listed(option::BOOTFILE) != self.bootfile.is_some()
        {
            return Err(bad("a listed option has no kept value"));
        }
        let until_nul_fits =
            |value: &Option<Vec<u8>>| value.as_ref().is_none_or(|v| !v.contains(&0));
        if !until_nul_fits(&self.tftp_server) || !until_nul_fits(&self.bootfile) {
            return Err(bad("TFTP server or boot file holds a NUL"));
        }
        let vendor_specific = if self.is_pxe() {
            if self.vendor_specific.is_some() {
                return Err(bad("raw option 43 with a PXE vendor class"));
            }
            let mut sub = Vec::new();
            for (code, value) in &self.pxe {
                if matches!(*code, option::PAD | option::END) {
                    return Err(bad("PXE sub-option code 0 or 255"));
                }
                let len = u8::try_from(value.len())
                    .map_err(|_| Error::too_large("PXE sub-option", value.len(), 255))?;
                sub.push(*code);
                sub.push(len);
                sub.extend_from_slice(value);
            }
            (listed(option::VENDOR_SPECIFIC) || !sub.is_empty()).then_some(sub)
        } else {
            if !self.pxe.is_empty() {
                return Err(bad("PXE sub-options without a PXE vendor class"));
            }
            if listed(option::VENDOR_SPECIFIC) != self.vendor_specific.is_some() {
                return Err(bad("option 43 listed without its value"));
            }
            self.vendor_specific.clone()
        };
        let mut packet = vec![0u8; FIXED_LEN];
        packet[field::OP] = 2; // BOOTREPLY
        packet[field::HTYPE] = 1; // Ethernet
        packet[field::HLEN] = self.chaddr.len() as u8;
        packet[field::XID..field::XID + 4].copy_from_slice(&self.xid.to_be_bytes());
        if self.broadcast {
            packet[field::FLAGS] = 0x80;
        }
        for (at, address) in [
            (field::CIADDR, self.ciaddr),
            (field::YIADDR, self.yiaddr),
            (field::SIADDR, self.siaddr),
            (field::GIADDR, self.giaddr),
        ] {
            packet[at..at + 4].copy_from_slice(&address.octets());
        }
        packet[field::CHADDR..field::CHADDR + self.chaddr.len()].copy_from_slice(&self.chaddr);
        packet[field::SNAME..field::SNAME + self.sname.len()].copy_from_slice(&self.sname);
        packet[field::FILE..field::FILE + self.file.len()].copy_from_slice(&self.file);
        packet[field::COOKIE..field::COOKIE + 4].copy_from_slice(&MAGIC_COOKIE);
        let server_id = self.server_id.map(|address| address.octets());
        let message_type = self.message_type.map(|kind| [kind.code()]);
        for (index, &code) in self.option_codes.iter().enumerate() {
            if matches!(code, option::PAD | option::END) {
                return Err(bad("option code 0 or 255 in option_codes"));
            }
            // The parser keeps the last occurrence of a code, so the value goes there and
            // the earlier ones stay empty (the message never outgrows the one parsed).
            let last = !self.option_codes[index + 1..].contains(&code);
            let value: &[u8] = match code {
                _ if !last => &[],
                option::MESSAGE_TYPE => message_type.as_ref().map_or(&[], |v| v.as_slice()),
                option::SERVER_ID => server_id.as_ref().map_or(&[], |v| v.as_slice()),
                option::VENDOR_CLASS => self.vendor_class.as_deref().unwrap_or_default(),
                option::TFTP_SERVER => self.tftp_server.as_deref().unwrap_or_default(),
                option::BOOTFILE => self.bootfile.as_deref().unwrap_or_default(),
                option::VENDOR_SPECIFIC => vendor_specific.as_deref().unwrap_or_default(),
                _ => &[],
            };
            if value.len() > 255 {
                return Err(Error::too_large("DHCP option", value.len(), 255));
            }
            push_option(&mut packet, code, value);
        }
        let packet = finish(packet);
        if packet.len() > MAX_MESSAGE {
            return Err(Error::too_large("DHCP message", packet.len(), MAX_MESSAGE));
        }
        Ok(packet)
    }
}

/// Parses a reply and checks that it answers our transaction `xid` from `mac`.
pub fn parse_reply_to(bytes: &[u8], xid: u32, mac: [u8; 6]) -> Result<Reply> {
    answering(
        Reply::parse(bytes)?,
        |reply| reply.matches(xid, mac),
        "DHCP reply is for another transaction or client",
    )
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message_type {
            Some(kind) => write!(f, "DHCP: {kind}")?,
            None => f.write_str("BOOTP: reply")?,
        }
        if let Some(server) = self.server_id {
            write!(f, " from server {server}")?;
        }
        if !self.yiaddr.is_unspecified() {
            write!(f, ", yiaddr {}", self.yiaddr)?;
        }
        if let Some(file) = self.boot_file() {
            write!(f, ", boot file \"{}\"", Escaped::new(file, 32))?;
        }
        if self.is_pxe() {
            f.write_str(", PXEClient")?;
            if let Some((kind, layer)) = self.pxe_boot_item() {
                write!(f, " boot item {kind:#06x}/{layer}")?;
            }
        }
        Ok(())
    }
}

/// Emits a DHCPACK to a DHCPINFORM or DHCPREQUEST (a PXE boot server request is one): the
/// request's transaction, flags, client address and hardware address, no address given
/// (yiaddr 0.0.0.0, as an ACK to an INFORM must), the message type and, for a PXE client,
/// the vendor class `PXEClient`, and no other option: a stand-in configures nothing.
/// Padded to the BOOTP minimum of 300 bytes, which no request is shorter than. Written by
/// [`Reply::emit`] (an Ethernet reply with the request's first `hlen` address bytes).
pub fn emit_ack(request: &[u8]) -> Result<Vec<u8>> {
    let fixed: &[u8; FIXED_LEN] = request.first_chunk().ok_or(Error::truncated(
        "DHCP fixed header",
        FIXED_LEN,
        request.len(),
    ))?;
    if fixed[field::OP] != 1 {
        return Err(Error::Unexpected("DHCP message is not a request"));
    }
    if fixed[field::COOKIE..field::COOKIE + 4] != MAGIC_COOKIE {
        return Err(Error::malformed("DHCP options", "no magic cookie"));
    }
    let options = request.get(FIXED_LEN..).unwrap_or_default();
    let mut kind = None;
    let mut pxe = false;
    let mut at = 0;
    while let Some(&code) = options.get(at) {
        match code {
            option::PAD => at += 1,
            option::END => break,
            _ => {
                let len = usize::from(*options.get(at + 1).unwrap_or(&0));
                let value = options.get(at + 2..at + 2 + len).ok_or(Error::truncated(
                    "DHCP option",
                    at + 2 + len,
                    options.len(),
                ))?;
                match code {
                    option::MESSAGE_TYPE => kind = value.first().copied(),
                    option::VENDOR_CLASS => pxe = value.starts_with(b"PXEClient"),
                    _ => {}
                }
                at += 2 + len;
            }
        }
    }
    if kind != Some(MessageType::Inform.code()) && kind != Some(MessageType::Request.code()) {
        return Err(Error::Unexpected(
            "DHCP message is neither an INFORM nor a REQUEST",
        ));
    }
    let hlen = usize::from(fixed[field::HLEN]).min(16);
    let mut option_codes = vec![option::MESSAGE_TYPE];
    if pxe {
        option_codes.push(option::VENDOR_CLASS);
    }
    Reply {
        xid: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
        broadcast: fixed[field::FLAGS] & 0x80 != 0,
        ciaddr: ipv4(fixed, field::CIADDR),
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr: fixed[field::CHADDR..field::CHADDR + hlen].to_vec(),
        sname: Vec::new(),
        file: Vec::new(),
        message_type: Some(MessageType::Ack),
        server_id: None,
        vendor_class: pxe.then(|| b"PXEClient".to_vec()),
        tftp_server: None,
        bootfile: None,
        pxe: Vec::new(),
        vendor_specific: None,
        option_codes,
    }
    .emit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAC: [u8; 6] = [0x02, 0x50, 0x4f, 0x52, 0x54, 0x4c];
    const INFORM: &[u8] = include_bytes!("../tests/fixtures/dhcp/request-inform.bin");
    const INFORM_ACK: &[u8] = include_bytes!("../tests/fixtures/dhcp/dnsmasq-2.90-inform-ack.bin");
    const PXE: &[u8] = include_bytes!("../tests/fixtures/dhcp/request-pxe-4011.bin");
    const PXE_ACK: &[u8] = include_bytes!("../tests/fixtures/dhcp/dnsmasq-2.90-pxe-4011-ack.bin");

    fn lab_pxe_request() -> PxeRequest {
        PxeRequest {
            xid: 0x5058_4501,
            ciaddr: Ipv4Addr::new(10, 201, 2, 1),
            mac: MAC,
            arch: 0,
            uuid: *b"portolan-pxe-001",
            boot_item: PXE_FIRST_SERVICE,
        }
    }

    #[test]
    fn requests_are_what_was_sent() {
        assert_eq!(
            inform(0x4946_4f01, Ipv4Addr::new(10, 201, 2, 1), MAC),
            INFORM
        );
        assert_eq!(pxe_request(&lab_pxe_request()), PXE);
        assert_eq!(INFORM.len(), MIN_MESSAGE);
    }

    #[test]
    fn dnsmasq_inform_ack() {
        let reply = parse_reply_to(INFORM_ACK, 0x4946_4f01, MAC).unwrap();
        assert_eq!(reply.message_type, Some(MessageType::Ack));
        assert_eq!(reply.server_id, Some(Ipv4Addr::new(10, 201, 2, 2)));
        assert_eq!(reply.yiaddr, Ipv4Addr::UNSPECIFIED);
        assert_eq!(reply.ciaddr, Ipv4Addr::new(10, 201, 2, 1));
        assert!(!reply.is_pxe());
        assert_eq!(reply.to_string(), "DHCP: DHCPACK from server 10.201.2.2");
    }

    #[test]
    fn dnsmasq_pxe_ack() {
        let request = lab_pxe_request();
        let reply = parse_reply_to(PXE_ACK, request.xid, MAC).unwrap();
        assert_eq!(reply.message_type, Some(MessageType::Ack));
        assert!(reply.is_pxe());
        assert_eq!(reply.boot_file(), Some(&b"pxelinux.0"[..]));
        // dnsmasq moves the client's address from ciaddr to yiaddr in a PXE answer.
        assert_eq!(reply.ciaddr, Ipv4Addr::UNSPECIFIED);
        assert_eq!(reply.yiaddr, request.ciaddr);
        assert_eq!(reply.pxe_boot_item(), Some((PXE_FIRST_SERVICE, 0)));
        assert_eq!(
            reply.to_string(),
            "DHCP: DHCPACK from server 10.201.2.2, yiaddr 10.201.2.1, boot file \"pxelinux.0\", \
             PXEClient boot item 0x8000/0"
        );
    }

    #[test]
    fn other_transactions_and_requests_are_refused() {
        assert!(matches!(
            parse_reply_to(INFORM_ACK, 1, MAC),
            Err(Error::Unexpected(_))
        ));
        assert!(matches!(
            parse_reply_to(INFORM_ACK, 0x4946_4f01, [0; 6]),
            Err(Error::Unexpected(_))
        ));
        assert!(matches!(Reply::parse(INFORM), Err(Error::Unexpected(_))));
    }

    #[test]
    fn truncated_and_bad_options() {
        assert!(Reply::parse(&PXE_ACK[..239]).is_err());
        let mut no_cookie = PXE_ACK.to_vec();
        no_cookie[236] = 0;
        assert!(Reply::parse(&no_cookie).is_err());
        // An option whose length runs past the end.
        let mut bad = PXE_ACK[..240].to_vec();
        bad.extend_from_slice(&[53, 5, 1]);
        assert!(matches!(Reply::parse(&bad), Err(Error::Truncated { .. })));
        // No END is tolerated: the data simply stops.
        let mut no_end = PXE_ACK[..240].to_vec();
        no_end.extend_from_slice(&[53, 1, 5]);
        assert_eq!(
            Reply::parse(&no_end).unwrap().message_type,
            Some(MessageType::Ack)
        );
    }

    #[test]
    fn pxe_menu_entries() {
        let mut reply = Reply::parse(PXE_ACK).unwrap();
        reply.pxe = vec![(9, b"\x80\x00\x03abc\x80\x01\x02de\x80".to_vec())];
        assert_eq!(
            reply.pxe_menu(),
            [(0x8000, b"abc".to_vec()), (0x8001, b"de".to_vec())]
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Reply::parse(&bytes).map(|r| (r.to_string(), r.pxe_menu()));
        }

        #[test]
        fn options_after_a_real_header_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut bytes = PXE_ACK[..240].to_vec();
            bytes.extend_from_slice(&tail);
            if let Ok(reply) = Reply::parse(&bytes) {
                prop_assert!(reply.to_string().bytes().all(|b| (0x20..=0x7e).contains(&b)));
                let _ = reply.pxe_menu();
            }
        }

        #[test]
        fn request_round_trips_as_a_reply(xid in any::<u32>(), mac in any::<[u8; 6]>(), arch in any::<u16>(), item in any::<u16>()) {
            let request = PxeRequest { xid, ciaddr: Ipv4Addr::new(10, 0, 0, 1), mac, arch, uuid: [7; 16], boot_item: item };
            let mut bytes = pxe_request(&request);
            bytes[0] = 2; // as if the server echoed it back
            let reply = parse_reply_to(&bytes, xid, mac).unwrap();
            prop_assert_eq!(reply.message_type, Some(MessageType::Request));
            prop_assert_eq!(reply.pxe_boot_item(), Some((item, 0)));
            prop_assert_eq!(reply.ciaddr, request.ciaddr);
            let inform_bytes = {
                let mut b = inform(xid, request.ciaddr, mac);
                b[0] = 2;
                b
            };
            let informed = parse_reply_to(&inform_bytes, xid, mac).unwrap();
            prop_assert_eq!(informed.message_type, Some(MessageType::Inform));
            prop_assert_eq!(informed.option_codes, vec![53, 55, 61]);
        }
    }

    #[test]
    fn an_emitted_ack_answers_inform_and_pxe_requests() {
        let inform_request = inform(0xabcd, Ipv4Addr::new(10, 0, 0, 9), MAC);
        let ack = emit_ack(&inform_request).unwrap();
        assert!(ack.len() <= inform_request.len());
        let reply = parse_reply_to(&ack, 0xabcd, MAC).unwrap();
        assert_eq!(reply.message_type, Some(MessageType::Ack));
        assert!(reply.yiaddr.is_unspecified());
        let pxe = pxe_request(&PxeRequest {
            xid: 7,
            ciaddr: Ipv4Addr::new(10, 0, 0, 9),
            mac: MAC,
            arch: 0,
            uuid: [1; 16],
            boot_item: PXE_FIRST_SERVICE,
        });
        let ack = emit_ack(&pxe).unwrap();
        assert!(ack.len() <= pxe.len());
        assert!(parse_reply_to(&ack, 7, MAC).unwrap().is_pxe());
        assert!(emit_ack(&ack).is_err());
    }

    /// Regression (found by wire_dhcp_roundtrip): a reply repeating option 60 was written
    /// back with the kept (last) value in every occurrence, past the message size limit.
    #[test]
    fn a_repeated_option_is_written_back_once_with_its_value() {
        let mut bytes = INFORM_ACK[..FIXED_LEN].to_vec();
        for _ in 0..40 {
            bytes.extend_from_slice(&[option::VENDOR_CLASS, 0]);
        }
        bytes.extend_from_slice(&[option::VENDOR_CLASS, 200]);
        bytes.extend_from_slice(&[b'x'; 200]);
        bytes.push(option::END);
        let reply = Reply::parse(&bytes).unwrap();
        let emitted = reply.emit().unwrap();
        assert!(emitted.len() <= bytes.len().max(MIN_MESSAGE));
        assert_eq!(Reply::parse(&emitted).unwrap(), reply);
    }
}
