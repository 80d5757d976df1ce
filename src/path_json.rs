//! How a path is written in JSON (report, baseline) so that every name round-trips exactly.
//!
//! A path that is valid UTF-8 is a plain JSON string, byte for byte what it always was. A path
//! that is not (a Unix file name is any bytes but `/` and NUL; a Windows one may hold an unpaired
//! surrogate) cannot be a JSON string, and serde's own `PathBuf` impl fails on it, which used to
//! abort the whole report. Such a path is written as an object:
//!
//! ```json
//! {"lossy": "dumps/bad\ufffd.dmp", "unix_bytes": "64756d70732f626164ff2e646d70"}
//! ```
//!
//! * `lossy`: for people only, invalid bytes replaced by U+FFFD. Never used to name a file.
//! * `unix_bytes`: the exact bytes of the name, lower-case hex (written on Unix).
//! * `windows_utf16`: the exact UTF-16 code units, 4 lower-case hex digits each, big-endian
//!   (written on Windows).
//!
//! Reading gives back the exact `PathBuf`, so `triage clean` and `triage check` act on the very
//! bytes that were scanned. A raw form recorded on the other kind of system cannot name a file
//! here and is refused with an error rather than approximated.
//!
//! Use with `#[serde(with = "crate::path_json")]` on a `PathBuf`, `path_json::vec` on a
//! `Vec<PathBuf>` and `path_json::option` on an `Option<PathBuf>` (with `#[serde(default)]`).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserializer, Serialize, Serializer};

/// Write one path (see the module docs).
pub fn serialize<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    if let Some(s) = path.to_str() {
        return serializer.serialize_str(s);
    }
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry("lossy", &path.to_string_lossy())?;
    let (key, value) = raw_form(path);
    map.serialize_entry(key, &value)?;
    map.end()
}

/// Read one path written by [`serialize`] (or by older versions: a plain string).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
    deserializer.deserialize_any(PathVisitor)
}

#[cfg(unix)]
fn raw_form(path: &Path) -> (&'static str, String) {
    use std::os::unix::ffi::OsStrExt;
    ("unix_bytes", crate::text::hex_bytes(path.as_os_str().as_bytes()))
}

#[cfg(windows)]
fn raw_form(path: &Path) -> (&'static str, String) {
    use std::os::windows::ffi::OsStrExt;
    let units: String = path.as_os_str().encode_wide().map(|u| format!("{u:04x}")).collect();
    ("windows_utf16", units)
}

#[cfg(not(any(unix, windows)))]
fn raw_form(path: &Path) -> (&'static str, String) {
    // No raw form on this platform; the name is written lossily and flagged as such.
    ("lossy_only", path.to_string_lossy().into_owned())
}

#[cfg(unix)]
fn from_unix_bytes(bytes: Vec<u8>) -> Result<PathBuf, String> {
    use std::os::unix::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

#[cfg(not(unix))]
fn from_unix_bytes(_bytes: Vec<u8>) -> Result<PathBuf, String> {
    Err("the path was recorded on Unix as raw bytes and cannot name a file on this system".to_owned())
}

#[cfg(windows)]
fn from_windows_utf16(units: Vec<u16>) -> Result<PathBuf, String> {
    use std::os::windows::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_wide(&units)))
}

#[cfg(not(windows))]
fn from_windows_utf16(_units: Vec<u16>) -> Result<PathBuf, String> {
    Err("the path was recorded on Windows as raw UTF-16 and cannot name a file on this system".to_owned())
}

fn parse_hex(text: &str, digits: usize) -> Option<Vec<u64>> {
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) || !text.len().is_multiple_of(digits) {
        return None;
    }
    (0..text.len()).step_by(digits).map(|i| u64::from_str_radix(text.get(i..i + digits)?, 16).ok()).collect()
}

struct PathVisitor;

impl<'de> Visitor<'de> for PathVisitor {
    type Value = PathBuf;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a path: a string, or an object with `unix_bytes` or `windows_utf16`")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<PathBuf, E> {
        Ok(PathBuf::from(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PathBuf, A::Error> {
        let mut unix: Option<String> = None;
        let mut windows: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "unix_bytes" => unix = Some(map.next_value()?),
                "windows_utf16" => windows = Some(map.next_value()?),
                // `lossy` is for people; unknown keys are ignored like unknown fields elsewhere.
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        let path = match (unix, windows) {
            (Some(hex), None) => {
                let bytes = parse_hex(&hex, 2).ok_or_else(|| de::Error::custom("unix_bytes is not hex bytes"))?;
                from_unix_bytes(bytes.into_iter().map(|b| b as u8).collect())
            }
            (None, Some(hex)) => {
                let units =
                    parse_hex(&hex, 4).ok_or_else(|| de::Error::custom("windows_utf16 is not 4-digit hex units"))?;
                from_windows_utf16(units.into_iter().map(|u| u as u16).collect())
            }
            _ => return Err(de::Error::custom("a raw path needs exactly one of unix_bytes and windows_utf16")),
        };
        path.map_err(de::Error::custom)
    }
}

/// A path in its JSON form, for serializing through containers.
struct AsJson<'a>(&'a Path);

impl Serialize for AsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize(self.0, serializer)
    }
}

