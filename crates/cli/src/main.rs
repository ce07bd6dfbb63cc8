//! `portolan`: the network ports of Windows server products, as look-ups, firewall plans,
//! live checks, audits and sweeps.
//!
//! This binary only parses arguments, calls the library crates and renders their results;
//! see the workspace README for the architecture.

mod cli;
#[cfg(test)]
mod cli_tests;
mod commands;
mod exit;
mod groups;
mod render;
mod values;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match commands::run(args) {
        Ok(status) => status.into(),
        Err(error) => {
            exit::report(&error);
            error.exit_code()
        }
    }
}
