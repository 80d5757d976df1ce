//! A deterministic, structure-aware mutation campaign over every reader of untrusted input.
//!
//! Case `n` picks a reader (round robin), one of its seed files, and a mutation drawn from an
//! RNG seeded by `n` alone, so any case reproduces on its own (`TRIAGE_MUTATION_CASE=n`). The
//! mutations aim at the fields [`fields`] finds in the seed (counts, sizes, offsets, record
//! lengths, binary XML tokens): set to boundary values, aliased across every entry with the same
//! tag (all module names at one string: memory amplification), copied from another field,
//! nudged, truncated at, or shifted by a splice; plus bit flips, zeroed ranges and duplicated
//! blocks. Minidumps are sometimes given a sparse tail to 64 MiB or 4 GiB, which sends them
//! through the large-file reader. Each mutant goes to the reader as a file (the readers work on
//! files) and must give a result or a named failure: a panic (escaped, or caught and reported
//! as `parser_panic`) and an input slower than the hang limit are findings.
//!
//! Adding a reader is one line in [`READERS`]; its fields function may be [`fields::none`].

pub mod fields;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fields::Field;
use rayon::prelude::*;
use triage::discover::{InputFile, InputKind};
use triage::error::Failure;

/// One reader under test.
pub struct Reader {
    pub name: &'static str,
    /// The inputs it reads, as discovery classifies them (seeds are chosen by this).
    pub kind: InputKind,
    pub fields: fn(&[u8]) -> Vec<Field>,
    pub read: fn(&InputFile) -> Result<(), Failure>,
    /// Also try mutants with a sparse tail (the minidump reader has a large-file path).
    pub sparse: bool,
}

fn read_dump(f: &InputFile) -> Result<(), Failure> {
    triage::dump::read_dump(f).map(drop)
}

fn read_log(f: &InputFile) -> Result<(), Failure> {
    triage::events::read_log(f).map(drop)
}

/// Every reader of untrusted input, one line each.
pub const READERS: &[Reader] = &[
    Reader { name: "minidump", kind: InputKind::Minidump, fields: fields::minidump, read: read_dump, sparse: true },
    Reader { name: "userdump", kind: InputKind::Userdump, fields: fields::userdump, read: read_dump, sparse: false },
    Reader { name: "evtx", kind: InputKind::Evtx, fields: fields::evtx, read: read_log, sparse: false },
    Reader { name: "evt", kind: InputKind::Evt, fields: fields::evt, read: read_log, sparse: false },
];

/// A seed file and the fields found in it.
pub struct Seed {
    pub reader: usize,
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub fields: Vec<Field>,
}

/// Every fixture and corpus file some reader reads, in path order.
pub fn seeds() -> Vec<Seed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["fixtures", "../shared/corpus/dumps", "../shared/corpus/evt", "../shared/corpus/evtx"] {
        let dir = root.join(dir);
        if !dir.exists() {
            eprintln!("SKIP: {} is absent; mutating the other seeds only", dir.display());
            continue;
        }
        for e in walkdir::WalkDir::new(&dir).sort_by_file_name().into_iter().filter_map(Result::ok) {
            if !e.file_type().is_file() {
                continue;
            }
            let Ok(bytes) = std::fs::read(e.path()) else { continue };
            let kind = bytes.get(..8).and_then(triage::discover::classify);
            let Some(reader) = READERS.iter().position(|r| Some(r.kind) == kind) else { continue };
            let fields = (READERS[reader].fields)(&bytes);
            out.push(Seed { reader, path: e.path().to_path_buf(), bytes, fields });
        }
    }
    out
}

/// xorshift64*, seeded through splitmix64 so that neighbouring case numbers differ.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

/// One mutated input: the ops that made it, its bytes, and its length on disk (longer than
/// the bytes when it has a sparse tail).
pub struct Mutant {
    pub ops: Vec<String>,
    pub bytes: Vec<u8>,
    pub len: u64,
}

const READ_LIMIT: u64 = 64 * 1024 * 1024;

fn read_field(b: &[u8], f: &Field) -> u64 {
    let mut v = [0u8; 8];
    if let Some(src) = b.get(f.at..f.at + usize::from(f.width)) {
        v[..src.len()].copy_from_slice(src);
    }
    u64::from_le_bytes(v)
}

