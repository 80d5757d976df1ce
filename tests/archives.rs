//! Inputs as users receive them (issue 11): the fixtures packed in every archive format give the
//! same verdicts, buckets and counts as the plain folder; the corpus `.xz` dump is read in place;
//! the Q275494 XML exports give the same verdicts as the `.evtx`; a WER `ReportArchive` folder
//! gives a kept second-chance dump linked to its report and events; damaged, encrypted,
//! oversized and too deeply nested members are named failures and the rest is read.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support::archive_writer::{self, Entry, Format};
use support::{evtx_writer, wer_writer, xml_writer};
use triage::config::ScanConfig;
use triage::model::{Action, Chance, EvidenceSource, Relation};
use triage::report::Report;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scan(paths: &[PathBuf], logs: &[PathBuf]) -> Report {
    triage::pipeline::scan(&ScanConfig::new(paths.to_vec(), logs.to_vec())).unwrap()
}

/// Compare with the committed file, or rewrite it when asked to.
fn check_committed(rel: &str, bytes: &[u8]) {
    let path = root().join("fixtures").join(rel);
    if std::env::var_os("TRIAGE_REGENERATE_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        return;
    }
    let committed = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with TRIAGE_REGENERATE_FIXTURES=1)", path.display()));
    assert!(committed == bytes, "{rel} differs from its generator; regenerate with TRIAGE_REGENERATE_FIXTURES=1");
}

/// A path without the part that depends on where the scan ran: `…/fixtures/dumps/x` and
/// `…/f.zip!/dumps/x` both become `dumps/x`.
fn norm(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    if let Some((_, inner)) = s.split_once(".zip!/").or(s.split_once(".7z!/")).or(s.split_once(".cab!/")) {
        return inner.to_owned();
    }
    if let Some(i) = s.find(".tar")
        && let Some(j) = s[i..].find("!/")
    {
        return s[i + j + 2..].to_owned();
    }
    match s.find("fixtures/") {
        Some(i) => s[i + "fixtures/".len()..].to_owned(),
        None => s,
    }
}

/// What must not change between a folder and an archive of it.
#[derive(Debug, PartialEq)]
struct Outcome {
    dumps: BTreeMap<String, (Action, String, Chance, Option<String>)>,
    buckets: BTreeMap<String, (u64, Action)>,
    failures: Vec<(String, String)>,
    counts: (u64, u64, u64, u64, u64, u64),
}

fn outcome(r: &Report) -> Outcome {
    Outcome {
        dumps: r
            .dumps
            .iter()
            .map(|d| {
                (
                    norm(&d.path),
                    (
                        d.verdict.action,
                        d.verdict.rule.to_string(),
                        d.chance.value,
                        d.bucket.as_deref().map(str::to_owned),
                    ),
                )
            })
            .collect(),
        buckets: r.buckets.iter().map(|b| (b.id.clone(), (b.count, b.action))).collect(),
        failures: {
            let mut f: Vec<_> = r.failures.iter().map(|f| (norm(&f.path), f.code.clone())).collect();
            f.sort();
            f
        },
        counts: (
            r.summary.dumps,
            r.summary.buckets,
            r.summary.delete,
            r.summary.keep,
            r.summary.review,
            r.summary.logs,
        ),
    }
}

#[test]
fn the_corpus_xz_dump_is_read_in_place() {
    let r = scan(&[root().join("fixtures/dumps")], &[root().join("fixtures/logs")]);
    let ff = r
        .dumps
        .iter()
        .find(|d| d.path.ends_with("mozilla__firefox-windows-x86_64.dmp.xz!/mozilla__firefox-windows-x86_64.dmp"))
        .expect("the Firefox dump is read");
    // CATALOG.md: EXCEPTION_BREAKPOINT in xul.dll at +0x38ab264, 3882993 bytes expanded.
    assert_eq!(ff.size, 3_882_993);
    assert_eq!(ff.exception.as_ref().unwrap().code, "0x80000003");
    let module = ff.faulting_module.as_ref().unwrap();
    assert_eq!((module.name.as_str(), module.offset.to_string().as_str()), ("xul.dll", "0x38ab264"));
    let member = ff.archive.as_ref().unwrap();
    assert_eq!(member.member, "mozilla__firefox-windows-x86_64.dmp");
    assert_eq!(member.expanded_bytes, 3_882_993);
    assert_eq!(member.compressed_bytes, Some(442_144));
    assert!(ff.fingerprint.is_none(), "members are never fingerprinted: clean does not touch them");
    assert!(!r.skipped.iter().any(|s| s.path.to_string_lossy().contains("firefox")), "{:?}", r.skipped);
}

