//! Links by the dump service running ([`Relation::DumpService`]): the latest Udmpsvc 201 before
//! the dump says the NT4 user-mode dump service wrote it (writer evidence, no chance).

use super::Collector;
use crate::model::Relation;

/// Join key 6: the Udmpsvc 201 at any time before the dump (the latest one).
pub(super) fn link(c: &mut Collector<'_>, t: i64, window: i64) {
    let index = c.index;
    let before = index
        .dump_service
        .partition_point(|&i| index.events.get(i).is_some_and(|e| e.time.as_second() <= t.saturating_add(window)));
    if let Some(&i) = before.checked_sub(1).and_then(|n| index.dump_service.get(n)) {
        c.link(i, Relation::DumpService, "the user-mode dump service was running".into());
    }
}
