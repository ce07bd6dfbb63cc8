//! Dialects: the firewall languages a plan renders to, and the rendered files.

use std::fmt;
use std::str::FromStr;

use crate::error::PlanError;

/// A firewall language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    /// An `nft -f` file: `table inet`, source sets, one rule per port run.
    Nftables,
    /// `iptables-restore` and `ip6tables-restore` files.
    Iptables,
    /// Windows PowerShell `New-NetFirewallRule` commands.
    Powershell,
    /// Windows `netsh advfirewall firewall add rule` commands, as a batch file.
    Netsh,
    /// A firewalld service XML file and the `firewall-cmd` lines that use it.
    Firewalld,
    /// A ufw application profile and the `ufw` commands that use it.
    Ufw,
    /// OpenBSD pf.conf rules.
    Pf,
    /// AWS security group permissions (`--ip-permissions` JSON) and the CLI commands.
    Aws,
    /// Terraform `aws_vpc_security_group_ingress_rule` resources.
    Terraform,
    /// Azure network security group rules (`az network nsg rule create`).
    Azure,
    /// Cisco IOS extended access lists, IPv4 and IPv6.
    Cisco,
}

impl Dialect {
    /// Every dialect, in documentation order.
    pub const ALL: [Dialect; 11] = [
        Dialect::Nftables,
        Dialect::Iptables,
        Dialect::Powershell,
        Dialect::Netsh,
        Dialect::Firewalld,
        Dialect::Ufw,
        Dialect::Pf,
        Dialect::Aws,
        Dialect::Terraform,
        Dialect::Azure,
        Dialect::Cisco,
    ];

    /// The name `--dialect` takes.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Nftables => "nftables",
            Dialect::Iptables => "iptables",
            Dialect::Powershell => "powershell",
            Dialect::Netsh => "netsh",
            Dialect::Firewalld => "firewalld",
            Dialect::Ufw => "ufw",
            Dialect::Pf => "pf",
            Dialect::Aws => "aws",
            Dialect::Terraform => "terraform",
            Dialect::Azure => "azure",
            Dialect::Cisco => "cisco",
        }
    }

    /// Other names accepted for the dialect.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Dialect::Nftables => &["nft"],
            Dialect::Iptables => &["iptables-restore", "ip6tables"],
            Dialect::Powershell => &["pwsh", "ps", "new-netfirewallrule"],
            Dialect::Netsh => &["advfirewall", "netsh-advfirewall"],
            Dialect::Firewalld => &["firewall-cmd"],
            Dialect::Ufw => &[],
            Dialect::Pf => &["pf.conf", "openbsd"],
            Dialect::Aws => &["aws-sg", "security-group"],
            Dialect::Terraform => &["tf"],
            Dialect::Azure => &["az", "nsg", "azure-nsg"],
            Dialect::Cisco => &["ios", "cisco-ios", "acl"],
        }
    }

    /// One line on what the output is.
    pub fn description(self) -> &'static str {
        match self {
            Dialect::Nftables => "nftables ruleset for nft -f, table inet portolan",
            Dialect::Iptables => "iptables-restore file for IPv4, ip6tables-restore file for IPv6",
            Dialect::Powershell => "Windows PowerShell New-NetFirewallRule commands",
            Dialect::Netsh => "Windows netsh advfirewall commands (batch file)",
            Dialect::Firewalld => "firewalld service XML and firewall-cmd commands",
            Dialect::Ufw => "ufw application profile and ufw commands",
            Dialect::Pf => "OpenBSD pf.conf rules",
            Dialect::Aws => "AWS security group ingress permissions (CLI JSON) and commands",
            Dialect::Terraform => "Terraform aws_vpc_security_group_ingress_rule resources",
            Dialect::Azure => "Azure NSG rules (az network nsg rule create)",
            Dialect::Cisco => "Cisco IOS extended access lists, IPv4 and IPv6",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = PlanError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Dialect::ALL
            .into_iter()
            .find(|d| d.name() == wanted || d.aliases().contains(&wanted.as_str()))
            .ok_or_else(|| PlanError::UnknownDialect {
                input: s.to_string(),
                valid: Dialect::ALL.map(Dialect::name).join(", "),
            })
    }
}

/// One file of a rendered plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// A file name to save it under (`portolan.nft`, `rules.v6`).
    pub name: String,
    /// The file's text.
    pub text: String,
}

/// A plan in one dialect: one file, or several where the dialect needs them (iptables' IPv4
/// and IPv6 files, firewalld's XML and script, AWS's script and JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The dialect.
    pub dialect: Dialect,
    /// The files; the first is the main one (it carries the header and caveats).
    pub files: Vec<RenderedFile>,
}

impl Rendered {
    /// All files as one text, for a terminal: a lone file as it is, several each under a
    /// `==> name <==` line (as `head` prints several files).
    pub fn to_text(&self) -> String {
        match self.files.as_slice() {
            [one] => one.text.clone(),
            many => many
                .iter()
                .map(|f| format!("==> {} <==\n{}", f.name, f.text))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The file with this name.
    pub fn file(&self, name: &str) -> Option<&RenderedFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_parse() {
        for d in Dialect::ALL {
            assert_eq!(d.name().parse::<Dialect>().unwrap(), d);
            for alias in d.aliases() {
                assert_eq!(alias.parse::<Dialect>().unwrap(), d);
            }
        }
        assert_eq!("NFT".parse::<Dialect>().unwrap(), Dialect::Nftables);
    }

    #[test]
    fn unknown_dialect_lists_the_valid_ones() {
        let err = "nftable".parse::<Dialect>().unwrap_err().to_string();
        assert!(err.contains("`nftable`"), "{err}");
        for d in Dialect::ALL {
            assert!(err.contains(d.name()), "{err} lacks {d}");
        }
    }
}
