//! The history store: one SQLite file (bundled library, nothing to install), its schema and
//! migrations, and the checks that keep a file that is not ours untouched.
//!
//! Opening is in two steps. First the file is inspected without writing anything: its first
//! 16 bytes must be the SQLite magic, and a read-only connection reads `application_id` and
//! `user_version`. Only a file that is absent, empty, or a triage store no newer than this
//! build is then opened read-write. So a corrupt file, someone else's database or a store
//! written by a newer triage is a clear error, and the file stays byte-identical.
//!
//! The store runs in WAL mode with a busy timeout, and every write is one `IMMEDIATE`
//! transaction, so two scans recording at once both succeed: the second waits for the first.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::ErrorCode;

/// `PRAGMA application_id` of a triage history store ("TRIG"): tells our file from any other
/// SQLite database.
pub const APPLICATION_ID: i32 = 0x5452_4947;

/// How long a writer waits for another one before giving up. A scan of 100,000 dumps holds the
/// write lock for about a second, so this is generous.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The schema, one entry per version: `MIGRATIONS[n]` takes a store from version `n` to `n + 1`.
/// Never edit a released entry; append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: runs, buckets, the dumps each bucket has had (by content hash and size; the host is
    // that of the run that first saw it), per-run bucket counts.
    "CREATE TABLE runs (
        id           INTEGER PRIMARY KEY,
        recorded_at  TEXT NOT NULL,
        host         TEXT,
        generator    TEXT NOT NULL,
        inputs       TEXT NOT NULL,
        dumps        INTEGER NOT NULL,
        buckets      INTEGER NOT NULL,
        failures     INTEGER NOT NULL,
        new_buckets  INTEGER NOT NULL DEFAULT 0,
        new_dumps    INTEGER NOT NULL DEFAULT 0,
        regressed    INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE buckets (
        id                TEXT PRIMARY KEY,
        title             TEXT NOT NULL DEFAULT '',
        process           TEXT,
        module            TEXT,
        exception_code    TEXT,
        chance            TEXT,
        state             TEXT NOT NULL DEFAULT 'open'
                          CHECK (state IN ('open', 'fixed', 'regressed', 'muted')),
        ticket            TEXT,
        first_run         INTEGER,
        last_run          INTEGER,
        first_seen        TEXT,
        last_seen         TEXT,
        runs              INTEGER NOT NULL DEFAULT 0,
        dumps             INTEGER NOT NULL DEFAULT 0,
        module_version    TEXT,
        fixed_in          TEXT,
        fixed_version     TEXT,
        fixed_at          TEXT,
        regressed_run     INTEGER,
        regressed_version TEXT
    );
    CREATE TABLE dumps (
        bucket         TEXT NOT NULL,
        hash           BLOB NOT NULL,
        size           INTEGER NOT NULL,
        first_run      INTEGER NOT NULL,
        path           TEXT NOT NULL,
        written_at     INTEGER,
        module_version TEXT,
        PRIMARY KEY (bucket, hash, size)
    ) WITHOUT ROWID;
    CREATE TABLE run_buckets (
        run            INTEGER NOT NULL,
        bucket         TEXT NOT NULL,
        count          INTEGER NOT NULL,
        new_dumps      INTEGER NOT NULL,
        module_version TEXT,
        status         TEXT NOT NULL,
        PRIMARY KEY (run, bucket)
    ) WITHOUT ROWID;
    CREATE INDEX run_buckets_by_bucket ON run_buckets (bucket, run);",
];

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Why the history store cannot be used. Every variant leaves the file as it was.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("no history store at {0} (record one with `triage scan --history {0} ...`)")]
    Missing(PathBuf),
    #[error("{path} is not a triage history store ({why}); the file was not changed")]
    NotAStore { path: PathBuf, why: String },
    #[error("{path} is damaged: {source}; the file was not changed")]
    Corrupt { path: PathBuf, source: rusqlite::Error },
    #[error(
        "{path} was written by a newer triage (history schema {found}, this build knows up to {known}); \
         upgrade triage; the file was not changed"
    )]
    TooNew { path: PathBuf, found: u32, known: u32 },
    #[error("cannot open history store {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("history store {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("no bucket {0:?} in the history store")]
    UnknownBucket(String),
    #[error("{given:?} matches {count} buckets; give more of the id")]
    AmbiguousBucket { given: String, count: usize },
    #[error("{0:?} is not a bucket id (12 hex digits, as in the report)")]
    BadBucketId(String),
}

