//! `scan --history`: runs recorded into one store mark buckets new, seen, fixed, regressed and
//! muted; dumps are counted once; two scans at once are both recorded; a store that is not
//! usable is refused and left byte-identical. All through the real binary, on copies of the
//! fixtures.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;

use serde_json::Value;
use support::fleet::{
    CPP_BUCKET, CPP_FIXTURE, add_cpp_throw, bucket, history, scan_history, statuses, synth_workspace, triage,
};

#[test]
fn two_runs_over_the_fixtures_new_then_seen_without_double_counting() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    support::fleet::copy_dir(&root.join("fixtures/dumps"), &dir.path().join("dumps"));
    support::fleet::copy_dir(&root.join("fixtures/logs"), &dir.path().join("logs"));

    let first = scan_history(dir.path(), "h.sqlite");
    let buckets = first["buckets"].as_array().unwrap();
    assert!(buckets.len() >= 20, "the fixtures have many buckets, got {}", buckets.len());
    for b in buckets {
        let h = &b["history"];
        assert_eq!(h["status"], "new", "{}", b["id"]);
        assert_eq!(h["runs"], 1);
        assert_eq!(h["dumps"], b["count"], "{}", b["id"]);
        assert_eq!(h["new_dumps"], b["count"]);
    }
    assert_eq!(first["history"]["run"], 1);
    assert_eq!(first["history"]["new"], buckets.len());
    assert_eq!(first["history"]["new_dumps"], first["summary"]["dumps"]);
    assert_eq!(first["host"], "test-host");

    let second = scan_history(dir.path(), "h.sqlite");
    assert_eq!(second["buckets"].as_array().unwrap().len(), buckets.len());
    for b in second["buckets"].as_array().unwrap() {
        let h = &b["history"];
        assert_eq!(h["status"], "seen", "{}", b["id"]);
        assert_eq!(h["runs"], 2);
        // The same files again: not one more dump.
        assert_eq!(h["dumps"], b["count"], "{}", b["id"]);
        assert_eq!(h["new_dumps"], 0);
        let before = &bucket(&first, b["id"].as_str().unwrap())["history"];
        assert_eq!(h["first_seen"], before["first_seen"]);
        assert!(h["last_seen"].as_str() >= before["last_seen"].as_str());
    }
    assert_eq!(second["history"]["run"], 2);
    assert_eq!(second["history"]["seen"], buckets.len());
    assert_eq!(second["history"]["new"], 0);
    assert_eq!(second["history"]["new_dumps"], 0);

    // The table and the markdown say the same.
    let out = triage()
        .current_dir(dir.path())
        .args(["scan", "dumps", "--evtx", "logs", "--quiet", "--history", "h.sqlite"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("┆ history"), "{table}");
    assert!(table.contains("seen: 3 runs"), "{table}");
    assert!(
        table.contains(&format!("History run 3 (h.sqlite): 0 new, {} seen, 0 regressed", buckets.len())),
        "{table}"
    );
}

#[test]
fn a_copied_dump_under_another_name_is_the_same_dump() {
    let dir = synth_workspace();
    scan_history(dir.path(), "h.sqlite");
    let d = dir.path().join("dumps");
    std::fs::create_dir_all(d.join("copy")).unwrap();
    std::fs::copy(d.join(CPP_FIXTURE), d.join("copy/orders_again.dmp")).unwrap();
    let r = scan_history(dir.path(), "h.sqlite");
    let b = bucket(&r, CPP_BUCKET);
    assert_eq!(b["count"], 2, "two files in this run");
    assert_eq!(b["history"]["dumps"], 1, "one dump by content");
    assert_eq!(b["history"]["new_dumps"], 0);
}

