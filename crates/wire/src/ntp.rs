//! NTP / SNTP (RFC 5905, RFC 4330): a mode-3 client request and the server's mode-4 reply.

/// Builds a 48-byte NTPv4 client request whose transmit timestamp is `transmit`,
/// so that the reply's origin timestamp can be matched against it.
pub fn client_request(transmit: u64) -> [u8; 48] {
    let mut packet = [0u8; 48];
    packet[0] = (4 << 3) | 3; // LI 0, version 4, mode 3 (client)
    packet[40..48].copy_from_slice(&transmit.to_be_bytes());
    packet
}
