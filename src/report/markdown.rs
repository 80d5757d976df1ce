//! Markdown rendering of a [`Report`]: one section per bucket with what a ticket needs (id,
//! title, counts, time range, fault offsets, example paths, module and version, exception,
//! chance with its evidence, verdicts with rule and reason, correlated events), for pasting
//! into an issue.
//!
//! **It scales.** A bucket of 300 dumps reads like a bucket of 3: evidence, verdicts and events
//! are summarised, not listed per dump. Events are grouped by provider, id, relation and log
//! into one line with a count and the ranges of record numbers and times ("300 Perflib 1010
//! events, records 12–311, 2001-03-12 09:00–17:45"); evidence and verdicts that differ only
//! in numbers (record ids, times, pids) are one line with a count and one example. The whole
//! report stays under [`MAX_CHARS`] (a GitHub issue body holds 65,536): when the sections
//! would pass it, the remaining buckets get one line each, and what was left out is said at
//! the end, with where to find it (the JSON report).
//!
//! Pure and deterministic, like the other renderers: everything comes from the report.
//!
//! Every value from a dump, a log, a file name or a saved report is made inert first: names
//! and paths go into code spans that nothing inside can close ([`markdown_code`]), prose is
//! escaped so it cannot become a heading, a link, HTML or a table cell ([`markdown_text`]), and
//! no value keeps a newline. In table rows a `|` inside a code span is escaped as `\|` too
//! (GFM splits cells before it parses code spans).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use jiff::Timestamp;

use super::{BucketHistory, BucketRow, DumpRow, HistoryStatus, Report, human_bytes};
use crate::chance::Strength;
use crate::model::TimeSource;
use crate::text::{markdown_code, markdown_code_path, markdown_text};

/// Example dump paths listed per bucket.
pub const EXAMPLES: usize = 3;

/// The most characters (bytes, which is never fewer) a rendered report may have.
pub const MAX_CHARS: usize = 60_000;

/// Room kept free for the closing lines (left-out note, failures, skipped, footer).
const RESERVE: usize = 6_000;

/// Lines per summary list (evidence, verdicts, events, fault offsets) in one bucket.
const LIST_LINES: usize = 6;

/// Failures and skipped files listed before the rest is counted.
const FILE_LINES: usize = 20;

/// Render the per-bucket ticket summary.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let _ = writeln!(out, "# Crash dump triage\n");
    let _ = writeln!(
        out,
        "{} ({}) in {}: **{} delete** ({}), **{} keep**, **{} review**; {}; {}; {} skipped.\n",
        count(s.dumps, "dump"),
        human_bytes(s.total_bytes),
        count(s.buckets, "bucket"),
        s.delete,
        human_bytes(s.delete_bytes),
        s.keep,
        s.review,
        count(s.logs, "log"),
        count(s.failures, "failure"),
        s.skipped
    );
    let mut rest = report.buckets.iter().peekable();
    while let Some(b) = rest.peek() {
        let section = bucket_section(report, b);
        if out.len() + section.len() + RESERVE > MAX_CHARS {
            break;
        }
        out.push_str(&section);
        rest.next();
    }
    // The rest one line each, largest first, so the bulk of the dumps is named even when the
    // list is cut.
    let mut left: Vec<&BucketRow> = rest.collect();
    left.sort_by_key(|b| std::cmp::Reverse(b.count));
    if !left.is_empty() {
        let _ = writeln!(out, "## Other buckets\n");
        let mut listed = 0;
        for b in &left {
            let line = format!(
                "- {} {}: {} dump{}, {} chance, {}\n",
                markdown_code(&b.id),
                markdown_text(&b.title),
                b.count,
                if b.count == 1 { "" } else { "s" },
                b.chance.as_str(),
                b.actions.text()
            );
            if out.len() + line.len() + RESERVE / 2 > MAX_CHARS {
                break;
            }
            out.push_str(&line);
            listed += 1;
        }
        let unlisted = &left[listed..];
        out.push('\n');
        if unlisted.is_empty() {
            let _ = writeln!(
                out,
                "_{} bucket{} shown as one line each to keep this summary under {MAX_CHARS} characters; the JSON report (`--json FILE`) has every bucket and dump._\n",
                left.len(),
                if left.len() == 1 { "" } else { "s" },
            );
        } else {
            let dumps: u64 = unlisted.iter().map(|b| b.count).sum();
            let _ = writeln!(
                out,
                "_Left out to keep this summary under {MAX_CHARS} characters: {} more bucket{} ({dumps} dumps; {}). The JSON report (`--json FILE`) has every bucket and dump._\n",
                unlisted.len(),
                if unlisted.len() == 1 { "" } else { "s" },
                action_totals(unlisted),
            );
        }
    }
    file_list(
        &mut out,
        "Failures",
        report.failures.iter().map(|f| {
            format!(
                "{}: {} ({})",
                markdown_code_path(&f.path),
                markdown_code(&f.code),
                markdown_text(&one_line(&f.message))
            )
        }),
        report.failures.len(),
    );
    file_list(
        &mut out,
        "Skipped",
        report
            .skipped
            .iter()
            .map(|s| format!("{}: {}", markdown_code_path(&s.path), markdown_text(&one_line(&s.reason)))),
        report.skipped.len(),
    );
    if let Some(h) = &report.history {
        let _ = writeln!(out, "{}.\n", markdown_text(&super::table::history_line(h)));
    }
    let _ =
        writeln!(out, "_Generated by {} (report schema {})._", markdown_text(&report.generator), report.schema_version);
    out
}

