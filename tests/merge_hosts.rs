//! Fleet use: `triage merge` joins host reports into one whose buckets count across hosts (the
//! same counts as one scan over all the folders), and `--format ndjson` loads into DuckDB.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use support::fleet::{copy_dir, triage};

/// A temp folder with `synth/`, `corpus/`, `userdump/` (the fixture dumps) and `logs/`.
fn fleet() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for sub in ["synth", "corpus", "userdump"] {
        copy_dir(&root.join("fixtures/dumps").join(sub), &dir.path().join(sub));
    }
    copy_dir(&root.join("fixtures/logs"), &dir.path().join("logs"));
    dir
}

fn run_ok(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = triage().current_dir(dir).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn read(dir: &Path, file: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap()
}

fn counts(report: &Value) -> BTreeMap<String, u64> {
    report["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_str().unwrap().into(), b["count"].as_u64().unwrap()))
        .collect()
}

#[test]
fn merge_of_two_hosts_counts_like_one_scan_over_both_folders() {
    let dir = fleet();
    let d = dir.path();
    run_ok(
        d,
        &["scan", "synth", "--evtx", "logs", "--quiet", "--host", "web01", "--json", "web01.json", "--format", "json"],
    );
    run_ok(d, &["scan", "corpus", "userdump", "--evtx", "logs", "--quiet", "--host", "web02", "--json", "web02.json"]);
    run_ok(d, &["scan", "synth", "corpus", "userdump", "--evtx", "logs", "--quiet", "--json", "all.json"]);
    run_ok(d, &["merge", "web02.json", "web01.json", "--json", "merged.json"]);
    let (a, b, all, merged) =
        (read(d, "web01.json"), read(d, "web02.json"), read(d, "all.json"), read(d, "merged.json"));
    assert_eq!(a["host"], "web01");

    assert_eq!(counts(&merged), counts(&all), "bucket counts across hosts = one scan over both");
    // Some bucket really spans both hosts (the Q275494 infoctrs.dll noise: synthetic minidumps
    // on one, NT4 user dumps on the other), so this is more than concatenation.
    let q = merged["buckets"].as_array().unwrap().iter().find(|x| x["id"] == "5d02f1f0a615").unwrap();
    assert_eq!(q["hosts"], serde_json::json!({"web01": 4, "web02": 1}));
    assert_eq!(q["count"], 5);
    for key in ["dumps", "buckets", "delete", "keep", "review", "delete_bytes", "total_bytes", "failures"] {
        assert_eq!(merged["summary"][key], all["summary"][key], "summary.{key}");
    }
    assert_eq!(
        merged["summary"]["logs"].as_u64(),
        Some(a["summary"]["logs"].as_u64().unwrap() * 2),
        "each host read the logs"
    );
    // Buckets are in report order, and every member knows its host.
    let ids: Vec<&str> = merged["buckets"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    let all_ids: Vec<&str> = all["buckets"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, all_ids);
    for dump in merged["dumps"].as_array().unwrap() {
        let host = dump["host"].as_str().unwrap();
        let own = if host == "web01" { &a } else { &b };
        assert!(own["dumps"].as_array().unwrap().iter().any(|x| x["path"] == dump["path"]), "{}", dump["path"]);
    }
    let sources: Vec<&str> =
        merged["sources"].as_array().unwrap().iter().map(|s| s["host"].as_str().unwrap()).collect();
    assert_eq!(sources, ["web01", "web02"]);
    assert!(merged.get("host").is_none(), "a merged report belongs to no one host");
    assert_eq!(merged["inputs"]["paths"], serde_json::json!([]));

    // Merging a report twice counts its dumps once.
    run_ok(d, &["merge", "web01.json", "web01.json", "--json", "twice.json"]);
    assert_eq!(counts(&read(d, "twice.json")), counts(&a));

    // The merged report renders, and clean refuses it (no scanned paths to act inside).
    let md = String::from_utf8(run_ok(d, &["merge", "web01.json", "web02.json", "--format", "markdown"])).unwrap();
    assert!(md.contains("| Hosts | `web01` 4, `web02` 1 |"), "{md}");
    let out = triage().current_dir(d).args(["clean", "merged.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_report_without_host_takes_its_file_name() {
    let dir = fleet();
    let d = dir.path();
    run_ok(d, &["scan", "synth", "--quiet", "--json", "old.json"]);
    let mut old = read(d, "old.json");
    old.as_object_mut().unwrap().remove("host");
    std::fs::write(d.join("db07.json"), serde_json::to_vec(&old).unwrap()).unwrap();
    let merged: Value = serde_json::from_slice(&run_ok(d, &["merge", "db07.json", "--format", "json"])).unwrap();
    assert_eq!(merged["sources"][0]["host"], "db07");
    assert!(merged["dumps"].as_array().unwrap().iter().all(|x| x["host"] == "db07"));

    // Reports grouped differently have bucket ids that do not match: refused.
    old["inputs"]["group_by"] = "signature".into();
    std::fs::write(d.join("sig.json"), serde_json::to_vec(&old).unwrap()).unwrap();
    let out = triage().current_dir(d).args(["merge", "db07.json", "sig.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--group-by module and signature"));
}

#[test]
fn ndjson_has_one_typed_line_per_bucket_and_dump() {
    let dir = fleet();
    let d = dir.path();
    let text = String::from_utf8(run_ok(
        d,
        &["scan", "synth", "--evtx", "logs", "--quiet", "--host", "web01", "--format", "ndjson"],
    ))
    .unwrap();
    run_ok(d, &["scan", "synth", "--evtx", "logs", "--quiet", "--host", "web01", "--json", "r.json"]);
    let report = read(d, "r.json");
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("one object a line")).collect();
    let n_buckets = report["buckets"].as_array().unwrap().len();
    let n_dumps = report["dumps"].as_array().unwrap().len();
    assert_eq!(lines.len(), n_buckets + n_dumps);
    assert!(lines[..n_buckets].iter().all(|l| l["type"] == "bucket" && l["host"] == "web01"));
    assert!(lines[n_buckets..].iter().all(|l| l["type"] == "dump" && l["host"] == "web01"));
    assert_eq!(lines[0]["id"], report["buckets"][0]["id"]);
    assert_eq!(lines[n_buckets]["path"], report["dumps"][0]["path"]);
    assert_eq!(lines[n_buckets]["verdict"], report["dumps"][0]["verdict"]);
}

/// The query docs/history.md shows, run in DuckDB (its Python package; `.ci/run` installs it).
#[test]
fn ndjson_loads_into_duckdb() {
    let probe = std::process::Command::new("python3").args(["-c", "import duckdb"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "SKIP: python3 with the duckdb package is not installed (pip install duckdb); ndjson_loads_into_duckdb did not run"
        );
        return;
    }
    let dir = fleet();
    let d = dir.path();
    let web01 = run_ok(d, &["scan", "synth", "--evtx", "logs", "--quiet", "--host", "web01", "--format", "ndjson"]);
    let web02 = run_ok(
        d,
        &["scan", "corpus", "userdump", "--evtx", "logs", "--quiet", "--host", "web02", "--format", "ndjson"],
    );
    std::fs::create_dir_all(d.join("fleet")).unwrap();
    std::fs::write(d.join("fleet/web01.ndjson"), web01).unwrap();
    std::fs::write(d.join("fleet/web02.ndjson"), web02).unwrap();
    run_ok(d, &["scan", "synth", "corpus", "userdump", "--evtx", "logs", "--quiet", "--json", "all.json"]);

    let script = r#"
import duckdb, json
rows = duckdb.sql("""
    SELECT bucket, count(*) AS dumps, count(DISTINCT host) AS hosts, sum(size) AS bytes
    FROM read_json_auto('fleet/*.ndjson')
    WHERE type = 'dump'
    GROUP BY bucket
    ORDER BY dumps DESC, bucket
""").fetchall()
print(json.dumps([list(r) for r in rows]))
"#;
    let out = std::process::Command::new("python3").current_dir(d).args(["-c", script]).output().unwrap();
    assert!(out.status.success(), "duckdb: {}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<(String, u64, u64, u64)> = serde_json::from_slice(&out.stdout).unwrap();
    let all = read(d, "all.json");
    let expect: BTreeMap<String, (u64, u64)> = all["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_str().unwrap().into(), (b["count"].as_u64().unwrap(), b["bytes"].as_u64().unwrap())))
        .collect();
    let got: BTreeMap<String, (u64, u64)> = rows.iter().map(|(b, n, _, bytes)| (b.clone(), (*n, *bytes))).collect();
    assert_eq!(got, expect, "DuckDB's counts per bucket match one scan over both hosts' folders");
    assert_eq!(rows.iter().find(|r| r.0 == "5d02f1f0a615").map(|r| r.2), Some(2), "spans both hosts");
}
