//! Rules: classify each dump as delete, keep or review, naming the rule and the reason.
//!
//! Rules are data: the built-in defaults (`builtin.toml`, compiled in) plus an optional user
//! file (`--rules FILE`, same TOML format, unknown keys rejected with a line number).
//!
//! Order of evaluation (documented in `docs/rules.md`):
//!
//! 1. the **`crash-evidence-keep` guard**, in code and not overridable: a dump correlated with a
//!    crash event (by any key, even time alone) or with any second-chance evidence is kept,
//!    whatever else matches;
//! 2. the user's rules, in file order;
//! 3. the built-in rules, in file order; the last one, `default-review`, matches everything.
//!
//! First match wins. A rule's conditions all have to hold (a list holds when any entry does).
//! For `delete` rules, events linked by time proximity alone ([`Relation::ProcessTime`]) do not
//! count as present, so nothing is ever deleted on time proximity alone; they still count as
//! present for `events_absent`, so a nearby crash event always blocks a delete.

pub mod model;

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::chance::{Chance, EvidenceSource};
use crate::correlate::{Coverage, EventIndex, Relation, event_label, is_crash_event};
use crate::dump::Writer;
use crate::error::ErrorCode;
use crate::events::{Event, EventKind};
use crate::pipeline::Triaged;

pub use model::EventCondition;

/// What to do with a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Spurious (e.g. a handled first-chance exception): safe to remove.
    Delete,
    /// A real crash or otherwise worth keeping.
    Keep,
    /// Not enough evidence to decide.
    #[default]
    Review,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Delete => "delete",
            Action::Keep => "keep",
            Action::Review => "review",
        }
    }
}

/// The classification of one dump.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Verdict {
    pub action: Action,
    /// Id of the rule that fired.
    pub rule: String,
    pub reason: String,
}

/// Id of the safety guard that keeps every dump with crash evidence.
pub const GUARD_ID: &str = "crash-evidence-keep";
const GUARD_SUMMARY: &str =
    "Correlated with a crash event or second-chance evidence: always keep (runs first, not overridable)";
/// Id of the catch-all rule.
pub const DEFAULT_ID: &str = "default-review";

const BUILTIN: &str = include_str!("builtin.toml");

/// Where a rule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Guard,
    User,
    Builtin,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Guard => "guard",
            Origin::User => "user",
            Origin::Builtin => "builtin",
        }
    }
}

/// A case-insensitive glob list and its source text.
#[derive(Debug, Clone)]
struct Globs {
    set: GlobSet,
}

impl Globs {
    fn is_match(&self, name: &str) -> bool {
        self.set.is_match(name)
    }
}

/// The conditions of one rule, validated. `None` / empty means "not constrained".
#[derive(Debug, Clone, Default)]
struct Conditions {
    process: Option<Globs>,
    module: Option<Globs>,
    codes: Option<Vec<u32>>,
    chance: Option<Vec<Chance>>,
    events_present: Vec<EventCondition>,
    events_absent: Vec<EventCondition>,
    writer: Option<Vec<Writer>>,
    no_exception: Option<bool>,
    coverage: Option<Vec<Coverage>>,
    function: Option<Globs>,
    signature: Option<Globs>,
}

impl Conditions {
    fn is_empty(&self) -> bool {
        self.process.is_none()
            && self.module.is_none()
            && self.codes.is_none()
            && self.chance.is_none()
            && self.events_present.is_empty()
            && self.events_absent.is_empty()
            && self.writer.is_none()
            && self.no_exception.is_none()
            && self.coverage.is_none()
            && self.function.is_none()
            && self.signature.is_none()
    }
}

/// One validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub action: Action,
    pub reason: String,
    pub reference: Option<String>,
    pub summary: String,
    pub origin: Origin,
    when: Conditions,
}

/// A problem in a rules file, 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A rules file that cannot be used. A broken rules file stops the scan: classifying with
/// half a rule set would silently change verdicts.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("cannot read rules file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}", render_problems(path, problems))]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

