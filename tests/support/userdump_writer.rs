//! Writer for legacy NT4/Windows 2000 user-mode dumps (`USERDUMP` / `USERDU64`), the format of
//! userdump.exe and Dr. Watson. No real file is public, so every fixture of this format is made
//! here, from the layout in `../shared/docs/MINIDUMP.md` §5 (`ntiodump.h`, Ghidra's loader).
//!
//! Like minidump-synth, it spells the layout out itself instead of sharing constants with the
//! reader, so a wrong offset in one of them shows up as a test failure instead of agreeing with
//! itself.
//!
//! File order (the format does not fix it; offsets in the header point at each part): header,
//! `DEBUG_EVENT`, `CRASH_THREAD[]`, `CONTEXT[]`, packed `CRASH_MODULE[]`, memory map,
//! `CRASHDUMP_VERSION_INFO`, then the memory data, biggest and last, so that a file cut short
//! keeps its metadata (the case the reader must still call truncated).

pub const MACHINE_I386: u32 = 0x014c;
pub const MACHINE_AMD64: u32 = 0x8664;

pub const EXCEPTION_DEBUG_EVENT: u32 = 1;
pub const CREATE_PROCESS_DEBUG_EVENT: u32 = 3;

const MEM_COMMIT: u32 = 0x1000;
const MEM_PRIVATE: u32 = 0x2_0000;
const MEM_IMAGE: u32 = 0x100_0000;
pub const PAGE_READWRITE: u32 = 0x04;
pub const PAGE_EXECUTE_READ: u32 = 0x20;
pub const PAGE_GUARD: u32 = 0x100;

/// Pointer width, chosen by the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// `USERDUMP`
    Bits32,
    /// `USERDU64`
    Bits64,
}

impl Width {
    pub fn ptr(self) -> usize {
        match self {
            Width::Bits32 => 4,
            Width::Bits64 => 8,
        }
    }
}

/// One loader-list entry (`CRASH_MODULE`).
#[derive(Debug, Clone)]
pub struct Module {
    /// Full path as the loader recorded it.
    pub path: String,
    pub base: u64,
    pub size: u32,
}

/// One thread: its `CRASH_THREAD` state and the registers put into its `CONTEXT`.
#[derive(Debug, Clone)]
pub struct Thread {
    pub tid: u32,
    pub teb: u64,
    pub ip: u64,
    pub sp: u64,
}

/// One memory region (`MEMORY_BASIC_INFORMATION`); `RegionSize` is `data.len()`.
#[derive(Debug, Clone)]
pub struct Region {
    pub base: u64,
    pub protect: u32,
    pub image: bool,
    pub data: Vec<u8>,
}

/// The `DEBUG_EVENT` stored in the dump.
#[derive(Debug, Clone)]
pub enum Event {
    /// `EXCEPTION_DEBUG_EVENT` with its `EXCEPTION_DEBUG_INFO`.
    Exception {
        code: u32,
        flags: u32,
        address: u64,
        /// Written to `ExceptionInformation`; `NumberParameters` is `number_parameters` if set,
        /// else `params.len()`.
        params: Vec<u64>,
        number_parameters: Option<u32>,
        first_chance: u32,
    },
    /// Any other debug event; the union is left zero.
    Other { code: u32 },
}

/// Everything one dump holds.
#[derive(Debug, Clone)]
pub struct Spec {
    pub width: Width,
    pub machine: u32,
    pub pid: u32,
    /// `DEBUG_EVENT.dwThreadId`.
    pub tid: u32,
    pub event: Event,
    pub modules: Vec<Module>,
    pub threads: Vec<Thread>,
    pub regions: Vec<Region>,
    /// `CRASHDUMP_VERSION_INFO.IgnoreGuardPages`; `None` writes no version info (offset 0).
    pub ignore_guard_pages: Option<bool>,
}

/// Where each part of a written dump starts, for tests that damage one field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Layout {
    pub header_size: usize,
    pub debug_event: usize,
    pub thread_states: usize,
    pub contexts: usize,
    pub context_size: usize,
    pub modules: usize,
    pub memory_map: usize,
    pub version_info: usize,
    pub data: usize,
    pub len: usize,
}

