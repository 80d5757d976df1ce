//! The page's tables and per-bucket sections. Every value from the report goes through
//! [`Esc`]; numbers and enum names the renderer formats itself need no escaping.

use std::fmt::Write;

use super::escape::Esc;
use super::{
    BUCKET_ROWS, Ctx, DETAIL_DUMPS, LIST_ROWS, SECTIONS, TIMELINE_BUDGET, anchor, badge, coverage_str, distinct,
    fmt_ts, opt_ts, path_str, short_name, timeline,
};
use crate::chance::Strength;
use crate::report::{BucketRow, DumpRow, Report, human_bytes};

/// The bucket table with its (script-enabled) filter form.
pub fn bucket_table(out: &mut String, ctx: &Ctx) {
    let r = ctx.report;
    let _ = writeln!(out, "<section class=\"part\" id=\"buckets\"><h2>Buckets</h2>");
    if r.buckets.is_empty() {
        let _ = writeln!(out, "<p class=\"note\">No dumps.</p></section>");
        return;
    }
    let rows = &r.buckets[..r.buckets.len().min(BUCKET_ROWS)];
    let _ = writeln!(out, "<form id=\"filters\" class=\"filters\" hidden>");
    let select = |out: &mut String, label: &str, key: &str, values: &std::collections::BTreeSet<&str>| {
        let _ = write!(out, "<label>{label}<select data-filter=\"{key}\"><option value=\"\">all</option>");
        for v in values {
            let _ = write!(out, "<option value=\"{0}\">{0}</option>", Esc(v));
        }
        let _ = writeln!(out, "</select></label>");
    };
    select(out, "Action", "action", &distinct(rows.iter().map(|b| b.action.as_str())));
    select(out, "Chance", "chance", &distinct(rows.iter().map(|b| b.chance.as_str())));
    select(out, "Process", "process", &distinct(rows.iter().map(|b| b.process.as_str())));
    let _ = writeln!(
        out,
        "<label>Module<input type=\"search\" data-filter=\"module\" placeholder=\"name contains…\"></label><output id=\"shown\"></output></form>"
    );
    let _ = writeln!(
        out,
        "<table id=\"bucket-table\" class=\"sortable\"><thead><tr><th data-sort=\"text\">process</th><th data-sort=\"text\">faulting module</th><th data-sort=\"text\">exception</th><th data-sort=\"text\">chance</th><th data-sort=\"text\">action</th><th class=\"num\" data-sort=\"num\">dumps</th><th class=\"num\" data-sort=\"num\">size</th><th data-sort=\"text\">first seen</th><th data-sort=\"text\">last seen</th></tr></thead><tbody>"
    );
    for (i, b) in rows.iter().enumerate() {
        let module = if i < SECTIONS {
            format!("<a href=\"#{}\" title=\"{}\">{}</a>", anchor(b, i), Esc(&b.title), Esc(&b.module))
        } else {
            format!("<span title=\"{}\">{}</span>", Esc(&b.title), Esc(&b.module))
        };
        let _ = writeln!(
            out,
            "<tr class=\"bucket-row\" data-id=\"{}\" data-action=\"{}\" data-chance=\"{}\" data-process=\"{}\" data-module=\"{}\"><td class=\"{}\">{}</td><td class=\"{}\">{module}</td><td>{}</td><td class=\"chance\">{}</td><td data-v=\"{}\">{}</td><td class=\"num\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"time\" data-v=\"{}\">{}</td><td class=\"time\" data-v=\"{}\">{}</td></tr>",
            Esc(&b.id),
            b.action.as_str(),
            b.chance.as_str(),
            Esc(&b.process),
            Esc(&b.module),
            name_class(&b.process),
            Esc(&b.process),
            name_class(&b.module),
            exception(b),
            b.chance.as_str(),
            b.action.as_str(),
            badge(b.action),
            b.count,
            b.bytes,
            human_bytes(b.bytes),
            b.first_seen.map(|t| t.to_string()).unwrap_or_default(),
            opt_short(b.first_seen),
            b.last_seen.map(|t| t.to_string()).unwrap_or_default(),
            opt_short(b.last_seen),
        );
    }
    let _ = writeln!(out, "</tbody></table>");
    if r.buckets.len() > rows.len() {
        let rest = &r.buckets[rows.len()..];
        let _ = writeln!(
            out,
            "<p class=\"note\">… and {} smaller buckets ({} dumps) not listed here: the JSON report has them all.</p>",
            rest.len(),
            rest.iter().map(|b| b.count).sum::<u64>()
        );
    }
    let _ = writeln!(out, "</section>");
}

