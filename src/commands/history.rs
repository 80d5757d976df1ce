//! `triage history ...` and `triage check --history`: the history store's commands (the store
//! itself, recording and queries are in [`crate::history`]).

use anyhow::Context;
use jiff::Timestamp;

use super::{write_output, write_stdout};
use crate::cli::{CheckArgs, FailOn, HistoryArgs, HistoryCommand};
use crate::config::ScanConfig;
use crate::history::{self, Store, query, render};
use crate::model::Exit;
use crate::pipeline;
use crate::report::table::TableOptions;

/// Dumps `triage history show` lists.
const SHOW_DUMPS: usize = 20;

/// `triage check --history [FILE] [--fail-on ...]`: scan, record, and exit 1 when the run
/// has what `--fail-on` names (default: new or regressed buckets).
pub(super) fn check_history_command(args: &CheckArgs) -> anyhow::Result<Exit> {
    let config = ScanConfig::from_args(&args.input)?;
    let hook = history::ScanHook::prepare(args.history.as_ref(), args.input.host.as_deref())?;
    let (report, outcome) = hook.finish(pipeline::scan(&config)?)?;
    let (Some(outcome), Some(run)) = (outcome, report.history.as_ref()) else {
        anyhow::bail!("check --history: the scan was not recorded");
    };
    let mut fail_on = if args.fail_on.is_empty() { vec![FailOn::New, FailOn::Regressed] } else { args.fail_on.clone() };
    fail_on.sort();
    fail_on.dedup();
    let gate = render::gate(&report, &outcome, &run.store, &fail_on);
    write_stdout(gate.text.as_bytes())?;
    Ok(if gate.failed { Exit::Changed } else { Exit::Ok })
}

/// `triage history ...`.
pub(super) fn history_command(args: &HistoryArgs) -> anyhow::Result<Exit> {
    if let HistoryCommand::Path = args.command {
        let (path, _) = history::location(args.history.as_deref())?;
        write_stdout(format!("{}\n", path.display()).as_bytes())?;
        return Ok(Exit::Ok);
    }
    let (path, _) = history::location(args.history.as_deref())?;
    let mut store = Store::open_existing(&path)?;
    let text = match &args.command {
        HistoryCommand::List(a) => {
            let since = a.since.as_deref().map(parse_since).transpose()?;
            let filter = query::Filter {
                states: a.state.iter().map(|s| s.as_str().to_owned()).collect(),
                process: a.process.clone(),
                module: a.module.clone(),
                no_ticket: a.no_ticket,
                since,
            };
            render::list_table(&query::list(&store, &filter)?, TableOptions::for_stdout(false).width)
        }
        HistoryCommand::Show { bucket } => render::show_text(&query::show(&store, bucket)?, SHOW_DUMPS),
        HistoryCommand::Link { bucket, ticket, clear } => {
            let ticket = if *clear { None } else { ticket.as_deref() };
            let id = query::link(&store, bucket, ticket)?;
            match ticket {
                Some(t) => format!("{id}: ticket {t}\n"),
                None => format!("{id}: ticket removed\n"),
            }
        }
        HistoryCommand::Fixed { bucket, version } => {
            let id = query::fixed(&store, bucket, version.as_deref(), Timestamp::now())?;
            match version {
                Some(v) => format!("{id}: fixed in {v}\n"),
                None => format!("{id}: fixed\n"),
            }
        }
        HistoryCommand::Mute { bucket } => format!("{}: muted\n", query::mute(&store, bucket)?),
        HistoryCommand::Reopen { bucket } => format!("{}: open\n", query::reopen(&store, bucket)?),
        HistoryCommand::Forget { buckets } => {
            let (ids, dumps) = query::forget(&mut store, buckets)?;
            format!("Forgot {} bucket{} and {dumps} dump{}.\n", ids.len(), plural(ids.len()), plural(dumps as usize))
        }
        HistoryCommand::Export { output } => {
            let mut bytes = serde_json::to_vec_pretty(&query::export(&store)?).context("cannot render the export")?;
            bytes.push(b'\n');
            match output {
                Some(file) => {
                    write_output(file, &bytes)?;
                    String::new()
                }
                None => String::from_utf8_lossy(&bytes).into_owned(),
            }
        }
        HistoryCommand::Path => unreachable!("handled above"),
    };
    write_stdout(text.as_bytes())?;
    Ok(Exit::Ok)
}

/// `--since`: RFC 3339, or a plain date meaning its midnight UTC.
fn parse_since(text: &str) -> anyhow::Result<Timestamp> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let date: jiff::civil::Date =
        text.parse().with_context(|| format!("--since {text:?}: expected 2026-11-01 or RFC 3339"))?;
    Ok(date.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