#[test]
fn every_archive_format_of_the_fixtures_gives_the_same_outcome_as_the_folder() {
    let plain = outcome(&scan(&[root().join("fixtures/dumps")], &[root().join("fixtures/logs")]));
    assert!(plain.dumps.len() > 20, "{plain:?}");
    let fixtures = root().join("fixtures");
    let mut entries: Vec<Entry> = archive_writer::entries_below(&fixtures, &fixtures.join("dumps"));
    entries.extend(archive_writer::entries_below(&fixtures, &fixtures.join("logs")));
    let dir = tempfile::tempdir().unwrap();
    for format in Format::ALL {
        let path = dir.path().join(format!("fixtures.{}", format.extension()));
        std::fs::write(&path, archive_writer::pack(format, &entries)).unwrap();
        let r = scan(std::slice::from_ref(&path), &[]);
        let got = outcome(&r);
        assert_eq!(got, plain, "{format:?}");
        // Every member path names the archive, and members carry their archive details.
        assert!(
            r.dumps
                .iter()
                .all(|d| d.path.starts_with(&path) || d.path.to_string_lossy().starts_with(&*path.to_string_lossy()))
        );
        assert!(r.dumps.iter().all(|d| d.archive.as_ref().is_some_and(|a| a.archive == path)), "{format:?}");
    }
}

#[test]
fn q275494_xml_exports_give_the_same_verdicts_as_the_evtx() {
    let events = evtx_writer::modern_application_events();
    let wevtutil = xml_writer::wevtutil(&events);
    let viewer = xml_writer::event_viewer(&events);
    check_committed("exports/Application-wevtutil.xml", wevtutil.as_bytes());
    check_committed("exports/Application-eventviewer.xml", viewer.as_bytes());
    let dumps = [root().join("fixtures/dumps/synth")];
    let verdicts = |r: &Report| -> Vec<(String, Action, String, Chance, usize)> {
        r.dumps
            .iter()
            .map(|d| (norm(&d.path), d.verdict.action, d.verdict.rule.to_string(), d.chance.value, d.events.len()))
            .collect()
    };
    let evtx = scan(&dumps, &[root().join("fixtures/logs/Application.evtx")]);
    let dir = tempfile::tempdir().unwrap();
    let utf16 = dir.path().join("Application-ps.xml");
    std::fs::write(&utf16, xml_writer::utf16le(&wevtutil)).unwrap();
    for log in [
        root().join("fixtures/exports/Application-wevtutil.xml"),
        root().join("fixtures/exports/Application-eventviewer.xml"),
        utf16,
    ] {
        let xml = scan(&dumps, std::slice::from_ref(&log));
        assert_eq!(verdicts(&xml), verdicts(&evtx), "{}", log.display());
        let (a, b) = (&xml.logs[0], &evtx.logs[0]);
        assert_eq!(
            (a.records, a.events, &a.counts, a.first_event, a.last_event),
            (b.records, b.events, &b.counts, b.first_event, b.last_event)
        );
    }
    let q = evtx.dumps.iter().filter(|d| d.verdict.rule == "q275494-perflib-counter-av").count();
    assert_eq!(q, 4);
}

#[test]
fn a_wer_report_folder_keeps_a_second_chance_dump_linked_to_its_report_and_events() {
    for (rel, bytes) in wer_writer::fixture_files() {
        check_committed(&format!("wer/{rel}"), &bytes);
    }
    let r = scan(&[root().join("fixtures/wer")], &[]);
    assert_eq!(r.failures, vec![], "{:?}", r.failures);
    assert_eq!(r.dumps.len(), 1);
    let d = &r.dumps[0];
    assert!(d.path.ends_with(format!("{}/memory.hdmp", wer_writer::FOLDER)));
    assert_eq!(d.verdict.action, Action::Keep);
    assert_eq!(d.chance.value, Chance::Second);
    let wer: Vec<_> = d.chance.evidence.iter().filter(|e| e.source == EvidenceSource::WerReport).collect();
    assert_eq!(wer.len(), 1, "{:?}", d.chance.evidence);
    assert!(wer[0].detail.contains("Report.wer APPCRASH"), "{}", wer[0].detail);
    let links: Vec<(&str, u16, Relation)> =
        d.events.iter().map(|e| (e.provider.as_str(), e.event_id, e.relation)).collect();
    assert!(
        links.contains(&("Report.wer", 0, Relation::AttachedFile))
            || links.contains(&("Report.wer", 0, Relation::ReportFolder)),
        "{links:?}"
    );
    // The 1000 names the same process instance (an exact key of its own) and shares the report id.
    assert!(
        links.contains(&("Application Error", 1000, Relation::ProcessInstance))
            || links.contains(&("Application Error", 1000, Relation::ReportId)),
        "{links:?}"
    );
    assert!(links.contains(&("Windows Error Reporting", 1001, Relation::ReportId)), "{links:?}");
    assert_eq!(d.wer_bucket.as_deref(), Some(wer_writer::BUCKET_ID));
    // The same folder zipped: the same links, through the member paths.
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("wer.zip");
    let fixtures = root().join("fixtures");
    std::fs::write(
        &zip,
        archive_writer::pack(Format::Zip, &archive_writer::entries_below(&fixtures, &fixtures.join("wer"))),
    )
    .unwrap();
    let z = scan(&[zip], &[]);
    assert_eq!(z.dumps.len(), 1);
    assert_eq!((z.dumps[0].verdict.action, z.dumps[0].chance.value), (Action::Keep, Chance::Second));
    assert_eq!(z.dumps[0].events.len(), d.events.len());
    assert_eq!(z.dumps[0].wer_bucket.as_deref(), Some(wer_writer::BUCKET_ID));
}