#[test]
fn one_new_dump_kind_makes_exactly_that_bucket_new() {
    let dir = synth_workspace();
    let aside = dir.path().join(CPP_FIXTURE);
    std::fs::rename(dir.path().join("dumps").join(CPP_FIXTURE), &aside).unwrap();
    let first = scan_history(dir.path(), "h.sqlite");
    assert!(!statuses(&first).contains_key(CPP_BUCKET));
    scan_history(dir.path(), "h.sqlite");

    std::fs::rename(&aside, dir.path().join("dumps").join(CPP_FIXTURE)).unwrap();
    let third = scan_history(dir.path(), "h.sqlite");
    let s = statuses(&third);
    let new: Vec<&String> = s.iter().filter(|(_, st)| *st == "new").map(|(id, _)| id).collect();
    assert_eq!(new, vec![CPP_BUCKET]);
    assert!(s.iter().filter(|(id, _)| *id != CPP_BUCKET).all(|(_, st)| st == "seen"), "{s:?}");
    assert_eq!(bucket(&third, CPP_BUCKET)["history"]["runs"], 1);
    let h = &bucket(&third, CPP_BUCKET)["history"];
    assert_eq!(h["first_seen"], h["last_seen"], "first seen in this run");
    assert_eq!(third["history"]["new"], 1);
    assert_eq!(third["history"]["new_dumps"], 1);
}

