//! Server greetings of the line-oriented TCP services: what a server says first, before the
//! client has sent anything, and the LPD queue-state exchange.
//!
//! The checker connects, reads, and asks this module whether the bytes are the greeting of
//! the protocol it expected on that port:
//! * **FTP** (RFC 959 sections 4.2 and 5.4): a reply code, 220 when ready, 120 when ready
//!   later, 421 when refusing; a multi-line reply starts with `220-` and ends with a line
//!   that starts with `220 ` ([`parse_ftp`]).
//! * **SMTP** (RFC 5321 sections 3.1 and 4.2): 220 when ready, 554 or 421 when refusing, the
//!   same multi-line form, where every line but the last carries `220-` ([`parse_smtp`]).
//! * **POP3** (RFC 1939 section 4): one line, `+OK` or `-ERR` ([`parse_pop3`]).
//! * **IMAP** (RFC 9051 section 7.1): one untagged line, `* OK`, `* PREAUTH` or `* BYE`
//!   ([`parse_imap`]).
//! * **NNTP** (RFC 3977 section 5.1): one line, 200 (posting allowed), 201 (no posting), 400
//!   (temporarily unavailable) or 502 (permanently unavailable) ([`parse_nntp`]).
//! * **Telnet** (RFC 854, RFC 855): option negotiation (`IAC WILL/WONT/DO/DONT opt` and
//!   `IAC SB ... IAC SE`) mixed with text. [`parse_telnet`] separates the two and
//!   [`telnet_refusal`] builds the answer that declines every option; many servers (the
//!   lab's telnetd among them) print their banner only once that answer arrives.
//! * **LPD** (RFC 1179 sections 5.3 and 5.4): no greeting at all; the server waits for a
//!   command. [`lpd_queue_state_request`] asks for a queue's state and
//!   [`parse_lpd_queue_state`] reads the free-text answer, which ends when the server closes.
//!
//! [`classify`] guesses which protocol a banner belongs to, for reports of "something else
//! is listening here"; [`is_complete`] tells the engine when a greeting has been read whole.
//!
//! Every reader is bounded: at most [`MAX_LINES`] lines of at most [`MAX_LINE`] bytes each,
//! and at most [`MAX_GREETING`] bytes of Telnet or LPD input are looked at.

use core::fmt;

use crate::error::check_room;
use crate::simple::Escaped;
use crate::{Error, Result};

/// Longest line accepted, line ending included (RFC 5321 allows 512; servers exceed it).
pub const MAX_LINE: usize = 2048;

/// Most lines accepted in one multi-line reply or LPD answer.
pub const MAX_LINES: usize = 64;

/// Most bytes of a Telnet greeting or an LPD answer that are looked at.
pub const MAX_GREETING: usize = 16 * 1024;

/// Longest LPD queue name or operand accepted by [`lpd_queue_state_request`].
pub const MAX_LPD_NAME: usize = 128;

/// Most operands (user names, job numbers) in one LPD request.
pub const MAX_LPD_OPERANDS: usize = 32;

/// How much remote text a `Display` line shows.
const SHOWN: usize = 80;

/// A protocol whose greeting this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// File Transfer Protocol, port 21.
    Ftp,
    /// Simple Mail Transfer Protocol, port 25.
    Smtp,
    /// Post Office Protocol 3, port 110.
    Pop3,
    /// Internet Message Access Protocol, port 143.
    Imap,
    /// Network News Transfer Protocol, port 119.
    Nntp,
    /// Telnet, port 23.
    Telnet,
}

impl Protocol {
    /// The usual upper-case name.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Ftp => "FTP",
            Protocol::Smtp => "SMTP",
            Protocol::Pop3 => "POP3",
            Protocol::Imap => "IMAP",
            Protocol::Nntp => "NNTP",
            Protocol::Telnet => "Telnet",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the first word of a greeting says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A three-digit reply code (FTP, SMTP, NNTP).
    Code(u16),
    /// POP3 `+OK` or IMAP `* OK`.
    Ok,
    /// POP3 `-ERR`.
    Err,
    /// IMAP `* PREAUTH`: the connection is already authenticated.
    Preauth,
    /// IMAP `* BYE`: the server refuses the connection.
    Bye,
    /// The line does not start the way this protocol's greetings start.
    Other,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Code(code) => write!(f, "{code}"),
            Status::Ok => f.write_str("OK"),
            Status::Err => f.write_str("ERR"),
            Status::Preauth => f.write_str("PREAUTH"),
            Status::Bye => f.write_str("BYE"),
            Status::Other => f.write_str("?"),
        }
    }
}

/// The greeting of a line-oriented server (every protocol here but Telnet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// The protocol the caller expected.
    pub protocol: Protocol,
    /// The status word or code.
    pub status: Status,
    /// The text of each line, without code, separator or line ending (lossy UTF-8). A
    /// greeting that did not match holds its first line as received.
    pub lines: Vec<String>,
    /// Whether the greeting has the form and a code this protocol uses for greetings.
    pub matched: bool,
}

impl Greeting {
    /// The text of the first line.
    pub fn text(&self) -> &str {
        self.lines.first().map_or("", String::as_str)
    }

    /// Whether the server offers its service (as opposed to refusing or being unknown):
    /// FTP and SMTP 220, POP3 and IMAP OK, IMAP PREAUTH, NNTP 200 and 201.
    pub fn is_ready(&self) -> bool {
        self.matched
            && match (self.protocol, self.status) {
                (Protocol::Ftp | Protocol::Smtp, Status::Code(code)) => code == 220,
                (Protocol::Nntp, Status::Code(code)) => code == 200 || code == 201,
                (Protocol::Pop3 | Protocol::Imap, Status::Ok | Status::Preauth) => true,
                _ => false,
            }
    }
}

impl fmt::Display for Greeting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = Escaped::new(self.text().as_bytes(), SHOWN);
        if !self.matched {
            return write!(f, "{}: not a greeting of it: \"{text}\"", self.protocol);
        }
        match (self.protocol, self.status) {
            (Protocol::Pop3, Status::Ok) => write!(f, "POP3: +OK {text}")?,
            (Protocol::Pop3, _) => write!(f, "POP3: -ERR {text}")?,
            (Protocol::Imap, status) => write!(f, "IMAP: * {status} {text}")?,
            (protocol, status) => write!(f, "{protocol}: {status} {text}")?,
        }
        if self.lines.len() > 1 {
            write!(f, " (+{} lines)", self.lines.len() - 1)?;
        }
        Ok(())
    }
}

