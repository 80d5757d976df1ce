//! Matching one triaged dump against the rules: the [`View`] of its correlated events that the
//! conditions read (time-proximity links kept apart, so nothing is deleted on them alone),
//! each rule's conditions, and the evidence text every verdict's reason ends with.

use std::collections::BTreeSet;

use super::{EventCondition, Rule};
use crate::correlate::{EventIndex, event_label, is_crash_event};
use crate::model::{Action, Chance, Coverage, Event, EventKind, EvidenceSource, Relation, Triaged};

/// What the rules look at, computed once per dump.
pub(super) struct View {
    /// Kinds of correlated event, by any key.
    present: BTreeSet<EventCondition>,
    /// Kinds of correlated event linked by something better than time proximity.
    present_not_by_time: BTreeSet<EventCondition>,
}

/// The rule-level kinds an event link stands for.
fn conditions_of(e: &Event, relation: Relation, dump_code: Option<u32>) -> Vec<EventCondition> {
    use EventCondition as C;
    let mut out = match &e.kind {
        EventKind::AppCrash(_) => vec![C::AppCrash],
        EventKind::WerReport(w) if w.is_crash => vec![C::WerCrash],
        EventKind::AppHang { .. } => vec![C::AppHang],
        EventKind::DotNetUnhandled { .. } => vec![C::DotnetUnhandled],
        EventKind::ServiceCrashed { .. } => vec![C::ServiceCrashed],
        EventKind::WorkerProcessDied { .. } => vec![C::WorkerProcessDied],
        EventKind::DrWatson { .. } => vec![C::Drwatson],
        EventKind::PerflibHandled { code, .. } if relation == Relation::PerflibModule => {
            let same = e.event_id == 1010 && code.is_some() && *code == dump_code;
            if same { vec![C::PerflibHandled, C::PerflibSameCode] } else { vec![C::PerflibHandled] }
        }
        EventKind::DumpServiceStarted => vec![C::DumpService],
        _ => vec![],
    };
    if is_crash_event(&e.kind) {
        out.push(C::CrashEvent);
    }
    out
}

impl View {
    pub(super) fn new(dump: &Triaged, index: &EventIndex) -> Self {
        let code = dump.facts.exception.as_ref().map(|e| e.code);
        let mut present = BTreeSet::new();
        let mut present_not_by_time = BTreeSet::new();
        for l in &dump.correlation.links {
            let Some(e) = index.events.get(l.event) else { continue };
            for c in conditions_of(e, l.relation, code) {
                present.insert(c);
                if l.relation != Relation::ProcessTime {
                    present_not_by_time.insert(c);
                }
            }
        }
        View { present, present_not_by_time }
    }

    /// Why the guard keeps this dump, if it does.
    pub(super) fn crash_evidence(&self, dump: &Triaged) -> Option<&'static str> {
        if self.present.contains(&EventCondition::CrashEvent) {
            Some("the dump is correlated with a crash event")
        } else if dump.chance.evidence.iter().any(|e| e.indicates == Chance::Second) {
            Some("there is second-chance evidence")
        } else {
            None
        }
    }

    /// The evidence, for the verdict's reason: chance, linked events, coverage.
    pub(super) fn explain(&self, dump: &Triaged, index: &EventIndex) -> String {
        let ch = &dump.chance;
        let mut parts = Vec::new();
        if ch.evidence.is_empty() {
            parts.push(format!("chance {} (no chance evidence)", ch.value));
        } else {
            // Name each kind of evidence once; the details are in `chance.evidence`.
            let mut named: Vec<String> = Vec::new();
            for e in &ch.evidence {
                let strength = match e.strength {
                    crate::model::Strength::Strong => "strong",
                    crate::model::Strength::Weak => "weak",
                };
                let item = format!("{} {} {strength}", source_name(e.source), e.indicates);
                if !named.contains(&item) {
                    named.push(item);
                }
            }
            if ch.conflict {
                parts.push(format!("chance unknown, conflicting strong evidence ({})", named.join(", ")));
            } else {
                parts.push(format!("chance {} ({})", ch.value, named.join(", ")));
            }
        }
        let links: Vec<String> = dump
            .correlation
            .links
            .iter()
            .filter_map(|l| index.events.get(l.event).map(|e| format!("{} via {}", event_label(e), l.relation)))
            .collect();
        if !links.is_empty() {
            parts.push(format!("events: {}", links.join(", ")));
        }
        match dump.correlation.coverage {
            Coverage::Covered if links.is_empty() => parts.push("no correlated event in the logs".into()),
            Coverage::Covered => {}
            Coverage::NotCovered => parts.push("no log coverage: no log spans the dump's time".into()),
            Coverage::NoLogs if dump.facts.written_at.is_none() => {
                parts.push("the dump has no time, so no event could be correlated".into())
            }
            Coverage::NoLogs => parts.push("no event logs given".into()),
        }
        parts.join("; ")
    }
}

