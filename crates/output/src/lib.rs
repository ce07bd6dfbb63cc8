//! Rendering of portolan's results: terminal tables, JSON records, CSV, Markdown, XLSX, JUnit
//! XML, TAP and the services(5) format.
//!
//! Commands turn their results into a [`Grid`] (for tabular formats) or into the serde records
//! of [`catalog`] (for JSON); this crate owns how each format looks, so every command renders
//! the same way.
//!
//! ```
//! use portolan_output::Grid;
//! let mut grid = Grid::new(["Port", "Service"]);
//! grid.push(["445", "Server"]);
//! assert_eq!(grid.to_csv(), "Port,Service\n445,Server\n");
//! ```

pub mod catalog;
pub mod etc_services;
pub mod grid;
pub mod junit;
pub mod tap;
pub mod xlsx;
pub mod xml;

pub use grid::{Grid, GridCell, TerminalStyle, Tone};
