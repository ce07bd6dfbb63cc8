//! End-to-end tests on the exchange captured from the lab's Samba 4.17 AD DC
//! (`tests/fixtures/dcerpc/README.md` says how), checked against impacket's rpcdump.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::epm::{
    self, EPT_S_NOT_REGISTERED, EptEntry, Lookup, LookupEnd, LookupLimits, LookupResponse,
    MapResponse,
};
use super::fixtures::{FAULT, LOOKUP_END, fixture};
use super::ndr::ContextHandle;
use super::pdu::{self, CALL_HEADER_LEN, PacketType};
use super::reassembly::{CallOutcome, Reassembler, ReassemblyLimits, reassemble, split_stream};
use super::tower::{Endpoint, ProtocolSequence};
use super::uuid::{EPM_SYNTAX, SyntaxId, Uuid};
use crate::Error;

const LOOKUP_FRAG1: &[u8] = fixture!("samba-4.17-ept-lookup-1-frag1.bin");
const LOOKUP_FRAG2: &[u8] = fixture!("samba-4.17-ept-lookup-1-frag2.bin");
const LOOKUP_MAX3: &[u8] = fixture!("samba-4.17-ept-lookup-max3.bin");
const PAGES: [&[u8]; 4] = [
    fixture!("samba-4.17-ept-lookup-page20-1.bin"),
    fixture!("samba-4.17-ept-lookup-page20-2.bin"),
    fixture!("samba-4.17-ept-lookup-page20-3.bin"),
    fixture!("samba-4.17-ept-lookup-page20-4.bin"),
];
const MAP_NETLOGON: &[u8] = fixture!("samba-4.17-ept-map-netlogon.bin");
const MAP_SVCCTL: &[u8] = fixture!("samba-4.17-ept-map-svcctl.bin");
const REQUEST_LOOKUP: &[u8] = fixture!("request-ept-lookup-first.bin");
const REQUEST_MAP: &[u8] = fixture!("request-ept-map-netlogon.bin");
const RPCDUMP: &str = include_str!("../../tests/fixtures/dcerpc/rpcdump-samba-4.17.txt");

/// The reassembled stub of the first, complete `ept_lookup` answer.
fn full_lookup_stub() -> Vec<u8> {
    match reassemble(2, [LOOKUP_FRAG1, LOOKUP_FRAG2]).unwrap() {
        CallOutcome::Response(stub) => stub,
        CallOutcome::Fault(fault) => panic!("unexpected {fault}"),
    }
}

fn stub_of(pdu: &[u8]) -> Vec<u8> {
    pdu::Response::parse(pdu).unwrap().stub.to_vec()
}

/// The binding impacket's rpcdump prints: the tower's own address, an empty pipe host.
fn rpcdump_binding(endpoint: &Endpoint) -> String {
    let target = match endpoint.protocol {
        ProtocolSequence::NcacnNp | ProtocolSequence::Ncalrpc => String::new(),
        _ => endpoint.address.map(|a| a.to_string()).unwrap_or_default(),
    };
    endpoint.binding(&target)
}

/// (interface UUID, version, binding) for each entry.
fn entry_set(entries: &[EptEntry]) -> BTreeSet<(String, String, String)> {
    entries
        .iter()
        .map(|entry| {
            let endpoint = entry.endpoint().unwrap();
            (
                endpoint.interface.uuid.to_string(),
                format!("v{}.{}", endpoint.interface.major, endpoint.interface.minor),
                rpcdump_binding(&endpoint),
            )
        })
        .collect()
}

/// The same triples read from rpcdump's text output.
fn rpcdump_set() -> BTreeSet<(String, String, String)> {
    let mut set = BTreeSet::new();
    let mut current: Option<(String, String)> = None;
    for line in RPCDUMP.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("UUID    : ") {
            let mut words = rest.split_whitespace();
            let uuid = words.next().unwrap().to_ascii_lowercase();
            let version = words.next().unwrap().to_string();
            current = Some((uuid, version));
        } else if line.starts_with("nca") {
            let (uuid, version) = current.clone().unwrap();
            set.insert((uuid, version, line.to_string()));
        }
    }
    set
}