/// One line of input: its content without the line ending.
fn split_line<'a>(bytes: &'a [u8], what: &'static str) -> Result<(&'a [u8], &'a [u8])> {
    let Some(end) = bytes.iter().take(MAX_LINE).position(|&b| b == b'\n') else {
        return Err(if bytes.len() >= MAX_LINE {
            Error::too_large(what, bytes.len(), MAX_LINE)
        } else {
            Error::truncated(what, bytes.len() + 1, bytes.len())
        });
    };
    let line = bytes.get(..end).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Ok((line, bytes.get(end + 1..).unwrap_or_default()))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A three-digit reply code and what follows it: `Some((code, separator, text))` where the
/// separator is `b' '`, `b'-'`, or `0` for a line that holds only the code.
fn split_code(line: &[u8]) -> Option<(u16, u8, &[u8])> {
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'1'..=b'5').contains(&digits[0]) {
        return None;
    }
    let code = digits
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    match line.get(3) {
        None => Some((code, 0, &[])),
        Some(&sep @ (b' ' | b'-')) => Some((code, sep, line.get(4..).unwrap_or_default())),
        Some(_) => None,
    }
}

/// A reply of numbered lines (RFC 959 section 4.2, RFC 5321 section 4.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedReply {
    /// The reply code.
    pub code: u16,
    /// The text of each line, with the `ddd-` or `ddd ` prefix removed where present.
    pub lines: Vec<String>,
}

/// Reads one complete reply of numbered lines: either a single `ddd text` line, or a first
/// `ddd-text` line, any number of continuation lines, and a last line `ddd text` with the
/// same code. Returns [`Error::Unexpected`] when the first line carries no reply code.
pub fn parse_coded_reply(bytes: &[u8]) -> Result<CodedReply> {
    const WHAT: &str = "numbered reply";
    let (first, mut rest) = split_line(bytes, WHAT)?;
    let (code, sep, text) = split_code(first).ok_or(Error::Unexpected("no reply code"))?;
    let mut lines = vec![lossy(text)];
    if sep != b'-' {
        return Ok(CodedReply { code, lines });
    }
    loop {
        check_room(&lines, MAX_LINES, WHAT)?;
        let (line, after) = split_line(rest, WHAT)?;
        rest = after;
        match split_code(line) {
            Some((same, sep, text)) if same == code => {
                lines.push(lossy(text));
                if sep != b'-' {
                    return Ok(CodedReply { code, lines });
                }
            }
            // RFC 959 lets the middle lines of an FTP reply hold any text.
            _ => lines.push(lossy(line)),
        }
    }
}

fn unmatched(protocol: Protocol, bytes: &[u8]) -> Result<Greeting> {
    let (line, _) = split_line(bytes, "greeting")?;
    Ok(Greeting {
        protocol,
        status: Status::Other,
        lines: vec![lossy(line)],
        matched: false,
    })
}

fn coded_greeting(protocol: Protocol, bytes: &[u8], greeting_codes: &[u16]) -> Result<Greeting> {
    // A greeting that carries no code at all is answered, not refused: something else talks.
    if split_line(bytes, "greeting").is_ok_and(|(line, _)| split_code(line).is_none()) {
        return unmatched(protocol, bytes);
    }
    let reply = parse_coded_reply(bytes)?;
    Ok(Greeting {
        protocol,
        status: Status::Code(reply.code),
        matched: greeting_codes.contains(&reply.code),
        lines: reply.lines,
    })
}

/// Reads an FTP greeting (matched for 120, 220 and 421), single or multi-line.
pub fn parse_ftp(bytes: &[u8]) -> Result<Greeting> {
    coded_greeting(Protocol::Ftp, bytes, &[120, 220, 421])
}

/// Reads an SMTP greeting (matched for 220, 421 and 554), single or multi-line.
pub fn parse_smtp(bytes: &[u8]) -> Result<Greeting> {
    coded_greeting(Protocol::Smtp, bytes, &[220, 421, 554])
}

/// Reads an NNTP greeting (matched for 200, 201, 400 and 502): one line.
pub fn parse_nntp(bytes: &[u8]) -> Result<Greeting> {
    let (line, _) = split_line(bytes, "NNTP greeting")?;
    match split_code(line) {
        Some((code, sep, text)) if sep != b'-' => Ok(Greeting {
            protocol: Protocol::Nntp,
            status: Status::Code(code),
            lines: vec![lossy(text)],
            matched: [200, 201, 400, 502].contains(&code),
        }),
        _ => unmatched(Protocol::Nntp, bytes),
    }
}

/// Strips `word` from the start of `line` when a space or the line end follows it.
fn strip_word<'a>(line: &'a [u8], word: &[u8]) -> Option<&'a [u8]> {
    let rest = line.strip_prefix(word)?;
    match rest.split_first() {
        None => Some(rest),
        Some((b' ', text)) => Some(text),
        Some(_) => None,
    }
}

/// Reads a POP3 greeting: `+OK text` (matched, ready) or `-ERR text` (matched, refusing).
pub fn parse_pop3(bytes: &[u8]) -> Result<Greeting> {
    let (line, _) = split_line(bytes, "POP3 greeting")?;
    let found = [(&b"+OK"[..], Status::Ok), (&b"-ERR"[..], Status::Err)]
        .into_iter()
        .find_map(|(word, status)| strip_word(line, word).map(|text| (status, text)));
    match found {
        Some((status, text)) => Ok(Greeting {
            protocol: Protocol::Pop3,
            status,
            lines: vec![lossy(text)],
            matched: true,
        }),
        None => unmatched(Protocol::Pop3, bytes),
    }
}

/// The status word and text of an untagged IMAP greeting line.
fn imap_status(line: &[u8]) -> Option<(Status, &[u8])> {
    let after = line.strip_prefix(b"* ")?;
    let word_len = after.iter().position(|&b| b == b' ').unwrap_or(after.len());
    let (word, rest) = after.split_at(word_len);
    let status = if word.eq_ignore_ascii_case(b"OK") {
        Status::Ok
    } else if word.eq_ignore_ascii_case(b"PREAUTH") {
        Status::Preauth
    } else if word.eq_ignore_ascii_case(b"BYE") {
        Status::Bye
    } else {
        return None;
    };
    Some((status, rest.strip_prefix(b" ").unwrap_or(rest)))
}

