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
/// the facts as rows are made), so with the threshold pinned at 4 MiB those go back to the
/// system: the fleet bench's peak RSS fell from 278 to 261 MB at the commit that added this.
/// Pinning it also pins the trim threshold, at 128 KiB, where trimming the workers' arenas
/// after every few dumps (3,000 `madvise` calls for 1,000 sparse dumps) made that case 2.7×
/// slower: it is set to 32 MiB, the most the dynamic rule reaches. Below 4 MiB the
/// 2 MiB batches of `.evtx` chunks were mapped and unmapped each time (correlated_10k 5%
/// slower, measured at 256 KiB). A `GLIBC_TUNABLES` that sets either wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn pin_mmap_threshold() {
    if std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("mmap_threshold") || t.contains("trim_threshold")) {
        return;
    }
    // SAFETY: mallopt only sets allocator parameters; called first, before any other thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 32 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn pin_mmap_threshold() {}
