//! Where output goes and how it looks: colour and wrapping decisions, writing to a file or
//! standard output.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

use portolan_output::{Grid, TerminalStyle};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::cli::{ColorChoice, LookupFormat};
use crate::exit::{self, Failure};

/// Terminal style for standard output, from `--color`, NO_COLOR and whether stdout is a TTY.
pub fn terminal_style(choice: ColorChoice) -> TerminalStyle {
    let terminal = std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    };
    TerminalStyle { color, terminal }
}

/// Renders a grid, or the JSON value, in the chosen look-up format.
pub fn lookup<T: Serialize>(
    format: LookupFormat,
    style: TerminalStyle,
    grid: &Grid,
    json: &T,
) -> Result<String, Failure> {
    Ok(match format {
        LookupFormat::Table => grid.to_terminal(style),
        LookupFormat::Csv => grid.to_csv(),
        LookupFormat::Md => grid.to_markdown(),
        LookupFormat::Json => to_json(json)?,
        LookupFormat::Jsonl => to_json_lines(json)?,
    })
}

/// Pretty JSON with a final newline.
pub fn to_json<T: Serialize>(value: &T) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::runtime(format!("cannot encode JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// JSON Lines of a `--format json` document (docs/json.md): one line per element of its one
/// list of records (`rows`, `services`, `roles`, `errata`, `reports`), each element exactly as
/// in the document; a document without exactly one list (a single role) is one line.
pub fn to_json_lines<T: Serialize>(value: &T) -> Result<String, Failure> {
    let encoding = |e: serde_json::Error| Failure::runtime(format!("cannot encode JSON: {e}"));
    let document = serde_json::to_string(value).map_err(encoding)?;
    // Raw values keep each record's text as serialized, so its fields keep their order.
    let fields: HashMap<&str, &RawValue> = serde_json::from_str(&document).unwrap_or_default();
    // `conflicts` (port, role) is a note about the records, not one of them.
    let lists: Vec<&RawValue> = fields
        .iter()
        .filter(|(name, raw)| **name != "conflicts" && raw.get().starts_with('['))
        .map(|(_, raw)| *raw)
        .collect();
    let mut text = String::new();
    match lists.as_slice() {
        [records] => {
            let records: Vec<&RawValue> = serde_json::from_str(records.get()).map_err(encoding)?;
            for record in records {
                text.push_str(record.get());
                text.push('\n');
            }
        }
        _ => {
            text.push_str(&document);
            text.push('\n');
        }
    }
    Ok(text)
}

/// Writes bytes to standard output. A closed pipe (`portolan table | head -1`) ends the
/// process quietly at once (exit::CLOSED_PIPE), so a long scan stops when nobody reads it.
pub fn print(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::closed_pipe(),
        Err(e) => Err(Failure::runtime(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// Writes bytes to `path`, or to standard output when there is none.
pub fn write_output(path: Option<&Path>, bytes: &[u8], binary: bool) -> Result<(), Failure> {
    match path {
        Some(path) => std::fs::write(path, bytes).map_err(|e| {
            Failure::runtime(format!(
                "cannot write {}: {e}; check that the folder exists and is writable",
                path.display()
            ))
        }),
        None if binary && std::io::stdout().is_terminal() => Err(Failure::new(
            "refusing to write a binary spreadsheet to a terminal; add --output FILE \
             or redirect standard output to a file",
        )),
        None => print(bytes),
    }
}
