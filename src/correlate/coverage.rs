//! Log coverage, kept apart from linking: "no event" only means something when a log spans the
//! dump's time, so a dump outside every log's span is [`Coverage::NotCovered`].

use jiff::Timestamp;

use super::EventIndex;
use crate::model::{Coverage, LogRead};

/// The time span one log covers, in seconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSpan {
    pub first: i64,
    pub last: i64,
}

/// A log's span from its statistics, falling back to its decoded events when the statistics
/// lack a plausible first/last time.
pub(super) fn log_span(log: &LogRead) -> Option<LogSpan> {
    let plausible = |t: &Timestamp| crate::events::is_plausible(*t);
    let event_times = || log.events.iter().map(|e| e.time).filter(plausible);
    let first = log.stats.first_event.filter(plausible).or_else(|| event_times().min())?;
    let last = log.stats.last_event.filter(plausible).or_else(|| event_times().max())?;
    (first <= last).then(|| LogSpan { first: first.as_second(), last: last.as_second() })
}

impl EventIndex {
    /// Whether the logs cover time `t` (± window).
    pub fn coverage(&self, t: Option<i64>, window: i64) -> Coverage {
        let Some(t) = t else { return Coverage::NoLogs };
        if self.log_count == 0 {
            Coverage::NoLogs
        } else if self.spans.iter().any(|s| s.first.saturating_sub(window) <= t && t <= s.last.saturating_add(window)) {
            Coverage::Covered
        } else {
            Coverage::NotCovered
        }
    }
}
