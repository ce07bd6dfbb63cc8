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
