//! `triage check`: compare a fresh scan with a saved report (the baseline) for CI.
//!
//! [`compare`] is a pure function over two [`Report`]s. It reports what a reviewer cares about
//! and nothing else: buckets that appeared or vanished (by id) or changed size, dumps that
//! appeared or vanished (by path), a dump whose chance or verdict (action and rule id) changed,
//! and failures that appeared or went away (by path and code). Wording (reasons, messages,
//! titles), fingerprints and the generator version are deliberately ignored, so a rewording
//! or a release bump does not fail CI.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::PathBuf;

use crate::model::{Action, Chance, Exit, GroupBy};
use crate::report::{BucketRow, DumpRow, Report};
use crate::text::{terminal, terminal_path};

/// One difference between the baseline and the new scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    BucketAdded { id: String, title: String, count: u64 },
    BucketRemoved { id: String, title: String, count: u64 },
    BucketCount { id: String, title: String, before: u64, after: u64 },
    DumpAdded { path: PathBuf, action: Action },
    DumpRemoved { path: PathBuf, action: Action },
    ChanceChanged { path: PathBuf, before: Chance, after: Chance },
    VerdictChanged { path: PathBuf, before: (Action, String), after: (Action, String) },
    FailureAdded { path: PathBuf, code: String },
    FailureResolved { path: PathBuf, code: String },
}

/// The result of a comparison: the changes, sorted (buckets, then dumps, then failures).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckOutcome {
    pub changes: Vec<Change>,
}

impl CheckOutcome {
    pub fn is_same(&self) -> bool {
        self.changes.is_empty()
    }

    /// 0 when nothing changed, 1 when something did.
    pub fn exit(&self) -> Exit {
        if self.is_same() { Exit::Ok } else { Exit::Changed }
    }

    /// The differences as data (`check --json`): `{"same": bool, "count": n, "changes": [...]}`,
    /// each change an object with a `kind` and the fields of that kind. Paths are written as in
    /// reports (see `crate::path_json`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let path = |p: &PathBuf| crate::path_json::serialize(p, serde_json::value::Serializer).unwrap_or_default();
        let changes: Vec<serde_json::Value> = self
            .changes
            .iter()
            .map(|c| match c {
                Change::BucketAdded { id, title, count } => {
                    json!({"kind": "bucket_added", "id": id, "title": title, "count": count})
                }
                Change::BucketRemoved { id, title, count } => {
                    json!({"kind": "bucket_removed", "id": id, "title": title, "count": count})
                }
                Change::BucketCount { id, title, before, after } => {
                    json!({"kind": "bucket_count", "id": id, "title": title, "before": before, "after": after})
                }
                Change::DumpAdded { path: p, action } => {
                    json!({"kind": "dump_added", "path": path(p), "action": action})
                }
                Change::DumpRemoved { path: p, action } => {
                    json!({"kind": "dump_removed", "path": path(p), "action": action})
                }
                Change::ChanceChanged { path: p, before, after } => {
                    json!({"kind": "chance_changed", "path": path(p), "before": before, "after": after})
                }
                Change::VerdictChanged { path: p, before, after } => json!({
                    "kind": "verdict_changed",
                    "path": path(p),
                    "before": {"action": before.0, "rule": before.1},
                    "after": {"action": after.0, "rule": after.1},
                }),
                Change::FailureAdded { path: p, code } => {
                    json!({"kind": "failure_added", "path": path(p), "code": code})
                }
                Change::FailureResolved { path: p, code } => {
                    json!({"kind": "failure_resolved", "path": path(p), "code": code})
                }
            })
            .collect();
        json!({"same": self.is_same(), "count": changes.len(), "changes": changes})
    }

    /// A readable diff: `+` appeared, `-` vanished, `~` changed; then a count.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.is_same() {
            out.push_str("No changes from the baseline.\n");
            return out;
        }
        for c in &self.changes {
            // Every value here comes from a report (the baseline is a file anyone may edit):
            // make it inert for the terminal before printing.
            let _ = match c {
                Change::BucketAdded { id, title, count } => {
                    writeln!(out, "+ bucket {} \"{}\": {count} dump{}", terminal(id), terminal(title), plural(*count))
                }
                Change::BucketRemoved { id, title, count } => {
                    writeln!(out, "- bucket {} \"{}\": {count} dump{}", terminal(id), terminal(title), plural(*count))
                }
                Change::BucketCount { id, title, before, after } => {
                    writeln!(out, "~ bucket {} \"{}\": count {before} -> {after}", terminal(id), terminal(title))
                }
                Change::DumpAdded { path, action } => {
                    writeln!(out, "+ dump {} ({})", terminal_path(path), action.as_str())
                }
                Change::DumpRemoved { path, action } => {
                    writeln!(out, "- dump {} (was {})", terminal_path(path), action.as_str())
                }
                Change::ChanceChanged { path, before, after } => {
                    writeln!(out, "~ dump {}: chance {before} -> {after}", terminal_path(path))
                }
                Change::VerdictChanged { path, before, after } => writeln!(
                    out,
                    "~ dump {}: verdict {} ({}) -> {} ({})",
                    terminal_path(path),
                    before.0.as_str(),
                    terminal(&before.1),
                    after.0.as_str(),
                    terminal(&after.1)
                ),
                Change::FailureAdded { path, code } => {
                    writeln!(out, "+ failure {}: {}", terminal_path(path), terminal(code))
                }
                Change::FailureResolved { path, code } => {
                    writeln!(out, "- failure {}: {} (no longer fails)", terminal_path(path), terminal(code))
                }
            };
        }
        let n = self.changes.len();
        let _ = writeln!(out, "{n} change{} from the baseline.", plural(n as u64));
        out
    }
}

