//! Terminal rendering of a [`Report`]: buckets, then the dumps flagged for deletion with the
//! bytes they free, then failures and skipped files, then one summary line; `--details` adds
//! one entry per dump with its evidence.
//!
//! Two layouts. At [`COMPACT_BELOW`] columns or more, buckets and details are tables
//! (comfy-table). Below it, each bucket and each dump is a short block of lines, because a
//! six-column table at 80 columns wraps every title over four or five lines. Either way:
//!
//! * **no token is split**: every table column is at least as wide as the longest word in it
//!   (a wrapped `EXCEPTION_ACCESS_VIOLAT|ION_READ` cannot be searched for), and the blocks wrap
//!   only at spaces. A word longer than the line runs past the edge rather than break.
//! * **paths are never broken**: lists of paths are plain lines with the path last, so a long
//!   path overflows instead of wrapping mid-name (a terminal can still be copied from).
//! * **long lists are cut**: the delete and skipped lists show [`TableOptions::list_limit`]
//!   rows, then a count and the flags that list them all.
//!
//! The renderer is pure: width and colour come in through [`TableOptions`] (the caller decides
//! them from the terminal and `$COLUMNS`, see [`TableOptions::for_stdout`]), so tests get the
//! same bytes on every machine.
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

use super::{BucketHistory, BucketRow, DumpRow, HistoryStatus, Report, RunHistory, human_bytes};
use crate::chance::Chance;
use crate::model::TimeSource;
use crate::rules::Action;
use crate::text::{terminal, terminal_path};

mod dumps;
use dumps::{delete_list, details_table, dump_block};

/// Width used when stdout is not a terminal and `$COLUMNS` is not set: wide enough for paths,
/// narrow enough for a log viewer or a CI page.
pub const PIPED_WIDTH: u16 = 120;

/// Below this width buckets and details are blocks of lines instead of tables.
pub const COMPACT_BELOW: u16 = 100;

/// The narrowest width honoured (`$COLUMNS=5` would make every line a single word).
const MIN_WIDTH: u16 = 40;

/// Longest failure message shown in the table (the JSON report has the whole text).
const FAILURE_MESSAGE_CHARS: usize = 100;

/// Offsets named per bucket before the rest are counted.
const OFFSETS_SHOWN: usize = 3;

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOptions {
    /// Total width the output should fit in.
    pub width: u16,
    /// ANSI colours (only on a terminal, never with `NO_COLOR`).
    pub color: bool,
    /// Add the per-dump entries with evidence (and list every skipped file).
    pub details: bool,
    /// Rows of the delete and skipped lists shown before the rest is counted; 0 shows all.
    pub list_limit: usize,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions { width: PIPED_WIDTH, color: false, details: false, list_limit: crate::config::DEFAULT_LIST_LIMIT }
    }
}

impl TableOptions {
    /// Plain (no colour) output at `width`, the default list limit.
    pub fn plain(width: u16, details: bool) -> Self {
        TableOptions { width, details, ..TableOptions::default() }
    }

    /// Options for printing on this process's stdout. The width is `$COLUMNS` when it is set
    /// (on a terminal or piped: `COLUMNS=200 triage scan … | less` means what it says), else
    /// the terminal's width, else [`PIPED_WIDTH`]. Colour only on a terminal, never with a
    /// non-empty `NO_COLOR`.
    pub fn for_stdout(details: bool) -> Self {
        let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<u16>().ok());
        let stdout = std::io::stdout();
        if !stdout.is_terminal() {
            let width = columns.map_or(PIPED_WIDTH, |c| c.max(MIN_WIDTH));
            return TableOptions { width, details, ..TableOptions::default() };
        }
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        // Ask comfy-table (crossterm) for the terminal width; fall back to the piped width.
        let width = columns.or_else(|| Table::new().width()).map_or(PIPED_WIDTH, |w| w.max(MIN_WIDTH));
        TableOptions { width, color: !no_color, details, ..TableOptions::default() }
    }

    fn compact(&self) -> bool {
        self.width < COMPACT_BELOW
    }

    /// How many of `total` rows a list shows.
    fn shown(&self, total: usize) -> usize {
        if self.list_limit == 0 { total } else { total.min(self.list_limit) }
    }
}

