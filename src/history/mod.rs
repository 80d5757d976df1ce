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
//! The command functions are in `commands::history` and `commands::merge`. Where the store lives: `--history FILE`, else `$TRIAGE_HISTORY`, else
//! `triage/history.sqlite` in the platform's local data folder ([`location`]).

pub mod merge;
pub mod query;
pub mod record;
pub mod render;
pub mod store;

use std::path::{Path, PathBuf};

use anyhow::Context;
use jiff::Timestamp;

use crate::report::Report;
pub use record::{RunOutcome, record};
pub use store::{HistoryError, Store};

/// The environment variable naming the store when `--history` gives no FILE.
pub const ENV_HISTORY: &str = "TRIAGE_HISTORY";

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
pub fn open_store(given: Option<&Path>) -> anyhow::Result<Store> {
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
