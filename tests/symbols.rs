//! `--symbols`: stack walks, signatures and signature buckets (issue 12).
//!
//! * The real Breakpad symbols of `breakpad__minidump2.dmp` (in `../shared/corpus/symbols`;
//!   skipped with `SKIP:` when absent) must name `anonymous namespace'::CrashFunction then
//!   `main`, as `minidump-stackwalk --symbols-path` does.
//! * `fixtures/symbols/crashy.pdb` (built from `fixtures/symbols/src/crashy.c`) must work from
//!   a flat folder, a symstore tree, CAB-packed, and from a loopback server.
//! * Synthesised builds of one program crashing in one function share a signature bucket.
//! * Servers that are unreachable, slow or failing are notes on the module, never failures.

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::symbol_dumps::{self, Answer, SymDump, SymFunc, SymModule};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn triage() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_triage"));
    c.env_remove("TRIAGE_SYMBOLS").env("NO_COLOR", "1");
    c
}

/// Run a scan and parse its JSON report.
fn scan_json(args: &[&str]) -> Value {
    let out = triage().arg("scan").args(args).args(["--json", "-", "--quiet"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(ROOT).join("../shared/corpus");
    if dir.join("symbols").is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: ../shared/corpus/symbols absent");
        None
    }
}

fn frame_summary(frames: &Value) -> Vec<(String, String, Option<u64>)> {
    frames
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["module"].as_str().unwrap_or("").to_owned(),
                f["function"].as_str().unwrap_or("").to_owned(),
                f["line"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn minidump2_names_crash_function_then_main() {
    let Some(corpus) = corpus() else { return };
    let dump = corpus.join("dumps/breakpad__minidump2.dmp");
    let report = scan_json(&[dump.to_str().unwrap(), "--symbols", corpus.join("symbols").to_str().unwrap()]);
    let d = &report["dumps"][0];
    let frames = &d["crashing_thread"]["frames"];
    assert_eq!(
        frame_summary(frames)[..2],
        [
            ("test_app.exe".into(), "`anonymous namespace'::CrashFunction".into(), Some(58)),
            ("test_app.exe".into(), "main".into(), Some(65)),
        ]
    );
    assert_eq!(frames[0]["file"], r"c:\test_app.cc");
    assert_eq!(frames[0]["module_offset"], "0x429e");
    assert_eq!(frames[0]["trust"], "context");
    assert_eq!(frames[1]["trust"], "cfi");
    assert_eq!(d["signature"], "`anonymous namespace'::CrashFunction");
    assert_eq!(d["crashing_thread"]["missing_symbols"], serde_json::json!(["kernel32.dll"]));
    let modules = report["symbols"]["modules"].as_array().unwrap();
    let app = modules.iter().find(|m| m["module"] == "test_app.exe").unwrap();
    assert_eq!((app["status"].as_str(), app["format"].as_str()), (Some("loaded"), Some("breakpad")));
    assert_eq!(app["debug_id"], "5A9832E5287241C1838ED98914E9B7FF1");
    // The module bucket does not change with symbols.
    assert_eq!(report["buckets"][0]["title"], "test_app.exe | test_app.exe | 0xc0000005 ACCESS_VIOLATION");

    let out = triage()
        .args(["scan", dump.to_str().unwrap(), "--details", "--group-by", "signature", "--symbols"])
        .arg(corpus.join("symbols"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[@ `anonymous namespace'::CrashFunction ]"), "{text}");
    assert!(text.contains("test_app.exe!main"), "{text}");
}

#[test]
fn without_symbols_the_report_has_no_symbol_fields() {
    let dump = Path::new(ROOT).join("fixtures/dumps/corpus/breakpad__minidump2.dmp");
    let out = triage().args(["scan", dump.to_str().unwrap(), "--json", "-"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for key in ["\"signature\"", "\"crashing_thread\"", "\"symbols\"", "\"group_by\""] {
        assert!(!text.contains(key), "{key} in a scan without --symbols");
    }
}

// --- PDBs --------------------------------------------------------------------------------

use symbol_dumps::{crashy, crashy_dump, crashy_pdb};

fn assert_crashy_frames(report: &Value, format: &str) {
    let d = &report["dumps"][0];
    let frames = &d["crashing_thread"]["frames"];
    let summary = frame_summary(frames);
    assert_eq!(summary[0], ("crashy.exe".into(), "CrashFunction()".into(), Some(14)), "{frames:#}");
    assert_eq!(
        frames[0]["inlines"],
        serde_json::json!([{"function": "write_it(int*)", "file": r"C:\src\crashy.c", "line": 10}])
    );
    assert_eq!(frames[0]["file"], r"C:\src\crashy.c");
    assert_eq!((summary[1].1.as_str(), frames[1]["trust"].as_str()), ("main()", Some("scan")));
    assert_eq!(summary[2].1, "mainCRTStartup()");
    // Inlined calls come first in the signature; neither is on a list.
    assert_eq!(d["signature"], "write_it");
    let m = &report["symbols"]["modules"][0];
    assert_eq!((m["status"].as_str(), m["format"].as_str()), (Some("loaded"), Some(format)), "{m:#}");
}

#[test]
fn flat_pdb_folder() {
    let c = crashy();
    let dir = tempfile::tempdir().unwrap();
    let syms = dir.path().join("pdbs");
    std::fs::create_dir(&syms).unwrap();
    std::fs::copy(crashy_pdb(), syms.join("crashy.pdb")).unwrap();
    let dump = crashy_dump(dir.path(), "crashy.dmp", &c.module, &c);
    let report = scan_json(&[dump.to_str().unwrap(), "--symbols", syms.to_str().unwrap()]);
    assert_crashy_frames(&report, "pdb");
}

#[test]
fn flat_pdb_of_another_build_is_refused() {
    let c = crashy();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crashy_pdb(), dir.path().join("crashy.pdb")).unwrap();
    let mut other = c.module.clone();
    other.guid.0 ^= 1;
    let dump = crashy_dump(dir.path(), "other.dmp", &other, &c);
    let report = scan_json(&[dump.to_str().unwrap(), "--symbols", dir.path().to_str().unwrap()]);
    let m = &report["symbols"]["modules"][0];
    assert_eq!(m["status"], "corrupt");
    assert!(m["notes"][0].as_str().unwrap().contains("PDB is another build"), "{m:#}");
    assert_eq!(report["dumps"][0]["crashing_thread"]["frames"][0]["function"], Value::Null);
    assert_eq!(report["dumps"][0]["signature"], format!("crashy.exe+{:#x}", c.fault_rva));
}

#[test]
fn symstore_tree_plain_and_cab_packed() {
    let c = crashy();
    let pdb = std::fs::read(crashy_pdb()).unwrap();
    for (file, bytes, format) in
        [("crashy.pdb", pdb.clone(), "pdb"), ("crashy.pd_", symbol_dumps::cab_pack("crashy.pdb", &pdb), "pdb_cab")]
    {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("store/crashy.pdb").join(c.module.debug_id());
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(file), &bytes).unwrap();
        let dump = crashy_dump(dir.path(), "crashy.dmp", &c.module, &c);
        let store = dir.path().join("store");
        let report = scan_json(&[dump.to_str().unwrap(), "--symbols", store.to_str().unwrap()]);
        assert_crashy_frames(&report, format);
    }
}

// --- signatures across builds ------------------------------------------------------------

/// Build `n` of "viewer": the crashing function moved from `viewer.exe` into `render.dll`
/// between builds, at another address; both builds crash in `Renderer::Draw`.
fn viewer_build(dir: &Path, syms: &Path, n: u32) -> PathBuf {
    let (module, draw_rva) = match n {
        1 => (
            SymModule {
                path: r"C:\viewer\viewer.exe".into(),
                base: 0x40_0000,
                size: 0x10_000,
                pdb: "viewer.pdb".into(),
                guid: (0x1111_1111, 1, 1, [1; 8]),
                age: 1,
            },
            0x1200,
        ),
        _ => (
            SymModule {
                path: r"C:\viewer\render.dll".into(),
                base: 0x1000_0000,
                size: 0x10_000,
                pdb: "render.pdb".into(),
                guid: (0x2222_2222, 2, 2, [2; 8]),
                age: 3,
            },
            0x3400,
        ),
    };
    let draw = SymFunc { rva: draw_rva, size: 0x40, name: "Renderer::Draw<Canvas>(Canvas &) const", line: 120 };
    let main = SymFunc { rva: 0x1000, size: 0x80, name: "main", line: 7 };
    let funcs = if n == 1 { vec![draw, main] } else { vec![draw] };
    symbol_dumps::write_sym_store(syms, &module, &symbol_dumps::sym_text(&module, r"c:\viewer\render.cc", &funcs));
    let main_module = SymModule { path: r"C:\viewer\viewer.exe".into(), ..module.clone() };
    let mut modules = vec![module.clone()];
    if n != 1 {
        // Build 2's executable has no symbols in the store: frames there stay module+offset.
        modules.insert(
            0,
            SymModule { base: 0x40_0000, pdb: "viewer2.pdb".into(), guid: (3, 3, 3, [3; 8]), ..main_module },
        );
    }
    let spec = SymDump {
        modules,
        ip: module.base + draw_rva + 0x10,
        sp: 0x0012_f000,
        // Return address into viewer.exe's main.
        stack: vec![0x40_1010],
        thread_id: 7,
        time: 1_700_000_000 + n,
    };
    let path = dir.join(format!("viewer_build{n}.dmp"));
    std::fs::write(&path, symbol_dumps::build(&spec)).unwrap();
    path
}

#[test]
fn two_builds_share_a_signature_bucket_and_are_two_module_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let (dumps, syms) = (dir.path().join("dumps"), dir.path().join("syms"));
    std::fs::create_dir_all(&dumps).unwrap();
    viewer_build(&dumps, &syms, 1);
    viewer_build(&dumps, &syms, 2);
    let (d, s) = (dumps.to_str().unwrap(), syms.to_str().unwrap());

    let by_module = scan_json(&[d, "--symbols", s]);
    let titles: Vec<&str> =
        by_module["buckets"].as_array().unwrap().iter().map(|b| b["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    for dump in by_module["dumps"].as_array().unwrap() {
        assert_eq!(dump["signature"], "Renderer::Draw<T>");
        assert_eq!(dump["crashing_thread"]["frames"][0]["line"], 120);
        assert_eq!(dump["crashing_thread"]["frames"][0]["trust"], "context");
    }

    let by_signature = scan_json(&[d, "--symbols", s, "--group-by", "signature"]);
    let buckets = by_signature["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 1, "{buckets:#?}");
    let b = &buckets[0];
    assert_eq!(b["count"], 2);
    assert_eq!(b["group_by"], "signature");
    assert_eq!(b["signature"], "Renderer::Draw<T>");
    assert_eq!(b["module"], "render.dll, viewer.exe");
    assert_eq!(b["title"], "viewer.exe | [@ Renderer::Draw<T> ] | 0xc0000005 ACCESS_VIOLATION");
    assert!(b["id"].as_str().unwrap().starts_with("sig-"));
    assert_eq!(by_signature["inputs"]["group_by"], "signature");

    // Without symbols the signatures are module+offset: two buckets again.
    let no_symbols = scan_json(&[d, "--group-by", "signature"]);
    let sigs: Vec<&str> =
        no_symbols["buckets"].as_array().unwrap().iter().map(|b| b["signature"].as_str().unwrap()).collect();
    assert_eq!(sigs, ["render.dll+0x3410", "viewer.exe+0x1210"]);

    // check compares like with like.
    let baseline = dir.path().join("baseline.json");
    let status = triage()
        .args(["check", "--baseline", baseline.to_str().unwrap(), d, "--update-baseline", "--quiet"])
        .status()
        .unwrap();
    assert!(status.success());
    let out = triage()
        .args(["check", "--baseline", baseline.to_str().unwrap(), d, "--group-by", "signature", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the baseline groups buckets by module, this scan by signature"), "{err}");
}

#[test]
fn user_signature_rules_extend_the_builtin_lists() {
    let dir = tempfile::tempdir().unwrap();
    let (dumps, syms) = (dir.path().join("dumps"), dir.path().join("syms"));
    std::fs::create_dir_all(&dumps).unwrap();
    viewer_build(&dumps, &syms, 1);
    let rules = dir.path().join("sig.toml");
    std::fs::write(&rules, "prefix = ['Renderer::Draw<T>']\n").unwrap();
    let report = scan_json(&[
        dumps.to_str().unwrap(),
        "--symbols",
        syms.to_str().unwrap(),
        "--signature-rules",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(report["dumps"][0]["signature"], "Renderer::Draw<T> | main");

    std::fs::write(&rules, "prefix = ['(']\n").unwrap();
    let out = triage()
        .args(["scan", dumps.to_str().unwrap(), "--signature-rules", rules.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sig.toml:1:11: invalid prefix pattern"));
}

#[test]
fn symbols_are_loaded_once_for_many_dumps() {
    let c = crashy();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        crashy_dump(dir.path(), &format!("crashy_{i:02}.dmp"), &c.module, &c);
    }
    let syms = dir.path().join("pdbs");
    std::fs::create_dir(&syms).unwrap();
    std::fs::copy(crashy_pdb(), syms.join("crashy.pdb")).unwrap();
    let mut config = triage::config::ScanConfig::new(vec![dir.path().to_path_buf()], vec![]);
    config.symbols = triage::config::symbol_config(&[syms.display().to_string()], None, "5s").unwrap();
    let symbols = triage::symbols::Symbols::new(config.symbols.as_ref().unwrap(), Default::default());
    let inventory = triage::discover::discover(&config.paths, &[]);
    use rayon::prelude::*;
    let facts: Vec<_> =
        inventory.dumps.par_iter().map(|f| triage::dump::read_dump_with(f, Some(&symbols)).unwrap()).collect();
    assert_eq!(facts.len(), 40);
    assert!(facts.iter().all(|f| f.signature.as_deref() == Some("write_it")));
    assert_eq!(symbols.loads(), 1, "one module, one load, whatever the number of dumps and workers");
}

// --- symbol servers ----------------------------------------------------------------------

#[test]
fn breakpad_server_download_is_cached_and_reused() {
    let Some(corpus) = corpus() else { return };
    let rel = "/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym";
    let sym = std::fs::read(corpus.join(format!("symbols{rel}"))).unwrap();
    let server =
        symbol_dumps::serve(Answer::Files(HashMap::from([(rel.to_owned(), sym)])), 20, Duration::from_secs(30));
    let cache = tempfile::tempdir().unwrap();
    let dump = corpus.join("dumps/breakpad__minidump2.dmp");
    let path = format!("srv*{}*{}", cache.path().display(), server.url);
    let report = scan_json(&[dump.to_str().unwrap(), "--symbols", &path]);
    assert_eq!(report["dumps"][0]["signature"], "`anonymous namespace'::CrashFunction");
    let app = report["symbols"]["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["module"] == "test_app.exe")
        .unwrap()
        .clone();
    assert_eq!(app["url"], format!("{}{rel}", server.url));
    assert!(cache.path().join(&rel[1..]).is_file());
    // kernel32 was asked for in all three forms; test_app once.
    let asked = server.requests.lock().unwrap().clone();
    assert_eq!(asked.iter().filter(|p| p.starts_with("/test_app.pdb/")).count(), 1, "{asked:?}");
    assert!(asked.iter().any(|p| p.ends_with("/kernel32.pd_")), "{asked:?}");

    // Second run: from the cache, the server is not asked for test_app again.
    let before = server.requests.lock().unwrap().len();
    let again = scan_json(&[dump.to_str().unwrap(), "--symbols", &path]);
    assert_eq!(again["dumps"][0]["signature"], "`anonymous namespace'::CrashFunction");
    let asked = server.requests.lock().unwrap().clone();
    assert!(asked[before..].iter().all(|p| !p.starts_with("/test_app.pdb/")), "{asked:?}");
}

#[test]
fn microsoft_layout_server_with_cab_packed_pdb() {
    let c = crashy();
    let pdb = std::fs::read(crashy_pdb()).unwrap();
    let rel = format!("/crashy.pdb/{}/crashy.pd_", c.module.debug_id());
    let files = HashMap::from([(rel.clone(), symbol_dumps::cab_pack("crashy.pdb", &pdb))]);
    let server = symbol_dumps::serve(Answer::Files(files), 10, Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    let dump = crashy_dump(dir.path(), "crashy.dmp", &c.module, &c);
    let cache = dir.path().join("cache");
    let report =
        scan_json(&[dump.to_str().unwrap(), "--symbols", &format!("cache*{};{}", cache.display(), server.url)]);
    assert_crashy_frames(&report, "pdb_cab");
    assert_eq!(
        *server.requests.lock().unwrap(),
        [rel.replace(".pd_", ".sym"), rel.replace(".pd_", ".pdb"), rel.clone()]
    );
}

/// A run against a server that cannot help: every dump is still reported, frames without
/// names, and the module says why.
fn scan_with_bad_server(answer: Answer, timeout: &str) -> (Value, Vec<String>) {
    let c = crashy();
    let server = symbol_dumps::serve(answer, 10, Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5 {
        crashy_dump(dir.path(), &format!("crashy_{i}.dmp"), &c.module, &c);
    }
    let cache = dir.path().join("cache");
    let path = format!("srv*{}*{}", cache.display(), server.url);
    let report = scan_json(&[dir.path().to_str().unwrap(), "--symbols", &path, "--symbols-timeout", timeout]);
    assert_eq!(report["summary"]["dumps"], 5);
    assert_eq!(report["summary"]["failures"], 0);
    for d in report["dumps"].as_array().unwrap() {
        assert_eq!(d["signature"], format!("crashy.exe+{:#x}", c.fault_rva));
    }
    let requests = server.requests.lock().unwrap().clone();
    (report, requests)
}

#[test]
fn failing_server_is_a_note_and_asked_once() {
    let (report, requests) = scan_with_bad_server(Answer::Status(500), "5s");
    let m = &report["symbols"]["modules"][0];
    assert_eq!(m["status"], "missing");
    assert!(m["notes"][0].as_str().unwrap().ends_with(": HTTP 500; not asked again in this run"), "{m:#}");
    assert_eq!(requests.len(), 1, "{requests:?}");
}

#[test]
fn slow_server_times_out_to_a_note() {
    let (report, requests) = scan_with_bad_server(Answer::Slow(Duration::from_secs(4)), "1s");
    let m = &report["symbols"]["modules"][0];
    assert!(m["notes"][0].as_str().unwrap().contains("timed out after 1s"), "{m:#}");
    assert_eq!(requests.len(), 1, "{requests:?}");
}

#[test]
fn unreachable_server_is_a_note() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = crashy();
    let dir = tempfile::tempdir().unwrap();
    let dump = crashy_dump(dir.path(), "crashy.dmp", &c.module, &c);
    let url = format!("http://127.0.0.1:{port}");
    let report = scan_json(&[dump.to_str().unwrap(), "--symbols", &url]);
    let m = &report["symbols"]["modules"][0];
    assert!(m["notes"][0].as_str().unwrap().starts_with(&format!("{url}: unreachable")), "{m:#}");
    assert_eq!(report["summary"]["failures"], 0);
}

/// The HTML report shows each walked dump's signature and top frames (issue 14: "with symbols,
/// the top frames"), inlined calls first, as the table and markdown do.
#[test]
fn html_report_shows_signature_and_top_frames() {
    let c = crashy();
    let dir = tempfile::tempdir().unwrap();
    let syms = dir.path().join("pdbs");
    std::fs::create_dir(&syms).unwrap();
    std::fs::copy(crashy_pdb(), syms.join("crashy.pdb")).unwrap();
    let dump = crashy_dump(dir.path(), "crashy.dmp", &c.module, &c);
    let out = triage()
        .arg("scan")
        .args([dump.to_str().unwrap(), "--symbols", syms.to_str().unwrap(), "--html", "-", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains("signature <span class=\"raw\">write_it</span>"), "no signature in the page");
    let frames: Vec<&str> = page
        .split("<li class=\"frame\"><span class=\"raw\">")
        .skip(1)
        .map(|rest| rest.split("</span>").next().unwrap())
        .collect();
    assert_eq!(
        frames,
        [
            "#0 crashy.exe!write_it(int*) (inlined) [crashy.c:10]",
            "#0 crashy.exe!CrashFunction() [crashy.c:14]",
            "#1 crashy.exe!main() [crashy.c:19]",
            "#2 crashy.exe!mainCRTStartup() [crashy.c:24]"
        ],
        "{frames:?}"
    );
}
