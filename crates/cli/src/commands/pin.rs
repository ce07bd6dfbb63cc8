//! `pin`: the server settings that put each RPC server of a role on a fixed port.

use portolan_catalog::Pinning;
use portolan_plan::{PinLayout, reg_file_bytes};

use portolan_catalog::Catalog;
use portolan_probe::PinCheck;

use clap::{Args, ValueEnum};

use crate::cli::Global;
use crate::exit::{Failure, Status};
use crate::groups::{OutputFile, PinRpc, Subjects};
use crate::render as out;

/// The platform `pin` writes settings for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PinFor {
    /// Windows Server: PowerShell registry commands and dfsrdiag; a .reg file with -o.
    Windows,
    /// Samba's AD DC: smb.conf lines for [global].
    Samba,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    #[command(flatten)]
    pub subjects: Subjects,
    /// The first fixed port; the role's servers and then its narrowed dynamic range count up
    /// from it (from 1024; the role's ports must end by 65535).
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u32))]
    pub base: u32,
    /// Whose settings to print.
    #[arg(long = "for", value_name = "PLATFORM", value_enum)]
    pub platform: PinFor,
    #[command(flatten)]
    pub output: OutputFile,
}

pub fn run(global: &Global, args: &PinArgs) -> Result<Status, Failure> {
    let catalog = super::load_catalog(global)?;
    let pinning = builtin_pinning(&catalog)?;
    let layout = PinLayout::for_subjects(
        &catalog,
        &pinning,
        &args.subjects.role,
        &args.subjects.service,
        args.base,
    )?;
    let output = args.output.output.as_deref();
    match args.platform {
        PinFor::Windows => {
            out::print(layout.powershell().as_bytes())?;
            if let Some(path) = output {
                out::write_output(Some(path), &reg_file_bytes(&layout.reg_file()), false)?;
                eprintln!(
                    "note: wrote the same settings as a .reg file to {} (dfsrdiag, if listed, still has to be run)",
                    path.display()
                );
            }
        }
        PinFor::Samba => out::write_output(output, layout.samba().as_bytes(), false)?,
    }
    Ok(Status::Clean)
}

/// `--pin-rpc` of `rpc` and `check`: what the endpoint mapper's answer is held to, from the
/// same layout `pin` prints.
pub(super) fn check_for(
    catalog: &Catalog,
    pin: &PinRpc,
    subjects: &Subjects,
) -> Result<Option<PinCheck>, Failure> {
    let Some(base) = pin.pin_rpc else {
        return Ok(None);
    };
    if subjects.role.is_empty() && subjects.service.is_empty() {
        return Err(Failure::new(
            "--pin-rpc needs the role whose RPC servers were pinned: add --role ROLE (or --service SERVICE)",
        ));
    }
    let pinning = builtin_pinning(catalog)?;
    let layout =
        PinLayout::for_subjects(catalog, &pinning, &subjects.role, &subjects.service, base)?;
    let interfaces = layout
        .servers
        .iter()
        .flat_map(|s| s.interfaces.iter().map(|i| i.uuid.clone()))
        .collect();
    Ok(Some(PinCheck::new(
        catalog,
        layout.services.clone(),
        layout.ports(),
        interfaces,
    )))
}

/// The built-in pinning data, checked against `catalog` and the compiled layer for today's
/// Windows (services the pinning names may be the layer's).
fn builtin_pinning(catalog: &Catalog) -> Result<Pinning, Failure> {
    portolan_builtin::pinning(catalog)
        .map_err(|e| Failure::runtime(format!("the built-in pinning data is invalid: {e}")))
}