impl Layout {
    /// Offset of header pointer field `i` (0 = ThreadOffset … 6 = VersionInfoOffset).
    pub fn header_pointer(&self, width: Width, i: usize) -> usize {
        32 + i * width.ptr()
    }
    /// Everything before the memory data: the bytes the reader looks at.
    pub fn metadata_len(&self) -> usize {
        self.data
    }
}

fn context_size(machine: u32) -> usize {
    match machine {
        MACHINE_AMD64 => 1232,
        // x86 CONTEXT with ExtendedRegisters (CONTEXT_EXTENDED_REGISTERS), as NT4 SP3+ defines it.
        _ => 716,
    }
}

fn align(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

struct Buf {
    bytes: Vec<u8>,
    width: Width,
}

impl Buf {
    fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    fn ptr(&mut self, v: u64) {
        match self.width {
            Width::Bits32 => self.u32(u32::try_from(v).expect("32-bit dump with a 64-bit value")),
            Width::Bits64 => self.u64(v),
        }
    }
    fn pad_to(&mut self, len: usize) {
        assert!(self.bytes.len() <= len, "layout overlap at {:#x} > {len:#x}", self.bytes.len());
        self.bytes.resize(len, 0);
    }
    fn put_u32(&mut self, at: usize, v: u32) {
        self.bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn put_ptr(&mut self, at: usize, v: u64) {
        match self.width {
            Width::Bits32 => self.bytes[at..at + 4].copy_from_slice(&(v as u32).to_le_bytes()),
            Width::Bits64 => self.bytes[at..at + 8].copy_from_slice(&v.to_le_bytes()),
        }
    }
}

impl Spec {
    /// Where each part goes.
    pub fn layout(&self) -> Layout {
        let p = self.width.ptr();
        let header_size = 32 + 8 * p;
        let debug_event_size = if self.width == Width::Bits32 { 96 } else { 176 };
        let crash_thread = 16 + 8 * p;
        let mbi = if self.width == Width::Bits32 { 28 } else { 48 };
        let debug_event = header_size;
        let thread_states = debug_event + debug_event_size;
        let contexts = align(thread_states + self.threads.len() * crash_thread, 16);
        let cs = context_size(self.machine);
        let modules = contexts + self.threads.len() * cs;
        let module_bytes: usize = self.modules.iter().map(|m| p + 8 + m.path.len()).sum();
        let memory_map = align(modules + module_bytes, 8);
        let version_info = memory_map + self.regions.len() * mbi;
        let data = align(version_info + 8, 16);
        let len = data + self.regions.iter().map(|r| r.data.len()).sum::<usize>();
        Layout {
            header_size,
            debug_event,
            thread_states,
            contexts,
            context_size: cs,
            modules,
            memory_map,
            version_info,
            data,
            len,
        }
    }

    /// The dump file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let l = self.layout();
        let mut b = Buf { bytes: Vec::with_capacity(l.len), width: self.width };

        // USERMODE_CRASHDUMP_HEADER
        b.bytes.extend_from_slice(b"USER");
        b.bytes.extend_from_slice(if self.width == Width::Bits32 { b"DUMP" } else { b"DU64" });
        b.u32(1); // MajorVersion
        b.u32(0); // MinorVersion
        b.u32(self.machine);
        b.u32(self.threads.len() as u32);
        b.u32(self.modules.len() as u32);
        b.u32(self.regions.len() as u32);
        b.ptr(if self.threads.is_empty() { 0 } else { l.contexts as u64 }); // ThreadOffset
        b.ptr(l.modules as u64); // ModuleOffset
        b.ptr(l.data as u64); // DataOffset
        b.ptr(l.memory_map as u64); // MemoryRegionOffset
        b.ptr(l.debug_event as u64); // DebugEventOffset
        b.ptr(if self.threads.is_empty() { 0 } else { l.thread_states as u64 }); // ThreadStateOffset
        b.ptr(if self.ignore_guard_pages.is_some() { l.version_info as u64 } else { 0 }); // VersionInfoOffset
        b.ptr(l.header_size as u64); // Spare1: the header size
        b.pad_to(l.debug_event);

        // DEBUG_EVENT
        b.u32(match self.event {
            Event::Exception { .. } => EXCEPTION_DEBUG_EVENT,
            Event::Other { code } => code,
        });
        b.u32(self.pid);
        b.u32(self.tid);
        let union = l.debug_event + if self.width == Width::Bits32 { 12 } else { 16 };
        b.pad_to(l.thread_states);
        if let Event::Exception { code, flags, address, params, number_parameters, first_chance } = &self.event {
            let p = self.width.ptr();
            // EXCEPTION_RECORD{32,64}: Code, Flags, *Record, Address, NumberParameters, [pad], Information[15]
            let (addr_at, n_at, info_at, chance_at) =
                if self.width == Width::Bits32 { (12, 16, 20, 80) } else { (16, 24, 32, 152) };
            b.put_u32(union, *code);
            b.put_u32(union + 4, *flags);
            b.put_ptr(union + addr_at, *address);
            b.put_u32(union + n_at, number_parameters.unwrap_or(params.len() as u32));
            for (i, v) in params.iter().take(15).enumerate() {
                b.put_ptr(union + info_at + i * p, *v);
            }
            b.put_u32(union + chance_at, *first_chance);
        }

        // CRASH_THREAD[]
        for t in &self.threads {
            b.u32(t.tid);
            b.u32(0); // SuspendCount
            b.u32(0x20); // PriorityClass: NORMAL_PRIORITY_CLASS
            b.u32(0); // Priority: THREAD_PRIORITY_NORMAL
            b.ptr(t.teb);
            for _ in 0..7 {
                b.ptr(0); // Spare0..6
            }
        }
        b.pad_to(l.contexts);

        // CONTEXT[]
        for t in &self.threads {
            let at = b.bytes.len();
            b.pad_to(at + l.context_size);
            if self.machine == MACHINE_AMD64 {
                b.put_u32(at + 0x30, 0x0010_000B); // ContextFlags: CONTEXT_AMD64 | CONTEXT_FULL
                b.bytes[at + 0x98..at + 0xA0].copy_from_slice(&t.sp.to_le_bytes()); // Rsp
                b.bytes[at + 0xF8..at + 0x100].copy_from_slice(&t.ip.to_le_bytes()); // Rip
            } else {
                b.put_u32(at, 0x0001_0007); // ContextFlags: CONTEXT_i386 | CONTEXT_FULL
                b.put_u32(at + 0xB4, t.sp as u32 + 8); // Ebp
                b.put_u32(at + 0xB8, t.ip as u32); // Eip
                b.put_u32(at + 0xC4, t.sp as u32); // Esp
            }
        }

        // CRASH_MODULE[], packed
        b.pad_to(l.modules);
        for m in &self.modules {
            b.ptr(m.base);
            b.u32(m.size);
            b.u32(m.path.len() as u32);
            b.bytes.extend_from_slice(m.path.as_bytes());
        }

        // MEMORY_BASIC_INFORMATION[]
        b.pad_to(l.memory_map);
        for r in &self.regions {
            let kind = if r.image { MEM_IMAGE } else { MEM_PRIVATE };
            match self.width {
                Width::Bits32 => {
                    b.u32(r.base as u32);
                    b.u32(r.base as u32); // AllocationBase
                    b.u32(r.protect); // AllocationProtect
                    b.u32(r.data.len() as u32);
                    b.u32(MEM_COMMIT);
                    b.u32(r.protect);
                    b.u32(kind);
                }
                Width::Bits64 => {
                    b.u64(r.base);
                    b.u64(r.base);
                    b.u32(r.protect);
                    b.u32(0);
                    b.u64(r.data.len() as u64);
                    b.u32(MEM_COMMIT);
                    b.u32(r.protect);
                    b.u32(kind);
                    b.u32(0);
                }
            }
        }

        // CRASHDUMP_VERSION_INFO
        b.pad_to(l.version_info);
        if let Some(ignore) = self.ignore_guard_pages {
            b.u32(u32::from(ignore));
            b.u32(self.width.ptr() as u32 * 8);
        }

        // Memory data, regions back to back.
        b.pad_to(l.data);
        for r in &self.regions {
            b.bytes.extend_from_slice(&r.data);
        }
        assert_eq!(b.bytes.len(), l.len);
        b.bytes
    }
}

/// A page of recognisable filler (so flipped bits in it are easy to spot in a hex dump), with
/// `code` placed at `at`.
fn page(seed: u8, at: usize, code: &[u8]) -> Vec<u8> {
    let mut data: Vec<u8> = (0..0x1000u32).map(|i| seed ^ (i as u8)).collect();
    data[at..at + code.len()].copy_from_slice(code);
    data
}

/// IIS 4 on NT4 SP6a (x86): the loader list of an `inetinfo.exe` with the W3 service and the
/// IIS performance-counter DLL loaded. Paths and bases are plausible NT4 values, not copied
/// from a real dump.
fn nt4_inetinfo_modules() -> Vec<Module> {
    let m = |path: &str, base: u64, size: u32| Module { path: path.to_owned(), base, size };
    vec![
        m(r"C:\WINNT\system32\inetsrv\inetinfo.exe", 0x0100_0000, 0x6000),
        m(r"C:\WINNT\System32\ntdll.dll", 0x77F6_0000, 0x5_C000),
        m(r"C:\WINNT\system32\KERNEL32.dll", 0x77F0_0000, 0x5_E000),
        m(r"C:\WINNT\system32\ADVAPI32.dll", 0x77DC_0000, 0x3_F000),
        m(r"C:\WINNT\system32\inetsrv\w3svc.dll", 0x6D70_0000, 0x4_B000),
        m(r"C:\WINNT\system32\inetsrv\infoctrs.dll", 0x6E0A_0000, 0x7000),
        m(r"C:\WINNT\system32\perfctrs.dll", 0x6E1C_0000, 0xC000),
    ]
}

/// KB Q275494: `inetinfo.exe` (pid 1234) takes an access violation reading 0x10 in
/// `infoctrs.dll` while Perflib collects IIS counters; userdump.exe catches it at first chance
/// (`dwFirstChance = 1`) and Perflib then handles it (event 1010).
pub fn q275494_first_chance() -> Spec {
    let fault = 0x6E0A_1A2C;
    Spec {
        width: Width::Bits32,
        machine: MACHINE_I386,
        pid: 1234,
        tid: 1376,
        event: Event::Exception {
            code: 0xC000_0005,
            flags: 0,
            address: fault,
            params: vec![0, 0x10], // read at 0x00000010
            number_parameters: None,
            first_chance: 1,
        },
        modules: nt4_inetinfo_modules(),
        threads: vec![
            Thread { tid: 1240, teb: 0x7FFD_E000, ip: 0x77F6_82DB, sp: 0x0006_FD60 },
            Thread { tid: 1376, teb: 0x7FFD_A000, ip: fault, sp: 0x0148_FB7C },
            Thread { tid: 1412, teb: 0x7FFD_9000, ip: 0x77F6_82DB, sp: 0x0158_FF24 },
        ],
        regions: vec![
            // mov eax, [ecx+10h] at the fault address
            Region {
                base: 0x6E0A_1000,
                protect: PAGE_EXECUTE_READ,
                image: true,
                data: page(0x5A, 0xA2C, &[0x8B, 0x41, 0x10]),
            },
            Region { base: 0x0148_F000, protect: PAGE_READWRITE, image: false, data: page(0xC3, 0, &[]) },
        ],
        ignore_guard_pages: Some(false),
    }
}

/// The same `inetinfo.exe` (pid 1234) later dies of an access violation writing to NULL in
/// `w3svc.dll`: second chance (`dwFirstChance = 0`), a real crash.
pub fn q275494_second_chance() -> Spec {
    let fault = 0x6D72_B3F0;
    Spec {
        width: Width::Bits32,
        machine: MACHINE_I386,
        pid: 1234,
        tid: 1508,
        event: Event::Exception {
            code: 0xC000_0005,
            flags: 0,
            address: fault,
            params: vec![1, 0], // write at 0x00000000
            number_parameters: None,
            first_chance: 0,
        },
        modules: nt4_inetinfo_modules(),
        threads: vec![
            Thread { tid: 1240, teb: 0x7FFD_E000, ip: 0x77F6_82DB, sp: 0x0006_FD60 },
            Thread { tid: 1508, teb: 0x7FFD_8000, ip: fault, sp: 0x0168_FA10 },
        ],
        regions: vec![
            // mov [eax], ecx at the fault address
            Region {
                base: 0x6D72_B000,
                protect: PAGE_EXECUTE_READ,
                image: true,
                data: page(0x3C, 0x3F0, &[0x89, 0x08]),
            },
            Region { base: 0x0168_F000, protect: PAGE_READWRITE, image: false, data: page(0x77, 0, &[]) },
        ],
        ignore_guard_pages: Some(false),
    }
}

/// A 64-bit dump (`USERDU64`, amd64): `w3wp.exe` (pid 5120) on Windows Server 2003 x64, an
/// access violation writing to 0x18 in `w3isapi.dll` at first chance. Addresses above 4 GiB
/// check that nothing is truncated to 32 bits.
pub fn x64_w3wp_first_chance() -> Spec {
    let fault = 0x0000_07FE_F6A4_1234;
    let m = |path: &str, base: u64, size: u32| Module { path: path.to_owned(), base, size };
    Spec {
        width: Width::Bits64,
        machine: MACHINE_AMD64,
        pid: 5120,
        tid: 2288,
        event: Event::Exception {
            code: 0xC000_0005,
            flags: 0,
            address: fault,
            params: vec![1, 0x18],
            number_parameters: None,
            first_chance: 1,
        },
        modules: vec![
            m(r"C:\WINDOWS\system32\inetsrv\w3wp.exe", 0x0000_0000_0100_0000, 0x8000),
            m(r"C:\WINDOWS\system32\ntdll.dll", 0x0000_0000_78EC_0000, 0x1_3B000),
            m(r"C:\WINDOWS\system32\kernel32.dll", 0x0000_0000_78D4_0000, 0x1_7F000),
            m(r"C:\WINDOWS\system32\inetsrv\w3isapi.dll", 0x0000_07FE_F6A4_0000, 0x2_4000),
        ],
        threads: vec![
            Thread { tid: 2140, teb: 0x0000_07FF_FFFD_E000, ip: 0x0000_0000_78EF_1A3A, sp: 0x0000_0000_0012_F6E8 },
            Thread { tid: 2288, teb: 0x0000_07FF_FFFD_C000, ip: fault, sp: 0x0000_0000_0231_F5A0 },
        ],
        regions: vec![
            // mov [rax+18h], rcx at the fault address
            Region {
                base: 0x0000_07FE_F6A4_1000,
                protect: PAGE_EXECUTE_READ,
                image: true,
                data: page(0x99, 0x234, &[0x48, 0x89, 0x48, 0x18]),
            },
            Region { base: 0x0000_0000_0231_F000, protect: PAGE_READWRITE, image: false, data: page(0x11, 0, &[]) },
        ],
        ignore_guard_pages: Some(false),
    }
}

/// Makes one fixture's [`Spec`].
pub type MakeSpec = fn() -> Spec;

/// The committed fixtures: file name under `fixtures/dumps/userdump/` and the spec that makes it.
pub const FIXTURES: &[(&str, MakeSpec)] = &[
    ("nt4_inetinfo_infoctrs_av.dmp", q275494_first_chance),
    ("nt4_inetinfo_w3svc_av.dmp", q275494_second_chance),
    ("x64_w3wp_w3isapi_av.dmp", x64_w3wp_first_chance),
];

/// Path of a committed fixture.
pub fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dumps/userdump").join(name)
}

/// What discovery would hand the dump reader for `path`, as the file is now.
pub fn input_file(path: &std::path::Path) -> triage::discover::InputFile {
    let meta = std::fs::metadata(path).expect("stat fixture");
    triage::discover::InputFile {
        path: path.to_path_buf(),
        len: meta.len(),
        modified: meta.modified().ok(),
        kind: triage::discover::InputKind::Userdump,
    }
}

/// Write `bytes` to a fresh file named `name` in `dir` and read it back as discovery would.
pub fn write_input(dir: &std::path::Path, name: &str, bytes: &[u8]) -> triage::discover::InputFile {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write dump");
    input_file(&path)
}
