//! What the scan's dumps could link, known before the event index is built: the index then
//! holds only those events, not every crash-related event of every log.
//!
//! A fleet sends months of logs with days of dumps. Every event the index holds stays in memory
//! until correlation is done, and nearly all of a big log's are hours or weeks away from any
//! dump (the fleet bench's 1 GB of logs: 370,000 events, a few thousand of them linked).
//! Which events a dump can link is bounded by its keys (see the module docs of
//! [`crate::correlate`]), so an event that no key of any dump reaches is dropped; what the
//! index keeps is a superset of what correlation links, and each dump's links, details and
//! evidence are the same as over every event.
//!
//! An event is kept when
//! - it lies within the window of some dump's time (keys 3 to 6 near the dump);
//! - it is a Udmpsvc 201 (key 6 takes the latest one *before* the dump, however long before)
//!   or a `Report.wer` (key 1, by folder);
//! - it is an Application Error or Application Hang of a dump's process instance (key 3 and
//!   the survival evidence, which looks at any later event of the instance);
//! - it is a crash WER 1001 attaching a dump's file name (key 1, any time after the dump);
//! - it carries the report id of an event kept by one of the rules above (key 2 chains by
//!   report id, and a link's detail counts every event of that id).

use std::collections::HashSet;
use std::time::Duration;

use super::basename;
use super::key::DumpKey;
use super::report_file::report_id_of;
use crate::model::{DumpFacts, Event, EventKind, LogFormat};

/// The keys every dump of a scan offers, to tell which events some dump could link.
#[derive(Debug, Default)]
pub struct Linkable {
    /// Every dump's time, in seconds, sorted.
    times: Vec<i64>,
    window: i64,
    /// Lower-case file names of the dumps.
    files: HashSet<String>,
    /// (pid, process start second) of the dumps that know both.
    instances: HashSet<(u32, i64)>,
}

impl Linkable {
    /// The keys of `dumps`, correlated with `window`.
    pub fn of(dumps: &[DumpFacts], window: Duration) -> Self {
        let mut l = Linkable { window: super::window_secs(window), ..Default::default() };
        for d in dumps {
            let key = DumpKey::new(d);
            l.times.extend(key.time);
            if let (Some(pid), Some(start)) = (key.pid, key.started) {
                l.instances.insert((pid, start));
            }
            l.files.insert(key.file);
        }
        l.times.sort_unstable();
        l
    }

    /// Whether some dump can link `e` by a key other than a shared report id.
    pub(super) fn direct(&self, e: &Event) -> bool {
        if e.format == LogFormat::Wer || matches!(e.kind, EventKind::DumpServiceStarted) {
            return true;
        }
        // A dump time d with e - window <= d <= e + window: the event is in d's window.
        let t = e.time.as_second();
        let first = self.times.partition_point(|&d| d < t.saturating_sub(self.window));
        if self.times.get(first).is_some_and(|&d| d <= t.saturating_add(self.window)) {
            return true;
        }
        let instance = |pid: Option<u32>, started: Option<jiff::Timestamp>| match (pid, started) {
            (Some(pid), Some(s)) => self.instances.contains(&(pid, s.as_second())),
            _ => false,
        };
        match &e.kind {
            EventKind::AppCrash(a) => instance(a.pid, a.process_started),
            EventKind::AppHang { pid, process_started, .. } => instance(*pid, *process_started),
            EventKind::WerReport(w) => {
                w.is_crash && w.attached_files.iter().any(|f| self.files.contains(&basename(f).to_ascii_lowercase()))
            }
            _ => false,
        }
    }

    /// Keep in `events` what some dump could link: the events [`Self::direct`] keeps, and the
    /// events sharing a report id with one of them. `events` may be one log's or all logs'
    /// (a report id is matched only among them).
    pub(super) fn retain(&self, events: &mut Vec<Event>) {
        let direct: Vec<bool> = events.iter().map(|e| self.direct(e)).collect();
        let ids: HashSet<String> =
            events.iter().zip(&direct).filter(|(_, d)| **d).filter_map(|(e, _)| report_id_of(e)).collect();
        let mut is_direct = direct.into_iter();
        events.retain(|e| is_direct.next() == Some(true) || report_id_of(e).is_some_and(|id| ids.contains(&id)));
        events.shrink_to_fit();
    }

    /// What one log can drop before the logs are merged: events neither [`Self::direct`] nor
    /// with a report id (which another log's event may share).
    pub(super) fn retain_possible(&self, events: &mut Vec<Event>) {
        events.retain(|e| self.direct(e) || report_id_of(e).is_some());
        events.shrink_to_fit();
    }
}
