//! Symbols: stack walks with function names, and signatures built from them (`--symbols`).
//!
//! Without `--symbols` nothing here runs: the dump stage stays on its header-speed path and
//! buckets stay symbol-free. With it, the dump stage walks the crashing thread through a
//! [`Symbols`] provider (call-frame information from Breakpad files, then frame pointers, then
//! stack scanning, as `minidump-unwind` does), and [`signature`] turns the frames into a
//! Socorro-style signature.
//!
//! One [`Symbols`] serves the whole run, shared by the rayon workers: each module's symbol
//! file is located and parsed once (the first worker to need it does the work; the others
//! wait for that result), so 10,000 dumps of one program parse its symbols once.
//! [`Symbols::stats`] says afterwards which modules had symbols, from where, and why the
//! others had none.
//!
//! * `crate::config::symbol_path`: the `--symbols` / `TRIAGE_SYMBOLS` syntax (`srv*CACHE*URL` …).
//! * [`locate`]: local stores, flat PDB folders, servers with an on-disk cache and a timeout.
//! * [`pdb`]: PDBs (plain or CAB-packed) through `pdb-addr2line`.

pub mod locate;
pub mod pdb;
pub mod signature;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use async_trait::async_trait;
use minidump::Module;
use minidump_unwind::{FileError, FileKind, FillSymbolError, FrameSymbolizer, FrameWalker, SymbolFile, SymbolProvider};

pub use crate::model::{
    CrashingThread, Frame, InlineFrame, MAX_REPORTED_FRAMES, ModuleSymbols, Source, SymbolConfig, SymbolFormat,
    SymbolStatus, SymbolsSummary,
};
pub use signature::SignatureRules;

use locate::{Locator, Wanted};

enum Loaded {
    Breakpad(Box<SymbolFile>),
    Pdb(pdb::PdbSymbols),
    None,
}

struct Entry {
    symbols: Loaded,
    stats: ModuleSymbols,
}

/// Key of a module's symbols: debug file leaf and debug id (or the code file when absent).
type Key = (String, String);

/// The shared symbol provider of a run. `Sync`: one instance serves every worker.
pub struct Symbols {
    locator: Locator,
    rules: SignatureRules,
    entries: Mutex<HashMap<Key, Arc<OnceLock<Entry>>>>,
    /// Symbol lookups done (one per module, however many dumps and workers need it).
    loads: AtomicU64,
}

impl std::fmt::Debug for Symbols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbols").field("sources", &self.locator.sources()).finish_non_exhaustive()
    }
}

impl Symbols {
    pub fn new(config: &SymbolConfig, rules: SignatureRules) -> Self {
        Symbols {
            locator: Locator::new(config.sources.clone(), config.timeout),
            rules,
            entries: Mutex::new(HashMap::new()),
            loads: AtomicU64::new(0),
        }
    }

    /// The signature lists frames are judged by.
    pub fn signature_rules(&self) -> &SignatureRules {
        &self.rules
    }

    /// How many modules had their symbols looked up and loaded so far (tests and benches
    /// check that this does not grow with the number of dumps).
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// True when the module's symbols were found and loaded (looking them up if need be).
    pub fn has_symbols(&self, module: &(dyn Module + Sync)) -> bool {
        self.entry(module).get().is_some_and(|e| e.stats.status == SymbolStatus::Loaded)
    }

    /// Every module looked up so far, sorted, with counts.
    pub fn stats(&self) -> SymbolsSummary {
        let entries: Vec<Arc<OnceLock<Entry>>> =
            self.entries.lock().unwrap_or_else(PoisonError::into_inner).values().cloned().collect();
        let mut modules: Vec<ModuleSymbols> = entries.iter().filter_map(|e| e.get()).map(|e| e.stats.clone()).collect();
        modules.sort_by(|a, b| {
            a.module
                .cmp(&b.module)
                .then_with(|| a.debug_id.cmp(&b.debug_id))
                .then_with(|| a.debug_file.cmp(&b.debug_file))
        });
        let count = |s: SymbolStatus| modules.iter().filter(|m| m.status == s).count() as u64;
        SymbolsSummary {
            sources: self.locator.sources().iter().map(Source::label).collect(),
            loaded: count(SymbolStatus::Loaded),
            missing: modules.len() as u64 - count(SymbolStatus::Loaded),
            modules,
        }
    }

