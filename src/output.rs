//! Everything that reaches stdout goes through here: human text and tables,
//! one JSON document (`--json`), or NDJSON events (`--json-lines`).

use crate::error::{Error, Exit};
use comfy_table::{Attribute, Cell, Color, ColumnConstraint, ContentArrangement, Table, presets};
use serde::Serializer;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// The version of the JSON contract (the files in schemas/): every `--json`
/// document carries it as `schema_version`. Raise it when a field is renamed,
/// removed or changes its meaning or unit; adding a field keeps it.
pub const SCHEMA_VERSION: u32 = 1;

/// Whether stdout's reader has gone. A command that would run on without
/// end (`-c 0`) stops as on Ctrl-C; one with a fixed amount of work finishes
/// it, so its verdict is the same as unpiped.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Writes one line to stderr. A closed stderr is ignored: `eprintln!`
/// would panic (an abort, in release) where the command should end with
/// its own exit code.
pub fn stderr_line(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    JsonLines,
}

/// Colour roles, so commands say what a word means, not which colour it is.
#[derive(Debug, Clone, Copy)]
pub enum Tone {
    Good,
    Bad,
    Warn,
    Dim,
    Bold,
}

/// A finished command's result: rendered by `Output::finish`, judged by `exit`.
pub trait Report {
    fn human(&self, out: &Output) -> String;
    fn json(&self) -> serde_json::Value;
    /// The closing events of a streaming command under `--json-lines`.
    fn json_lines(&self) -> Vec<serde_json::Value> {
        vec![self.json()]
    }
    fn exit(&self) -> Exit;
    /// The human text is printed exactly as returned (dig's byte-for-byte layout,
    /// where an empty answer prints nothing), not trimmed to one final newline.
    fn verbatim(&self) -> bool {
        false
    }
}

#[derive(Debug, Clone)]
pub struct Output {
    pub format: Format,
    pub color: bool,
    pub tty: bool,
}

impl Output {
    pub fn new(format: Format, color: bool) -> Self {
        Output { format, color, tty: std::io::stdout().is_terminal() }
    }

    /// Writes a line to stdout. Once the reader has gone (`| head`), nothing
    /// more is written and [`stdout_closed`] says so: the command still ends
    /// with its check's verdict, so `set -o pipefail` sees a failed check.
    pub fn line(&self, text: &str) {
        self.write(&format!("{text}\n"));
    }

    /// Writes text to stdout as it is (see [`line`](Self::line)).
    fn write(&self, text: &str) {
        if stdout_closed() {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        let written = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
        if let Err(e) = written
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        }
    }

    /// A streaming event: a human line, or one NDJSON object; nothing under `--json`.
    pub fn event(&self, human: impl FnOnce() -> String, json: impl FnOnce() -> serde_json::Value) {
        match self.format {
            Format::Human => self.line(&human()),
            Format::JsonLines => self.line(&json().to_string()),
            Format::Json => {}
        }
    }

    pub fn finish(&self, report: &dyn Report) -> Exit {
        match self.format {
            Format::Human if report.verbatim() => self.write(&report.human(self)),
            Format::Human => self.line(report.human(self).trim_end()),
            Format::Json => self.document(report.json()),
            Format::JsonLines => {
                for event in report.json_lines() {
                    self.line(&event.to_string());
                }
            }
        }
        report.exit()
    }

    /// Prints one `--json` document, stamped with the contract's version.
    fn document(&self, mut value: serde_json::Value) {
        if let Some(object) = value.as_object_mut() {
            object.insert("schema_version".into(), SCHEMA_VERSION.into());
        }
        self.line(&serde_json::to_string_pretty(&value).unwrap_or_default());
    }

    /// A command that could not give its verdict still answers a script in
    /// the format it asked for: under `--json` one document, under
    /// `--json-lines` one `error` event, naming the error and its exit code.
    /// The one-line error on stderr is the caller's, as for every format.
    pub fn failure(&self, command: &str, err: &Error) {
        let error = serde_json::json!({
            "message": err.to_string(),
            "hint": err.hint(),
            "exit_code": err.exit() as u8,
        });
        match self.format {
            Format::Human => {}
            Format::Json => self.document(serde_json::json!({"command": command, "passed": false, "error": error})),
            Format::JsonLines => {
                let event = serde_json::json!({"event": "error", "command": command, "error": error});
                self.line(&event.to_string());
            }
        }
    }

    pub fn paint(&self, text: &str, tone: Tone) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Bad => "31",
            Tone::Warn => "33",
            Tone::Dim => "2",
            Tone::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// A table: box-drawn on a terminal, plain aligned columns in a pipe.
    /// Colour goes in with [`Output::cell`], never as escape codes in the
    /// text: comfy-table measures the text, and would count the codes.
    pub fn table(&self, header: &[&str]) -> Table {
        let mut table = Table::new();
        if self.tty {
            table.load_style(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
        } else {
            table.load_style(presets::NOTHING).force_no_tty();
        }
        if self.color {
            // --color always into a pipe styles too; without colour nothing is styled.
            table.enforce_styling().style_text_only();
        }
        table.set_header(header.iter().copied());
        table
    }

    /// A table cell in `tone`, styled by comfy-table after it has laid the table out.
    pub fn cell(&self, text: impl ToString, tone: Tone) -> Cell {
        let cell = Cell::new(text);
        if !self.color {
            return cell;
        }
        match tone {
            Tone::Good => cell.fg(Color::Green),
            Tone::Bad => cell.fg(Color::Red),
            Tone::Warn => cell.fg(Color::Yellow),
            Tone::Dim => cell.add_attribute(Attribute::Dim),
            Tone::Bold => cell.add_attribute(Attribute::Bold),
        }
    }
}

/// Keeps these columns (numbers, addresses) whole on a narrow terminal: the
/// others wrap to make room, so a value is never split across lines.
pub fn keep_whole(table: &mut Table, columns: impl IntoIterator<Item = usize>) {
    for index in columns {
        if let Some(column) = table.column_mut(index) {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
}

/// Serializes a Duration as fractional milliseconds.
pub fn as_ms<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(crate::timing::millis(*d))
}

/// Serializes an optional Duration as fractional milliseconds or null.
pub fn as_opt_ms<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => as_ms(d, s),
        None => s.serialize_none(),
    }
}
