//! Reading and editing the history store for `triage history`: list, show, link, fixed, mute,
//! reopen, forget, export. Every function here is over a [`Store`]; rendering is in
//! [`super::render`].

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::store::{HistoryError, SCHEMA_VERSION, Store};

/// One bucket as the store has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketEntry {
    pub id: String,
    pub title: String,
    pub process: Option<String>,
    pub module: Option<String>,
    pub exception_code: Option<String>,
    pub chance: Option<String>,
    /// `open`, `fixed`, `regressed` or `muted`.
    pub state: String,
    pub ticket: Option<String>,
    pub first_run: Option<u64>,
    pub last_run: Option<u64>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub runs: u64,
    pub dumps: u64,
    /// Newest faulting-module version seen.
    pub module_version: Option<String>,
    pub fixed_in: Option<String>,
    /// Newest module version seen when it was marked fixed.
    pub fixed_version: Option<String>,
    pub fixed_at: Option<String>,
    pub regressed_run: Option<u64>,
    pub regressed_version: Option<String>,
}

const BUCKET_COLUMNS: &str = "id, title, process, module, exception_code, chance, state, ticket, first_run, last_run,
    first_seen, last_seen, runs, dumps, module_version, fixed_in, fixed_version, fixed_at, regressed_run, regressed_version";

fn bucket_entry(r: &Row<'_>) -> rusqlite::Result<BucketEntry> {
    Ok(BucketEntry {
        id: r.get(0)?,
        title: r.get(1)?,
        process: r.get(2)?,
        module: r.get(3)?,
        exception_code: r.get(4)?,
        chance: r.get(5)?,
        state: r.get(6)?,
        ticket: r.get(7)?,
        first_run: r.get(8)?,
        last_run: r.get(9)?,
        first_seen: r.get(10)?,
        last_seen: r.get(11)?,
        runs: r.get(12)?,
        dumps: r.get(13)?,
        module_version: r.get(14)?,
        fixed_in: r.get(15)?,
        fixed_version: r.get(16)?,
        fixed_at: r.get(17)?,
        regressed_run: r.get(18)?,
        regressed_version: r.get::<_, Option<String>>(19)?.filter(|v| !v.is_empty()),
    })
}

/// One recorded run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunEntry {
    pub id: u64,
    pub recorded_at: String,
    pub host: Option<String>,
    pub generator: String,
    /// The report's `inputs`, as JSON.
    pub inputs: serde_json::Value,
    pub dumps: u64,
    pub buckets: u64,
    pub failures: u64,
    pub new_buckets: u64,
    pub new_dumps: u64,
    pub regressed: u64,
}

/// A bucket in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sighting {
    pub run: u64,
    pub recorded_at: String,
    pub host: Option<String>,
    pub count: u64,
    pub new_dumps: u64,
    pub module_version: Option<String>,
    pub status: String,
}

/// One dump recorded for a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DumpEntry {
    pub bucket: String,
    /// Content hash, hex (with `size`, the dump's identity: see [`super::record::dump_key`]).
    pub hash: String,
    pub size: u64,
    pub first_run: u64,
    /// The host of the run that first recorded it.
    pub host: Option<String>,
    pub path: String,
    pub written_at: Option<String>,
    pub module_version: Option<String>,
}

/// `triage history show`: the bucket, every run that saw it, and its dumps (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketDetail {
    pub bucket: BucketEntry,
    pub sightings: Vec<Sighting>,
    pub dumps: Vec<DumpEntry>,
}

/// `triage history export`: the whole store as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Export {
    /// The store's schema version.
    pub history_version: u32,
    pub runs: Vec<RunEntry>,
    pub buckets: Vec<BucketExport>,
    pub dumps: Vec<DumpEntry>,
}

/// A bucket in an export, with the runs that saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketExport {
    #[serde(flatten)]
    pub bucket: BucketEntry,
    pub sightings: Vec<Sighting>,
}

/// `triage history list` filters; all of them must hold.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Any of these states (empty: all).
    pub states: Vec<String>,
    /// Process name, case-insensitive.
    pub process: Option<String>,
    /// Faulting module name, case-insensitive.
    pub module: Option<String>,
    /// Only buckets without a ticket.
    pub no_ticket: bool,
    /// Last seen at or after.
    pub since: Option<Timestamp>,
}

/// Buckets matching `filter`, most recently seen first (then by id).
pub fn list(store: &Store, filter: &Filter) -> Result<Vec<BucketEntry>, HistoryError> {
    let sql = format!("SELECT {BUCKET_COLUMNS} FROM buckets ORDER BY last_seen IS NULL, last_seen DESC, id");
    let mut stmt = store.conn.prepare(&sql).map_err(|e| store.sqlite(e))?;
    let rows = stmt.query_map([], bucket_entry).map_err(|e| store.sqlite(e))?;
    let mut out = Vec::new();
    for r in rows {
        let b = r.map_err(|e| store.sqlite(e))?;
        let same = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| have.as_ref().is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        let keep = (filter.states.is_empty() || filter.states.contains(&b.state))
            && same(&filter.process, &b.process)
            && same(&filter.module, &b.module)
            && !(filter.no_ticket && b.ticket.is_some())
            && filter.since.is_none_or(|s| {
                b.last_seen.as_deref().and_then(|t| t.parse::<Timestamp>().ok()).is_some_and(|t| t >= s)
            });
        if keep {
            out.push(b);
        }
    }
    Ok(out)
}

