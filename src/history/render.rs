//! Text for `triage history list|show` and the `check --history` verdict. Pure functions over
//! what the store returned.

use std::fmt::Write;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::query::{BucketDetail, BucketEntry};
use super::record::RunOutcome;
use crate::cli::FailOn;
use crate::report::{HistoryStatus, Report, human_bytes};
use crate::text::{terminal, terminal_path};

/// `triage history list`: one row per bucket.
pub fn list_table(entries: &[BucketEntry], width: u16) -> String {
    if entries.is_empty() {
        return "No buckets.\n".to_owned();
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.force_no_tty();
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(width);
    t.set_header(vec!["bucket", "state", "runs", "dumps", "first / last seen", "ticket", "title"]);
    for b in entries {
        let seen = match (&b.first_seen, &b.last_seen) {
            (Some(f), Some(l)) if minutes(f) == minutes(l) => minutes(f),
            (Some(f), Some(l)) => format!("{}\n{}", minutes(f), minutes(l)),
            _ => "-".to_owned(),
        };
        t.add_row(vec![
            b.id.clone(),
            b.state.clone(),
            b.runs.to_string(),
            b.dumps.to_string(),
            seen,
            b.ticket.as_deref().map_or_else(|| "-".into(), |t| terminal(t).into_owned()),
            if b.title.is_empty() { "(not seen yet)".into() } else { terminal(&b.title).into_owned() },
        ]);
    }
    let mut out = String::new();
    for line in t.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let _ = writeln!(out, "{} bucket{}", entries.len(), if entries.len() == 1 { "" } else { "s" });
    out
}

/// `triage history show`: the bucket's fields, its runs, and its most recent dumps.
pub fn show_text(d: &BucketDetail, max_dumps: usize) -> String {
    let b = &d.bucket;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "bucket {}: {}",
        terminal(&b.id),
        if b.title.is_empty() { "(not seen yet)".into() } else { terminal(&b.title) }
    );
    let field = |out: &mut String, name: &str, value: Option<&str>| {
        if let Some(v) = value {
            let _ = writeln!(out, "  {name:<15} {}", terminal(v));
        }
    };
    field(&mut out, "state", Some(&b.state));
    field(&mut out, "ticket", b.ticket.as_deref());
    field(&mut out, "runs", Some(&b.runs.to_string()));
    field(&mut out, "dumps", Some(&b.dumps.to_string()));
    field(&mut out, "first seen", b.first_seen.as_deref());
    field(&mut out, "last seen", b.last_seen.as_deref());
    field(&mut out, "module version", b.module_version.as_deref());
    field(&mut out, "fixed in", b.fixed_in.as_deref());
    field(&mut out, "fixed at", b.fixed_at.as_deref());
    if b.state == "fixed" || b.state == "regressed" {
        field(&mut out, "version at fix", b.fixed_version.as_deref());
    }
    if let Some(run) = b.regressed_run {
        let v = b.regressed_version.as_deref().unwrap_or("unknown version");
        let _ = writeln!(out, "  {:<15} in run {run} ({v})", "regressed");
    }
    if !d.sightings.is_empty() {
        let _ = writeln!(out, "\nruns:");
        for s in &d.sightings {
            let _ = writeln!(
                out,
                "  run {:<5} {}  {:<12} {:>6} dump{} ({} new)  {}{}",
                s.run,
                s.recorded_at,
                terminal(s.host.as_deref().unwrap_or("-")),
                s.count,
                if s.count == 1 { " " } else { "s" },
                s.new_dumps,
                s.status,
                s.module_version.as_deref().map(|v| format!("  version {}", terminal(v))).unwrap_or_default()
            );
        }
    }
    if !d.dumps.is_empty() {
        let _ = writeln!(out, "\ndumps (newest first):");
        for x in d.dumps.iter().take(max_dumps) {
            let host = x.host.as_deref().map(|h| format!("{}:", terminal(h))).unwrap_or_default();
            let version = x.module_version.as_deref().map(|v| format!(", version {}", terminal(v))).unwrap_or_default();
            let _ =
                writeln!(out, "  {host}{} ({}, run {}{version})", terminal(&x.path), human_bytes(x.size), x.first_run);
        }
        if d.dumps.len() > max_dumps {
            let _ = writeln!(out, "  … and {} more (`triage history export` has them all)", d.dumps.len() - max_dumps);
        }
    }
    out
}

