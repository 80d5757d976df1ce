//! Synthesised minidumps for what no public dump covers: ProcDump, ADPlus and DebugDiag
//! provenance, one process instance dumped three times, an AV in an unloaded module, a C++
//! exception raised through KERNELBASE, and the Q275494 scenario (inetinfo.exe AVs in
//! infoctrs.dll, handled by Perflib). Built with `minidump-synth`; the committed copies live in
//! `fixtures/dumps/synth/` and `tests/dump_fixtures.rs` checks they are byte-identical to what
//! this file builds. Times and pids are documented in `fixtures/dumps/README.md`.

use minidump_common::format::{ProcessorArchitecture, VS_FFI_SIGNATURE, VS_FFI_STRUCVERSION, VS_FIXEDFILEINFO};
use minidump_synth::{
    DumpSection, DumpString, Exception, Memory, MiscFieldsProcessTimes, MiscStream, Module, SimpleStream,
    SynthMinidump, SystemInfo, Thread, UnloadedModule,
};
use test_assembler::{Endian, Section};

const LE: Endian = Endian::Little;

/// `MiniDumpWithFullMemory | WithHandleData | WithUnloadedModules | WithFullMemoryInfo | WithThreadInfo` (`.dump /ma`).
pub const FLAGS_MA: u64 = 0x1826;
/// `MiniDumpNormal`.
pub const FLAGS_MINI: u64 = 0;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arch {
    X86,
    Amd64,
}

/// One module: path as recorded, base, size, PE timestamp, file version a.b.c.d.
#[derive(Clone, Debug)]
pub struct Mod {
    pub path: &'static str,
    pub base: u64,
    pub size: u32,
    pub timestamp: u32,
    pub version: [u16; 4],
}

/// The exception record plus the context's instruction and stack pointers.
#[derive(Clone, Debug)]
pub struct Exc {
    pub code: u32,
    pub flags: u32,
    pub address: u64,
    pub params: Vec<u64>,
    pub ip: u64,
    pub sp: u64,
}

/// Everything a synthetic dump holds.
#[derive(Clone, Debug)]
pub struct Spec {
    pub arch: Arch,
    /// major, minor, build
    pub os: (u32, u32, u32),
    /// Header `TimeDateStamp` (unix seconds, UTC), patched into bytes 20..24.
    pub time: u32,
    pub flags: u64,
    pub pid: u32,
    /// MiscInfo process create time (unix seconds).
    pub create_time: u32,
    pub thread_id: u32,
    /// Main module first.
    pub modules: Vec<Mod>,
    pub unloaded: Vec<Mod>,
    pub exception: Option<Exc>,
    /// Stack memory of the exception thread: base address and bytes.
    pub stack: (u64, Vec<u8>),
    pub comment_a: Option<String>,
    pub comment_w: Option<String>,
}

fn version_info(v: [u16; 4]) -> VS_FIXEDFILEINFO {
    VS_FIXEDFILEINFO {
        signature: VS_FFI_SIGNATURE,
        struct_version: VS_FFI_STRUCVERSION,
        file_version_hi: (u32::from(v[0]) << 16) | u32::from(v[1]),
        file_version_lo: (u32::from(v[2]) << 16) | u32::from(v[3]),
        product_version_hi: (u32::from(v[0]) << 16) | u32::from(v[1]),
        product_version_lo: (u32::from(v[2]) << 16) | u32::from(v[3]),
        ..Default::default()
    }
}

/// Build the dump bytes for `spec`.
pub fn build(spec: &Spec) -> Vec<u8> {
    build_with(spec, None)
}

