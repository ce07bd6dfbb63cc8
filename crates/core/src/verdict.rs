//! What a probe found: PortQry's verdict, nmap's state for it, and the reason behind it.
//! The mapping between the two vocabularies lives here and nowhere else.

use std::fmt;

use serde::{Serialize, Serializer};

/// PortQry's verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// TCP: the handshake completed. UDP: the port answered the probe.
    Listening,
    /// TCP: a reset came back. UDP: ICMP port unreachable came back.
    NotListening,
    /// TCP: no answer after every try, or an ICMP error. UDP: an ICMP error other than
    /// port unreachable.
    Filtered,
    /// UDP: no answer; a listener that ignores the probe and a firewall that drops it look
    /// the same.
    ListeningOrFiltered,
    /// Not PortQry's: the probe could not be sent at all (a failure on this machine, such as
    /// no free file descriptor), so nothing is known about the port.
    Error,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 5] = [
        Verdict::Listening,
        Verdict::NotListening,
        Verdict::Filtered,
        Verdict::ListeningOrFiltered,
        Verdict::Error,
    ];

    /// PortQry's wording.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Listening => "LISTENING",
            Verdict::NotListening => "NOT LISTENING",
            Verdict::Filtered => "FILTERED",
            Verdict::ListeningOrFiltered => "LISTENING OR FILTERED",
            Verdict::Error => "ERROR",
        }
    }

    /// The verdict PortQry's word names (`"NOT LISTENING"`), as reports write it; `None` for
    /// any other text. Readers of saved results use it, so the words have one home.
    pub fn from_portqry(word: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == word)
    }

    /// nmap's state for the verdict.
    pub fn nmap(self) -> NmapState {
        match self {
            Verdict::Listening => NmapState::Open,
            Verdict::NotListening => NmapState::Closed,
            Verdict::Filtered => NmapState::Filtered,
            Verdict::ListeningOrFiltered => NmapState::OpenFiltered,
            Verdict::Error => NmapState::Error,
        }
    }
}

/// A port's state in nmap's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NmapState {
    /// `open`
    Open,
    /// `closed`
    Closed,
    /// `filtered`
    Filtered,
    /// `open|filtered` (UDP silence).
    OpenFiltered,
    /// `error`: not nmap's. The probe failed on this machine; nmap would have stopped, and
    /// no nmap state would be true.
    Error,
}

impl NmapState {
    /// The state nmap's word names (`"open|filtered"`); `None` for any other text.
    pub fn from_word(word: &str) -> Option<NmapState> {
        Verdict::ALL
            .into_iter()
            .map(Verdict::nmap)
            .find(|s| s.as_str() == word)
    }

    /// nmap's word.
    pub fn as_str(self) -> &'static str {
        match self {
            NmapState::Open => "open",
            NmapState::Closed => "closed",
            NmapState::Filtered => "filtered",
            NmapState::OpenFiltered => "open|filtered",
            NmapState::Error => "error",
        }
    }

    /// PortQry's verdict for the state.
    pub fn verdict(self) -> Verdict {
        match self {
            NmapState::Open => Verdict::Listening,
            NmapState::Closed => Verdict::NotListening,
            NmapState::Filtered => Verdict::Filtered,
            NmapState::OpenFiltered => Verdict::ListeningOrFiltered,
            NmapState::Error => Verdict::Error,
        }
    }

    /// PortQry's wording for the state.
    pub fn portqry(self) -> &'static str {
        self.verdict().as_str()
    }
}

/// Why a port got its verdict (nmap's reason names where nmap has one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// TCP: the handshake completed.
    SynAck,
    /// UDP: a datagram answered the probe.
    UdpResponse,
    /// TCP: a reset answered the SYN.
    ConnRefused,
    /// UDP: ICMP port unreachable.
    PortUnreach,
    /// The connection was the socket meeting itself (source port = destination port on a
    /// local address); nothing listens there.
    SelfConnect,
    /// ICMP host unreachable or administratively prohibited, or the neighbour (ARP/ND) did
    /// not answer.
    HostUnreach,
    /// ICMP network unreachable, no route, or the interface toward it is down.
    NetUnreach,
    /// ICMP protocol unreachable or parameter problem.
    ProtoUnreach,
    /// No answer to any try.
    NoResponse,
    /// This machine's own firewall or policy refused the connection (EACCES, EPERM).
    LocalPolicy,
    /// This machine could not make the probe (an unexpected system error).
    LocalError,
}