impl ErrorCode for RuleError {
    fn code(&self) -> &'static str {
        match self {
            RuleError::Read { .. } => "rules_unreadable",
            RuleError::Invalid { .. } => "rules_invalid",
        }
    }
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let mut out = String::new();
    for (n, p) in problems.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let _ = write!(out, "{}:{}:{}: {}", path.display(), p.line, p.column, p.message);
    }
    out
}

/// 1-based line and column (in characters) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

fn problem_at(text: &str, offset: usize, message: impl Into<String>) -> Problem {
    let (line, column) = position(text, offset);
    Problem { line, column, message: message.into() }
}

/// Parse a hex exception code, with or without `0x`.
/// At most 8 digits (leading zeros count), as a 32-bit code is written.
pub fn parse_code(s: &str) -> Option<u32> {
    if crate::text::hex_digits(s).len() > 8 {
        return None;
    }
    crate::text::parse_hex_u32(s)
}

/// Parse and validate a rules file's text. `reserved` ids may not be reused (the guard and the
/// built-in ids, for user files). All problems are reported, not just the first.
pub fn parse_rules(text: &str, origin: Origin, reserved: &[&str]) -> Result<Vec<Rule>, Vec<Problem>> {
    let file: model::RuleFile = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            return Err(vec![problem_at(text, offset, e.message().trim().to_owned())]);
        }
    };
    let mut problems = Vec::new();
    if let Some(v) = &file.version
        && *v.get_ref() != 1
    {
        problems.push(problem_at(text, v.span().start, format!("unsupported version {}; only 1 exists", v.get_ref())));
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut rules = Vec::new();
    for spanned in file.rules {
        let at = spanned.span().start;
        let def = spanned.into_inner();
        let id = def.id.get_ref().trim().to_owned();
        let id_at = def.id.span().start;
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            problems.push(problem_at(
                text,
                id_at,
                format!("invalid rule id {id:?}: use letters, digits, '-', '_' or '.'"),
            ));
        } else if reserved.contains(&id.as_str()) {
            problems.push(problem_at(text, id_at, format!("rule id {id:?} is reserved by a built-in rule")));
        } else if !seen.insert(id.clone()) {
            problems.push(problem_at(text, id_at, format!("duplicate rule id {id:?}")));
        }
        if def.reason.get_ref().trim().is_empty() {
            problems.push(problem_at(text, def.reason.span().start, "reason must not be empty"));
        }
        let mut when = Conditions {
            chance: def.chance,
            writer: def.writer,
            no_exception: def.no_exception,
            coverage: def.coverage,
            events_present: def.events_present.clone().unwrap_or_default(),
            events_absent: def.events_absent.clone().unwrap_or_default(),
            ..Default::default()
        };
        when.process = compile_globs(text, def.process.as_deref(), "process", at, &mut problems);
        when.module = compile_globs(text, def.module.as_deref(), "module", at, &mut problems);
        when.function = compile_globs(text, def.function.as_deref(), "function", at, &mut problems);
        when.signature = compile_globs(text, def.signature.as_deref(), "signature", at, &mut problems);
        if let Some(codes) = &def.exception_codes {
            if codes.is_empty() {
                problems.push(problem_at(text, at, "exception_codes is empty: the rule could never match"));
            }
            let mut parsed = Vec::new();
            for c in codes {
                match parse_code(c.get_ref()) {
                    Some(v) => parsed.push(v),
                    None => problems.push(problem_at(
                        text,
                        c.span().start,
                        format!(
                            "invalid exception code {:?}: expected up to 8 hex digits, e.g. \"0xc0000005\"",
                            c.get_ref()
                        ),
                    )),
                }
            }
            when.codes = Some(parsed);
        }
        let empty_lists = [
            ("chance", when.chance.as_ref().is_some_and(Vec::is_empty)),
            ("writer", when.writer.as_ref().is_some_and(Vec::is_empty)),
            ("coverage", when.coverage.as_ref().is_some_and(Vec::is_empty)),
        ];
        for (name, empty) in empty_lists {
            if empty {
                problems.push(problem_at(text, at, format!("{name} is empty: the rule could never match")));
            }
        }
        if let Some(both) = when.events_present.iter().find(|e| when.events_absent.contains(e)) {
            problems.push(problem_at(
                text,
                at,
                format!("{} is both in events_present and events_absent: the rule could never match", both.as_str()),
            ));
        }
        if def.action == Action::Delete && when.is_empty() {
            problems.push(problem_at(text, at, "a delete rule needs at least one condition"));
        }
        rules.push(Rule {
            summary: def.summary.unwrap_or_else(|| def.reason.get_ref().clone()),
            id,
            action: def.action,
            reason: def.reason.into_inner(),
            reference: def.reference,
            origin,
            when,
        });
    }
    if problems.is_empty() { Ok(rules) } else { Err(problems) }
}