fn source_name(s: EvidenceSource) -> &'static str {
    match s {
        EvidenceSource::Comment => "comment",
        EvidenceSource::FileName => "file_name",
        EvidenceSource::Exception => "exception",
        EvidenceSource::NoException => "no_exception",
        EvidenceSource::ProcessSurvived => "process_survived",
        EvidenceSource::DebugEvent => "debug_event",
        EvidenceSource::Writer => "writer",
        EvidenceSource::Event => "event",
        EvidenceSource::WerReport => "wer_report",
    }
}

impl Rule {
    pub(super) fn matches(&self, dump: &Triaged, view: &View) -> bool {
        let w = &self.when;
        let f = &dump.facts;
        if let Some(g) = &w.process {
            match f.process.name.as_deref() {
                Some(name) if g.is_match(crate::correlate::basename(name)) => {}
                _ => return false,
            }
        }
        if let Some(g) = &w.module {
            match &f.faulting_module {
                Some(m) if g.is_match(crate::correlate::basename(&m.name)) => {}
                _ => return false,
            }
        }
        if let Some(g) = &w.function {
            let top = f.crashing_thread.as_ref().and_then(|t| t.frames.first());
            let mut names = top
                .into_iter()
                .flat_map(|fr| fr.inlines.iter().map(|i| i.function.as_str()).chain(fr.function.as_deref()));
            if !names.any(|n| g.is_match(n)) {
                return false;
            }
        }
        if let Some(g) = &w.signature
            && !f.signature_or_fallback().is_some_and(|s| g.is_match(&s))
        {
            return false;
        }
        if let Some(codes) = &w.codes
            && !f.exception.as_ref().is_some_and(|e| codes.contains(&e.code))
        {
            return false;
        }
        if let Some(chance) = &w.chance
            && !chance.contains(&dump.chance.value)
        {
            return false;
        }
        if let Some(writers) = &w.writer
            && !f.writer.is_some_and(|x| writers.contains(&x))
        {
            return false;
        }
        if let Some(want) = w.no_exception
            && want != has_no_exception(dump)
        {
            return false;
        }
        if let Some(cov) = &w.coverage
            && !cov.contains(&dump.correlation.coverage)
        {
            return false;
        }
        // Nothing is deleted on time proximity alone.
        let present = if self.action == Action::Delete { &view.present_not_by_time } else { &view.present };
        if !w.events_present.iter().all(|c| present.contains(c)) {
            return false;
        }
        !w.events_absent.iter().any(|c| view.present.contains(c))
    }
}

/// "No exception" means the dump says so (no exception stream, or the chance says none), not
/// merely that the exception stream could not be read. (The dump's own evidence is in
/// `chance.evidence`; triage moved it there.)
fn has_no_exception(dump: &Triaged) -> bool {
    dump.facts.exception.is_none()
        && (dump.chance.value == Chance::None
            || dump.chance.evidence.iter().any(|e| e.source == EvidenceSource::NoException))
}
