//! Memory across runs: which buckets are new, which were seen before (with their ticket), which
//! were fixed and came back; and fleet use, joining the reports of many hosts.
//!
//! * [`store`]: the SQLite file (bundled, WAL, busy timeout, versioned schema with migrations,
//!   hands off files that are not ours).
//! * [`record`]: one scan becomes one run; each bucket gets its status (new / seen /
//!   regressed / fixed / muted) in the report.
//! * [`query`] and [`render`]: `triage history list|show|link|fixed|mute|reopen|forget|export`
//!   and the `check --history` gate.
//! * [`merge`]: `triage merge REPORT.json...`.
//!
//! This module also holds the command functions for all of that, so `lib.rs` only dispatches.
//! Where the store lives: `--history FILE`, else `$TRIAGE_HISTORY`, else
//! `triage/history.sqlite` in the platform's local data folder ([`location`]).

pub mod args;
pub mod merge;
pub mod query;
pub mod record;
pub mod render;
pub mod store;

use std::path::{Path, PathBuf};

use anyhow::Context;
use jiff::Timestamp;

use crate::Exit;
use crate::cli::CheckArgs;
use crate::config::ScanConfig;
use crate::report::Report;
use crate::report::table::TableOptions;
use crate::{pipeline, write_output, write_stdout};
use args::{FailOn, HistoryArgs, HistoryCommand, MergeArgs};
pub use record::{RunOutcome, record};
pub use store::{HistoryError, Store};

/// The environment variable naming the store when `--history` gives no FILE.
pub const ENV_HISTORY: &str = "TRIAGE_HISTORY";

/// Dumps `triage history show` lists.
const SHOW_DUMPS: usize = 20;

/// Where the store is: `given`, else `$TRIAGE_HISTORY`, else the default location
/// ([`default_location`]). The second value says whether it is the default (whose folder
/// `triage` may create).
pub fn location(given: Option<&Path>) -> anyhow::Result<(PathBuf, bool)> {
    if let Some(p) = given.filter(|p| !p.as_os_str().is_empty()) {
        return Ok((p.to_path_buf(), false));
    }
    if let Some(p) = std::env::var_os(ENV_HISTORY).filter(|p| !p.is_empty()) {
        return Ok((PathBuf::from(p), false));
    }
    let p = default_location().context("no default place for the history store here; give --history FILE")?;
    Ok((p, true))
}

/// `triage/history.sqlite` in the local (not roaming) data folder: `$XDG_DATA_HOME` or
/// `~/.local/share` on Linux, `~/Library/Application Support` on macOS, `%LOCALAPPDATA%` on
/// Windows.
pub fn default_location() -> Option<PathBuf> {
    dirs::data_local_dir().map(|d| d.join("triage").join("history.sqlite"))
}

/// Open (creating) the store at the resolved location.
fn open_store(given: Option<&Path>) -> anyhow::Result<Store> {
    let (path, default) = location(given)?;
    if default && let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(Store::open(&path)?)
}

/// The machine name reports are tagged with: `given` (`--host NAME`), else the host name.
pub fn host_name(given: Option<&str>) -> String {
    if let Some(h) = given.map(str::trim).filter(|h| !h.is_empty()) {
        return h.to_owned();
    }
    let h = gethostname::gethostname().to_string_lossy().trim().to_owned();
    if h.is_empty() { "unknown".to_owned() } else { h }
}

/// What `scan` and `check` do around the pipeline: tag the report with the host and, with
/// `--history`, record it. [`ScanHook::prepare`] opens the store before the scan, so a store
/// that cannot be used costs no scan.
#[derive(Debug)]
pub struct ScanHook {
    store: Option<Store>,
    host: String,
}

impl ScanHook {
    /// `history` is the `--history [FILE]` flag: absent (no recording), present without FILE
    /// (the default location) or with one.
    pub fn prepare(history: Option<&Option<PathBuf>>, host: Option<&str>) -> anyhow::Result<ScanHook> {
        let store = match history {
            None => None,
            Some(given) => Some(open_store(given.as_deref())?),
        };
        Ok(ScanHook { store, host: host_name(host) })
    }

    /// Tag and record the finished report; it comes back with its history attached.
    pub fn finish(self, mut report: Report) -> anyhow::Result<(Report, Option<RunOutcome>)> {
        report.host = Some(self.host);
        let Some(mut store) = self.store else { return Ok((report, None)) };
        let outcome = record(&mut store, &report, Timestamp::now())?;
        record::annotate(&mut report, &outcome, store.path());
        Ok((report, Some(outcome)))
    }
}

/// `triage check --history [FILE] [--fail-on ...]`: scan, record, and exit 1 when the run
/// has what `--fail-on` names (default: new or regressed buckets).
pub fn check_command(args: &CheckArgs) -> anyhow::Result<Exit> {
    let config = ScanConfig::from_args(&args.input)?;
    let hook = ScanHook::prepare(args.history.as_ref(), args.input.host.as_deref())?;
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
pub fn history_command(args: &HistoryArgs) -> anyhow::Result<Exit> {
    if let HistoryCommand::Path = args.command {
        let (path, _) = location(args.history.as_deref())?;
        write_stdout(format!("{}\n", path.display()).as_bytes())?;
        return Ok(Exit::Ok);
    }
    let (path, _) = location(args.history.as_deref())?;
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

/// `triage merge REPORT.json...`.
pub fn merge_command(args: &MergeArgs) -> anyhow::Result<Exit> {
    let inputs: Vec<merge::Input> = args
        .reports
        .iter()
        .map(|p| Ok(merge::Input { path: p.clone(), report: crate::clean::read_report(p)? }))
        .collect::<anyhow::Result<_>>()?;
    let report = merge::merge(&inputs);
    if let Some(path) = &args.json {
        write_output(path, &crate::report::json::render_json(&report, true))?;
    }
    if args.json.as_deref().is_none_or(|p| p.as_os_str() != "-") {
        write_stdout(&crate::render_format(&report, args.format, false))?;
    }
    Ok(Exit::Ok)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
