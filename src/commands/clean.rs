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
    let mut report = clean::read_report(path)?;
    // Archive members are never cleaned: clean does not rewrite archives. They are taken out
    // before planning and listed after what clean did.
    let (members, files): (Vec<_>, Vec<_>) = report.dumps.into_iter().partition(|d| d.archive.is_some());
    report.dumps = files;
    let mode = match (args.apply, args.delete) {
        (false, _) => clean::Mode::DryRun,
        (true, false) => clean::Mode::Quarantine,
        (true, true) => clean::Mode::Delete,
    };
    let outcome = clean::clean(&report, mode, args.quarantine.as_deref())?;
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