#[test]
fn samba_lookup_ends_with_not_registered_after_53_entries() {
    let mut lookup = Lookup::new(LookupLimits::default());
    assert_eq!(lookup.next_request(2).unwrap(), REQUEST_LOOKUP);
    lookup.consume(&full_lookup_stub()).unwrap();
    assert_eq!(lookup.end(), None);
    assert!(!lookup.handle().is_null(), "Samba keeps the handle open");
    assert!(lookup.next_request(3).is_some());
    lookup.consume(&stub_of(LOOKUP_END)).unwrap();
    assert_eq!(lookup.end(), Some(LookupEnd::NoMoreEntries));
    assert!(lookup.end().unwrap().is_complete());
    assert!(lookup.next_request(4).is_none());
    assert_eq!(lookup.entries().len(), 53);
    assert_eq!(
        lookup.to_string(),
        "EPM: 53 entries in 2 calls, end of list (EPT_S_NOT_REGISTERED)"
    );
    assert!(matches!(
        lookup.consume(&stub_of(LOOKUP_END)),
        Err(Error::Unexpected(_))
    ));
}

#[test]
fn samba_entries_match_rpcdump() {
    let response = LookupResponse::parse(&full_lookup_stub()).unwrap();
    assert_eq!(response.status, 0);
    assert_eq!(response.entries.len(), 53);
    assert_eq!(
        response.to_string(),
        format!(
            "EPM ept_lookup: 53 entries, status success (0x00000000), {}",
            response.handle
        )
    );
    let ours = entry_set(&response.entries);
    let theirs = rpcdump_set();
    assert_eq!(theirs.len(), 53, "rpcdump lists 53 bindings");
    assert_eq!(ours, theirs);

    // The protocol mix the lab notes give: 16 TCP, 2 HTTP, 24 pipes, 11 LRPC.
    let count = |protocol| {
        response
            .entries
            .iter()
            .filter(|e| e.endpoint().unwrap().protocol == protocol)
            .count()
    };
    assert_eq!(count(ProtocolSequence::NcacnIpTcp), 16);
    assert_eq!(count(ProtocolSequence::NcacnHttp), 2);
    assert_eq!(count(ProtocolSequence::NcacnNp), 24);
    assert_eq!(count(ProtocolSequence::Ncalrpc), 11);
    assert!(response.entries.iter().all(|e| e.object.is_nil()));
}

#[test]
fn samba_tcp_ports_per_interface() {
    let response = LookupResponse::parse(&full_lookup_stub()).unwrap();
    let tcp: BTreeSet<(String, u16)> = response
        .entries
        .iter()
        .filter_map(|entry| {
            let endpoint = entry.endpoint().ok()?;
            let name = super::names::lookup(&endpoint.interface.uuid)?.name;
            Some((name.to_string(), endpoint.tcp_port()?))
        })
        .collect();
    let expected: BTreeSet<(String, u16)> = [
        ("netlogon", 49152),
        ("lsarpc", 49153),
        ("dssetup", 49153),
        ("drsuapi", 49153),
        ("dnsserver", 49153),
        ("backupkey", 49153),
        ("eventlog6", 49153),
        ("browser", 49153),
        ("unixinfo", 49153),
        ("samr", 49154),
        ("wkssvc", 49154),
        ("mgmt", 135),
        ("mgmt", 593),
        ("mgmt", 49152),
        ("mgmt", 49153),
        ("mgmt", 49154),
        ("epmapper", 135),
        ("epmapper", 593),
    ]
    .into_iter()
    .map(|(name, port)| (name.to_string(), port))
    .collect();
    assert_eq!(tcp, expected);
}

#[test]
fn samba_display_lines() {
    let response = LookupResponse::parse(&full_lookup_stub()).unwrap();
    let lines: Vec<String> = response
        .entries
        .iter()
        .map(|entry| entry.describe("10.201.0.2"))
        .collect();
    for expected in [
        "ncacn_ip_tcp:10.201.0.2[49153] lsarpc v0.0 (Local Security Authority)",
        "ncacn_ip_tcp:10.201.0.2[49152] netlogon v1.0 (Netlogon)",
        "ncacn_ip_tcp:10.201.0.2[49154] samr v1.0 (Security Account Manager)",
        "ncacn_http:10.201.0.2[593] epmapper v3.0 (RPC endpoint mapper)",
        "ncacn_np:10.201.0.2[\\pipe\\lsass] lsarpc v0.0 (Local Security Authority)",
        "ncalrpc:[DEFAULT] unixinfo v0.0 (Samba Unix id mapping)",
    ] {
        assert!(lines.iter().any(|l| l == expected), "missing {expected}");
    }
    assert!(lines.iter().all(|line| line.len() < 120));
}

