//! Fuzzes the LDAP message, rootDSE and CLDAP netlogon parsers and the TCP completeness
//! checks; netlogon pings built from the input must parse back with the same id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan_wire::ldap;

fn printable(line: &str) -> bool {
    line.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(messages) = ldap::parse_messages(data) {
        assert!(messages.len() <= ldap::MAX_MESSAGES);
    }
    if let Ok(reply) = ldap::parse_netlogon_reply(data, 1) {
        assert!(printable(&reply.to_string()));
    }
    if let Ok(root) = ldap::parse_root_dse(data, 1) {
        assert!(printable(&root.to_string()));
    }
    let _ = ldap::parse_netlogon(data);
    let _ = ldap::search_finished(data);
    if let Ok(Some(len)) = ldap::message_len(data) {
        if let Some(message) = data.get(..len) {
            let _ = ldap::parse_message(message);
        }
    }
    if let Some((head, domain)) = data.split_first_chunk::<8>() {
        let id = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) & ldap::MAX_MESSAGE_ID;
        let nt_version = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let domain = std::str::from_utf8(domain)
            .ok()
            .filter(|d| !d.is_empty() && d.len() <= ldap::MAX_DOMAIN_LEN);
        let ping = ldap::netlogon_ping(id, domain, nt_version).expect("valid parameters");
        let (message, used) = ldap::parse_message(&ping).expect("own request parses");
        assert_eq!((message.message_id, used), (id, ping.len()));
        assert_eq!(ldap::message_len(&ping), Ok(Some(ping.len())));
        assert_eq!(ldap::search_finished(&ping), Ok(false));
    }
});
