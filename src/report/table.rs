//! Terminal rendering of a [`Report`] (comfy-table): buckets, then the dumps flagged for
//! deletion with the bytes they free, then failures, then one summary line; `--details` adds one
//! row per dump with its evidence.
//!
//! The renderer is pure: width and colour come in through [`TableOptions`] (the caller decides
//! them from the terminal, see [`TableOptions::for_stdout`]), so tests get the same bytes on
//! every machine.
//!
//! Every value that comes from a dump, a log, a file name or a saved report goes through
//! [`terminal`] first: an escape sequence in a module name must not clear the screen or set the
//! window title, and a newline in a file name must not draw a fake row.

use std::io::IsTerminal;

use comfy_table::{
    Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, Width,
    presets::UTF8_FULL_CONDENSED,
};
use jiff::Timestamp;

use super::{BucketHistory, DumpRow, HistoryStatus, Report, RunHistory, human_bytes};
use crate::chance::{Chance, Strength};
use crate::rules::Action;
use crate::text::{terminal, terminal_path};

/// Width used when stdout is not a terminal: wide enough for paths, narrow enough for a log
/// viewer or a CI page.
pub const PIPED_WIDTH: u16 = 120;

/// The bucket title column never gets narrower than this.
const BUCKET_MIN_WIDTH: u16 = 20;

/// Longest failure message shown in the table (the JSON report has the whole text).
const FAILURE_MESSAGE_CHARS: usize = 100;

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOptions {
    /// Total width the tables must fit in.
    pub width: u16,
    /// ANSI colours (only on a terminal, never with `NO_COLOR`).
    pub color: bool,
    /// Add the per-dump table with evidence.
    pub details: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions { width: PIPED_WIDTH, color: false, details: false }
    }
}

impl TableOptions {
    /// Options for printing on this process's stdout: the terminal's width and colour when it
    /// is a terminal (colour unless `NO_COLOR` is set to a non-empty value), otherwise
    /// [`PIPED_WIDTH`] without colour.
    pub fn for_stdout(details: bool) -> Self {
        let stdout = std::io::stdout();
        if !stdout.is_terminal() {
            return TableOptions { details, ..TableOptions::default() };
        }
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        // Ask comfy-table (crossterm) for the terminal width; fall back to the piped width.
        let width = Table::new().width().filter(|w| *w >= 40).unwrap_or(PIPED_WIDTH);
        TableOptions { width, color: !no_color, details }
    }
}

/// Render the whole report for a terminal or a pipe.
pub fn render_table(report: &Report, opts: &TableOptions) -> String {
    let mut out = String::new();
    if report.buckets.is_empty() {
        out.push_str("No dumps.\n");
    } else {
        let mut t = new_table(opts);
        // The history column only appears with `--history`, so other output stays as it was.
        let with_history = report.buckets.iter().any(|b| b.history.is_some());
        let mut names = vec!["bucket", "count", "chance", "action", "size", "first / last seen"];
        if with_history {
            names.push("history");
        }
        t.set_header(header(opts, &names));
        // On a narrow terminal the short columns keep their width (a wrapped "dele|te" reads
        // badly), the title keeps a readable minimum, and the times wrap (at the space between
        // date and time) first.
        if let Some(c) = t.column_mut(0) {
            c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(BUCKET_MIN_WIDTH)));
        }
        for i in 1..=4 {
            if let Some(c) = t.column_mut(i) {
                c.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
        for b in &report.buckets {
            let mut row = vec![
                Cell::new(terminal(&b.title)),
                Cell::new(b.count).set_alignment(CellAlignment::Right),
                chance_cell(opts, b.chance),
                action_cell(opts, b.action),
                Cell::new(human_bytes(b.bytes)).set_alignment(CellAlignment::Right),
                Cell::new(seen(b.first_seen, b.last_seen)),
            ];
            if with_history {
                row.push(history_cell(opts, b.history.as_ref()));
            }
            t.add_row(row);
        }
        push_table(&mut out, &t);
    }

    if opts.details && !report.dumps.is_empty() {
        out.push('\n');
        push_table(&mut out, &details_table(report, opts));
    }

    let delete: Vec<&DumpRow> = report.delete_rows().collect();
    if !delete.is_empty() {
        let bytes: u64 = delete.iter().map(|d| d.size).sum();
        out.push_str(&format!(
            "\nFlagged delete: {} dump{}, {} ({} bytes) would be freed\n",
            delete.len(),
            plural(delete.len()),
            human_bytes(bytes),
            bytes
        ));
        let mut t = new_table(opts);
        t.set_header(header(opts, &["dump", "size", "rule"]));
        for d in delete {
            t.add_row(vec![
                Cell::new(terminal_path(&d.path)),
                Cell::new(human_bytes(d.size)).set_alignment(CellAlignment::Right),
                Cell::new(terminal(&d.verdict.rule)),
            ]);
        }
        push_table(&mut out, &t);
    }

    if !report.failures.is_empty() {
        out.push_str(&format!("\nFailures ({}):\n", report.failures.len()));
        for f in &report.failures {
            out.push_str(&format!(
                "  {}: {} ({})\n",
                terminal_path(&f.path),
                terminal(&f.code),
                terminal(&shorten(&f.message))
            ));
        }
    }

    if opts.details && !report.skipped.is_empty() {
        out.push_str(&format!("\nSkipped ({}):\n", report.skipped.len()));
        for s in &report.skipped {
            out.push_str(&format!("  {}: {}\n", terminal_path(&s.path), terminal(&shorten(&s.reason))));
        }
    }

    out.push('\n');
    out.push_str(&summary_line(report));
    out.push('\n');
    if let Some(h) = &report.history {
        out.push_str(&history_line(h));
        out.push('\n');
    }
    out
}