impl ErrorCode for HistoryError {
    fn code(&self) -> &'static str {
        match self {
            HistoryError::Missing(_) => "history_missing",
            HistoryError::NotAStore { .. } => "history_not_a_store",
            HistoryError::Corrupt { .. } => "history_corrupt",
            HistoryError::TooNew { .. } => "history_too_new",
            HistoryError::Io { .. } => "history_io",
            HistoryError::Sqlite { .. } => "history_sqlite",
            HistoryError::UnknownBucket(_) => "history_unknown_bucket",
            HistoryError::AmbiguousBucket { .. } => "history_ambiguous_bucket",
            HistoryError::BadBucketId(_) => "history_bad_bucket_id",
        }
    }
}

/// An open history store.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
}

/// What [`inspect`] found, before anything was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// No file, or an empty one: a new store.
    Nothing,
    /// A triage store at this schema version (0: an empty SQLite file being created).
    Store(u32),
}

impl Store {
    /// Open the store at `path`, creating it (but not its folder) when absent, and bring its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Store, HistoryError> {
        inspect(path)?;
        Store::open_checked(path)
    }

    /// Open an existing store; a missing file is [`HistoryError::Missing`] (a typo in a
    /// `triage history` command must not create an empty store).
    pub fn open_existing(path: &Path) -> Result<Store, HistoryError> {
        if inspect(path)? == Found::Nothing {
            return Err(HistoryError::Missing(path.to_path_buf()));
        }
        Store::open_checked(path)
    }

    /// The file this store lives in, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<u32, HistoryError> {
        user_version(&self.conn).map_err(|e| self.sqlite(e))
    }

    fn open_checked(path: &Path) -> Result<Store, HistoryError> {
        let sqlite = |source| sqlite_error(path, source);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
        // Bigger pages for a new store (no effect on an existing one): fewer page splits while
        // a run inserts its dumps.
        conn.pragma_update(None, "page_size", 16_384).map_err(sqlite)?;
        // WAL lets readers go on while a scan records, and makes a commit one append. It is a
        // property of the file, so this only writes when a new store is being made. Switching
        // needs a moment without other writers; the busy handler does not cover it, so retry.
        let mut tries = 0;
        loop {
            match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
                Ok(_) => break,
                Err(e) if is_busy(&e) && tries < 600 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(sqlite(e)),
            }
        }
        // NORMAL is durable across a process crash in WAL mode; a power cut may lose the last
        // run, never corrupt the file.
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", "OFF").map_err(sqlite)?;
        // Up to 64 MiB of page cache (the default is 2 MiB): a run touches pages of the dumps
        // index all over, and a store of 100,000 dumps is about 20 MiB.
        conn.pragma_update(None, "cache_size", -65_536).map_err(sqlite)?;
        let mut store = Store { conn, path: path.to_path_buf() };
        store.migrate()?;
        Ok(store)
    }

    /// Apply the migrations the store lacks, in one transaction (a concurrent opener waits and
    /// then finds nothing left to do).
    fn migrate(&mut self) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let sqlite = |source| sqlite_error(&path, source);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        let version = user_version(&tx).map_err(sqlite)?;
        if version > SCHEMA_VERSION {
            // Another process upgraded it between the inspection and now.
            return Err(HistoryError::TooNew { path: path.clone(), found: version, known: SCHEMA_VERSION });
        }
        if version == 0 {
            tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(sqlite)?;
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql).map_err(sqlite)?;
            tx.pragma_update(None, "user_version", i as u32 + 1).map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)
    }

    pub(crate) fn sqlite(&self, source: rusqlite::Error) -> HistoryError {
        sqlite_error(&self.path, source)
    }
}

