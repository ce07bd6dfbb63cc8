//! The HTML report: one self-contained page (inline CSS, a small inline script for sorting
//! and filtering), readable and printable without the script. Everything read from the
//! files is escaped: host names, banners and evidence come from the network.

use std::collections::BTreeMap;

use portolan_core::Verdict;

use crate::caveat::caveats;
use crate::matrix::{Agreement, Matrix, MatrixRow};
use crate::read::{AuditHost, Observation, PortKey, Results};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The short code of a verdict in the matrix and its CSS class.
pub fn code(verdict: Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::Listening => ("L", "L"),
        Verdict::NotListening => ("N", "N"),
        Verdict::Filtered => ("F", "F"),
        Verdict::ListeningOrFiltered => ("L/F", "LF"),
        Verdict::Error => ("E", "E"),
    }
}

fn meaning(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Listening => {
            "TCP: the handshake completed. UDP: the port answered the probe. Something listens and this vantage reaches it."
        }
        Verdict::NotListening => {
            "The host answered that nothing listens (a TCP reset, or ICMP port unreachable for UDP): reachable, but no service."
        }
        Verdict::Filtered => {
            "No answer to TCP, or an ICMP error other than port unreachable: a firewall on the way drops or rejects."
        }
        Verdict::ListeningOrFiltered => {
            "UDP without an answer: a service that ignores the probe and a firewall that drops it look the same."
        }
        Verdict::Error => {
            "The probe could not be sent from this machine (a local failure): nothing is known about the port."
        }
    }
}

/// The CSS class of an audit status.
fn audit_class(status: &str) -> &'static str {
    match status {
        "listening" | "listening-dynamic" => "L",
        "missing" | "loopback-only" => "N",
        "unconfirmed" => "LF",
        _ => "nc",
    }
}

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:2px 5px;text-align:left;vertical-align:top}
table.m td{text-align:center;min-width:1.6em;padding:1px 3px}
table.m thead th{font-weight:normal;font-size:.85em;white-space:nowrap}
th[data-sort]{cursor:pointer;text-decoration:underline dotted}
.L{background:#bfe8c0}.N{background:#f4b9b5}.F{background:#ffd08a}.LF{background:#fff0a0}.E{background:#d8c8ee}.nc{color:#888}
td.d,tr.d>th{outline:2px solid #b00;outline-offset:-2px}
.chip{display:inline-block;min-width:2.2em;text-align:center;border:1px solid #999;padding:0 3px}
.wrap{overflow-x:auto}
details{margin:.2em 0}summary{cursor:pointer}
.note{color:#555}.bad{color:#a00;font-weight:bold}
#controls{background:#f4f4f4;padding:.4em;border:1px solid #ddd}
@media print{#controls{display:none}body{margin:0;font-size:9pt}.wrap{overflow:visible}
.L,.N,.F,.LF,.E{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"#;

const SCRIPT: &str = r#"
(function(){
var c=document.getElementById('controls');
if(c){c.hidden=false;
var q=document.getElementById('q'),bad=document.getElementById('bad');
var apply=function(){var t=q.value.toLowerCase();
document.querySelectorAll('table.filterable tbody tr').forEach(function(r){
var h=(r.getAttribute('data-host')||'').toLowerCase();
r.hidden=!(h.indexOf(t)>=0&&(!bad.checked||r.getAttribute('data-bad')!=='0'));});};
q.addEventListener('input',apply);bad.addEventListener('change',apply);}
document.querySelectorAll('th[data-sort]').forEach(function(th){th.tabIndex=0;
th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0],k='data-'+th.getAttribute('data-sort');
var dir=th.getAttribute('data-dir')==='asc'?'desc':'asc';th.setAttribute('data-dir',dir);
var rows=Array.prototype.slice.call(tb.rows);rows.sort(function(a,b){
var x=a.getAttribute(k)||'',y=b.getAttribute(k)||'',nx=x===''?NaN:Number(x),ny=y===''?NaN:Number(y);
var r=(isNaN(nx)||isNaN(ny))?x.localeCompare(y,undefined,{numeric:true}):nx-ny;return dir==='asc'?r:-r;});
rows.forEach(function(r){tb.appendChild(r);});});});
window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});
})();
"#;

/// Renders the report of everything read.
pub fn render(results: &Results) -> String {
    let matrix = Matrix::new(results);
    let mut page = Page {
        out: String::with_capacity(64 * 1024),
        matrix: &matrix,
    };
    page.document();
    page.out
}

struct Page<'a> {
    out: String,
    matrix: &'a Matrix<'a>,
}

