//! Fidelity of the layer for today's Windows: every row of every per-service table of KB 832017
//! and every row of its port-sorted table is reproduced by the layer over the seed (at some
//! Windows version), or is explained by an erratum of `kb832017-errata.toml` that names the row.
//!
//! KB 832017 is read from the project's copy (`tests/data/kb832017.md`, CC BY 4.0, see
//! `tests/data/README.md`) and parsed here independently of the layer's data.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on what it sets up

use std::collections::{BTreeSet, HashSet};

use portolan_catalog::{
    Catalog, KbErratumKind, Modern, PortSpec, Transport, VersionRow, WindowsVersion,
};

const KB: &str = include_str!("../../../tests/data/kb832017.md");
const KB179442: &str = include_str!("../../../tests/data/kb179442.md");
const PORT_TABLE: &str = "Ports and protocols";

/// A table row as printed: its cells, trimmed.
#[derive(Debug, Clone)]
struct Printed {
    cells: Vec<String>,
}

impl Printed {
    /// The cells joined by `|`, the way errata name rows.
    fn text(&self) -> String {
        self.cells.join("|")
    }
}

#[derive(Debug)]
struct Section {
    /// Heading, with ` / caption` when the section has captioned tables.
    key: String,
    service_names: Vec<String>,
    rows: Vec<Printed>,
}

struct Kb {
    sections: Vec<Section>,
    table: Vec<Printed>,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

fn is_separator(line: &str) -> bool {
    line.trim().starts_with("|---") || line.trim().starts_with("| ---")
}

/// Removes markup: bold, code, footnote marks.
fn plain(text: &str) -> String {
    let mut s = text.replace("**", "").replace('`', "");
    for mark in ['¹', '²'] {
        s = s.replace(mark, "");
    }
    while let Some(start) = s.find("<sup>") {
        match s[start..].find("</sup>") {
            Some(end) => s.replace_range(start..start + end + "</sup>".len(), ""),
            None => break,
        }
    }
    s.trim().to_string()
}

/// Drops parenthesised remarks: `3343 (This port is required ...)`, `(note 6)`.
fn without_remarks(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Drops ISA/TMG's `(note 6)` remarks from an application protocol, keeping other
/// parentheses (`GRE (IP protocol 47)`).
fn without_notes(text: &str) -> String {
    match text.find(" (note") {
        Some(at) => text[..at].trim().to_string(),
        None => text.to_string(),
    }
}

fn parse_kb() -> Kb {
    let lines: Vec<&str> = KB.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "## System services ports")
        .expect("section list");
    let table_at = lines
        .iter()
        .position(|l| *l == "## Ports and protocols")
        .expect("port table");
    let mut sections: Vec<Section> = Vec::new();
    let mut heading = String::new();
    let mut names: Vec<String> = Vec::new();
    let mut i = start + 1;
    while i < table_at {
        let line = lines[i];
        if let Some(h) = line.strip_prefix("### ") {
            heading = h.trim().to_string();
            names = Vec::new();
            i += 1;
            continue;
        }
        if let Some(rest) = line
            .strip_prefix("System service names:")
            .or_else(|| line.strip_prefix("System service name:"))
        {
            names = plain(rest).split(", ").map(str::to_string).collect();
        }
        if line.starts_with('|') && i + 1 < table_at && is_separator(lines[i + 1]) {
            // A caption is the last non-blank line before the table when it is a short label.
            let caption = lines[..i]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim())
                .filter(|l| {
                    !l.starts_with('#')
                        && !l.starts_with("System service")
                        && !l.ends_with('.')
                        && !l.ends_with(':')
                        && l.len() < 40
                });
            let key = match caption {
                Some(c) => format!("{heading} / {c}"),
                None => heading.clone(),
            };
            let mut rows = Vec::new();
            let mut j = i + 2;
            while j < table_at && lines[j].starts_with('|') {
                // A row with its last cell left out (`|ICMP (ping)|ICMP|`) has it empty.
                let mut c = cells(lines[j]);
                c.resize(c.len().max(3), String::new());
                rows.push(Printed { cells: c });
                j += 1;
            }
            sections.push(Section {
                key,
                service_names: names.clone(),
                rows,
            });
            i = j;
            continue;
        }
        i += 1;
    }
    let header = lines[table_at..]
        .iter()
        .position(|l| l.starts_with("|Port|Protocol|Application protocol|"))
        .expect("port table header")
        + table_at;
    let table = lines[header + 2..]
        .iter()
        .take_while(|l| l.starts_with('|'))
        .map(|l| Printed { cells: cells(l) })
        .collect();
    Kb { sections, table }
}

