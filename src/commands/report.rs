//! `triage report`: render a saved JSON report (from `scan --json`) as the HTML page.

use super::write_output;
use crate::clean;
use crate::cli::ReportArgs;
use crate::model::Exit;
use crate::report;

/// `triage report --html FILE REPORT.json`: the same page `scan --html` writes for that scan.
pub(super) fn report_command(args: &ReportArgs) -> anyhow::Result<Exit> {
    let report = clean::read_report(&args.report)?;
    write_output(&args.html, report::html::render_html(&report).as_bytes())?;
    Ok(Exit::Ok)
}
