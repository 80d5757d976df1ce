//! The event-log stage: one .evtx or legacy .evt file, an XML export of events ([`xml`]) or a
//! WER `Report.wer` ([`wer`]) in, the crash-related [`Event`]s and per-log statistics out. The
//! input is a [`Source`]: a file on disk or an archive member already in memory.
//!
//! Both formats normalise into one [`Event`] type with a typed [`EventKind`] decoded per
//! (provider, event id): ids repeat across providers, so the pair is always matched together.
//! Parser types (`evtx::*`, the legacy record layout) never leave this module.

pub mod decode;
pub mod evt;
pub mod evtx;
pub mod wer;
pub mod xml;

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;

use crate::discover::{InputFile, InputKind};
use crate::error::{ErrorCode, Failure, Stage};
use crate::source::Source;
use crate::text::{Interner, Shared, SharedSet};
// The events live in the shared model; re-exported so `crate::events::Event` keeps working.
pub use crate::model::{AppCrashEvent, Event, EventKind, LogFormat, LogRead, LogStats, WerReportEvent};

/// How many error messages a log keeps for the report (the count is always complete).
const MAX_ERROR_SAMPLES: usize = 8;

/// What one log may cost. Hostile or absurd logs must not exhaust memory, so each bound cuts
/// work when reached, and the cut is always reported in [`LogStats::notes`], never silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Crash-related events kept per log (the first ones, in record order); records past the
    /// bound are still read and counted.
    pub max_events: usize,
    /// Data items (`<Data>`, insertion strings) kept per record.
    pub max_items: usize,
    /// Bytes kept per data item (cut at a character boundary).
    pub max_item_bytes: usize,
    /// Bytes of binary data kept per record (the decoders read at most the first few).
    pub max_binary: usize,
    /// Distinct "provider/event id" keys in [`LogStats::counts`].
    pub max_count_keys: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: 1_000_000,
            max_items: 256,
            max_item_bytes: 32 * 1024,
            max_binary: 64 * 1024,
            max_count_keys: 10_000,
        }
    }
}

impl Limits {
    /// Cut one record's data to the bounds; true when something was cut.
    pub(crate) fn bound_raw(&self, raw: &mut decode::RawEvent) -> bool {
        let mut cut = false;
        if raw.data.len() > self.max_items {
            raw.data.truncate(self.max_items);
            cut = true;
        }
        for item in &mut raw.data {
            cut |= truncate_str(&mut item.value, self.max_item_bytes);
        }
        if let Some(b) = &mut raw.binary
            && b.len() > self.max_binary
        {
            b.truncate(self.max_binary);
            cut = true;
        }
        cut
    }
}

/// The one copy of a text many events repeat (computer, application, module, version, path,
/// service, DLL, WER parameter), from every reader thread: a storm's 250,000 Perflib records
/// name a few DLLs and services. Report ids, unique by design, are not passed through it.
pub(crate) fn shared_text(text: &str) -> Shared {
    static TEXTS: std::sync::LazyLock<SharedSet> = std::sync::LazyLock::new(SharedSet::default);
    TEXTS.get(text)
}

/// Cut `s` to at most `max` bytes at a character boundary; true when it was cut.
pub(crate) fn truncate_str(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    true
}

/// What a record-by-record reader keeps of one log: its events, each naming the log by one
/// shared path and its provider by one shared name, and the tallies of the bounds that cut
/// work.
pub(crate) struct Kept {
    pub log: Arc<Path>,
    pub providers: Interner,
    pub cuts: Cuts,
    pub events: Vec<Event>,
}

impl Kept {
    pub(crate) fn new(path: &Path) -> Self {
        Kept { log: Arc::from(path), providers: Interner::default(), cuts: Cuts::default(), events: Vec::new() }
    }

    /// Keep a decoded event unless the per-log bound is reached.
    pub(crate) fn keep(&mut self, event: Event, limits: &Limits) {
        self.cuts.keep(&mut self.events, event, limits);
    }
}

/// Per-log tallies of the bounds that cut work, turned into notes when the log is done.
#[derive(Debug, Default)]
pub(crate) struct Cuts {
    pub events_dropped: u64,
    pub records_cut: u64,
}

impl Cuts {
    /// Keep a decoded event unless the per-log bound is reached (then count it as dropped).
    pub(crate) fn keep(&mut self, events: &mut Vec<Event>, event: Event, limits: &Limits) {
        if events.len() >= limits.max_events {
            self.events_dropped += 1;
        } else {
            events.push(event);
        }
    }

