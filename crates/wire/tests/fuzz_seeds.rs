//! The committed fuzz corpus (fuzz/corpus, built by scripts/fuzz-seeds.sh) must start the
//! fuzzers inside the parsers, not at their first length check: the seeds that the script cuts
//! out of captured PDUs (endpoint-mapper stubs, towers) have to parse as what they claim to be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use portolan_wire::dcerpc::{Pdu, Tower};

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/fuzz-seeds.sh", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

#[test]
fn every_tower_seed_is_a_tower() {
    let seeds = seeds("wire_dcerpc_tower");
    assert!(seeds.len() >= 10, "only {} tower seeds", seeds.len());
    for seed in &seeds {
        Tower::parse(seed).expect("a tower seed parses");
    }
}

#[test]
fn most_endpoint_mapper_seeds_are_lookup_or_map_answers() {
    use portolan_wire::dcerpc::{LookupResponse, MapResponse};
    let seeds = seeds("wire_dcerpc_epm");
    let parsed = seeds
        .iter()
        .filter(|s| LookupResponse::parse(s).is_ok() || MapResponse::parse(s).is_ok())
        .count();
    assert!(
        parsed * 2 > seeds.len(),
        "{parsed} of {} parse",
        seeds.len()
    );
}

#[test]
fn every_pdu_seed_is_a_pdu() {
    for seed in seeds("wire_dcerpc_pdu") {
        Pdu::parse(&seed).expect("a PDU seed parses");
    }
}

/// Each round-trip target's seeds are mostly messages its round trip can start from: a
/// message that parses (or, for the requests, one the listener answers).
#[test]
fn most_round_trip_seeds_parse() {
    use portolan_wire::dcerpc::{BindAck, LookupRequest, LookupResponse, Request, Response};
    use portolan_wire::{dhcp, hello, isakmp, kerberos, l2tp, ldap, ntp, radius, snmp, ssdp, tftp};
    type Check = fn(&[u8]) -> bool;
    let targets: [(&str, Check); 12] = [
        ("ntp", |s| {
            ntp::ServerReply::parse(s).is_ok() || ntp::emit_server_reply(s, 0).is_ok()
        }),
        ("kerberos", |s| {
            let s = kerberos::unframe_tcp(s).unwrap_or(s);
            kerberos::parse(s).is_ok() || kerberos::AsRequest::parse(s).is_ok()
        }),
        ("l2tp", |s| l2tp::ControlMessage::parse(s).is_ok()),
        ("dcerpc", |s| {
            BindAck::parse(s).is_ok()
                || Request::parse(s).is_ok()
                || Response::parse(s).is_ok()
                || LookupRequest::parse(s).is_ok()
                || LookupResponse::parse(s).is_ok()
                || Pdu::parse(s).is_ok()
        }),
        ("tftp", |s| {
            tftp::Reply::parse(s).is_ok() || s.starts_with(&[0, 1])
        }),
        ("ssdp", |s| {
            ssdp::Response::parse(s).is_ok() || ssdp::emit_search_response(s, "x").is_ok()
        }),
        ("dhcp", |s| {
            dhcp::Reply::parse(s).is_ok() || dhcp::emit_ack(s).is_ok()
        }),
        ("isakmp", |s| isakmp::parse_reply(s).is_ok()),
        ("ldap", |s| ldap::parse_message(s).is_ok()),
        ("radius", |s| {
            radius::emit_refusal(s, b"x").is_ok()
                || s.first().is_some_and(|c| [2, 3, 5, 11].contains(c))
        }),
        ("snmp", |s| {
            snmp::parse_community(s).is_ok() || snmp::parse_v3(s).is_ok()
        }),
        ("hello", |s| {
            hello::parse_ping(s).is_ok() || s.starts_with(hello::MAGIC)
        }),
    ];
    for (protocol, parses) in targets {
        let seeds = seeds(&format!("wire_{protocol}_roundtrip"));
        let parsed = seeds.iter().filter(|s| parses(s)).count();
        assert!(
            !seeds.is_empty() && parsed * 4 >= seeds.len() * 3,
            "{protocol}: {parsed} of {} seeds parse",
            seeds.len()
        );
    }
}