/// The full id of the bucket `given` names: the id itself, or a unique prefix of at least 4
/// characters.
pub fn resolve(store: &Store, given: &str) -> Result<String, HistoryError> {
    let given = given.trim().to_ascii_lowercase();
    let exact: Option<String> = store
        .conn
        .query_row("SELECT id FROM buckets WHERE id = ?1", [&given], |r| r.get(0))
        .optional()
        .map_err(|e| store.sqlite(e))?;
    if let Some(id) = exact {
        return Ok(id);
    }
    if given.len() < 4 || !given.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(HistoryError::UnknownBucket(given));
    }
    let mut stmt =
        store.conn.prepare("SELECT id FROM buckets WHERE substr(id, 1, ?2) = ?1").map_err(|e| store.sqlite(e))?;
    let ids: Vec<String> = stmt
        .query_map(params![given, given.len()], |r| r.get(0))
        .map_err(|e| store.sqlite(e))?
        .collect::<Result<_, _>>()
        .map_err(|e| store.sqlite(e))?;
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(HistoryError::UnknownBucket(given)),
        many => Err(HistoryError::AmbiguousBucket { given, count: many.len() }),
    }
}

/// One bucket with the runs that saw it and its dumps.
pub fn show(store: &Store, given: &str) -> Result<BucketDetail, HistoryError> {
    let id = resolve(store, given)?;
    let sql = format!("SELECT {BUCKET_COLUMNS} FROM buckets WHERE id = ?1");
    let bucket = store.conn.query_row(&sql, [&id], bucket_entry).map_err(|e| store.sqlite(e))?;
    Ok(BucketDetail { bucket, sightings: sightings(store, &id)?, dumps: dumps(store, Some(&id))? })
}

fn sightings(store: &Store, id: &str) -> Result<Vec<Sighting>, HistoryError> {
    let mut stmt = store
        .conn
        .prepare_cached(
            "SELECT rb.run, r.recorded_at, r.host, rb.count, rb.new_dumps, rb.module_version, rb.status
             FROM run_buckets rb JOIN runs r ON r.id = rb.run WHERE rb.bucket = ?1 ORDER BY rb.run",
        )
        .map_err(|e| store.sqlite(e))?;
    let rows = stmt
        .query_map([id], |r| {
            Ok(Sighting {
                run: r.get(0)?,
                recorded_at: r.get(1)?,
                host: r.get(2)?,
                count: r.get(3)?,
                new_dumps: r.get(4)?,
                module_version: r.get(5)?,
                status: r.get(6)?,
            })
        })
        .map_err(|e| store.sqlite(e))?;
    rows.collect::<Result<_, _>>().map_err(|e| store.sqlite(e))
}

fn dumps(store: &Store, bucket: Option<&str>) -> Result<Vec<DumpEntry>, HistoryError> {
    let mut stmt = store
        .conn
        .prepare(
            "SELECT d.bucket, d.hash, d.size, d.first_run, r.host, d.path, d.written_at, d.module_version
             FROM dumps d LEFT JOIN runs r ON r.id = d.first_run
             WHERE ?1 IS NULL OR d.bucket = ?1 ORDER BY d.bucket, d.first_run DESC, r.host, d.path, d.hash",
        )
        .map_err(|e| store.sqlite(e))?;
    let rows = stmt
        .query_map([bucket], |r| {
            let written_at: Option<i64> = r.get(6)?;
            Ok(DumpEntry {
                bucket: r.get(0)?,
                hash: crate::text::hex_bytes(&r.get::<_, Vec<u8>>(1)?),
                size: r.get(2)?,
                first_run: r.get(3)?,
                host: r.get(4)?,
                path: r.get(5)?,
                written_at: written_at.and_then(|s| Timestamp::from_second(s).ok()).map(|t| t.to_string()),
                module_version: r.get(7)?,
            })
        })
        .map_err(|e| store.sqlite(e))?;
    rows.collect::<Result<_, _>>().map_err(|e| store.sqlite(e))
}

/// Set (or with `None` clear) the bucket's ticket. Returns the full id.
pub fn link(store: &Store, given: &str, ticket: Option<&str>) -> Result<String, HistoryError> {
    let id = resolve(store, given)?;
    store
        .conn
        .execute("UPDATE buckets SET ticket = ?2 WHERE id = ?1", params![id, ticket.filter(|t| !t.trim().is_empty())])
        .map_err(|e| store.sqlite(e))?;
    Ok(id)
}

