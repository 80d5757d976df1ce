//! `triage clean`: dry run, quarantine, delete, or undo, from a saved report.

use super::write_stdout;
use crate::clean;
use crate::cli::CleanArgs;
use crate::model::Exit;

/// `triage clean`: dry run, quarantine, delete, or undo. Undo exits 1 when an entry could not
/// be restored (each is listed).
pub(super) fn clean_command(args: &CleanArgs) -> anyhow::Result<Exit> {
    if let Some(target) = &args.undo {
        let outcome = clean::undo(target)?;
        write_stdout(clean::render_undo(&outcome).as_bytes())?;
        return Ok(if outcome.problems.is_empty() { Exit::Ok } else { Exit::Changed });
    }
    let Some(path) = &args.report else {
        anyhow::bail!("give a REPORT.json or --undo QUARANTINE");
    };
    let mut report = clean::read_report(path)?;
    if let Some(base) = &args.base {
        report.rebase(base);
    }
    // Said first (stderr), so it is seen even when clean then refuses to go on.
    if let Some(n) = relative_note(&report, args.base.is_some()) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "triage: note: {n}");
    }
    let mode = match (args.apply, args.delete) {
        (false, _) => clean::Mode::DryRun,
        (true, false) => clean::Mode::Quarantine,
        (true, true) => clean::Mode::Delete,
    };
    let roots =
        if args.report_roots { clean::RootChoice::FromReport } else { clean::RootChoice::Named(args.roots.clone()) };
    let options = clean::CleanOptions { mode, roots, quarantine: args.quarantine.clone() };
    let outcome = clean::clean(&report, &options)?;
    write_stdout(clean::render(&outcome, mode).as_bytes())?;
    Ok(Exit::Ok)
}

/// When the report's paths are relative and none of the dumps it flags exists from here, the
/// command most likely runs in another folder than the scan did: say so (and how to fix it)
/// rather than only calling every file missing.
fn relative_note(report: &crate::report::Report, rebased: bool) -> Option<String> {
    if rebased {
        return None;
    }
    let example = report.delete_rows().map(|d| d.path.as_path()).find(|p| p.is_relative())?;
    if report.delete_rows().any(|d| std::fs::symlink_metadata(&d.path).is_ok()) {
        return None;
    }
    Some(format!(
        "none of the flagged dumps exists from here: the report's paths are relative to the folder its scan ran in \
         (e.g. {}); run clean from that folder, or give --base DIR",
        crate::text::terminal_path(example)
    ))
}