#[test]
fn samba_paging_20_at_a_time_gives_the_same_list() {
    let limits = LookupLimits {
        batch: 20,
        ..LookupLimits::default()
    };
    let mut lookup = Lookup::new(limits);
    let mut call_id = 2;
    let mut pages = PAGES.iter();
    while let Some(request) = lookup.next_request(call_id) {
        assert_eq!(&request[CALL_HEADER_LEN + 36..], &20u32.to_le_bytes());
        let pdu = pages.next().expect("more calls than captured answers");
        let outcome = reassemble(call_id, split_stream(pdu, 8).unwrap()).unwrap();
        let CallOutcome::Response(stub) = outcome else {
            panic!("fault")
        };
        lookup.consume(&stub).unwrap();
        call_id += 1;
    }
    assert_eq!(lookup.rounds(), 4);
    assert_eq!(lookup.end(), Some(LookupEnd::NoMoreEntries));
    let paged = entry_set(lookup.entries());
    let whole = entry_set(&LookupResponse::parse(&full_lookup_stub()).unwrap().entries);
    assert_eq!(paged, whole);
}

#[test]
fn samba_small_batch_keeps_a_handle() {
    let response = LookupResponse::parse(&stub_of(LOOKUP_MAX3)).unwrap();
    assert_eq!(response.entries.len(), 3);
    assert!(!response.handle.is_null());
    assert_eq!(response.entries[0].annotation, "dnsserver");
}

#[test]
fn samba_ept_map() {
    let stub = epm::map_request(
        None,
        &Endpoint::map_query(
            SyntaxId::new(
                "12345678-1234-abcd-ef00-01234567cffb".parse().unwrap(),
                1,
                0,
            ),
            ProtocolSequence::NcacnIpTcp,
        )
        .to_tower()
        .unwrap()
        .emit()
        .unwrap(),
        &ContextHandle::NULL,
        4,
    )
    .unwrap();
    assert_eq!(
        pdu::request(2, 0, epm::OPNUM_MAP, &stub).unwrap(),
        REQUEST_MAP
    );

    let netlogon = MapResponse::parse(&stub_of(MAP_NETLOGON)).unwrap();
    assert_eq!(netlogon.status, 0);
    let endpoints = netlogon.endpoints();
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0].tcp_port(), Some(49152));
    assert_eq!(
        netlogon.to_string(),
        "EPM ept_map: 1 towers, status success (0x00000000), first ncacn_ip_tcp:target[49152]"
    );

    let svcctl = MapResponse::parse(&stub_of(MAP_SVCCTL)).unwrap();
    assert_eq!(svcctl.status, EPT_S_NOT_REGISTERED);
    assert!(svcctl.towers.is_empty());
    assert!(svcctl.to_string().contains("EPT_S_NOT_REGISTERED"));
}

#[test]
fn bind_pdu_fits_the_epm() {
    let pdu = pdu::bind(1, EPM_SYNTAX, pdu::DEFAULT_MAX_FRAG);
    assert_eq!(pdu.as_slice(), fixture!("request-epm-bind.bin"));
}

// ---- fragmentation -------------------------------------------------------------------

/// Re-frames `stub` as response fragments of `sizes` bytes each (cycling), call `call_id`.
fn fragments(stub: &[u8], sizes: &[usize], call_id: u32) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = stub;
    let mut i = 0;
    loop {
        let size = sizes[i % sizes.len()].max(1).min(rest.len());
        let (chunk, tail) = rest.split_at(size);
        let mut pdu = pdu::request(call_id, 0, 0, chunk).unwrap();
        pdu[2] = PacketType::Response.to_byte();
        pdu[3] = 0;
        if i == 0 {
            pdu[3] |= pdu::flags::FIRST_FRAG;
        }
        if tail.is_empty() {
            pdu[3] |= pdu::flags::LAST_FRAG;
        }
        // alloc_hint: the whole stub, as servers send it (and a lie would not matter).
        pdu[16..20].copy_from_slice(&(stub.len() as u32).to_le_bytes());
        pdu[22..24].copy_from_slice(&[0, 0]);
        out.push(pdu);
        rest = tail;
        i += 1;
        if rest.is_empty() {
            return out;
        }
    }
}