/// Mark the bucket fixed (optionally in module version `version`): a later dump the fix does
/// not explain makes it `regressed`. Remembers the newest module version seen so far.
pub fn fixed(store: &Store, given: &str, version: Option<&str>, now: Timestamp) -> Result<String, HistoryError> {
    let id = resolve(store, given)?;
    store
        .conn
        .execute(
            "UPDATE buckets SET state = 'fixed', fixed_in = ?2, fixed_version = module_version, fixed_at = ?3,
                regressed_run = NULL, regressed_version = NULL WHERE id = ?1",
            params![id, version.map(str::trim).filter(|v| !v.is_empty()), now.to_string()],
        )
        .map_err(|e| store.sqlite(e))?;
    Ok(id)
}

/// Mute the bucket: known noise, reported as `muted`, never `new`. A bucket id the store has
/// not seen yet is accepted (12 hex digits, as in a report), so noise can be muted before it
/// first shows up.
pub fn mute(store: &Store, given: &str) -> Result<String, HistoryError> {
    let id = match resolve(store, given) {
        Ok(id) => id,
        Err(HistoryError::UnknownBucket(g)) if g.len() == 12 && g.bytes().all(|c| c.is_ascii_hexdigit()) => {
            store
                .conn
                .execute("INSERT INTO buckets (id, state) VALUES (?1, 'muted')", [&g])
                .map_err(|e| store.sqlite(e))?;
            return Ok(g);
        }
        Err(HistoryError::UnknownBucket(g)) if g.len() >= 12 => return Err(HistoryError::BadBucketId(g)),
        Err(e) => return Err(e),
    };
    store.conn.execute("UPDATE buckets SET state = 'muted' WHERE id = ?1", [&id]).map_err(|e| store.sqlite(e))?;
    Ok(id)
}

/// Back to `open`: not fixed, not muted, not regressed (a regression is acknowledged).
pub fn reopen(store: &Store, given: &str) -> Result<String, HistoryError> {
    let id = resolve(store, given)?;
    store
        .conn
        .execute(
            "UPDATE buckets SET state = 'open', fixed_in = NULL, fixed_version = NULL, fixed_at = NULL,
                regressed_run = NULL, regressed_version = NULL WHERE id = ?1",
            [&id],
        )
        .map_err(|e| store.sqlite(e))?;
    Ok(id)
}

/// Remove buckets with their dumps and sightings (the runs stay). Returns the ids and the
/// number of dumps removed. Either all of them go or none does.
pub fn forget(store: &mut Store, given: &[String]) -> Result<(Vec<String>, u64), HistoryError> {
    let ids: Vec<String> = given.iter().map(|g| resolve(store, g)).collect::<Result<_, _>>()?;
    let path = store.path().to_path_buf();
    let sqlite = |source| super::store::sqlite_error(&path, source);
    let tx = store.conn.transaction().map_err(sqlite)?;
    let mut removed = 0;
    for id in &ids {
        removed += tx.execute("DELETE FROM dumps WHERE bucket = ?1", [id]).map_err(sqlite)? as u64;
        tx.execute("DELETE FROM run_buckets WHERE bucket = ?1", [id]).map_err(sqlite)?;
        tx.execute("DELETE FROM buckets WHERE id = ?1", [id]).map_err(sqlite)?;
    }
    tx.commit().map_err(sqlite)?;
    Ok((ids, removed))
}

/// Everything in the store, sorted (runs by id, buckets by id, dumps by bucket then newest).
pub fn export(store: &Store) -> Result<Export, HistoryError> {
    let mut stmt = store
        .conn
        .prepare(
            "SELECT id, recorded_at, host, generator, inputs, dumps, buckets, failures, new_buckets, new_dumps, regressed
             FROM runs ORDER BY id",
        )
        .map_err(|e| store.sqlite(e))?;
    let runs = stmt
        .query_map([], |r| {
            let inputs: String = r.get(4)?;
            Ok(RunEntry {
                id: r.get(0)?,
                recorded_at: r.get(1)?,
                host: r.get(2)?,
                generator: r.get(3)?,
                inputs: serde_json::from_str(&inputs).unwrap_or(serde_json::Value::String(inputs)),
                dumps: r.get(5)?,
                buckets: r.get(6)?,
                failures: r.get(7)?,
                new_buckets: r.get(8)?,
                new_dumps: r.get(9)?,
                regressed: r.get(10)?,
            })
        })
        .map_err(|e| store.sqlite(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| store.sqlite(e))?;
    let sql = format!("SELECT {BUCKET_COLUMNS} FROM buckets ORDER BY id");
    let mut stmt = store.conn.prepare(&sql).map_err(|e| store.sqlite(e))?;
    let entries = stmt
        .query_map([], bucket_entry)
        .map_err(|e| store.sqlite(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| store.sqlite(e))?;
    let mut buckets = Vec::with_capacity(entries.len());
    for bucket in entries {
        let sightings = sightings(store, &bucket.id)?;
        buckets.push(BucketExport { bucket, sightings });
    }
    Ok(Export { history_version: SCHEMA_VERSION, runs, buckets, dumps: dumps(store, None)? })
}