/// Build the dump bytes for `spec`, with one extra raw stream.
pub fn build_with(spec: &Spec, extra: Option<SimpleStream>) -> Vec<u8> {
    let ip = spec.exception.as_ref().map_or(0, |e| e.ip);
    let sp = spec.exception.as_ref().map_or(spec.stack.0, |e| e.sp);
    let context = match spec.arch {
        Arch::X86 => minidump_synth::x86_context(LE, ip as u32, sp as u32),
        Arch::Amd64 => minidump_synth::amd64_context(LE, ip, sp),
    };
    let stack = Memory::with_section(Section::with_endian(LE).append_bytes(&spec.stack.1), spec.stack.0);
    let thread = Thread::new(LE, spec.thread_id, &stack, &context);
    let arch = match spec.arch {
        Arch::X86 => ProcessorArchitecture::PROCESSOR_ARCHITECTURE_INTEL,
        Arch::Amd64 => ProcessorArchitecture::PROCESSOR_ARCHITECTURE_AMD64,
    };
    let mut sys = SystemInfo::new(LE).set_processor_architecture(arch as u16).set_platform_id(2);
    sys.major_version = spec.os.0;
    sys.minor_version = spec.os.1;
    sys.build_number = spec.os.2;
    sys.product_type = 3; // server
    sys.number_of_processors = 2;

    let mut misc = MiscStream::new(LE);
    misc.process_id = Some(spec.pid);
    misc.process_times = Some(MiscFieldsProcessTimes {
        process_create_time: spec.create_time,
        process_user_time: 1,
        process_kernel_time: 1,
    });

    let context_offset = context.file_offset();
    let context_size = context.file_size();
    let mut dump = SynthMinidump::with_endian(LE).flags(spec.flags).add(context);
    for m in &spec.modules {
        let name = DumpString::new(m.path, LE);
        let module = Module::new(LE, m.base, m.size, &name, m.timestamp, 0, Some(&version_info(m.version)));
        dump = dump.add_module(module).add(name);
    }
    for m in &spec.unloaded {
        let name = DumpString::new(m.path, LE);
        dump = dump.add_unloaded_module(UnloadedModule::new(LE, m.base, m.size, &name, m.timestamp, 0)).add(name);
    }
    if let Some(e) = &spec.exception {
        let mut ex = Exception::new(LE);
        ex.thread_id = spec.thread_id;
        ex.exception_record.exception_code = e.code;
        ex.exception_record.exception_flags = e.flags;
        ex.exception_record.exception_address = e.address;
        ex.exception_record.number_parameters = e.params.len() as u32;
        for (slot, p) in ex.exception_record.exception_information.iter_mut().zip(&e.params) {
            *slot = *p;
        }
        ex.thread_context = (
            context_size.value().expect("context size") as u32,
            context_offset.value().expect("context offset") as u32,
        );
        dump = dump.add_exception(ex);
    }
    if let Some(c) = &spec.comment_a {
        let section = Section::with_endian(LE).append_bytes(c.as_bytes()).D8(0);
        dump = dump.add_stream(SimpleStream { stream_type: 10, section });
    }
    if let Some(c) = &spec.comment_w {
        let mut section = Section::with_endian(LE);
        for u in c.encode_utf16().chain([0]) {
            section = section.D16(u);
        }
        dump = dump.add_stream(SimpleStream { stream_type: 11, section });
    }
    if let Some(stream) = extra {
        dump = dump.add_stream(stream);
    }
    let mut bytes =
        dump.add_thread(thread).add_system_info(sys).add_stream(misc).add_memory(stack).finish().expect("synth dump");
    // minidump-synth hard-codes the header time; patch it (MINIDUMP_HEADER.TimeDateStamp).
    bytes[20..24].copy_from_slice(&spec.time.to_le_bytes());
    bytes
}

// ---- scenario data ---------------------------------------------------------------------

/// Unix time of an RFC 3339 UTC instant.
pub fn t(rfc3339: &str) -> u32 {
    let ts: jiff::Timestamp = rfc3339.parse().expect("fixture time");
    ts.as_second() as u32
}

fn m(path: &'static str, base: u64, size: u32, timestamp: u32, version: [u16; 4]) -> Mod {
    Mod { path, base, size, timestamp, version }
}

fn x64_system_modules() -> Vec<Mod> {
    vec![
        m(r"C:\Windows\SYSTEM32\ntdll.dll", 0x7ffb_0000_0000, 0x1f_0000, 0x5c1a_0a3b, [10, 0, 17763, 1]),
        m(r"C:\Windows\System32\KERNEL32.DLL", 0x7ffa_f000_0000, 0xb_0000, 0x5c1a_0a3c, [10, 0, 17763, 1]),
        m(r"C:\Windows\System32\KERNELBASE.dll", 0x7ffa_e000_0000, 0x26_0000, 0x5c1a_0a3d, [10, 0, 17763, 1]),
        m(r"C:\Windows\SYSTEM32\VCRUNTIME140.dll", 0x7ffa_d000_0000, 0x1_8000, 0x5c1a_0a3e, [14, 16, 27024, 1]),
    ]
}