/// Render the whole report for a terminal or a pipe.
pub fn render_table(report: &Report, opts: &TableOptions) -> String {
    let mut out = String::new();
    if report.buckets.is_empty() {
        out.push_str("No dumps.\n");
    } else if opts.compact() {
        for b in &report.buckets {
            bucket_block(&mut out, b, opts);
        }
    } else {
        push_table(&mut out, &bucket_table(report, opts));
        if report.buckets.iter().any(|b| b.seen_from == Some(TimeSource::FileModified)) {
            out.push_str(FILE_TIME_NOTE);
            out.push('\n');
        }
    }

    if opts.details && !report.dumps.is_empty() {
        out.push('\n');
        if opts.compact() {
            for d in &report.dumps {
                dump_block(&mut out, d, opts);
            }
        } else {
            push_table(&mut out, &details_table(report, opts));
        }
    }

    delete_list(&mut out, report, opts);

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

    if !report.skipped.is_empty() {
        let total = report.skipped.len();
        let shown = if opts.details { total } else { opts.shown(total) };
        out.push_str(&format!("\nSkipped ({total}):\n"));
        for s in report.skipped.iter().take(shown) {
            out.push_str(&format!("  {}: {}\n", terminal_path(&s.path), terminal(&shorten(&s.reason))));
        }
        if shown < total {
            out.push_str(&format!(
                "  … and {} more not shown (--details or --list-limit 0 lists all; the JSON report has them too)\n",
                total - shown
            ));
        }
    }

    out.push('\n');
    if opts.compact() {
        // Wrap between the parts of the summary, never inside one (`0 skipped` stays whole).
        let parts = summary_line(report).replace(' ', "\u{a0}").replace(";\u{a0}", "; ");
        let mut wrapped = String::new();
        push_wrapped(&mut wrapped, &parts, usize::from(opts.width), "");
        out.push_str(&wrapped.replace('\u{a0}', " "));
    } else {
        out.push_str(&summary_line(report));
        out.push('\n');
    }
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

fn bucket_table(report: &Report, opts: &TableOptions) -> Table {
    let mut t = new_table(opts);
    // The history column only appears with `--history`, so other output stays as it was.
    let with_history = report.buckets.iter().any(|b| b.history.is_some());
    let mut names = vec!["bucket", "count", "chance", "action", "size", "first / last seen"];
    if with_history {
        names.push("history");
    }
    t.set_header(header(opts, &names));
    let rows: Vec<Vec<String>> = std::iter::once(names.iter().map(|n| (*n).to_owned()).collect())
        .chain(report.buckets.iter().map(|b| {
            let mut title = terminal(&b.title).into_owned();
            if let Some(o) = offsets_text(b) {
                title.push('\n');
                title.push_str(&o);
            }
            let mut row = vec![
                title,
                b.count.to_string(),
                b.chance.as_str().to_owned(),
                b.actions.text().replace(" · ", "\n"),
                human_bytes(b.bytes),
                seen_lines(b),
            ];
            if with_history {
                row.push(b.history.as_ref().map_or_else(|| "-".to_owned(), history_text));
            }
            row
        }))
        .collect();
    // The first row is the header: its words count for the widths, but it is not a bucket.
    for (b, row) in report.buckets.iter().zip(rows.iter().skip(1)) {
        let mut cells = vec![
            Cell::new(&row[0]),
            Cell::new(&row[1]).set_alignment(CellAlignment::Right),
            chance_cell(opts, b.chance),
            Cell::new(&row[3]).fg_if(opts, action_color(b.action)),
            Cell::new(&row[4]).set_alignment(CellAlignment::Right),
            Cell::new(&row[5]),
        ];
        if with_history {
            cells.push(history_cell(opts, b.history.as_ref()));
        }
        t.add_row(cells);
    }
    protect_tokens(&mut t, &rows);
    // The title is what people read: give it up to half the width before other columns wrap.
    let longest_line = rows.iter().flat_map(|r| r[0].lines()).map(|l| l.chars().count()).max().unwrap_or(0);
    let longest_word = rows.iter().flat_map(|r| r[0].split_whitespace()).map(|w| w.chars().count()).max().unwrap_or(0);
    let title = longest_word.max(longest_line.min(usize::from(opts.width) / 2));
    if let Some(c) = t.column_mut(0) {
        c.set_constraint(ColumnConstraint::LowerBoundary(fixed(title)));
    }
    // A verdict count, a size, a time and a history status are read whole: wrap between lines,
    // never inside one.
    for i in [3, 4, 5, 6] {
        let longest =
            rows.iter().filter_map(|r| r.get(i)).flat_map(|c| c.lines()).map(|l| l.chars().count()).max().unwrap_or(1);
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(ColumnConstraint::LowerBoundary(fixed(longest)));
        }
    }
    t
}

/// The legend of the `*` after a time in a table.
const FILE_TIME_NOTE: &str = "* file time: the dump has no time of its own (a copy moves it)";

/// A bucket as a block: title, then counts, chance, verdicts, size and times on one line, then
/// the fault offsets. Wrapped at spaces only.
fn bucket_block(out: &mut String, b: &BucketRow, opts: &TableOptions) {
    let width = usize::from(opts.width);
    push_wrapped(out, &terminal(&b.title), width, "");
    let seen = seen_text(b);
    let facts = format!(
        "{} dump{} · {} · {} · {} · {}",
        b.count,
        plural(b.count as usize),
        chance_text(b.chance),
        b.actions.text(),
        human_bytes(b.bytes),
        seen
    );
    push_wrapped(out, &facts, width, "  ");
    if let Some(o) = offsets_text(b) {
        push_wrapped(out, &o, width, "  ");
    }
    if let Some(h) = &b.history {
        push_wrapped(out, &format!("history: {}", history_text(h).replace('\n', ", ")), width, "  ");
    }
}