    /// The module's entry, loading it on first use. Concurrent callers for one module wait
    /// for the first one's result instead of loading it again.
    fn entry(&self, module: &(dyn Module + Sync)) -> Arc<OnceLock<Entry>> {
        let key = key_of(module);
        let cell = {
            let mut map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            map.entry(key).or_default().clone()
        };
        cell.get_or_init(|| self.load(module));
        cell
    }

    fn load(&self, module: &(dyn Module + Sync)) -> Entry {
        self.loads.fetch_add(1, Ordering::Relaxed);
        let code_file = module.code_file();
        let mut stats = ModuleSymbols {
            module: crate::text::file_name(&code_file).to_owned(),
            debug_file: None,
            debug_id: None,
            status: SymbolStatus::Missing,
            format: None,
            path: None,
            source: None,
            url: None,
            notes: Vec::new(),
        };
        let (Some(debug_file), Some(debug_id)) = (module.debug_file(), module.debug_identifier()) else {
            stats.status = SymbolStatus::NoDebugId;
            return Entry { symbols: Loaded::None, stats };
        };
        let leaf = crate::text::file_name(&debug_file);
        let leaf = if leaf.is_empty() { crate::text::file_name(&code_file) } else { leaf };
        let wanted = Wanted { debug_file: leaf.to_owned(), debug_id: debug_id.breakpad().to_string() };
        stats.debug_file = Some(wanted.debug_file.clone());
        stats.debug_id = Some(wanted.debug_id.clone());

        let Some(found) = self.locator.locate(&wanted, &mut stats.notes) else {
            return Entry { symbols: Loaded::None, stats };
        };
        stats.format = Some(found.format);
        stats.path = Some(found.path.clone());
        stats.source = Some(found.source.clone());
        stats.url = found.url.clone();
        let loaded = match found.format {
            SymbolFormat::Breakpad => {
                SymbolFile::from_file(&found.path).map(|s| Loaded::Breakpad(Box::new(s))).map_err(|e| e.to_string())
            }
            SymbolFormat::Pdb | SymbolFormat::PdbCab => {
                let expect = found.check_id.then_some(wanted.debug_id.as_str());
                pdb::PdbSymbols::open(&found.path, found.format == SymbolFormat::PdbCab, expect).map(Loaded::Pdb)
            }
        };
        match loaded {
            Ok(symbols) => {
                stats.status = SymbolStatus::Loaded;
                Entry { symbols, stats }
            }
            Err(why) => {
                stats.status = SymbolStatus::Corrupt;
                stats.notes.push(format!("{}: {why}", found.path.display()));
                Entry { symbols: Loaded::None, stats }
            }
        }
    }
}

fn key_of(module: &(dyn Module + Sync)) -> Key {
    let debug_file = module.debug_file().map(|f| crate::text::file_name(&f).to_ascii_lowercase()).unwrap_or_default();
    let id = module.debug_identifier().map(|d| d.breakpad().to_string());
    match id {
        Some(id) => (debug_file, id),
        None => (crate::text::file_name(&module.code_file()).to_ascii_lowercase(), String::new()),
    }
}

#[async_trait]
impl SymbolProvider for Symbols {
    async fn fill_symbol(
        &self,
        module: &(dyn Module + Sync),
        frame: &mut (dyn FrameSymbolizer + Send),
    ) -> Result<(), FillSymbolError> {
        let entry = self.entry(module);
        match entry.get().map(|e| &e.symbols) {
            Some(Loaded::Breakpad(sym)) => {
                sym.fill_symbol(module, frame);
                Ok(())
            }
            Some(Loaded::Pdb(pdb)) => {
                pdb.fill_symbol(module, frame);
                Ok(())
            }
            _ => Err(FillSymbolError {}),
        }
    }

    async fn walk_frame(&self, module: &(dyn Module + Sync), walker: &mut (dyn FrameWalker + Send)) -> Option<()> {
        let entry = self.entry(module);
        match entry.get().map(|e| &e.symbols) {
            Some(Loaded::Breakpad(sym)) => sym.walk_frame(module, walker),
            _ => None,
        }
    }

    async fn get_file_path(&self, _module: &(dyn Module + Sync), _kind: FileKind) -> Result<PathBuf, FileError> {
        // Only the disassembler asks for binaries; triage never runs it.
        Err(FileError::NotFound)
    }
}
