//! The event index: the events of every log (in a scan, those some dump could link: see
//! [`Linkable`]) in one time-sorted list, with lookup tables for the exact keys (attached file
//! names, report ids, process instances, Udmpsvc starts), built once per scan and shared by
//! every dump's correlation.

use std::collections::HashMap;
use std::path::PathBuf;

use super::basename;
use super::coverage::{LogSpan, log_span};
use super::linkable::Linkable;
use crate::model::{Correlation, Event, EventKind, LogFormat, LogRead};

/// A process instance as an event logs it: pid and start second, each when logged.
pub(super) type Instance = (Option<u32>, Option<i64>);

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
    /// Normalised report id → Application Error 1000 and crash WER 1001 events, in time order.
    pub(super) report_ids: HashMap<String, Vec<usize>>,
    /// Normalised report id → the distinct process instances (pid, start second) its
    /// Application Errors name, sorted: what `report_file::chained_instance_conflicts` checks,
    /// without walking every event of an id a log repeats thousands of times.
    pub(super) report_instances: HashMap<String, Vec<Instance>>,
    /// (pid, process start second) → Application Error 1000 / Application Hang 1002 events, in
    /// time order.
    pub(super) instances: HashMap<(u32, i64), Vec<usize>>,
    /// Udmpsvc 201 events, in time order.
    pub(super) dump_service: Vec<usize>,
    /// The folder of each crash `Report.wer` → its event.
    pub(super) report_folders: HashMap<PathBuf, Vec<usize>>,
}

impl EventIndex {
    /// The index of copies of the logs' events.
    pub fn build(logs: &[LogRead]) -> Self {
        let (spans, log_count) = spans_of(logs);
        Self::indexed(logs.iter().flat_map(|l| l.events.iter().cloned()).collect(), spans, log_count)
    }

    /// The index of the logs' events that some dump could link ([`Linkable`]), moved out of
    /// them (`logs` keep everything else). Correlation over it links what it would over
    /// every event.
    pub fn take(logs: &mut [LogRead], linkable: &Linkable) -> Self {
        // Spans are read from the events, so before those are moved or dropped.
        let (spans, log_count) = spans_of(logs);
        for l in logs.iter_mut() {
            linkable.retain_possible(&mut l.events);
        }
        // Grown once, from the largest log's list (a big log's events are a scan's largest
        // list): a new list of them all, made while the logs still held theirs, doubled the
        // events' memory at this point.
        let total: usize = logs.iter().map(|l| l.events.len()).sum();
        let largest = (0..logs.len()).max_by_key(|&i| logs[i].events.len());
        let mut events = largest.map(|i| std::mem::take(&mut logs[i].events)).unwrap_or_default();
        events.reserve_exact(total - events.len());
        for l in logs.iter_mut() {
            events.append(&mut l.events);
            l.events = Vec::new();
        }
        linkable.retain(&mut events);
        Self::indexed(events, spans, log_count)
    }

    /// Sort `events` and build the lookup tables.
    fn indexed(events: Vec<Event>, spans: Vec<LogSpan>, log_count: usize) -> Self {
        let mut index = EventIndex { events, spans, log_count, ..Default::default() };
        // In place: a stable sort allocates a scratch of half the list (std's rule; for the
        // 370,000 events of 1 GB of logs that is 58 MB by size, not measured). Only the same
        // record of one log at one time, twice, compares equal; such twins are in an
        // unspecified but repeatable order.
        index.events.sort_unstable_by(|a, b| {
            a.time.cmp(&b.time).then_with(|| a.log.cmp(&b.log)).then_with(|| a.record_id.cmp(&b.record_id))
        });
        index.tabulate();
        index
    }

    /// Only the events some dump links, with `links` renumbered to match: what the rules and
    /// the report read once correlation is done. Unlinked events are most of a big log's (the
    /// 370,000 events of the fleet bench's 1 GB of logs were 90 MB, of which a few thousand
    /// are linked). The order stays, so do the spans and the lookup tables (made again over
    /// what is kept), and a link's event is the same event as before.
    pub fn retain_linked(self, correlations: &mut [Correlation]) -> Self {
        let mut used = vec![false; self.events.len()];
        for l in correlations.iter().flat_map(|c| &c.links) {
            if let Some(u) = used.get_mut(l.event) {
                *u = true;
            }
        }
        let mut renumbered = vec![usize::MAX; self.events.len()];
        let mut kept = Vec::with_capacity(used.iter().filter(|&&u| u).count());
        for (i, e) in self.events.into_iter().enumerate() {
            if used[i] {
                renumbered[i] = kept.len();
                kept.push(e);
            }
        }
        for l in correlations.iter_mut().flat_map(|c| &mut c.links) {
            l.event = renumbered.get(l.event).copied().unwrap_or(usize::MAX);
        }
        let mut index = EventIndex { events: kept, spans: self.spans, log_count: self.log_count, ..Default::default() };
        index.tabulate();
        index
    }

