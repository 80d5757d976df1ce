//! The `triage` binary: parse the command line, run, map the outcome to an exit code.
//! Everything else lives in the library so tests and benches can reach it.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = triage::cli::Cli::parse();
    match triage::run(cli) {
        Ok(code) => code.into(),
        Err(err) => {
            let text = triage::error::once(&err);
            // An error can quote a path or a line from a file; keep each line inert on a terminal.
            let lines: Vec<_> = text.lines().map(triage::text::terminal).collect();
            eprintln!("triage: error: {}", lines.join("\n"));
            triage::Exit::Fatal.into()
        }
    }
}
