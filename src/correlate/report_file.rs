//! Links by report: the dump's file name in a crash WER 1001's `AttachedFiles`
//! ([`Relation::AttachedFile`]), and events sharing a WER `ReportId` with an exactly linked one
//! ([`Relation::ReportId`], WER 1001 ↔ Application Error 1000).

use super::Collector;
use super::index::{EventIndex, norm_report_id};
use super::key::{DumpKey, instance_conflicts};
use crate::model::{Event, EventKind, Relation};

/// Join key 1: the dump's file name in a crash report's AttachedFiles. A report cannot precede
/// the dump it attaches; one whose chained Application Error names another process instance
/// is about another file of the same name.
pub(super) fn link_attached(c: &mut Collector<'_>, key: &DumpKey<'_>, window: i64) {
    let index = c.index;
    if let Some(hits) = index.attached.get(&key.file) {
        // A report cannot precede the dump by more than the window (the list is in time order).
        let hits = index.between(hits, key.time.map_or(i64::MIN, |t| t.saturating_sub(window)), i64::MAX);
        for &i in hits {
            let Some(e) = index.events.get(i) else { continue };
            if key.time.is_some_and(|t| e.time.as_second() < t.saturating_sub(window)) {
                continue;
            }
            if let EventKind::WerReport { report_id, .. } = &e.kind
                && chained_instance_conflicts(index, report_id.as_deref(), key)
            {
                continue;
            }
            c.link(i, Relation::AttachedFile, format!("WER report attaches {}", key.file));
        }
    }
}

/// Join key 1b: the dump lies in the folder of a crash `Report.wer` (WER keeps one report's
/// files together). The report cannot precede the dump by more than the window, as for 1.
pub(super) fn link_folder(c: &mut Collector<'_>, key: &DumpKey<'_>, folder: Option<&std::path::Path>, window: i64) {
    let index = c.index;
    let Some(hits) = folder.and_then(|f| index.report_folders.get(f)) else { return };
    for &i in hits {
        let Some(e) = index.events.get(i) else { continue };
        if key.time.is_some_and(|t| e.time.as_second() < t.saturating_sub(window)) {
            continue;
        }
        c.link(i, Relation::ReportFolder, format!("in the folder of {}", e.log.display()));
    }
}

/// A WER report id names one report: WER 1001 and Application Error 1000 of one crash, a few
/// events. An id shared by more (a log exported twice into one folder, a writer reusing ids) is
/// chained to this many events only, the nearest to the dump in time, and the link says so:
/// without the bound, 10,000 dumps of one process and a log repeating one id 13,690 times gave
/// 9 million links and a 6 GB report.
pub(super) const MAX_CHAINED_PER_REPORT_ID: usize = 8;

/// Join key 2: chain report ids from exactly linked events.
pub(super) fn chain_report_ids(c: &mut Collector<'_>, key: &DumpKey<'_>) {
    let index = c.index;
    let mut exact_ids: Vec<String> = c
        .links
        .iter()
        .filter(|(_, (r, _))| matches!(r, Relation::AttachedFile | Relation::ReportFolder | Relation::ProcessInstance))
        .filter_map(|(&i, _)| index.events.get(i).and_then(report_id_of))
        .collect();
    exact_ids.sort_unstable();
    exact_ids.dedup();
    for id in exact_ids {
        let list = index.report_ids.get(&id).map(Vec::as_slice).unwrap_or_default();
        let chainable = |i: usize| -> bool {
            // An event already linked by an exact key keeps that key (chaining adds nothing).
            if c.links.get(&i).is_some_and(|(r, _)| r.is_exact()) {
                return false;
            }
            let Some(e) = index.events.get(i) else { return false };
            if let EventKind::AppCrash { pid, process_started, .. } = &e.kind
                && instance_conflicts(key, *pid, process_started.map(|s| s.as_second()))
            {
                return false;
            }
            // What `link` would refuse must not take one of the few places.
            super::machine_matches(c.machine, e.computer.as_deref())
        };
        let (chained, detail) = if list.len() <= MAX_CHAINED_PER_REPORT_ID {
            (list.iter().copied().filter(|&i| chainable(i)).collect(), format!("report id {id}"))
        } else {
            // The list is in time order: walk out from the dump's time, nearest first (an
            // equal distance in log order, so the choice is deterministic), without looking
            // at the thousands of events such an id may have.
            let t = key.time.unwrap_or(i64::MIN);
            let split = list.partition_point(|&i| index.events.get(i).is_some_and(|e| e.time.as_second() < t));
            let distance = |i: usize| index.events.get(i).map_or(u64::MAX, |e| e.time.as_second().abs_diff(t));
            let (mut below, mut above) =
                (list[..split].iter().rev().copied().peekable(), list[split..].iter().copied().peekable());
            let mut chained = Vec::with_capacity(MAX_CHAINED_PER_REPORT_ID);
            while chained.len() < MAX_CHAINED_PER_REPORT_ID {
                let next = match (below.peek(), above.peek()) {
                    (Some(&b), Some(&a)) if (distance(b), b) <= (distance(a), a) => below.next(),
                    (Some(_), Some(_)) | (None, Some(_)) => above.next(),
                    (Some(_), None) => below.next(),
                    (None, None) => None,
                };
                let Some(i) = next else { break };
                if chainable(i) {
                    chained.push(i);
                }
            }
            let shared = list.len();
            let detail = format!(
                "report id {id} (shared by {shared} events, where a report has a few: the {MAX_CHAINED_PER_REPORT_ID} nearest in time are linked)"
            );
            (chained, detail)
        };
        for i in chained {
            c.link(i, Relation::ReportId, detail.clone());
        }
    }
}

fn report_id_of(e: &Event) -> Option<String> {
    match &e.kind {
        EventKind::AppCrash { report_id, .. } | EventKind::WerReport { report_id, .. } => {
            report_id.as_deref().and_then(norm_report_id)
        }
        _ => None,
    }
}

/// Does the Application Error chained to this report id name another process instance?
pub(super) fn chained_instance_conflicts(index: &EventIndex, report_id: Option<&str>, key: &DumpKey<'_>) -> bool {
    let Some(id) = report_id.and_then(norm_report_id) else { return false };
    index.report_instances.get(&id).into_iter().flatten().any(|&(pid, started)| instance_conflicts(key, pid, started))
}
