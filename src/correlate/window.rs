//! Links by the time window ([`Relation::ProcessTime`]): an event within the window about the
//! dump's process, by pid or name, or a service it hosts. The weakest key: it never makes a
//! delete on its own. Perflib events in the window are handed to [`super::perflib`].
//!
//! A storm puts many such events in one window: Q275494's counter DLL logs a Perflib 1010 for
//! every access violation it raises, and each one is dumped, so every dump of the storm sees the
//! 1010s of all its neighbours. Linking them all made links grow with dumps × events per
//! window (100,000 dumps and 1 GB of logs: 1.6 million links, a 1.4 GB report, 1.9 GB of
//! memory). Each window key therefore links at most [`MAX_WINDOW_LINKS`] events, the ones that
//! describe the dump best and then the nearest in time, and those links say how many there were.

use super::hosting::{Hosting, service_hosting};
use super::key::{DumpKey, crash_details, event_pid, event_started};
use super::report_file::chained_instance_conflicts;
use super::{Collector, perflib};
use crate::model::{Event, EventKind, Relation};

/// Events one window key links to one dump, at most.
pub(super) const MAX_WINDOW_LINKS: usize = 8;

/// A link the window would make, before the bound: how well it fits (lower is better), then
/// its distance from the dump in seconds.
struct Candidate {
    event: usize,
    relation: Relation,
    detail: String,
    fit: u8,
    distance: u64,
}

/// Join keys 4 and 5: every event within `window` seconds of the dump's time `t`.
pub(super) fn link(c: &mut Collector<'_>, key: &DumpKey<'_>, t: i64, window: i64) {
    let index = c.index;
    let mut bounded: Vec<Candidate> = Vec::new();
    for i in index.within(t, window) {
        let Some(e) = index.events.get(i) else { continue };
        let Some((relation, detail, fit)) = link_one(c, key, e) else { continue };
        if relation.is_exact() {
            c.link(i, relation, detail);
        } else if c.would_link(i, relation) {
            let distance = (e.time.as_second() - t).unsigned_abs();
            bounded.push(Candidate { event: i, relation, detail, fit, distance });
        }
    }
    for relation in [Relation::ProcessTime, Relation::PerflibModule] {
        let mut of: Vec<&Candidate> = bounded.iter().filter(|b| b.relation == relation).collect();
        let found = of.len();
        if found > MAX_WINDOW_LINKS {
            // Best fit, then nearest; an equal distance in log order, so the choice is
            // deterministic.
            of.sort_by_key(|b| (b.fit, b.distance, b.event));
            of.truncate(MAX_WINDOW_LINKS);
        }
        for b in of {
            let detail = if found > MAX_WINDOW_LINKS {
                format!(
                    "{}; {found} such events in the window, {MAX_WINDOW_LINKS} linked (best match, then nearest)",
                    b.detail
                )
            } else {
                b.detail.clone()
            };
            c.link(b.event, relation, detail);
        }
    }
}

/// The link the time window makes for one event, if any, with its fit (see [`Candidate`]).
fn link_one(c: &Collector<'_>, key: &DumpKey<'_>, e: &Event) -> Option<(Relation, String, u8)> {
    let crash = crash_details(&e.kind);
    let process_match = match &e.kind {
        EventKind::AppCrash(a) => key.same_process(a.app.as_deref(), a.pid, a.process_started) && key.describes(&crash),
        EventKind::WerReport(w) if w.is_crash => {
            key.same_name(w.params.first().map(|p| p.as_str()))
                && key.describes(&crash)
                && !chained_instance_conflicts(c.index, w.report_id.as_deref(), key)
        }
        EventKind::AppHang { app, pid, process_started } => key.same_process(app.as_deref(), *pid, *process_started),
        EventKind::DotNetUnhandled { app, .. } => key.same_name(app.as_deref()),
        EventKind::DrWatson { app, .. } => key.same_name(app.as_deref()) && key.describes(&crash),
        EventKind::WorkerProcessDied { pid, .. } => key.pid.is_some() && key.pid == *pid,
        EventKind::ServiceCrashed { service, .. } => service_hosting(service.as_deref(), key.name) == Hosting::Hosts,
        EventKind::PerflibHandled { .. } => {
            return perflib::link(key, e).map(|(detail, fit)| (Relation::PerflibModule, detail, fit));
        }
        _ => false,
    };
    if !process_match {
        return None;
    }
    if key.same_instance(event_pid(&e.kind), event_started(&e.kind)) {
        return Some((Relation::ProcessInstance, "same pid and process start time".into(), 0));
    }
    let (how, fit) = if matches!(e.kind, EventKind::ServiceCrashed { .. }) {
        ("service hosted by the process", 1)
    } else if key.pid.is_some() && event_pid(&e.kind) == key.pid {
        ("same pid", 0)
    } else {
        ("same process name", 1)
    };
    Some((Relation::ProcessTime, format!("{how} within the time window"), fit))
}