/// `0xc0000005 ACCESS_VIOLATION_READ` (the full name in a tooltip), or `none`.
fn exception(b: &BucketRow) -> String {
    match (&b.exception_code, &b.exception_name) {
        (Some(c), Some(n)) => {
            let short = n.strip_prefix("EXCEPTION_").unwrap_or(n);
            format!("<span title=\"{}\">{} {}</span>", Esc(n), Esc(c), Esc(short))
        }
        (Some(c), None) => Esc(c).to_string(),
        _ => "none".to_owned(),
    }
}

/// Short names stay on one line; long (possibly hostile) ones may break anywhere.
fn name_class(name: &str) -> &'static str {
    if name.chars().count() <= 24 { "raw nw" } else { "raw" }
}

fn opt_short(t: Option<jiff::Timestamp>) -> String {
    t.map_or_else(|| "–".to_owned(), |t| t.strftime("%Y-%m-%d %H:%MZ").to_string())
}

/// The dumps flagged `delete`, with the bytes they would free.
pub fn delete_list(out: &mut String, r: &Report) {
    let rows: Vec<&DumpRow> = r.delete_rows().collect();
    let bytes: u64 = rows.iter().map(|d| d.size).sum();
    let _ = writeln!(out, "<section class=\"part\" id=\"delete\"><h2>Flagged delete</h2>");
    if rows.is_empty() {
        let _ = writeln!(out, "<p class=\"note\">No dump is flagged delete.</p></section>");
        return;
    }
    let _ = writeln!(
        out,
        "<p><strong>{} dumps, {} ({bytes} bytes) would be freed.</strong> <code>triage clean REPORT.json</code> shows the plan; <code>--apply</code> moves them to quarantine.</p>",
        rows.len(),
        human_bytes(bytes)
    );
    // A long list folds away (it stays readable without a script: <details> is plain HTML).
    let open = if rows.len() <= 50 { " open" } else { "" };
    let _ = writeln!(
        out,
        "<details class=\"list\"{open}><summary>{} flagged dumps{}</summary>",
        rows.len(),
        if rows.len() > LIST_ROWS { format!(", the first {LIST_ROWS} listed") } else { String::new() }
    );
    let _ = writeln!(
        out,
        "<table id=\"delete-table\" class=\"sortable\"><thead><tr><th data-sort=\"text\">dump</th><th class=\"num\" data-sort=\"num\">size</th><th data-sort=\"text\">written</th><th data-sort=\"text\">rule</th></tr></thead><tbody>"
    );
    for d in rows.iter().take(LIST_ROWS) {
        let _ = writeln!(
            out,
            "<tr class=\"delete-row\"><td class=\"raw\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"time\">{}</td><td class=\"raw\">{}</td></tr>",
            Esc(&path_str(&d.path)),
            d.size,
            human_bytes(d.size),
            opt_ts(d.written_at),
            Esc(&d.verdict.rule)
        );
    }
    let _ = writeln!(out, "</tbody></table></details>");
    if rows.len() > LIST_ROWS {
        let _ = writeln!(
            out,
            "<p class=\"note\">… and {} more: <code>triage scan … --delete-list FILE</code> writes the full list.</p>",
            rows.len() - LIST_ROWS
        );
    }
    let _ = writeln!(out, "</section>");
}

