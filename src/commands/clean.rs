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
    let report = clean::read_report(path)?;
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