/// A baseline can only be compared with a scan that made its buckets the same way: bucket ids
/// of different groupings never match, so the diff would be every bucket gone and new.
pub fn comparable(baseline: &Report, group_by: GroupBy) -> Result<(), String> {
    let was = baseline.inputs.group_by;
    if was == group_by {
        return Ok(());
    }
    Err(format!(
        "the baseline groups buckets by {}, this scan by {}: run check with --group-by {}, or rewrite the baseline with --update-baseline",
        was.as_str(),
        group_by.as_str(),
        was.as_str()
    ))
}

/// Compare a baseline with a new report.
pub fn compare(baseline: &Report, current: &Report) -> CheckOutcome {
    let mut changes = Vec::new();

    let old_buckets: BTreeMap<&str, &BucketRow> = baseline.buckets.iter().map(|b| (b.id.as_str(), b)).collect();
    let new_buckets: BTreeMap<&str, &BucketRow> = current.buckets.iter().map(|b| (b.id.as_str(), b)).collect();
    for (id, b) in &new_buckets {
        match old_buckets.get(id) {
            None => changes.push(Change::BucketAdded { id: b.id.clone(), title: b.title.clone(), count: b.count }),
            Some(old) if old.count != b.count => changes.push(Change::BucketCount {
                id: b.id.clone(),
                title: b.title.clone(),
                before: old.count,
                after: b.count,
            }),
            Some(_) => {}
        }
    }
    for (id, b) in &old_buckets {
        if !new_buckets.contains_key(id) {
            changes.push(Change::BucketRemoved { id: b.id.clone(), title: b.title.clone(), count: b.count });
        }
    }

    let old_dumps: BTreeMap<&std::path::Path, &DumpRow> = baseline.dumps.iter().map(|d| (&*d.path, d)).collect();
    let new_dumps: BTreeMap<&std::path::Path, &DumpRow> = current.dumps.iter().map(|d| (&*d.path, d)).collect();
    for (path, d) in &new_dumps {
        let Some(old) = old_dumps.get(path) else {
            changes.push(Change::DumpAdded { path: d.path.to_path_buf(), action: d.verdict.action });
            continue;
        };
        if old.chance.value != d.chance.value {
            changes.push(Change::ChanceChanged {
                path: d.path.to_path_buf(),
                before: old.chance.value,
                after: d.chance.value,
            });
        }
        if old.verdict.action != d.verdict.action || old.verdict.rule != d.verdict.rule {
            changes.push(Change::VerdictChanged {
                path: d.path.to_path_buf(),
                before: (old.verdict.action, old.verdict.rule.to_string()),
                after: (d.verdict.action, d.verdict.rule.to_string()),
            });
        }
    }
    for (path, d) in &old_dumps {
        if !new_dumps.contains_key(path) {
            changes.push(Change::DumpRemoved { path: d.path.to_path_buf(), action: d.verdict.action });
        }
    }

    let old_failures: BTreeSet<(&PathBuf, &str)> =
        baseline.failures.iter().map(|f| (&f.path, f.code.as_str())).collect();
    let new_failures: BTreeSet<(&PathBuf, &str)> =
        current.failures.iter().map(|f| (&f.path, f.code.as_str())).collect();
    for (path, code) in new_failures.difference(&old_failures) {
        changes.push(Change::FailureAdded { path: (*path).clone(), code: (*code).to_owned() });
    }
    for (path, code) in old_failures.difference(&new_failures) {
        changes.push(Change::FailureResolved { path: (*path).clone(), code: (*code).to_owned() });
    }

    sort_changes(&mut changes);
    CheckOutcome { changes }
}

/// Group by kind (buckets, dumps, failures), then by key, so the diff reads top-down.
fn sort_changes(changes: &mut [Change]) {
    fn key(c: &Change) -> (u8, String) {
        match c {
            Change::BucketAdded { id, .. } | Change::BucketRemoved { id, .. } | Change::BucketCount { id, .. } => {
                (0, id.clone())
            }
            Change::DumpAdded { path, .. }
            | Change::DumpRemoved { path, .. }
            | Change::ChanceChanged { path, .. }
            | Change::VerdictChanged { path, .. } => (1, path.to_string_lossy().into_owned()),
            Change::FailureAdded { path, code } | Change::FailureResolved { path, code } => {
                (2, format!("{}\0{code}", path.to_string_lossy()))
            }
        }
    }
    changes.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.cmp(b)));
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
