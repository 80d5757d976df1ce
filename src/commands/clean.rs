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
    // Archive members are never cleaned: clean does not rewrite archives. They are taken out
    // before planning and listed after what clean did.
    let (members, files): (Vec<_>, Vec<_>) = report.dumps.into_iter().partition(|d| d.archive.is_some());
    report.dumps = files;
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
    if report.delete_rows().next().is_none() && members.iter().any(|d| d.verdict.action == crate::model::Action::Delete)
    {
        // Every flagged dump is inside an archive: there is nothing clean may touch, so no
        // root is needed to say so.
        write_stdout(b"Nothing to clean outside archives.\n")?;
        write_stdout(render_members(&members).as_bytes())?;
        return Ok(Exit::Ok);
    }
    let roots =
        if args.report_roots { clean::RootChoice::FromReport } else { clean::RootChoice::Named(args.roots.clone()) };
    let options = clean::CleanOptions { mode, roots, quarantine: args.quarantine.clone() };
    let outcome = clean::clean(&report, &options)?;
    write_stdout(clean::render(&outcome, mode).as_bytes())?;
    write_stdout(render_members(&members).as_bytes())?;
    Ok(Exit::Ok)
}

/// The dumps flagged `delete` that sit inside archives: clean leaves every archive as it is
/// (removing a member means rewriting the archive, which a cleanup must never do half-way), so
/// it lists them with where they are and what they weigh there.
fn render_members(members: &[crate::report::DumpRow]) -> String {
    use std::fmt::Write as _;
    let flagged: Vec<_> = members
        .iter()
        .filter(|d| d.verdict.action == crate::model::Action::Delete)
        .filter_map(|d| d.archive.as_ref().map(|a| (d, a)))
        .collect();
    if flagged.is_empty() {
        return String::new();
    }
    let expanded: u64 = flagged.iter().map(|(_, a)| a.expanded_bytes).sum();
    let mut out = format!(
        "\nLeft alone: {} dump(s) flagged delete are inside archives ({expanded} bytes expanded). \
         triage clean never rewrites an archive; repack it without these members if you want them gone:\n",
        flagged.len()
    );
    for (_, a) in flagged {
        let compressed = a
            .compressed_bytes
            .map(|c| format!("{c} bytes compressed"))
            .unwrap_or_else(|| "compressed size not recorded".into());
        let _ = writeln!(
            out,
            "  {} in {} ({compressed}, {} bytes expanded)",
            crate::text::terminal(&a.member),
            crate::text::terminal_path(&a.archive),
            a.expanded_bytes
        );
    }
    out
}

/// When the report's paths are relative and none of the dumps it flags exists from here, the
/// command most likely runs in another folder than the scan did: say so (and how to fix it)
/// rather than only calling every file missing.
fn relative_note(report: &crate::report::Report, rebased: bool) -> Option<String> {
    if rebased {
        return None;
    }
    let example = report.delete_rows().map(|d| &*d.path).find(|p| p.is_relative())?;
    if report.delete_rows().any(|d| std::fs::symlink_metadata(&d.path).is_ok()) {
        return None;
    }
    Some(format!(
        "none of the flagged dumps exists from here: the report's paths are relative to the folder its scan ran in \
         (e.g. {}); run clean from that folder, or give --base DIR",
        crate::text::terminal_path(example)
    ))
}