/// `1 log`, `2 logs`.
fn count(n: u64, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// `300 delete, 2 review` over several buckets.
fn action_totals(buckets: &[&BucketRow]) -> String {
    let mut total = super::ActionCounts::default();
    for b in buckets {
        total.keep += b.actions.keep;
        total.review += b.actions.review;
        total.delete += b.actions.delete;
    }
    total.text().replace(" · ", ", ")
}

fn file_list(out: &mut String, title: &str, lines: impl Iterator<Item = String>, total: usize) {
    if total == 0 {
        return;
    }
    let _ = writeln!(out, "## {title} ({total})\n");
    for line in lines.take(FILE_LINES) {
        let _ = writeln!(out, "- {line}");
    }
    if total > FILE_LINES {
        let _ = writeln!(out, "- … and {} more (the JSON report lists all)", total - FILE_LINES);
    }
    out.push('\n');
}

fn bucket_section(report: &Report, b: &BucketRow) -> String {
    let mut out = String::new();
    let members: Vec<&DumpRow> = b
        .dumps
        .iter()
        .filter_map(|p| report.dumps.binary_search_by(|d| d.path.cmp(p)).ok().and_then(|i| report.dumps.get(i)))
        .collect();
    let _ = writeln!(out, "## {}\n", markdown_text(&b.title));
    let _ = writeln!(out, "| | |\n|---|---|");
    row(&mut out, "Bucket id", &cell_code(&b.id));
    row(&mut out, "Dumps", &format!("{} ({})", b.count, human_bytes(b.bytes)));
    let mut range = time_range(b.first_seen, b.last_seen);
    if b.seen_from == Some(TimeSource::FileModified) {
        range.push_str(" (file times: these dumps carry no time of their own)");
    }
    row(&mut out, "Time range", &range);
    row(&mut out, "Process", &cell_code(&b.process));
    let module = match &b.module_version {
        Some(v) => format!("{} {}", cell_code(&b.module), markdown_text(v)),
        None => cell_code(&b.module),
    };
    row(&mut out, "Faulting module", &module);
    if !b.offsets.is_empty() {
        let mut offsets: Vec<String> = b
            .offsets
            .iter()
            .take(LIST_LINES)
            .map(|o| format!("{} ×{}", cell_code(&format!("+{}", o.offset)), o.count))
            .collect();
        if b.offsets.len() > LIST_LINES {
            offsets.push(format!("{} more", b.offsets.len() - LIST_LINES));
        }
        row(&mut out, "Fault offsets", &offsets.join(", "));
    }
    let exception = match (&b.exception_code, &b.exception_name) {
        (Some(c), Some(n)) => format!("{} {}", cell_code(c), markdown_text(n)),
        (Some(c), None) => cell_code(c),
        _ => "none".to_owned(),
    };
    row(&mut out, "Exception", &exception);
    row(&mut out, "Chance", b.chance.as_str());
    row(&mut out, "Action", &format!("**{}**", b.actions.text()));
    if let Some(sig) = b.signature.as_ref().or_else(|| members.iter().find_map(|d| d.signature.as_ref())) {
        row(&mut out, "Signature", &markdown_code(&crate::symbols::signature::bugzilla_form(sig)));
    }
    if !b.hosts.is_empty() {
        let hosts: Vec<String> = b.hosts.iter().map(|(h, n)| format!("{} {n}", cell_code(h))).collect();
        row(&mut out, "Hosts", &hosts.join(", "));
    }
    if let Some(h) = &b.history {
        history_rows(&mut out, h);
    }
    out.push('\n');

    if let Some(d) = members.iter().find(|d| d.crashing_thread.is_some()) {
        let _ = writeln!(out, "Top frames of {}:\n", markdown_code_path(&d.path));
        let lines = d.crashing_thread.iter().flat_map(|t| &t.frames).flat_map(super::frame_lines);
        for line in lines.take(super::TOP_FRAMES) {
            let _ = writeln!(out, "- {}", markdown_code(&line));
        }
        out.push('\n');
    }

    let _ = writeln!(out, "Example dumps ({} of {}):\n", b.dumps.len().min(EXAMPLES), b.dumps.len());
    for p in b.dumps.iter().take(EXAMPLES) {
        let time = report
            .dumps
            .binary_search_by(|d| d.path.cmp(p))
            .ok()
            .and_then(|i| report.dumps.get(i))
            .map(dump_time)
            .unwrap_or_default();
        let _ = writeln!(out, "- {}{time}", markdown_code_path(p));
    }
    out.push('\n');

    let evidence = grouped(members.iter().map(|d| {
        d.chance
            .evidence
            .iter()
            .map(|e| {
                let strength = if e.strength == Strength::Strong { "strong" } else { "weak" };
                (format!("{strength}, indicates {}", e.indicates), e.detail.to_string())
            })
            .collect()
    }));
    list(&mut out, "Chance evidence", &evidence, "dumps");

    // The reason's own words, without the evidence list the rules append (shown above).
    let verdicts = grouped(members.iter().map(|d| {
        let reason = d.verdict.reason.split(" Evidence: ").next().unwrap_or("").to_owned();
        vec![(format!("**{}** by rule {}", d.verdict.action.as_str(), markdown_code(&d.verdict.rule)), reason)]
    }));
    list(&mut out, "Verdicts", &verdicts, "dumps");

    let _ = writeln!(out, "Correlated events:\n");
    let events = event_groups(&members);
    if events.is_empty() {
        let _ = writeln!(out, "- none");
    }
    for e in events.iter().take(LIST_LINES) {
        let _ = writeln!(out, "- {e}");
    }
    if events.len() > LIST_LINES {
        let _ = writeln!(out, "- … and {} more kinds of event", events.len() - LIST_LINES);
    }
    out.push('\n');
    out
}

/// Lines that differ only in numbers (record ids, times, pids, file names of numbered dumps)
/// are one group: `(label, shape)` → (how many dumps have one, first example detail). Each
/// item of `per_dump` is one dump's lines.
fn grouped(per_dump: impl Iterator<Item = Vec<(String, String)>>) -> Vec<(String, u64, String)> {
    let mut groups: BTreeMap<(String, String), (u64, String)> = BTreeMap::new();
    for lines in per_dump {
        let mut seen = BTreeSet::new();
        for (label, detail) in lines {
            let key = (label, shape(&detail));
            if seen.insert(key.clone()) {
                groups.entry(key).or_insert((0, detail)).0 += 1;
            }
        }
    }
    let mut out: Vec<(String, u64, String)> =
        groups.into_iter().map(|((label, _), (count, example))| (label, count, example)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)).then_with(|| a.2.cmp(&b.2)));
    out
}