#[test]
fn refragmented_answer_reassembles() {
    let stub = full_lookup_stub();
    for sizes in [&[13usize][..], &[7, 1000, 3], &[6684]] {
        let pdus = fragments(&stub, sizes, 9);
        let mut reassembler = Reassembler::new(9);
        let mut outcome = None;
        for pdu in &pdus {
            assert!(
                outcome.is_none(),
                "answer complete before the last fragment"
            );
            outcome = reassembler.push(pdu).unwrap();
        }
        assert_eq!(outcome, Some(CallOutcome::Response(stub.clone())));
        assert_eq!(reassembler.fragments(), pdus.len());
        assert!(reassembler.push(&pdus[0]).is_err(), "call already answered");
    }
}

#[test]
fn reassembly_refuses_strays_and_disorder() {
    let stub = full_lookup_stub();
    let pdus = fragments(&stub, &[3000], 5);
    assert_eq!(pdus.len(), 3);
    // Another call id.
    assert!(matches!(
        Reassembler::new(6).push(&pdus[0]),
        Err(Error::Unexpected(_))
    ));
    // A middle fragment first.
    assert!(matches!(
        Reassembler::new(5).push(&pdus[1]),
        Err(Error::Malformed { .. })
    ));
    // Two first fragments.
    let mut twice = Reassembler::new(5);
    twice.push(&pdus[0]).unwrap();
    assert!(twice.push(&pdus[0]).is_err());
    // A bind_ack in the middle of a call.
    let mut other = Reassembler::new(1);
    assert!(matches!(
        other.push(fixture!("samba-4.17-epm-bind-ack.bin")),
        Err(Error::Unexpected(_))
    ));
    // No last fragment.
    assert!(matches!(
        reassemble(5, pdus[..2].iter().map(Vec::as_slice)),
        Err(Error::Truncated { .. })
    ));
    // A truncated fragment.
    assert!(Reassembler::new(5).push(&pdus[0][..100]).is_err());
}

#[test]
fn reassembly_caps_size_and_count() {
    let stub = full_lookup_stub();
    let limits = ReassemblyLimits {
        max_stub: 5000,
        max_fragments: 1024,
    };
    let mut small = Reassembler::with_limits(2, limits);
    small.push(LOOKUP_FRAG1).unwrap();
    assert!(matches!(
        small.push(LOOKUP_FRAG2),
        Err(Error::TooLarge { limit: 5000, .. })
    ));
    let limits = ReassemblyLimits {
        max_stub: 1 << 20,
        max_fragments: 10,
    };
    let mut few = Reassembler::with_limits(4, limits);
    let pdus = fragments(&stub, &[100], 4);
    let result: Result<Vec<_>, _> = pdus.iter().map(|p| few.push(p)).collect();
    assert!(matches!(
        result,
        Err(Error::TooLarge {
            what: "DCE/RPC response fragment count",
            ..
        })
    ));
}

