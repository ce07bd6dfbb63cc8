//! Fuzzes the reader of saved results (check, scan and audit JSON and JSON Lines), then builds
//! every view of what it read: the merged matrix, merge's JSON and the HTML report. Whatever
//! the bytes, errors name a line of the input, and the page holds only its own one script.
//! The lenient read (audit's) keeps at least what the strict read keeps, and every record it
//! skips names a line of the input.
#![no_main]

use portolan_report::{Matrix, MergeReport, ReadError, Results, html};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let lines = 1 + data.iter().filter(|&&b| b == b'\n').count();
    let mut results = Results::default();
    match results.add_bytes("fuzz.jsonl", "fuzz", data) {
        Err(ReadError::Malformed { line, .. } | ReadError::Truncated { line, .. }) => {
            assert!((1..=lines).contains(&line), "line {line} of {lines}");
        }
        Err(ReadError::Io { .. }) => unreachable!("no file is opened"),
        Ok(()) => {
            let matrix = Matrix::new(&results);
            assert_eq!(
                matrix
                    .rows
                    .iter()
                    .map(|r| r.cells.iter().flatten().count())
                    .sum::<usize>()
                    + matrix.duplicates,
                results.observations.len()
            );
            let merged = MergeReport::new(&matrix);
            let _ = serde_json::to_string(&merged.json()).expect("the merge encodes");
            let page = html::render(&results);
            assert_eq!(page.matches("<script").count(), 1, "input became markup");
            assert_eq!(page.matches("</script").count(), 1, "input became markup");
        }
    }
    let mut lenient = Results::default();
    if lenient
        .add_bytes_lenient("fuzz.jsonl", "fuzz", data)
        .is_ok()
    {
        assert!(lenient.observations.len() >= results.observations.len());
        for skipped in &lenient.skipped {
            let line = skipped.line;
            assert!(
                (1..=lines).contains(&line),
                "skipped line {line} of {lines}"
            );
        }
    }
});
