//! PDB symbols through `pdb-addr2line`: function, file, line and inlined calls at an address.
//!
//! A PDB is opened once per run and kept with its lookup context (the context borrows the
//! parsed streams, so both live in one self-referential cell). The context caches internally
//! and is not `Sync`, so lookups from the rayon workers take turns behind a mutex; they are
//! short (a few binary searches once a module's line program is cached).
//!
//! A CAB-packed PDB (`name.pd_`, as `symstore /compress` and Microsoft's server store them)
//! is expanded into an anonymous temporary file first, never into memory, since PDBs of
//! large programs run to gigabytes.
//!
//! PDBs carry no call-frame information usable here (x64 unwind data lives in the PE, not the
//! PDB), so frames above a PDB-symbolised one come from frame pointers or stack scanning.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use minidump::Module;
use minidump_unwind::FrameSymbolizer;
use pdb_addr2line::ContextPdbData;
use pdb_addr2line::pdb::PDB;

type Context<'a> = pdb_addr2line::Context<'a, 'static>;

self_cell::self_cell!(
    struct PdbCell {
        owner: ContextPdbData<'static, 'static, File>,
        #[not_covariant]
        dependent: Context,
    }
);

/// One loaded PDB.
pub struct PdbSymbols {
    cell: Mutex<PdbCell>,
}

impl std::fmt::Debug for PdbSymbols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PdbSymbols")
    }
}

/// The identity a PDB records: GUID and age as a Breakpad debug id (`GUID` + `age`, upper-case
/// hex), the form the dump's CodeView record gives.
pub fn pdb_debug_id(pdb: &mut PDB<'static, File>) -> Result<String, String> {
    let info = pdb.pdb_information().map_err(|e| format!("PDB information stream unreadable: {e}"))?;
    // The executable records the DBI stream's age; the info stream's may be newer.
    let age = pdb.debug_information().ok().and_then(|d| d.age()).unwrap_or(info.age);
    Ok(format!("{:X}{age:X}", info.guid.simple()))
}

impl PdbSymbols {
    /// Open a PDB (`cab`: a CAB archive holding one) and check it is the one the dump names
    /// when `expect_id` is given (flat folders hold whatever build was copied there last).
    pub fn open(path: &Path, cab: bool, expect_id: Option<&str>) -> Result<Self, String> {
        let file = if cab { expand_cab(path)? } else { File::open(path).map_err(|e| format!("cannot open: {e}"))? };
        let mut pdb = PDB::open(file).map_err(|e| format!("not a readable PDB: {e}"))?;
        if let Some(want) = expect_id {
            let have = pdb_debug_id(&mut pdb)?;
            if !have.eq_ignore_ascii_case(want) {
                return Err(format!("PDB is another build (id {have}, the dump wants {want})"));
            }
        }
        let data = ContextPdbData::try_from_pdb(pdb).map_err(|e| format!("PDB streams unreadable: {e}"))?;
        let cell = PdbCell::try_new(data, |d| d.make_context()).map_err(|e| format!("PDB unusable: {e}"))?;
        Ok(PdbSymbols { cell: Mutex::new(cell) })
    }

    /// Fill function, source line and inlined calls for the frame's instruction.
    pub fn fill_symbol(&self, module: &dyn Module, frame: &mut dyn FrameSymbolizer) {
        let base = module.base_address();
        let Some(rva) = frame.get_instruction().checked_sub(base).and_then(|r| u32::try_from(r).ok()) else {
            return;
        };
        let cell = self.cell.lock().unwrap_or_else(PoisonError::into_inner);
        cell.with_dependent(|_, context| {
            let Ok(Some(found)) = context.find_frames(rva) else { return };
            // Frames come innermost first; the last one is the function that contains the
            // address, the others were inlined into it.
            let Some((outer, inlined)) = found.frames.split_last() else { return };
            let start = base + u64::from(found.start_rva);
            frame.set_function(&display_name(outer.function.as_deref()), start, 0);
            if let (Some(file), Some(line)) = (outer.file.as_deref(), outer.line) {
                frame.set_source_file(file, line, start);
            }
            for f in inlined.iter().rev() {
                frame.add_inline_frame(&display_name(f.function.as_deref()), f.file.as_deref(), f.line);
            }
        });
    }
}

/// Names from public symbols are still decorated (`?Foo@Bar@@QAEXH@Z`, `_RaiseException@16`):
/// undecorate them, as debuggers show them.
fn display_name(name: Option<&str>) -> String {
    let Some(name) = name else { return "<unknown>".to_owned() };
    if name.starts_with('?') {
        let flags = msvc_demangler::DemangleFlags::NAME_ONLY;
        if let Ok(undecorated) = msvc_demangler::demangle(name, flags) {
            return undecorated;
        }
    }
    // x86 C decoration: `_name` (cdecl), `_name@N` (stdcall), `@name@N` (fastcall).
    if let Some(stripped) = name.strip_prefix(['_', '@'])
        && let Some((base, digits)) = stripped.rsplit_once('@')
        && !base.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.is_empty()
    {
        return base.to_owned();
    }
    name.to_owned()
}

/// Expand the first file of a CAB archive into an anonymous temporary file.
fn expand_cab(path: &Path) -> Result<File, String> {
    let archive = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut cabinet = cab::Cabinet::new(archive).map_err(|e| format!("not a CAB archive: {e}"))?;
    let name = cabinet
        .folder_entries()
        .flat_map(|folder| folder.file_entries())
        .map(|f| f.name().to_owned())
        .next()
        .ok_or("CAB archive holds no file")?;
    let mut reader = cabinet.read_file(&name).map_err(|e| format!("cannot read {name} from the CAB archive: {e}"))?;
    let mut out = tempfile::tempfile().map_err(|e| format!("cannot create a temporary file: {e}"))?;
    std::io::copy(&mut reader, &mut out).map_err(|e| format!("cannot expand {name} from the CAB archive: {e}"))?;
    out.seek(SeekFrom::Start(0)).map_err(|e| format!("cannot rewind the expanded PDB: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn decorated_names_are_undecorated() {
        assert_eq!(display_name(Some("_RaiseException@16")), "RaiseException");
        assert_eq!(display_name(Some("@Fast@8")), "Fast");
        assert_eq!(display_name(Some("?Bar@Foo@@QAEXH@Z")), "Foo::Bar");
        assert_eq!(display_name(Some("main")), "main");
        assert_eq!(display_name(Some("_main")), "_main");
        assert_eq!(display_name(None), "<unknown>");
    }
}
