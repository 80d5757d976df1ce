//! The renderers on a hand-built report: table (plain, details, colour), markdown, JSON
//! (deterministic, round-trips, valid against docs/report.schema.json) and the delete list.

#[path = "support/mod.rs"]
mod support;

use serde_json::Value;
use support::reports::sample_report;
use triage::report::json::render_json;
use triage::report::markdown::render_markdown;
use triage::report::table::{TableOptions, render_table};
use triage::report::{Report, render_delete_list};

fn plain(width: u16, details: bool) -> TableOptions {
    TableOptions::plain(width, details)
}

#[test]
fn table_plain() {
    let out = render_table(&sample_report(), &plain(120, false));
    assert!(!out.contains('\u{1b}'), "no ANSI escapes without colour");
    insta::assert_snapshot!(out);
}

#[test]
fn table_narrow_fits_width() {
    let out = render_table(&sample_report(), &plain(80, false));
    for line in out.lines().filter(|l| l.starts_with(['┌', '│', '├', '└', '╞'])) {
        assert!(line.chars().count() <= 80, "line wider than 80: {line:?}");
    }
    insta::assert_snapshot!(out);
}

#[test]
fn table_details() {
    let out = render_table(&sample_report(), &plain(160, true));
    assert!(out.contains("q275494-perflib-infoctrs"));
    assert!(out.contains("- strong first:"));
    assert!(out.contains("ProcDump:"));
    // No token is split across lines.
    assert!(out.contains("EXCEPTION_ACCESS_VIOLATION_READ") || out.contains("ACCESS_VIOLATION"));
    assert!(!out.contains("EXCEPTION_ACCE "));
    assert!(out.contains("#101"));
    insta::assert_snapshot!(out);
}

#[test]
fn table_colour_only_when_asked() {
    let opts = TableOptions { width: 120, color: true, ..TableOptions::default() };
    let out = render_table(&sample_report(), &opts);
    assert!(out.contains("\u{1b}["), "colour requested: ANSI escapes expected");
}

#[test]
fn table_empty_report() {
    let mut r = sample_report();
    r.buckets.clear();
    r.dumps.clear();
    r.failures.clear();
    r.summary = Default::default();
    let out = render_table(&r, &plain(120, true));
    assert_eq!(
        out,
        "No dumps.\n\n0 dumps in 0 buckets: 0 delete (0 B), 0 keep, 0 review; 0 logs; 0 failures; 0 skipped\n"
    );
}

#[test]
fn markdown_ticket() {
    let out = render_markdown(&sample_report());
    assert!(out.contains("| Bucket id | `b-infoctrs` |"));
    assert!(out.contains("`infoctrs.dll` 5.0.2195.1"));
    // Prose is escaped: `_` renders the same, but no value can start emphasis or markup.
    assert!(out.contains(r"`0xc0000005` ACCESS\_VIOLATION"));
    assert!(out.contains("**delete** by rule `q275494-perflib-infoctrs`"));
    insta::assert_snapshot!(out);
}

#[test]
fn markdown_lists_three_examples_then_more() {
    let mut r = sample_report();
    if let Some(b) = r.buckets.first_mut() {
        b.dumps = (1..=5).map(|i| std::path::PathBuf::from(format!("dumps/x{i}.dmp")).into()).collect();
    }
    let out = render_markdown(&r);
    assert!(out.contains("- `dumps/x3.dmp`"));
    assert!(!out.contains("- `dumps/x4.dmp`"));
    assert!(out.contains("Example dumps (3 of 5):"));
}

#[test]
fn json_is_deterministic_and_round_trips() {
    let r = sample_report();
    let a = render_json(&r, true);
    assert_eq!(a, render_json(&r.clone(), true));
    assert_eq!(a.last(), Some(&b'\n'));
    let back: Report = serde_json::from_slice(&a).unwrap();
    assert_eq!(back, r);
    let v: Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(v["dumps"][1]["exception"]["code"], "0xc0000005");
    // Attention first: the kept crash, then the review, then the deletes.
    assert_eq!(v["buckets"][0]["first_seen"], "2024-03-02T10:15:00Z");
    assert_eq!(v["buckets"][2]["actions"], serde_json::json!({"delete": 2, "keep": 0, "review": 0}));
    assert_eq!(v["dumps"][0]["path"], "dumps/hang/app_hang.dmp");
}

