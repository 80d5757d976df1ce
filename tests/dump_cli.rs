//! End to end: `triage scan fixtures/dumps --json -` and the JSON contract fields.

use assert_cmd::Command;
use serde_json::Value;

fn scan_fixtures() -> Value {
    let out = Command::cargo_bin("triage")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["scan", "fixtures/dumps", "--json", "-"])
        .output()
        .expect("run triage");
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn dump<'a>(report: &'a Value, file: &str) -> &'a Value {
    report["dumps"]
        .as_array()
        .expect("dumps")
        .iter()
        .find(|d| d["path"].as_str().is_some_and(|p| p.ends_with(file)))
        .unwrap_or_else(|| panic!("{file} not in report"))
}

#[test]
fn scan_fixtures_json() {
    let r = scan_fixtures();
    assert!(r["schema_version"].is_number());
    // 13 Windows + 1 Linux corpus dumps, the Firefox dump read from its .xz, 15 synthetic,
    // 3 legacy userdumps; the two malformed ones are failures.
    assert_eq!(r["summary"]["dumps"], 33);
    let failures = r["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 2, "{failures:?}");
    for f in failures {
        assert_eq!(f["code"], "malformed");
        assert_eq!(f["stage"], "dump");
        assert!(f["path"].as_str().is_some_and(|p| p.contains("rust-minidump__invalid-")));
    }
    let paths: Vec<&str> = r["dumps"].as_array().expect("dumps").iter().filter_map(|d| d["path"].as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "dumps sorted by path");

    let d = dump(&r, "breakpad__minidump2.dmp");
    assert_eq!(d["format"], "minidump");
    assert_eq!(d["size"], 11317);
    assert_eq!(d["written_at"], "2007-02-14T19:13:55Z");
    assert_eq!(d["process"]["name"], "test_app.exe");
    assert_eq!(d["process"]["pid"], 3932);
    assert_eq!(d["exception"]["code"], "0xc0000005");
    assert_eq!(d["exception"]["name"], "ACCESS_VIOLATION");
    assert_eq!(d["exception"]["address"], "0x40429e");
    assert_eq!(d["exception"]["thread_id"], 0xbf4);
    assert_eq!(d["faulting_module"]["name"], "test_app.exe");
    assert_eq!(d["faulting_module"]["offset"], "0x429e");
    assert_eq!(d["faulting_module"]["unloaded"], false);
    // Written by Breakpad's unhandled-exception handler: weak second-chance evidence.
    assert_eq!(d["writer"], "breakpad");
    assert_eq!(d["chance"]["value"], "second");
    assert_eq!(d["chance"]["evidence"][0]["source"], "writer");
    assert_eq!(d["chance"]["evidence"][0]["strength"], "weak");

    let d = dump(&r, "procdump_w3wp_second_chance.dmp");
    assert_eq!(d["chance"]["value"], "second");
    assert_eq!(d["chance"]["evidence"][0]["source"], "comment");
    assert_eq!(d["chance"]["evidence"][0]["detail"], "*** Unhandled exception: C0000005.ACCESS_VIOLATION");

    let d = dump(&r, "inetinfo_q275494_2.dmp");
    assert_eq!(d["faulting_module"]["name"], "infoctrs.dll");
    assert_eq!(d["faulting_module"]["offset"], "0x1a2b");
    assert_eq!(d["written_at"], "2001-03-12T09:10:00Z");
    assert_eq!(d["process"]["started_at"], "2001-03-12T08:00:00Z");

    let d = dump(&r, "unloaded_module_av.dmp");
    assert_eq!(d["faulting_module"]["unloaded"], true);

    let d = dump(&r, "breakpad__tiny-exe-fastfail.dmp");
    assert_eq!(d["exception"]["code"], "0xc0000409");
    assert_eq!(d["chance"]["value"], "second");
    assert_eq!(d["chance"]["evidence"][0]["source"], "exception");

    let d = dump(&r, "breakpad__tiny-exe-with-cet-xsave.dmp");
    assert!(d["exception"].is_null());
    assert_eq!(d["chance"]["value"], "none");
    assert_eq!(d["chance"]["evidence"][0]["source"], "no_exception");
}
