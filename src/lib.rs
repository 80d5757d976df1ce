//! `triage`: sort folders of Windows crash dumps into real crashes and first-chance noise.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! discover ─┬─> dump (DumpFacts) ──┐
//!           └─> events (LogRead) ──┴─> correlate ─> chance ─> rules ─> bucket ─> report / check / clean
//! ```
//!
//! * [`discover`] walks the inputs and sniffs each file's format.
//! * [`dump`] reads a dump's facts cheaply (a few streams, never the whole file).
//! * [`events`] reads crash-related events from .evtx and legacy .evt logs.
//! * [`correlate`] links dumps with events and with other dumps of the same process.
//! * [`chance`] infers first/second chance from the evidence, and says which.
//! * [`rules`] classifies each dump as delete / keep / review; [`bucket`] groups them.
//! * [`report`] is the one output model; tables, JSON and markdown render from it.

pub mod bucket;
pub mod chance;
pub mod check;
pub mod clean;
pub mod cli;
pub mod config;
pub mod correlate;
pub mod discover;
pub mod dump;
pub mod error;
pub mod events;
pub mod fingerprint;
pub mod path_json;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod rules;
pub mod text;

use std::io::Write;

use anyhow::Context;

use crate::cli::{CheckArgs, CleanArgs, Cli, Command, Format, RulesCommand, ScanArgs};
use crate::config::ScanConfig;
use crate::report::table::TableOptions;

/// Process exit statuses. Documented in the README; tests pin them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Finished (failures of single files are in the report unless `--strict`).
    Ok = 0,
    /// `check`: the scan differs from the baseline.
    Changed = 1,
    /// Usage error, fatal error, or (with `--strict`) any file failed.
    Fatal = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

/// Run one command line.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Scan(args) => scan_command(&args),
        Command::Check(args) => check_command(&args),
        Command::Clean(args) => clean_command(&args),
        Command::Rules(cmd) => rules_command(&cmd),
    }
}

/// `triage rules list|lint`: lint exits 2 when the file has problems.
fn rules_command(cmd: &RulesCommand) -> anyhow::Result<Exit> {
    let (text, ok) = match cmd {
        RulesCommand::List { rules } => (rules::list_text(rules.as_deref())?, true),
        RulesCommand::Lint { file } => rules::lint_text(file),
    };
    write_stdout(text.as_bytes())?;
    Ok(if ok { Exit::Ok } else { Exit::Fatal })
}

fn scan_command(args: &ScanArgs) -> anyhow::Result<Exit> {
    let config = ScanConfig::from_args(&args.input)?;
    let report = pipeline::scan(&config)?;
    if let Some(path) = &args.json {
        let bytes = report::json::render_json(&report, true);
        write_output(path, &bytes)?;
    }
    let mut refused = 0;
    if let Some(path) = &args.delete_list {
        write_output(path, &report::render_delete_list(&report, args.null))?;
        let refusals = report::delete_list_refusals(&report, args.null);
        refused = refusals.len();
        warn_refused(&refusals);
    }
    let stdout_taken =
        [args.json.as_deref(), args.delete_list.as_deref()].into_iter().flatten().any(|p| p.as_os_str() == "-");
    if !stdout_taken {
        let text = match args.format {
            Format::Table => report::table::render_table(&report, &TableOptions::for_stdout(args.details)),
            Format::Markdown => report::markdown::render_markdown(&report),
            Format::Json => String::from_utf8_lossy(&report::json::render_json(&report, true)).into_owned(),
        };
        write_stdout(text.as_bytes())?;
    }
    if args.strict && (!report.failures.is_empty() || refused > 0) {
        return Ok(Exit::Fatal);
    }
    Ok(Exit::Ok)
}

/// Tell the user (on stderr: stdout may be the list itself) which flagged paths the newline
/// delete list left out, so a partial list is never mistaken for the whole one.
fn warn_refused(refusals: &[&std::path::Path]) {
    if refusals.is_empty() {
        return;
    }
    let mut text = format!(
        "triage: {} path{} flagged delete left out of the newline delete list: a control character or line \
         break in the name could make a line reader act on a different file; use --null for exact names\n",
        refusals.len(),
        if refusals.len() == 1 { "" } else { "s" }
    );
    for p in refusals {
        text.push_str(&format!("  {}\n", text::terminal_path(p)));
    }
    // Best effort: a closed stderr must not turn a written report into an error.
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// `triage check`: rescan, then compare with (or rewrite) the baseline.
fn check_command(args: &CheckArgs) -> anyhow::Result<Exit> {
    let config = ScanConfig::from_args(&args.input)?;
    // Read the baseline first: a typo in its path should not cost a whole scan.
    let baseline = if args.update_baseline {
        None
    } else {
        Some(clean::read_report(&args.baseline).context("cannot use the baseline (create it with --update-baseline)")?)
    };
    let report = pipeline::scan(&config)?;
    let Some(baseline) = baseline else {
        // Fingerprints carry modification times, which differ on every checkout.
        let summary = report::table::summary_line(&report);
        let bytes = report::json::render_json(&report.without_fingerprints(), true);
        std::fs::write(&args.baseline, bytes)
            .with_context(|| format!("cannot write baseline {}", args.baseline.display()))?;
        write_stdout(format!("Baseline written to {}\n{summary}\n", text::terminal_path(&args.baseline)).as_bytes())?;
        return Ok(Exit::Ok);
    };
    let outcome = check::compare(&baseline, &report);
    write_stdout(outcome.render().as_bytes())?;
    Ok(outcome.exit())
}

/// `triage clean`: dry run, quarantine, delete, or undo. Undo exits 1 when an entry could not
/// be restored (each is listed).
fn clean_command(args: &CleanArgs) -> anyhow::Result<Exit> {
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

/// Write to a file, or stdout for `-`.
fn write_output(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        write_stdout(bytes)
    } else {
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// Write to stdout; a closed pipe (`triage scan … | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}
