//! The 300-dump Q275494 scenario of issue 15, written to disk by the fixture writers: what a
//! userdump-style first-chance dump tool leaves on an IIS server with remote PerfMon.
//!
//! * inetinfo.exe pid 1234, started 2001-03-12 08:00, raises a counter access violation in
//!   infoctrs.dll (offset 0x1a2b) every 150 seconds from 09:00; Perflib catches each one
//!   (Perflib 1010 "InetInfo" / "infoctrs.DLL", data DWORD C0000005, the NT4 form) and the dump
//!   tool writes a full dump of each.
//! * At 13:01:00 the same instance really crashes in w3svc.dll at `6e001000`; Dr. Watson 4097
//!   logs it (`inetinfo.exe`, date, time, `c0000005`, `6e001000`). Two counter-AV dumps fall
//!   in the five minutes before it.
//! * IIS restarts (pid 1500, 13:02) and the counter AVs go on until 300 are written.
//! * The log (legacy .evt, computer IIS01) starts with Udmpsvc 201 at 08:00 and ends at 22:00.

use std::path::{Path, PathBuf};

use super::evt_writer::{self, ERROR, EvtLayout, EvtRecordSpec, INFORMATION};
use super::synth_dumps::{self, INFOCTRS_BASE, INFOCTRS_OFFSET};

/// How many counter-AV dumps the scenario writes.
pub const COUNTER_AVS: usize = 300;
/// Seconds between two counter AVs.
pub const SPACING: u32 = 150;
/// w3svc.dll base in this scenario, and the address of the real crash (what Dr. Watson logs).
pub const W3SVC_BASE: u64 = 0x6e00_0000;
pub const CRASH_ADDRESS: u64 = 0x6e00_1000;
pub const CRASH_DUMP: &str = "inetinfo_crash_130100.dmp";

/// What was written.
pub struct Volume {
    pub dumps: PathBuf,
    pub log: PathBuf,
    /// File names of the counter-AV dumps written within five minutes before the crash.
    pub before_crash: Vec<String>,
}

fn at(rfc3339: &str) -> u32 {
    synth_dumps::t(rfc3339)
}

/// Write the scenario under `dir` (`dir/dumps/*.dmp`, `dir/logs/Application.evt`).
pub fn write(dir: &Path) -> Volume {
    let dumps = dir.join("dumps");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&dumps).unwrap();
    std::fs::create_dir_all(&logs).unwrap();
    let start = at("2001-03-12T09:00:00Z");
    let crash = at("2001-03-12T13:01:00Z");
    let restart = at("2001-03-12T13:02:00Z");
    let fmt = |t: u32| jiff::Timestamp::from_second(i64::from(t)).unwrap().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();

    // (time, record) pairs, sorted by time before numbering.
    let mut records: Vec<(u32, EvtRecordSpec)> = Vec::new();
    let rec = |t: u32, source: &str, id: u32, ty: u16, strings: &[&str], data: &[u8]| EvtRecordSpec {
        record_number: 0,
        time_generated: t,
        time_written: t,
        event_id: id,
        event_type: ty,
        category: 0,
        source: source.to_owned(),
        computer: "IIS01".to_owned(),
        strings: strings.iter().map(|s| (*s).to_owned()).collect(),
        data: data.to_vec(),
    };
    records.push((
        at("2001-03-12T08:00:00Z"),
        rec(at("2001-03-12T08:00:00Z"), "Udmpsvc", 0x4000_00C9, INFORMATION, &[], &[]),
    ));
    let av = 0xC000_0005u32.to_le_bytes();
    let mut before_crash = Vec::new();
    let mut t = start;
    for i in 0..COUNTER_AVS {
        // Skip the minute of the crash and the restart.
        if (crash..restart + 60).contains(&t) {
            t = restart + 60;
        }
        let (pid, create) = if t < crash { (1234, "2001-03-12T08:00:00Z") } else { (1500, "2001-03-12T13:02:00Z") };
        let spec = synth_dumps::inetinfo_instance(pid, create, &fmt(t), INFOCTRS_BASE + INFOCTRS_OFFSET);
        let name = format!("inetinfo_{:03}_{}.dmp", i + 1, fmt(t).get(11..19).unwrap_or("").replace(':', ""));
        std::fs::write(dumps.join(&name), synth_dumps::build(&spec)).unwrap();
        if t < crash && crash - t <= 300 {
            before_crash.push(name);
        }
        records.push((t, rec(t, "Perflib", 0xC000_03F2, ERROR, &["InetInfo", "infoctrs.DLL"], &av)));
        t += SPACING;
    }
    let mut spec = synth_dumps::inetinfo_instance(1234, "2001-03-12T08:00:00Z", &fmt(crash), CRASH_ADDRESS);
    for m in &mut spec.modules {
        if m.path.ends_with("w3svc.dll") {
            m.base = W3SVC_BASE;
        }
    }
    std::fs::write(dumps.join(CRASH_DUMP), synth_dumps::build(&spec)).unwrap();
    let drwatson = ["inetinfo.exe", "3/12/2001", "13:01:05", "c0000005", "6e001000", "<nosymbols>"];
    records.push((crash + 5, rec(crash + 5, "DrWatson", 0x4000_1001, INFORMATION, &drwatson, &[])));
    let end = at("2001-03-12T22:00:00Z");
    let loadperf = ["InetInfo", "Internet Information Services Global"];
    records.push((end, rec(end, "LoadPerf", 0x4000_03E9, INFORMATION, &loadperf, &[])));

    records.sort_by_key(|(t, _)| *t);
    let records: Vec<EvtRecordSpec> = records
        .into_iter()
        .enumerate()
        .map(|(n, (_, mut r))| {
            r.record_number = n as u32 + 1;
            r
        })
        .collect();
    let file_size = evt_writer::HEADER_SIZE + evt_writer::content_size(&records) + 0x100;
    let bytes =
        evt_writer::write_evt(&records, EvtLayout { file_size, start_offset: evt_writer::HEADER_SIZE, flags: 0 });
    let log = logs.join("Application.evt");
    std::fs::write(&log, bytes).unwrap();
    Volume { dumps, log, before_crash }
}
