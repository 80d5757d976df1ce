//! The `triage` binary: parse the command line, run, map the outcome to an exit code.
//! Everything else lives in the library so tests and benches can reach it.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = triage::cli::Cli::parse();
    match triage::run(cli) {
        Ok(code) => code.into(),
        Err(err) => {
            eprintln!("triage: error: {err:#}");
            triage::Exit::Fatal.into()
        }
    }
}