fn synth_entries() -> Vec<Entry> {
    let fixtures = root().join("fixtures");
    archive_writer::entries_below(&fixtures, &fixtures.join("dumps/synth"))
}

fn codes(r: &Report) -> Vec<(String, String)> {
    let mut v: Vec<_> = r.failures.iter().map(|f| (norm(&f.path), f.code.clone())).collect();
    v.sort();
    v
}

#[test]
fn a_damaged_member_is_named_and_the_others_are_read() {
    let entries = synth_entries();
    let n = entries.len() as u64;
    let mut zip = archive_writer::zip(&entries, zip::CompressionMethod::Deflated);
    // Damage the compressed data of the first member (its local header is at 0).
    let name_len = u16::from_le_bytes([zip[26], zip[27]]) as usize;
    let extra_len = u16::from_le_bytes([zip[28], zip[29]]) as usize;
    let data = 30 + name_len + extra_len;
    for b in &mut zip[data + 8..data + 40] {
        *b ^= 0x5a;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("damaged.zip");
    std::fs::write(&p, &zip).unwrap();
    let r = scan(&[p], &[]);
    assert_eq!(
        codes(&r),
        vec![(format!("dumps/synth/{}", entries[0].name.rsplit('/').next().unwrap()), "archive_corrupt".into())]
    );
    assert_eq!(r.summary.dumps, n - 1);
}

#[test]
fn cut_archives_are_named_failures_and_what_came_before_the_cut_is_kept() {
    let entries = synth_entries();
    let dir = tempfile::tempdir().unwrap();
    // A zip cut in half has no central directory: the whole archive is one failure.
    let zip = archive_writer::pack(Format::Zip, &entries);
    let p = dir.path().join("cut.zip");
    std::fs::write(&p, &zip[..zip.len() / 2]).unwrap();
    let r = scan(&[p], &[]);
    assert_eq!(
        codes(&r),
        vec![("cut.zip".to_owned(), "archive_corrupt".to_owned())]
            .into_iter()
            .map(|(_, c)| (norm(&dir.path().join("cut.zip")), c))
            .collect::<Vec<_>>()
    );
    assert_eq!(r.summary.dumps, 0);
    // A .tar.gz cut in half: the members before the cut are read, then one failure.
    let tgz = archive_writer::pack(Format::TarGz, &entries);
    let p = dir.path().join("cut.tar.gz");
    std::fs::write(&p, &tgz[..tgz.len() / 2]).unwrap();
    let r = scan(&[p], &[]);
    assert!(r.summary.dumps > 0 && r.summary.dumps < entries.len() as u64, "{}", r.summary.dumps);
    assert_eq!(r.failures.len(), 1, "{:?}", r.failures);
    assert_eq!(r.failures[0].code, "archive_corrupt");
    // Not an archive at all behind a zip signature.
    let p = dir.path().join("junk.zip");
    std::fs::write(&p, b"PK\x03\x04 this is not a zip archive").unwrap();
    let r = scan(&[p], &[]);
    assert_eq!(r.failures.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), ["archive_corrupt"]);
}

#[test]
fn encrypted_members_are_named_and_not_read() {
    let entries = synth_entries();
    let mut zip = archive_writer::pack(Format::Zip, &entries);
    archive_writer::mark_zip_encrypted(&mut zip);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("secret.zip");
    std::fs::write(&p, &zip).unwrap();
    let r = scan(&[p], &[]);
    assert_eq!(r.summary.dumps, 0);
    assert_eq!(r.failures.len(), entries.len());
    assert!(r.failures.iter().all(|f| f.code == "archive_encrypted"), "{:?}", r.failures);
}