fn compile_globs(
    text: &str,
    patterns: Option<&[Spanned<String>]>,
    what: &str,
    rule_at: usize,
    problems: &mut Vec<Problem>,
) -> Option<Globs> {
    let patterns = patterns?;
    if patterns.is_empty() {
        problems.push(problem_at(text, rule_at, format!("{what} is empty: the rule could never match")));
    }
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        match GlobBuilder::new(p.get_ref()).case_insensitive(true).literal_separator(false).build() {
            Ok(g) => {
                builder.add(g);
            }
            Err(e) => problems.push(problem_at(text, p.span().start, format!("invalid {what} glob: {}", e.kind()))),
        }
    }
    match builder.build() {
        Ok(set) => Some(Globs { set }),
        Err(e) => {
            problems.push(problem_at(text, rule_at, format!("invalid {what} globs: {e}")));
            None
        }
    }
}

/// The ordered rules a scan classifies with: user rules, then built-in ones. The guard is not
/// in the list; [`RuleSet::classify`] applies it first.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

fn builtin_rules() -> Vec<Rule> {
    // The built-in file is ours and tested (`builtin_rules_parse`); should it ever fail to
    // parse, classification still ends in `default-review` rather than panicking.
    parse_rules(BUILTIN, Origin::Builtin, &[GUARD_ID]).unwrap_or_default()
}

impl RuleSet {
    /// The built-in rules only.
    pub fn builtin() -> Self {
        RuleSet { rules: builtin_rules() }
    }

    /// The user's rules (if a file is given) followed by the built-in ones.
    pub fn load(path: Option<&Path>) -> Result<Self, RuleError> {
        let mut set = RuleSet::builtin();
        if let Some(path) = path {
            let text =
                std::fs::read_to_string(path).map_err(|source| RuleError::Read { path: path.to_owned(), source })?;
            let mut reserved: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
            reserved.push(GUARD_ID);
            let mut user = parse_rules(&text, Origin::User, &reserved)
                .map_err(|problems| RuleError::Invalid { path: path.to_owned(), problems })?;
            user.append(&mut set.rules);
            set.rules = user;
        }
        Ok(set)
    }

    /// The rules in the order they are tried (the guard not included).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Classify one dump: the guard first, then the first matching rule gives the verdict.
    pub fn classify(&self, dump: &Triaged, index: &EventIndex) -> Verdict {
        let view = View::new(dump, index);
        let first = self.rules.iter().find(|r| r.matches(dump, &view));
        let evidence = view.explain(dump, index);
        if let Some(why) = view.crash_evidence(dump) {
            let overrides = match first {
                Some(r) if r.action == Action::Delete => format!(" (overrides delete rule {})", r.id),
                _ => String::new(),
            };
            return Verdict {
                action: Action::Keep,
                rule: GUARD_ID.into(),
                reason: format!("kept because {why}{overrides}. Evidence: {evidence}"),
            };
        }
        match first {
            Some(r) => {
                let reference = r.reference.as_deref().map(|x| format!(" (see {x})")).unwrap_or_default();
                Verdict {
                    action: r.action,
                    rule: r.id.clone(),
                    reason: format!("{}{reference}. Evidence: {evidence}", r.reason),
                }
            }
            None => Verdict {
                action: Action::Review,
                rule: DEFAULT_ID.into(),
                reason: format!("no rule matched: not enough evidence to decide. Evidence: {evidence}"),
            },
        }
    }
}

