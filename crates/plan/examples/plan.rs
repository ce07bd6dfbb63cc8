//! Renders a plan without the CLI: `cargo run -p portolan-plan --example plan -- DIALECT
//! [role:ID | service:ID | from:CIDR | to:ADDR | rpc:RANGE | ftp:RANGE | no-optional]...`.

use portolan_catalog::Catalog;
use portolan_plan::{
    Dialect, OptionalPolicy, Plan, Request, parse_destination, parse_ftp_passive, parse_source,
    render,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dialect: Dialect = args.next().unwrap_or_else(|| "nftables".into()).parse()?;
    let mut request = Request::default();
    for arg in args {
        match arg.split_once(':') {
            Some(("role", id)) => request.roles.push(id.to_string()),
            Some(("service", id)) => request.services.push(id.to_string()),
            Some(("from", net)) => request.sources.push(parse_source(net)?),
            Some(("to", net)) => request.destination = Some(parse_destination(net)?),
            Some(("rpc", range)) => request.rpc_range = range.parse()?,
            Some(("ftp", range)) => request.ftp_passive = Some(parse_ftp_passive(range)?),
            _ if arg == "no-optional" => request.optional = OptionalPolicy::Exclude,
            _ => return Err(format!("unknown argument `{arg}`").into()),
        }
    }
    let catalog = Catalog::builtin()?;
    let plan = Plan::build(&catalog, &request)?;
    print!("{}", render(&plan, dialect).to_text());
    Ok(())
}
