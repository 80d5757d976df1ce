//! `triage check`: compare a rescan with the baseline, or rewrite the baseline.

use anyhow::Context;

use super::write_stdout;
use crate::cli::CheckArgs;
use crate::config::ScanConfig;
use crate::model::Exit;
use crate::{check, clean, pipeline, report, text};

/// `triage check`: rescan, then compare with (or rewrite) the baseline.
pub(super) fn check_command(args: &CheckArgs) -> anyhow::Result<Exit> {
    let config = ScanConfig::from_args(&args.input)?;
    let baseline_path = args.baseline.as_deref().context("give --baseline FILE or --history")?;
    // Read the baseline first: a typo in its path should not cost a whole scan.
    let baseline = if args.update_baseline {
        None
    } else {
        Some(clean::read_report(baseline_path).context("cannot use the baseline (create it with --update-baseline)")?)
    };
    if let Some(b) = &baseline {
        check::comparable(b, config.group_by).map_err(anyhow::Error::msg)?;
    }
    let report = pipeline::scan(&config)?;
    let Some(baseline) = baseline else {
        // Fingerprints carry modification times, which differ on every checkout.
        let summary = report::table::summary_line(&report);
        let bytes = report::json::render_json(&report.without_fingerprints(), true);
        std::fs::write(baseline_path, bytes)
            .with_context(|| format!("cannot write baseline {}", baseline_path.display()))?;
        write_stdout(format!("Baseline written to {}\n{summary}\n", text::terminal_path(baseline_path)).as_bytes())?;
        return Ok(Exit::Ok);
    };
    let outcome = check::compare(&baseline, &report);
    write_stdout(outcome.render().as_bytes())?;
    Ok(outcome.exit())
}
