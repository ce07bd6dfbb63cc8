//! `rpc`: the endpoints registered with a host's RPC endpoint mapper.

use clap::ValueEnum;
use portolan_core::target::{self, SizeGuard};
use portolan_probe::Host;
use portolan_probe::report::{HostAnswer, RpcReport};
use portolan_probe::rpc;

use clap::Args;

use crate::cli::Global;
use crate::exit::{Failure, Status};
use crate::groups::{PinRpc, RpcTiming, Subjects, Wait};
use crate::render::{self, terminal_style};

/// Output formats of `rpc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RpcFormat {
    /// A readable table of the endpoints, with a note per host.
    Table,
    /// One JSON document (docs/json.md).
    Json,
    /// One JSON object per endpoint (and one per host whose mapper did not answer).
    Jsonl,
    /// CSV, one line per endpoint.
    Csv,
    /// A Markdown table of the endpoints.
    Md,
}

#[derive(Debug, Args)]
pub struct RpcArgs {
    /// Hosts: names, IPv4 or IPv6 addresses.
    #[arg(required = true, value_name = "HOST")]
    pub hosts: Vec<String>,
    /// The endpoint mapper's port.
    #[arg(long, value_name = "PORT", default_value_t = 135)]
    pub port: u16,
    #[command(flatten)]
    pub wait: Wait<RpcTiming>,
    /// Only endpoints reached over TCP, `ncacn_ip_tcp` and `ncacn_http` (the ones a firewall
    /// must let through).
    #[arg(long)]
    pub tcp: bool,
    /// With --pin-rpc: the roles and services whose interfaces must sit on the pinned ports.
    #[command(flatten)]
    pub subjects: Subjects,
    #[command(flatten)]
    pub pin: PinRpc,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = RpcFormat::Table)]
    pub format: RpcFormat,
}

pub fn run(global: &Global, args: &RpcArgs) -> Result<Status, Failure> {
    if args.pin.pin_rpc.is_none()
        && (!args.subjects.role.is_empty() || !args.subjects.service.is_empty())
    {
        return Err(Failure::new(
            "--role and --service of rpc only say what --pin-rpc holds to the pinned ports: add --pin-rpc BASE",
        ));
    }
    let pin = match args.pin.pin_rpc {
        Some(_) => super::pin::check_for(&super::load_catalog(global)?, &args.pin, &args.subjects)?,
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the async runtime: {e}")))?;
    let targets = target::resolve_arguments(
        &args.hosts,
        SizeGuard::Cap {
            cap: target::CHECK_CAP,
            command: "rpc",
        },
    )?;
    let answers: Vec<HostAnswer> = Host::from_targets(&targets)
        .into_iter()
        .map(|host| {
            let at = target::socket_addr(host.address, host.scope_id, args.port);
            HostAnswer {
                answer: runtime.block_on(rpc::enumerate_at(at, args.wait.timeout)),
                host: host.name,
                address: host.address,
            }
        })
        .collect();
    let report = RpcReport::new(&answers, args.tcp).with_pin(pin.as_ref());
    let text = match args.format {
        RpcFormat::Table => report.grid().to_terminal(terminal_style(global.color)),
        RpcFormat::Json => render::to_json(&report.json())?,
        RpcFormat::Jsonl => report.jsonl(),
        RpcFormat::Csv => report.grid().to_csv(),
        RpcFormat::Md => report.grid().to_markdown(),
    };
    render::print(text.as_bytes())?;
    // A list that is not whole (no answer, cut short, a looping mapper) must not pass for
    // the whole map in a script: exit 1, and the report says why.
    // An interface of the role outside the pinned ports is a negative answer too.
    Ok(if report.all_complete() && report.pin_obeyed() {
        Status::Clean
    } else {
        Status::Negative
    })
}