    pub(crate) fn report(&self, stats: &mut LogStats, limits: &Limits) {
        if self.events_dropped > 0 {
            stats.note(format!(
                "kept the first {} crash-related events (bound per log); {} more were decoded but not kept",
                limits.max_events, self.events_dropped
            ));
        }
        if self.records_cut > 0 {
            stats.note(format!(
                "{} records had their data cut to the per-record bounds ({} items, {} bytes per item, {} bytes of binary data)",
                self.records_cut, limits.max_items, limits.max_item_bytes, limits.max_binary
            ));
        }
    }
}

/// Times at or before this (1980-01-01) are placeholders, not events: zeroed FILETIMEs render as
/// 1601-01-01 and would stretch a log's coverage back four centuries.
const MIN_PLAUSIBLE_SECS: i64 = 315_532_800;

/// Whether an event time is a real time rather than a placeholder (see `MIN_PLAUSIBLE_SECS`).
/// Log statistics and correlation's log coverage both use this one test.
pub(crate) fn is_plausible(t: Timestamp) -> bool {
    t.as_second() > MIN_PLAUSIBLE_SECS
}

/// The start of the note added when [`LogStats::counts`] reaches its bound.
const COUNTS_CAPPED: &str = "counts:";

impl LogStats {
    /// Count one failed record or chunk, keeping the first few messages.
    pub(crate) fn error(&mut self, message: String) {
        self.errors += 1;
        if self.error_samples.len() < MAX_ERROR_SAMPLES {
            self.error_samples.push(message);
        }
    }

    /// Add a warning about the file (the callers add each kind at most once).
    pub(crate) fn note(&mut self, message: String) {
        self.notes.push(message);
    }

    /// Count one record under "provider/id". Past `max_keys` distinct keys a new key is not
    /// added (a hostile log could invent endless providers); the first such record adds a note.
    pub(crate) fn count(&mut self, provider: &str, id: u16, max_keys: usize) {
        self.count_n(provider, id, 1, max_keys);
    }

    /// [`LogStats::count`] for `n` records of one key at once.
    fn count_n(&mut self, provider: &str, id: u16, n: u64, max_keys: usize) {
        let key = format!("{provider}/{id}");
        if let Some(c) = self.counts.get_mut(&key) {
            *c += n;
        } else if self.counts.len() < max_keys {
            self.counts.insert(key, n);
        } else if !self.notes.iter().any(|n| n.starts_with(COUNTS_CAPPED)) {
            // Notes are a handful of lines, so looking for this one is cheap.
            self.note(format!(
                "{COUNTS_CAPPED} more than {max_keys} distinct provider/event id pairs; only the first {max_keys} are counted"
            ));
        }
    }
}

/// Records per (provider, event id), in the order each pair is first seen, added to
/// [`LogStats::counts`] in one go ([`Tally::add_to`]): a `provider/id` key is formatted once per
/// pair, not once per record. Added in first-seen order, the same pairs are counted (and the
/// same one first refused, which makes the note) as when each record was counted on its own,
/// whether one tally covers a whole log (`.evt`) or each chunk has one, merged in chunk order
/// (`.evtx`).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    counts: Vec<(String, u16, u64)>,
    /// Event id → indices into `counts`.
    at: std::collections::HashMap<u16, Vec<usize>>,
    /// The first pair seen once `max_keys` were.
    refused: Option<(String, u16)>,
}

impl Tally {
    /// Count one record; past `max_keys` distinct pairs a new pair is not kept.
    pub(crate) fn add(&mut self, provider: &str, id: u16, max_keys: usize) {
        // Logs run in streaks: the most recent pair first.
        if let Some(last) = self.counts.last_mut()
            && last.1 == id
            && last.0 == provider
        {
            last.2 += 1;
            return;
        }
        let slots = self.at.entry(id).or_default();
        if let Some(&i) = slots.iter().find(|&&i| self.counts[i].0 == provider) {
            self.counts[i].2 += 1;
        } else if self.counts.len() < max_keys {
            slots.push(self.counts.len());
            self.counts.push((provider.to_owned(), id, 1));
        } else if self.refused.is_none() {
            self.refused = Some((provider.to_owned(), id));
        }
    }

