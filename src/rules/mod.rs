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
//! For `delete` rules, events linked by time proximity alone
//! ([`Relation::ProcessTime`](crate::model::Relation::ProcessTime)) do not count as present,
//! so nothing is ever deleted on time proximity alone; they still count as present for
//! `events_absent`, so a nearby crash event always blocks a delete.
//!
//! Files: `parse` validates a rules file into [`Rule`]s (the raw TOML shape is [`model`]),
//! `classify` matches one dump against them; this file holds the rule set and its entry points.

mod classify;
pub mod model;
mod parse;
mod structure;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use globset::GlobSet;

use crate::correlate::EventIndex;
use crate::error::ErrorCode;
use crate::model::{Chance, Coverage, Triaged, Writer};
use crate::text::SharedSet;
use classify::View;

pub use model::EventCondition;
pub use parse::{parse_code, parse_rules};
// The verdict types live in the shared model; re-exported so `crate::rules::Action` keeps working.
pub use crate::model::{Action, Verdict};

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

/// The ordered rules a scan classifies with: user rules, then built-in ones. The guard is not
/// in the list; [`RuleSet::classify`] applies it first.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// The rule ids and reasons of the verdicts given, each held once however many dumps get
    /// it; shared by the clones (all classify the same scan).
    texts: std::sync::Arc<SharedSet>,
}

fn builtin_rules() -> Vec<Rule> {
    // The built-in file is ours and tested (`builtin_rules_parse`); should it ever fail to
    // parse, classification still ends in `default-review` rather than panicking.
    parse_rules(BUILTIN, Origin::Builtin, &[GUARD_ID]).unwrap_or_default()
}

impl RuleSet {
    /// The built-in rules only.
    pub fn builtin() -> Self {
        RuleSet { rules: builtin_rules(), texts: Default::default() }
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
        let (action, rule, reason) = self.decide(dump, index);
        Verdict { action, rule: self.texts.get(rule), reason: self.texts.get(&reason) }
    }

    fn decide<'r>(&'r self, dump: &Triaged, index: &EventIndex) -> (Action, &'r str, String) {
        let view = View::new(dump, index);
        let first = self.rules.iter().find(|r| r.matches(dump, &view));
        let evidence = view.explain(dump, index);
        if let Some(why) = view.crash_evidence(dump) {
            let overrides = match first {
                Some(r) if r.action == Action::Delete => format!(" (overrides delete rule {})", r.id),
                _ => String::new(),
            };
            return (Action::Keep, GUARD_ID, format!("kept because {why}{overrides}. Evidence: {evidence}"));
        }
        match first {
            Some(r) => {
                let reference = r.reference.as_deref().map(|x| format!(" (see {x})")).unwrap_or_default();
                (r.action, &r.id, format!("{}{reference}. Evidence: {evidence}", r.reason))
            }
            None => (
                Action::Review,
                DEFAULT_ID,
                format!("no rule matched: not enough evidence to decide. Evidence: {evidence}"),
            ),
        }
    }
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
