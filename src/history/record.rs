//! Recording a scan into the history store, and deciding each bucket's status from what the
//! store knew before.
//!
//! One scan is one run. Recording it is a single `IMMEDIATE` transaction with prepared
//! statements: the run row, one `INSERT OR IGNORE` per dump (keyed by bucket and content, so a
//! dump seen twice counts once), one upsert per bucket and one row per bucket in the run. The
//! status is computed inside the same transaction, so two scans recording at once see each
//! other in order and neither is lost.
//!
//! Status, from the bucket's state before this run:
//! * no row: `new` (the row is created);
//! * `muted`: `muted` (known noise is never new);
//! * `open`: `seen`;
//! * `regressed`: `regressed` (until it is marked fixed again or reopened);
//! * `fixed`: `regressed` when this run brings a dump the fix does not explain, else `fixed`.
//!   With `fixed --in V` a new dump of module version `V` or newer is not explained; without
//!   it, one newer than the newest version seen when it was marked fixed. A new dump whose
//!   module version is unknown is not explained either: nothing proves it predates the fix.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use super::store::{HistoryError, Store};
use crate::fingerprint::FileFingerprint;
use crate::report::{BucketHistory, DumpRow, HistoryStatus, Report, RunHistory};

/// The outcome of recording one run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunOutcome {
    /// The run's id in the store.
    pub run: u64,
    /// Every bucket of the report, by id.
    pub buckets: BTreeMap<String, BucketHistory>,
    /// Buckets that turned `regressed` in this run (a subset of those with that status).
    pub became_regressed: Vec<String>,
    /// The latest earlier run with the same host and inputs, if any.
    pub previous_run: Option<u64>,
    /// Differences from that run: buckets that vanished or changed count.
    pub changes: Vec<CountChange>,
    pub new_dumps: u64,
}

/// A bucket whose count differs from the previous run of the same inputs (`after` 0: gone).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CountChange {
    pub id: String,
    pub title: String,
    pub before: u64,
    pub after: u64,
}

impl RunOutcome {
    pub fn count(&self, status: HistoryStatus) -> u64 {
        self.buckets.values().filter(|h| h.status == status).count() as u64
    }
}

/// The identity of a dump across runs and hosts: the content hash of its fingerprint and its
/// size, so a copy of the same file on another host or under another name is one dump, and a
/// new modification time is not a new dump. Stored as 32 bytes and an integer (the store's
/// largest table is keyed by it). A dump without a fingerprint (it could not be read again
/// after parsing) falls back to a hash of host and path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DumpKey {
    pub hash: Vec<u8>,
    pub size: u64,
}

pub fn dump_key(d: &DumpRow, host: Option<&str>) -> DumpKey {
    match &d.fingerprint {
        Some(f) => DumpKey { hash: hash_bytes(&content_hash(f)), size: f.size },
        None => {
            let fallback = format!("path\0{}\0{}", host.unwrap_or(""), d.path.display());
            DumpKey { hash: Sha256::digest(fallback.as_bytes()).to_vec(), size: d.size }
        }
    }
}

/// The one accessor for the fingerprint's content-hash field (its name and extent belong to
/// the fingerprint module).
fn content_hash(f: &FileFingerprint) -> String {
    f.blake3.to_string()
}

