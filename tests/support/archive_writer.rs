//! Archives of fixture files in every format triage reads, built in memory with the same crates
//! that read them plus their encoders (zip, sevenz-rust2, cab, tar, flate2, lzma-rust2, ruzstd,
//! bzip2). Tests write them into temporary folders; nothing here is committed except the bomb
//! (see `fixtures/archives/README.md`).

use std::io::{Cursor, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// One file to pack: its path inside the archive (`/`-separated), bytes and modification time.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub bytes: Vec<u8>,
    pub mtime: SystemTime,
}

/// Every file below `root`, named relative to `base` (so `fixtures/dumps/x.dmp` packs as
/// `dumps/x.dmp` with `base = fixtures`), sorted by name.
pub fn entries_below(base: &Path, root: &Path) -> Vec<Entry> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.unwrap();
        if !e.file_type().is_file() {
            continue;
        }
        let name = e.path().strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/");
        let mtime = e.metadata().unwrap().modified().unwrap();
        out.push(Entry { name, bytes: std::fs::read(e.path()).unwrap(), mtime });
    }
    out
}

/// The formats [`pack`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Zip,
    SevenZ,
    Cab,
    Tar,
    TarGz,
    TarXz,
    TarZst,
    TarBz2,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::Zip,
        Format::SevenZ,
        Format::Cab,
        Format::Tar,
        Format::TarGz,
        Format::TarXz,
        Format::TarZst,
        Format::TarBz2,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::SevenZ => "7z",
            Format::Cab => "cab",
            Format::Tar => "tar",
            Format::TarGz => "tar.gz",
            Format::TarXz => "tar.xz",
            Format::TarZst => "tar.zst",
            Format::TarBz2 => "tar.bz2",
        }
    }
}

pub fn pack(format: Format, entries: &[Entry]) -> Vec<u8> {
    match format {
        Format::Zip => zip(entries, zip::CompressionMethod::Deflated),
        Format::SevenZ => sevenz(entries),
        Format::Cab => cab(entries),
        Format::Tar => tar(entries),
        Format::TarGz => gzip(&tar(entries)),
        Format::TarXz => xz(&tar(entries)),
        Format::TarZst => zstd(&tar(entries)),
        Format::TarBz2 => bzip2(&tar(entries)),
    }
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// UTC civil time (zip and cab store DOS times without a zone; triage reads them as UTC).
fn civil(t: SystemTime) -> jiff::civil::DateTime {
    let ts = jiff::Timestamp::from_second(unix_secs(t) as i64).unwrap();
    ts.to_zoned(jiff::tz::TimeZone::UTC).datetime()
}

pub fn zip(entries: &[Entry], method: zip::CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for e in entries {
        let c = civil(e.mtime);
        let time = zip::DateTime::from_date_and_time(
            c.year() as u16,
            c.month() as u8,
            c.day() as u8,
            c.hour() as u8,
            c.minute() as u8,
            c.second() as u8,
        )
        .unwrap_or_default();
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(time)
            .large_file(e.bytes.len() as u64 >= u32::MAX as u64);
        w.start_file(e.name.as_str(), options).unwrap();
        w.write_all(&e.bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn sevenz(entries: &[Entry]) -> Vec<u8> {
    let mut w = sevenz_rust2::ArchiveWriter::new(Cursor::new(Vec::new())).unwrap();
    for e in entries {
        let mut entry = sevenz_rust2::ArchiveEntry::new_file(&e.name);
        // FILETIME: 100 ns since 1601.
        entry.last_modified_date = sevenz_rust2::NtTime::new((unix_secs(e.mtime) + 11_644_473_600) * 10_000_000);
        entry.has_last_modified_date = true;
        w.push_archive_entry(entry, Some(e.bytes.as_slice())).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn cab(entries: &[Entry]) -> Vec<u8> {
    let mut builder = cab::CabinetBuilder::new();
    let folder = builder.add_folder(cab::CompressionType::MsZip);
    for e in entries {
        let c = civil(e.mtime);
        let file = folder.add_file(e.name.replace('/', "\\"));
        if let Ok(dt) = cab_datetime(c) {
            file.set_datetime(dt);
        }
    }
    let mut writer = builder.build(Cursor::new(Vec::new())).unwrap();
    let mut i = 0;
    while let Some(mut fw) = writer.next_file().unwrap() {
        fw.write_all(&entries[i].bytes).unwrap();
        i += 1;
    }
    writer.finish().unwrap().into_inner()
}

fn cab_datetime(c: jiff::civil::DateTime) -> Result<time::PrimitiveDateTime, Box<dyn std::error::Error>> {
    let month = time::Month::try_from(c.month() as u8)?;
    let date = time::Date::from_calendar_date(c.year() as i32, month, c.day() as u8)?;
    let t = time::Time::from_hms(c.hour() as u8, c.minute() as u8, c.second() as u8)?;
    Ok(time::PrimitiveDateTime::new(date, t))
}

pub fn tar(entries: &[Entry]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_ustar();
        h.set_size(e.bytes.len() as u64);
        h.set_mtime(unix_secs(e.mtime));
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, &e.name, e.bytes.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

pub fn xz(data: &[u8]) -> Vec<u8> {
    let mut w = lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6)).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

pub fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

/// Set the "encrypted" flag of every member of a zip (local and central headers), as a
/// ZipCrypto archive has it; the data stays as it is (triage never tries to decrypt).
pub fn mark_zip_encrypted(zip: &mut [u8]) {
    let mut i = 0;
    while i + 10 <= zip.len() {
        match &zip[i..i + 4] {
            b"PK\x03\x04" => zip[i + 6] |= 1,
            b"PK\x01\x02" => zip[i + 8] |= 1,
            _ => {}
        }
        i += 1;
    }
}