/// What the rules look at, computed once per dump.
struct View {
    /// Kinds of correlated event, by any key.
    present: BTreeSet<EventCondition>,
    /// Kinds of correlated event linked by something better than time proximity.
    present_not_by_time: BTreeSet<EventCondition>,
}

/// The rule-level kinds an event link stands for.
fn conditions_of(e: &Event, relation: Relation, dump_code: Option<u32>) -> Vec<EventCondition> {
    use EventCondition as C;
    let mut out = match &e.kind {
        EventKind::AppCrash { .. } => vec![C::AppCrash],
        EventKind::WerReport { is_crash: true, .. } => vec![C::WerCrash],
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
    fn new(dump: &Triaged, index: &EventIndex) -> Self {
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
    fn crash_evidence(&self, dump: &Triaged) -> Option<&'static str> {
        if self.present.contains(&EventCondition::CrashEvent) {
            Some("the dump is correlated with a crash event")
        } else if dump.chance.evidence.iter().any(|e| e.indicates == Chance::Second) {
            Some("there is second-chance evidence")
        } else {
            None
        }
    }

    /// The evidence, for the verdict's reason: chance, linked events, coverage.
    fn explain(&self, dump: &Triaged, index: &EventIndex) -> String {
        let ch = &dump.chance;
        let mut parts = Vec::new();
        if ch.evidence.is_empty() {
            parts.push(format!("chance {} (no chance evidence)", ch.value));
        } else {
            // Name each kind of evidence once; the details are in `chance.evidence`.
            let mut named: Vec<String> = Vec::new();
            for e in &ch.evidence {
                let strength = match e.strength {
                    crate::chance::Strength::Strong => "strong",
                    crate::chance::Strength::Weak => "weak",
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
    }
}

impl Rule {
    fn matches(&self, dump: &Triaged, view: &View) -> bool {
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
            let names = top
                .into_iter()
                .flat_map(|fr| fr.inlines.iter().map(|i| i.function.as_str()).chain(fr.function.as_deref()));
            if !names.into_iter().any(|n| g.is_match(n)) {
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
/// merely that the exception stream could not be read.
fn has_no_exception(dump: &Triaged) -> bool {
    dump.facts.exception.is_none()
        && (dump.chance.value == Chance::None
            || dump.facts.evidence.iter().any(|e| e.source == EvidenceSource::NoException))
}

/// `triage rules list`: the rules in the order they are tried.
pub fn list_text(path: Option<&Path>) -> Result<String, RuleError> {
    let set = RuleSet::load(path)?;
    let mut rows: Vec<(&str, &str, &str, String)> =
        vec![(GUARD_ID, Action::Keep.as_str(), Origin::Guard.as_str(), GUARD_SUMMARY.to_owned())];
    for r in &set.rules {
        let reference = r.reference.as_deref().map(|x| format!(" [{x}]")).unwrap_or_default();
        rows.push((&r.id, r.action.as_str(), r.origin.as_str(), format!("{}{reference}", r.summary)));
    }
    let id_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (n, (id, action, origin, summary)) in rows.into_iter().enumerate() {
        let _ = writeln!(out, "{n:>2}  {id:<id_w$}  {action:<6}  {origin:<7}  {summary}");
    }
    Ok(out)
}

/// `triage rules lint FILE`: `OK` or the problems with line numbers; the flag is false on
/// problems.
pub fn lint_text(path: &Path) -> (String, bool) {
    match RuleSet::load(Some(path)) {
        Ok(set) => {
            let n = set.rules.iter().filter(|r| r.origin == Origin::User).count();
            (format!("OK: {} ({n} rule{})\n", path.display(), if n == 1 { "" } else { "s" }), true)
        }
        Err(e) => {
            let count = match &e {
                RuleError::Invalid { problems, .. } => problems.len(),
                RuleError::Read { .. } => 1,
            };
            (format!("{e}\n{count} problem{}\n", if count == 1 { "" } else { "s" }), false)
        }
    }
}

#[cfg(test)]
mod tests;
