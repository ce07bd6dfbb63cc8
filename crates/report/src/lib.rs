//! Saved results and the views built from them: the one home for reading what `portolan
//! check`, `scan` and `audit` wrote (JSON documents and JSON Lines), merging runs from many
//! vantage points into one matrix, and the self-contained HTML report.
//!
//! ```
//! use portolan_report::{Matrix, Results};
//!
//! let mut results = Results::default();
//! let line = r#"{"vantage":"dmz","host":"dc1","address":"10.0.0.5","transport":"tcp","port":445,"status":"FILTERED"}"#;
//! results.add_text("dmz.jsonl", "dmz", line).unwrap();
//! let line = r#"{"vantage":"lan","host":"dc1","address":"10.0.0.5","transport":"tcp","port":445,"status":"LISTENING"}"#;
//! results.add_text("lan.jsonl", "lan", line).unwrap();
//! let matrix = Matrix::new(&results);
//! assert!(!matrix.all_agree());
//! let page = portolan_report::html::render(&results);
//! assert!(page.contains("dc1"));
//! ```

pub mod caveat;
mod error;
pub mod html;
mod matrix;
pub mod merge;
mod model;
mod read;

pub use error::{ReadError, Skipped};
pub use matrix::{Agreement, Matrix, MatrixHost, MatrixRow, MatrixSummary};
pub use merge::MergeReport;
pub use read::{
    AuditHost, ExpectedPort, MapperGap, Observation, PortKey, Results, SourceFile, Transport,
    Unchecked, UnexpectedPort, default_vantage,
};
