//! `merge`: the matrix as a table, Markdown or JSON, differences first.

use portolan_core::Verdict;
use portolan_output::{Grid, GridCell, Tone};
use serde::Serialize;

use crate::matrix::{Agreement, Matrix, MatrixRow, MatrixSummary};

/// The tone of a verdict in tables.
pub fn tone(verdict: Option<Verdict>) -> Tone {
    match verdict {
        Some(Verdict::Listening) => Tone::Good,
        Some(Verdict::NotListening) => Tone::Bad,
        Some(Verdict::Filtered | Verdict::ListeningOrFiltered | Verdict::Error) => Tone::Warn,
        None => Tone::Dim,
    }
}

/// What a table shows for a port a vantage did not check.
pub const NOT_CHECKED: &str = "-";

/// The JSON document of `merge --format json` (docs/json.md, "Merged checks").
#[derive(Debug, Serialize)]
pub struct MergeJson<'a> {
    schema_version: u32,
    vantages: &'a [String],
    files: usize,
    summary: MatrixSummary,
    differences: Vec<RowJson<'a>>,
    rows: Vec<RowJson<'a>>,
    exit_code: u8,
}

#[derive(Debug, Serialize)]
struct RowJson<'a> {
    host: &'a str,
    address: &'a str,
    transport: &'static str,
    port: u16,
    agreement: Agreement,
    /// One per vantage, in `vantages` order; null where it did not check the port.
    verdicts: Vec<Option<&'static str>>,
}

/// The merged view, ready to render.
#[derive(Debug)]
pub struct MergeReport<'a> {
    matrix: &'a Matrix<'a>,
}

impl<'a> MergeReport<'a> {
    /// A view of the matrix.
    pub fn new(matrix: &'a Matrix<'a>) -> MergeReport<'a> {
        MergeReport { matrix }
    }

    /// 0 when every vantage agrees on every port, 1 otherwise (a difference or a gap).
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.matrix.all_agree())
    }

    fn row_json(&self, row: &'a MatrixRow) -> RowJson<'a> {
        let host = self.matrix.hosts.get(row.host);
        RowJson {
            host: host.map_or("", |h| h.name.as_str()),
            address: host.map_or("", |h| h.address.as_str()),
            transport: row.key.transport.as_str(),
            port: row.key.port,
            agreement: row.agreement,
            verdicts: row
                .cells
                .iter()
                .map(|&c| self.matrix.verdict(c).map(Verdict::as_str))
                .collect(),
        }
    }

    /// The JSON document.
    pub fn json(&self) -> MergeJson<'a> {
        MergeJson {
            schema_version: 1,
            vantages: &self.matrix.vantages,
            files: self.matrix.results.sources.len(),
            summary: self.matrix.summary(),
            differences: self
                .matrix
                .disagreements()
                .into_iter()
                .map(|r| self.row_json(r))
                .collect(),
            rows: self.matrix.rows.iter().map(|r| self.row_json(r)).collect(),
            exit_code: self.exit_code(),
        }
    }

    fn grid_of<'r>(
        &self,
        rows: impl IntoIterator<Item = &'r MatrixRow>,
        with_agreement: bool,
    ) -> Grid {
        let mut headers = vec!["host".to_string(), "port".to_string()];
        headers.extend(self.matrix.vantages.iter().cloned());
        if with_agreement {
            headers.push("vantages".to_string());
        }
        let mut grid = Grid::new(headers);
        for row in rows {
            let host = self
                .matrix
                .hosts
                .get(row.host)
                .map_or(String::new(), |h| h.name.clone());
            let mut cells: Vec<GridCell> = vec![host.into(), row.key.to_string().into()];
            for &cell in &row.cells {
                let verdict = self.matrix.verdict(cell);
                cells.push(GridCell::toned(
                    verdict.map_or(NOT_CHECKED, Verdict::as_str),
                    tone(verdict),
                ));
            }
            if with_agreement {
                let tone = match row.agreement {
                    Agreement::Differ => Tone::Bad,
                    Agreement::Gap => Tone::Warn,
                    Agreement::Agree => Tone::Good,
                };
                cells.push(GridCell::toned(row.agreement.as_str(), tone));
            }
            grid.rows.push(cells);
        }
        grid
    }

    /// The summary line.
    pub fn summary_line(&self) -> String {
        let s = self.matrix.summary();
        let mut line = format!(
            "{} file(s), {} vantage(s), {} host(s), {} port(s): {} of {} host-port rows agree, {} differ, {} not checked from every vantage",
            self.matrix.results.sources.len(),
            self.matrix.vantages.len(),
            s.hosts,
            s.ports,
            s.agree,
            s.rows,
            s.differ,
            s.gaps
        );
        if s.duplicates > 0 {
            line.push_str(&format!(
                "; {} repeated result(s) ignored (the first of each kept)",
                s.duplicates
            ));
        }
        line
    }

    /// The rows where vantages disagree (differences, then gaps).
    pub fn differences_grid(&self) -> Grid {
        let mut grid = self.grid_of(self.matrix.disagreements(), true);
        grid.notes.push(format!(
            "differ: two vantages see the port differently; gap: a vantage did not check it ({NOT_CHECKED})"
        ));
        grid
    }

    /// Every row.
    pub fn matrix_grid(&self) -> Grid {
        let mut grid = self.grid_of(&self.matrix.rows, self.matrix.vantages.len() > 1);
        grid.notes.push(self.summary_line());
        grid
    }

    /// Whether there is anything to put in the differences grid.
    pub fn has_differences(&self) -> bool {
        !self.matrix.all_agree()
    }
}