    /// The lookup tables over `events`, which are in their final order.
    fn tabulate(&mut self) {
        let index = self;
        for (i, e) in index.events.iter().enumerate() {
            match &e.kind {
                EventKind::WerReport(w) if w.is_crash => {
                    if e.format == LogFormat::Wer
                        && let Some(folder) = e.log.parent()
                    {
                        index.report_folders.entry(folder.to_path_buf()).or_default().push(i);
                    }
                    for f in &w.attached_files {
                        let name = basename(f).to_ascii_lowercase();
                        if !name.is_empty() {
                            index.attached.entry(name).or_default().push(i);
                        }
                    }
                    if let Some(r) = w.report_id.as_deref().and_then(norm_report_id) {
                        index.report_ids.entry(r).or_default().push(i);
                    }
                }
                EventKind::AppCrash(a) => {
                    let (pid, process_started) = (&a.pid, &a.process_started);
                    if let Some(r) = a.report_id.as_deref().and_then(norm_report_id) {
                        let instance = (*pid, process_started.map(|s| s.as_second()));
                        index.report_instances.entry(r.clone()).or_default().push(instance);
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
        for instances in index.report_instances.values_mut() {
            instances.sort_unstable();
            instances.dedup();
        }
    }

    /// The part of `list` (event indices in time order, as every table here holds them) whose
    /// events lie from `from` to `to` seconds, inclusive, by binary search.
    pub(super) fn between<'a>(&self, list: &'a [usize], from: i64, to: i64) -> &'a [usize] {
        let time = |i: &usize| self.events.get(*i).map_or(i64::MAX, |e| e.time.as_second());
        let lo = list.partition_point(|i| time(i) < from);
        let hi = list.partition_point(|i| time(i) <= to);
        list.get(lo..hi.max(lo)).unwrap_or_default()
    }

    /// Up to `k` events of `list` (event indices in time order) that `keep` accepts, nearest to
    /// `t` first (an equal distance in log order, so the choice is deterministic; without a time,
    /// the first ones). Walks out from `t` by binary search, so an id or name a log repeats
    /// thousands of times costs `k` steps, not a pass over all of them.
    pub(super) fn nearest(
        &self,
        list: &[usize],
        t: Option<i64>,
        k: usize,
        mut keep: impl FnMut(usize) -> bool,
    ) -> Vec<usize> {
        let t = t.unwrap_or(i64::MIN);
        let time = |i: usize| self.events.get(i).map_or(i64::MAX, |e| e.time.as_second());
        let split = list.partition_point(|&i| time(i) < t);
        let (before, after) = list.split_at(split);
        let (mut below, mut above) = (before.iter().rev().copied().peekable(), after.iter().copied().peekable());
        let distance = |i: usize| time(i).abs_diff(t);
        let mut found = Vec::with_capacity(k.min(list.len()));
        while found.len() < k {
            let next = match (below.peek(), above.peek()) {
                (Some(&b), Some(&a)) if (distance(b), b) <= (distance(a), a) => below.next(),
                (_, Some(_)) => above.next(),
                (Some(_), None) => below.next(),
                (None, None) => None,
            };
            let Some(i) = next else { break };
            if keep(i) {
                found.push(i);
            }
        }
        found
    }

    /// Indices of the events within `window` seconds of `t` (inclusive), by binary search.
    pub fn within(&self, t: i64, window: i64) -> std::ops::Range<usize> {
        let lo = self.events.partition_point(|e| e.time.as_second() < t.saturating_sub(window));
        let hi = self.events.partition_point(|e| e.time.as_second() <= t.saturating_add(window));
        lo..hi.max(lo)
    }
}

/// What the logs cover, and how many logs were given: a Report.wer is one report, not a log of
/// a period, so it neither covers time nor counts as a log given.
fn spans_of(logs: &[LogRead]) -> (Vec<LogSpan>, usize) {
    let logs_proper = || logs.iter().filter(|l| l.format.is_log());
    (logs_proper().filter_map(log_span).collect(), logs_proper().count())
}

/// Report ids are GUIDs, logged with or without braces, in either case.
pub(super) fn norm_report_id(id: &str) -> Option<String> {
    let id = id.trim().trim_matches(|c| c == '{' || c == '}').to_ascii_lowercase();
    (!id.is_empty() && id != "00000000-0000-0000-0000-000000000000").then_some(id)
}