/// The verdict of `check --history`: what is new, regressed or changed, and whether that fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub text: String,
    pub failed: bool,
}

/// Decide and describe `check --history --fail-on ...` for a recorded run.
pub fn gate(report: &Report, outcome: &RunOutcome, store: &std::path::Path, fail_on: &[FailOn]) -> Gate {
    let mut out = String::new();
    let status_of = |id: &str| outcome.buckets.get(id).map(|h| h.status);
    let mut new = 0;
    let mut regressed = 0;
    for b in &report.buckets {
        let Some(h) = &b.history else { continue };
        match h.status {
            HistoryStatus::New => {
                new += 1;
                let _ = writeln!(
                    out,
                    "+ new bucket {} \"{}\": {} dump{}",
                    b.id,
                    terminal(&b.title),
                    b.count,
                    plural(b.count)
                );
            }
            HistoryStatus::Regressed => {
                regressed += 1;
                let before = terminal(h.version_before.as_deref().unwrap_or("?"));
                let after = terminal(h.version_after.as_deref().unwrap_or("unknown version"));
                let since = if outcome.became_regressed.contains(&b.id) { "now" } else { "still" };
                let _ = writeln!(
                    out,
                    "! regressed bucket {} \"{}\" ({since}): fixed at {before}, back in {after}; {} new dump{}",
                    b.id,
                    terminal(&b.title),
                    h.new_dumps,
                    plural(h.new_dumps)
                );
            }
            _ => {}
        }
    }
    let mut changed = 0;
    if let Some(prev) = outcome.previous_run {
        for c in &outcome.changes {
            // New buckets were listed above.
            if c.before == 0 && status_of(&c.id) == Some(HistoryStatus::New) {
                changed += 1;
                continue;
            }
            changed += 1;
            if c.after == 0 {
                let _ = writeln!(
                    out,
                    "- bucket {} \"{}\": gone (had {} in run {prev})",
                    c.id,
                    terminal(&c.title),
                    c.before
                );
            } else {
                let _ = writeln!(
                    out,
                    "~ bucket {} \"{}\": count {} -> {} (since run {prev})",
                    c.id, c.title, c.before, c.after
                );
            }
        }
    }
    let changed_any = changed > 0 || new > 0 || !outcome.became_regressed.is_empty();
    let _ = writeln!(
        out,
        "Run {} recorded in {}: {} new, {} seen, {} regressed, {} fixed, {} muted; {} new dump{}.",
        outcome.run,
        terminal_path(store),
        outcome.count(HistoryStatus::New),
        outcome.count(HistoryStatus::Seen),
        outcome.count(HistoryStatus::Regressed),
        outcome.count(HistoryStatus::Fixed),
        outcome.count(HistoryStatus::Muted),
        outcome.new_dumps,
        plural(outcome.new_dumps)
    );
    let mut reasons = Vec::new();
    for f in fail_on {
        match f {
            FailOn::New if new > 0 => reasons.push(format!("{new} new bucket{}", plural(new))),
            FailOn::Regressed if regressed > 0 => {
                reasons.push(format!("{regressed} regressed bucket{}", plural(regressed)))
            }
            FailOn::Changed if changed_any => reasons.push(match outcome.previous_run {
                Some(p) => format!("changes since run {p}"),
                None => "new buckets (no earlier run of these inputs)".to_owned(),
            }),
            _ => {}
        }
    }
    let names: Vec<&str> = fail_on
        .iter()
        .map(|f| match f {
            FailOn::New => "new",
            FailOn::Regressed => "regressed",
            FailOn::Changed => "changed",
        })
        .collect();
    if reasons.is_empty() {
        let _ = writeln!(out, "OK: nothing to fail on ({}).", names.join(", "));
    } else {
        let _ = writeln!(out, "FAIL ({}): {}.", names.join(", "), reasons.join("; "));
    }
    Gate { text: out, failed: !reasons.is_empty() }
}

fn minutes(t: &str) -> String {
    t.parse::<jiff::Timestamp>().map_or_else(|_| t.to_owned(), |t| t.strftime("%Y-%m-%d %H:%MZ").to_string())
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
