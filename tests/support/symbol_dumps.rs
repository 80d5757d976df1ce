//! Symbolised scenarios: x86 minidumps whose modules carry CodeView (RSDS) records, Breakpad
//! `.sym` files for them, a CAB-packed copy of a PDB, and a loopback HTTP symbol server.
//!
//! The dumps are built with `minidump-synth` and read back by triage's own reader; the `.sym`
//! files are Breakpad text as `dump_syms` writes it (MODULE, FILE, FUNC + line records,
//! STACK WIN), parsed by `breakpad-symbols` in the scan. Nothing here is committed: each test
//! writes what it needs into a temporary folder.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use minidump_common::format::ProcessorArchitecture;
use minidump_synth::{DumpSection, DumpString, Exception, Memory, Module, SynthMinidump, SystemInfo, Thread};
use test_assembler::{Endian, Section};

const LE: Endian = Endian::Little;

/// A module as the dump records it, with its PDB identity.
#[derive(Clone, Debug)]
pub struct SymModule {
    /// Recorded path, e.g. `C:\app\app.exe`.
    pub path: String,
    pub base: u32,
    pub size: u32,
    /// PDB file name in the CodeView record, e.g. `app.pdb`.
    pub pdb: String,
    /// GUID as Windows stores it (Data1, Data2, Data3, Data4).
    pub guid: (u32, u16, u16, [u8; 8]),
    pub age: u32,
}

impl SymModule {
    /// The Breakpad debug id: GUID + age, upper-case hex.
    pub fn debug_id(&self) -> String {
        let (a, b, c, d) = self.guid;
        let tail: String = d.iter().map(|x| format!("{x:02X}")).collect();
        format!("{a:08X}{b:04X}{c:04X}{tail}{:X}", self.age)
    }
}

/// An x86 AV dump: `ip` faults, the stack at `sp` holds `stack` (return addresses and the like).
#[derive(Clone, Debug)]
pub struct SymDump {
    pub modules: Vec<SymModule>,
    pub ip: u32,
    pub sp: u32,
    pub stack: Vec<u32>,
    pub thread_id: u32,
    pub time: u32,
}

fn cv_record(m: &SymModule) -> Section {
    let (a, b, c, d) = m.guid;
    Section::with_endian(LE)
        .append_bytes(b"RSDS")
        .D32(a)
        .D16(b)
        .D16(c)
        .append_bytes(&d)
        .D32(m.age)
        .append_bytes(m.pdb.as_bytes())
        .D8(0)
}

/// Build the dump bytes.
pub fn build(spec: &SymDump) -> Vec<u8> {
    let context = minidump_synth::x86_context(LE, spec.ip, spec.sp);
    let mut stack_section = Section::with_endian(LE);
    for word in &spec.stack {
        stack_section = stack_section.D32(*word);
    }
    // Room above the interesting words, as a real stack has.
    stack_section = stack_section.append_repeated(0, 256);
    let stack = Memory::with_section(stack_section, u64::from(spec.sp));
    let thread = Thread::new(LE, spec.thread_id, &stack, &context);
    let mut sys = SystemInfo::new(LE)
        .set_processor_architecture(ProcessorArchitecture::PROCESSOR_ARCHITECTURE_INTEL as u16)
        .set_platform_id(2);
    sys.major_version = 10;
    sys.build_number = 19045;
    let context_offset = context.file_offset();
    let context_size = context.file_size();
    let mut dump = SynthMinidump::with_endian(LE).add(context);
    for m in &spec.modules {
        let name = DumpString::new(&m.path, LE);
        let cv = cv_record(m);
        let module = Module::new(LE, u64::from(m.base), m.size, &name, 0x5000_0000, 0, None).cv_record(&cv);
        dump = dump.add_module(module).add(name).add(cv);
    }
    let mut ex = Exception::new(LE);
    ex.thread_id = spec.thread_id;
    ex.exception_record.exception_code = 0xC000_0005;
    ex.exception_record.exception_address = u64::from(spec.ip);
    ex.exception_record.number_parameters = 2;
    ex.exception_record.exception_information[0] = 1; // write
    ex.exception_record.exception_information[1] = 0;
    ex.thread_context = (context_size.value().expect("size") as u32, context_offset.value().expect("offset") as u32);
    let mut bytes =
        dump.add_exception(ex).add_thread(thread).add_system_info(sys).add_memory(stack).finish().expect("synth dump");
    bytes[20..24].copy_from_slice(&spec.time.to_le_bytes());
    bytes
}

/// One function of a `.sym` file: RVA, size, name, and its line (one line record covering it).
#[derive(Clone, Debug)]
pub struct SymFunc {
    pub rva: u32,
    pub size: u32,
    pub name: &'static str,
    pub line: u32,
}

/// Breakpad text for a module: one source file, FUNC records with a line each, and STACK WIN
/// frame data saying each function keeps no frame (so the walker unwinds by CFI).
pub fn sym_text(m: &SymModule, file: &str, funcs: &[SymFunc]) -> String {
    let mut s = format!("MODULE windows x86 {} {}\nFILE 0 {file}\n", m.debug_id(), m.pdb);
    for f in funcs {
        s.push_str(&format!("FUNC {:x} {:x} 0 {}\n{:x} {:x} {} 0\n", f.rva, f.size, f.name, f.rva, f.size, f.line));
    }
    for f in funcs {
        // type 4 (FrameData), no prologue/epilogue, no locals or saved registers: the return
        // address is at esp.
        s.push_str(&format!(
            "STACK WIN 4 {:x} {:x} 0 0 0 0 0 0 1 $T0 $esp = $eip $T0 ^ = $esp $T0 4 + =\n",
            f.rva, f.size
        ));
    }
    s
}