/// Reads an IMAP greeting: `* OK`, `* PREAUTH` or `* BYE`, followed by an optional response
/// code in brackets and text (both kept in the line's text). Status words are matched
/// without regard to case, as RFC 9051 asks.
pub fn parse_imap(bytes: &[u8]) -> Result<Greeting> {
    let (line, _) = split_line(bytes, "IMAP greeting")?;
    match imap_status(line) {
        Some((status, text)) => Ok(Greeting {
            protocol: Protocol::Imap,
            status,
            lines: vec![lossy(text)],
            matched: true,
        }),
        None => unmatched(Protocol::Imap, bytes),
    }
}

/// Reads the greeting of `protocol`; Telnet greetings go to [`parse_telnet`] instead and
/// are refused here with [`Error::Unexpected`].
pub fn parse(protocol: Protocol, bytes: &[u8]) -> Result<Greeting> {
    match protocol {
        Protocol::Ftp => parse_ftp(bytes),
        Protocol::Smtp => parse_smtp(bytes),
        Protocol::Pop3 => parse_pop3(bytes),
        Protocol::Imap => parse_imap(bytes),
        Protocol::Nntp => parse_nntp(bytes),
        Protocol::Telnet => Err(Error::Unexpected(
            "Telnet greetings are read by parse_telnet",
        )),
    }
}

/// Whether `bytes` hold a whole line (or more bytes than a line may have, so that reading
/// on would not help).
pub fn line_complete(bytes: &[u8]) -> bool {
    !matches!(split_line(bytes, "line"), Err(Error::Truncated { .. }))
}

/// Whether `bytes` hold a whole numbered reply, single or multi-line, or enough to know it
/// will never be one (no code on the first line, too many lines).
pub fn coded_reply_complete(bytes: &[u8]) -> bool {
    !matches!(parse_coded_reply(bytes), Err(Error::Truncated { .. }))
}

/// Whether the engine has read enough of a `protocol` greeting to parse it: a whole
/// (multi-line) reply for FTP and SMTP, a line for POP3, IMAP and NNTP, and for Telnet the
/// end of a burst (see [`telnet_complete`]).
pub fn is_complete(protocol: Protocol, bytes: &[u8]) -> bool {
    match protocol {
        Protocol::Ftp | Protocol::Smtp => coded_reply_complete(bytes),
        Protocol::Pop3 | Protocol::Imap | Protocol::Nntp => line_complete(bytes),
        Protocol::Telnet => telnet_complete(bytes),
    }
}

// ---------------------------------------------------------------------------------------
// Telnet
// ---------------------------------------------------------------------------------------

/// Telnet command bytes (RFC 854, "TELNET COMMAND STRUCTURE").
pub mod telnet_command {
    /// Interpret As Command: starts every command.
    pub const IAC: u8 = 255;
    /// Refuse or stop an option on the sender's request.
    pub const DONT: u8 = 254;
    /// Ask the other side to use an option.
    pub const DO: u8 = 253;
    /// Refuse or stop using an option.
    pub const WONT: u8 = 252;
    /// Offer to use an option.
    pub const WILL: u8 = 251;
    /// Start of subnegotiation.
    pub const SB: u8 = 250;
    /// End of subnegotiation.
    pub const SE: u8 = 240;
}

use telnet_command::{DO, DONT, IAC, SB, SE, WILL, WONT};

/// Longest subnegotiation accepted, in bytes between `IAC SB` and `IAC SE`.
pub const MAX_SUBNEGOTIATION: usize = 1024;

/// The verb of a Telnet option negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// The sender offers to use the option.
    Will,
    /// The sender refuses the option.
    Wont,
    /// The sender asks the receiver to use the option.
    Do,
    /// The sender asks the receiver not to use the option.
    Dont,
}

impl Verb {
    fn from_byte(byte: u8) -> Option<Verb> {
        match byte {
            WILL => Some(Verb::Will),
            WONT => Some(Verb::Wont),
            DO => Some(Verb::Do),
            DONT => Some(Verb::Dont),
            _ => None,
        }
    }

    /// The command byte.
    pub fn byte(self) -> u8 {
        match self {
            Verb::Will => WILL,
            Verb::Wont => WONT,
            Verb::Do => DO,
            Verb::Dont => DONT,
        }
    }

    /// The upper-case name used in RFC 854.
    pub fn name(self) -> &'static str {
        match self {
            Verb::Will => "WILL",
            Verb::Wont => "WONT",
            Verb::Do => "DO",
            Verb::Dont => "DONT",
        }
    }
}

/// The name of a Telnet option number, from the IANA registry, when it is a common one.
pub fn telnet_option_name(option: u8) -> Option<&'static str> {
    Some(match option {
        0 => "BINARY",
        1 => "ECHO",
        3 => "SUPPRESS-GO-AHEAD",
        5 => "STATUS",
        6 => "TIMING-MARK",
        24 => "TERMINAL-TYPE",
        31 => "NAWS",
        32 => "TERMINAL-SPEED",
        33 => "REMOTE-FLOW-CONTROL",
        34 => "LINEMODE",
        35 => "X-DISPLAY-LOCATION",
        36 => "ENVIRON",
        37 => "AUTHENTICATION",
        38 => "ENCRYPT",
        39 => "NEW-ENVIRON",
        _ => return None,
    })
}

/// One `IAC <verb> <option>` sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Negotiation {
    /// WILL, WONT, DO or DONT.
    pub verb: Verb,
    /// The option number.
    pub option: u8,
}

impl fmt::Display for Negotiation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match telnet_option_name(self.option) {
            Some(name) => write!(f, "{} {name}", self.verb.name()),
            None => write!(f, "{} {}", self.verb.name(), self.option),
        }
    }
}

/// What a Telnet server sent: its negotiations and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelnetGreeting {
    /// Every `IAC WILL/WONT/DO/DONT` in the order received.
    pub negotiations: Vec<Negotiation>,
    /// The option of every complete `IAC SB <option> ... IAC SE`.
    pub subnegotiations: Vec<u8>,
    /// The data bytes between the commands (lossy UTF-8, NUL bytes dropped, line endings
    /// kept).
    pub text: String,
    /// Whether at least one Telnet command was seen.
    pub matched: bool,
    /// Whether the input ends in the middle of a command.
    pub partial: bool,
}