#[test]
fn fixed_then_a_newer_module_version_is_regressed() {
    let dir = synth_workspace();
    scan_history(dir.path(), "h.sqlite");
    assert_eq!(history(dir.path(), "h.sqlite", &["fixed", CPP_BUCKET]), format!("{CPP_BUCKET}: fixed\n"));

    // The same dumps again: the fix explains them.
    let r = scan_history(dir.path(), "h.sqlite");
    assert_eq!(bucket(&r, CPP_BUCKET)["history"]["status"], "fixed");
    // Another crash of the old build (orders.exe 3.1.4.0, as in the fixture): still explained.
    add_cpp_throw(dir.path(), "orders_old_build.dmp", [3, 1, 4, 0], 30);
    let r = scan_history(dir.path(), "h.sqlite");
    let h = &bucket(&r, CPP_BUCKET)["history"];
    assert_eq!((h["status"].as_str(), h["new_dumps"].as_u64()), (Some("fixed"), Some(1)));

    // A newer build crashing the same way: regressed, with both versions.
    add_cpp_throw(dir.path(), "orders_new_build.dmp", [3, 1, 5, 0], 60);
    let r = scan_history(dir.path(), "h.sqlite");
    let h = &bucket(&r, CPP_BUCKET)["history"];
    assert_eq!(h["status"], "regressed");
    assert_eq!(h["version_before"], "3.1.4.0");
    assert_eq!(h["version_after"], "3.1.5.0");
    assert_eq!(r["history"]["regressed"], 1);
    let md = triage()
        .current_dir(dir.path())
        .args(["scan", "dumps", "--evtx", "logs", "--quiet", "--format", "markdown", "--history", "h.sqlite"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("| History | **regressed**: marked fixed (at 3.1.4.0), seen again in 3.1.5.0 |"), "{md}");

    // It stays regressed until someone acts; reopening acknowledges it.
    let r = scan_history(dir.path(), "h.sqlite");
    assert_eq!(bucket(&r, CPP_BUCKET)["history"]["status"], "regressed");
    history(dir.path(), "h.sqlite", &["reopen", CPP_BUCKET]);
    let r = scan_history(dir.path(), "h.sqlite");
    assert_eq!(bucket(&r, CPP_BUCKET)["history"]["status"], "seen");

    // `fixed --in`: the version with the fix and newer regress, older ones do not.
    history(dir.path(), "h.sqlite", &["fixed", &CPP_BUCKET[..6], "--in", "3.2"]);
    add_cpp_throw(dir.path(), "orders_3_1_9.dmp", [3, 1, 9, 0], 90);
    assert_eq!(bucket(&scan_history(dir.path(), "h.sqlite"), CPP_BUCKET)["history"]["status"], "fixed");
    add_cpp_throw(dir.path(), "orders_3_2.dmp", [3, 2, 0, 0], 120);
    let h = bucket(&scan_history(dir.path(), "h.sqlite"), CPP_BUCKET)["history"].clone();
    assert_eq!((h["status"].as_str(), h["version_before"].as_str()), (Some("regressed"), Some("3.2")));
    assert_eq!(h["version_after"], "3.2.0.0");
    assert_eq!(h["fixed_in"], "3.2");
}

#[test]
fn muted_noise_is_never_new_and_tickets_show() {
    let dir = synth_workspace();
    let aside = dir.path().join(CPP_FIXTURE);
    std::fs::rename(dir.path().join("dumps").join(CPP_FIXTURE), &aside).unwrap();
    let first = scan_history(dir.path(), "h.sqlite");
    // Mute a bucket before it ever shows up, link a ticket to one that did.
    assert_eq!(history(dir.path(), "h.sqlite", &["mute", CPP_BUCKET]), format!("{CPP_BUCKET}: muted\n"));
    let inetinfo = "5d02f1f0a615";
    assert!(first["buckets"].as_array().unwrap().iter().any(|b| b["id"] == inetinfo));
    history(dir.path(), "h.sqlite", &["link", inetinfo, "https://tickets.example/Q275494"]);

    std::fs::rename(&aside, dir.path().join("dumps").join(CPP_FIXTURE)).unwrap();
    let r = scan_history(dir.path(), "h.sqlite");
    assert_eq!(bucket(&r, CPP_BUCKET)["history"]["status"], "muted");
    assert_eq!(r["history"]["new"], 0);
    assert_eq!(r["history"]["muted"], 1);
    assert_eq!(bucket(&r, inetinfo)["history"]["ticket"], "https://tickets.example/Q275494");

    let list = history(dir.path(), "h.sqlite", &["list", "--state", "muted"]);
    assert!(list.contains(CPP_BUCKET) && list.contains("1 bucket\n"), "{list}");
    let list = history(dir.path(), "h.sqlite", &["list", "--process", "INETINFO.EXE", "--no-ticket"]);
    assert!(!list.contains(inetinfo), "the linked bucket is filtered out: {list}");
    let show = history(dir.path(), "h.sqlite", &["show", inetinfo]);
    assert!(show.contains("ticket          https://tickets.example/Q275494"), "{show}");
    assert!(show.contains("run 1 ") && show.contains("run 2 "), "{show}");

    let export: Value = serde_json::from_str(&history(dir.path(), "h.sqlite", &["export"])).unwrap();
    assert_eq!(export["history_version"], 1);
    assert_eq!(export["runs"].as_array().unwrap().len(), 2);
    assert_eq!(export["runs"][0]["host"], "test-host");
    let b = export["buckets"].as_array().unwrap().iter().find(|b| b["id"] == CPP_BUCKET).unwrap();
    assert_eq!((b["state"].as_str(), b["runs"].as_u64()), (Some("muted"), Some(1)));

    let forgot = history(dir.path(), "h.sqlite", &["forget", inetinfo]);
    assert_eq!(forgot, "Forgot 1 bucket and 4 dumps.\n");
    let r = scan_history(dir.path(), "h.sqlite");
    assert_eq!(bucket(&r, inetinfo)["history"]["status"], "new");
}

#[test]
fn concurrent_scans_into_one_store_are_both_recorded() {
    let dir = synth_workspace();
    let n = 3;
    let children: Vec<std::process::Child> = (0..n)
        .map(|i| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("triage"))
                .current_dir(dir.path())
                .args(["scan", "dumps", "--evtx", "logs", "--quiet", "--format", "json", "--host"])
                .arg(format!("host{i}"))
                .args(["--history", "shared.sqlite"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let export: Value = serde_json::from_str(&history(dir.path(), "shared.sqlite", &["export"])).unwrap();
    let runs = export["runs"].as_array().unwrap();
    assert_eq!(runs.len(), n);
    let mut hosts: Vec<&str> = runs.iter().map(|r| r["host"].as_str().unwrap()).collect();
    hosts.sort();
    assert_eq!(hosts, ["host0", "host1", "host2"]);
    let total: u64 = runs.iter().map(|r| r["new_buckets"].as_u64().unwrap()).sum();
    let buckets = export["buckets"].as_array().unwrap();
    assert_eq!(total, buckets.len() as u64, "each bucket was new in exactly one run");
    for b in buckets {
        assert_eq!(b["runs"], n as u64, "{}", b["id"]);
        assert_eq!(b["sightings"].as_array().unwrap().len(), n);
    }
    let dumps = export["dumps"].as_array().unwrap().len() as u64;
    let new: u64 = runs.iter().map(|r| r["new_dumps"].as_u64().unwrap()).sum();
    assert_eq!((dumps, new), (runs[0]["dumps"].as_u64().unwrap(), dumps), "dumps counted once");
}

/// Run `scan --history FILE` and `history list --history FILE`; both must exit 2 naming the
/// problem, and the file must not change.
fn assert_refused(dir: &Path, file: &str, expect: &str) {
    let before = std::fs::read(dir.join(file)).unwrap();
    for args in [vec!["scan", "dumps", "--quiet", "--history", file], vec!["history", "list", "--history", file]] {
        let out = triage().current_dir(dir).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
        assert!(stderr.contains("the file was not changed"), "{stderr}");
        assert!(out.stdout.is_empty(), "no scan output when the store is unusable");
    }
    assert!(std::fs::read(dir.join(file)).unwrap() == before, "{file} changed");
}

#[test]
fn unusable_stores_are_refused_and_left_byte_identical() {
    let dir = synth_workspace();
    // Not SQLite at all (say, a dump given by mistake).
    std::fs::copy(dir.path().join("dumps").join(CPP_FIXTURE), dir.path().join("a.dmp")).unwrap();
    assert_refused(dir.path(), "a.dmp", "a.dmp is not a triage history store (no SQLite header)");

    // Someone else's SQLite database.
    rusqlite::Connection::open(dir.path().join("other.db")).unwrap().execute_batch("CREATE TABLE t (x);").unwrap();
    assert_refused(dir.path(), "other.db", "another application's SQLite database");

    // A real store, then damaged past its header.
    scan_history(dir.path(), "damaged.sqlite");
    let p = dir.path().join("damaged.sqlite");
    let mut bytes = std::fs::read(&p).unwrap();
    assert!(bytes.len() > 8192, "store has several pages");
    let page = 4096;
    for b in &mut bytes[page..] {
        *b = 0xA5;
    }
    std::fs::write(&p, &bytes).unwrap();
    assert_refused(dir.path(), "damaged.sqlite", "damaged.sqlite is damaged");

    // Written by a newer triage.
    scan_history(dir.path(), "newer.sqlite");
    rusqlite::Connection::open(dir.path().join("newer.sqlite"))
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    assert_refused(
        dir.path(),
        "newer.sqlite",
        "written by a newer triage (history schema 99, this build knows up to 1)",
    );

    // `history` commands never create a store.
    let out = triage().current_dir(dir.path()).args(["history", "list", "--history", "none.sqlite"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no history store at none.sqlite"));
    assert!(!dir.path().join("none.sqlite").exists());
}

#[test]
fn store_location_from_the_environment() {
    let dir = synth_workspace();
    let env_store = dir.path().join("from-env.sqlite");
    let out = triage()
        .current_dir(dir.path())
        .env("TRIAGE_HISTORY", &env_store)
        .args(["scan", "dumps", "--quiet", "--json", "-", "--history"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(env_store.is_file());
    let path = triage().env("TRIAGE_HISTORY", &env_store).args(["history", "path"]).output().unwrap();
    assert_eq!(String::from_utf8(path.stdout).unwrap(), format!("{}\n", env_store.display()));
    // Without the variable: the platform data folder.
    let path = triage()
        .env_remove("TRIAGE_HISTORY")
        .env("XDG_DATA_HOME", dir.path())
        .args(["history", "path"])
        .output()
        .unwrap();
    if cfg!(target_os = "linux") {
        assert_eq!(
            String::from_utf8(path.stdout).unwrap(),
            format!("{}\n", dir.path().join("triage/history.sqlite").display())
        );
    }
}

#[test]
fn a_writer_waits_for_another_instead_of_failing() {
    // Another connection holds the write lock for a while (as a scan recording 100,000 dumps
    // would); recording meanwhile waits on the busy timeout and then succeeds.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    drop(triage::history::Store::open(&path).unwrap());
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE; INSERT INTO runs (recorded_at, generator, inputs, dumps, buckets, failures) VALUES ('2026-01-01T00:00:00Z', 'other', '{}', 0, 0, 0);").unwrap();
    let p = path.clone();
    let writer = std::thread::spawn(move || {
        let mut store = triage::history::Store::open(&p).unwrap();
        let mut report = support::reports::sample_report();
        report.host = Some("waiting".into());
        triage::history::record(&mut store, &report, "2026-01-01T00:00:01Z".parse().unwrap()).unwrap()
    });
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(!writer.is_finished(), "the writer waits for the lock");
    holder.execute_batch("COMMIT;").unwrap();
    let outcome = writer.join().unwrap();
    assert_eq!(outcome.run, 2, "after the holder's run");
    assert_eq!(outcome.buckets.len(), 3);
    assert!(outcome.buckets.values().all(|h| h.status == triage::report::HistoryStatus::New));
}
