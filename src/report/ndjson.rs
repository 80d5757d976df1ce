//! Newline-delimited JSON (`--format ndjson`): one object a line, for loading into an engine
//! that already holds the rest of a fleet's data (DuckDB, ClickHouse, jq; see
//! `docs/history.md`).
//!
//! Each bucket is one line with `"type": "bucket"`, each dump one line with `"type": "dump"`,
//! buckets first, both in report order. A line is the report's own bucket or dump object (the
//! same fields as in `docs/report-schema.md`) plus `type` and `host` (the dump's host in a
//! merged report, else the report's), so a query can join lines from many hosts.

use serde::Serialize;

use super::Report;

#[derive(Serialize)]
struct Line<'a, T> {
    r#type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(flatten)]
    row: &'a T,
}

/// Render the buckets and dumps of `report`, one compact JSON object a line.
pub fn render_ndjson(report: &Report) -> Vec<u8> {
    let mut out = Vec::new();
    let host = report.host.as_deref();
    for b in &report.buckets {
        push(&mut out, &Line { r#type: "bucket", host, row: b });
    }
    for d in &report.dumps {
        // A merged report's dump has its own `host` field; the report has none then.
        let host = if d.host.is_some() { None } else { host };
        push(&mut out, &Line { r#type: "dump", host, row: d });
    }
    out
}

fn push<T: Serialize>(out: &mut Vec<u8>, line: &T) {
    // A report holds only strings, numbers, lists and maps with string keys: it serializes.
    if serde_json::to_writer(&mut *out, line).is_ok() {
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{BucketRow, Inputs, Summary};

    #[test]
    fn one_typed_line_per_bucket_and_dump() {
        let bucket: BucketRow = serde_json::from_value(serde_json::json!({
            "id": "5d02f1f0a615", "title": "t", "process": "inetinfo.exe", "module": "infoctrs.dll",
            "module_version": null, "exception_code": "0xc0000005", "exception_name": null,
            "chance": "first", "action": "delete", "count": 1, "bytes": 2, "first_seen": null,
            "last_seen": null, "dumps": ["a.dmp"]
        }))
        .unwrap();
        let dump =
            serde_json::from_value(serde_json::json!({"path": "a.dmp", "format": "minidump", "size": 2})).unwrap();
        let report = Report {
            schema_version: 1,
            generator: String::new(),
            inputs: Inputs::default(),
            summary: Summary::default(),
            buckets: vec![bucket],
            dumps: vec![dump],
            logs: vec![],
            failures: vec![],
            skipped: vec![],
            host: Some("web01".into()),
            sources: vec![],
            history: None,
            symbols: None,
        };
        let text = String::from_utf8(render_ndjson(&report)).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["type"], "bucket");
        assert_eq!(lines[0]["host"], "web01");
        assert_eq!(lines[0]["id"], "5d02f1f0a615");
        assert_eq!(lines[1]["type"], "dump");
        assert_eq!(lines[1]["host"], "web01");
        assert_eq!(lines[1]["path"], "a.dmp");
        assert!(text.ends_with('\n'));
    }
}