impl TelnetGreeting {
    /// The options the server offers to use itself (`WILL`).
    pub fn offered(&self) -> impl Iterator<Item = u8> + '_ {
        self.negotiations
            .iter()
            .filter(|n| n.verb == Verb::Will)
            .map(|n| n.option)
    }

    /// The options the server asks the client to use (`DO`).
    pub fn requested(&self) -> impl Iterator<Item = u8> + '_ {
        self.negotiations
            .iter()
            .filter(|n| n.verb == Verb::Do)
            .map(|n| n.option)
    }
}

impl TelnetGreeting {
    /// The first non-empty line of text, trimmed.
    pub fn first_line(&self) -> &str {
        self.text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or("")
    }
}

impl fmt::Display for TelnetGreeting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Telnet: ")?;
        if !self.matched {
            f.write_str("no option negotiation")?;
        } else {
            write!(f, "{} negotiations", self.negotiations.len())?;
            let mut offered: Vec<u8> = Vec::new();
            for option in self.offered() {
                if !offered.contains(&option) {
                    offered.push(option);
                }
            }
            if !offered.is_empty() {
                f.write_str(" (WILL")?;
                for &option in offered.iter().take(2) {
                    match telnet_option_name(option) {
                        Some(name) => write!(f, " {name}")?,
                        None => write!(f, " {option}")?,
                    }
                }
                if offered.len() > 2 {
                    write!(f, " +{}", offered.len() - 2)?;
                }
                f.write_str(")")?;
            }
        }
        let line = self.first_line();
        if !line.is_empty() {
            write!(f, ", text \"{}\"", Escaped::new(line.as_bytes(), 48))?;
        }
        Ok(())
    }
}

/// Separates Telnet commands from text in the first [`MAX_GREETING`] bytes of `bytes`.
/// `IAC IAC` stands for a data byte 255; other two-byte commands (NOP, GA, ...) are skipped;
/// an unfinished command at the end sets [`TelnetGreeting::partial`]. Never fails on
/// non-empty input: text without any command is a greeting that did not match.
pub fn parse_telnet(bytes: &[u8]) -> Result<TelnetGreeting> {
    crate::error::need(bytes, 1, "Telnet greeting")?;
    let input = bytes.get(..MAX_GREETING).unwrap_or(bytes);
    let mut greeting = TelnetGreeting {
        negotiations: Vec::new(),
        subnegotiations: Vec::new(),
        text: String::new(),
        matched: false,
        partial: false,
    };
    let mut data = Vec::new();
    let mut rest = input;
    while let Some((&byte, after)) = rest.split_first() {
        if byte != IAC {
            if byte != 0 {
                data.push(byte);
            }
            rest = after;
            continue;
        }
        let Some((&command, after)) = after.split_first() else {
            greeting.partial = true;
            break;
        };
        if command == IAC {
            data.push(IAC);
            rest = after;
            continue;
        }
        greeting.matched = true;
        if let Some(verb) = Verb::from_byte(command) {
            let Some((&option, after)) = after.split_first() else {
                greeting.partial = true;
                break;
            };
            greeting.negotiations.push(Negotiation { verb, option });
            rest = after;
        } else if command == SB {
            match find_subnegotiation_end(after) {
                Some((option, after)) => {
                    greeting.subnegotiations.extend(option);
                    rest = after;
                }
                None => {
                    greeting.partial = true;
                    break;
                }
            }
        } else {
            rest = after;
        }
    }
    greeting.text = lossy(&data);
    Ok(greeting)
}

/// Finds `IAC SE` after an `IAC SB`: returns the option byte (if any) and what follows the
/// terminator, or `None` if the input ends first or the block is longer than allowed.
fn find_subnegotiation_end(after_sb: &[u8]) -> Option<(Option<u8>, &[u8])> {
    let window = after_sb.get(..MAX_SUBNEGOTIATION + 2).unwrap_or(after_sb);
    let end = window.windows(2).position(|pair| pair == [IAC, SE])?;
    let option = if end > 0 {
        after_sb.first().copied()
    } else {
        None
    };
    Some((option, after_sb.get(end + 2..).unwrap_or_default()))
}

/// Whether a Telnet burst looks finished: at least one command or text byte, and the input
/// does not stop inside a command. Telnet has no end-of-greeting marker, so the engine
/// should also stop after a short quiet period.
pub fn telnet_complete(bytes: &[u8]) -> bool {
    parse_telnet(bytes).is_ok_and(|g| !g.partial && (g.matched || !g.text.is_empty()))
        || bytes.len() >= MAX_GREETING
}

/// The answer that declines every option the server raised: `IAC WONT x` for each `DO x`
/// and `IAC DONT x` for each `WILL x`, each option once, in the order first seen. WONT and
/// DONT need no answer (RFC 854 forbids acknowledging a state already in force).
pub fn telnet_refusal(greeting: &TelnetGreeting) -> Vec<u8> {
    let mut answered: Vec<Negotiation> = Vec::new();
    let mut out = Vec::new();
    for negotiation in &greeting.negotiations {
        let reply_verb = match negotiation.verb {
            Verb::Do => Verb::Wont,
            Verb::Will => Verb::Dont,
            Verb::Wont | Verb::Dont => continue,
        };
        let reply = Negotiation {
            verb: reply_verb,
            option: negotiation.option,
        };
        if !answered.contains(&reply) {
            answered.push(reply);
            out.extend_from_slice(&[IAC, reply_verb.byte(), negotiation.option]);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------

/// The protocol that a banner most likely belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Guess {
    /// One of the protocols this module reads.
    Known(Protocol),
    /// A 220 (or 120/421) greeting that names neither FTP nor mail.
    FtpOrSmtp,
    /// An SSH identification string (`SSH-2.0-...`, RFC 4253 section 4.2).
    Ssh,
    /// An HTTP response.
    Http,
    /// The `ncacn_http/1.0` greeting of RPC over HTTP v1 ([MS-RPCH]).
    RpcOverHttp,
    /// A TLS record (handshake or alert) sent unasked.
    Tls,
    /// Something else.
    Unknown,
}

impl Guess {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Guess::Known(protocol) => protocol.name(),
            Guess::FtpOrSmtp => "FTP or SMTP",
            Guess::Ssh => "SSH",
            Guess::Http => "HTTP",
            Guess::RpcOverHttp => "RPC over HTTP",
            Guess::Tls => "TLS",
            Guess::Unknown => "unknown",
        }
    }
}

