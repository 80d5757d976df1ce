//! `triage scan`: run the pipeline, write the JSON report and delete list where asked, render
//! the chosen format on stdout.

use super::{write_output, write_stdout};
use crate::cli::{Format, ScanArgs};
use crate::config::ScanConfig;
use crate::model::Exit;
use crate::pipeline;
use crate::report::{self, table::TableOptions};

/// `triage scan`: exits 2 with `--strict` when any file failed.
pub(super) fn scan_command(args: &ScanArgs) -> anyhow::Result<Exit> {
    let config = ScanConfig::from_args(&args.input)?;
    let report = pipeline::scan(&config)?;
    if let Some(path) = &args.json {
        let bytes = report::json::render_json(&report, true);
        write_output(path, &bytes)?;
    }
    if let Some(path) = &args.delete_list {
        write_output(path, &report::render_delete_list(&report, args.null))?;
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
    if args.strict && !report.failures.is_empty() {
        return Ok(Exit::Fatal);
    }
    Ok(Exit::Ok)
}
