//! Finding a module's symbol file: local folders first-to-last, servers through their cache.
//!
//! For a module whose dump names debug file `app.pdb` and debug id `ID`, each source is tried
//! for `app.pdb/ID/app.sym` (Breakpad), `app.pdb/ID/app.pdb` and `app.pdb/ID/app.pd_`
//! (symstore, plain and CAB-packed); a local folder is also tried flat (`app.pdb`, `app.pd_`,
//! whose id is then checked when it is opened). A server is asked for the same three paths
//! below its URL, and a file it serves is written to its cache folder in the same layout
//! (through a temporary file renamed into place, so a broken download never leaves a partial
//! file behind), then read from there; the cache is looked at before the server.
//!
//! Offline runs never block: every request has a timeout, and a server that could not be
//! reached, timed out or answered with a server error is not asked again during the run. What
//! went wrong is a note on the module, never a failure of the dump.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::Source;
use crate::model::SymbolFormat;

/// A symbol file on disk (local, or in a server's cache).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub format: SymbolFormat,
    pub path: PathBuf,
    /// The source it came from (folder as given, or server URL).
    pub source: String,
    /// For downloads: the URL fetched.
    pub url: Option<String>,
    /// Found by file name only (a flat folder): the loader must check its id.
    pub check_id: bool,
}

/// The names one module's symbols can have.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// Debug file leaf, e.g. `test_app.pdb`.
    pub debug_file: String,
    /// Breakpad form of the debug id: GUID + age, upper-case hex.
    pub debug_id: String,
}

impl Wanted {
    /// `(file name, format)` in the order they are tried, inside `debug_file/debug_id/`.
    fn candidates(&self) -> Vec<(String, SymbolFormat)> {
        let leaf = &self.debug_file;
        let lower = leaf.to_ascii_lowercase();
        let stem = if lower.ends_with(".pdb") { &leaf[..leaf.len() - 4] } else { leaf.as_str() };
        let mut out = vec![(format!("{stem}.sym"), SymbolFormat::Breakpad)];
        if lower.ends_with(".pdb") {
            out.push((leaf.clone(), SymbolFormat::Pdb));
            out.push((format!("{}_", &leaf[..leaf.len() - 1]), SymbolFormat::PdbCab));
        }
        out
    }

    /// The debug file name as given and lower-cased (stores on case-sensitive disks differ).
    fn dir_names(&self) -> Vec<String> {
        let mut names = vec![self.debug_file.clone()];
        let lower = self.debug_file.to_ascii_lowercase();
        if lower != self.debug_file {
            names.push(lower);
        }
        names
    }
}

/// Searches the configured sources; shared by every dump of a run.
pub struct Locator {
    sources: Vec<Source>,
    agent: ureq::Agent,
    timeout: Duration,
    /// Servers given up on for this run, with the reason.
    dead: Mutex<HashMap<String, String>>,
}

impl Locator {
    pub fn new(sources: Vec<Source>, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout))
            .user_agent(concat!("triage/", env!("CARGO_PKG_VERSION")))
            .build();
        Locator { sources, agent: config.into(), timeout, dead: Mutex::new(HashMap::new()) }
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The first symbol file any source has, in source order. `notes` gets one line per
    /// source that could not answer (unreachable, timed out, failing, unwritable cache).
    pub fn locate(&self, wanted: &Wanted, notes: &mut Vec<String>) -> Option<Found> {
        for source in &self.sources {
            let found = match source {
                Source::Local(dir) => find_local(dir, wanted, &source.label(), true),
                Source::Server { url, cache } => {
                    find_local(cache, wanted, url, false).or_else(|| self.download(url, cache, wanted, notes))
                }
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }

    fn download(&self, url: &str, cache: &Path, wanted: &Wanted, notes: &mut Vec<String>) -> Option<Found> {
        if let Some(why) = self.dead.lock().unwrap_or_else(PoisonError::into_inner).get(url) {
            notes.push(format!("{url}: not asked ({why} earlier in this run)"));
            return None;
        }
        for (name, format) in wanted.candidates() {
            let rel = format!("{}/{}/{name}", wanted.debug_file, wanted.debug_id);
            let full = format!("{url}/{rel}");
            match self.fetch(&full, &cache.join(&rel)) {
                Ok(Some(path)) => {
                    return Some(Found { format, path, source: url.to_owned(), url: Some(full), check_id: false });
                }
                Ok(None) => {}
                Err(Fetch::Cache(why)) => {
                    notes.push(format!("{url}: {why}"));
                    return None;
                }
                Err(Fetch::Server(why)) => {
                    notes.push(format!("{url}: {why}; not asked again in this run"));
                    self.dead.lock().unwrap_or_else(PoisonError::into_inner).insert(url.to_owned(), why);
                    return None;
                }
            }
        }
        None
    }

    /// GET one file into `dest`. `Ok(None)`: the server does not have it.
    fn fetch(&self, url: &str, dest: &Path) -> Result<Option<PathBuf>, Fetch> {
        let mut response = match self.agent.get(url).call() {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_)) => {
                return Err(Fetch::Server(format!("timed out after {}s", self.timeout.as_secs_f32())));
            }
            Err(e) => return Err(Fetch::Server(format!("unreachable ({e})"))),
        };
        let status = response.status().as_u16();
        match status {
            200 => {}
            404 | 410 => return Ok(None),
            s if s >= 500 => return Err(Fetch::Server(format!("HTTP {s}"))),
            // 403 and friends: this file is refused, others may not be.
            _ => return Ok(None),
        }
        let dir = dest.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Fetch::Cache(format!("cache {} unwritable: {e}", dir.display())))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| Fetch::Cache(format!("cache {} unwritable: {e}", dir.display())))?;
        let mut body = response.body_mut().as_reader();
        match std::io::copy(&mut body, &mut tmp).and_then(|_| tmp.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                return Err(Fetch::Server(format!("timed out after {}s", self.timeout.as_secs_f32())));
            }
            Err(e) => return Err(Fetch::Server(format!("download of {url} broke off ({e})"))),
        }
        tmp.persist(dest).map_err(|e| Fetch::Cache(format!("cannot store {}: {}", dest.display(), e.error)))?;
        Ok(Some(dest.to_path_buf()))
    }
}