impl Reason {
    /// The reason as written in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::SynAck => "syn-ack",
            Reason::UdpResponse => "udp-response",
            Reason::ConnRefused => "conn-refused",
            Reason::PortUnreach => "port-unreach",
            Reason::SelfConnect => "self-connect",
            Reason::HostUnreach => "host-unreach",
            Reason::NetUnreach => "net-unreach",
            Reason::ProtoUnreach => "proto-unreach",
            Reason::NoResponse => "no-response",
            Reason::LocalPolicy => "local-policy",
            Reason::LocalError => "local-error",
        }
    }

    /// The verdict a TCP connect with this reason gets.
    pub fn tcp_verdict(self) -> Verdict {
        match self {
            Reason::SynAck | Reason::UdpResponse => Verdict::Listening,
            Reason::ConnRefused | Reason::PortUnreach | Reason::SelfConnect => {
                Verdict::NotListening
            }
            Reason::HostUnreach
            | Reason::NetUnreach
            | Reason::ProtoUnreach
            | Reason::NoResponse
            | Reason::LocalPolicy => Verdict::Filtered,
            Reason::LocalError => Verdict::Error,
        }
    }

    /// The verdict a UDP probe with this reason gets: silence is not a filter's proof.
    pub fn udp_verdict(self) -> Verdict {
        match self {
            Reason::NoResponse => Verdict::ListeningOrFiltered,
            other => other.tcp_verdict(),
        }
    }

    /// True when the answer came from the target itself (so it is up).
    pub fn from_target(self) -> bool {
        matches!(
            self,
            Reason::SynAck | Reason::ConnRefused | Reason::UdpResponse | Reason::PortUnreach
        )
    }
}

/// Serializes and displays each type as its `as_str` word, so a report spells a value one
/// way whatever its format.
macro_rules! spelled_by_as_str {
    ($($t:ty),+) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )+};
}

spelled_by_as_str!(Verdict, NmapState, Reason);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portqry_words_read_back_to_their_verdicts() {
        for v in Verdict::ALL {
            assert_eq!(Verdict::from_portqry(v.as_str()), Some(v));
        }
        assert_eq!(Verdict::from_portqry("listening"), None);
        for v in Verdict::ALL {
            assert_eq!(NmapState::from_word(v.nmap().as_str()), Some(v.nmap()));
        }
    }

    #[test]
    fn each_verdict_has_one_nmap_state_and_back() {
        let words: Vec<(&str, &str)> = Verdict::ALL
            .iter()
            .map(|v| (v.as_str(), v.nmap().as_str()))
            .collect();
        assert_eq!(
            words,
            [
                ("LISTENING", "open"),
                ("NOT LISTENING", "closed"),
                ("FILTERED", "filtered"),
                ("LISTENING OR FILTERED", "open|filtered"),
                ("ERROR", "error"),
            ]
        );
        for v in Verdict::ALL {
            assert_eq!(v.nmap().verdict(), v);
            assert_eq!(v.nmap().portqry(), v.as_str());
        }
    }

    #[test]
    fn udp_silence_is_open_filtered_and_tcp_silence_is_filtered() {
        assert_eq!(Reason::NoResponse.tcp_verdict(), Verdict::Filtered);
        assert_eq!(
            Reason::NoResponse.udp_verdict(),
            Verdict::ListeningOrFiltered
        );
        assert_eq!(Reason::SelfConnect.tcp_verdict(), Verdict::NotListening);
        assert_eq!(Reason::LocalError.tcp_verdict(), Verdict::Error);
    }
}
