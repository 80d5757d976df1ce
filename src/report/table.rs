//! Terminal rendering of a [`Report`] (comfy-table).

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::Report;

/// Render buckets, then failures, then a summary line.
pub fn render_table(report: &Report, details: bool) -> String {
    let mut out = String::new();
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(vec!["bucket", "count", "chance", "action", "bytes"]);
    for b in &report.buckets {
        t.add_row(vec![
            b.title.clone(),
            b.count.to_string(),
            b.chance.to_string(),
            b.action.as_str().to_owned(),
            b.bytes.to_string(),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    if details {
        let mut d = Table::new();
        d.load_preset(UTF8_FULL_CONDENSED);
        d.set_header(vec!["dump", "exception", "module", "chance", "action", "rule"]);
        for row in &report.dumps {
            d.add_row(vec![
                row.path.display().to_string(),
                row.exception.as_ref().map(|e| e.code.clone()).unwrap_or_else(|| "-".into()),
                row.faulting_module.as_ref().map(|m| format!("{}+{}", m.name, m.offset)).unwrap_or_else(|| "-".into()),
                row.chance.value.to_string(),
                row.verdict.action.as_str().to_owned(),
                row.verdict.rule.clone(),
            ]);
        }
        out.push_str(&d.to_string());
        out.push('\n');
    }
    for f in &report.failures {
        out.push_str(&format!("failed: {} [{}] {}\n", f.path.display(), f.code, f.message));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "{} dumps, {} delete ({} bytes), {} keep, {} review; {} logs; {} failures; {} skipped\n",
        s.dumps, s.delete, s.delete_bytes, s.keep, s.review, s.logs, s.failures, s.skipped
    ));
    out
}
