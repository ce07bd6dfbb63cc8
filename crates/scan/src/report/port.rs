//! One port of a sweep: its JSON object (the same for TCP and UDP, UDP adding what was sent
//! and what came back) and its rows in tables, CSV and Markdown.

use portolan_core::{NmapState, Reason, Record, Transport};
use portolan_output::{Grid, GridCell, Tone};
use serde::Serialize;

use crate::naming::PortNames;

/// One port as JSON (one line of `--format jsonl`, one element of a host's `ports`).
#[derive(Debug, Serialize)]
pub struct PortJson<'a> {
    host: &'a str,
    address: String,
    port: u16,
    protocol: Transport,
    state: NmapState,
    portqry: &'static str,
    reason: Reason,
    tries: u32,
    rtt_us: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    probe: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'a str>,
    /// Present (possibly null) for probes with evidence (UDP), absent for connects.
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Option<&'a str>>,
    service: Option<&'a str>,
    services: Vec<&'a str>,
}

impl<'a> PortJson<'a> {
    /// The JSON object of a record, named from the catalog.
    pub fn new(r: &'a Record, names: &'a PortNames) -> Self {
        let name = names.get(r.port);
        let evidence = r.evidence.as_ref();
        PortJson {
            host: &r.host,
            address: r.address.to_string(),
            port: r.port,
            protocol: r.transport,
            state: r.state(),
            portqry: r.verdict.as_str(),
            reason: r.reason,
            tries: r.tries,
            rtt_us: r.rtt_us(),
            probe: evidence.map(|e| e.probe.as_str()),
            answer: evidence.map(|e| e.answer.as_str()),
            evidence: evidence.map(|e| e.detail.as_deref()),
            service: name.map(|n| n.app.as_str()),
            services: name
                .map(|n| n.services.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        }
    }

    /// The object as one line of JSON lines.
    pub fn line(&self) -> String {
        let mut text = serde_json::to_string(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

fn tone(state: NmapState) -> Tone {
    match state {
        NmapState::Open => Tone::Good,
        NmapState::Closed | NmapState::Error => Tone::Bad,
        NmapState::Filtered | NmapState::OpenFiltered => Tone::Warn,
    }
}

/// The readable grid (table and Markdown): host, port, state, reason, service, and the
/// catalog's services (connects) or what answered (probes with evidence).
pub fn grid<'r>(records: impl IntoIterator<Item = &'r Record>, names: &PortNames) -> Grid {
    let mut rows = Vec::new();
    let mut with_evidence = false;
    for r in records {
        with_evidence |= r.evidence.is_some();
        let name = names.get(r.port);
        rows.push((r, name));
    }
    let last = if with_evidence {
        "What answered"
    } else {
        "Catalog services"
    };
    let mut grid = Grid::new(["Host", "Port", "State", "Reason", "Service", last]);
    for (r, name) in rows {
        let last = if with_evidence {
            r.what_answered()
        } else {
            name.map_or_else(String::new, |n| n.service_names.join(", "))
        };
        grid.push([
            GridCell::from(r.host.clone()),
            format!("{}/{}", r.port, r.transport).into(),
            GridCell::toned(r.state().as_str(), tone(r.state())),
            r.reason.as_str().into(),
            name.map_or_else(String::new, |n| n.app.clone()).into(),
            last.into(),
        ]);
    }
    grid
}

/// The CSV grid: `host,address,port,protocol,state,reason,tries,rtt_us,service,services`.
pub fn csv_grid<'r>(records: impl IntoIterator<Item = &'r Record>, names: &PortNames) -> Grid {
    let mut grid = Grid::new([
        "host", "address", "port", "protocol", "state", "reason", "tries", "rtt_us", "service",
        "services",
    ]);
    for r in records {
        let name = names.get(r.port);
        grid.push([
            r.host.clone(),
            r.address.to_string(),
            r.port.to_string(),
            r.transport.to_string(),
            r.state().as_str().to_string(),
            r.reason.as_str().to_string(),
            r.tries.to_string(),
            r.rtt_us().map(|t| t.to_string()).unwrap_or_default(),
            name.map(|n| n.app.clone()).unwrap_or_default(),
            name.map(|n| n.services.join(";")).unwrap_or_default(),
        ]);
    }
    grid
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use portolan_core::{Evidence, Verdict};

    use super::*;

    fn record(evidence: Option<Evidence>) -> Record {
        Record {
            host: "dc1".into(),
            address: "192.0.2.5".parse().unwrap(),
            port: 53,
            transport: if evidence.is_some() {
                Transport::Udp
            } else {
                Transport::Tcp
            },
            verdict: Verdict::NotListening,
            reason: if evidence.is_some() {
                Reason::PortUnreach
            } else {
                Reason::ConnRefused
            },
            evidence,
            rtt: Some(Duration::from_micros(250)),
            tries: 1,
        }
    }

    #[test]
    fn connects_and_probes_share_one_object_and_one_row() {
        let names = PortNames::default();
        let tcp = record(None);
        let line = PortJson::new(&tcp, &names).line();
        assert_eq!(
            line,
            "{\"host\":\"dc1\",\"address\":\"192.0.2.5\",\"port\":53,\"protocol\":\"tcp\",\
             \"state\":\"closed\",\"portqry\":\"NOT LISTENING\",\"reason\":\"conn-refused\",\
             \"tries\":1,\"rtt_us\":250,\"service\":null,\"services\":[]}\n"
        );
        let udp = record(Some(Evidence {
            probe: "DNS query for . SOA".into(),
            answer: "ICMP port unreachable".into(),
            detail: None,
        }));
        let v: serde_json::Value =
            serde_json::from_str(&PortJson::new(&udp, &names).line()).unwrap();
        assert_eq!(v["protocol"], "udp");
        assert_eq!(v["reason"], "port-unreach");
        assert_eq!(v["probe"], "DNS query for . SOA");
        assert!(v["evidence"].is_null(), "present, and null: {v}");

        let csv = csv_grid([&tcp, &udp], &names).to_csv();
        assert_eq!(
            csv.lines().nth(2),
            Some("dc1,192.0.2.5,53,udp,closed,port-unreach,1,250,,")
        );
        let grid = grid([&udp], &names);
        assert_eq!(
            grid.headers.last().map(String::as_str),
            Some("What answered")
        );
        assert_eq!(grid_text(&grid), "ICMP port unreachable");
    }

    fn grid_text(grid: &Grid) -> String {
        grid.rows[0][5].text.clone()
    }
}
