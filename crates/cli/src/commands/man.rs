//! `man`: the manual page (roff), generated from the clap definition: the main page, then a
//! section per command with its own options.

use clap::CommandFactory;
use clap_mangen::Man;

use crate::cli::Cli;
use crate::exit::{Failure, Status};
use crate::render;

pub fn run() -> Result<Status, Failure> {
    let command = Cli::command();
    let mut page = Vec::new();
    let cannot = |e: std::io::Error| Failure::runtime(format!("cannot build the manual page: {e}"));
    Man::new(command.clone())
        .render(&mut page)
        .map_err(cannot)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let man = Man::new(sub.clone());
        // A section per command: its title line, then its synopsis, description and options.
        page.extend_from_slice(
            format!(".SH \"PORTOLAN {}\"\n", sub.get_name().to_uppercase()).as_bytes(),
        );
        man.render_synopsis_section(&mut page).map_err(cannot)?;
        man.render_description_section(&mut page).map_err(cannot)?;
        man.render_options_section(&mut page).map_err(cannot)?;
    }
    render::print(&page)?;
    Ok(Status::Clean)
}