#[test]
fn a_member_declaring_more_than_the_bound_is_refused_unread() {
    let entries = vec![Entry {
        name: "huge.dmp".into(),
        bytes: b"MDMP\x93\xa7\0\0".to_vec(),
        mtime: std::time::SystemTime::UNIX_EPOCH,
    }];
    let mut zip = archive_writer::zip(&entries, zip::CompressionMethod::Stored);
    // Central directory: uncompressed size at +24 of the `PK\1\2` header.
    let cd = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    zip[cd + 24..cd + 28].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.zip");
    std::fs::write(&p, &zip).unwrap();
    let r = scan(&[p], &[]);
    assert_eq!(codes(&r), vec![("huge.dmp".to_owned(), "archive_member_too_large".to_owned())]);
    assert!(r.failures[0].message.contains("declares 4294967280"), "{}", r.failures[0].message);
}

#[test]
fn archives_nest_to_the_bound_and_no_deeper() {
    let dump = synth_entries().into_iter().next().unwrap();
    let mtime = dump.mtime;
    let wrap = |inner: Entry, name: &str| Entry {
        name: name.into(),
        bytes: archive_writer::pack(Format::Zip, &[inner]),
        mtime,
    };
    // depth 1..3 are read; the archive inside the third level is refused.
    let l1 = wrap(dump.clone(), "l1.zip");
    let l2 = wrap(l1, "l2.zip");
    let l3 = wrap(l2, "l3.zip");
    let dir = tempfile::tempdir().unwrap();
    let ok = dir.path().join("ok.zip");
    std::fs::write(&ok, archive_writer::pack(Format::Zip, std::slice::from_ref(&l3))).unwrap();
    let r = scan(std::slice::from_ref(&ok), &[]);
    assert_eq!(r.summary.dumps, 1, "{:?}", r.failures);
    assert!(r.dumps[0].path.to_string_lossy().ends_with(&format!("ok.zip!/l3.zip!/l2.zip!/l1.zip!/{}", dump.name)));
    let deep = dir.path().join("deep.zip");
    std::fs::write(&deep, archive_writer::pack(Format::Zip, &[wrap(l3, "l4.zip")])).unwrap();
    let r = scan(&[deep], &[]);
    assert_eq!(r.summary.dumps, 0);
    assert_eq!(r.failures.len(), 1);
    assert_eq!(r.failures[0].code, "archive_too_deep");
    assert!(r.failures[0].path.to_string_lossy().ends_with("deep.zip!/l4.zip!/l3.zip!/l2.zip!/l1.zip"));
}

#[test]
fn clean_leaves_archives_alone_and_lists_the_members_it_would_have_removed() {
    let fixtures = root().join("fixtures");
    let mut entries = archive_writer::entries_below(&fixtures, &fixtures.join("dumps/synth"));
    entries.extend(archive_writer::entries_below(&fixtures, &fixtures.join("logs")));
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("server42.zip");
    let bytes = archive_writer::pack(Format::Zip, &entries);
    std::fs::write(&zip, &bytes).unwrap();
    let report = dir.path().join("report.json");
    let list = dir.path().join("delete.txt");
    assert_cmd::Command::cargo_bin("triage")
        .unwrap()
        .args(["scan", "--quiet", "--json"])
        .arg(&report)
        .arg("--delete-list")
        .arg(&list)
        .arg(&zip)
        .assert()
        .success();
    // The delete list names the members as the report does.
    let listed = std::fs::read_to_string(&list).unwrap();
    // The four Q275494 counter AVs and the handled C++ throw.
    assert_eq!(listed.lines().count(), 5, "{listed}");
    assert!(listed.lines().all(|l| l.starts_with(&*zip.to_string_lossy()) && l.contains(".zip!/dumps/synth/")));
    assert_eq!(listed.lines().filter(|l| l.contains("inetinfo_q275494_")).count(), 4);
    for apply in [false, true] {
        let mut cmd = assert_cmd::Command::cargo_bin("triage").unwrap();
        cmd.current_dir(dir.path()).arg("clean").arg(&report);
        if apply {
            cmd.args(["--apply", "--delete"]);
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("Left alone: 5 dump(s) flagged delete are inside archives"), "{out}");
        assert!(out.contains("never rewrites an archive"), "{out}");
        assert!(out.starts_with("Nothing to clean outside archives."), "{out}");
        assert!(out.contains("dumps/synth/inetinfo_q275494_1.dmp in "), "{out}");
        assert!(out.contains("bytes compressed"), "{out}");
        assert_eq!(std::fs::read(&zip).unwrap(), bytes, "the archive is untouched");
    }
}
