//! Links by process instance ([`Relation::ProcessInstance`]: pid + process start time, to the
//! second, equal to an Application Error 1000 / Application Hang 1002 `ProcessId` +
//! `ProcessCreationTime`), and the survival evidence the same key gives: a later event or a
//! later dump of the same instance proves the process outlived this dump's exception.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::key::{DumpKey, crash_details};
use super::{Collector, event_label, fmt_secs};
use crate::model::{Chance, Correlation, DumpFacts, Evidence, EvidenceSource, Relation, Strength};

/// Join key 3: the exact process instance. Only an event near the dump's time, about this
/// exception, describes the dump; a later one proves the process survived
/// ([`survived_later_event`]).
pub(super) fn link(c: &mut Collector<'_>, key: &DumpKey<'_>, window: i64) {
    let index = c.index;
    if let (Some(pid), Some(start)) = (key.pid, key.started) {
        let all = index.instances.get(&(pid, start)).map(Vec::as_slice).unwrap_or_default();
        // Only the events near the dump's time (the list is in time order: a long-lived
        // instance in a big log can have thousands).
        let near = match key.time {
            Some(t) => index.between(all, t.saturating_sub(window), t.saturating_add(window)),
            None => all,
        };
        for &i in near {
            let Some(e) = index.events.get(i) else { continue };
            if key.describes(&crash_details(&e.kind)) {
                c.link(i, Relation::ProcessInstance, format!("pid {pid} started at {}", fmt_secs(start)));
            }
        }
    }
}

/// A later event from the same process instance that is not about this dump: the process
/// was still alive after this exception, so it was handled. (Survival says nothing about a
/// dump without an exception: a hang or manual dump of a live process is normal.)
/// Runs after every link is made, so "not about this dump" means "not linked".
pub(super) fn survived_later_event(c: &mut Collector<'_>, key: &DumpKey<'_>) {
    let index = c.index;
    if let (Some(pid), Some(start), Some(t), Some(_)) = (key.pid, key.started, key.time, key.code)
        && let Some(e) = index
            .between(
                index.instances.get(&(pid, start)).map(Vec::as_slice).unwrap_or_default(),
                t.saturating_add(1),
                i64::MAX,
            )
            .iter()
            .filter(|&&i| !c.links.contains_key(&i))
            .find_map(|&i| index.events.get(i))
    {
        c.evidence.push(Evidence::new(
            EvidenceSource::ProcessSurvived,
            Chance::First,
            Strength::Strong,
            format!("same process instance (pid {pid}) still running at {}", event_label(e)),
        ));
    }
}

/// For each dump: whether a later dump of the same process instance (pid + start time) exists,
/// so the process outlived this dump's exception. Dumps without an exception are never marked.
pub(super) fn dumped_again(dumps: &[DumpFacts]) -> Vec<bool> {
    let mut out = vec![false; dumps.len()];
    let mut latest: BTreeMap<(u32, i64), i64> = BTreeMap::new();
    for d in dumps {
        if let (Some(pid), Some(start), Some(t)) = (d.process.pid, d.process.started_at, d.written_at) {
            let e = latest.entry((pid, start.as_second())).or_insert(t.as_second());
            *e = (*e).max(t.as_second());
        }
    }
    for (i, d) in dumps.iter().enumerate() {
        if let (Some(pid), Some(start), Some(t), Some(_)) =
            (d.process.pid, d.process.started_at, d.written_at, d.exception.as_ref())
            && latest.get(&(pid, start.as_second())).is_some_and(|&l| l > t.as_second())
            && let Some(slot) = out.get_mut(i)
        {
            *slot = true;
        }
    }
    out
}

/// Dumps of the same process instance: every dump with a later dump of that instance was
/// written for an exception the process survived. Dumps without an exception get no survival
/// evidence (a hang or manual dump of a live process is normal), but still count as "later".
pub(super) fn process_survived(dumps: &[DumpFacts], out: &mut [Correlation]) {
    let mut groups: BTreeMap<(u32, i64), Vec<(i64, usize)>> = BTreeMap::new();
    for (i, d) in dumps.iter().enumerate() {
        if let (Some(pid), Some(start), Some(t)) = (d.process.pid, d.process.started_at, d.written_at) {
            groups.entry((pid, start.as_second())).or_default().push((t.as_second(), i));
        }
    }
    // Each group on its own, on every core (a text per dump: 10,000 dumps took 7 ms on one
    // thread, most of a dumps-only scan's correlation); the evidence lands in dump order.
    let groups: Vec<_> = groups.into_iter().collect();
    let found: Vec<Vec<(usize, Evidence)>> =
        groups.into_par_iter().map(|((pid, _), members)| survivals(dumps, pid, members)).collect();
    for (i, evidence) in found.into_iter().flatten() {
        if let Some(c) = out.get_mut(i) {
            c.evidence.push(evidence);
        }
    }
}

/// The survival evidence of one process instance's dumps (`members`: time and dump index).
fn survivals(dumps: &[DumpFacts], pid: u32, mut members: Vec<(i64, usize)>) -> Vec<(usize, Evidence)> {
    members.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| dumps_path(dumps, a.1).cmp(dumps_path(dumps, b.1))));
    let mut found = Vec::new();
    for &(t, i) in &members {
        if dumps.get(i).is_none_or(|d| d.exception.is_none()) {
            continue;
        }
        // Sorted by time: the first later dump by binary search (a storm of 100,000 dumps of
        // one process instance would make a scan per dump quadratic).
        let Some(&(later_t, j)) = members.get(members.partition_point(|(u, _)| *u <= t)) else { continue };
        let name =
            dumps.get(j).and_then(|d| d.path.file_name()).map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        found.push((
            i,
            Evidence::unshared(
                EvidenceSource::ProcessSurvived,
                Chance::First,
                Strength::Strong,
                format!("same process instance (pid {pid}) dumped again at {} ({name})", fmt_secs(later_t)),
            ),
        ));
    }
    found
}

fn dumps_path(dumps: &[DumpFacts], i: usize) -> &std::path::Path {
    dumps.get(i).map(|d| &*d.path).unwrap_or(std::path::Path::new(""))
}
