//! The commands: one file per subcommand, each turning parsed flags into a run of the stages,
//! writing the output (stdout or files) and deciding the exit status. With `main.rs`, the only
//! code that writes to stdout; a new subcommand gets a file here and an arm in [`run`].

mod check;
mod clean;
mod report;
mod rules;
mod scan;

use std::io::Write;

use anyhow::Context;

use crate::cli::{Cli, Command};
use crate::model::Exit;

/// Run one command line.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Scan(args) => scan::scan_command(&args),
        Command::Check(args) => check::check_command(&args),
        Command::Clean(args) => clean::clean_command(&args),
        Command::Report(args) => report::report_command(&args),
        Command::Rules(cmd) => rules::rules_command(&cmd),
    }
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
