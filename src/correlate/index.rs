//! The event index: every event of every log in one time-sorted list, with lookup tables for
//! the exact keys (attached file names, report ids, process instances, Udmpsvc starts), built
//! once per scan and shared by every dump's correlation.

use std::collections::HashMap;

use super::basename;
use super::coverage::{LogSpan, log_span};
use crate::model::{Event, EventKind, LogRead};

/// All events of all logs, flattened and sorted by time, plus what the logs cover and lookup
/// tables for the exact keys.
#[derive(Debug, Default)]
pub struct EventIndex {
    /// Sorted by (time, log, record id).
    pub events: Vec<Event>,
    /// One span per log that has a usable time range.
    pub spans: Vec<LogSpan>,
    /// How many logs were read (a log with no usable time range still counts: "logs given").
    pub log_count: usize,
    /// Lower-case basename of an attached file → crash WER 1001 events listing it.
    pub(super) attached: HashMap<String, Vec<usize>>,
    /// Normalised report id → Application Error 1000 and crash WER 1001 events.
    pub(super) report_ids: HashMap<String, Vec<usize>>,
    /// (pid, process start second) → Application Error 1000 / Application Hang 1002 events.
    pub(super) instances: HashMap<(u32, i64), Vec<usize>>,
    /// Udmpsvc 201 events, in time order.
    pub(super) dump_service: Vec<usize>,
}

impl EventIndex {
    pub fn build(logs: &[LogRead]) -> Self {
        let mut events: Vec<Event> = logs.iter().flat_map(|l| l.events.iter().cloned()).collect();
        events.sort_by(|a, b| {
            a.time.cmp(&b.time).then_with(|| a.log.cmp(&b.log)).then_with(|| a.record_id.cmp(&b.record_id))
        });
        let spans = logs.iter().filter_map(log_span).collect();
        let mut index = EventIndex { events, spans, log_count: logs.len(), ..Default::default() };
        for (i, e) in index.events.iter().enumerate() {
            match &e.kind {
                EventKind::WerReport { attached_files, report_id, is_crash: true, .. } => {
                    for f in attached_files {
                        let name = basename(f).to_ascii_lowercase();
                        if !name.is_empty() {
                            index.attached.entry(name).or_default().push(i);
                        }
                    }
                    if let Some(r) = report_id.as_deref().and_then(norm_report_id) {
                        index.report_ids.entry(r).or_default().push(i);
                    }
                }
                EventKind::AppCrash { report_id, pid, process_started, .. } => {
                    if let Some(r) = report_id.as_deref().and_then(norm_report_id) {
                        index.report_ids.entry(r).or_default().push(i);
                    }
                    if let (Some(pid), Some(start)) = (pid, process_started) {
                        index.instances.entry((*pid, start.as_second())).or_default().push(i);
                    }
                }
                EventKind::AppHang { pid: Some(pid), process_started: Some(start), .. } => {
                    index.instances.entry((*pid, start.as_second())).or_default().push(i);
                }
                EventKind::DumpServiceStarted => index.dump_service.push(i),
                _ => {}
            }
        }
        index
    }

    /// Indices of the events within `window` seconds of `t` (inclusive), by binary search.
    pub fn within(&self, t: i64, window: i64) -> std::ops::Range<usize> {
        let lo = self.events.partition_point(|e| e.time.as_second() < t.saturating_sub(window));
        let hi = self.events.partition_point(|e| e.time.as_second() <= t.saturating_add(window));
        lo..hi.max(lo)
    }
}

/// Report ids are GUIDs, logged with or without braces, in either case.
pub(super) fn norm_report_id(id: &str) -> Option<String> {
    let id = id.trim().trim_matches(|c| c == '{' || c == '}').to_ascii_lowercase();
    (!id.is_empty() && id != "00000000-0000-0000-0000-000000000000").then_some(id)
}