/// `History run 3 (h.sqlite): 1 new, 20 seen, ...`, printed under the summary with `--history`.
pub fn history_line(h: &RunHistory) -> String {
    format!(
        "History run {} ({}): {} new, {} seen, {} regressed, {} fixed, {} muted; {} new dump{}",
        h.run,
        terminal_path(&h.store),
        h.new,
        h.seen,
        h.regressed,
        h.fixed,
        h.muted,
        h.new_dumps,
        plural(h.new_dumps as usize)
    )
}

/// The short history text of a bucket (`new`, `seen: 3 runs, 12 dumps`, `REGRESSED ...`).
pub fn history_text(h: &BucketHistory) -> String {
    let mut text = match h.status {
        HistoryStatus::New => "new".to_owned(),
        HistoryStatus::Seen => {
            format!("seen: {} run{}\n{} dump{}", h.runs, plural(h.runs as usize), h.dumps, plural(h.dumps as usize))
        }
        HistoryStatus::Muted => "muted".to_owned(),
        HistoryStatus::Fixed => match &h.fixed_in {
            Some(v) => format!("fixed in {}", terminal(v)),
            None => "fixed".to_owned(),
        },
        HistoryStatus::Regressed => format!(
            "REGRESSED: fixed at {}, back in {}",
            terminal(h.version_before.as_deref().unwrap_or("?")),
            terminal(h.version_after.as_deref().unwrap_or("unknown version"))
        ),
    };
    if let Some(t) = &h.ticket {
        text.push_str(&format!("\nticket {}", terminal(t)));
    }
    text
}

fn history_cell(opts: &TableOptions, h: Option<&BucketHistory>) -> Cell {
    let Some(h) = h else { return Cell::new("-") };
    let cell = Cell::new(history_text(h));
    match h.status {
        HistoryStatus::New => cell.fg_if(opts, Color::Cyan),
        HistoryStatus::Regressed => cell.fg_if(opts, Color::Red),
        _ => cell,
    }
}

/// The one-line summary (also printed by `check` and `clean`).
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    format!(
        "{} dump{} in {} bucket{}: {} delete ({}), {} keep, {} review; {} log{}; {} failure{}; {} skipped",
        s.dumps,
        plural(s.dumps as usize),
        s.buckets,
        plural(s.buckets as usize),
        s.delete,
        human_bytes(s.delete_bytes),
        s.keep,
        s.review,
        s.logs,
        plural(s.logs as usize),
        s.failures,
        plural(s.failures as usize),
        s.skipped
    )
}