/// A hex digest as bytes; any other text (should the fingerprint's hash change form) is hashed,
/// so equal text still gives equal keys.
fn hash_bytes(text: &str) -> Vec<u8> {
    let decoded: Option<Vec<u8>> = text
        .len()
        .is_multiple_of(2)
        .then(|| (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect())
        .flatten();
    decoded.filter(|b| !b.is_empty()).unwrap_or_else(|| Sha256::digest(text.as_bytes()).to_vec())
}

/// Compare two module versions: dot-separated parts, numerically where both parts are numbers
/// (`5.0.2195.10` > `5.0.2195.9`), as text otherwise; a missing part counts as 0.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.trim().split('.').collect(), b.trim().split('.').collect());
    for i in 0..pa.len().max(pb.len()) {
        let (x, y) = (pa.get(i).copied().unwrap_or("0"), pb.get(i).copied().unwrap_or("0"));
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn max_version(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if compare_versions(&a, &b) == Ordering::Less { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The bucket's row before this run.
struct Prior {
    state: String,
    runs: u64,
    dumps: u64,
    first_seen: Option<String>,
    ticket: Option<String>,
    fixed_in: Option<String>,
    fixed_version: Option<String>,
    regressed_version: Option<String>,
    module_version: Option<String>,
}

/// Record `report` as one run at time `now`, and say where each of its buckets stands.
pub fn record(store: &mut Store, report: &Report, now: Timestamp) -> Result<RunOutcome, HistoryError> {
    let path = store.path().to_path_buf();
    let sqlite = |source| super::store::sqlite_error(&path, source);
    let host = report.host.as_deref();
    let now_text = now.to_string();
    let inputs = serde_json::to_string(&report.inputs).unwrap_or_default();
    let tx = store.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
    tx.execute(
        "INSERT INTO runs (recorded_at, host, generator, inputs, dumps, buckets, failures) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![now_text, host, report.generator, inputs, report.dumps.len(), report.buckets.len(), report.failures.len()],
    )
    .map_err(sqlite)?;
    let run = tx.last_insert_rowid();

    let mut members: HashMap<&str, Vec<&DumpRow>> = HashMap::new();
    for d in &report.dumps {
        if let Some(b) = d.bucket.as_deref() {
            members.entry(b).or_default().push(d);
        }
    }
    let mut outcome = RunOutcome { run: run as u64, ..RunOutcome::default() };
    {
        let mut select = tx
            .prepare_cached(
                "SELECT state, runs, dumps, first_seen, ticket, fixed_in, fixed_version, regressed_version, module_version
                 FROM buckets WHERE id = ?1",
            )
            .map_err(sqlite)?;
        let mut insert_dump = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO dumps (bucket, hash, size, first_run, path, written_at, module_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(sqlite)?;
        let mut known_keys = tx.prepare_cached("SELECT hash, size FROM dumps WHERE bucket = ?1").map_err(sqlite)?;
        let mut upsert = tx
            .prepare_cached(
                "INSERT INTO buckets (id, title, process, module, exception_code, chance, state, first_run, last_run,
                                      first_seen, last_seen, runs, dumps, module_version, regressed_run, regressed_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?9, 1, ?10, ?11, ?12, ?13)
                 ON CONFLICT (id) DO UPDATE SET
                    title = excluded.title, process = excluded.process, module = excluded.module,
                    exception_code = excluded.exception_code, chance = excluded.chance, state = excluded.state,
                    first_run = coalesce(first_run, excluded.first_run), last_run = excluded.last_run,
                    first_seen = coalesce(first_seen, excluded.first_seen), last_seen = excluded.last_seen,
                    runs = runs + 1, dumps = dumps + excluded.dumps, module_version = excluded.module_version,
                    regressed_run = coalesce(excluded.regressed_run, regressed_run),
                    regressed_version = coalesce(excluded.regressed_version, regressed_version)",
            )
            .map_err(sqlite)?;
        let mut run_bucket = tx
            .prepare_cached(
                "INSERT INTO run_buckets (run, bucket, count, new_dumps, module_version, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(sqlite)?;

        for b in &report.buckets {
            let prior = select
                .query_row([&b.id], |r| {
                    Ok(Prior {
                        state: r.get(0)?,
                        runs: r.get(1)?,
                        dumps: r.get(2)?,
                        first_seen: r.get(3)?,
                        ticket: r.get(4)?,
                        fixed_in: r.get(5)?,
                        fixed_version: r.get(6)?,
                        regressed_version: r.get(7)?,
                        module_version: r.get(8)?,
                    })
                })
                .optional()
                .map_err(sqlite)?;
            // Keys in index order: inserting sorted keys appends to the b-tree instead of
            // splitting pages all over it.
            let mut dumps: Vec<(DumpKey, &DumpRow)> = members
                .get(b.id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|d| (dump_key(d, host), *d))
                .collect();
            dumps.sort_unstable_by(|x, y| x.0.cmp(&y.0));
            // A bucket that already holds about as many dumps as this run brings: read its keys
            // in one range scan rather than probing the index once a dump (a nightly rescan
            // of the same folder is mostly known dumps).
            let known: HashSet<DumpKey> = match &prior {
                Some(p) if p.dumps > 0 && p.dumps <= 4 * dumps.len() as u64 => known_keys
                    .query_map([&b.id], |r| Ok(DumpKey { hash: r.get(0)?, size: r.get(1)? }))
                    .map_err(sqlite)?
                    .collect::<Result<_, _>>()
                    .map_err(sqlite)?,
                _ => HashSet::new(),
            };
            let mut new_versions: Vec<Option<String>> = Vec::new();
            let mut run_version: Option<String> = None;
            for (key, d) in &dumps {
                let version = d.faulting_module.as_ref().and_then(|m| m.version.as_deref());
                if version != run_version.as_deref() {
                    run_version = max_version(run_version, version.map(str::to_owned));
                }
                if known.contains(key) {
                    continue;
                }
                let added = insert_dump
                    .execute(params![
                        b.id,
                        key.hash,
                        key.size,
                        run,
                        d.path.to_string_lossy(),
                        d.written_at.map(|t| t.as_second()),
                        version,
                    ])
                    .map_err(sqlite)?;
                if added == 1 {
                    new_versions.push(version.map(str::to_owned));
                }
            }
            let new_dumps = new_versions.len() as u64;
            outcome.new_dumps += new_dumps;

            let (status, state, regressed_version) = match &prior {
                None => (HistoryStatus::New, "open", None),
                Some(p) => match p.state.as_str() {
                    "muted" => (HistoryStatus::Muted, "muted", None),
                    "regressed" => (HistoryStatus::Regressed, "regressed", None),
                    "fixed" => match unexplained(p, &new_versions) {
                        Some(after) => {
                            outcome.became_regressed.push(b.id.clone());
                            (HistoryStatus::Regressed, "regressed", Some(after))
                        }
                        None => (HistoryStatus::Fixed, "fixed", None),
                    },
                    _ => (HistoryStatus::Seen, "open", None),
                },
            };
            let regressed_run = regressed_version.as_ref().map(|_| run);
            // `regressed_version` is "" when the version that came back is unknown: the row
            // must still say a regression happened.
            let regressed_text = regressed_version.clone().map(|v| v.unwrap_or_default());
            let store_version = max_version(prior.as_ref().and_then(|p| p.module_version.clone()), run_version.clone());
            upsert
                .execute(params![
                    b.id,
                    b.title,
                    b.process,
                    b.module,
                    b.exception_code,
                    b.chance.as_str(),
                    state,
                    run,
                    now_text,
                    new_dumps,
                    store_version,
                    regressed_run,
                    regressed_text,
                ])
                .map_err(sqlite)?;
            run_bucket.execute(params![run, b.id, b.count, new_dumps, run_version, status.as_str()]).map_err(sqlite)?;

            let (version_before, version_after) = match (&prior, status) {
                (Some(p), HistoryStatus::Regressed) => (
                    p.fixed_in.clone().or_else(|| p.fixed_version.clone()),
                    regressed_version.flatten().or_else(|| p.regressed_version.clone().filter(|v| !v.is_empty())),
                ),
                _ => (None, None),
            };
            let history = BucketHistory {
                status,
                first_seen: prior
                    .as_ref()
                    .and_then(|p| p.first_seen.as_deref())
                    .and_then(|t| t.parse().ok())
                    .or(Some(now)),
                last_seen: Some(now),
                runs: prior.as_ref().map_or(0, |p| p.runs) + 1,
                dumps: prior.as_ref().map_or(0, |p| p.dumps) + new_dumps,
                new_dumps,
                ticket: prior.as_ref().and_then(|p| p.ticket.clone()),
                fixed_in: prior.as_ref().and_then(|p| p.fixed_in.clone()),
                version_before,
                version_after,
            };
            outcome.buckets.insert(b.id.clone(), history);
        }
    }
    tx.execute(
        "UPDATE runs SET new_buckets = ?2, new_dumps = ?3, regressed = ?4 WHERE id = ?1",
        params![run, outcome.count(HistoryStatus::New), outcome.new_dumps, outcome.became_regressed.len()],
    )
    .map_err(sqlite)?;
    outcome.previous_run = tx
        .query_row(
            "SELECT id FROM runs WHERE id < ?1 AND host IS ?2 AND inputs = ?3 ORDER BY id DESC LIMIT 1",
            params![run, host, inputs],
            |r| r.get::<_, u64>(0),
        )
        .optional()
        .map_err(sqlite)?;
    if let Some(prev) = outcome.previous_run {
        let mut stmt = tx
            .prepare("SELECT rb.bucket, rb.count, b.title FROM run_buckets rb JOIN buckets b ON b.id = rb.bucket WHERE rb.run = ?1")
            .map_err(sqlite)?;
        let before: BTreeMap<String, (u64, String)> = stmt
            .query_map([prev], |r| Ok((r.get::<_, String>(0)?, (r.get::<_, u64>(1)?, r.get::<_, String>(2)?))))
            .map_err(sqlite)?
            .collect::<Result<_, _>>()
            .map_err(sqlite)?;
        let after: BTreeMap<&str, (u64, &str)> =
            report.buckets.iter().map(|b| (b.id.as_str(), (b.count, b.title.as_str()))).collect();
        for (id, (count, title)) in &before {
            let now_count = after.get(id.as_str()).map_or(0, |a| a.0);
            if now_count != *count {
                outcome.changes.push(CountChange {
                    id: id.clone(),
                    title: title.clone(),
                    before: *count,
                    after: now_count,
                });
            }
        }
        for (id, (count, title)) in &after {
            if !before.contains_key(*id) {
                outcome.changes.push(CountChange {
                    id: (*id).into(),
                    title: (*title).into(),
                    before: 0,
                    after: *count,
                });
            }
        }
        outcome.changes.sort();
    }
    tx.commit().map_err(sqlite)?;
    outcome.became_regressed.sort();
    Ok(outcome)
}

/// For a bucket marked fixed: `Some(version)` of the newest new dump the fix does not explain
/// (`Some(None)` when its version is unknown), or `None` when the fix explains them all.
fn unexplained(p: &Prior, new_versions: &[Option<String>]) -> Option<Option<String>> {
    let (threshold, inclusive) = match (&p.fixed_in, &p.fixed_version) {
        (Some(v), _) => (Some(v.as_str()), true),
        (None, Some(v)) => (Some(v.as_str()), false),
        (None, None) => (None, false),
    };
    let mut found: Option<Option<String>> = None;
    for v in new_versions {
        let regresses = match (v, threshold) {
            (Some(v), Some(t)) => {
                let o = compare_versions(v, t);
                o == Ordering::Greater || (inclusive && o == Ordering::Equal)
            }
            _ => true,
        };
        if regresses {
            found = Some(max_version(found.flatten(), v.clone()).or_else(|| v.clone()));
        }
    }
    found
}

/// Put what the store said into the report: each bucket's `history`, and the run's counts.
pub fn annotate(report: &mut Report, outcome: &RunOutcome, store: &std::path::Path) {
    for b in &mut report.buckets {
        b.history = outcome.buckets.get(&b.id).cloned();
    }
    report.history = Some(RunHistory {
        store: store.to_path_buf(),
        run: outcome.run,
        new: outcome.count(HistoryStatus::New),
        seen: outcome.count(HistoryStatus::Seen),
        regressed: outcome.count(HistoryStatus::Regressed),
        fixed: outcome.count(HistoryStatus::Fixed),
        muted: outcome.count(HistoryStatus::Muted),
        new_dumps: outcome.new_dumps,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number() {
        assert_eq!(compare_versions("5.0.2195.10", "5.0.2195.9"), Ordering::Greater);
        assert_eq!(compare_versions("2.3", "2.3.0.0"), Ordering::Equal);
        assert_eq!(compare_versions("2.3", "2.4"), Ordering::Less);
        assert_eq!(compare_versions("2.3-beta", "2.3"), Ordering::Greater);
        assert_eq!(max_version(Some("1.2".into()), Some("1.10".into())), Some("1.10".into()));
        assert_eq!(max_version(None, Some("1".into())), Some("1".into()));
    }

    #[test]
    fn dump_keys_are_content_not_place() {
        let hex = "ab".repeat(32);
        assert_eq!(hash_bytes(&hex), vec![0xab; 32]);
        // Not a hex digest: hashed, still stable.
        assert_eq!(hash_bytes("sha256:xyz").len(), 32);
        assert_eq!(hash_bytes("sha256:xyz"), hash_bytes("sha256:xyz"));
        let mut a: DumpRow =
            serde_json::from_value(serde_json::json!({"path": "a/x.dmp", "format": "minidump", "size": 9})).unwrap();
        let mut b = a.clone();
        b.path = std::path::Path::new("elsewhere/y.dmp").into();
        // Without fingerprints the place is all there is.
        assert_ne!(dump_key(&a, Some("h")), dump_key(&b, Some("h")));
        assert_ne!(dump_key(&a, Some("h1")), dump_key(&a, Some("h2")));
        let fp = FileFingerprint {
            version: crate::fingerprint::FINGERPRINT_VERSION,
            size: 9,
            modified: "2026-01-01T00:00:00Z".parse().unwrap(),
            dev: Some(1),
            ino: Some(2),
            covers: crate::fingerprint::Covers::WholeFile,
            hashed_bytes: 9,
            blake3: hex.into(),
        };
        a.fingerprint = Some(fp.clone());
        b.fingerprint = Some(FileFingerprint { modified: "2026-02-01T00:00:00Z".parse().unwrap(), ino: Some(3), ..fp });
        assert_eq!(dump_key(&a, Some("h1")), dump_key(&b, Some("h2")), "same content, other place and mtime");
    }

    fn prior(fixed_in: Option<&str>, fixed_version: Option<&str>) -> Prior {
        Prior {
            state: "fixed".into(),
            runs: 1,
            dumps: 1,
            first_seen: None,
            ticket: None,
            fixed_in: fixed_in.map(Into::into),
            fixed_version: fixed_version.map(Into::into),
            regressed_version: None,
            module_version: None,
        }
    }

    #[test]
    fn fixed_in_counts_that_version_and_newer() {
        let p = prior(Some("2.3"), Some("2.2"));
        assert_eq!(unexplained(&p, &[Some("2.2.9".into())]), None);
        assert_eq!(unexplained(&p, &[Some("2.3".into())]), Some(Some("2.3".into())));
        assert_eq!(unexplained(&p, &[Some("2.2".into()), Some("2.4".into())]), Some(Some("2.4".into())));
        assert_eq!(unexplained(&p, &[None]), Some(None));
        assert_eq!(unexplained(&p, &[]), None);
    }

    #[test]
    fn fixed_without_version_counts_only_newer_than_seen() {
        let p = prior(None, Some("5.0.2195.1"));
        assert_eq!(unexplained(&p, &[Some("5.0.2195.1".into())]), None);
        assert_eq!(unexplained(&p, &[Some("5.0.2195.2".into())]), Some(Some("5.0.2195.2".into())));
        // Nothing known at all: any new dump comes back.
        assert_eq!(unexplained(&prior(None, None), &[Some("1.0".into())]), Some(Some("1.0".into())));
    }
}
