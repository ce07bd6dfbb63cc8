//! Renderers: one module per dialect, each turning a [`Plan`] into files of that dialect.

pub mod aerleon;
pub mod aws;
pub mod azure;
pub mod change_request;
pub mod cisco;
pub mod firewalld;
pub mod iptables;
pub mod netsh;
pub mod nftables;
pub mod pf;
pub mod powershell;
pub mod terraform;
pub mod text;
pub mod ufw;
mod windows;

use crate::dialect::{Dialect, Rendered, RenderedFile};
use crate::plan::Plan;

/// Renders `plan` in `dialect`.
pub fn render(plan: &Plan, dialect: Dialect) -> Rendered {
    let files = match dialect {
        Dialect::Nftables => vec![RenderedFile {
            name: "portolan.nft".to_string(),
            text: nftables::ruleset(plan),
        }],
        Dialect::Iptables => iptables::render(plan),
        Dialect::Powershell => powershell::render(plan),
        Dialect::Netsh => netsh::render(plan),
        Dialect::Firewalld => firewalld::render(plan),
        Dialect::Ufw => ufw::render(plan),
        Dialect::Pf => pf::render(plan),
        Dialect::Aws => aws::render(plan),
        Dialect::Terraform => terraform::render(plan),
        Dialect::Azure => azure::render(plan),
        Dialect::Cisco => cisco::render(plan),
    };
    Rendered { dialect, files }
}
