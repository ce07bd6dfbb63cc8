//! `completions`: a shell completion script generated from the clap definition, so it always
//! knows every command, flag and closed set of values.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::{Failure, Status};
use crate::render;

pub fn run(args: &CompletionsArgs) -> Result<Status, Failure> {
    let mut command = Cli::command();
    let name = command.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    render::print(&script)?;
    Ok(Status::Clean)
}