fn details_table(report: &Report, opts: &TableOptions) -> Table {
    let mut t = new_table(opts);
    t.set_header(header(opts, &["dump", "exception", "module", "chance / evidence", "action / rule", "events"]));
    for d in &report.dumps {
        let exception = d
            .exception
            .as_ref()
            .map_or_else(|| "-".to_owned(), |e| format!("{} {}", terminal(&e.code), terminal(&e.name)));
        let module = d.faulting_module.as_ref().map_or_else(
            || "-".to_owned(),
            |m| {
                let (name, offset) = (terminal(&m.name), terminal(&m.offset));
                match &m.version {
                    Some(v) => format!("{name}+{offset} ({})", terminal(v)),
                    None => format!("{name}+{offset}"),
                }
            },
        );
        let mut module = module;
        if let Some(sig) = &d.signature {
            module.push_str(&format!("\n{}", terminal(&crate::symbols::signature::bugzilla_form(sig))));
        }
        if let Some(thread) = &d.crashing_thread {
            for line in thread.frames.iter().flat_map(super::frame_lines).take(super::TOP_FRAMES) {
                module.push('\n');
                module.push_str(&terminal(&line));
            }
        }
        let mut chance = d.chance.value.as_str().to_owned();
        if d.chance.conflict {
            chance.push_str(" (conflict)");
        }
        for e in &d.chance.evidence {
            let strength = match e.strength {
                Strength::Strong => "strong",
                Strength::Weak => "weak",
            };
            chance.push_str(&format!("\n- {strength} {}: {}", e.indicates, terminal(&e.detail)));
        }
        let verdict =
            format!("{}: {}\n{}", d.verdict.action.as_str(), terminal(&d.verdict.rule), terminal(&d.verdict.reason));
        let events = if d.events.is_empty() {
            "-".to_owned()
        } else {
            d.events
                .iter()
                .map(|e| format!("{} {} #{}", terminal(&e.provider), e.event_id, e.record_id))
                .collect::<Vec<_>>()
                .join("\n")
        };
        t.add_row(vec![
            Cell::new(terminal_path(&d.path)),
            Cell::new(exception),
            Cell::new(module),
            Cell::new(chance),
            Cell::new(verdict).fg_if(opts, action_color(d.verdict.action)),
            Cell::new(events),
        ]);
    }
    t
}

fn new_table(opts: &TableOptions) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    // Never let comfy-table look at the real terminal: the caller already decided.
    t.force_no_tty();
    if opts.color {
        t.enforce_styling();
    }
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(opts.width);
    t
}

fn push_table(out: &mut String, t: &Table) {
    // comfy-table pads lines to the column width; trailing spaces only make diffs noisy.
    for line in t.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn header(opts: &TableOptions, names: &[&str]) -> Vec<Cell> {
    names.iter().map(|n| if opts.color { Cell::new(n).add_attribute(Attribute::Bold) } else { Cell::new(n) }).collect()
}

fn action_color(action: Action) -> Color {
    match action {
        Action::Delete => Color::Red,
        Action::Keep => Color::Green,
        Action::Review => Color::Yellow,
    }
}

fn action_cell(opts: &TableOptions, action: Action) -> Cell {
    Cell::new(action.as_str()).fg_if(opts, action_color(action))
}

fn chance_cell(opts: &TableOptions, chance: Chance) -> Cell {
    let cell = Cell::new(chance.as_str());
    match chance {
        Chance::Second => cell.fg_if(opts, Color::Magenta),
        _ => cell,
    }
}

trait CellExt {
    fn fg_if(self, opts: &TableOptions, color: Color) -> Cell;
}

impl CellExt for Cell {
    fn fg_if(self, opts: &TableOptions, color: Color) -> Cell {
        if opts.color { self.fg(color) } else { self }
    }
}

/// First and last time on two lines (one when they are equal).
fn seen(first: Option<Timestamp>, last: Option<Timestamp>) -> String {
    if first == last { time(first) } else { format!("{}\n{}", time(first), time(last)) }
}

/// Minutes, UTC: enough to read a table; the JSON report has full precision.
fn time(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| t.strftime("%Y-%m-%d %H:%MZ").to_string())
}

fn shorten(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or("");
    if first_line.chars().count() <= FAILURE_MESSAGE_CHARS && !message.contains('\n') {
        return first_line.to_owned();
    }
    let cut: String = first_line.chars().take(FAILURE_MESSAGE_CHARS).collect();
    format!("{cut}…")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
