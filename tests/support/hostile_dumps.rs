//! Minidumps built to make a reader allocate far more than the file holds (issue 16, item 11).
//! Written byte by byte rather than with `minidump-synth`, because what matters is the layout:
//! many module entries sharing one name, CodeView sizes that lie, a string placed so that the
//! large-file reader's merged reads cover the module list.
//!
//! Layout: header (32) | directory: SystemInfo, ModuleList (24) | SystemInfo (56) | its CSD
//! version string | ModuleList (4 + 108 per module) | the one module name every entry shares.
//! The CSD string sits *before* the list and the name *after* it, so the large-file reader reads
//! both string prefixes with one merged `pread` that spans the list.

use std::io::Write;
use std::path::Path;

const SYSTEM_INFO: u32 = 7;
const MODULE_LIST: u32 = 4;
const MODULE_SIZE: usize = 108;

/// One module list shape: how many entries, the name they all share, their CodeView location.
#[derive(Clone, Debug)]
pub struct Shape {
    pub modules: u32,
    pub name: String,
    /// `CvRecord` {DataSize, Rva} of every module, or of the first only (`cv_first_only`).
    pub cv: (u32, u32),
    pub cv_first_only: bool,
}

fn utf16_string(s: &str) -> Vec<u8> {
    let units: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut v = (units.len() as u32).to_le_bytes().to_vec();
    v.extend_from_slice(&units);
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
    v
}

/// The dump's bytes (without any sparse tail).
pub fn build(shape: &Shape) -> Vec<u8> {
    let sys_rva = 32 + 2 * 12;
    let csd_rva = sys_rva + 56;
    let csd = utf16_string("Service Pack 6");
    let list_rva = csd_rva + csd.len();
    let list_size = 4 + MODULE_SIZE * shape.modules as usize;
    let name_rva = list_rva + list_size;

    let mut b = Vec::with_capacity(name_rva + 4 + 2 * shape.name.len());
    b.extend_from_slice(b"MDMP");
    for v in [0xa793u32, 2, 32, 0, 985_000_000] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&0u64.to_le_bytes()); // flags
    for (kind, size, rva) in [(SYSTEM_INFO, 56, sys_rva), (MODULE_LIST, list_size, list_rva)] {
        for v in [kind, size as u32, rva as u32] {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    // MINIDUMP_SYSTEM_INFO: x86, NT 4.0.1381, VER_PLATFORM_WIN32_NT, then the CSD version RVA.
    let mut sys = [0u8; 56];
    sys[6] = 1; // NumberOfProcessors
    sys[7] = 3; // ProductType: server
    sys[8..12].copy_from_slice(&4u32.to_le_bytes());
    sys[16..20].copy_from_slice(&1381u32.to_le_bytes());
    sys[20..24].copy_from_slice(&2u32.to_le_bytes());
    sys[24..28].copy_from_slice(&(csd_rva as u32).to_le_bytes());
    b.extend_from_slice(&sys);
    b.extend_from_slice(&csd);
    b.extend_from_slice(&shape.modules.to_le_bytes());
    for i in 0..shape.modules {
        let mut m = [0u8; MODULE_SIZE];
        m[0..8].copy_from_slice(&(0x0040_0000u64 + u64::from(i) * 0x1_0000).to_le_bytes());
        m[8..12].copy_from_slice(&0x1_0000u32.to_le_bytes());
        m[20..24].copy_from_slice(&(name_rva as u32).to_le_bytes());
        if i == 0 || !shape.cv_first_only {
            m[76..80].copy_from_slice(&shape.cv.0.to_le_bytes());
            m[80..84].copy_from_slice(&shape.cv.1.to_le_bytes());
        }
        b.extend_from_slice(&m);
    }
    assert_eq!(b.len(), name_rva);
    b.extend_from_slice(&utf16_string(&shape.name));
    b
}

/// 10,000 modules all naming one 200,000-character path: a 1.4 MB file whose module list asks
/// the parser for 10,000 copies of a 400 KB string (gigabytes).
pub fn shared_name() -> Shape {
    let name = format!("C:\\{}\\inetinfo.exe", "a".repeat(200_000 - 16));
    Shape { modules: 10_000, name, cv: (0, 0), cv_first_only: false }
}

/// The length of [`write_sparse_codeview`]'s file: 4 GiB and one page, so that a CodeView
/// record of 0xffffffff bytes at RVA 0x100 lies inside it.
pub const SPARSE_CODEVIEW_LEN: u64 = (1 << 32) + 4096;

/// A 4 GiB sparse dump (a few KB on disk): 16 modules whose CodeView records claim 0xffffffff
/// bytes, and their one name after the list.
pub fn write_sparse_codeview(path: &Path) -> std::io::Result<u64> {
    let shape =
        Shape { modules: 16, name: "C:\\inetsrv\\inetinfo.exe".into(), cv: (u32::MAX, 0x100), cv_first_only: false };
    write_sparse(path, &build(&shape), SPARSE_CODEVIEW_LEN)
}

/// The clamp-survives-a-merged-read case: a 64 MiB + 4 KiB sparse dump whose main module's
/// CodeView record claims 1 MiB at 16 bytes before the end of the file. Clamped, the module list
/// reads fine; if a merged read undid the clamp, the record would run past the end of the file
/// and the parser would drop the whole module list.
pub fn write_sparse_lying_codeview(path: &Path) -> std::io::Result<u64> {
    let len = 64 * 1024 * 1024 + 4096;
    let shape = Shape {
        modules: 4,
        name: "C:\\inetsrv\\inetinfo.exe".into(),
        cv: (1024 * 1024, (len - 16) as u32),
        cv_first_only: true,
    };
    write_sparse(path, &build(&shape), len)
}

fn write_sparse(path: &Path, bytes: &[u8], len: u64) -> std::io::Result<u64> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.set_len(len)?;
    Ok(len)
}