/// A SQLite error on `path`; damage found while working is [`HistoryError::Corrupt`] (the
/// transaction it happened in is rolled back, so the file is as it was).
pub(crate) fn sqlite_error(path: &Path, source: rusqlite::Error) -> HistoryError {
    match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
            HistoryError::Corrupt { path: path.to_path_buf(), source }
        }
        _ => HistoryError::Sqlite { path: path.to_path_buf(), source },
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |r| r.get::<_, u32>(0))
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// Look at the file without changing it: nothing there, or a triage store of some version.
fn inspect(path: &Path) -> Result<Found, HistoryError> {
    let not_a_store = |why: &str| HistoryError::NotAStore { path: path.to_path_buf(), why: why.to_owned() };
    let mut head = [0u8; 16];
    let n = match std::fs::File::open(path) {
        Ok(f) => {
            if !f.metadata().map_err(|source| HistoryError::Io { path: path.to_path_buf(), source })?.is_file() {
                return Err(not_a_store("not a regular file"));
            }
            let mut f = f;
            read_up_to(&mut f, &mut head).map_err(|source| HistoryError::Io { path: path.to_path_buf(), source })?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(source) => return Err(HistoryError::Io { path: path.to_path_buf(), source }),
    };
    if n == 0 {
        return Ok(Found::Nothing);
    }
    if n < head.len() || &head != b"SQLite format 3\0" {
        return Err(not_a_store("no SQLite header"));
    }
    // Read-only: a damaged page or a foreign schema is found here, before any write.
    let corrupt = |source| HistoryError::Corrupt { path: path.to_path_buf(), source };
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(corrupt)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(corrupt)?;
    let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(corrupt)?;
    let version = user_version(&conn).map_err(corrupt)?;
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).map_err(corrupt)?;
    // A damaged page past the header would only show when a write reaches it; look at every
    // page now (b-tree structure, not index contents: linear in the file's size, and a
    // fraction of the time recording takes).
    let check: String = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0)).map_err(corrupt)?;
    if check != "ok" {
        return Err(HistoryError::Corrupt {
            path: path.to_path_buf(),
            source: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(check),
            ),
        });
    }
    match app {
        APPLICATION_ID if version > SCHEMA_VERSION => {
            Err(HistoryError::TooNew { path: path.to_path_buf(), found: version, known: SCHEMA_VERSION })
        }
        APPLICATION_ID => Ok(Found::Store(version)),
        // A store being created by another process right now, or an empty database.
        0 if tables == 0 && version == 0 => Ok(Found::Store(0)),
        _ => Err(not_a_store("another application's SQLite database")),
    }
}

fn read_up_to(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_and_reopens_at_the_current_version() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.sqlite");
        assert!(matches!(Store::open_existing(&p), Err(HistoryError::Missing(_))));
        let s = Store::open(&p).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        let mode: String = s.conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        drop(s);
        let s = Store::open_existing(&p).unwrap();
        let app: i32 = s.conn.pragma_query_value(None, "application_id", |r| r.get(0)).unwrap();
        assert_eq!(app, APPLICATION_ID);
    }

    #[test]
    fn an_empty_file_becomes_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.sqlite");
        std::fs::write(&p, b"").unwrap();
        assert!(matches!(Store::open_existing(&p), Err(HistoryError::Missing(_))));
        assert_eq!(Store::open(&p).unwrap().schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn migrations_run_from_an_older_version() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.sqlite");
        {
            // A store at version 0 that has only its application id (as a crashed creator
            // would leave it).
            let c = Connection::open(&p).unwrap();
            c.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
        }
        let s = Store::open(&p).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        let n: i64 = s.conn.query_row("SELECT count(*) FROM runs", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn foreign_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("other.sqlite");
        Connection::open(&p).unwrap().execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();
        let before = std::fs::read(&p).unwrap();
        let err = Store::open(&p).unwrap_err();
        assert_eq!(err.code(), "history_not_a_store", "{err}");
        assert_eq!(std::fs::read(&p).unwrap(), before);
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(HistoryError::Missing("x".into()).code(), "history_missing");
        assert_eq!(HistoryError::TooNew { path: "x".into(), found: 9, known: 1 }.code(), "history_too_new");
        assert_eq!(HistoryError::BadBucketId("x".into()).code(), "history_bad_bucket_id");
    }
}
