//! The commands: one file per subcommand, each turning parsed flags into a run of the stages,
//! writing the output (stdout or files) and deciding the exit status. With `main.rs`, the only
//! code that writes to stdout; a new subcommand gets a file here and an arm in [`run`].

mod check;
mod clean;
mod history;
mod manual;
mod merge;
mod report;
mod rules;
mod scan;

use std::io::Write;

use anyhow::Context;

use crate::cli::{Cli, Command, Format};
use crate::model::Exit;

/// Run one command line.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Scan(args) => scan::scan_command(&args),
        Command::Check(args) if args.history.is_some() => history::check_history_command(&args),
        Command::Check(args) => check::check_command(&args),
        Command::Clean(args) => clean::clean_command(&args),
        Command::Report(args) => report::report_command(&args),
        Command::Rules(cmd) => rules::rules_command(&cmd),
        Command::History(args) => history::history_command(&args),
        Command::Merge(args) => merge::merge_command(&args),
        Command::Completions { shell } => manual::completions_command(shell),
        Command::Man => manual::man_command(),
    }
}

/// The JSON report to a file or (`-`) stdout, streamed.
fn write_json_report(path: &std::path::Path, report: &crate::report::Report) -> anyhow::Result<()> {
    stream_output(path, |out| crate::report::json::write_json(report, true, out))
}

/// The report on stdout in `format` (`scan` and `merge`); JSON is streamed.
fn write_format(report: &crate::report::Report, format: Format, details: bool) -> anyhow::Result<()> {
    match format {
        Format::Json => write_json_report(std::path::Path::new("-"), report),
        other => write_stdout(&render_format(report, other, details)),
    }
}

/// The report on stdout in `format` (`scan` and `merge`).
fn render_format(report: &crate::report::Report, format: Format, details: bool) -> Vec<u8> {
    use crate::report;
    match format {
        Format::Table => {
            report::table::render_table(report, &report::table::TableOptions::for_stdout(details)).into_bytes()
        }
        Format::Markdown => report::markdown::render_markdown(report).into_bytes(),
        Format::Json => report::json::render_json(report, true),
        Format::Ndjson => report::ndjson::render_ndjson(report),
    }
}

/// Write to a file, or stdout for `-`.
fn write_output(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    stream_output(path, |out| out.write_all(bytes))
}

/// Stream to a file, or stdout for `-`, through a buffer: what `write` produces is never held
/// whole (a JSON report of 100,000 dumps is hundreds of MB). A closed pipe is not an error.
fn stream_output(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        match write(&mut out).and_then(|_| out.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.context("cannot write to stdout"),
        }
    } else {
        let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
        write(&mut out).and_then(|_| out.flush()).with_context(|| format!("cannot write {}", path.display()))
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