/// The outcome of [`classify`]: the guess and the banner's first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The most likely protocol.
    pub guess: Guess,
    /// The first line of the banner (text from Telnet), lossy UTF-8, at most [`MAX_LINE`]
    /// bytes; empty for binary banners.
    pub banner: String,
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.guess {
            Guess::Unknown if self.banner.is_empty() => f.write_str("unrecognised banner"),
            Guess::Unknown => write!(
                f,
                "unrecognised banner \"{}\"",
                Escaped::new(self.banner.as_bytes(), SHOWN)
            ),
            guess if self.banner.is_empty() => write!(f, "looks like {}", guess.name()),
            guess => write!(
                f,
                "looks like {}: \"{}\"",
                guess.name(),
                Escaped::new(self.banner.as_bytes(), SHOWN)
            ),
        }
    }
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

fn first_line(bytes: &[u8]) -> &[u8] {
    let window = bytes.get(..MAX_LINE).unwrap_or(bytes);
    let line = window.split(|&b| b == b'\n').next().unwrap_or_default();
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Guesses which protocol sent `bytes`, the first thing a server said. Ports are not
/// considered: the point is to name what answers on an unexpected port.
pub fn classify(bytes: &[u8]) -> Classification {
    let line = first_line(bytes);
    let guess_by_line = || -> Guess {
        if line.starts_with(b"SSH-") {
            return Guess::Ssh;
        }
        if line.starts_with(b"HTTP/") {
            return Guess::Http;
        }
        if line.starts_with(b"ncacn_http/") {
            return Guess::RpcOverHttp;
        }
        if strip_word(line, b"+OK").is_some() || strip_word(line, b"-ERR").is_some() {
            return Guess::Known(Protocol::Pop3);
        }
        if imap_status(line).is_some() {
            return Guess::Known(Protocol::Imap);
        }
        let Some((code, _, text)) = split_code(line) else {
            return Guess::Unknown;
        };
        let mail = [&b"SMTP"[..], b"mail", b"postfix", b"exim", b"sendmail"]
            .iter()
            .any(|word| contains_ignore_case(text, word));
        let ftp = contains_ignore_case(text, b"FTP");
        let news = [&b"NNTP"[..], b"news", b"INN"]
            .iter()
            .any(|word| contains_ignore_case(text, word));
        match code {
            200 | 201 => Guess::Known(Protocol::Nntp),
            400 | 502 if news => Guess::Known(Protocol::Nntp),
            220 | 421 | 554 | 120 if mail && !ftp => Guess::Known(Protocol::Smtp),
            220 | 421 | 120 if ftp && !mail => Guess::Known(Protocol::Ftp),
            554 => Guess::Known(Protocol::Smtp),
            220 | 421 | 120 => Guess::FtpOrSmtp,
            _ => Guess::Unknown,
        }
    };
    match bytes {
        [IAC, command, ..] if Verb::from_byte(*command).is_some() || *command == SB => {
            let text = parse_telnet(bytes)
                .map(|g| g.first_line().to_owned())
                .unwrap_or_default();
            Classification {
                guess: Guess::Known(Protocol::Telnet),
                banner: text,
            }
        }
        [0x15 | 0x16, 0x03, ..] => Classification {
            guess: Guess::Tls,
            banner: String::new(),
        },
        _ => Classification {
            guess: guess_by_line(),
            banner: lossy(line),
        },
    }
}

// ---------------------------------------------------------------------------------------
// LPD
// ---------------------------------------------------------------------------------------

/// The two LPD queue-state commands (RFC 1179 sections 5.3 and 5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LpdListing {
    /// Command 0x03: one line per job.
    Short,
    /// Command 0x04: several lines per job.
    Long,
}

impl LpdListing {
    fn command(self) -> u8 {
        match self {
            LpdListing::Short => 0x03,
            LpdListing::Long => 0x04,
        }
    }
}

/// An LPD "send queue state" request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LpdQueueRequest {
    /// Short or long listing.
    pub listing: LpdListing,
    /// The queue (printer) name.
    pub queue: String,
    /// User names or job numbers that narrow the listing; empty for every job.
    pub operands: Vec<String>,
}

fn valid_lpd_word(word: &str) -> bool {
    !word.is_empty() && word.len() <= MAX_LPD_NAME && word.bytes().all(|b| b.is_ascii_graphic())
}

/// Builds `<command> queue [SP operand]... LF`. The queue and each operand must be 1 to
/// [`MAX_LPD_NAME`] printable ASCII characters without spaces.
pub fn lpd_queue_state_request(
    listing: LpdListing,
    queue: &str,
    operands: &[&str],
) -> Result<Vec<u8>> {
    const WHAT: &str = "LPD request";
    if !valid_lpd_word(queue) || !operands.iter().all(|word| valid_lpd_word(word)) {
        return Err(Error::malformed(
            WHAT,
            "queue and operands must be 1-128 printable characters without spaces",
        ));
    }
    if operands.len() > MAX_LPD_OPERANDS {
        return Err(Error::too_large(WHAT, operands.len(), MAX_LPD_OPERANDS));
    }
    let mut out = vec![listing.command()];
    out.extend_from_slice(queue.as_bytes());
    for operand in operands {
        out.push(b' ');
        out.extend_from_slice(operand.as_bytes());
    }
    out.push(b'\n');
    Ok(out)
}

/// Reads a queue-state request (the inverse of [`lpd_queue_state_request`]).
pub fn parse_lpd_queue_request(bytes: &[u8]) -> Result<LpdQueueRequest> {
    const WHAT: &str = "LPD request";
    let (&command, rest) = bytes.split_first().ok_or(Error::truncated(WHAT, 1, 0))?;
    let listing = match command {
        0x03 => LpdListing::Short,
        0x04 => LpdListing::Long,
        _ => return Err(Error::Unexpected("not a queue-state command")),
    };
    let (line, _) = split_line(rest, WHAT)?;
    let text = core::str::from_utf8(line).map_err(|_| Error::malformed(WHAT, "not ASCII"))?;
    let mut words = text.split(' ');
    let queue = words.next().unwrap_or_default();
    let operands: Vec<&str> = words.take(MAX_LPD_OPERANDS + 1).collect();
    if operands.len() > MAX_LPD_OPERANDS {
        return Err(Error::too_large(WHAT, operands.len(), MAX_LPD_OPERANDS));
    }
    if !valid_lpd_word(queue) || !operands.iter().all(|word| valid_lpd_word(word)) {
        return Err(Error::malformed(
            WHAT,
            "queue or operand not printable ASCII",
        ));
    }
    Ok(LpdQueueRequest {
        listing,
        queue: queue.to_owned(),
        operands: operands.into_iter().map(str::to_owned).collect(),
    })
}

