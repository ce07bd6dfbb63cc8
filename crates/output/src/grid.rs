//! A plain grid of text cells and its renderings: terminal table, CSV, Markdown.
//!
//! Commands build a [`Grid`] from their results; the same grid renders to every tabular
//! format, so columns stay the same whatever the format.

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

/// How a cell should stand out on a colour terminal. Never changes the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    /// No emphasis.
    #[default]
    Plain,
    /// A good outcome (LISTENING, matches).
    Good,
    /// A bad outcome (NOT LISTENING, missing).
    Bad,
    /// Something to look at (FILTERED, an erratum).
    Warn,
    /// Less important detail.
    Dim,
}

/// One cell: text and tone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GridCell {
    /// The text.
    pub text: String,
    /// Its emphasis on colour terminals.
    pub tone: Tone,
}

impl<T: Into<String>> From<T> for GridCell {
    fn from(text: T) -> Self {
        GridCell {
            text: text.into(),
            tone: Tone::Plain,
        }
    }
}

impl GridCell {
    /// A cell with a tone.
    pub fn toned(text: impl Into<String>, tone: Tone) -> Self {
        GridCell {
            text: text.into(),
            tone,
        }
    }
}

/// Headers, rows and footnotes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grid {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows; each as long as `headers`.
    pub rows: Vec<Vec<GridCell>>,
    /// Lines printed under the table (terminal and Markdown only).
    pub notes: Vec<String>,
}

/// How to draw a terminal table.
#[derive(Debug, Clone, Copy, Default)]
pub struct TerminalStyle {
    /// Use colours (only on a terminal, never with NO_COLOR).
    pub color: bool,
    /// Output goes to a terminal: wrap long cells to its width. Otherwise never wrap.
    pub terminal: bool,
}

impl Grid {
    /// A grid with these headers and no rows.
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        Grid {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push<C: Into<GridCell>>(&mut self, row: impl IntoIterator<Item = C>) {
        self.rows.push(row.into_iter().map(Into::into).collect());
    }

    /// Renders a human-readable table.
    pub fn to_terminal(&self, style: TerminalStyle) -> String {
        let mut table = Table::new();
        table.load_style(presets::UTF8_FULL_CONDENSED);
        if style.terminal {
            table.set_content_arrangement(ContentArrangement::Dynamic);
        } else {
            table
                .force_no_tty()
                .set_content_arrangement(ContentArrangement::Disabled);
        }
        if style.color {
            table.enforce_styling();
        }
        let header: Vec<Cell> = self
            .headers
            .iter()
            .map(|h| {
                let cell = Cell::new(h);
                if style.color {
                    cell.add_attribute(Attribute::Bold)
                } else {
                    cell
                }
            })
            .collect();
        table.set_header(header);
        for row in &self.rows {
            table.add_row(row.iter().map(|c| {
                let cell = Cell::new(&c.text);
                match (style.color, c.tone) {
                    (false, _) | (true, Tone::Plain) => cell,
                    (true, Tone::Good) => cell.fg(Color::Green),
                    (true, Tone::Bad) => cell.fg(Color::Red),
                    (true, Tone::Warn) => cell.fg(Color::Yellow),
                    (true, Tone::Dim) => cell.fg(Color::DarkGrey),
                }
            }));
        }
        let mut out = table.to_string();
        out.push('\n');
        for note in &self.notes {
            out.push_str(note);
            out.push('\n');
        }
        out
    }

    /// Renders RFC 4180 CSV with a header line; notes are left out.
    pub fn to_csv(&self) -> String {
        // Flexible: a strict writer refuses a row shorter or longer than the header, and that
        // error would drop the row from the output without a word.
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        // With lengths unchecked, writing to a Vec cannot fail.
        let _ = writer.write_record(&self.headers);
        for row in &self.rows {
            let _ = writer.write_record(row.iter().map(|c| c.text.as_str()));
        }
        let bytes = writer.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }

    /// Renders a GitHub-flavoured Markdown table, notes as a list under it.
    pub fn to_markdown(&self) -> String {
        let escape = |s: &str| s.replace('|', "\\|").replace('\n', "<br>");
        let mut out = String::new();
        out.push_str(&format!(
            "| {} |\n",
            self.headers
                .iter()
                .map(|h| escape(h))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        out.push_str(&format!(
            "|{}|\n",
            self.headers
                .iter()
                .map(|_| " --- ")
                .collect::<Vec<_>>()
                .join("|")
        ));
        for row in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                row.iter()
                    .map(|c| escape(&c.text))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                out.push_str(&format!("- {}\n", escape(note)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Grid {
        let mut g = Grid::new(["Port", "Service"]);
        g.push(["445", "Server"]);
        g.push(["389", "a|b, \"c\""]);
        g.notes.push("note".into());
        g
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(
            sample().to_csv(),
            "Port,Service\n445,Server\n389,\"a|b, \"\"c\"\"\"\n"
        );
    }

    #[test]
    fn csv_keeps_a_row_of_another_length() {
        let mut g = sample();
        g.push(["53"]);
        assert!(g.to_csv().ends_with("\n53\n"), "{}", g.to_csv());
    }

    #[test]
    fn markdown_escapes_pipes() {
        let md = sample().to_markdown();
        assert!(md.starts_with("| Port | Service |\n| --- | --- |\n| 445 | Server |\n"));
        assert!(md.contains("a\\|b"));
        assert!(md.ends_with("\n- note\n"));
    }

    #[test]
    fn terminal_without_colour_has_no_escapes() {
        let mut g = sample();
        g.rows[0][0].tone = Tone::Bad;
        let text = g.to_terminal(TerminalStyle::default());
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("445") && text.contains("note"));
        let coloured = g.to_terminal(TerminalStyle {
            color: true,
            terminal: false,
        });
        assert!(coloured.contains('\u{1b}'));
    }
}