/// A port as the document prints one piece of a port cell.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KbPort {
    None,
    Single(u16),
    Range(u16, u16),
    /// "random port number between A - B": the dynamic range, or that range.
    Random(u16, u16),
}

fn numbers(text: &str) -> Vec<u16> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Reads one piece of a port cell; `None` when the piece is not a port the test understands.
fn kb_port(piece: &str) -> Option<KbPort> {
    let p = without_remarks(&plain(piece));
    let lower = p.to_ascii_lowercase();
    if lower == "n/a" || lower == "no port number" || lower == "echo port" || lower.is_empty() {
        return Some(KbPort::None);
    }
    if let Some(rest) = lower.strip_prefix("random port number between ") {
        return match numbers(rest)[..] {
            [a, b] => Some(KbPort::Random(a, b)),
            _ => None,
        };
    }
    if p.bytes().all(|b| b.is_ascii_digit()) {
        return p.parse().ok().map(KbPort::Single);
    }
    let compact: String = p.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some((a, b)) = compact.split_once('-') {
        if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
            return Some(KbPort::Range(a, b));
        }
    }
    None
}

/// The transports a protocol cell stands for; `None` when the cell is not understood.
fn kb_transports(cell: &str, app: &str) -> Option<Vec<Transport>> {
    let p = plain(cell);
    let t = match p.as_str() {
        "TCP" => vec![Transport::Tcp],
        "UDP" | "UDP and DTLS" => vec![Transport::Udp],
        "TCP + UDP" | "TCP/UDP" => vec![Transport::Tcp, Transport::Udp],
        "ICMP" => vec![Transport::Ip(1)],
        "GRE" => vec![Transport::Ip(47)],
        "ESP" => vec![Transport::Ip(50)],
        "AH" => vec![Transport::Ip(51)],
        "" if app.starts_with("ICMP") => vec![Transport::Ip(1)],
        _ => return None,
    };
    Some(t)
}

/// One reading of a printed row: application protocol, transport, port.
#[derive(Debug, Clone)]
struct Reading {
    app: String,
    transport: Transport,
    port: KbPort,
}