fn write_field(b: &mut [u8], f: &Field, v: u64) {
    let w = usize::from(f.width);
    if let Some(dst) = b.get_mut(f.at..f.at + w) {
        dst.copy_from_slice(&v.to_le_bytes()[..w]);
    }
}

/// Values that break parsers: boundaries of the width, of the file, and near the current one.
fn interesting(rng: &mut Rng, width: u8, current: u64, len: u64) -> u64 {
    let max = if width >= 8 { u64::MAX } else { (1u64 << (8 * u32::from(width))) - 1 };
    let v = match rng.below(20) {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 4,
        4 => 0x7f,
        5 => 0xff,
        6 => 0x1000,
        7 => 0xffff,
        8 => 0x1_0000,
        9 => max,
        10 => max - 1,
        11 => max / 2,
        12 => max / 2 + 1,
        13 => len,
        14 => len.saturating_sub(1),
        15 => len + 1,
        16 => len.saturating_sub(4),
        17 => current.wrapping_mul(2),
        18 => current / 2,
        _ => current ^ (1 << rng.below(8 * usize::from(width))),
    };
    v & max
}

/// The mutant of case `case` of `seed`.
pub fn mutate(seed: &Seed, case: u64) -> Mutant {
    let mut rng = Rng::new(case);
    let mut b = seed.bytes.clone();
    let mut ops = Vec::new();
    let f = &seed.fields;
    for _ in 0..1 + rng.below(3) {
        if b.is_empty() {
            break;
        }
        let len = b.len() as u64;
        let pick = if f.is_empty() { 64 + rng.below(36) } else { rng.below(100) };
        match pick {
            0..35 => {
                let field = f[rng.below(f.len())];
                let v = interesting(&mut rng, field.width, read_field(&b, &field), len);
                write_field(&mut b, &field, v);
                ops.push(format!("set {}@{}={v:#x}", field.tag, field.at));
            }
            35..45 => {
                // Every entry's copy of this field at once: one value everywhere.
                let field = f[rng.below(f.len())];
                let v = if rng.below(2) == 0 {
                    read_field(&b, &field)
                } else {
                    interesting(&mut rng, field.width, read_field(&b, &field), len)
                };
                let n = f.iter().filter(|g| g.tag == field.tag && g.width == field.width).count();
                for g in f.iter().filter(|g| g.tag == field.tag && g.width == field.width) {
                    write_field(&mut b, g, v);
                }
                ops.push(format!("alias {} x{n}={v:#x}", field.tag));
            }
            45..55 => {
                let (to, from) = (f[rng.below(f.len())], f[rng.below(f.len())]);
                let v = read_field(&b, &from);
                write_field(&mut b, &to, v);
                ops.push(format!("copy {}@{}<-{}@{}", to.tag, to.at, from.tag, from.at));
            }
            55..64 => {
                let field = f[rng.below(f.len())];
                let d = [1u64, 2, 4, 8, 0x10, 0x100, 0x1000][rng.below(7)];
                let cur = read_field(&b, &field);
                let v = if rng.below(2) == 0 { cur.wrapping_add(d) } else { cur.wrapping_sub(d) };
                write_field(&mut b, &field, v);
                ops.push(format!("nudge {}@{}={v:#x}", field.tag, field.at));
            }
            64..74 => {
                let n = 1 + rng.below(8);
                for _ in 0..n {
                    let limit = if rng.below(2) == 0 { b.len().min(4096) } else { b.len() };
                    let i = rng.below(limit);
                    b[i] ^= 1 << rng.below(8);
                }
                ops.push(format!("bitflip x{n}"));
            }
            74..80 => {
                let start = rng.below(b.len());
                let end = (start + 1 + rng.below(4096)).min(b.len());
                b[start..end].fill(0);
                ops.push(format!("zero {start}..{end}"));
            }
            80..86 => {
                let block = [16, 512, 4096, 65536][rng.below(4)].min(b.len() / 2).max(1);
                let (a, c) = (rng.below(b.len() / block) * block, rng.below(b.len() / block) * block);
                let src = b[a..(a + block).min(b.len())].to_vec();
                let end = (c + src.len()).min(b.len());
                b[c..end].copy_from_slice(&src[..end - c]);
                ops.push(format!("duplicate {a}->{c} ({block})"));
            }
            86..93 => {
                let at = if !f.is_empty() && rng.below(2) == 0 {
                    let field = f[rng.below(f.len())];
                    field.at + rng.below(usize::from(field.width) + 1)
                } else {
                    rng.below(b.len())
                };
                b.truncate(at);
                ops.push(format!("truncate@{at}"));
            }
            _ => {
                // Insert or delete bytes at a structure boundary: everything after shifts.
                let at = if f.is_empty() { rng.below(b.len()) } else { f[rng.below(f.len())].at }.min(b.len());
                let n = [1, 2, 4, 8, 12, 64][rng.below(6)];
                if rng.below(2) == 0 {
                    let fill = if rng.below(2) == 0 { 0 } else { 0xff };
                    b.splice(at..at, std::iter::repeat_n(fill, n));
                    ops.push(format!("insert {n}@{at}"));
                } else {
                    let end = (at + n).min(b.len());
                    b.drain(at..end);
                    ops.push(format!("delete {n}@{at}"));
                }
            }
        }
    }
    let mut len = b.len() as u64;
    if READERS[seed.reader].sparse {
        match rng.below(64) {
            0 => len = (1 << 32) + 4096,
            1..8 => len = len.max(READ_LIMIT + rng.below(8192) as u64),
            _ => {}
        }
        if len > b.len() as u64 {
            ops.push(format!("sparse tail to {len}"));
        }
    }
    Mutant { ops, bytes: b, len }
}