#[test]
fn lying_alloc_hint_is_harmless() {
    let mut frag = LOOKUP_FRAG1.to_vec();
    frag[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut reassembler = Reassembler::new(2);
    assert_eq!(reassembler.push(&frag).unwrap(), None);
    assert!(reassembler.push(LOOKUP_FRAG2).unwrap().is_some());
}

#[test]
fn fault_ends_a_call_even_mid_stream() {
    let mut reassembler = Reassembler::new(4);
    let pdus = fragments(&full_lookup_stub(), &[3000], 4);
    assert_eq!(reassembler.push(&pdus[0]).unwrap(), None);
    match reassembler.push(FAULT).unwrap() {
        Some(CallOutcome::Fault(fault)) => assert_eq!(fault.status, 0x1c01_0002),
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[test]
fn split_stream_finds_whole_pdus() {
    let mut stream = LOOKUP_FRAG1.to_vec();
    stream.extend_from_slice(LOOKUP_FRAG2);
    assert_eq!(split_stream(&stream, 8).unwrap().len(), 2);
    assert!(split_stream(&stream, 1).is_err());
    assert!(split_stream(&stream[..stream.len() - 1], 8).is_err());
}

// ---- lying lookup answers ------------------------------------------------------------

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// The parse of `stub` with the little-endian u32 fields at the given offsets overwritten.
fn lookup_with(stub: &[u8], fields: &[(usize, u32)]) -> crate::Result<LookupResponse> {
    let mut lie = stub.to_vec();
    for &(at, value) in fields {
        put_u32(&mut lie, at, value);
    }
    LookupResponse::parse(&lie)
}

#[test]
fn lookup_stub_lies_are_caught() {
    let stub = full_lookup_stub();
    // num_ents at 20, then max_count 24, offset 28, actual_count 32.
    let actual = lookup_with(&stub, &[(32, 100_000)]);
    assert!(matches!(actual, Err(Error::TooLarge { .. })));
    let max = lookup_with(&stub, &[(24, 10)]);
    assert!(matches!(max, Err(Error::Malformed { .. })));
    let num = lookup_with(&stub, &[(20, 52)]);
    assert!(matches!(num, Err(Error::Malformed { .. })));
    // More entries announced than present.
    assert!(lookup_with(&stub, &[(20, 400), (24, 500), (32, 400)]).is_err());
    // First entry's annotation count (object at 36, referent 52, offset 56, count 60).
    let annotation = lookup_with(&stub, &[(60, 65)]);
    assert!(matches!(annotation, Err(Error::TooLarge { .. })));
    assert!(lookup_with(&stub, &[(56, 60)]).is_err());
}

/// Offset of the first tower pointee in the full Samba stub.
fn first_tower_offset(stub: &[u8]) -> usize {
    // Walk the fixed part again: it is simple enough to do by hand here.
    let mut at = 36;
    for _ in 0..53 {
        at = (at + 3) & !3;
        at += 16 + 4 + 4;
        let count = u32::from_le_bytes(stub[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + count;
    }
    (at + 3) & !3
}

#[test]
fn tower_length_lies_are_caught() {
    let stub = full_lookup_stub();
    let at = first_tower_offset(&stub);
    // max_count and tower_length of the first tower (dnsserver over \pipe\dnsserver).
    assert_eq!(&stub[at..at + 8], &[86, 0, 0, 0, 86, 0, 0, 0]);
    let mut huge = stub.clone();
    put_u32(&mut huge, at, u32::MAX);
    put_u32(&mut huge, at + 4, u32::MAX);
    assert!(matches!(
        LookupResponse::parse(&huge),
        Err(Error::TooLarge { .. })
    ));
    let mut differ = stub.clone();
    put_u32(&mut differ, at + 4, 0x4a);
    assert!(matches!(
        LookupResponse::parse(&differ),
        Err(Error::Malformed { .. })
    ));
    // A floor count that lies spoils only its own entry.
    let mut floors = stub.clone();
    floors[at + 8] = 0xff;
    let response = LookupResponse::parse(&floors).unwrap();
    assert!(response.entries[0].endpoint().is_err());
    assert!(response.entries[1].endpoint().is_ok());
    assert!(
        response.entries[0]
            .describe("x")
            .contains("unreadable tower")
    );
}

#[test]
fn every_truncation_is_an_error() {
    let stub = full_lookup_stub();
    for len in 0..stub.len() {
        assert!(LookupResponse::parse(&stub[..len]).is_err(), "length {len}");
    }
    for len in 0..LOOKUP_FRAG1.len() {
        assert!(Reassembler::new(2).push(&LOOKUP_FRAG1[..len]).is_err());
    }
}

#[test]
fn repeated_referent_shares_the_tower_and_null_has_none() {
    let stub = full_lookup_stub();
    let response = LookupResponse::parse(&stub).unwrap();
    let mut entries = response.entries[..2].to_vec();
    entries[1].tower = None;
    let emitted = LookupResponse {
        handle: ContextHandle::NULL,
        entries: entries.clone(),
        status: 0,
    }
    .emit()
    .unwrap();
    let parsed = LookupResponse::parse(&emitted).unwrap();
    assert_eq!(parsed.entries, entries);
    assert!(parsed.entries[1].endpoint().is_err());

    // Two entries with referent id 1 and only one pointee: a full pointer alias.
    let one = LookupResponse {
        handle: ContextHandle::NULL,
        entries: vec![response.entries[0].clone()],
        status: 0,
    }
    .emit()
    .unwrap();
    let mut aliased = one[..36].to_vec();
    put_u32(&mut aliased, 20, 2);
    put_u32(&mut aliased, 24, 2);
    put_u32(&mut aliased, 32, 2);
    let entry_end = first_entry_end(&one);
    aliased.extend_from_slice(&one[36..entry_end]);
    while aliased.len() % 4 != 0 {
        aliased.push(0);
    }
    aliased.extend_from_slice(&one[36..entry_end]);
    while aliased.len() % 4 != 0 {
        aliased.push(0);
    }
    aliased.extend_from_slice(&one[(entry_end + 3) & !3..]);
    let parsed = LookupResponse::parse(&aliased).unwrap();
    assert_eq!(parsed.entries.len(), 2);
    assert_eq!(parsed.entries[0].tower, parsed.entries[1].tower);
}

fn first_entry_end(stub: &[u8]) -> usize {
    let count = u32::from_le_bytes(stub[60..64].try_into().unwrap()) as usize;
    64 + count
}

// ---- servers that never end the list -------------------------------------------------

/// An answer with a live handle made from `handle_seed` and `entries` entries of the Samba
/// map, each made distinct by an object UUID from `round` so that every answer brings new
/// ones.
fn endless_answer(handle_seed: u8, round: u8, entries: usize) -> Vec<u8> {
    let response = LookupResponse::parse(&full_lookup_stub()).unwrap();
    LookupResponse {
        handle: ContextHandle {
            attributes: 0,
            uuid: Uuid([handle_seed | 1; 16]),
        },
        entries: response
            .entries
            .into_iter()
            .take(entries)
            .map(|mut entry| {
                entry.object.0[0] = round;
                entry
            })
            .collect(),
        status: 0,
    }
    .emit()
    .unwrap()
}

#[test]
fn a_handle_that_never_goes_null_hits_the_round_limit() {
    // Every answer brings one new entry under a new handle: only the round cap stops it.
    let mut lookup = Lookup::new(LookupLimits::default());
    let mut calls = 0;
    while lookup.next_stub().is_some() {
        lookup
            .consume(&endless_answer(calls as u8, calls as u8, 1))
            .unwrap();
        calls += 1;
        assert!(calls <= 1000, "the state machine did not stop");
    }
    assert_eq!(calls, LookupLimits::default().max_rounds);
    assert_eq!(lookup.end(), Some(LookupEnd::RoundLimit));
    assert!(!lookup.end().unwrap().is_complete());
    assert_eq!(lookup.entries().len(), 32);
}

#[test]
fn empty_batches_with_a_live_handle_stop_at_once() {
    let mut empty = Lookup::new(LookupLimits::default());
    while empty.next_stub().is_some() {
        empty.consume(&endless_answer(7, 0, 0)).unwrap();
        assert!(empty.rounds() <= 32);
    }
    assert_eq!(empty.rounds(), 1);
    assert_eq!(empty.end(), Some(LookupEnd::NoProgress));
    assert!(!empty.end().unwrap().is_complete());
}

#[test]
fn the_same_handle_and_entries_twice_is_a_repeating_mapper() {
    let mut lookup = Lookup::new(LookupLimits::default());
    while lookup.next_stub().is_some() {
        lookup.consume(&endless_answer(5, 0, 3)).unwrap();
        assert!(lookup.rounds() <= 32);
    }
    assert_eq!(lookup.rounds(), 2);
    assert_eq!(lookup.end(), Some(LookupEnd::Repeating));
    assert!(!lookup.end().unwrap().is_complete());
    assert_eq!(
        lookup.entries().len(),
        3,
        "the repeated entries are kept once"
    );
    assert_eq!(lookup.duplicates(), 3);
    assert!(lookup.to_string().contains("repeated its last answer"));
}

#[test]
fn the_same_entries_under_new_handles_stop_when_calls_outnumber_entries() {
    let mut lookup = Lookup::new(LookupLimits::default());
    let mut round = 0u8;
    while lookup.next_stub().is_some() {
        lookup
            .consume(&endless_answer(round.wrapping_mul(2), 0, 2))
            .unwrap();
        round += 1;
        assert!(round <= 32);
    }
    assert_eq!(lookup.rounds(), 3);
    assert_eq!(lookup.end(), Some(LookupEnd::NoProgress));
    assert_eq!(lookup.entries().len(), 2);
    assert_eq!(lookup.duplicates(), 4);
}

#[test]
fn the_entry_limit_stops_early() {
    let mut lookup = Lookup::new(LookupLimits {
        max_entries: 60,
        ..LookupLimits::default()
    });
    lookup.consume(&endless_answer(1, 1, 53)).unwrap();
    assert_eq!(lookup.end(), None);
    lookup.consume(&endless_answer(2, 2, 53)).unwrap();
    assert_eq!(lookup.end(), Some(LookupEnd::EntryLimit));
    assert_eq!(lookup.entries().len(), 60);
    assert_eq!(lookup.into_entries().len(), 60);
}

#[test]
fn windows_style_null_handle_and_other_endings() {
    // Windows: the last batch carries a null handle.
    let mut windows = Lookup::new(LookupLimits::default());
    let mut last = LookupResponse::parse(&full_lookup_stub()).unwrap();
    last.handle = ContextHandle::NULL;
    windows.consume(&last.emit().unwrap()).unwrap();
    assert_eq!(windows.end(), Some(LookupEnd::NullHandle));
    assert_eq!(windows.entries().len(), 53);

    // Nothing registered at all.
    let mut empty = Lookup::new(LookupLimits::default());
    empty.consume(&stub_of(LOOKUP_END)).unwrap();
    assert_eq!(empty.end(), Some(LookupEnd::Empty));
    assert_eq!(
        empty.to_string(),
        "EPM: 0 entries in 1 calls, endpoint map is empty"
    );

    // Any other status stops, keeping what came before.
    let mut refused = Lookup::new(LookupLimits::default());
    refused.consume(&endless_answer(3, 3, 2)).unwrap();
    let denied = LookupResponse {
        handle: ContextHandle::NULL,
        entries: vec![],
        status: 5,
    };
    refused.consume(&denied.emit().unwrap()).unwrap();
    assert_eq!(refused.end(), Some(LookupEnd::Status(5)));
    assert_eq!(refused.entries().len(), 2);
    assert!(refused.to_string().contains("access denied (0x00000005)"));

    // A stub that does not parse changes nothing.
    let mut broken = Lookup::new(LookupLimits::default());
    assert!(broken.consume(&[0; 10]).is_err());
    assert_eq!(broken.rounds(), 0);
    assert!(broken.next_stub().is_some());
}

proptest! {
    #[test]
    fn mutated_samba_stub_never_panics(edits in proptest::collection::vec((0usize..6684, any::<u8>()), 1..8), cut in 0usize..6700) {
        let mut stub = full_lookup_stub();
        for (at, value) in edits {
            if let Some(byte) = stub.get_mut(at) {
                *byte = value;
            }
        }
        stub.truncate(cut);
        if let Ok(response) = LookupResponse::parse(&stub) {
            prop_assert!(response.entries.len() <= 500);
            for entry in &response.entries {
                let _ = entry.describe("10.201.0.2");
            }
        }
        let _ = MapResponse::parse(&stub);
    }

    #[test]
    fn arbitrary_stubs_never_panic(stub in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = LookupResponse::parse(&stub).map(|r| r.to_string());
        let _ = MapResponse::parse(&stub).map(|r| r.to_string());
        let mut lookup = Lookup::new(LookupLimits::default());
        let _ = lookup.consume(&stub);
        let _ = Reassembler::new(0).push(&stub);
    }

    #[test]
    fn lookup_response_round_trips(
        handle in any::<[u8; 16]>(), status in any::<u32>(),
        entries in proptest::collection::vec(
            (any::<[u8; 16]>(), proptest::option::of(proptest::collection::vec(any::<u8>(), 0..80)), "[ -~]{0,63}"),
            0..20,
        ),
    ) {
        let response = LookupResponse {
            handle: ContextHandle { attributes: 0, uuid: Uuid(handle) },
            entries: entries
                .into_iter()
                .map(|(object, tower, annotation)| EptEntry { object: Uuid(object), tower, annotation })
                .collect(),
            status,
        };
        let parsed = LookupResponse::parse(&response.emit().unwrap()).unwrap();
        prop_assert_eq!(parsed, response);
    }

    #[test]
    fn any_fragmentation_reassembles(sizes in proptest::collection::vec(8usize..2000, 1..6)) {
        let stub = full_lookup_stub();
        let pdus = fragments(&stub, &sizes, 3);
        let outcome = reassemble(3, pdus.iter().map(Vec::as_slice)).unwrap();
        prop_assert_eq!(outcome, CallOutcome::Response(stub));
    }
}
