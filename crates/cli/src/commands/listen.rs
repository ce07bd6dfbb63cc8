//! `listen`: stand in for a server that does not exist yet. Parses the selection (as check
//! does), hands the ports to `portolan-listen`, prints each hit and the summary.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use portolan_catalog::Transport;
use portolan_listen::{Hit, ListenError, Listener, Port, ServeOptions};

use crate::cli::Global;
use crate::exit::{Failure, Status};
use crate::groups::{PortSelection, RadiusSecret};
use crate::render;

#[derive(Debug, Args)]
pub struct ListenArgs {
    #[command(flatten)]
    pub selection: PortSelection,
    /// Listen on this address (repeatable; IPv4 or IPv6). Default: every IPv4 address
    /// (0.0.0.0) and every IPv6 address (::), as the server would.
    #[arg(long, value_name = "ADDRESS")]
    pub address: Vec<IpAddr>,
    /// Stop after this long (90s, 30m, 2h; a bare number is seconds). Default: until Ctrl-C.
    #[arg(long, value_name = "DURATION", value_parser = parse_run_time)]
    pub duration: Option<Duration>,
    /// Write every hit to FILE as a JSON line (time, source address and port, destination
    /// port, transport, what was answered); appended to.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Most UDP answers a second to one source address; 0 answers nothing.
    #[arg(long, value_name = "N", default_value_t = portolan_listen::DEFAULT_RATE_LIMIT)]
    pub rate_limit: u32,
    #[command(flatten)]
    pub radius_secret: RadiusSecret,
    /// Dynamic RPC: register the selection's RPC services with the stand-in endpoint mapper
    /// on ports from PORT upward (default: random ports of 49152-65535).
    #[arg(long, value_name = "PORT")]
    pub rpc_base: Option<u16>,
    /// The port of the stand-in endpoint mapper (default 135; a high port needs no privilege,
    /// then `portolan rpc HOST --port PORT` reads it).
    #[arg(long, value_name = "PORT", default_value_t = portolan_listen::mapper::MAPPER_PORT)]
    pub mapper_port: u16,
    #[command(flatten)]
    pub rpc: crate::groups::NoRpc,
    /// Do not print each hit as it comes; only the summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `90s`, `30m`, `2h`, or seconds.
fn parse_run_time(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = match t.char_indices().last() {
        Some((at, 's')) => (&t[..at], 1.0),
        Some((at, 'm')) => (&t[..at], 60.0),
        Some((at, 'h')) => (&t[..at], 3600.0),
        _ => (t, 1.0),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write 90s, 30m or 2h"))?;
    let seconds = value * scale;
    if !(0.001..=31_536_000.0).contains(&seconds) {
        return Err(format!("`{text}` is out of range; from 1ms to a year"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The ports of the selection (with the catalog's names, for the summary) and its dynamic
/// RPC services.
fn selection(global: &Global, args: &ListenArgs) -> Result<(Vec<Port>, Vec<String>), Failure> {
    let catalog = super::load_catalog(global)?;
    let chosen = super::check::chosen(&catalog, &args.selection)?;
    if chosen.services.is_empty() && chosen.ports.is_empty() {
        return Err(Failure::new(
            "listen needs ports: give --role, --service or --ports (listening on every port of the catalog is never the plan)",
        ));
    }
    let selection = portolan_probe::select(&catalog, &chosen.services, &chosen.ports)?;
    let ports = selection
        .targets
        .iter()
        .map(|target| {
            let mut names: Vec<&str> = target.rows.iter().map(|r| r.service.as_str()).collect();
            names.dedup();
            Port {
                transport: target.transport,
                port: target.port,
                label: names.join(", "),
            }
        })
        .collect();
    Ok((ports, selection.dynamic_rpc.services.clone()))
}

fn hit_line(hit: &Hit) -> String {
    format!(
        "{} {}/{} from {} port {}: {}\n",
        hit.time, hit.transport, hit.port, hit.source, hit.source_port, hit.answered
    )
}

pub fn run(global: &Global, args: &ListenArgs) -> Result<Status, Failure> {
    let (ports, rpc_services) = selection(global, args)?;
    let addresses = if args.address.is_empty() {
        portolan_listen::default_addresses()
    } else {
        args.address.clone()
    };
    let bound = if rpc_services.is_empty() || args.rpc.no_rpc {
        Listener::bind(ports, &addresses)
    } else {
        let rpc = portolan_listen::RpcStandIn {
            services: rpc_services,
            base: args.rpc_base,
            mapper_port: args.mapper_port,
        };
        Listener::bind_with_rpc(ports, &addresses, &rpc)
    };
    let listener = bound.map_err(|e| match e {
        ListenError::NothingSelected => Failure::new(e.to_string()),
        _ => Failure::runtime(e.to_string()),
    })?;
    let log: Option<Box<dyn std::io::Write + Send>> = match &args.log {
        Some(path) => Some(Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| {
                    Failure::runtime(format!(
                        "cannot open the log {}: {e}; give --log a writable path",
                        path.display()
                    ))
                })?,
        )),
        None => None,
    };
    let served = listener.addresses();
    if !listener.registrations().is_empty() {
        let mut dynamic: Vec<u16> = listener.registrations().iter().map(|r| r.port).collect();
        dynamic.dedup();
        eprintln!(
            "endpoint mapper on TCP {}: {} interfaces registered on TCP {}",
            args.mapper_port,
            listener.registrations().len(),
            dynamic
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let count = |t| {
        served
            .iter()
            .filter(|(transport, _)| *transport == t)
            .count()
    };
    // One note per reason: a machine without IPv6 would otherwise print one per port.
    let mut by_reason: Vec<(&str, Vec<String>)> = Vec::new();
    for skipped in listener.skipped() {
        let socket = format!("{} {}", skipped.transport.to_uppercase(), skipped.address);
        match by_reason
            .iter_mut()
            .find(|(reason, _)| *reason == skipped.reason)
        {
            Some((_, sockets)) => sockets.push(socket),
            None => by_reason.push((&skipped.reason, vec![socket])),
        }
    }
    for (reason, sockets) in by_reason {
        eprintln!("note: not listening on {}: {reason}", sockets.join(", "));
    }
    eprintln!(
        "listening on {} TCP and {} UDP sockets ({}){}; Ctrl-C ends with a summary",
        count(Transport::Tcp),
        count(Transport::Udp),
        addresses
            .iter()
            .map(IpAddr::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        args.duration
            .map(|d| format!(", for {:.0}s", d.as_secs_f64()))
            .unwrap_or_default(),
    );
    let options =
        ServeOptions {
            rate_limit: args.rate_limit,
            responders: portolan_listen::respond::Responders {
                radius_secret: args.radius_secret.radius_secret.clone().unwrap_or_else(|| {
                    portolan_listen::respond::Responders::default().radius_secret
                }),
            },
            ..ServeOptions::default()
        };
    let quiet = args.quiet;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the async runtime: {e}")))?;
    let summary = runtime
        .block_on(listener.serve(
            options,
            log,
            move |hit| {
                if !quiet {
                    // A closed pipe ends the run quietly, as everywhere.
                    let _ = render::print(hit_line(hit).as_bytes());
                }
            },
            portolan_listen::until_stopped(args.duration),
        ))
        .map_err(|e| Failure::runtime(e.to_string()))?;
    render::print(summary.text().as_bytes())?;
    Ok(if summary.not_hit().next().is_none() {
        Status::Clean
    } else {
        Status::Negative
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_times_take_units() {
        assert_eq!(parse_run_time("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_run_time("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_run_time("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_run_time("5"), Ok(Duration::from_secs(5)));
        assert!(parse_run_time("soon").is_err());
        assert!(parse_run_time("0").is_err());
    }
}
