//! Log coverage, kept apart from linking: "no event" only means something when a log spans the
//! dump's time on the dump's machine, so a dump outside every such log's span is
//! [`Coverage::NotCovered`].

use std::collections::BTreeSet;
use std::path::PathBuf;

use jiff::Timestamp;

use super::{EventIndex, Machine, machine_matches};
use crate::model::{Coverage, LogRead};

/// The time span one log covers, in seconds since the Unix epoch, and the machines its events
/// name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSpan {
    pub log: PathBuf,
    pub first: i64,
    pub last: i64,
    /// The `Computer` names of the log's decoded events (empty when none name one: then the
    /// log's machine is unknown and it may cover any dump).
    pub computers: BTreeSet<String>,
}

impl LogSpan {
    /// Could this log cover a dump of `machine`? When the log names machines, one must match.
    pub(super) fn is_for(&self, machine: Machine<'_>) -> bool {
        if self.computers.is_empty() {
            return machine_matches(machine, None);
        }
        self.computers.iter().any(|c| machine_matches(machine, Some(c)))
    }
}

/// A log's span from its statistics, falling back to its decoded events when the statistics
/// lack a plausible first/last time.
pub(super) fn log_span(log: &LogRead) -> Option<LogSpan> {
    let plausible = |t: &Timestamp| crate::events::is_plausible(*t);
    let event_times = || log.events.iter().map(|e| e.time).filter(plausible);
    let first = log.stats.first_event.filter(plausible).or_else(|| event_times().min())?;
    let last = log.stats.last_event.filter(plausible).or_else(|| event_times().max())?;
    let computers = log
        .events
        .iter()
        .filter_map(|e| e.computer.as_deref())
        .filter(|c| !c.trim().is_empty())
        .map(str::to_owned)
        .collect();
    (first <= last).then(|| LogSpan {
        log: log.path.clone(),
        first: first.as_second(),
        last: last.as_second(),
        computers,
    })
}

impl EventIndex {
    /// Whether the logs of the dump's machine cover time `t` (± window).
    pub(super) fn coverage(&self, t: Option<i64>, window: i64, machine: Machine<'_>) -> Coverage {
        let Some(t) = t else { return Coverage::NoLogs };
        if self.log_count == 0 {
            Coverage::NoLogs
        } else if self
            .spans
            .iter()
            .any(|s| s.is_for(machine) && s.first.saturating_sub(window) <= t && t <= s.last.saturating_add(window))
        {
            Coverage::Covered
        } else {
            Coverage::NotCovered
        }
    }

    /// The span of the log an event came from.
    pub(super) fn span_of(&self, log: &std::path::Path) -> Option<&LogSpan> {
        self.spans.iter().find(|s| s.log == log)
    }
}
