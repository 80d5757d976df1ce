//! `triage scan`: run the pipeline, write the JSON report, HTML page and delete list where
//! asked, render the chosen format on stdout.

use std::io::Write;

use super::{write_format, write_json_report, write_output, write_stdout};
use crate::cli::{Format, ScanArgs};
use crate::config::ScanConfig;
use crate::model::Exit;
use crate::report::{self, table::TableOptions};
use crate::text;
use crate::{history, pipeline};

/// `triage scan`: exits 2 with `--strict` when any file failed or a flagged path was left out
/// of the newline delete list.
pub(super) fn scan_command(args: &ScanArgs) -> anyhow::Result<Exit> {
    let format = stdout_format(args)?;
    let config = ScanConfig::from_args(&args.input)?;
    // Open the history first: a store that cannot be used should not cost a whole scan.
    let hook = history::ScanHook::prepare(args.history.as_ref(), args.input.host.as_deref())?;
    let (report, _) = hook.finish(pipeline::scan(&config)?)?;
    if let Some(path) = &args.json {
        write_json_report(path, &report)?;
    }
    if let Some(path) = &args.html {
        write_output(path, report::html::render_html(&report).as_bytes())?;
    }
    let mut refused = 0;
    if let Some(path) = &args.delete_list {
        write_output(path, &report::render_delete_list(&report, args.null))?;
        let refusals = report::delete_list_refusals(&report, args.null);
        refused = refusals.len();
        warn_refused(&refusals);
    }
    match format {
        Some(Format::Table) => {
            let mut opts = TableOptions::for_stdout(args.details);
            opts.list_limit = args.list_limit;
            write_stdout(report::table::render_table(&report, &opts).as_bytes())?;
        }
        Some(other) => write_format(&report, other, args.details)?,
        None => {}
    }
    if args.strict && (!report.failures.is_empty() || refused > 0) {
        return Ok(Exit::Fatal);
    }
    Ok(Exit::Ok)
}

/// What goes to stdout: at most one of `--json -`, `--html -`, `--delete-list -` and `--format`, so two
/// outputs are never interleaved and none is silently dropped. `None`: a `-` file takes stdout.
/// `--json - --format json` is one output said twice, and fine.
fn stdout_format(args: &ScanArgs) -> anyhow::Result<Option<Format>> {
    let dash = |p: Option<&std::path::Path>| p.is_some_and(|p| p.as_os_str() == "-");
    let mut claims = Vec::new();
    if dash(args.json.as_deref()) {
        claims.push("--json -".to_owned());
    }
    if dash(args.html.as_deref()) {
        claims.push("--html -".to_owned());
    }
    if dash(args.delete_list.as_deref()) {
        claims.push("--delete-list -".to_owned());
    }
    match args.format {
        Some(Format::Json) if dash(args.json.as_deref()) => {}
        Some(f) => claims.push(format!("--format {}", f.as_str())),
        None => {}
    }
    if claims.len() > 1 {
        anyhow::bail!(
            "{} all write to stdout; send all but one to a file (e.g. --json report.json)",
            claims.join(" and ")
        );
    }
    Ok(match (claims.len(), args.format) {
        (0, _) => Some(Format::Table),
        (_, Some(f)) if !dash(args.json.as_deref()) => Some(f),
        _ => None,
    })
}

/// Tell the user (on stderr: stdout may be the list itself) which flagged paths the newline
/// delete list left out, so a partial list is never mistaken for the whole one.
fn warn_refused(refusals: &[&std::path::Path]) {
    if refusals.is_empty() {
        return;
    }
    let mut text = format!(
        "triage: {} path{} flagged delete left out of the newline delete list: a control character or line \
         break in the name could make a line reader act on a different file; use --null for exact names\n",
        refusals.len(),
        if refusals.len() == 1 { "" } else { "s" }
    );
    for p in refusals {
        text.push_str(&format!("  {}\n", text::terminal_path(p)));
    }
    // Best effort: a closed stderr must not turn a written report into an error.
    let _ = std::io::stderr().write_all(text.as_bytes());
}