/// One section per bucket (the largest [`SECTIONS`]): facts, timeline, dump details.
pub fn bucket_sections(out: &mut String, ctx: &Ctx) {
    let r = ctx.report;
    let _ = writeln!(out, "<section class=\"part\" id=\"details\"><h2>Buckets in detail</h2>");
    legend(out, r.inputs.window_secs);
    let mut timeline_bytes = 0;
    for (i, b) in r.buckets.iter().take(SECTIONS).enumerate() {
        let id = anchor(b, i);
        let _ = writeln!(
            out,
            "<article class=\"bucket\" id=\"{id}\" data-bucket=\"{}\"><h3>{}</h3>",
            Esc(&b.id),
            Esc(&b.title)
        );
        facts(out, b);
        if timeline_bytes < TIMELINE_BUDGET {
            let before = out.len();
            timeline::render(out, ctx, b, &id);
            timeline_bytes += out.len() - before;
        } else {
            let _ = writeln!(
                out,
                "<p class=\"note\">Timeline left out: this page already draws as many timelines as it can stay small with.</p>"
            );
        }
        dump_details(out, ctx, b);
        let _ = writeln!(out, "</article>");
    }
    if r.buckets.len() > SECTIONS {
        let _ = writeln!(
            out,
            "<p class=\"note\">The {} smaller buckets have no section here; <code>--format markdown</code> and the JSON report describe every bucket.</p>",
            r.buckets.len() - SECTIONS
        );
    }
    let _ = writeln!(out, "</section>");
}

fn legend(out: &mut String, window: u64) {
    let mark = |id: &str, class: &str, label: &str| {
        format!(
            "<span><svg viewBox=\"0 0 12 12\" aria-hidden=\"true\"><use href=\"#{id}\" class=\"{class}\" width=\"12\" height=\"12\"/></svg>{label}</span>"
        )
    };
    let _ = writeln!(
        out,
        "<div class=\"legend\" aria-label=\"Legend\">{}{}{}{}{}{}{}<span><span class=\"swatch sw-band\"></span>log coverage (± {window} s window lighter)</span><span><span class=\"swatch sw-cov\"></span>time some log covers</span><span>faded: same process, other bucket</span></div>",
        mark("m-delete", "v-delete", "dump: delete"),
        mark("m-keep", "v-keep", "dump: keep"),
        mark("m-review", "v-review", "dump: review"),
        mark("e-crash", "c-crash", "event: crash"),
        mark("e-handled", "c-handled", "event: handled (Perflib)"),
        mark("e-service", "c-service", "event: dump service"),
        mark("e-other", "c-other", "event: other"),
    );
}

fn facts(out: &mut String, b: &BucketRow) {
    let module = match &b.module_version {
        Some(v) => format!("<span class=\"raw\">{}</span> {}", Esc(&b.module), Esc(v)),
        None => format!("<span class=\"raw\">{}</span>", Esc(&b.module)),
    };
    let exception = exception(b);
    let _ = writeln!(out, "<dl class=\"facts\">");
    let fact = |out: &mut String, k: &str, v: &str| {
        let _ = writeln!(out, "<div><dt>{k}</dt><dd>{v}</dd></div>");
    };
    fact(out, "action", &badge(b.action));
    fact(out, "chance", b.chance.as_str());
    fact(out, "dumps", &format!("{} ({})", b.count, human_bytes(b.bytes)));
    fact(out, "process", &format!("<span class=\"raw\">{}</span>", Esc(&b.process)));
    fact(out, "module", &module);
    fact(out, "exception", &exception);
    fact(out, "seen", &format!("{} – {}", opt_ts(b.first_seen), opt_ts(b.last_seen)));
    fact(out, "bucket id", &format!("<span class=\"raw\">{}</span>", Esc(&b.id)));
    let _ = writeln!(out, "</dl>");
}