    /// Add the counts to `stats` (a refused pair adds the bound's note there).
    pub(crate) fn add_to(self, stats: &mut LogStats, max_keys: usize) {
        for (provider, id, n) in &self.counts {
            stats.count_n(provider, *id, *n, max_keys);
        }
        if let Some((provider, id)) = self.refused {
            stats.count(&provider, id, max_keys);
        }
    }
}

/// Widen the log's covered time range by one event time (implausible times are ignored).
pub(crate) fn note_time(stats: &mut LogStats, t: Option<Timestamp>) {
    let Some(t) = t.filter(|t| is_plausible(*t)) else { return };
    if stats.first_event.is_none_or(|f| t < f) {
        stats.first_event = Some(t);
    }
    if stats.last_event.is_none_or(|l| t > l) {
        stats.last_event = Some(t);
    }
}

/// Why a whole log could not be read. Damage inside a readable log is not an error here; it is
/// counted in [`LogStats::errors`].
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a readable event log header: {0}")]
    BadHeader(String),
    #[error("log is {0} bytes, more than the legacy .evt reader accepts")]
    TooLarge(u64),
    #[error("input is not an event log")]
    NotALog,
}

impl ErrorCode for ReadError {
    fn code(&self) -> &'static str {
        match self {
            ReadError::Io(_) => "log_io",
            ReadError::BadHeader(_) => "log_bad_header",
            ReadError::TooLarge(_) => "log_too_large",
            ReadError::NotALog => "log_unsupported",
        }
    }
}

/// Read one log. A file whose header is unreadable is a [`Failure`]; damaged chunks and records
/// are counted in [`LogStats::errors`] and the rest of the file is read.
pub fn read_log(input: &InputFile) -> Result<LogRead, Failure> {
    read_log_with(input, &Limits::default())
}

/// [`read_log`] with explicit bounds.
pub fn read_log_with(input: &InputFile, limits: &Limits) -> Result<LogRead, Failure> {
    read_source(Source::File(input), limits)
}

/// Read one log from a file or an archive member.
pub fn read_source(source: Source<'_>, limits: &Limits) -> Result<LogRead, Failure> {
    let path = source.path();
    let (format, result) = match (source, source.kind()) {
        (Source::File(f), InputKind::Evtx) => (LogFormat::Evtx, evtx::read(&f.path, limits)),
        (Source::Member(m), InputKind::Evtx) => {
            (LogFormat::Evtx, evtx::read_from(path, std::io::Cursor::new(&m.bytes[..]), m.len(), limits))
        }
        (Source::File(f), InputKind::Evt) => (LogFormat::Evt, evt::read(&f.path, limits)),
        (Source::Member(m), InputKind::Evt) => (LogFormat::Evt, evt::read_bytes(path, &m.bytes, limits)),
        (Source::File(f), InputKind::EventXml) => (LogFormat::Xml, xml::read(&f.path, limits)),
        (Source::Member(m), InputKind::EventXml) => (LogFormat::Xml, xml::read_from(path, &m.bytes[..], limits)),
        (Source::File(f), InputKind::WerReport) => (LogFormat::Wer, read_wer_file(f)),
        (Source::Member(m), InputKind::WerReport) => {
            (LogFormat::Wer, wer::read_bytes(path, &m.bytes, m.modified.and_then(|t| Timestamp::try_from(t).ok())))
        }
        (_, InputKind::Minidump | InputKind::Userdump) => {
            return Err(Failure::from_error(path, Stage::Events, &ReadError::NotALog));
        }
    };
    let (stats, mut events) = result.map_err(|e| Failure::from_error(path, Stage::Events, &e))?;
    // Readers emit record order; keep it, but make equal inputs give equal output.
    let key = |e: &Event| (e.record_id, e.time);
    if !events.is_sorted_by_key(key) {
        events.sort_by_key(key);
    }
    // Held until the scan ends: without the growth slack.
    events.shrink_to_fit();
    Ok(LogRead { path: path.to_path_buf(), format, stats, events })
}

fn read_wer_file(f: &InputFile) -> Result<(LogStats, Vec<Event>), ReadError> {
    use std::io::Read as _;
    let file = std::fs::File::open(&f.path)?;
    let mut bytes = Vec::new();
    // One byte past the bound tells a too-large report from one exactly at it.
    file.take(wer::MAX_REPORT_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    let mtime = f.modified.and_then(|t| Timestamp::try_from(t).ok());
    wer::read_bytes(&f.path, &bytes, mtime)
}
