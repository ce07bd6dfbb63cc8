//! Plan requests from arbitrary text: every parser (sources, destination, RPC and FTP ranges,
//! dialect names) must refuse bad input with an error, and every plan that builds must render
//! in every dialect without panicking, its rules opening exactly the ports its rows need.
#![no_main]

#[path = "common/catalog.rs"]
mod builtin;

use builtin::catalog;
use libfuzzer_sys::fuzz_target;
use portolan_catalog::Transport;
use portolan_plan::{Dialect, Plan, Request, parse_destination, parse_ftp_passive, parse_source};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let catalog = catalog();
    let mut request = Request::default();
    // Bounded: at most 64 items, so one input cannot ask for an enormous plan.
    for line in text.lines().take(64) {
        let Some((key, value)) = line.split_once(':') else {
            let _ = line.parse::<Dialect>();
            continue;
        };
        match key {
            "role" => request.roles.push(value.to_string()),
            "service" => request.services.push(value.to_string()),
            "from" => {
                if let Ok(net) = parse_source(value) {
                    request.sources.push(net);
                }
            }
            "to" => request.destination = parse_destination(value).ok(),
            "rpc" => {
                if let Ok(range) = value.parse() {
                    request.rpc_range = range;
                }
            }
            "ftp" => {
                // Plan ranges are the port grammar's ranges: the same text, the same ports.
                request.ftp_passive = parse_ftp_passive(value).ok();
                assert_eq!(
                    request.ftp_passive,
                    portolan_catalog::parse_port_range(value).ok()
                );
            }
            _ => {}
        }
    }
    let Ok(plan) = Plan::build(catalog, &request) else {
        return;
    };
    for t in [Transport::Tcp, Transport::Udp] {
        let from_uses = portolan_plan::ports::fold(
            plan.uses
                .iter()
                .filter(|u| u.transport == t)
                .filter_map(|u| u.ports),
        );
        assert_eq!(plan.open_ports(t), from_uses);
    }
    for dialect in Dialect::ALL {
        let _ = portolan_plan::render(&plan, dialect);
    }
});