/// Every (app, transport, port) a printed row stands for; `None` when a cell is not
/// understood (such rows must be errata).
fn readings(app: &str, protocol: &str, ports: &str) -> Option<Vec<Reading>> {
    let app = without_notes(&plain(app));
    let transports = kb_transports(protocol, &app)?;
    let mut out = Vec::new();
    let pieces: Vec<String> = ports
        .split("<br/>")
        .flat_map(|p| {
            without_remarks(&plain(p))
                .split(", ")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    for piece in &pieces {
        let port = kb_port(piece)?;
        for &transport in &transports {
            let has_ports = transport.has_ports();
            if has_ports == (port == KbPort::None) {
                return None;
            }
            out.push(Reading {
                app: app.clone(),
                transport,
                port: port.clone(),
            });
        }
    }
    Some(out)
}

fn reproduces(modern: &Modern, v: WindowsVersion, row: &VersionRow, r: &Reading) -> bool {
    let named = row.app.eq_ignore_ascii_case(&r.app)
        || row.aka.iter().any(|a| a.eq_ignore_ascii_case(&r.app));
    if !named || row.transport != r.transport {
        return false;
    }
    match (&r.port, row.port) {
        (KbPort::None, None) => true,
        (KbPort::Single(p), Some(PortSpec::Single(q))) => *p == q,
        (KbPort::Range(a, b) | KbPort::Random(a, b), Some(PortSpec::Range(c, d))) => {
            (*a, *b) == (c, d)
        }
        // The document writes the dynamic range both as a range and as "random port number
        // between": either is reproduced by a dynamic spec standing for that range then.
        (KbPort::Range(a, b) | KbPort::Random(a, b), Some(spec)) if spec.is_dynamic() => {
            modern.dynamic_range(spec, v) == Some((*a, *b))
        }
        _ => false,
    }
}

/// How a reading is reproduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// By a row of one of the services at 2008 or later: the document's era.
    Current,
    /// Only by the seed's 2003 view, and the layer ends that row or service after 2003: a
    /// decision the layer records (moved, dropped, re-owned).
    EndedByTheLayer,
    /// Not at all, or only in 2003 with nothing in the layer ending it.
    Missing,
}

fn reproduced(seed: &Catalog, modern: &Modern, services: &[String], r: &Reading) -> Verdict {
    let at = |v: WindowsVersion| {
        services.iter().any(|id| {
            modern
                .service_rows(seed, id, v)
                .iter()
                .any(|row| reproduces(modern, v, row, r))
        })
    };
    if WindowsVersion::ALL[1..].iter().any(|&v| at(v)) {
        return Verdict::Current;
    }
    let ended = services.iter().any(|id| {
        modern.service(id).is_some_and(|s| {
            s.until == Some(WindowsVersion::W2003)
                || s.rows.iter().any(|row| {
                    row.seed_row.is_some()
                        && row.until == Some(WindowsVersion::W2003)
                        && row.transport == r.transport
                })
        })
    });
    if ended && at(WindowsVersion::W2003) {
        Verdict::EndedByTheLayer
    } else {
        Verdict::Missing
    }
}

/// How the rows of one KB table came out: reproduced today, ended by the layer after 2003,
/// explained by an erratum, or problems.
#[derive(Default)]
struct Tally {
    current: usize,
    ended: usize,
    errata_rows: usize,
    problems: Vec<String>,
}

impl Tally {
    /// Counts a row whose readings are all reproduced (today, or only in 2003 and ended by the
    /// layer after); otherwise returns the readings that are missing, for the caller to report.
    fn judge(
        &mut self,
        seed: &Catalog,
        modern: &Modern,
        ids: &[String],
        readings: &[Reading],
    ) -> Result<(), String> {
        let verdicts: Vec<Verdict> = readings
            .iter()
            .map(|r| reproduced(seed, modern, ids, r))
            .collect();
        let missing: Vec<String> = readings
            .iter()
            .zip(&verdicts)
            .filter(|(_, v)| **v == Verdict::Missing)
            .map(|(r, _)| format!("{} {} {:?}", r.app, r.transport, r.port))
            .collect();
        if !missing.is_empty() {
            return Err(missing.join("; "));
        }
        if verdicts.contains(&Verdict::EndedByTheLayer) {
            self.ended += 1;
        } else {
            self.current += 1;
        }
        Ok(())
    }

    /// Fails on any problem, prints the counts of `table`, and checks that they add up to its
    /// `rows`.
    fn finish(self, table: &str, rows: usize) {
        let Tally {
            current,
            ended,
            errata_rows,
            problems,
        } = self;
        assert!(
            problems.is_empty(),
            "{} problems:\n{}",
            problems.len(),
            problems.join("\n")
        );
        eprintln!(
            "{table}: {current} rows reproduced today, {ended} ended by the layer after 2003, \
             {errata_rows} explained by errata"
        );
        assert_eq!(current + ended + errata_rows, rows);
    }
}

fn explained(modern: &Modern, section: &str, row: &Printed) -> bool {
    let text = row.text();
    modern
        .errata()
        .iter()
        .filter(|e| e.kind != KbErratumKind::Order)
        .any(|e| e.rows.iter().any(|r| r.section == section && r.row == text))
}

fn load() -> (Catalog, Modern) {
    let seed = Catalog::builtin().unwrap();
    let modern = Modern::builtin(&seed).unwrap();
    (seed, modern)
}

/// The layer services whose `kb_section` is this section.
fn section_services(modern: &Modern, key: &str) -> Vec<String> {
    modern
        .services()
        .iter()
        .filter(|s| s.kb_section.as_deref() == Some(key))
        .map(|s| s.id.clone())
        .collect()
}

/// The services the port table's fourth column names: layer services by `kb_table_names` or
/// name, seed services with no layer entry by their table name.
fn table_services(seed: &Catalog, modern: &Modern, name: &str) -> Vec<String> {
    let name = plain(name);
    let mut ids: Vec<String> = modern
        .services()
        .iter()
        .filter(|s| s.name == name || s.kb_table_names.contains(&name))
        .map(|s| s.id.clone())
        .collect();
    ids.extend(
        seed.services()
            .iter()
            .filter(|s| modern.service(&s.id).is_none() && s.table_name() == name)
            .map(|s| s.id.clone()),
    );
    ids
}

#[test]
fn kb832017_parses_into_its_sections_and_its_port_table() {
    let kb = parse_kb();
    assert_eq!(kb.sections.len(), 58, "tables in the section list");
    assert_eq!(kb.table.len(), 183, "rows of the port table");
    let rows: usize = kb.sections.iter().map(|s| s.rows.len()).sum();
    assert_eq!(rows, 201, "rows of the section tables");
    assert!(
        kb.sections
            .iter()
            .any(|s| s.key == "Hyper-V service / Hyper-V replica")
    );
    assert!(
        kb.sections
            .iter()
            .all(|s| s.rows.iter().all(|r| r.cells.len() == 3))
    );
    assert!(kb.table.iter().all(|r| r.cells.len() == 4));
}

#[test]
fn every_section_is_one_layer_service_or_more_and_names_match() {
    let (_, modern) = load();
    let kb = parse_kb();
    let mut problems = Vec::new();
    for section in &kb.sections {
        let ids = section_services(&modern, &section.key);
        if ids.is_empty() {
            problems.push(format!(
                "no layer service has kb_section = {:?}",
                section.key
            ));
            continue;
        }
        for id in &ids {
            let s = modern.service(id).unwrap();
            let mut names: Vec<String> = s.windows_service.iter().cloned().collect();
            names.extend(s.also_windows_services.iter().cloned());
            let printed = &section.service_names;
            let named_by_erratum = s.errata.iter().any(|e| {
                let e = modern.erratum(e).unwrap();
                printed
                    .iter()
                    .all(|p| e.quotes.iter().any(|q| q.contains(p.as_str())))
            });
            // Windows service names are case-insensitive (`kdc` is `Kdc`).
            let same = printed.len() == names.len()
                && printed
                    .iter()
                    .zip(&names)
                    .all(|(p, n)| p.eq_ignore_ascii_case(n));
            if !printed.is_empty() && !same && !named_by_erratum {
                problems.push(format!(
                    "{}: KB prints {printed:?}, layer has {names:?}",
                    section.key
                ));
            }
        }
    }
    let keys: HashSet<&str> = kb.sections.iter().map(|s| s.key.as_str()).collect();
    for s in modern.services() {
        if let Some(k) = &s.kb_section {
            if !keys.contains(k.as_str()) && !s.rows.iter().all(|r| r.from_prose) {
                problems.push(format!(
                    "{}: kb_section {k:?} is not a table of KB 832017",
                    s.id
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_row_of_every_section_is_reproduced_or_an_erratum() {
    let (seed, modern) = load();
    let kb = parse_kb();
    let mut tally = Tally::default();
    for section in &kb.sections {
        let ids = section_services(&modern, &section.key);
        for row in &section.rows {
            if explained(&modern, &section.key, row) {
                tally.errata_rows += 1;
                continue;
            }
            let Some(readings) = readings(&row.cells[0], &row.cells[1], &row.cells[2]) else {
                tally.problems.push(format!(
                    "{}: `{}` is not understood and no erratum names it",
                    section.key,
                    row.text()
                ));
                continue;
            };
            if let Err(missing) = tally.judge(&seed, &modern, &ids, &readings) {
                tally.problems.push(format!(
                    "{} ({}): `{}` is not reproduced: {missing}",
                    section.key,
                    ids.join(", "),
                    row.text(),
                ));
            }
        }
    }
    tally.finish("sections", 201);
}

#[test]
fn every_row_of_the_port_table_is_reproduced_or_an_erratum() {
    let (seed, modern) = load();
    let kb = parse_kb();
    let mut tally = Tally::default();
    for row in &kb.table {
        if explained(&modern, PORT_TABLE, row) {
            tally.errata_rows += 1;
            continue;
        }
        let ids = table_services(&seed, &modern, &row.cells[3]);
        if ids.is_empty() {
            tally.problems.push(format!(
                "`{}`: no service is called {:?}",
                row.text(),
                row.cells[3]
            ));
            continue;
        }
        let Some(readings) = readings(&row.cells[2], &row.cells[1], &row.cells[0]) else {
            tally.problems.push(format!(
                "`{}` is not understood and no erratum names it",
                row.text()
            ));
            continue;
        };
        if let Err(missing) = tally.judge(&seed, &modern, &ids, &readings) {
            tally.problems.push(format!(
                "({}): `{}` is not reproduced: {missing}",
                ids.join(", "),
                row.text(),
            ));
        }
    }
    tally.finish("port table", 183);
}

/// The first port of a port-table row, for ordering: IP protocols (`n/a`) first.
fn order_key(row: &Printed) -> Option<u32> {
    let p = plain(&row.cells[0]);
    if p == "n/a" {
        return Some(0);
    }
    numbers(&p).first().map(|&n| u32::from(n))
}

/// The rows outside the longest run of the port table in port order (a longest
/// non-decreasing subsequence; ties go to the earliest predecessor and the latest end).
fn out_of_order(table: &[Printed]) -> BTreeSet<String> {
    let keys: Vec<u32> = table
        .iter()
        .map(|r| order_key(r).expect("a port"))
        .collect();
    let n = keys.len();
    let mut len = vec![1usize; n];
    let mut pred: Vec<Option<usize>> = vec![None; n];
    for i in 0..n {
        for j in 0..i {
            if keys[j] <= keys[i] && len[j] + 1 > len[i] {
                len[i] = len[j] + 1;
                pred[i] = Some(j);
            }
        }
    }
    let best = len.iter().copied().max().unwrap_or(0);
    let mut at = (0..n).rev().find(|&i| len[i] == best);
    let mut keep = HashSet::new();
    while let Some(i) = at {
        keep.insert(i);
        at = pred[i];
    }
    (0..n)
        .filter(|i| !keep.contains(i))
        .map(|i| table[i].text())
        .collect()
}

#[test]
fn the_port_tables_disorder_is_an_erratum_row_by_row() {
    let (_, modern) = load();
    let kb = parse_kb();
    let order = modern
        .errata()
        .iter()
        .find(|e| e.kind == KbErratumKind::Order)
        .expect("an order erratum");
    let named: BTreeSet<String> = order
        .rows
        .iter()
        .filter(|r| r.section == PORT_TABLE)
        .map(|r| r.row.clone())
        .collect();
    assert_eq!(out_of_order(&kb.table), named, "rows out of port order");
}

#[test]
fn errata_quote_the_documents_and_name_real_rows() {
    let (seed, modern) = load();
    let kb = parse_kb();
    let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let kb_flat = flat(KB);
    let kb179442_flat = flat(KB179442);
    for e in modern.errata() {
        let doc = if e.document == "kb179442" {
            &kb179442_flat
        } else {
            &kb_flat
        };
        for q in &e.quotes {
            assert!(doc.contains(&flat(q)), "erratum {} quotes `{q}`", e.id);
        }
        for r in &e.rows {
            let exists = if r.section == PORT_TABLE {
                kb.table.iter().any(|t| t.text() == r.row)
            } else {
                kb.sections
                    .iter()
                    .any(|s| s.key == r.section && s.rows.iter().any(|t| t.text() == r.row))
            };
            assert!(
                exists,
                "erratum {} names `{}` in {:?}, which is not there",
                e.id, r.row, r.section
            );
        }
        for s in &e.services {
            assert!(
                modern.service(s).is_some() || seed.service(s).is_some(),
                "erratum {} names {s}",
                e.id
            );
        }
    }
}

#[test]
fn every_erratum_explains_rows_or_is_cited() {
    let (_, modern) = load();
    let cited: HashSet<&str> = modern
        .services()
        .iter()
        .flat_map(|s| s.errata.iter().chain(s.rows.iter().flat_map(|r| &r.errata)))
        .map(String::as_str)
        .collect();
    for e in modern.errata() {
        assert!(
            !e.rows.is_empty() || cited.contains(e.id.as_str()),
            "erratum {} explains no row and nothing cites it",
            e.id
        );
    }
}

#[test]
fn the_2003_view_is_exactly_the_seed() {
    let (seed, modern) = load();
    for s in seed.services() {
        let rows = modern.service_rows(&seed, &s.id, WindowsVersion::W2003);
        let got: Vec<(String, Transport, Option<PortSpec>)> = rows
            .iter()
            .map(|r| (r.app.clone(), r.transport, r.port))
            .collect();
        let want: Vec<(String, Transport, Option<PortSpec>)> = s
            .ports
            .iter()
            .map(|r| (r.app.clone(), r.transport, r.port))
            .collect();
        assert_eq!(got, want, "{}", s.id);
    }
    for s in modern.services().iter().filter(|s| s.seed.is_none()) {
        assert!(
            modern
                .service_rows(&seed, &s.id, WindowsVersion::W2003)
                .is_empty(),
            "{}",
            s.id
        );
    }
}

/// KB 179442's server ports for Windows Server 2008 and later are all answered by a domain
/// controller's services in the layer at 2022.
#[test]
fn kb179442_server_ports_are_in_the_layer() {
    let (seed, modern) = load();
    let dc = [
        "local-security-authority",
        "kerberos-kdc",
        "net-logon",
        "rpc",
        "dns-server",
        "windows-time",
        "server",
        "file-replication",
        "dfs-replication",
    ];
    let lines: Vec<&str> = KB179442.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("### Windows Server 2008 and later"))
        .unwrap();
    let mut checked = 0;
    for line in lines[start..]
        .iter()
        .skip_while(|l| !l.starts_with("|Client Port"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
    {
        let c = cells(line);
        let server = &c[1];
        let (ports, transports) = server.split_once('/').unwrap();
        let wanted: Vec<Transport> = transports.split('/').map(|t| t.parse().unwrap()).collect();
        let (first, last) = match ports.split_once('-') {
            Some((a, b)) => (a.parse::<u16>().unwrap(), b.parse::<u16>().unwrap()),
            None => {
                let p = ports.parse::<u16>().unwrap();
                (p, p)
            }
        };
        for t in wanted {
            let found = dc.iter().any(|id| {
                modern
                    .service_rows(&seed, id, WindowsVersion::W2022)
                    .iter()
                    .any(|r| {
                        r.transport == t
                            && match r.port {
                                Some(PortSpec::Single(p)) => (p, p) == (first, last),
                                Some(spec) if spec.is_dynamic() => {
                                    modern.dynamic_range(spec, WindowsVersion::W2022)
                                        == Some((first, last))
                                }
                                _ => false,
                            }
                    })
            });
            assert!(
                found,
                "KB 179442 `{line}`: {t} {first}-{last} is not a DC port in 2022"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 17);
}