fn list(out: &mut String, title: &str, groups: &[(String, u64, String)], unit: &str) {
    let _ = writeln!(out, "{title}:\n");
    if groups.is_empty() {
        let _ = writeln!(out, "- none");
    }
    for (label, count, example) in groups.iter().take(LIST_LINES) {
        let example = markdown_text(&one_line(example));
        if *count == 1 {
            let _ = writeln!(out, "- {label}: {example}");
        } else {
            let _ = writeln!(out, "- {label} ({count} {unit}), e.g.: {example}");
        }
    }
    if groups.len() > LIST_LINES {
        let _ = writeln!(out, "- … and {} more", groups.len() - LIST_LINES);
    }
    out.push('\n');
}

/// The text with every run of digits replaced by `#`.
fn shape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

/// One line per (log, provider, id, relation): how many distinct events, their record range
/// and time range.
fn event_groups(members: &[&DumpRow]) -> Vec<String> {
    type Key<'a> = (&'a std::path::Path, &'a str, u16, &'a str);
    let mut groups: BTreeMap<Key<'_>, BTreeSet<(u64, Timestamp)>> = BTreeMap::new();
    for e in members.iter().flat_map(|d| &d.events) {
        groups
            .entry((&*e.log, e.provider.as_str(), e.event_id, e.relation.as_str()))
            .or_default()
            .insert((e.record_id, e.time));
    }
    let mut lines: Vec<(usize, String)> = groups
        .into_iter()
        .map(|((log, provider, id, relation), events)| {
            let n = events.len();
            let records = records_range(events.iter().map(|(r, _)| *r));
            let times = time_range(events.iter().map(|(_, t)| *t).min(), events.iter().map(|(_, t)| *t).max());
            let what = if n == 1 { "event".to_owned() } else { "events".to_owned() };
            (
                n,
                format!(
                    "{n} {} {id} {what}, {records}, {times} (in {}, linked by {})",
                    markdown_text(provider),
                    markdown_code_path(log),
                    markdown_text(relation)
                ),
            )
        })
        .collect();
    lines.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    lines.into_iter().map(|(_, l)| l).collect()
}

