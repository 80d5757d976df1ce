//! Links by the dump service running ([`Relation::DumpService`]): a Udmpsvc 201 says the NT4
//! user-mode dump service started, so a dump written while it ran was likely written by it
//! (writer evidence, no chance).
//!
//! "While it ran" is only what the log shows: from the latest 201 at or before the dump to the
//! end of that log's coverage. (A later 201 means the service was restarted, so the span ends
//! there and the next one begins.) A dump after the log ends, long before the service started,
//! or from another machine ([`Collector::link`] checks that) is not linked.

use super::Collector;
use crate::model::Relation;

/// Join key 6: the latest Udmpsvc 201 before the dump, if the dump is inside the span the
/// service is known to have been running.
pub(super) fn link(c: &mut Collector<'_>, t: i64, window: i64) {
    let index = c.index;
    let before = index
        .dump_service
        .partition_point(|&i| index.events.get(i).is_some_and(|e| e.time.as_second() <= t.saturating_add(window)));
    let Some(&i) = before.checked_sub(1).and_then(|n| index.dump_service.get(n)) else { return };
    let Some(e) = index.events.get(i) else { return };
    let Some(end) = index.span_of(&e.log).map(|s| s.last) else { return };
    if t <= end.saturating_add(window) {
        c.link(
            i,
            Relation::DumpService,
            "the user-mode dump service was running (its log covers the dump's time)".into(),
        );
    }
}