/// `at +0x1a2b ×4, +0x2000 ×1`, or `None` when no member has a module offset.
fn offsets_text(b: &BucketRow) -> Option<String> {
    if b.offsets.is_empty() {
        return None;
    }
    let mut parts: Vec<String> =
        b.offsets.iter().take(OFFSETS_SHOWN).map(|o| format!("+{} ×{}", terminal(&o.offset), o.count)).collect();
    if b.offsets.len() > OFFSETS_SHOWN {
        parts.push(format!("{} more offsets", b.offsets.len() - OFFSETS_SHOWN));
    }
    Some(format!("at {}", parts.join(", ")))
}

/// Every column at least as wide as its longest word, so comfy-table shrinks columns by
/// wrapping at spaces and never cuts a token in two. When the words cannot all fit, the table
/// grows past the width instead.
fn protect_tokens(t: &mut Table, rows: &[Vec<String>]) {
    let columns = rows.first().map_or(0, Vec::len);
    for i in 0..columns {
        let longest = rows
            .iter()
            .filter_map(|r| r.get(i))
            .flat_map(|cell| cell.split_whitespace())
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(1);
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(ColumnConstraint::LowerBoundary(fixed(longest)));
        }
    }
}

/// A column width for `content` characters: comfy-table's constraint widths include the cell
/// padding (one space each side).
fn fixed(content: usize) -> Width {
    Width::Fixed(u16::try_from(content.saturating_add(2)).unwrap_or(u16::MAX))
}

/// Append `text` wrapped at spaces to `width` columns, each line starting with `indent` (and
/// continuation lines with two more spaces). A word longer than a line is not split.
fn push_wrapped(out: &mut String, text: &str, width: usize, indent: &str) {
    let mut line = String::from(indent);
    let mut empty = true;
    let mut cont = false;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let needed = line.chars().count() + usize::from(!empty) + word.chars().count();
        if !empty && needed > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = format!("{indent}  ");
            empty = true;
            cont = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty || !cont {
        out.push_str(line.trim_end());
        out.push('\n');
    }
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

fn chance_cell(opts: &TableOptions, chance: Chance) -> Cell {
    let cell = Cell::new(chance.as_str());
    match chance {
        Chance::Second => cell.fg_if(opts, Color::Magenta),
        _ => cell,
    }
}

pub(super) trait CellExt {
    fn fg_if(self, opts: &TableOptions, color: Color) -> Cell;
}

impl CellExt for Cell {
    fn fg_if(self, opts: &TableOptions, color: Color) -> Cell {
        if opts.color { self.fg(color) } else { self }
    }
}

/// The chance in prose: `first chance`, `chance unknown`, `no exception`.
fn chance_text(chance: Chance) -> &'static str {
    match chance {
        Chance::First => "first chance",
        Chance::Second => "second chance",
        Chance::None => "no exception",
        Chance::Unknown => "chance unknown",
    }
}

/// `file time ` before times that came from the file system, so they are never taken for the
/// dump's own.
fn time_prefix(source: Option<TimeSource>) -> &'static str {
    if source == Some(TimeSource::FileModified) { "file time " } else { "" }
}

/// First and last time on two lines (one when they are equal); file times end in `*`.
fn seen_lines(b: &BucketRow) -> String {
    let p = if b.seen_from == Some(TimeSource::FileModified) { "*" } else { "" };
    if b.first_seen == b.last_seen {
        format!("{}{p}", time(b.first_seen))
    } else {
        format!("{}{p}\n{}{p}", time(b.first_seen), time(b.last_seen))
    }
}

/// First and last time on one line, the date once when both are on one day.
fn seen_text(b: &BucketRow) -> String {
    let p = time_prefix(b.seen_from);
    let day = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
    match (b.first_seen, b.last_seen) {
        (Some(a), Some(z)) if a != z && day(a) == day(z) => {
            format!("{p}{} {}–{}Z", day(a), a.strftime("%H:%M"), z.strftime("%H:%M"))
        }
        (a, z) if a == z => format!("{p}{}", time(a)),
        (a, z) => format!("{p}{} – {}", time(a), time(z)),
    }
}

fn dump_time(d: &DumpRow) -> String {
    match d.written_at {
        None => "time unknown".to_owned(),
        Some(_) => format!("{}{}", time_prefix(d.time_source), time(d.written_at)),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_never_splits_a_word() {
        let mut out = String::new();
        push_wrapped(
            &mut out,
            "exception: 0xc0000005 EXCEPTION_ACCESS_VIOLATION_READ in infoctrs.dll+0x1a2b",
            30,
            "  ",
        );
        assert_eq!(out, "  exception: 0xc0000005\n    EXCEPTION_ACCESS_VIOLATION_READ\n    in infoctrs.dll+0x1a2b\n");
    }
}
