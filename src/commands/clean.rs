//! `triage clean`: dry run, quarantine, delete, or undo, from a saved report.

use super::write_stdout;
use crate::clean;
use crate::cli::CleanArgs;
use crate::model::Exit;

/// `triage clean`: dry run, quarantine, delete, or undo.
pub(super) fn clean_command(args: &CleanArgs) -> anyhow::Result<Exit> {
    if let Some(manifest) = &args.undo {
        let outcome = clean::undo(manifest)?;
        write_stdout(clean::render_undo(&outcome).as_bytes())?;
        return Ok(Exit::Ok);
    }
    let Some(path) = &args.report else {
        anyhow::bail!("give a REPORT.json or --undo MANIFEST");
    };
    let report = clean::read_report(path)?;
    let mode = match (args.apply, args.delete) {
        (false, _) => clean::Mode::DryRun,
        (true, false) => clean::Mode::Quarantine,
        (true, true) => clean::Mode::Delete,
    };
    let outcome = clean::clean(&report, mode, args.quarantine.as_deref())?;
    write_stdout(clean::render(&outcome, mode).as_bytes())?;
    Ok(Exit::Ok)
}
