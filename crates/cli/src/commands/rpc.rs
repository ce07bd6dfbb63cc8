//! `rpc`: the endpoints registered with a host's RPC endpoint mapper.

use portolan_core::target::{self, SizeGuard};
use portolan_output::{Grid, GridCell, Tone};
use portolan_probe::Host;
use portolan_probe::rpc::{self, Enumeration, RpcEndpoint};
use serde::Serialize;

use crate::cli::{Global, RpcArgs};
use crate::exit::{Failure, Status};
use crate::render::{self, terminal_style};

#[derive(Serialize)]
struct HostJson<'a> {
    host: &'a str,
    address: String,
    /// Null when the mapper answered; the reason otherwise.
    error: Option<String>,
    calls: u32,
    end: Option<&'a str>,
    complete: bool,
    endpoints: Vec<&'a RpcEndpoint>,
    unreadable: &'a [String],
}

#[derive(Serialize)]
struct RpcJson<'a> {
    schema_version: u32,
    hosts: Vec<HostJson<'a>>,
}

pub fn run(global: &Global, args: &RpcArgs) -> Result<Status, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("cannot start the async runtime: {e}")))?;
    let targets = target::resolve_arguments(
        &args.hosts,
        SizeGuard::Cap {
            cap: target::CHECK_CAP,
            command: "rpc",
        },
    )?;
    let hosts = Host::from_targets(&targets);
    let mut answers = Vec::new();
    for host in &hosts {
        let at = target::socket_addr(host.address, host.scope_id, args.port);
        let answer = runtime.block_on(rpc::enumerate_at(at, args.timeout));
        answers.push((host.name.as_str(), host.address, answer));
    }
    let empty = Vec::new();
    let keep = |e: &&RpcEndpoint| !args.tcp || e.port.is_some();
    let json = RpcJson {
        schema_version: portolan_output::catalog::SCHEMA_VERSION,
        hosts: answers
            .iter()
            .map(|(host, address, answer)| {
                let ok: Option<&Enumeration> = answer.as_ref().ok();
                HostJson {
                    host,
                    address: address.to_string(),
                    error: answer.as_ref().err().map(ToString::to_string),
                    calls: ok.map_or(0, |e| e.calls),
                    end: ok.map(|e| e.end.as_str()),
                    complete: ok.is_some_and(|e| e.complete),
                    endpoints: ok.map_or(Vec::new(), |e| e.endpoints.iter().filter(keep).collect()),
                    unreadable: ok.map_or(&empty, |e| &e.unreadable),
                }
            })
            .collect(),
    };
    let mut grid = Grid::new([
        "Host",
        "Interface",
        "Version",
        "Protocol",
        "Port or endpoint",
        "Services",
        "Annotation",
    ]);
    let mut notes = Vec::new();
    for host in &json.hosts {
        if let Some(error) = &host.error {
            notes.push(format!("{}: {error}", host.host));
            grid.push([
                GridCell::from(host.host),
                GridCell::toned("(no answer)", Tone::Bad),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
            ]);
            continue;
        }
        notes.push(format!(
            "{}: {} endpoints in {} ept_lookup call(s), {}",
            host.host,
            host.endpoints.len(),
            host.calls,
            host.end.unwrap_or("")
        ));
        for e in &host.endpoints {
            let interface = match e.name {
                Some(name) => format!("{name} ({})", e.interface),
                None => e.interface.clone(),
            };
            let place = match (e.port, &e.endpoint_name) {
                (Some(port), _) => port.to_string(),
                (None, Some(name)) => name.clone(),
                (None, None) => String::new(),
            };
            grid.push([
                GridCell::from(host.host),
                interface.into(),
                e.version.clone().into(),
                e.protocol.clone().into(),
                place.into(),
                e.services.join(", ").into(),
                e.annotation.clone().into(),
            ]);
        }
    }
    grid.notes = notes;
    let text = render::lookup(args.format, terminal_style(global.color), &grid, &json)?;
    render::print(text.as_bytes())?;
    Ok(if answers.iter().all(|(_, _, a)| a.is_ok()) {
        Status::Clean
    } else {
        Status::Negative
    })
}