/// What happened to one input, for the findings.
#[derive(Debug, Clone)]
pub struct Finding {
    pub case: u64,
    pub reader: &'static str,
    pub seed: String,
    pub ops: String,
    pub detail: String,
    pub elapsed: Duration,
}

/// Per reader: inputs tried, results, failures by code.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub inputs: u64,
    pub ok: u64,
    pub failures: BTreeMap<String, u64>,
}

/// The campaign's result.
#[derive(Debug, Default)]
pub struct Campaign {
    pub inputs: u64,
    pub per_reader: BTreeMap<&'static str, Tally>,
    pub panics: Vec<Finding>,
    pub hangs: Vec<Finding>,
    pub slowest: Option<Finding>,
    pub wall: Duration,
    pub threads: usize,
}

enum Outcome {
    Ok,
    Failed(String),
    Panicked(String),
}

/// Run `cases` over `seeds` in parallel (rayon). An input slower than `hang` is a finding; with
/// `watchdog`, an input still running after ten times that is copied next to the target
/// folder and the process exits, so a true infinite loop cannot stall the campaign.
pub fn run(seeds: &[Seed], cases: std::ops::Range<u64>, hang: Duration, watchdog: bool) -> Campaign {
    let with_seeds: Vec<usize> = (0..READERS.len()).filter(|r| seeds.iter().any(|s| s.reader == *r)).collect();
    assert!(!with_seeds.is_empty(), "no seeds");
    let scratch = tempfile::tempdir().expect("scratch dir");
    let in_flight: Arc<Mutex<BTreeMap<u64, (Instant, PathBuf)>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let dog = watchdog.then(|| {
        let (in_flight, done) = (Arc::clone(&in_flight), Arc::clone(&done));
        std::thread::spawn(move || watch(&in_flight, &done, hang * 10))
    });
    let started = Instant::now();
    let results: Vec<(u64, usize, usize, Mutant, Outcome, Duration)> = cases
        .into_par_iter()
        .map(|case| {
            let reader = with_seeds[(case % with_seeds.len() as u64) as usize];
            let own: Vec<usize> = (0..seeds.len()).filter(|&i| seeds[i].reader == reader).collect();
            let seed = own[((case / with_seeds.len() as u64) % own.len() as u64) as usize];
            let mutant = mutate(&seeds[seed], case);
            let thread = rayon::current_thread_index().unwrap_or(0);
            let path = scratch.path().join(format!("t{thread}.case"));
            write_mutant(&path, &mutant).expect("write scratch file");
            let meta = std::fs::metadata(&path).expect("stat scratch file");
            let input = InputFile {
                path: path.clone(),
                len: meta.len(),
                modified: meta.modified().ok(),
                kind: READERS[reader].kind,
            };
            in_flight.lock().unwrap().insert(case, (Instant::now(), path.clone()));
            let t = Instant::now();
            let result = std::panic::catch_unwind(|| (READERS[reader].read)(&input));
            let elapsed = t.elapsed();
            in_flight.lock().unwrap().remove(&case);
            let outcome = match result {
                Ok(Ok(())) => Outcome::Ok,
                Ok(Err(f)) if f.code == "parser_panic" => Outcome::Panicked(format!("caught: {}", f.message)),
                Ok(Err(f)) if f.message.is_empty() => Outcome::Panicked(format!("{}: empty message", f.code)),
                Ok(Err(f)) => Outcome::Failed(f.code),
                Err(p) => Outcome::Panicked(panic_text(p.as_ref())),
            };
            // Only what the report needs is kept (the mutant's bytes are dropped).
            (case, reader, seed, Mutant { bytes: Vec::new(), ..mutant }, outcome, elapsed)
        })
        .collect();
    done.store(true, Ordering::SeqCst);
    if let Some(dog) = dog {
        let _ = dog.join();
    }
    let mut c = Campaign { wall: started.elapsed(), threads: rayon::current_num_threads(), ..Campaign::default() };
    for (case, reader, seed, mutant, outcome, elapsed) in results {
        let name = READERS[reader].name;
        let finding = |detail: String| Finding {
            case,
            reader: name,
            seed: seeds[seed].path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            ops: mutant.ops.join(", "),
            detail,
            elapsed,
        };
        c.inputs += 1;
        let tally = c.per_reader.entry(name).or_default();
        tally.inputs += 1;
        match outcome {
            Outcome::Ok => tally.ok += 1,
            Outcome::Failed(code) => *tally.failures.entry(code).or_default() += 1,
            Outcome::Panicked(why) => c.panics.push(finding(why)),
        }
        if elapsed > hang {
            c.hangs.push(finding(format!("took {elapsed:.1?}")));
        }
        if c.slowest.as_ref().is_none_or(|s| elapsed > s.elapsed) {
            c.slowest = Some(finding(String::new()));
        }
    }
    c
}

