//! The `triage` binary: parse the command line, run, map the outcome to an exit code.
//! Everything else lives in the library so tests and benches can reach it.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    pin_mmap_threshold();
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

/// glibc raises its mmap threshold each time a mapped block is freed (up to 32 MiB); blocks
/// below the new threshold then come from the heap arenas and, once freed, stay with the
/// process. A scan frees big lists as it goes (each log's events once the index holds them,
/// unlinked events after correlation, the facts as rows are made), so with the threshold
/// pinned at 256 KiB those go back to the system: the fleet bench's peak RSS fell from 278 to
/// 261 MB, 100,000 dumps from 142 to 141 MB, at the same speed. A `GLIBC_TUNABLES` that sets
/// the threshold wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn pin_mmap_threshold() {
    if std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("mmap_threshold")) {
        return;
    }
    // SAFETY: mallopt only sets an allocator parameter; called first, before any other thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn pin_mmap_threshold() {}
