//! From a rules file's text to validated [`Rule`]s: TOML through [`model`](super::model), then
//! every check that needs more than the type (ids, globs, hex codes, lists that could never
//! match), each problem with its line and column.

use std::collections::HashSet;

use globset::{GlobBuilder, GlobSetBuilder};
use toml::Spanned;

use super::{Conditions, Globs, Origin, Problem, Rule, model};
use crate::model::Action;

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

pub(super) fn problem_at(text: &str, offset: usize, message: impl Into<String>) -> Problem {
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
    // The typed parse stops at its first error; the loose pass finds every unknown key,
    // missing key and wrong type first, in all rules.
    let structural = super::structure::check(text);
    if !structural.is_empty() {
        return Err(structural);
    }
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

pub(super) fn compile_globs(
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
