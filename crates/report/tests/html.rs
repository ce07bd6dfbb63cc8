//! The HTML report: self-contained, escaped, small.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use portolan_report::{Results, html};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

const HOSTILE: &str = "</script><img src=x onerror=alert(1)>";

/// `hosts` × `ports` check results in JSON Lines, as `check --format jsonl` writes them, with
/// every verdict represented.
fn synthetic(vantage: &str, hosts: usize, ports: usize) -> String {
    let verdicts = [
        ("LISTENING", "syn-ack", "connection accepted (SYN-ACK)"),
        ("NOT LISTENING", "conn-refused", "connection refused (RST)"),
        (
            "FILTERED",
            "no-response",
            "no answer to 2 SYNs (waited up to 100 ms each)",
        ),
        ("LISTENING OR FILTERED", "no-response", "no answer"),
    ];
    let mut text = String::new();
    for h in 0..hosts {
        for p in 0..ports {
            let (status, reason, answer) = verdicts[(h + p) % verdicts.len()];
            let transport = if p % 5 == 4 { "udp" } else { "tcp" };
            text.push_str(&format!(
                r#"{{"vantage":"{vantage}","host":"host-{h:03}.example.net","address":"10.1.{}.{}","transport":"{transport}","port":{},"status":"{status}","reason":"{reason}","probe":"TCP connect","answer":"{answer}","evidence":null,"verification":null,"note":null,"rtt_ms":0.412,"attempts":1,"origin":"catalog","rows":[{{"service_id":"svc-{p}","service":"Service {p}","app_protocol":"Protocol {p}"}}]}}"#,
                h / 250,
                h % 250,
                1000 + p
            ));
            text.push('\n');
        }
    }
    text
}

/// The page of both zones' checks and the audit.
fn merged_page() -> String {
    let results = Results::read_files(&[
        fixture("zone-a.jsonl"),
        fixture("zone-b.jsonl"),
        fixture("audit.json"),
    ])
    .unwrap();
    html::render(&results)
}

#[test]
fn hostile_names_and_banners_are_escaped_everywhere() {
    let results =
        Results::read_files(&[fixture("hostile.jsonl"), fixture("zone-a.jsonl")]).unwrap();
    let page = html::render(&results);
    assert!(!page.contains("<img"), "an injected element survived");
    assert_eq!(
        page.matches("</script>").count(),
        1,
        "only our own script ends"
    );
    assert_eq!(page.matches("<script>").count(), 1);
    assert!(page.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!page.contains(HOSTILE));
    assert!(
        page.contains("&#39;&quot;&amp;&lt;&gt;"),
        "the note's quotes are escaped"
    );
}

#[test]
fn the_page_fetches_nothing() {
    let page = merged_page();
    for needle in [
        "http:",
        "https:",
        "src=",
        "<link",
        "@import",
        "url(",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!page.contains(needle), "the page holds {needle:?}");
    }
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<style>"));
}

#[test]
fn a_merged_page_has_vantage_columns_differences_caveats_and_the_audit() {
    let page = merged_page();
    assert!(page.contains("<th colspan=\"2\">tcp/18080</th>"));
    assert!(page.contains("<th>zone-a</th><th>zone-b</th>"));
    assert!(page.contains("id=\"differences\""));
    // 127.0.0.1 tcp/18080: LISTENING from zone A, FILTERED from zone B, framed as differing.
    assert!(page.contains("<td class=\"L d\">L</td><td class=\"F d\">F</td>"));
    assert!(page.contains("id=\"caveat-rpc-dynamic\""));
    assert!(page.contains("id=\"caveat-tftp-reply\""));
    assert!(page.contains("Role: domain-controller"));
    assert!(page.contains("<details id=\"h0\">"));
}

#[test]
fn a_hundred_hosts_of_sixty_ports_stay_under_a_megabyte_with_every_verdict() {
    let mut results = Results::default();
    results
        .add_text("big.jsonl", "big", &synthetic("lan", 100, 60))
        .unwrap();
    assert_eq!(results.observations.len(), 6000);
    let page = html::render(&results);
    assert!(page.len() < 1_000_000, "{} bytes", page.len());
    for h in 0..100 {
        assert!(page.contains(&format!("data-host=\"host-{h:03}.example.net\"")));
    }
    // Each result once in the matrix (its code) and once in the evidence (its word); the
    // legend shows each code once more.
    assert_eq!(page.matches("<td class=\"N\">N</td>").count(), 1500 + 1);
    assert_eq!(
        page.matches("<td class=\"N\">NOT LISTENING<td>").count(),
        1500
    );
    assert_eq!(page.matches("<td class=\"LF\">L/F</td>").count(), 1500 + 1);
    eprintln!("100 hosts x 60 ports: {} bytes", page.len());
}