impl Page<'_> {
    fn push(&mut self, text: &str) {
        self.out.push_str(text);
    }

    fn document(&mut self) {
        self.push("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>portolan report</title>\n<style>");
        self.push(STYLE);
        self.push("</style></head><body>\n<h1>portolan report</h1>\n");
        self.sources();
        self.contents();
        self.legend();
        let results = self.matrix.results;
        if !results.observations.is_empty() {
            if self.matrix.vantages.len() > 1 {
                self.differences();
            }
            self.results_matrix();
            self.evidence();
            self.ports();
        }
        if !results.unchecked.is_empty() || !results.mapper_gaps.is_empty() {
            self.unchecked();
        }
        if !results.audits.is_empty() {
            self.audits();
        }
        self.caveats();
        self.push("<script>");
        self.push(SCRIPT);
        self.push("</script>\n</body></html>\n");
    }

    fn sources(&mut self) {
        let results = self.matrix.results;
        let s = self.matrix.summary();
        let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
        for o in &results.observations {
            *counts.entry(o.verdict).or_default() += 1;
        }
        self.push("<p id=\"summary\">");
        self.push(&format!(
            "{} file(s); {} result(s) of {} host(s) on {} port(s)",
            results.sources.len(),
            results.observations.len(),
            s.hosts,
            s.ports
        ));
        if !self.matrix.vantages.is_empty() {
            self.push(" from ");
            let names: Vec<String> = self
                .matrix
                .vantages
                .iter()
                .map(|v| format!("<b>{}</b>", escape(v)))
                .collect();
            self.push(&format!("{} vantage(s): {}", names.len(), names.join(", ")));
        }
        if !results.audits.is_empty() {
            self.push(&format!("; {} audited host(s)", results.audits.len()));
        }
        self.push(".</p>\n<p>");
        for (verdict, n) in &counts {
            let (code, class) = code(*verdict);
            self.push(&format!(
                "<span class=\"chip {class}\">{code}</span> {} {n} &nbsp; ",
                verdict.as_str()
            ));
        }
        if self.matrix.vantages.len() > 1 {
            self.push(&format!(
                "<br><span class=\"{}\">{} host-port row(s) differ between vantages</span>, {} not checked from every vantage, {} agree.",
                if s.differ > 0 { "bad" } else { "note" },
                s.differ,
                s.gaps,
                s.agree
            ));
        }
        self.push("</p>\n<details><summary>Files read</summary><ul>");
        for f in &results.sources {
            self.push(&format!(
                "<li>{}: {} result(s), {} audited host(s); results without a vantage are from <b>{}</b></li>",
                escape(&f.path),
                f.results,
                f.audits,
                escape(&f.default_vantage)
            ));
        }
        self.push("</ul></details>\n");
    }

    fn contents(&mut self) {
        let results = self.matrix.results;
        self.push("<nav><p>Contents: <a href=\"#legend\">legend</a>");
        if self.matrix.vantages.len() > 1 && !results.observations.is_empty() {
            self.push(" · <a href=\"#differences\">differences between vantages</a>");
        }
        if !results.observations.is_empty() {
            self.push(" · <a href=\"#matrix\">host × port matrix</a> · <a href=\"#evidence\">evidence</a> · <a href=\"#ports\">ports</a>");
        }
        if !results.unchecked.is_empty() || !results.mapper_gaps.is_empty() {
            self.push(" · <a href=\"#unchecked\">not checked</a>");
        }
        if !results.audits.is_empty() {
            self.push(" · <a href=\"#audit\">audit: missing and unexpected</a>");
        }
        self.push(" · <a href=\"#caveats\">caveats</a></p></nav>\n");
    }

    fn legend(&mut self) {
        self.push("<h2 id=\"legend\">Legend</h2>\n<table><tr><th>code</th><th>verdict</th><th>meaning</th></tr>\n");
        for verdict in Verdict::ALL {
            let (code, class) = code(verdict);
            self.push(&format!(
                "<tr><td class=\"{class}\">{code}</td><td>{}</td><td>{}</td></tr>\n",
                verdict.as_str(),
                meaning(verdict)
            ));
        }
        self.push("<tr><td class=\"nc\">·</td><td>not checked</td><td>This vantage has no result for the port.</td></tr>\n");
        if self.matrix.vantages.len() > 1 {
            self.push("<tr><td class=\"d\">X</td><td>differs</td><td>A red frame: the vantages see the port differently, as when a firewall between zones drops what another zone reaches.</td></tr>\n");
        }
        self.push("</table>\n");
    }

    fn host_name(&self, row: &MatrixRow) -> String {
        self.matrix
            .hosts
            .get(row.host)
            .map_or(String::new(), |h| h.name.clone())
    }

    fn differences(&mut self) {
        let rows = self.matrix.disagreements();
        self.push("<h2 id=\"differences\">Differences between vantages</h2>\n");
        if rows.is_empty() {
            self.push("<p>Every vantage checked every port and all agree.</p>\n");
            return;
        }
        self.push("<div class=\"wrap\"><table class=\"m\"><thead><tr><th>host</th><th>port</th>");
        for v in &self.matrix.vantages {
            self.push(&format!("<th>{}</th>", escape(v)));
        }
        self.push("<th>how</th></tr></thead><tbody>\n");
        for row in rows {
            let host = escape(&self.host_name(row));
            self.push(&format!(
                "<tr><th><a href=\"#h{}\">{host}</a></th><td>{}</td>",
                row.host, row.key
            ));
            for &cell in &row.cells {
                self.cell(cell, false);
            }
            self.push(&format!("<td>{}</td></tr>\n", row.agreement.as_str()));
        }
        self.push("</tbody></table></div>\n");
    }

    fn cell(&mut self, cell: Option<usize>, differs: bool) {
        let frame = if differs { " d" } else { "" };
        match self.matrix.verdict(cell) {
            Some(v) => {
                let (code, class) = code(v);
                self.push(&format!("<td class=\"{class}{frame}\">{code}</td>"));
            }
            None => self.push(&format!("<td class=\"nc{frame}\">·</td>")),
        }
    }

    fn results_matrix(&mut self) {
        let vantages = self.matrix.vantages.len();
        let merged = vantages > 1;
        self.push("<h2 id=\"matrix\">Host × port matrix</h2>\n");
        self.push("<div id=\"controls\" hidden><label>Filter hosts: <input id=\"q\" type=\"search\" placeholder=\"name or address\"></label> <label><input id=\"bad\" type=\"checkbox\"> only hosts with a port not LISTENING</label> · click an underlined header to sort</div>\n");
        if merged {
            self.push("<p class=\"note\">Each port has one column per vantage, in this order: ");
            let names: Vec<String> = self.matrix.vantages.iter().map(|v| escape(v)).collect();
            self.push(&names.join(", "));
            self.push(".</p>\n");
        }
        self.push("<div class=\"wrap\"><table class=\"m filterable\" id=\"results\"><thead><tr>");
        let span = if merged { " rowspan=\"2\"" } else { "" };
        self.push(&format!(
            "<th{span} data-sort=\"host\">host</th><th{span} data-sort=\"bad\">not L</th>"
        ));
        for key in &self.matrix.ports {
            if merged {
                self.push(&format!("<th colspan=\"{vantages}\">{key}</th>"));
            } else {
                self.push(&format!("<th>{key}</th>"));
            }
        }
        self.push("</tr>");
        if merged {
            self.push("<tr>");
            let names: Vec<String> = self.matrix.vantages.iter().map(|v| escape(v)).collect();
            for _ in &self.matrix.ports {
                for name in &names {
                    self.push(&format!("<th>{name}</th>"));
                }
            }
            self.push("</tr>");
        }
        self.push("</thead><tbody>\n");
        let rows = &self.matrix.rows;
        let mut start = 0;
        while start < rows.len() {
            let host = rows[start].host;
            let end = start + rows[start..].iter().take_while(|r| r.host == host).count();
            self.host_row(&rows[start..end]);
            start = end;
        }
        self.push("</tbody></table></div>\n");
    }

    fn host_row(&mut self, rows: &[MatrixRow]) {
        let Some(first) = rows.first() else { return };
        let name = escape(&self.host_name(first));
        let bad = rows
            .iter()
            .flat_map(|r| r.cells.iter())
            .filter(|&&c| {
                self.matrix
                    .verdict(c)
                    .is_some_and(|v| v != Verdict::Listening)
            })
            .count();
        let differs = rows.iter().any(|r| r.agreement == Agreement::Differ);
        self.push(&format!(
            "<tr data-host=\"{name}\" data-bad=\"{bad}\"{}><th><a href=\"#h{}\">{name}</a></th><td>{bad}</td>",
            if differs { " class=\"d\"" } else { "" },
            first.host
        ));
        let mut by_port = rows.iter().peekable();
        let vantages = self.matrix.vantages.len();
        for key in &self.matrix.ports {
            match by_port.peek() {
                Some(row) if row.key == *key => {
                    let differs = row.agreement == Agreement::Differ;
                    for &cell in &row.cells {
                        self.cell(cell, differs);
                    }
                    by_port.next();
                }
                _ => {
                    for _ in 0..vantages {
                        self.cell(None, false);
                    }
                }
            }
        }
        self.push("</tr>\n");
    }

    fn evidence(&mut self) {
        let merged = self.matrix.vantages.len() > 1;
        self.push("<h2 id=\"evidence\">Evidence</h2>\n<p class=\"note\">What was sent and what came back, per host; open a host to see it.</p>\n");
        let rows = &self.matrix.rows;
        let mut start = 0;
        while start < rows.len() {
            let host = rows[start].host;
            let end = start + rows[start..].iter().take_while(|r| r.host == host).count();
            let (name, address) = self
                .matrix
                .hosts
                .get(host)
                .map_or((String::new(), String::new()), |h| {
                    (h.name.clone(), h.address.clone())
                });
            let shown = if name == address {
                escape(&name)
            } else {
                format!("{} ({})", escape(&name), escape(&address))
            };
            self.push(&format!(
                "<details id=\"h{host}\"><summary>{shown}</summary><table><tr><th>port</th>{}<th>verdict</th><th>probe: answer</th><th>evidence, note</th></tr>\n",
                if merged { "<th>vantage</th>" } else { "" }
            ));
            for row in &rows[start..end] {
                for &cell in &row.cells {
                    if let Some(o) = self.matrix.observation(cell) {
                        self.evidence_row(o, merged);
                    }
                }
            }
            self.push("</table></details>\n");
            start = end;
        }
    }

    fn evidence_row(&mut self, o: &Observation, merged: bool) {
        let (_, class) = code(o.verdict);
        let vantage = if merged {
            format!("<td>{}", escape(&o.vantage))
        } else {
            String::new()
        };
        let mut exchange = match (&o.probe, &o.answer) {
            (Some(p), Some(a)) => format!("{}: {}", escape(p), escape(a)),
            (Some(p), None) => escape(p),
            (None, Some(a)) => escape(a),
            (None, None) => o.reason.as_deref().map(escape).unwrap_or_default(),
        };
        if let Some(ms) = o.rtt_ms {
            exchange.push_str(&format!(" ({ms:.1} ms)"));
        }
        let detail: Vec<String> = [&o.evidence, &o.note]
            .into_iter()
            .flatten()
            .map(|t| escape(t))
            .collect();
        // End tags of cells and rows are optional in HTML; leaving them out of the largest
        // table keeps a 100-host report well under a megabyte.
        self.push(&format!(
            "<tr><td>{}{vantage}<td class=\"{class}\">{}<td>{exchange}<td>{}\n",
            o.key,
            o.verdict.as_str(),
            detail.join("<br>")
        ));
    }

    fn ports(&mut self) {
        let mut services: BTreeMap<PortKey, Vec<&str>> = BTreeMap::new();
        for o in &self.matrix.results.observations {
            let list = services.entry(o.key).or_default();
            for s in &o.services {
                if !list.contains(&s.as_str()) {
                    list.push(s);
                }
            }
        }
        self.push("<h2 id=\"ports\">Ports</h2>\n<details><summary>What each port stands for</summary><table><tr><th>port</th><th>services</th></tr>\n");
        for (key, names) in services {
            let names: Vec<String> = names.iter().map(|n| escape(n)).collect();
            self.push(&format!(
                "<tr><td>{key}</td><td>{}</td></tr>\n",
                names.join("; ")
            ));
        }
        self.push("</table></details>\n");
    }

    fn unchecked(&mut self) {
        let results = self.matrix.results;
        self.push("<h2 id=\"unchecked\">Not checked</h2>\n");
        if !results.mapper_gaps.is_empty() {
            self.push("<p class=\"bad\">Endpoint mapper lists that are not whole: dynamic RPC ports may be missing from the matrix.</p><ul>\n");
            for gap in &results.mapper_gaps {
                self.push(&format!(
                    "<li>{} from {}: {}</li>\n",
                    escape(&gap.host),
                    escape(&gap.vantage),
                    escape(&gap.reason)
                ));
            }
            self.push("</ul>\n");
        }
        if !results.unchecked.is_empty() {
            self.push("<p>Rows no probe can test (IP protocols without ports, dynamic RPC without an endpoint mapper).</p><table><tr><th>host</th><th>vantage</th><th>what</th><th>port</th><th>why</th></tr>\n");
            for u in &results.unchecked {
                self.push(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    escape(&u.host),
                    escape(&u.vantage),
                    escape(&u.what),
                    escape(&u.port),
                    escape(&u.reason)
                ));
            }
            self.push("</table>\n");
        }
    }

    fn audits(&mut self) {
        self.push("<h2 id=\"audit\">Audit: what is missing or unexpected</h2>\n");
        let mut groups: BTreeMap<String, Vec<&AuditHost>> = BTreeMap::new();
        for a in &self.matrix.results.audits {
            let subject = if a.subjects.is_empty() {
                "no role given".to_string()
            } else {
                a.subjects.join(", ")
            };
            groups.entry(subject).or_default().push(a);
        }
        for (subject, hosts) in groups {
            self.push(&format!("<h3>Role: {}</h3>\n", escape(&subject)));
            let mut keys: Vec<&str> = Vec::new();
            for h in &hosts {
                for e in &h.expected {
                    if !keys.contains(&e.key.as_str()) {
                        keys.push(&e.key);
                    }
                }
            }
            if !keys.is_empty() {
                self.push("<div class=\"wrap\"><table class=\"m filterable\"><thead><tr><th data-sort=\"host\">host</th><th data-sort=\"bad\">missing + unexpected</th>");
                for k in &keys {
                    self.push(&format!("<th>{}</th>", escape(k)));
                }
                self.push("</tr></thead><tbody>\n");
                for h in &hosts {
                    let name = escape(&h.host);
                    let missing = h.expected.iter().filter(|e| e.status == "missing").count()
                        + h.unexpected.len();
                    self.push(&format!(
                        "<tr data-host=\"{name}\" data-bad=\"{missing}\"><th>{name}</th><td>{missing}</td>"
                    ));
                    for k in &keys {
                        match h.expected.iter().find(|e| e.key == *k) {
                            Some(e) => {
                                let title =
                                    [e.detail.clone().unwrap_or_default(), e.services.join(", ")]
                                        .into_iter()
                                        .filter(|t| !t.is_empty())
                                        .collect::<Vec<_>>()
                                        .join("; ");
                                self.push(&format!(
                                    "<td class=\"{}\" title=\"{}\">{}{}</td>",
                                    audit_class(&e.status),
                                    escape(&title),
                                    escape(&e.status),
                                    if e.optional { " (optional)" } else { "" }
                                ));
                            }
                            None => self.push("<td class=\"nc\">·</td>"),
                        }
                    }
                    self.push("</tr>\n");
                }
                self.push("</tbody></table></div>\n");
            }
            self.push("<ul>\n");
            for h in &hosts {
                self.push(&format!(
                    "<li><b>{}</b>: {}",
                    escape(&h.host),
                    escape(&h.verdict)
                ));
                if !h.unexpected.is_empty() {
                    self.push("<br>Unexpected: ");
                    let items: Vec<String> = h
                        .unexpected
                        .iter()
                        .map(|u| format!("<span class=\"N\">{}</span> {}", u.key, escape(&u.name)))
                        .collect();
                    self.push(&items.join("; "));
                }
                self.push(&format!(
                    " <span class=\"note\">({})</span></li>\n",
                    escape(&h.origin)
                ));
            }
            self.push("</ul>\n");
        }
    }

    fn caveats(&mut self) {
        let list = caveats(self.matrix.results);
        self.push("<h2 id=\"caveats\">Caveats</h2>\n");
        if list.is_empty() {
            self.push("<p>None of the ports here needs one.</p>\n");
        }
        for c in list {
            self.push(&format!(
                "<h3 id=\"caveat-{}\">{}</h3>\n",
                c.id,
                escape(c.title)
            ));
            for line in c.lines {
                self.push(&format!("<p>{}</p>\n", escape(line)));
            }
            let hosts: Vec<String> = c.hosts.iter().map(|h| escape(h)).collect();
            self.push(&format!(
                "<p class=\"note\">Applies to: {}</p>\n",
                hosts.join(", ")
            ));
        }
    }
}
