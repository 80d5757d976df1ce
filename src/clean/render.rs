//! Text for people: what clean (or undo) did, what it skipped and why. Paths are printed with
//! control characters escaped, so a hostile file name cannot rewrite the terminal.

use std::fmt::Write as _;
use std::path::Path;

use super::{CleanOutcome, Mode, UndoOutcome};
use crate::report::human_bytes;

/// A path for a terminal, inert (the same escaping as every other output).
pub fn esc(p: &Path) -> String {
    crate::text::terminal_path(p).into_owned()
}

/// Quote for a POSIX shell (for commands we print for people to paste).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:=+,@".contains(&b)) {
        return s.to_owned();
    }
    format!("'{}'", esc(Path::new(s)).replace('\'', "'\\''"))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What was (or would be) done, what was skipped and why, and how to undo it.
pub fn render(outcome: &CleanOutcome, mode: Mode) -> String {
    let mut out = String::new();
    if !outcome.roots.is_empty() {
        let list: Vec<String> = outcome.roots.iter().map(|r| esc(r)).collect();
        let how = if outcome.roots_from_report {
            "accepted from the report with --report-roots"
        } else {
            "named with --root"
        };
        let _ = writeln!(out, "Roots ({how}): {}", list.join(", "));
    }
    if let Some(r) = &outcome.recovered {
        let _ = writeln!(
            out,
            "Settled an interrupted earlier run first: {} restored, {} in place, {} leftover{} cleaned up, {} problem{}",
            r.restored.len(),
            r.in_place.len(),
            r.leftovers.len(),
            plural(r.leftovers.len()),
            r.problems.len(),
            plural(r.problems.len()),
        );
        for p in &r.problems {
            let _ = writeln!(out, "  {}: {} ({})", esc(&p.path), p.code, p.reason);
        }
    }
    let n = outcome.done.len();
    let verb = match mode {
        Mode::DryRun => "Would move",
        Mode::Quarantine => "Moved",
        Mode::Delete => "Deleted",
    };
    let dest = match (&outcome.journal, &outcome.quarantine, mode) {
        (Some(j), _, Mode::Quarantine) => format!(" to {}", esc(&j.with_extension(""))),
        (_, Some(q), Mode::DryRun | Mode::Quarantine) => format!(" to {}", esc(q)),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "{verb} {n} dump{}{dest}, {} ({} bytes){}",
        plural(n),
        human_bytes(outcome.bytes),
        outcome.bytes,
        if n == 0 { "" } else { ":" }
    );
    for d in &outcome.done {
        match (&d.target, mode) {
            (Some(t), Mode::DryRun | Mode::Quarantine) => {
                let how = if d.how == Some(super::journal::How::Copy) { ", copied across file systems" } else { "" };
                let _ = writeln!(out, "  {} -> {} ({}{how})", esc(&d.path), esc(t), human_bytes(d.size));
            }
            _ => {
                let _ = writeln!(out, "  {} ({})", esc(&d.path), human_bytes(d.size));
            }
        }
    }
    if !outcome.skipped.is_empty() {
        let _ = writeln!(out, "Skipped {} (not touched):", outcome.skipped.len());
        for s in &outcome.skipped {
            let _ = writeln!(out, "  {}: {} ({})", esc(&s.path), s.code, s.reason);
        }
    }
    if let Some(j) = &outcome.journal {
        match mode {
            Mode::Delete => {
                let _ = writeln!(out, "Journal: {} (deletions cannot be undone)", esc(j));
            }
            _ => {
                let _ = writeln!(
                    out,
                    "Journal: {} (undo with: triage clean --undo {})",
                    esc(j),
                    shell_quote(&j.to_string_lossy())
                );
            }
        }
    }
    if mode == Mode::DryRun {
        out.push_str("Dry run: nothing was changed. Add --apply to move them (or --apply --delete to delete).\n");
    }
    out
}

/// Text for people after an undo: every entry is accounted for.
pub fn render_undo(o: &UndoOutcome) -> String {
    let mut out = String::new();
    let n = o.restored.len();
    let _ = writeln!(out, "Restored {n} dump{}, {}{}", plural(n), human_bytes(o.bytes), if n == 0 { "" } else { ":" });
    for p in &o.restored {
        let _ = writeln!(out, "  {}", esc(p));
    }
    if !o.in_place.is_empty() {
        let _ = writeln!(
            out,
            "Already at their original path (never moved, or a duplicate copy was removed): {}",
            o.in_place.len()
        );
    }
    if o.earlier > 0 {
        let _ = writeln!(out, "Restored by an earlier undo: {}", o.earlier);
    }
    if !o.deleted.is_empty() {
        let _ = writeln!(out, "Deleted by clean --delete (cannot be restored): {}", o.deleted.len());
    }
    if !o.leftovers.is_empty() {
        let _ = writeln!(
            out,
            "Cleaned up {} leftover{} of an interrupted run:",
            o.leftovers.len(),
            plural(o.leftovers.len())
        );
        for p in &o.leftovers {
            let _ = writeln!(out, "  {}", esc(p));
        }
    }
    if !o.problems.is_empty() {
        let _ = writeln!(out, "Not restored {} (each needs a look; nothing was overwritten):", o.problems.len());
        for s in &o.problems {
            let _ = writeln!(out, "  {}: {} ({})", esc(&s.path), s.code, s.reason);
        }
    }
    let _ = writeln!(out, "Journals: {}", o.journals.iter().map(|j| esc(j)).collect::<Vec<_>>().join(", "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_inert() {
        assert!(!esc(Path::new("x\x1b[2J\x07\n.dmp")).contains(['\x1b', '\x07', '\n']));
        assert_eq!(shell_quote("dumps"), "dumps");
        assert_eq!(shell_quote("my dumps/it's"), "'my dumps/it'\\''s'");
    }
}
