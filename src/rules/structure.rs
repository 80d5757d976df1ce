//! The shape of a rules file, checked loosely before the typed parse so that every problem in
//! a file is reported at once: unknown keys (with a "did you mean" for near misses such as
//! `proces`), missing required keys, and values of the wrong type, in every rule. The typed
//! parse ([`super::parse`]) stops at the first of these; this pass reads each rule as a map of
//! spanned keys and values and checks each one on its own.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::Problem;
use super::model::EventCondition;
use super::parse::problem_at;
use crate::model::{Action, Chance, Coverage, Writer};

/// The keys of a rule, as [`super::model::RuleDef`] names them.
pub(super) const RULE_KEYS: &[&str] = &[
    "id",
    "action",
    "reason",
    "reference",
    "summary",
    "process",
    "module",
    "function",
    "signature",
    "exception_codes",
    "chance",
    "events_present",
    "events_absent",
    "writer",
    "no_exception",
    "coverage",
];

const REQUIRED: &[&str] = &["id", "action", "reason"];
const FILE_KEYS: &[&str] = &["version", "rule"];

type Map = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Deserialize)]
struct LooseFile {
    #[serde(default)]
    rule: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct LooseRules {
    #[serde(default)]
    rule: Vec<Spanned<Map>>,
}

/// Every structural problem in `text`; empty when the typed parse can run. A syntax error
/// (the file is not TOML) is the one problem then, since nothing after it can be read.
pub(super) fn check(text: &str) -> Vec<Problem> {
    let top: BTreeMap<Spanned<String>, toml::Value> = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => return vec![problem_at(text, e.span().map_or(0, |s| s.start), e.message().trim().to_owned())],
    };
    let mut problems = Vec::new();
    for key in top.keys() {
        if !FILE_KEYS.contains(&key.get_ref().as_str()) {
            problems.push(unknown(text, key, FILE_KEYS, "key"));
        }
    }
    // `rule` must be an array of tables before its entries can be read one by one.
    match toml::from_str::<LooseFile>(text) {
        Ok(LooseFile { rule: Some(r) }) if !r.get_ref().is_array() => {
            problems.push(problem_at(text, r.span().start, "`rule` must be written as [[rule]] tables"));
            return problems;
        }
        Ok(_) => {}
        Err(e) => {
            problems.push(problem_at(text, e.span().map_or(0, |s| s.start), e.message().trim().to_owned()));
            return problems;
        }
    }
    let rules = match toml::from_str::<LooseRules>(text) {
        Ok(r) => r.rule,
        Err(e) => {
            problems.push(problem_at(text, e.span().map_or(0, |s| s.start), e.message().trim().to_owned()));
            return problems;
        }
    };
    for rule in &rules {
        let map = rule.get_ref();
        for (key, value) in map {
            let name = key.get_ref().as_str();
            if !RULE_KEYS.contains(&name) {
                problems.push(unknown(text, key, RULE_KEYS, "field"));
            } else if let Err(message) = check_value(name, value.get_ref()) {
                problems.push(problem_at(text, value.span().start, format!("`{name}`: {message}")));
            }
        }
        for required in REQUIRED {
            if !map.keys().any(|k| k.get_ref() == required) {
                problems.push(problem_at(text, rule.span().start, format!("rule has no `{required}` (required)")));
            }
        }
    }
    problems.sort_by_key(|p| (p.line, p.column));
    problems
}

fn unknown(text: &str, key: &Spanned<String>, known: &[&str], what: &str) -> Problem {
    let name = key.get_ref();
    let message = match did_you_mean(name, known) {
        Some(near) => format!("unknown {what} `{name}`; did you mean `{near}`?"),
        None => format!("unknown {what} `{name}`; expected one of {}", known.join(", ")),
    };
    problem_at(text, key.span().start, message)
}

/// Whether a value has the type its key wants, by deserializing it alone.
fn check_value(name: &str, value: &toml::Value) -> Result<(), String> {
    fn is<T: serde::de::DeserializeOwned>(v: &toml::Value) -> Result<(), String> {
        T::deserialize(v.clone()).map(|_| ()).map_err(|e| e.to_string().trim().to_owned())
    }
    match name {
        "id" | "reason" | "reference" | "summary" => is::<String>(value),
        "action" => is::<Action>(value),
        "process" | "module" | "function" | "signature" | "exception_codes" => is::<Vec<String>>(value),
        "chance" => is::<Vec<Chance>>(value),
        "events_present" | "events_absent" => is::<Vec<EventCondition>>(value),
        "writer" => is::<Vec<Writer>>(value),
        "no_exception" => is::<bool>(value),
        "coverage" => is::<Vec<Coverage>>(value),
        _ => Ok(()),
    }
}

/// The known name closest to `name`, if it is a plausible typo (edit distance at most 2, or a
/// third of the name's length).
pub(super) fn did_you_mean<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    known
        .iter()
        .map(|k| (edit_distance(&name.to_ascii_lowercase(), k), *k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_for_near_misses_only() {
        assert_eq!(did_you_mean("proces", RULE_KEYS), Some("process"));
        assert_eq!(did_you_mean("exception_code", RULE_KEYS), Some("exception_codes"));
        assert_eq!(did_you_mean("Modul", RULE_KEYS), Some("module"));
        assert_eq!(did_you_mean("colour", RULE_KEYS), None);
    }

    #[test]
    fn every_structural_problem_is_reported() {
        let text = "[[rule]]\nid = \"a\"\naction = \"delete\"\nreason = \"x\"\nproces = [\"inetinfo.exe\"]\n\n\
                    [[rule]]\nid = \"b\"\naction = \"keeep\"\nmodul = [\"x.dll\"]\nno_exception = \"yes\"\n";
        let problems = check(text);
        let messages: Vec<String> = problems.iter().map(|p| format!("{}:{} {}", p.line, p.column, p.message)).collect();
        assert_eq!(messages.len(), 5, "{messages:#?}");
        assert_eq!(messages[0], "5:1 unknown field `proces`; did you mean `process`?");
        assert!(messages[1].starts_with("7:1 rule has no `reason`"), "{messages:#?}");
        assert!(messages[2].starts_with("9:10 `action`: unknown variant `keeep`"), "{messages:#?}");
        assert_eq!(messages[3], "10:1 unknown field `modul`; did you mean `module`?");
        assert!(messages[4].starts_with("11:16 `no_exception`:"), "{messages:#?}");
    }
}