pub fn w3wp(pid: u32, create: &str, time: &str, comment_w: Option<String>, comment_a: Option<String>) -> Spec {
    let mut modules =
        vec![m(r"c:\windows\system32\inetsrv\w3wp.exe", 0x7ff6_1000_0000, 0x8000, 0x5b7e_1000, [10, 0, 17763, 1])];
    modules.extend(x64_system_modules());
    modules.push(m(r"C:\inetpub\filters\contoso_filter.dll", 0x7ffa_9000_0000, 0x4_0000, 0x5f00_0001, [2, 3, 0, 41]));
    Spec {
        arch: Arch::Amd64,
        os: (10, 0, 17763),
        time: t(time),
        flags: FLAGS_MA,
        pid,
        create_time: t(create),
        thread_id: 0x1a2c,
        modules,
        unloaded: vec![],
        exception: Some(Exc {
            code: 0xC000_0005,
            flags: 0,
            address: 0x7ffa_9000_1f3c,
            params: vec![0, 0x10],
            ip: 0x7ffa_9000_1f3c,
            sp: 0x0000_00a1_2340_f000,
        }),
        stack: (0x0000_00a1_2340_f000, vec![0; 0x100]),
        comment_a,
        comment_w,
    }
}

/// inetinfo.exe on Windows 2000 (5.0.2195, x86): the Q275494 process instance. The event-log
/// fixtures (`fixtures/logs/`) use the same pid, start time and event times.
pub const Q275494_PID: u32 = 1234;
pub const Q275494_CREATE: &str = "2001-03-12T08:00:00Z";
/// Header times of the four first-chance dumps; Perflib 1010 events at the same seconds.
pub const Q275494_TIMES: [&str; 4] =
    ["2001-03-12T09:00:00Z", "2001-03-12T09:10:00Z", "2001-03-12T09:20:00Z", "2001-03-12T09:30:00Z"];
/// The real crash of the same instance (AV in w3svc.dll), named like a WER LocalDumps file; the
/// logs hold Application Error 1000 / WER 1001 (or Dr. Watson 4097) for it.
pub const Q275494_CRASH_TIME: &str = "2001-03-12T10:00:00Z";
/// A later instance dumped when no log covers the time: nothing can be said from events.
pub const Q275494_UNCOVERED: (u32, &str, &str) = (1300, "2001-03-13T08:00:00Z", "2001-03-13T09:00:00Z");
/// infoctrs.dll base and the faulting offset.
pub const INFOCTRS_BASE: u64 = 0x6b80_0000;
pub const INFOCTRS_OFFSET: u64 = 0x1a2b;
/// w3svc.dll base and the offset of the real crash.
pub const W3SVC_BASE: u64 = 0x6c00_0000;
pub const W3SVC_OFFSET: u64 = 0x1a2b;

fn inetinfo(time: &str) -> Spec {
    inetinfo_instance(Q275494_PID, Q275494_CREATE, time, INFOCTRS_BASE + INFOCTRS_OFFSET)
}

/// An inetinfo.exe access violation at `fault` (Windows 2000, x86; modules as in the Q275494 fixtures).
pub fn inetinfo_instance(pid: u32, create: &str, time: &str, fault: u64) -> Spec {
    Spec {
        arch: Arch::X86,
        os: (5, 0, 2195),
        time: t(time),
        flags: FLAGS_MA,
        pid,
        create_time: t(create),
        thread_id: 0x2f4,
        modules: vec![
            m(r"C:\WINNT\system32\inetsrv\inetinfo.exe", 0x0100_0000, 0x6000, 0x3870_1a00, [5, 0, 2195, 1]),
            m(r"C:\WINNT\system32\ntdll.dll", 0x77f8_0000, 0x7_b000, 0x3870_1a01, [5, 0, 2195, 1]),
            m(r"C:\WINNT\system32\KERNEL32.dll", 0x77e8_0000, 0xb_6000, 0x3870_1a02, [5, 0, 2195, 1]),
            m(r"C:\WINNT\system32\ADVAPI32.dll", 0x77db_0000, 0x7_b000, 0x3870_1a03, [5, 0, 2195, 1]),
            m(r"C:\WINNT\system32\inetsrv\infoctrs.dll", INFOCTRS_BASE, 0x5000, 0x3870_1a04, [5, 0, 2195, 1]),
            m(r"C:\WINNT\system32\inetsrv\w3svc.dll", W3SVC_BASE, 0x2_0000, 0x3870_1a05, [5, 0, 2195, 1]),
        ],
        unloaded: vec![],
        exception: Some(Exc {
            code: 0xC000_0005,
            flags: 0,
            address: fault,
            params: vec![0, 0],
            ip: fault,
            sp: 0x0123_f000,
        }),
        stack: (0x0123_f000, vec![0; 0x100]),
        comment_a: None,
        comment_w: None,
    }
}

/// dllhost.exe instance dumped three times (the process survived the first two).
pub const SURVIVOR_PID: u32 = 4711;
pub const SURVIVOR_CREATE: &str = "2026-03-23T09:00:00Z";
pub const SURVIVOR_TIMES: [&str; 3] = ["2026-03-23T10:15:00Z", "2026-03-23T10:16:30Z", "2026-03-23T10:20:05Z"];