fn dump_details(out: &mut String, ctx: &Ctx, b: &BucketRow) {
    let members = ctx.members(b);
    let _ = writeln!(
        out,
        "<table class=\"compact dumps\"><thead><tr><th>dump</th><th>verdict and rule</th><th>chance and evidence</th><th>events</th><th>facts</th></tr></thead><tbody>"
    );
    for d in members.iter().take(DETAIL_DUMPS) {
        let _ = write!(
            out,
            "<tr class=\"dump-row\" data-path=\"{}\" data-verdict=\"{}\"><td><span class=\"raw\">{}</span><br><span class=\"muted\">{} · {}</span></td>",
            Esc(&path_str(&d.path)),
            d.verdict.action.as_str(),
            Esc(&path_str(&d.path)),
            opt_ts(d.written_at),
            human_bytes(d.size)
        );
        let _ = write!(
            out,
            "<td>{} <span class=\"raw\">{}</span><br>{}</td>",
            badge(d.verdict.action),
            Esc(&d.verdict.rule),
            Esc(&d.verdict.reason)
        );
        let conflict = if d.chance.conflict { " (conflicting evidence)" } else { "" };
        let _ = write!(out, "<td><strong>{}</strong>{conflict}<ul class=\"evidence\">", d.chance.value.as_str());
        for e in &d.chance.evidence {
            let strength = if e.strength == Strength::Strong { "strong" } else { "weak" };
            let _ = write!(out, "<li>{strength} {}: {}</li>", e.indicates.as_str(), Esc(&e.detail));
        }
        let _ = write!(out, "</ul></td><td><ul class=\"ev\">");
        for e in &d.events {
            let _ = write!(
                out,
                "<li>{} {} at {} <span class=\"muted\">({}, <span class=\"raw\">{}</span> #{})</span></li>",
                Esc(short_name(&e.provider)),
                e.event_id,
                fmt_ts(e.time),
                e.relation.as_str(),
                Esc(crate::text::file_name(&path_str(&e.log))),
                e.record_id
            );
        }
        if d.events.is_empty() {
            let _ = write!(out, "<li class=\"muted\">none</li>");
        }
        let _ = write!(out, "</ul></td><td>log coverage: {}", coverage_str(d.log_coverage));
        if let Some(p) = &d.process.name {
            let pid = d.process.pid.map(|p| format!(" pid {p}")).unwrap_or_default();
            let _ = write!(out, "<br>process <span class=\"raw\">{}</span>{pid}", Esc(p));
        }
        if let Some(m) = &d.faulting_module {
            let _ = write!(out, "<br>module <span class=\"raw\">{}+{}</span>", Esc(&m.name), m.offset);
        }
        if let Some(c) = &d.comment {
            let _ = write!(out, "<br>comment <span class=\"raw\">{}</span>", Esc(c));
        }
        if let Some(sig) = &d.signature {
            let _ = write!(out, "<br>signature <span class=\"raw\">{}</span>", Esc(sig));
        }
        if let Some(thread) = &d.crashing_thread {
            let _ = write!(out, "<ul class=\"frames\">");
            for line in thread.frames.iter().flat_map(crate::report::frame_lines).take(crate::report::TOP_FRAMES) {
                let _ = write!(out, "<li class=\"frame\"><span class=\"raw\">{}</span></li>", Esc(&line));
            }
            let _ = write!(out, "</ul>");
        }
        for n in &d.notes {
            let _ = write!(out, "<br>note: {}", Esc(n));
        }
        let _ = writeln!(out, "</td></tr>");
    }
    let _ = writeln!(out, "</tbody></table>");
    if members.len() > DETAIL_DUMPS {
        let _ = writeln!(
            out,
            "<p class=\"note\">… and {} more dumps in this bucket: the JSON report has each one's evidence.</p>",
            members.len() - DETAIL_DUMPS
        );
    }
}

