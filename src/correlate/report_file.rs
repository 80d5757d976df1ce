//! Links by report: the dump's file name in a crash WER 1001's `AttachedFiles`
//! ([`Relation::AttachedFile`]), and events sharing a WER `ReportId` with an exactly linked one
//! ([`Relation::ReportId`], WER 1001 ↔ Application Error 1000).

use super::Collector;
use super::index::{EventIndex, norm_report_id};
use super::key::{DumpKey, instance_conflicts};
use crate::model::{Event, EventKind, Relation};

/// Reports one file name is linked to, at most. WER names the files of its own report folders
/// alike (`memory.hdmp`, `triagedump.dmp`, `minidump.mdmp`), so a fleet's logs can hold
/// thousands of reports attaching a name that thousands of dumps have: each dump is linked to
/// the reports nearest to it in time, and the link says how many attach the name.
pub(super) const MAX_ATTACHED_PER_NAME: usize = 8;

/// Join key 1: the dump's file name in a crash report's AttachedFiles. A report cannot precede
/// the dump it attaches; one whose chained Application Error names another process instance
/// is about another file of the same name.
pub(super) fn link_attached(c: &mut Collector<'_>, key: &DumpKey<'_>, window: i64) {
    let index = c.index;
    let Some(hits) = index.attached.get(&key.file) else { return };
    // A report cannot precede the dump by more than the window (the list is in time order).
    let hits = index.between(hits, key.time.map_or(i64::MIN, |t| t.saturating_sub(window)), i64::MAX);
    let about_another = |i: usize| match index.events.get(i).map(|e| &e.kind) {
        Some(EventKind::WerReport(w)) => chained_instance_conflicts(index, w.report_id.as_deref(), key),
        _ => true,
    };
    let detail = if hits.len() > MAX_ATTACHED_PER_NAME {
        format!(
            "WER report attaches {} ({} reports attach this name: the {MAX_ATTACHED_PER_NAME} nearest in time are linked)",
            key.file,
            hits.len()
        )
    } else {
        format!("WER report attaches {}", key.file)
    };
    for i in index.nearest(hits, key.time, MAX_ATTACHED_PER_NAME, |i| !about_another(i)) {
        c.link(i, Relation::AttachedFile, detail.clone());
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
            if let EventKind::AppCrash(a) = &e.kind
                && instance_conflicts(key, a.pid, a.process_started.map(|s| s.as_second()))
            {
                return false;
            }
            // What `link` would refuse must not take one of the few places.
            super::machine_matches(c.machine, e.computer.as_deref())
        };
        let shared = list.len();
        let detail = if shared > MAX_CHAINED_PER_REPORT_ID {
            format!(
                "report id {id} (shared by {shared} events, where a report has a few: the {MAX_CHAINED_PER_REPORT_ID} nearest in time are linked)"
            )
        } else {
            format!("report id {id}")
        };
        for i in index.nearest(list, key.time, MAX_CHAINED_PER_REPORT_ID, chainable) {
            c.link(i, Relation::ReportId, detail.clone());
        }
    }
}

/// The normalised report id of an Application Error or WER event.
pub(super) fn report_id_of(e: &Event) -> Option<String> {
    match &e.kind {
        EventKind::AppCrash(a) => a.report_id.as_deref().and_then(norm_report_id),
        EventKind::WerReport(w) => w.report_id.as_deref().and_then(norm_report_id),
        _ => None,
    }
}

/// Does the Application Error chained to this report id name another process instance?
pub(super) fn chained_instance_conflicts(index: &EventIndex, report_id: Option<&str>, key: &DumpKey<'_>) -> bool {
    let Some(id) = report_id.and_then(norm_report_id) else { return false };
    index.report_instances.get(&id).into_iter().flatten().any(|&(pid, started)| instance_conflicts(key, pid, started))
}
