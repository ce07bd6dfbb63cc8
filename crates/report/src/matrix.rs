//! The vantage × host × port matrix: every result of every file in one place, and where the
//! vantages disagree.

use std::collections::HashMap;
use std::net::IpAddr;

use portolan_core::Verdict;

use crate::read::{Observation, PortKey, Results};

/// How the vantages' answers for one port of one host compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Agreement {
    /// Two vantages have different verdicts: the port is seen differently from different
    /// places (a firewall between them).
    Differ,
    /// The verdicts present agree, but some vantage did not check the port.
    Gap,
    /// Every vantage checked it and all agree.
    Agree,
}

impl Agreement {
    /// `differ`, `gap` or `agree`.
    pub fn as_str(self) -> &'static str {
        match self {
            Agreement::Differ => "differ",
            Agreement::Gap => "gap",
            Agreement::Agree => "agree",
        }
    }
}

/// A host of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixHost {
    /// The name the runs gave.
    pub name: String,
    /// The address first seen for it.
    pub address: String,
}

/// One port of one host: a verdict per vantage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixRow {
    /// Index into [`Matrix::hosts`].
    pub host: usize,
    /// Transport and port.
    pub key: PortKey,
    /// Index into [`Results::observations`] per vantage (in [`Matrix::vantages`] order);
    /// `None` where that vantage did not check the port.
    pub cells: Vec<Option<usize>>,
    /// How the vantages compare.
    pub agreement: Agreement,
}

/// The merged matrix.
#[derive(Debug, Clone)]
pub struct Matrix<'a> {
    /// What was read.
    pub results: &'a Results,
    /// Every vantage, sorted.
    pub vantages: Vec<String>,
    /// Every host, addresses in numeric order first, then names.
    pub hosts: Vec<MatrixHost>,
    /// Every port, TCP first.
    pub ports: Vec<PortKey>,
    /// Host by host, port by port.
    pub rows: Vec<MatrixRow>,
    /// Results of a port of a host seen again from the same vantage (overlapping files);
    /// the first is kept.
    pub duplicates: usize,
}

/// Counts of a matrix's rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MatrixSummary {
    /// Hosts.
    pub hosts: usize,
    /// Distinct ports.
    pub ports: usize,
    /// Host × port rows.
    pub rows: usize,
    /// Rows where every vantage agrees.
    pub agree: usize,
    /// Rows where vantages disagree.
    pub differ: usize,
    /// Rows some vantage did not check.
    pub gaps: usize,
    /// Repeated results ignored.
    pub duplicates: usize,
}

fn host_order(name: &str) -> (u8, Option<IpAddr>, &str) {
    match name.parse::<IpAddr>() {
        Ok(ip) => (0, Some(ip), name),
        Err(_) => (1, None, name),
    }
}

impl<'a> Matrix<'a> {
    /// Builds the matrix of every observation.
    pub fn new(results: &'a Results) -> Matrix<'a> {
        let vantages = results.vantages();
        let vantage_index: HashMap<&str, usize> = vantages
            .iter()
            .enumerate()
            .map(|(i, v)| (v.as_str(), i))
            .collect();
        let mut host_names: Vec<&str> = Vec::new();
        let mut host_address: HashMap<&str, &str> = HashMap::new();
        let mut cells: HashMap<(&str, PortKey), Vec<Option<usize>>> = HashMap::new();
        let mut duplicates = 0;
        for (i, o) in results.observations.iter().enumerate() {
            if !host_address.contains_key(o.host.as_str()) {
                host_address.insert(&o.host, &o.address);
                host_names.push(&o.host);
            }
            let row = cells
                .entry((o.host.as_str(), o.key))
                .or_insert_with(|| vec![None; vantages.len()]);
            if let Some(&v) = vantage_index.get(o.vantage.as_str()) {
                match row.get_mut(v) {
                    Some(slot @ None) => *slot = Some(i),
                    Some(Some(_)) => duplicates += 1,
                    None => {}
                }
            }
        }
        host_names.sort_by(|a, b| host_order(a).cmp(&host_order(b)));
        let host_index: HashMap<&str, usize> = host_names
            .iter()
            .enumerate()
            .map(|(i, h)| (*h, i))
            .collect();
        let mut ports: Vec<PortKey> = cells.keys().map(|(_, k)| *k).collect();
        ports.sort();
        ports.dedup();
        let mut rows: Vec<MatrixRow> = cells
            .into_iter()
            .filter_map(|((host, key), cells)| {
                let host = *host_index.get(host)?;
                let agreement = agreement(results, &cells);
                Some(MatrixRow {
                    host,
                    key,
                    cells,
                    agreement,
                })
            })
            .collect();
        rows.sort_by_key(|r| (r.host, r.key));
        let hosts = host_names
            .iter()
            .map(|h| MatrixHost {
                name: (*h).to_string(),
                address: host_address
                    .get(h)
                    .map(|a| (*a).to_string())
                    .unwrap_or_default(),
            })
            .collect();
        Matrix {
            results,
            vantages,
            hosts,
            ports,
            rows,
            duplicates,
        }
    }

    /// The observation of a cell.
    pub fn observation(&self, cell: Option<usize>) -> Option<&'a Observation> {
        cell.and_then(|i| self.results.observations.get(i))
    }

    /// The verdict of a cell.
    pub fn verdict(&self, cell: Option<usize>) -> Option<Verdict> {
        self.observation(cell).map(|o| o.verdict)
    }

    /// The counts.
    pub fn summary(&self) -> MatrixSummary {
        let count = |a: Agreement| self.rows.iter().filter(|r| r.agreement == a).count();
        MatrixSummary {
            hosts: self.hosts.len(),
            ports: self.ports.len(),
            rows: self.rows.len(),
            agree: count(Agreement::Agree),
            differ: count(Agreement::Differ),
            gaps: count(Agreement::Gap),
            duplicates: self.duplicates,
        }
    }

    /// True when every vantage checked every row and all agree.
    pub fn all_agree(&self) -> bool {
        self.rows.iter().all(|r| r.agreement == Agreement::Agree)
    }

    /// Rows that differ, then rows with gaps, each host by host.
    pub fn disagreements(&self) -> Vec<&MatrixRow> {
        let mut rows: Vec<&MatrixRow> = self
            .rows
            .iter()
            .filter(|r| r.agreement != Agreement::Agree)
            .collect();
        rows.sort_by_key(|r| (r.agreement, r.host, r.key));
        rows
    }
}

fn agreement(results: &Results, cells: &[Option<usize>]) -> Agreement {
    let verdicts: Vec<Verdict> = cells
        .iter()
        .flatten()
        .filter_map(|&i| results.observations.get(i))
        .map(|o| o.verdict)
        .collect();
    if verdicts.windows(2).any(|w| w[0] != w[1]) {
        Agreement::Differ
    } else if verdicts.len() < cells.len() {
        Agreement::Gap
    } else {
        Agreement::Agree
    }
}