enum Fetch {
    /// The server failed: give up on it for the run.
    Server(String),
    /// Our side failed (cache not writable).
    Cache(String),
}

/// Look in one folder: store layout first, then (for local folders) flat.
fn find_local(dir: &Path, wanted: &Wanted, source: &str, flat: bool) -> Option<Found> {
    let hit = |path: PathBuf, format, check_id| Found { format, path, source: source.to_owned(), url: None, check_id };
    for name in wanted.dir_names() {
        let folder = dir.join(&name).join(&wanted.debug_id);
        for (file, format) in wanted.candidates() {
            let path = folder.join(&file);
            if path.is_file() {
                return Some(hit(path, format, false));
            }
        }
    }
    if flat {
        for (file, format) in wanted.candidates() {
            // A flat `.sym` cannot be told apart from another build's without reading it.
            if format == SymbolFormat::Breakpad {
                continue;
            }
            for name in [file.clone(), file.to_ascii_lowercase()] {
                let path = dir.join(&name);
                if path.is_file() {
                    return Some(hit(path, format, true));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted() -> Wanted {
        Wanted { debug_file: "App.pdb".into(), debug_id: "ABC1".into() }
    }

    #[test]
    fn candidate_names() {
        let names: Vec<String> = wanted().candidates().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["App.sym", "App.pdb", "App.pd_"]);
        let elf = Wanted { debug_file: "libx.so".into(), debug_id: "1".into() };
        assert_eq!(elf.candidates().len(), 1);
        assert_eq!(elf.candidates()[0].0, "libx.so.sym");
    }

    #[test]
    fn store_layout_then_flat() {
        let dir = tempfile::tempdir().unwrap();
        let flat = dir.path().join("app.pdb");
        std::fs::write(&flat, b"x").unwrap();
        let found = find_local(dir.path(), &wanted(), "d", true).unwrap();
        assert_eq!((found.format, found.check_id), (SymbolFormat::Pdb, true));
        assert_eq!(find_local(dir.path(), &wanted(), "d", false), None);

        let nested = dir.path().join("App.pdb/ABC1");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(nested.join("App.pd_"), b"x").unwrap();
        let found = find_local(dir.path(), &wanted(), "d", true).unwrap();
        assert_eq!((found.format, found.check_id), (SymbolFormat::PdbCab, false));
        std::fs::write(nested.join("App.sym"), b"x").unwrap();
        assert_eq!(find_local(dir.path(), &wanted(), "d", true).unwrap().format, SymbolFormat::Breakpad);
    }

    #[test]
    fn unreachable_server_is_a_note_and_asked_once() {
        // A port nothing listens on: connection refused at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let cache = tempfile::tempdir().unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let locator = Locator::new(
            vec![Source::Server { url: url.clone(), cache: cache.path().to_owned() }],
            Duration::from_secs(2),
        );
        let mut notes = Vec::new();
        assert_eq!(locator.locate(&wanted(), &mut notes), None);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with(&format!("{url}: unreachable")), "{notes:?}");
        let mut again = Vec::new();
        assert_eq!(locator.locate(&wanted(), &mut again), None);
        assert!(again[0].contains("not asked"), "{again:?}");
    }
}