/// A path read from its JSON form, for deserializing through containers.
struct FromJson(PathBuf);

impl<'de> serde::Deserialize<'de> for FromJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize(deserializer).map(FromJson)
    }
}

/// `#[serde(with = "crate::path_json::vec")]` for a `Vec<PathBuf>`.
pub mod vec {
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::{AsJson, FromJson};

    pub fn serialize<S: Serializer>(paths: &[PathBuf], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(paths.iter().map(|p| AsJson(p)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<PathBuf>, D::Error> {
        Ok(Vec::<FromJson>::deserialize(deserializer)?.into_iter().map(|p| p.0).collect())
    }
}

/// `#[serde(default, with = "crate::path_json::option")]` for an `Option<PathBuf>`.
pub mod option {
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::{AsJson, FromJson};

    pub fn serialize<S: Serializer>(path: &Option<PathBuf>, serializer: S) -> Result<S::Ok, S::Error> {
        match path {
            Some(p) => serializer.serialize_some(&AsJson(p)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
        Ok(Option::<FromJson>::deserialize(deserializer)?.map(|p| p.0))
    }
}

/// `#[serde(with = "crate::path_json::shared")]` for an `Arc<Path>` (a path many rows share).
pub mod shared {
    use std::path::Path;
    use std::sync::Arc;

    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(path: &Arc<Path>, serializer: S) -> Result<S::Ok, S::Error> {
        super::serialize(path, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<Path>, D::Error> {
        super::deserialize(deserializer).map(Arc::from)
    }
}

/// `#[serde(with = "crate::path_json::shared_vec")]` for a `Vec<Arc<Path>>`.
pub mod shared_vec {
    use std::path::Path;
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::{AsJson, FromJson};

    pub fn serialize<S: Serializer>(paths: &[Arc<Path>], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(paths.iter().map(|p| AsJson(p)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Arc<Path>>, D::Error> {
        Ok(Vec::<FromJson>::deserialize(deserializer)?.into_iter().map(|p| Arc::from(p.0)).collect())
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        #[serde(with = "crate::path_json")]
        path: PathBuf,
        #[serde(default, with = "crate::path_json::vec")]
        paths: Vec<PathBuf>,
        #[serde(default, with = "crate::path_json::option")]
        rules: Option<PathBuf>,
    }

    #[test]
    fn utf8_paths_stay_plain_strings() {
        let row = Row { path: "dumps/a.dmp".into(), paths: vec!["x".into(), "y/z".into()], rules: None };
        let text = serde_json::to_string(&row).unwrap();
        assert_eq!(text, r#"{"path":"dumps/a.dmp","paths":["x","y/z"],"rules":null}"#);
        assert_eq!(serde_json::from_str::<Row>(&text).unwrap(), row);
        // Older reports: a missing list and a missing optional path read as empty.
        let old: Row = serde_json::from_str(r#"{"path":"a"}"#).unwrap();
        assert_eq!(old, Row { path: "a".into(), paths: vec![], rules: None });
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_round_trip_exactly() {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let bad = || PathBuf::from(std::ffi::OsString::from_vec(b"dumps/bad\xff.dmp".to_vec()));
        let row = Row { path: bad(), paths: vec![bad(), "ok".into()], rules: Some(bad()) };
        let text = serde_json::to_string(&row).unwrap();
        let form = r#"{"lossy":"dumps/bad\ufffd.dmp","unix_bytes":"64756d70732f626164ff2e646d70"}"#;
        let form = form.replace("\\ufffd", "\u{fffd}");
        assert_eq!(text, format!(r#"{{"path":{form},"paths":[{form},"ok"],"rules":{form}}}"#));
        let back: Row = serde_json::from_str(&text).unwrap();
        assert_eq!(back.path.as_os_str().as_bytes(), b"dumps/bad\xff.dmp");
        assert_eq!(back, row);
    }

    #[test]
    fn malformed_raw_forms_are_errors() {
        for bad in [
            r#"{"path":{"lossy":"x"}}"#,
            r#"{"path":{"unix_bytes":"6"}}"#,
            r#"{"path":{"unix_bytes":"zz"}}"#,
            r#"{"path":{"unix_bytes":"61","windows_utf16":"0061"}}"#,
            r#"{"path":{"windows_utf16":"061"}}"#,
            r#"{"path":3}"#,
        ] {
            assert!(serde_json::from_str::<Row>(bad).is_err(), "{bad} was accepted");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_windows_raw_form_cannot_name_a_unix_file() {
        let err = serde_json::from_str::<Row>(r#"{"path":{"windows_utf16":"0061d800"}}"#).unwrap_err();
        assert!(err.to_string().contains("recorded on Windows"), "{err}");
    }
}
