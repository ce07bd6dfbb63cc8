//! The command-line definition as a whole: consistent for clap, every flag defined once,
//! every closed set refused with its values named.

use std::collections::BTreeMap;

use clap::{CommandFactory, Parser};

use crate::cli::Cli;

/// The whole command tree: each command's arguments are deferred until that command runs
/// (`cli::Command`), so a test that walks them builds the tree first.
fn whole_command() -> clap::Command {
    let mut command = Cli::command();
    command.build();
    command
}

#[test]
fn the_definition_is_consistent() {
    Cli::command().debug_assert();
}

/// Flags that share a name but not a meaning, and why.
const SAME_NAME_OTHER_MEANING: [&str; 4] = [
    // Each command has its own closed set of formats.
    "format",
    // check's `tcp:80 udp:53` and scan's `22,80,catalog` grammars (being unified in the
    // port grammar of portolan-catalog).
    "ports",
    // plan's `--from CIDR` and `--to ADDR` are where traffic comes from and goes to;
    // changes' `--from VERSION --to VERSION` are the ends of a changelog (issue 12 names
    // both so); the values cannot be mistaken for each other.
    "from", "to",
];

#[test]
fn a_flag_used_by_several_commands_is_defined_once() {
    let mut seen: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for command in whole_command().get_subcommands() {
        for arg in command.get_arguments() {
            let (Some(long), Some(help)) = (arg.get_long(), arg.get_help()) else {
                continue;
            };
            seen.entry(long.to_string()).or_default().push((
                command.get_name().to_string(),
                format!("{help} {:?}", arg.get_value_names()),
            ));
        }
    }
    // The walk saw the commands' own arguments, not the empty shells a deferred tree has.
    assert!(
        seen.get("format").is_some_and(|uses| uses.len() >= 5),
        "--format seen in {:?}",
        seen.get("format")
    );
    for (flag, uses) in seen {
        // `--help` is clap's own, its text depending on whether a command has long help.
        if SAME_NAME_OTHER_MEANING.contains(&flag.as_str()) || flag == "help" {
            continue;
        }
        let (first_command, first) = &uses[0];
        for (command, help) in &uses[1..] {
            assert_eq!(
                help, first,
                "--{flag} of {command} differs from --{flag} of {first_command}: \
                 define it once, in a shared group"
            );
        }
    }
}

/// A command line that reaches `flag` of `command`: its required arguments filled in.
fn argv(command: &clap::Command, flag: &str, value: &str) -> Vec<String> {
    let mut argv = vec!["portolan".to_string(), command.get_name().to_string()];
    for arg in command.get_positionals().filter(|a| a.is_required_set()) {
        argv.push(format!("{}-value", arg.get_id()));
    }
    argv.push(format!("--{flag}"));
    argv.push(value.to_string());
    argv
}

#[test]
fn every_closed_set_refuses_a_wrong_value_naming_the_valid_ones() {
    let mut checked = 0;
    for command in whole_command().get_subcommands() {
        for arg in command.get_arguments() {
            let values = arg.get_possible_values();
            let Some(long) = arg.get_long() else { continue };
            // A global option (`--color`) is checked once, at the top, below.
            if arg.is_global_set() {
                continue;
            }
            // Only closed sets: an open grammar (`--rpc-range A-B`) lists examples only.
            if values.is_empty() || !arg.get_action().takes_values() || long == "rpc-range" {
                continue;
            }
            let error = Cli::try_parse_from(argv(command, long, "no-such-value"))
                .expect_err("a wrong value is refused");
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::InvalidValue,
                "--{long}"
            );
            assert_eq!(error.exit_code(), 2, "--{long}");
            let message = error.to_string();
            for value in values.iter().filter(|v| !v.is_hide_set()) {
                assert!(
                    message.contains(value.get_name()),
                    "{} --{long}: the error names `{}`: {message}",
                    command.get_name(),
                    value.get_name()
                );
            }
            checked += 1;
        }
    }
    // format of every record command, dialect, input-format, completions' shell...
    assert!(checked >= 15, "checked {checked} closed sets");
    let error = Cli::try_parse_from(["portolan", "--color", "no-such-value", "port", "445"])
        .expect_err("a wrong --color is refused");
    assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue);
    let message = error.to_string();
    for value in ["auto", "always", "never"] {
        assert!(
            message.contains(value),
            "--color names `{value}`: {message}"
        );
    }
}

/// build.rs links GCC's unwinder statically on Linux with glibc: panics must still unwind
/// and backtraces still walk the stack in what this package builds (this test is one).
#[test]
fn the_static_unwinder_unwinds_and_walks_the_stack() {
    let caught = std::panic::catch_unwind(|| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        assert_eq!(
            backtrace.status(),
            std::backtrace::BacktraceStatus::Captured
        );
        panic!("unwind through the test");
    });
    assert!(caught.is_err(), "the panic was caught");
    let thread = std::thread::spawn(|| panic!("unwind in a thread"));
    assert!(thread.join().is_err(), "a thread's panic reaches join");
}