#[test]
fn delete_list_newline_and_nul() {
    let r = sample_report();
    assert_eq!(render_delete_list(&r, false), b"dumps/inetinfo_1.dmp\ndumps/inetinfo_2.dmp\n");
    assert_eq!(render_delete_list(&r, true), b"dumps/inetinfo_1.dmp\0dumps/inetinfo_2.dmp\0");
}

// ---- JSON Schema -------------------------------------------------------------------------

fn schema() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A small validator for the draft 2020-12 keywords docs/report.schema.json uses (`type`,
/// `enum`, `const`, `required`, `properties`, `additionalProperties`, `items`, `$ref` into
/// `$defs`, `anyOf`, `minimum`, `maximum`, `pattern`). An unknown keyword fails the test, so
/// the schema cannot quietly outgrow the validator.
fn validate(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else {
        errors.push(format!("{at}: schema is not an object"));
        return;
    };
    for (k, s) in obj {
        match k.as_str() {
            "$schema" | "$id" | "title" | "description" | "examples" | "$defs" => {}
            "$ref" => {
                let name = s.as_str().and_then(|r| r.strip_prefix("#/$defs/")).unwrap_or("?");
                match root["$defs"].get(name) {
                    Some(def) => validate(root, def, value, at, errors),
                    None => errors.push(format!("{at}: unresolved $ref {s}")),
                }
            }
            "type" => {
                let types: Vec<&str> = match s {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                let ok = types.iter().any(|t| match *t {
                    "object" => value.is_object(),
                    "array" => value.is_array(),
                    "string" => value.is_string(),
                    "integer" => value.is_i64() || value.is_u64(),
                    "number" => value.is_number(),
                    "boolean" => value.is_boolean(),
                    "null" => value.is_null(),
                    _ => false,
                });
                if !ok {
                    errors.push(format!("{at}: {value} is not of type {s}"));
                }
            }
            "enum" => {
                if !s.as_array().is_some_and(|a| a.contains(value)) {
                    errors.push(format!("{at}: {value} not in {s}"));
                }
            }
            "const" => {
                if s != value {
                    errors.push(format!("{at}: {value} != {s}"));
                }
            }
            "required" => {
                for name in s.as_array().into_iter().flatten().filter_map(Value::as_str) {
                    if value.as_object().is_some_and(|o| !o.contains_key(name)) {
                        errors.push(format!("{at}: missing required {name}"));
                    }
                }
            }
            "properties" => {
                if let (Some(props), Some(o)) = (s.as_object(), value.as_object()) {
                    for (name, v) in o {
                        match props.get(name) {
                            Some(p) => validate(root, p, v, &format!("{at}/{name}"), errors),
                            // The schema must document every field the report writes.
                            None if !obj.contains_key("additionalProperties") => {
                                errors.push(format!("{at}: field {name} is not in the schema"))
                            }
                            None => {}
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(o) = value.as_object() {
                    let props = obj.get("properties").and_then(Value::as_object);
                    for (name, v) in o {
                        if !props.is_some_and(|p| p.contains_key(name)) {
                            validate(root, s, v, &format!("{at}/{name}"), errors);
                        }
                    }
                }
            }
            "items" => {
                for (i, v) in value.as_array().into_iter().flatten().enumerate() {
                    validate(root, s, v, &format!("{at}/{i}"), errors);
                }
            }
            "anyOf" => {
                let ok = s.as_array().into_iter().flatten().any(|alt| {
                    let mut e = Vec::new();
                    validate(root, alt, value, at, &mut e);
                    e.is_empty()
                });
                if !ok {
                    errors.push(format!("{at}: {value} matches no alternative of anyOf"));
                }
            }
            "minimum" => {
                if let (Some(min), Some(v)) = (s.as_f64(), value.as_f64())
                    && v < min
                {
                    errors.push(format!("{at}: {v} < {min}"));
                }
            }
            "maximum" => {
                if let (Some(max), Some(v)) = (s.as_f64(), value.as_f64())
                    && v > max
                {
                    errors.push(format!("{at}: {v} > {max}"));
                }
            }
            "pattern" => {
                let re = regex::Regex::new(s.as_str().unwrap_or("")).unwrap();
                if let Some(text) = value.as_str()
                    && !re.is_match(text)
                {
                    errors.push(format!("{at}: {text:?} does not match {re}"));
                }
            }
            other => errors.push(format!("{at}: validator does not know keyword {other}")),
        }
    }
}

fn assert_valid(report: &Report) {
    let schema = schema();
    let value: Value = serde_json::from_slice(&render_json(report, true)).unwrap();
    let mut errors = Vec::new();
    validate(&schema, &schema, &value, "", &mut errors);
    assert!(errors.is_empty(), "report does not match docs/report.schema.json:\n{}", errors.join("\n"));
}

#[test]
fn sample_report_matches_schema() {
    let mut r = sample_report();
    // Exercise the optional shapes too: a fingerprint, a stack-walk attribution, a log row.
    if let Some(d) = r.dumps.first_mut() {
        d.fingerprint = Some(triage::fingerprint::FileFingerprint {
            version: triage::fingerprint::FINGERPRINT_VERSION,
            size: 2048,
            modified: "2024-03-01T09:00:00.123456789Z".parse().unwrap(),
            dev: Some(2049),
            ino: Some(131_074),
            covers: triage::fingerprint::Covers::WholeFile,
            hashed_bytes: 2048,
            blake3: "ab".repeat(32).into(),
        });
        d.faulting_module = Some(triage::report::ModuleRow {
            name: "KERNELBASE.dll".into(),
            path: "C:\\Windows\\System32\\KERNELBASE.dll".into(),
            base: triage::text::Hex64(0x7ff800000000),
            offset: triage::text::Hex64(0x1234),
            version: None,
            unloaded: true,
            attribution: triage::dump::Attribution::StackWalk { frame: 3 },
        });
    }
    r.logs.push(triage::report::LogRow {
        path: "logs/Application.evtx".into(),
        format: triage::events::LogFormat::Evtx,
        records: 10,
        errors: 1,
        first_event: Some(support::reports::ts("2024-03-01T00:00:00Z")),
        last_event: None,
        events: 2,
        counts: [("Microsoft-Windows-Perflib/1010".to_owned(), 2)].into_iter().collect(),
        notes: vec!["file ends inside chunk 3 (512 of 65536 bytes; truncated copy?); 0 records recovered".into()],
        host: None,
    });
    r.skipped.push(triage::discover::Skipped {
        path: "dumps/readme.txt".into(),
        reason: "not a dump".into(),
        host: None,
    });
    assert_valid(&r);
}

#[test]
fn validator_rejects_a_wrong_report() {
    let schema = schema();
    let mut value: Value = serde_json::from_slice(&render_json(&sample_report(), true)).unwrap();
    value["dumps"][0]["verdict"]["action"] = "maybe".into();
    value["buckets"][0]["surprise"] = 1.into();
    let mut errors = Vec::new();
    validate(&schema, &schema, &value, "", &mut errors);
    assert_eq!(errors.len(), 2, "{errors:?}");
}

#[test]
fn real_scan_report_matches_schema() {
    // A real scan of a temp folder (a dump the readers may not parse yet, a non-dump file).
    let dir = tempfile::tempdir().unwrap();
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/dumps/breakpad__null_read_av.dmp");
    match std::fs::read(corpus) {
        Ok(bytes) => std::fs::write(dir.path().join("a.dmp"), bytes).unwrap(),
        Err(_) => eprintln!("SKIP: corpus dump absent; scanning without it"),
    }
    std::fs::write(dir.path().join("broken.dmp"), b"MDMP\x93\xa7").unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"hello").unwrap();
    let config = triage::config::ScanConfig::new(vec![dir.path().to_path_buf()], vec![]);
    let report = triage::pipeline::scan(&config).unwrap();
    assert!(report.summary.dumps + report.summary.failures >= 1);
    assert_valid(&report);
}

#[test]
fn symbols_scan_report_matches_schema() {
    // Signature grouping and a symbolised walk fill every optional symbols field.
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");
    let dump = std::path::Path::new(corpus).join("dumps/breakpad__minidump2.dmp");
    if !dump.exists() {
        eprintln!("SKIP: {} absent", dump.display());
        return;
    }
    let mut config = triage::config::ScanConfig::new(vec![dump], vec![]);
    config.group_by = triage::bucket::GroupBy::Signature;
    config.symbols = triage::config::symbol_config(&[format!("{corpus}/symbols")], None, "5s").unwrap();
    let report = triage::pipeline::scan(&config).unwrap();
    assert!(report.dumps[0].crashing_thread.is_some());
    assert!(report.symbols.is_some());
    assert_valid(&report);
}

#[test]
fn schema_names_every_field() {
    // Belt and braces for fields the sample leaves empty: every struct field name in the model
    // appears as a property somewhere in the schema.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json")).unwrap();
    let model = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/report/mod.rs")).unwrap();
    let re = regex::Regex::new(r"(?m)^    pub ([a-z_0-9]+):").unwrap();
    let mut n = 0;
    for cap in re.captures_iter(&model) {
        let name = &cap[1];
        assert!(text.contains(&format!("\"{name}\":")), "field {name} missing from docs/report.schema.json");
        n += 1;
    }
    assert!(n > 50, "parsed only {n} fields from src/report/mod.rs");
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_match_schema_and_round_trip() {
    use std::os::unix::ffi::OsStrExt;
    let bad = || std::path::PathBuf::from(std::ffi::OsStr::from_bytes(b"dumps/bad\xff.dmp"));
    let mut r = sample_report();
    r.inputs.paths.push(bad());
    r.inputs.rules = Some(bad());
    r.dumps[0].path = bad().into();
    r.dumps.sort_by(|a, b| a.path.cmp(&b.path));
    r.buckets[0].dumps.push(bad().into());
    r.failures[0].path = bad();
    r.skipped.push(triage::discover::Skipped { path: bad(), reason: "not a dump".into(), host: None });
    assert_valid(&r);
    let json = render_json(&r, true);
    let v: Value = serde_json::from_slice(&json).unwrap();
    let raw = serde_json::json!({"lossy": "dumps/bad\u{fffd}.dmp", "unix_bytes": "64756d70732f626164ff2e646d70"});
    assert_eq!(v["inputs"]["paths"], serde_json::json!(["dumps", raw]));
    assert_eq!(v["inputs"]["rules"], raw);
    assert_eq!(v["failures"][0]["path"], raw);
    assert_eq!(v["skipped"][0]["path"], raw);
    let back: Report = serde_json::from_slice(&json).unwrap();
    assert_eq!(back, r);
    // A raw form the schema does not allow: both encodings at once.
    let schema = schema();
    let mut wrong = v.clone();
    wrong["failures"][0]["path"]["windows_utf16"] = "0061".into();
    let mut errors = Vec::new();
    validate(&schema, &schema, &wrong, "", &mut errors);
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn history_and_merge_fields_match_schema() {
    // A report recorded into a history store (so every bucket has `history`) ...
    let dir = tempfile::tempdir().unwrap();
    let mut store = triage::history::Store::open(&dir.path().join("h.sqlite")).unwrap();
    let mut r = sample_report();
    r.host = Some("web01".into());
    let now = support::reports::ts("2026-11-24T10:00:00Z");
    let outcome = triage::history::record(&mut store, &r, now).unwrap();
    triage::history::record::annotate(&mut r, &outcome, store.path());
    assert!(r.buckets.iter().all(|b| b.history.as_ref().is_some_and(|h| h.first_seen == Some(now))));
    assert_valid(&r);
    let value: Value = serde_json::from_slice(&render_json(&r, true)).unwrap();
    assert_eq!(value["buckets"][0]["history"]["status"], "new");
    assert_eq!(value["history"]["run"], 1);

    // ... and a merge of two hosts (hosts on buckets, dumps, logs, failures, skipped; sources).
    let mut other = sample_report();
    other.host = Some("web02".into());
    other.skipped.push(triage::discover::Skipped {
        path: "dumps/readme.txt".into(),
        reason: "not a dump".into(),
        host: None,
    });
    let merged = triage::history::merge::merge(&[
        triage::history::merge::Input { path: "web01.json".into(), report: r },
        triage::history::merge::Input { path: "web02.json".into(), report: other },
    ]);
    assert_valid(&merged);
    let value: Value = serde_json::from_slice(&render_json(&merged, true)).unwrap();
    let infoctrs = value["buckets"].as_array().unwrap().iter().find(|b| b["id"] == "b-infoctrs").unwrap();
    assert_eq!(infoctrs["hosts"], serde_json::json!({"web01": 2, "web02": 2}));
    assert_eq!(value["failures"][0]["host"], "web01");
    assert_eq!(value["skipped"][0]["host"], "web02");
    assert!(value["buckets"][0].get("history").is_none(), "history does not survive a merge");
    // A plain report has none of these fields, so older consumers see what they saw before.
    let plain: Value = serde_json::from_slice(&render_json(&sample_report(), true)).unwrap();
    for key in ["host", "sources", "history"] {
        assert!(plain.get(key).is_none(), "{key}");
    }
    assert!(plain["buckets"][0].get("history").is_none() && plain["dumps"][0].get("host").is_none());
}