/// Write `text` as `dir/<pdb>/<id>/<stem>.sym`; returns the file.
pub fn write_sym_store(dir: &Path, m: &SymModule, text: &str) -> PathBuf {
    let stem = m.pdb.strip_suffix(".pdb").unwrap_or(&m.pdb);
    let folder = dir.join(&m.pdb).join(m.debug_id());
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(format!("{stem}.sym"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Pack `bytes` into a CAB archive holding one file called `name` (MSZIP, as symstore writes).
pub fn cab_pack(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut builder = cab::CabinetBuilder::new();
    builder.add_folder(cab::CompressionType::MsZip).add_file(name);
    let mut writer = builder.build(std::io::Cursor::new(Vec::new())).unwrap();
    while let Some(mut file) = writer.next_file().unwrap() {
        file.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// How a loopback symbol server answers.
#[derive(Clone, Debug)]
pub enum Answer {
    /// Serve these paths (`/app.pdb/ID/app.sym` → bytes); 404 for anything else.
    Files(HashMap<String, Vec<u8>>),
    /// Answer every request with this status.
    Status(u16),
    /// Wait this long, then 404.
    Slow(Duration),
}

/// A symbol server on 127.0.0.1 for one test: it serves at most `max_requests` connections
/// (one request each) and stops by itself after `lifetime`.
pub struct SymbolServer {
    pub url: String,
    /// Request paths, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

pub fn serve(answer: Answer, max_requests: usize, lifetime: Duration) -> SymbolServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    std::thread::spawn(move || {
        let deadline = Instant::now() + lifetime;
        let mut served = 0;
        while served < max_requests && Instant::now() < deadline {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            served += 1;
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let text = String::from_utf8_lossy(&buf);
            let path = text.split_whitespace().nth(1).unwrap_or("").to_owned();
            log.lock().unwrap().push(path.clone());
            let (status, body) = match &answer {
                Answer::Files(files) => match files.get(&path) {
                    Some(b) => (200, b.clone()),
                    None => (404, b"not found".to_vec()),
                },
                Answer::Status(s) => (*s, b"no".to_vec()),
                Answer::Slow(d) => {
                    std::thread::sleep(*d);
                    (404, b"late".to_vec())
                }
            };
            let head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body));
        }
    });
    SymbolServer { url, requests }
}

// --- fixtures/symbols/crashy.pdb -----------------------------------------------------------

/// The committed PDB built from `fixtures/symbols/src/crashy.c`.
pub fn crashy_pdb() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/symbols/crashy.pdb")
}

/// The PDB's identity and the RVAs the dump needs, read from the PDB itself.
pub struct Crashy {
    pub module: SymModule,
    /// An address inside the inlined `write_it`, and the return addresses into `main` and
    /// `mainCRTStartup`.
    pub fault_rva: u32,
    pub main_rva: u32,
    pub startup_rva: u32,
}

pub fn crashy() -> Crashy {
    use pdb_addr2line::pdb::PDB;
    let file = std::fs::File::open(crashy_pdb()).unwrap();
    let mut pdb = PDB::open(file).unwrap();
    let info = pdb.pdb_information().unwrap();
    let age = pdb.debug_information().unwrap().age().unwrap_or(info.age);
    let (a, b, c, d) = info.guid.as_fields();
    let data = pdb_addr2line::ContextPdbData::try_from_pdb(pdb).unwrap();
    let context = data.make_context().unwrap();
    let start = |name: &str| {
        // pdb-addr2line names functions with their parameter lists: `main()`.
        let full = format!("{name}()");
        context.functions().find(|f| f.name.as_deref() == Some(full.as_str())).map(|f| f.start_rva).unwrap()
    };
    let crash = start("CrashFunction");
    // The first byte of CrashFunction whose frames include the inlined write_it.
    let fault_rva = (crash..crash + 0x20)
        .find(|&rva| context.find_frames(rva).unwrap().is_some_and(|f| f.frames.len() == 2))
        .unwrap();
    Crashy {
        module: SymModule {
            path: r"C:\src\crashy.exe".into(),
            base: 0x40_0000,
            size: 0x3000,
            pdb: "crashy.pdb".into(),
            guid: (a, b, c, *d),
            age,
        },
        fault_rva,
        // Just after each call instruction (5 bytes).
        main_rva: start("main") + 5,
        startup_rva: start("mainCRTStartup") + 5,
    }
}

pub fn crashy_dump(dir: &Path, name: &str, module: &SymModule, c: &Crashy) -> PathBuf {
    let spec = SymDump {
        modules: vec![module.clone()],
        ip: module.base + c.fault_rva,
        sp: 0x0012_f000,
        stack: vec![module.base + c.main_rva, module.base + c.startup_rva],
        thread_id: 42,
        time: 1_700_000_000,
    };
    let path = dir.join(name);
    std::fs::write(&path, build(&spec)).unwrap();
    path
}
