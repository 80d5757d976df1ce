//! What `--symbols` costs per dump, and what it costs once per run.
//!
//! * `read_dump/*_without_symbols`: the symbol-free path, for comparison in the same run (it
//!   must not change when symbols exist: `--symbols` absent means no walker and no lookup).
//! * `read_dump_with_symbols/*`: one dump with a shared, warm [`Symbols`] (its module's
//!   symbols already loaded): the per-dump cost of a run over many dumps of one program.
//! * `symbols_first_load/*`: a fresh [`Symbols`] per iteration: locating and parsing the
//!   module's symbol file, paid once per module per run.
//!
//! Inputs: the corpus dump `breakpad__minidump2.dmp` with its real 818 KB Breakpad file from
//! `../shared/corpus/symbols` (skipped with a note when absent), and a dump synthesised for
//! `fixtures/symbols/crashy.pdb` (77 KB PDB).

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use triage::discover::{InputFile, InputKind};
use triage::dump::{read_dump, read_dump_with};
use triage::symbols::{SymbolConfig, Symbols};

fn input(path: &Path) -> InputFile {
    let meta = std::fs::metadata(path).expect("bench input");
    InputFile { path: path.to_path_buf(), len: meta.len(), modified: meta.modified().ok(), kind: InputKind::Minidump }
}

fn config(dir: &Path) -> SymbolConfig {
    triage::config::symbol_config(&[dir.display().to_string()], None, "5s").expect("config").expect("sources")
}

fn symbols(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let crashy = support::symbol_dumps::crashy();
    let crashy_dump = support::symbol_dumps::crashy_dump(tmp.path(), "crashy.dmp", &crashy.module, &crashy);
    let pdbs = tmp.path().join("pdbs");
    std::fs::create_dir(&pdbs).expect("mkdir");
    std::fs::copy(support::symbol_dumps::crashy_pdb(), pdbs.join("crashy.pdb")).expect("copy pdb");

    let mut cases: Vec<(&str, PathBuf, PathBuf)> = vec![("crashy_pdb", crashy_dump, pdbs)];
    let corpus_syms = root.join("../shared/corpus/symbols");
    if corpus_syms.is_dir() {
        cases.insert(0, ("minidump2_sym", root.join("fixtures/dumps/corpus/breakpad__minidump2.dmp"), corpus_syms));
    } else {
        eprintln!("SKIP: ../shared/corpus/symbols absent; benching the PDB only");
    }

    let mut group = c.benchmark_group("read_dump");
    for (name, dump, _) in &cases {
        let input = input(dump);
        group.bench_function(format!("{name}_without_symbols"), |b| b.iter(|| read_dump(black_box(&input))));
    }
    group.finish();

    let mut group = c.benchmark_group("read_dump_with_symbols");
    for (name, dump, syms) in &cases {
        let input = input(dump);
        let shared = Symbols::new(&config(syms), Default::default());
        let facts = read_dump_with(&input, Some(&shared)).expect("reads");
        assert!(facts.signature.is_some() && shared.loads() >= 1, "{name}: {:?}", facts.notes);
        let loads = shared.loads();
        group.bench_function(*name, |b| b.iter(|| read_dump_with(black_box(&input), Some(&shared))));
        assert_eq!(shared.loads(), loads, "{name}: a warm provider loads nothing again");
    }
    group.finish();

    let mut group = c.benchmark_group("symbols_first_load");
    group.sample_size(10);
    for (name, dump, syms) in &cases {
        let input = input(dump);
        let config = config(syms);
        group.bench_function(*name, |b| {
            b.iter(|| {
                let fresh = Symbols::new(&config, Default::default());
                read_dump_with(black_box(&input), Some(&fresh))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, symbols);
criterion_main!(benches);