fn dllhost(time: &str) -> Spec {
    let mut modules =
        vec![m(r"C:\Windows\system32\dllhost.exe", 0x7ff7_2000_0000, 0x6000, 0x5b7e_2000, [10, 0, 17763, 1])];
    modules.extend(x64_system_modules());
    modules.push(m(r"C:\Program Files\Fabrikam\fabcom.dll", 0x7ffa_8000_0000, 0x2_0000, 0x6000_0002, [1, 0, 0, 7]));
    Spec {
        arch: Arch::Amd64,
        os: (10, 0, 17763),
        time: t(time),
        flags: FLAGS_MINI,
        pid: SURVIVOR_PID,
        create_time: t(SURVIVOR_CREATE),
        thread_id: 0x99c,
        modules,
        unloaded: vec![],
        exception: Some(Exc {
            code: 0xC000_0005,
            flags: 0,
            address: 0x7ffa_8000_4410,
            params: vec![1, 0x28],
            ip: 0x7ffa_8000_4410,
            sp: 0x0000_0052_0000_e000,
        }),
        stack: (0x0000_0052_0000_e000, vec![0; 0x100]),
        comment_a: None,
        comment_w: None,
    }
}

/// explorer.exe: AV at an address where a shell extension used to be loaded.
fn unloaded_av() -> Spec {
    let mut modules = vec![m(r"C:\Windows\explorer.exe", 0x7ff7_3000_0000, 0x40_0000, 0x5b7e_3000, [10, 0, 17763, 1])];
    modules.extend(x64_system_modules());
    Spec {
        arch: Arch::Amd64,
        os: (10, 0, 17763),
        time: t("2026-03-24T14:02:11Z"),
        flags: FLAGS_MINI,
        pid: 5120,
        create_time: t("2026-03-24T08:30:00Z"),
        thread_id: 0x1f0,
        modules,
        unloaded: vec![m(
            r"C:\Program Files\Northwind\nwshellext.dll",
            0x7ffa_7000_0000,
            0x3_0000,
            0x6000_0003,
            [0, 0, 0, 0],
        )],
        exception: Some(Exc {
            code: 0xC000_0005,
            flags: 0,
            address: 0x7ffa_7000_2a40,
            params: vec![8, 0x7ffa_7000_2a40],
            ip: 0x7ffa_7000_2a40,
            sp: 0x0000_0033_0000_f000,
        }),
        stack: (0x0000_0033_0000_f000, vec![0; 0x100]),
        comment_a: None,
        comment_w: None,
    }
}

/// The app frame the C++ throw must be attributed to: orders.exe + this offset.
pub const CPP_APP_OFFSET: u64 = 0x1234;

/// orders.exe throws a C++ exception: frame 0 in KERNELBASE!RaiseException, frame 1 in
/// VCRUNTIME140!_CxxThrowException, frame 2 in orders.exe.
fn cpp_throw() -> Spec {
    let app_base = 0x7ff7_4000_0000u64;
    let mut modules = vec![m(r"D:\apps\orders\orders.exe", app_base, 0x2_0000, 0x6000_0004, [3, 1, 4, 0])];
    modules.extend(x64_system_modules());
    let kernelbase_raise = 0x7ffa_e000_3c58u64;
    let vcruntime_throw = 0x7ffa_d000_6720u64;
    let sp = 0x0000_0044_0000_e000u64;
    // Stack from rsp up: return address into VCRUNTIME140, padding, return address into orders.exe.
    let mut stack = Vec::new();
    for word in [vcruntime_throw, 0, 0, 0, app_base + CPP_APP_OFFSET + 1, 0, 0, 0] {
        stack.extend_from_slice(&word.to_le_bytes());
    }
    stack.resize(0x200, 0);
    Spec {
        arch: Arch::Amd64,
        os: (10, 0, 17763),
        time: t("2026-03-25T16:45:00Z"),
        flags: FLAGS_MINI,
        pid: 6400,
        create_time: t("2026-03-25T16:40:00Z"),
        thread_id: 0x2210,
        modules,
        unloaded: vec![],
        exception: Some(Exc {
            code: 0xE06D_7363,
            flags: 1,
            address: kernelbase_raise,
            params: vec![0x1993_0520, 0x0000_0044_0000_e100, app_base + 0x1_8000, app_base],
            ip: kernelbase_raise,
            sp,
        }),
        stack: (sp, stack),
        comment_a: None,
        comment_w: Some(
            "*** procdump  -ma -e 1 -f E06D7363 orders.exe\n*** First chance exception: E06D7363.?AVbad_alloc@std@@"
                .into(),
        ),
    }
}

