//! Links by the time window ([`Relation::ProcessTime`]): an event within the window about the
//! dump's process, by pid or name, or a service it hosts. The weakest key: it never makes a
//! delete on its own. Perflib events in the window are handed to [`super::perflib`].

use super::hosting::{Hosting, service_hosting};
use super::key::{DumpKey, crash_details, event_pid, event_started};
use super::report_file::chained_instance_conflicts;
use super::{Collector, perflib};
use crate::model::{Event, EventKind, Relation};

/// Join keys 4 and 5: every event within `window` seconds of the dump's time `t`.
pub(super) fn link(c: &mut Collector<'_>, key: &DumpKey<'_>, t: i64, window: i64) {
    let index = c.index;
    for i in index.within(t, window) {
        let Some(e) = index.events.get(i) else { continue };
        link_one(c, key, i, e);
    }
}

/// Links made by the time window: process (pid or name, or a service it hosts) and Perflib.
fn link_one(c: &mut Collector<'_>, key: &DumpKey<'_>, i: usize, e: &Event) {
    let crash = crash_details(&e.kind);
    let process_match = match &e.kind {
        EventKind::AppCrash { app, pid, process_started, .. } => {
            key.same_process(app.as_deref(), *pid, *process_started) && key.describes(&crash)
        }
        EventKind::WerReport { params, is_crash: true, report_id, .. } => {
            key.same_name(params.first().map(String::as_str))
                && key.describes(&crash)
                && !chained_instance_conflicts(c.index, report_id.as_deref(), key)
        }
        EventKind::AppHang { app, pid, process_started } => key.same_process(app.as_deref(), *pid, *process_started),
        EventKind::DotNetUnhandled { app, .. } => key.same_name(app.as_deref()),
        EventKind::DrWatson { app, .. } => key.same_name(app.as_deref()) && key.describes(&crash),
        EventKind::WorkerProcessDied { pid, .. } => key.pid.is_some() && key.pid == *pid,
        EventKind::ServiceCrashed { service, .. } => service_hosting(service.as_deref(), key.name) == Hosting::Hosts,
        EventKind::PerflibHandled { .. } => {
            perflib::link(c, key, i, e);
            false
        }
        _ => false,
    };
    if process_match {
        let how = if key.same_instance(event_pid(&e.kind), event_started(&e.kind)) {
            c.link(i, Relation::ProcessInstance, "same pid and process start time".into());
            return;
        } else if matches!(e.kind, EventKind::ServiceCrashed { .. }) {
            "service hosted by the process"
        } else if key.pid.is_some() && event_pid(&e.kind) == key.pid {
            "same pid"
        } else {
            "same process name"
        };
        c.link(i, Relation::ProcessTime, format!("{how} within the time window"));
    }
}