/// What an LPD queue-state answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LpdQueueStatus {
    /// The queue exists and holds no job (`no entries`).
    Empty,
    /// A listing of jobs or printer status.
    Listing,
    /// The server knows no such queue (`unknown printer`).
    UnknownPrinter,
    /// The server refuses this client (`... does not have line printer access`).
    AccessDenied,
}

/// An LPD answer to a queue-state request: free text that ends when the server closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LpdQueueState {
    /// What the text says.
    pub status: LpdQueueStatus,
    /// The non-empty lines, without line endings (lossy UTF-8), at most [`MAX_LINES`].
    pub lines: Vec<String>,
}

impl fmt::Display for LpdQueueState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.lines.first().map_or("", String::as_str);
        let first = Escaped::new(first.as_bytes(), SHOWN);
        match self.status {
            LpdQueueStatus::Empty => f.write_str("LPD: queue state: no entries"),
            LpdQueueStatus::UnknownPrinter => write!(f, "LPD: unknown printer (\"{first}\")"),
            LpdQueueStatus::AccessDenied => write!(f, "LPD: access refused (\"{first}\")"),
            LpdQueueStatus::Listing => write!(
                f,
                "LPD: queue state, {} lines: \"{first}\"",
                self.lines.len()
            ),
        }
    }
}

