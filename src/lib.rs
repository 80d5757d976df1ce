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
pub mod cli;
pub mod config;
pub mod correlate;
pub mod discover;
pub mod dump;
pub mod error;
pub mod events;
pub mod pipeline;
pub mod report;
pub mod rules;

use std::io::Write;

use anyhow::Context;

use crate::cli::{Cli, Command, Format, RulesCommand, ScanArgs};
use crate::config::ScanConfig;

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
        Command::Rules(cmd) => rules_command(&cmd),
        Command::Check(_) | Command::Clean(_) => anyhow::bail!("not implemented yet"),
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
    let stdout_json = args.json.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if !stdout_json {
        let text = match args.format {
            Format::Table | Format::Markdown => report::table::render_table(&report, args.details),
            Format::Json => String::from_utf8_lossy(&report::json::render_json(&report, true)).into_owned(),
        };
        write_stdout(text.as_bytes())?;
    }
    if args.strict && !report.failures.is_empty() {
        return Ok(Exit::Fatal);
    }
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