/// A synthetic fixture: file name under `fixtures/dumps/synth/` and its bytes.
pub struct Fixture {
    pub name: &'static str,
    pub spec: Spec,
}

impl Fixture {
    pub fn bytes(&self) -> Vec<u8> {
        build(&self.spec)
    }
}

/// Every synthetic dump fixture, in file-name order.
pub fn all() -> Vec<Fixture> {
    let procdump_cmd = "*** procdump  -ma -e 1 -n 5 w3wp.exe";
    let mut v = vec![
        Fixture {
            name: "procdump_w3wp_first_chance.dmp",
            spec: w3wp(
                2840,
                "2026-03-20T06:00:00Z",
                "2026-03-20T11:05:42Z",
                Some(format!("{procdump_cmd}\n*** First chance exception: C0000005.ACCESS_VIOLATION")),
                None,
            ),
        },
        Fixture {
            name: "procdump_w3wp_second_chance.dmp",
            spec: w3wp(
                2840,
                "2026-03-20T06:00:00Z",
                "2026-03-20T11:05:43Z",
                Some(format!("{procdump_cmd}\n*** Unhandled exception: C0000005.ACCESS_VIOLATION")),
                None,
            ),
        },
        Fixture {
            name: "PID-3056__IIS__1st_chance_access_violation__mini.dmp",
            spec: w3wp(
                3056,
                "2026-03-21T07:00:00Z",
                "2026-03-21T07:12:09Z",
                None,
                Some("1st_chance_access_violation_in_IIS_running_on_WEB01".into()),
            ),
        },
        Fixture {
            name: "w3wp__DefaultAppPool__PID__3160__Date__03_22_2026__Time_09_30_00AM__First chance exception 0XC0000005.dmp",
            spec: w3wp(3160, "2026-03-22T08:00:00Z", "2026-03-22T09:30:00Z", None, None),
        },
        Fixture { name: "unloaded_module_av.dmp", spec: unloaded_av() },
        Fixture { name: "cpp_throw_via_kernelbase.dmp", spec: cpp_throw() },
    ];
    for (i, time) in SURVIVOR_TIMES.iter().enumerate() {
        let name = ["dllhost_instance_1.dmp", "dllhost_instance_2.dmp", "dllhost_instance_3.dmp"][i];
        v.push(Fixture { name, spec: dllhost(time) });
    }
    for (i, time) in Q275494_TIMES.iter().enumerate() {
        let name =
            ["inetinfo_q275494_1.dmp", "inetinfo_q275494_2.dmp", "inetinfo_q275494_3.dmp", "inetinfo_q275494_4.dmp"][i];
        v.push(Fixture { name, spec: inetinfo(time) });
    }
    v.push(Fixture {
        name: "inetinfo.exe.1234.dmp",
        spec: inetinfo_instance(Q275494_PID, Q275494_CREATE, Q275494_CRASH_TIME, W3SVC_BASE + W3SVC_OFFSET),
    });
    let (pid, create, time) = Q275494_UNCOVERED;
    v.push(Fixture {
        name: "inetinfo_q275494_uncovered.dmp",
        spec: inetinfo_instance(pid, create, time, INFOCTRS_BASE + INFOCTRS_OFFSET),
    });
    v.sort_by_key(|f| f.name);
    v
}

/// Write a full-memory dump of `regions` × `region_size` bytes of process memory to `path`:
/// the C++-throw scenario plus a Memory64List whose data is a sparse hole (`set_len`), so a
/// 1 GiB dump costs no disk. The reader must not get slower with the dump's size.
pub fn write_sparse_full_dump(path: &std::path::Path, regions: u64, region_size: u64) -> std::io::Result<u64> {
    let mut spec = cpp_throw();
    spec.flags = FLAGS_MA;
    let memory64 = |base_rva: u64| {
        let mut section = Section::with_endian(LE).D64(regions).D64(base_rva);
        for i in 0..regions {
            section = section.D64(0x1000_0000 + i * region_size).D64(region_size);
        }
        SimpleStream { stream_type: 9, section }
    };
    // Two passes: the memory data starts after the streams, whose size the first pass tells.
    let base_rva = build_with(&spec, Some(memory64(0))).len() as u64;
    let bytes = build_with(&spec, Some(memory64(base_rva)));
    assert_eq!(bytes.len() as u64, base_rva);
    let total = base_rva + regions * region_size;
    let file = std::fs::File::create(path)?;
    std::io::Write::write_all(&mut &file, &bytes)?;
    file.set_len(total)?;
    Ok(total)
}