/// Reads the answer to a queue-state request (everything the server sent before it
/// closed). Lines beyond [`MAX_LINES`] are dropped; input beyond [`MAX_GREETING`] bytes is
/// not looked at. Fails only on an answer without any text.
pub fn parse_lpd_queue_state(bytes: &[u8]) -> Result<LpdQueueState> {
    let input = bytes.get(..MAX_GREETING).unwrap_or(bytes);
    let lines: Vec<String> = input
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.trim_ascii().is_empty())
        .take(MAX_LINES)
        .map(|line| lossy(line.get(..MAX_LINE).unwrap_or(line)))
        .collect();
    let Some(first) = lines.first() else {
        return Err(Error::truncated("LPD queue state", 1, 0));
    };
    let first_bytes = first.as_bytes();
    let status = if lines.len() == 1 && first.trim().eq_ignore_ascii_case("no entries") {
        LpdQueueStatus::Empty
    } else if contains_ignore_case(first_bytes, b"unknown printer") {
        LpdQueueStatus::UnknownPrinter
    } else if contains_ignore_case(first_bytes, b"line printer access") {
        LpdQueueStatus::AccessDenied
    } else {
        LpdQueueStatus::Listing
    };
    Ok(LpdQueueState { status, lines })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FTP: &[u8] = include_bytes!("../tests/fixtures/greeting/vsftpd-3.0.3-ftp-greeting.bin");
    const SMTP: &[u8] = include_bytes!("../tests/fixtures/greeting/postfix-3.7-smtp-greeting.bin");
    const EHLO: &[u8] = include_bytes!("../tests/fixtures/greeting/postfix-3.7-ehlo-reply.bin");
    const POP3: &[u8] = include_bytes!("../tests/fixtures/greeting/dovecot-2.3-pop3-greeting.bin");
    const IMAP: &[u8] = include_bytes!("../tests/fixtures/greeting/dovecot-2.3-imap-greeting.bin");
    const NNTP: &[u8] = include_bytes!("../tests/fixtures/greeting/innd-2.7-nntp-greeting.bin");
    const TELNET_NEGOTIATION: &[u8] =
        include_bytes!("../tests/fixtures/greeting/inetutils-2.4-telnetd-negotiation.bin");
    const TELNET_SESSION: &[u8] =
        include_bytes!("../tests/fixtures/greeting/inetutils-2.4-telnetd-session.bin");
    const LPD_LONG: &[u8] =
        include_bytes!("../tests/fixtures/greeting/lpd-2008-queue-lab-long.bin");
    const LPD_SHORT: &[u8] =
        include_bytes!("../tests/fixtures/greeting/lpd-2008-queue-lab-short.bin");
    const LPD_UNKNOWN: &[u8] =
        include_bytes!("../tests/fixtures/greeting/lpd-2008-unknown-printer.bin");

    #[test]
    fn vsftpd_greeting() {
        let greeting = parse_ftp(FTP).unwrap();
        assert!(greeting.matched && greeting.is_ready());
        assert_eq!(greeting.status, Status::Code(220));
        assert_eq!(greeting.text(), "portolan lab vsftpd ready");
        assert_eq!(greeting.to_string(), "FTP: 220 portolan lab vsftpd ready");
        assert!(is_complete(Protocol::Ftp, FTP));
        assert_eq!(classify(FTP).guess, Guess::Known(Protocol::Ftp));
    }

    #[test]
    fn postfix_greeting_and_multiline_ehlo() {
        let greeting = parse_smtp(SMTP).unwrap();
        assert!(greeting.is_ready());
        assert_eq!(
            greeting.to_string(),
            "SMTP: 220 apps.lab.example ESMTP portolan lab postfix"
        );
        assert_eq!(classify(SMTP).guess, Guess::Known(Protocol::Smtp));

        let reply = parse_coded_reply(EHLO).unwrap();
        assert_eq!(reply.code, 250);
        assert_eq!(reply.lines.len(), 11);
        assert_eq!(reply.lines[0], "apps.lab.example");
        assert_eq!(reply.lines[10], "CHUNKING");
        assert!(coded_reply_complete(EHLO));
        // Every proper prefix is incomplete, never an error of another kind.
        for cut in 0..EHLO.len() {
            assert!(!coded_reply_complete(&EHLO[..cut]), "cut at {cut}");
            assert!(matches!(
                parse_coded_reply(&EHLO[..cut]),
                Err(Error::Truncated { .. })
            ));
        }
    }

    #[test]
    fn ftp_multiline_with_free_middle_lines() {
        let bytes = b"220-Welcome\r\n  to the lab\r\n220-second\r\n220 ready\r\n";
        let greeting = parse_ftp(bytes).unwrap();
        assert_eq!(
            greeting.lines,
            ["Welcome", "  to the lab", "second", "ready"]
        );
        assert_eq!(greeting.to_string(), "FTP: 220 Welcome (+3 lines)");
        // A different code in a middle line does not end the reply.
        assert!(!coded_reply_complete(b"220-a\r\n230 b\r\n"));
        assert!(coded_reply_complete(b"220-a\r\n230 b\r\n220\r\n"));
    }

    #[test]
    fn dovecot_pop3_and_imap() {
        let pop = parse_pop3(POP3).unwrap();
        assert!(pop.is_ready());
        assert_eq!(pop.to_string(), "POP3: +OK portolan lab dovecot ready.");
        assert_eq!(classify(POP3).guess, Guess::Known(Protocol::Pop3));

        let imap = parse_imap(IMAP).unwrap();
        assert!(imap.is_ready());
        assert_eq!(imap.status, Status::Ok);
        assert!(imap.text().starts_with("[CAPABILITY IMAP4rev1 "));
        assert!(imap.text().ends_with("] portolan lab dovecot ready."));
        assert!(imap.to_string().starts_with("IMAP: * OK [CAPABILITY"));
        assert!(imap.to_string().len() < 120);
        assert_eq!(classify(IMAP).guess, Guess::Known(Protocol::Imap));
    }

    #[test]
    fn imap_preauth_bye_and_case() {
        let preauth = parse_imap(b"* preauth IMAP4rev2 logged in\r\n").unwrap();
        assert_eq!(preauth.status, Status::Preauth);
        assert!(preauth.is_ready());
        let bye = parse_imap(b"* BYE overloaded\r\n").unwrap();
        assert_eq!(bye.status, Status::Bye);
        assert!(bye.matched && !bye.is_ready());
        assert!(!parse_imap(b"* OKAY\r\n").unwrap().matched);
    }

    #[test]
    fn innd_nntp_and_refusals() {
        let greeting = parse_nntp(NNTP).unwrap();
        assert!(greeting.is_ready());
        assert_eq!(greeting.status, Status::Code(200));
        assert!(greeting.text().contains("INN 2.7.1"));
        assert_eq!(classify(NNTP).guess, Guess::Known(Protocol::Nntp));
        let refused = parse_nntp(b"502 You have no permission to talk.\r\n").unwrap();
        assert!(refused.matched && !refused.is_ready());
        assert!(!parse_nntp(b"220 ftp ready\r\n").unwrap().matched);
    }

    #[test]
    fn wrong_protocol_is_reported_not_failed() {
        let greeting = parse_ftp(POP3).unwrap();
        assert!(!greeting.matched && !greeting.is_ready());
        assert_eq!(
            greeting.to_string(),
            "FTP: not a greeting of it: \"+OK portolan lab dovecot ready.\""
        );
        assert!(!parse_pop3(FTP).unwrap().matched);
        assert!(!parse_imap(POP3).unwrap().matched);
        assert!(!parse_smtp(b"SSH-2.0-OpenSSH_9.2p1\r\n").unwrap().matched);
        // A code an FTP greeting never uses.
        assert!(!parse_ftp(b"500 what\r\n").unwrap().matched);
    }

    #[test]
    fn truncated_and_oversized_lines() {
        for bytes in [&FTP[..FTP.len() - 1], &b""[..], b"220 no end"] {
            assert!(matches!(parse_ftp(bytes), Err(Error::Truncated { .. })));
            assert!(!is_complete(Protocol::Ftp, bytes));
        }
        let long = vec![b'a'; MAX_LINE + 10];
        assert!(matches!(parse_pop3(&long), Err(Error::TooLarge { .. })));
        assert!(line_complete(&long), "no point reading on");
        let mut many = Vec::new();
        for _ in 0..=MAX_LINES {
            many.extend_from_slice(b"220-more\r\n");
        }
        assert!(matches!(parse_smtp(&many), Err(Error::TooLarge { .. })));
        assert!(coded_reply_complete(&many));
    }

    #[test]
    fn telnetd_negotiation_then_banner() {
        let first = parse_telnet(TELNET_NEGOTIATION).unwrap();
        assert!(first.matched && !first.partial);
        assert!(first.text.is_empty());
        assert_eq!(
            first.offered().collect::<Vec<_>>(),
            [37, 38],
            "WILL AUTHENTICATION, ENCRYPT"
        );
        assert_eq!(first.requested().collect::<Vec<_>>(), [24, 32, 35, 39, 36]);
        assert_eq!(
            first.to_string(),
            "Telnet: 7 negotiations (WILL AUTHENTICATION ENCRYPT)"
        );
        assert!(telnet_complete(TELNET_NEGOTIATION));
        let refusal = telnet_refusal(&first);
        assert_eq!(
            refusal,
            [
                IAC, DONT, 37, IAC, DONT, 38, IAC, WONT, 24, IAC, WONT, 32, IAC, WONT, 35, IAC,
                WONT, 39, IAC, WONT, 36
            ]
        );

        let session = parse_telnet(TELNET_SESSION).unwrap();
        assert!(
            session
                .text
                .contains("Linux 6.18.44-fc-v657 (apps.lab.example) (pts/0)")
        );
        assert!(session.text.ends_with("apps login: "));
        assert_eq!(
            session.to_string(),
            "Telnet: 18 negotiations (WILL AUTHENTICATION ENCRYPT +3), \
             text \"Linux 6.18.44-fc-v657 (apps.lab.example) (pts/0)\""
        );
        let guess = classify(TELNET_SESSION);
        assert_eq!(guess.guess, Guess::Known(Protocol::Telnet));
        assert_eq!(
            guess.banner,
            "Linux 6.18.44-fc-v657 (apps.lab.example) (pts/0)"
        );
    }

    #[test]
    fn telnet_partial_commands_and_subnegotiation() {
        for cut in 1..TELNET_NEGOTIATION.len() {
            let part = &TELNET_NEGOTIATION[..cut];
            let greeting = parse_telnet(part).unwrap();
            assert_eq!(greeting.partial, cut % 3 != 0, "cut at {cut}");
            assert_eq!(telnet_complete(part), cut % 3 == 0);
        }
        let bytes = [IAC, SB, 24, 1, IAC, SE, b'h', IAC, IAC, b'i'];
        let greeting = parse_telnet(&bytes).unwrap();
        assert_eq!(greeting.subnegotiations, [24]);
        assert_eq!(greeting.text.as_bytes(), "h\u{fffd}i".as_bytes());
        let open = parse_telnet(&[IAC, SB, 24, 1, 2]).unwrap();
        assert!(open.partial && open.subnegotiations.is_empty());
        // Plain text: no command, so not a match, yet no failure.
        let plain = parse_telnet(b"login: ").unwrap();
        assert!(!plain.matched && plain.text == "login: ");
        assert!(parse_telnet(b"").is_err());
    }

    #[test]
    fn classify_other_services() {
        let cases: [(&[u8], Guess); 8] = [
            (b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", Guess::Ssh),
            (b"HTTP/1.1 400 Bad Request\r\n", Guess::Http),
            (b"ncacn_http/1.0", Guess::RpcOverHttp),
            (&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28], Guess::Tls),
            (
                b"220 mail.example ESMTP Exim\r\n",
                Guess::Known(Protocol::Smtp),
            ),
            (b"220 ready\r\n", Guess::FtpOrSmtp),
            (b"554 no service\r\n", Guess::Known(Protocol::Smtp)),
            (b"\x00\x01binary", Guess::Unknown),
        ];
        for (bytes, expected) in cases {
            assert_eq!(classify(bytes).guess, expected, "{bytes:?}");
        }
        assert_eq!(
            classify(b"SSH-2.0-x\r\n").to_string(),
            "looks like SSH: \"SSH-2.0-x\""
        );
        assert_eq!(
            classify(b"\x1b[2Jhi\r\n").to_string(),
            "unrecognised banner \"\\x1b[2Jhi\""
        );
        assert_eq!(classify(b"").to_string(), "unrecognised banner");
    }

    #[test]
    fn lpd_request_bytes_match_rfc_1179() {
        assert_eq!(
            lpd_queue_state_request(LpdListing::Long, "lab", &[]).unwrap(),
            b"\x04lab\n"
        );
        assert_eq!(
            lpd_queue_state_request(LpdListing::Short, "lab", &["root", "12"]).unwrap(),
            b"\x03lab root 12\n"
        );
        for bad in ["", "two words", "line\n", "tab\t"] {
            assert!(lpd_queue_state_request(LpdListing::Short, bad, &[]).is_err());
        }
        let request = parse_lpd_queue_request(b"\x03lab root 12\n").unwrap();
        assert_eq!(request.queue, "lab");
        assert_eq!(request.operands, ["root", "12"]);
        assert!(parse_lpd_queue_request(b"\x02lab\n").is_err());
        assert!(parse_lpd_queue_request(b"\x03lab").is_err());
    }

    #[test]
    fn lpd_answers_from_the_lab() {
        for bytes in [LPD_LONG, LPD_SHORT] {
            let state = parse_lpd_queue_state(bytes).unwrap();
            assert_eq!(state.status, LpdQueueStatus::Empty);
            assert_eq!(state.to_string(), "LPD: queue state: no entries");
        }
        let unknown = parse_lpd_queue_state(LPD_UNKNOWN).unwrap();
        assert_eq!(unknown.status, LpdQueueStatus::UnknownPrinter);
        assert_eq!(
            unknown.to_string(),
            "LPD: unknown printer (\"apps: lpd: noqueue: unknown printer\")"
        );
        let refused =
            parse_lpd_queue_state(b"apps: lpd: Your host does not have line printer access\n")
                .unwrap();
        assert_eq!(refused.status, LpdQueueStatus::AccessDenied);
        let listing = parse_lpd_queue_state(
            b"lab is ready and printing\nRank   Owner  Job  Files  Total Size\nactive root 12 a.txt 10 bytes\n",
        )
        .unwrap();
        assert_eq!(listing.status, LpdQueueStatus::Listing);
        assert_eq!(listing.lines.len(), 3);
        assert!(parse_lpd_queue_state(b"\n\n").is_err());
    }

    fn lpd_word() -> impl Strategy<Value = String> {
        "[!-~]{1,20}"
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            for protocol in [Protocol::Ftp, Protocol::Smtp, Protocol::Pop3, Protocol::Imap,
                             Protocol::Nntp, Protocol::Telnet] {
                if let Ok(greeting) = parse(protocol, &bytes) {
                    let shown = greeting.to_string();
                    prop_assert!(shown.bytes().all(|b| (0x20..=0x7e).contains(&b)));
                }
                let _ = is_complete(protocol, &bytes);
            }
            if let Ok(telnet) = parse_telnet(&bytes) {
                let _ = telnet.to_string();
                let refusal = telnet_refusal(&telnet);
                let answered = parse_telnet(&refusal);
                prop_assert!(refusal.is_empty() || answered.is_ok_and(|a| a.matched));
            }
            let shown = classify(&bytes).to_string();
            prop_assert!(shown.bytes().all(|b| (0x20..=0x7e).contains(&b)));
            if let Ok(state) = parse_lpd_queue_state(&bytes) {
                prop_assert!(state.lines.len() <= MAX_LINES);
                let _ = state.to_string();
            }
            let _ = parse_lpd_queue_request(&bytes);
            let _ = parse_coded_reply(&bytes);
        }

        #[test]
        fn lpd_request_round_trips(
            long in any::<bool>(),
            queue in lpd_word(),
            operands in proptest::collection::vec(lpd_word(), 0..5),
        ) {
            let listing = if long { LpdListing::Long } else { LpdListing::Short };
            let refs: Vec<&str> = operands.iter().map(String::as_str).collect();
            let bytes = lpd_queue_state_request(listing, &queue, &refs).unwrap();
            let parsed = parse_lpd_queue_request(&bytes).unwrap();
            prop_assert_eq!(parsed, LpdQueueRequest { listing, queue, operands });
        }

        #[test]
        fn coded_reply_lines_round_trip(
            code in 100u16..600,
            lines in proptest::collection::vec("[ -~]{0,40}", 1..10),
        ) {
            let mut bytes = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let sep = if i + 1 == lines.len() { ' ' } else { '-' };
                bytes.extend_from_slice(format!("{code}{sep}{line}\r\n").as_bytes());
            }
            let reply = parse_coded_reply(&bytes).unwrap();
            prop_assert_eq!(reply.code, code);
            prop_assert_eq!(reply.lines, lines);
        }

        #[test]
        fn refusal_declines_every_request(options in proptest::collection::vec((any::<bool>(), any::<u8>()), 0..20)) {
            let mut bytes = Vec::new();
            for (will, option) in &options {
                bytes.extend_from_slice(&[IAC, if *will { WILL } else { DO }, *option]);
            }
            bytes.extend_from_slice(b"login: ");
            let greeting = parse_telnet(&bytes).unwrap();
            let refusal = parse_telnet(&telnet_refusal(&greeting));
            for (will, option) in &options {
                let verb = if *will { Verb::Dont } else { Verb::Wont };
                let wanted = Negotiation { verb, option: *option };
                prop_assert!(refusal.as_ref().is_ok_and(|r| r.negotiations.contains(&wanted)));
            }
        }
    }
}