fn write_mutant(path: &Path, m: &Mutant) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    std::io::Write::write_all(&mut &file, &m.bytes)?;
    if m.len > m.bytes.len() as u64 {
        file.set_len(m.len)?;
    }
    Ok(())
}

fn watch(in_flight: &Mutex<BTreeMap<u64, (Instant, PathBuf)>>, done: &AtomicBool, limit: Duration) {
    while !done.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(500));
        let stuck =
            in_flight.lock().unwrap().iter().find(|(_, (t, _))| t.elapsed() > limit).map(|(c, (_, p))| (*c, p.clone()));
        if let Some((case, path)) = stuck {
            let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/mutation-hang-case-{case}.bin"));
            let _ = std::fs::copy(&path, &keep);
            eprintln!("HANG: case {case} still running after {limit:?}; input kept at {}", keep.display());
            std::process::exit(3);
        }
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

impl Campaign {
    /// The report, as printed and recorded in fuzz/README.md.
    pub fn render(&self, peak_rss: u64) -> String {
        let mut s =
            String::from("| reader | inputs | results | named failures (most frequent codes) |\n|---|---|---|---|\n");
        for (name, t) in &self.per_reader {
            let mut codes: Vec<_> = t.failures.iter().collect();
            codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let top: Vec<String> = codes.iter().take(4).map(|(c, n)| format!("{c} {n}")).collect();
            let failed: u64 = t.failures.values().sum();
            s.push_str(&format!("| {name} | {} | {} | {failed}: {} |\n", t.inputs, t.ok, top.join(", ")));
        }
        let slowest = self.slowest.as_ref().map_or(String::new(), |f| {
            format!("{:.2} s (case {}, {} {})", f.elapsed.as_secs_f64(), f.case, f.reader, f.seed)
        });
        s.push_str(&format!(
            "\n{} inputs, {} panics, {} hangs (> limit); slowest input {slowest}; peak RSS {:.0} MiB; {:.0} s on {} threads\n",
            self.inputs,
            self.panics.len(),
            self.hangs.len(),
            peak_rss as f64 / (1024.0 * 1024.0),
            self.wall.as_secs_f64(),
            self.threads
        ));
        for f in self.panics.iter().chain(&self.hangs).take(20) {
            s.push_str(&format!("  case {} {} {} [{}]: {}\n", f.case, f.reader, f.seed, f.ops, f.detail));
        }
        s
    }
}
