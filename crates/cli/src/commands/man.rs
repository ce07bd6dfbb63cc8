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
        let name = format!("portolan {}", sub.get_name());
        let man = Man::new(sub.clone().bin_name(&name));
        let mut section = Vec::new();
        man.render_synopsis_section(&mut section).map_err(cannot)?;
        man.render_description_section(&mut section)
            .map_err(cannot)?;
        man.render_options_section(&mut section).map_err(cannot)?;
        // A section per command, whose own sections become subsections.
        page.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        for line in String::from_utf8_lossy(&section).lines() {
            let line = match line.strip_prefix(".SH ") {
                Some(title) => format!(".SS {title}"),
                None => line.to_string(),
            };
            page.extend_from_slice(line.as_bytes());
            page.push(b'\n');
        }
    }
    render::print(&page)?;
    Ok(Status::Clean)
}