fn records_range(records: impl Iterator<Item = u64>) -> String {
    let records: Vec<u64> = records.collect();
    match (records.iter().min(), records.iter().max()) {
        (Some(a), Some(b)) if a == b => format!("record {a}"),
        (Some(a), Some(b)) => format!("records {a}–{b}"),
        _ => "no records".to_owned(),
    }
}

/// `2001-03-12 09:00–17:45Z` on one day, `2001-03-12 09:00Z – 2001-03-13 08:00Z` across days.
fn time_range(first: Option<Timestamp>, last: Option<Timestamp>) -> String {
    let day = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
    let hm = |t: Timestamp| t.strftime("%H:%M").to_string();
    match (first, last) {
        (Some(a), Some(b)) if a == b => format!("{} {}Z", day(a), hm(a)),
        (Some(a), Some(b)) if day(a) == day(b) => format!("{} {}–{}Z", day(a), hm(a), hm(b)),
        (Some(a), Some(b)) => format!("{} {}Z – {} {}Z", day(a), hm(a), day(b), hm(b)),
        (Some(a), None) | (None, Some(a)) => format!("{} {}Z", day(a), hm(a)),
        (None, None) => "unknown".to_owned(),
    }
}

/// ` (2001-03-12 09:00Z)`, ` (file time 2026-12-02 16:33Z)`, or ` (time unknown)`.
fn dump_time(d: &DumpRow) -> String {
    match d.written_at {
        None => " (time unknown)".to_owned(),
        Some(t) => {
            let file = if d.time_source == Some(TimeSource::FileModified) { "file time " } else { "" };
            format!(" ({file}{})", t.strftime("%Y-%m-%d %H:%MZ"))
        }
    }
}

/// What the history store knows of the bucket (`scan --history`): status first, because it is
/// what a ticket triager acts on.
fn history_rows(out: &mut String, h: &BucketHistory) {
    let status = match h.status {
        HistoryStatus::New => "**new**: never seen before this run".to_owned(),
        HistoryStatus::Seen => format!("seen before: {} runs, {} dumps", h.runs, h.dumps),
        HistoryStatus::Muted => "muted (known noise)".to_owned(),
        HistoryStatus::Fixed => match &h.fixed_in {
            Some(v) => format!("fixed in {}; this run only has dumps the fix explains", markdown_text(v)),
            None => "fixed; this run only has dumps the fix explains".to_owned(),
        },
        HistoryStatus::Regressed => format!(
            "**regressed**: marked fixed (at {}), seen again in {}",
            h.version_before.as_deref().map_or_else(|| "an unknown version".to_owned(), markdown_text),
            h.version_after.as_deref().map_or_else(|| "an unknown version".to_owned(), markdown_text)
        ),
    };
    row(out, "History", &status);
    row(
        out,
        "First / last seen",
        &format!("{} ({} new dumps this run)", time_range(h.first_seen, h.last_seen), h.new_dumps),
    );
    if let Some(t) = &h.ticket {
        row(out, "Ticket", &markdown_text(t));
    }
}

/// One `| name | value |` row; `value` is already Markdown (built with [`cell_code`] and
/// [`markdown_text`], which escape every `|`).
fn row(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "| {name} | {value} |");
}

/// A code span for a table cell: GFM splits the row at every unescaped `|`, even inside a code
/// span, and removes the backslash of `\|` before parsing the span.
fn cell_code(value: &str) -> String {
    markdown_code(value).replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_ignore_numbers() {
        assert_eq!(shape("Perflib 1010 #12 at 2001-03-12T09:00:00Z"), "Perflib # ## at #-#-#T#:#:#Z");
        assert_eq!(
            shape("Perflib 1010 #311 at 2001-03-12T17:45:00Z"),
            shape("Perflib 1010 #12 at 2001-03-12T09:00:00Z")
        );
    }

    #[test]
    fn time_ranges_read_short() {
        let t = |s: &str| s.parse::<Timestamp>().ok();
        assert_eq!(time_range(t("2001-03-12T09:00:00Z"), t("2001-03-12T17:45:00Z")), "2001-03-12 09:00–17:45Z");
        assert_eq!(
            time_range(t("2001-03-12T09:00:00Z"), t("2001-03-13T08:00:00Z")),
            "2001-03-12 09:00Z – 2001-03-13 08:00Z"
        );
        assert_eq!(time_range(None, None), "unknown");
        assert_eq!(records_range([12, 311, 40].into_iter()), "records 12–311");
    }
}
