//! `triage check`: compare a rescan with the baseline, or rewrite the baseline.

use anyhow::Context;

use super::{write_output, write_stdout};
use crate::cli::CheckArgs;
use crate::config::ScanConfig;
use crate::model::Exit;
use crate::report::Report;
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
    let mut report = pipeline::scan(&config)?;
    let Some(mut baseline) = baseline else {
        // Fingerprints carry modification times, which differ on every checkout.
        let summary = report::table::summary_line(&report);
        let bytes = report::json::render_json(&report.without_fingerprints(), true);
        std::fs::write(baseline_path, bytes)
            .with_context(|| format!("cannot write baseline {}", baseline_path.display()))?;
        write_stdout(format!("Baseline written to {}\n{summary}\n", text::terminal_path(baseline_path)).as_bytes())?;
        return Ok(Exit::Ok);
    };
    if let Some(base) = &args.base {
        // Compare absolute paths: the baseline's relative to DIR, this scan's to here.
        let here = std::env::current_dir().context("cannot read the current folder")?;
        baseline.rebase(&here.join(base));
        report.rebase(&here);
    }
    let outcome = check::compare(&baseline, &report);
    let note = if args.base.is_none() { relative_note(&baseline, &report) } else { None };
    let json = args.json.as_deref();
    if let Some(path) = json {
        let mut value = outcome.to_json();
        if let Some(n) = &note {
            value["note"] = n.clone().into();
        }
        let mut bytes = serde_json::to_vec_pretty(&value).context("cannot write the differences as JSON")?;
        bytes.push(b'\n');
        write_output(path, &bytes)?;
    }
    if json.is_none_or(|p| p.as_os_str() != "-") {
        let mut text = outcome.render();
        if let Some(n) = &note {
            text.push_str(&format!("note: {n}\n"));
        }
        write_stdout(text.as_bytes())?;
    }
    Ok(outcome.exit())
}

/// When the baseline's paths are relative and none of them is among this scan's paths, the
/// scan most likely ran from another folder: say so, instead of leaving a wall of `+`/`-`.
fn relative_note(baseline: &Report, current: &Report) -> Option<String> {
    let example = baseline.relative_example()?;
    let matched = baseline.dumps.iter().any(|d| current.dumps.binary_search_by(|c| c.path.cmp(&d.path)).is_ok());
    if matched || current.dumps.is_empty() {
        return None;
    }
    Some(format!(
        "no dump path of the baseline matches this scan: its paths are relative to the folder its scan ran in \
         (e.g. {}); run check from that folder, or give --base DIR",
        text::terminal_path(example)
    ))
}