/// The logs read, with the span each covers.
pub fn logs(out: &mut String, r: &Report) {
    let _ = writeln!(out, "<section class=\"part\" id=\"logs\"><h2>Logs</h2>");
    if r.logs.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"note\">No event logs were read: no dump can be correlated, and none is covered.</p></section>"
        );
        return;
    }
    let _ = writeln!(
        out,
        "<table id=\"log-table\" class=\"sortable\"><thead><tr><th data-sort=\"text\">log</th><th data-sort=\"text\">format</th><th class=\"num\" data-sort=\"num\">records</th><th class=\"num\" data-sort=\"num\">damaged</th><th class=\"num\" data-sort=\"num\">crash events</th><th data-sort=\"text\">first event</th><th data-sort=\"text\">last event</th><th>notes</th></tr></thead><tbody>"
    );
    for l in r.logs.iter().take(LIST_ROWS) {
        let format = match l.format {
            crate::events::LogFormat::Evtx => "evtx",
            crate::events::LogFormat::Evt => "evt",
            crate::events::LogFormat::Xml => "xml",
            crate::events::LogFormat::Wer => "Report.wer",
        };
        let notes: Vec<String> = l.notes.iter().map(|n| Esc(n).to_string()).collect();
        let _ = writeln!(
            out,
            "<tr class=\"log-row\"><td class=\"raw\">{}</td><td>{format}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"time\">{}</td><td class=\"time\">{}</td><td>{}</td></tr>",
            Esc(&path_str(&l.path)),
            l.records,
            l.errors,
            l.events,
            opt_ts(l.first_event),
            opt_ts(l.last_event),
            notes.join("<br>")
        );
    }
    let _ = writeln!(out, "</tbody></table>");
    if r.logs.len() > LIST_ROWS {
        let _ = writeln!(out, "<p class=\"note\">… and {} more logs.</p>", r.logs.len() - LIST_ROWS);
    }
    let _ = writeln!(out, "</section>");
}

/// Failures (with their stable codes) and skipped files.
pub fn failures(out: &mut String, r: &Report) {
    let _ = writeln!(out, "<section class=\"part\" id=\"failures\"><h2>Failures</h2>");
    if r.failures.is_empty() {
        let _ = writeln!(out, "<p class=\"note\">No file failed.</p>");
    } else {
        let _ = writeln!(
            out,
            "<table id=\"failure-table\" class=\"sortable\"><thead><tr><th data-sort=\"text\">file</th><th data-sort=\"text\">stage</th><th data-sort=\"text\">code</th><th>message</th></tr></thead><tbody>"
        );
        for f in r.failures.iter().take(LIST_ROWS) {
            let stage =
                serde_json::to_value(f.stage).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            let _ = writeln!(
                out,
                "<tr class=\"failure-row\"><td class=\"raw\">{}</td><td>{}</td><td class=\"raw\">{}</td><td>{}</td></tr>",
                Esc(&path_str(&f.path)),
                Esc(&stage),
                Esc(&f.code),
                Esc(&f.message)
            );
        }
        let _ = writeln!(out, "</tbody></table>");
        if r.failures.len() > LIST_ROWS {
            let _ = writeln!(out, "<p class=\"note\">… and {} more failures.</p>", r.failures.len() - LIST_ROWS);
        }
    }
    if !r.skipped.is_empty() {
        let _ = writeln!(out, "<details><summary>{} files skipped (not dumps or logs)</summary><ul>", r.skipped.len());
        for s in r.skipped.iter().take(LIST_ROWS) {
            let _ =
                writeln!(out, "<li><span class=\"raw\">{}</span>: {}</li>", Esc(&path_str(&s.path)), Esc(&s.reason));
        }
        if r.skipped.len() > LIST_ROWS {
            let _ = writeln!(out, "<li>… and {} more</li>", r.skipped.len() - LIST_ROWS);
        }
        let _ = writeln!(out, "</ul></details>");
    }
    let _ = writeln!(out, "</section>");
}
