//! What `--symbols` adds to the model: the walked crashing thread and its frames, the
//! per-module symbol statistics, the symbol sources, and the bucket grouping (`--group-by`).
//! The walking and symbol loading itself is [`crate::symbols`].

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What makes a bucket (`--group-by`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Process, faulting module, exception code and chance (what WER does).
    #[default]
    Module,
    /// Process, crash signature, exception code and chance (what Socorro does): builds of one
    /// program crashing in one function share a bucket. Needs `--symbols` for function names;
    /// without symbols the signature is `module+0xoffset`.
    Signature,
    /// Process, faulting module and the fault offset in it, exception code and chance
    /// (WER-style offset buckets): two crash sites in one DLL are two buckets.
    Offset,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Module => "module",
            GroupBy::Signature => "signature",
            GroupBy::Offset => "offset",
        }
    }

    /// For `skip_serializing_if`: reports grouped by module (the default) do not say so, so
    /// they stay as they were before groupings existed.
    pub fn is_module(&self) -> bool {
        *self == GroupBy::Module
    }

    /// What a bucket id starts with.
    pub fn id_prefix(self) -> &'static str {
        match self {
            GroupBy::Module => "",
            GroupBy::Signature => "sig-",
            GroupBy::Offset => "off-",
        }
    }
}

/// Where symbols come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local folder, searched in place and never written.
    Local(PathBuf),
    /// A symbol server; files it serves are stored in `cache` (same layout) and read from there.
    Server { url: String, cache: PathBuf },
}

impl Source {
    /// How the report names this source: the folder as given, or the URL.
    pub fn label(&self) -> String {
        match self {
            Source::Local(p) => p.display().to_string(),
            Source::Server { url, .. } => url.clone(),
        }
    }
}

/// The kind of symbol file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolFormat {
    /// Breakpad text symbols (`.sym`): functions, lines, inlines and call-frame information.
    Breakpad,
    /// A Microsoft PDB.
    Pdb,
    /// A PDB packed in a CAB archive (`.pd_`).
    PdbCab,
}

/// Validated symbol settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolConfig {
    /// Searched in order.
    pub sources: Vec<Source>,
    pub timeout: Duration,
}

/// One frame of a walked thread, with the field names minidump-stackwalk's JSON uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// 0 is the innermost frame.
    pub frame: u32,
    /// File name of the module holding the instruction.
    pub module: Option<String>,
    /// Instruction address minus module base, hex.
    pub module_offset: Option<String>,
    /// Instruction address, hex.
    pub offset: String,
    pub function: Option<String>,
    /// Instruction address minus function start, hex.
    pub function_offset: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    /// How the walker found the frame: `context`, `cfi`, `frame_pointer`, `cfi_scan`, `scan`,
    /// `prewalked` or `none`.
    pub trust: String,
    /// The frame's module has no symbols (or the frame has no module).
    #[serde(default)]
    pub missing_symbols: bool,
    /// Calls inlined at this address, innermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inlines: Vec<InlineFrame>,
}

/// A call the compiler inlined into a frame's function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineFrame {
    pub function: String,
    pub file: Option<String>,
    pub line: Option<u32>,
}

/// The crashing (exception) thread, walked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashingThread {
    pub thread_id: u32,
    /// Innermost first, at most [`MAX_REPORTED_FRAMES`].
    pub frames: Vec<Frame>,
    /// Frames the walk found (more than `frames` holds when the stack was deep).
    pub total_frames: u32,
    /// Modules on this stack without symbols, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_symbols: Vec<String>,
}

/// Frames kept per dump in the report.
pub const MAX_REPORTED_FRAMES: usize = 32;

/// What became of one module's symbols during the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolStatus {
    Loaded,
    /// No source had them.
    Missing,
    /// Found, but unreadable or another build.
    Corrupt,
    /// The dump records no debug file or id for the module, so there is nothing to look up.
    NoDebugId,
}

/// Symbol statistics of one module, over the whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleSymbols {
    /// Code file name, e.g. `test_app.exe`.
    pub module: String,
    pub debug_file: Option<String>,
    pub debug_id: Option<String>,
    pub status: SymbolStatus,
    pub format: Option<SymbolFormat>,
    /// The file read (in a local folder or a server's cache).
    #[serde(default, with = "crate::path_json::option")]
    pub path: Option<PathBuf>,
    /// The symbol path element it came from.
    pub source: Option<String>,
    /// Set when it was downloaded in this run.
    pub url: Option<String>,
    /// Why no symbols: servers unreachable or failing, files unreadable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The report's `symbols` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SymbolsSummary {
    /// Symbol path elements, in search order.
    pub sources: Vec<String>,
    pub loaded: u64,
    pub missing: u64,
    /// Every module looked up, sorted by module then debug id.
    pub modules: Vec<ModuleSymbols>,
}

/// A frame without symbols in signature form: `infoctrs.dll+0x1234` (lower-case module file
/// name plus offset). Used by the signature and by the symbol-free fallback alike.
pub fn module_frame(module: &str, offset: &str) -> String {
    format!("{}+{offset}", crate::text::file_name(module).to_ascii_lowercase())
}
