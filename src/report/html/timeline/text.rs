//! The timeline's text alternative: a caption that sums the picture up, and a table of what is
//! drawn (each dump with its verdict, coverage and linked events, and how far each event is).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::{Lane, MARKS_PER_LANE, TEXT_ROWS, file_name, fmt_secs, secs};
use crate::report::html::escape::Esc;
use crate::report::html::{Ctx, coverage_str, fmt_ts, path_str, short_name};
use crate::report::{BucketRow, DumpRow};

pub(super) fn caption(
    ctx: &Ctx,
    bucket: &BucketRow,
    lanes: &[Lane],
    drawn: &[(usize, i64, i64)],
    undated: usize,
) -> String {
    let all: Vec<&(&DumpRow, bool)> = lanes.iter().flat_map(|l| &l.dumps).collect();
    let members = all.iter().filter(|(_, m)| *m).count();
    let records: usize = lanes.iter().flat_map(|l| &l.events).map(|e| e.links.len()).sum();
    let mut s = format!(
        "{} dumps of {} in {} process instance lane{} ({members} in this bucket, {} in other buckets, faded); {records} linked event records; {} of {} logs reach this time range.",
        all.len(),
        bucket.process,
        lanes.len(),
        if lanes.len() == 1 { "" } else { "s" },
        all.len() - members,
        drawn.len(),
        ctx.report.logs.len(),
    );
    let uncovered: Vec<String> = all
        .iter()
        .filter(|(d, _)| d.log_coverage == crate::correlate::Coverage::NotCovered)
        .map(|(d, _)| file_name(&path_str(&d.path)).to_owned())
        .collect();
    if !uncovered.is_empty() {
        let shown: Vec<&str> = uncovered.iter().take(3).map(String::as_str).collect();
        let more = if uncovered.len() > 3 { format!(" and {} more", uncovered.len() - 3) } else { String::new() };
        let _ = write!(s, " Outside every log's coverage: {}{more}.", shown.join(", "));
    }
    if undated > 0 {
        let _ = write!(s, " {undated} dumps have no time and are not drawn.");
    }
    s
}

pub(super) fn text_alternative(out: &mut String, ctx: &Ctx, lanes: &[Lane], drawn: &[(usize, i64, i64)], window: i64) {
    let _ = writeln!(out, "<details class=\"tl-text\"><summary>Timeline as text</summary>");
    if !drawn.is_empty() {
        let _ = writeln!(out, "<ul class=\"cov-list\">");
        for &(li, _, _) in drawn {
            let l = &ctx.report.logs[li];
            let _ = writeln!(
                out,
                "<li><span class=\"raw\">{}</span> covers {} – {}</li>",
                Esc(&path_str(&l.path)),
                l.first_event.map(fmt_ts).unwrap_or_default(),
                l.last_event.map(fmt_ts).unwrap_or_default()
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(
        out,
        "<table class=\"compact\"><thead><tr><th>time</th><th>lane</th><th>dump</th><th>verdict</th><th>log coverage</th><th>linked events (offset from the dump)</th></tr></thead><tbody>"
    );
    let mut rows = 0;
    let mut left = 0;
    for lane in lanes {
        let lane_name = format!("{} ({})", lane.label, lane.sub);
        if lane.dumps.len() > MARKS_PER_LANE {
            let mut verdicts: BTreeMap<&str, usize> = BTreeMap::new();
            for (d, _) in &lane.dumps {
                *verdicts.entry(d.verdict.action.as_str()).or_default() += 1;
            }
            let times: Vec<i64> = lane.dumps.iter().filter_map(|(d, _)| secs(d)).collect();
            let range = match (times.iter().min(), times.iter().max()) {
                (Some(a), Some(b)) => format!("{} – {}", fmt_secs(*a), fmt_secs(*b)),
                _ => "no time".to_owned(),
            };
            let verdicts: Vec<String> = verdicts.iter().map(|(k, n)| format!("{n} {k}")).collect();
            let records: usize = lane.events.iter().map(|e| e.links.len()).sum();
            let _ = writeln!(
                out,
                "<tr><td>{range}</td><td>{}</td><td>{} dumps (drawn as counts)</td><td>{}</td><td></td><td>{records} event records</td></tr>",
                Esc(&lane_name),
                lane.dumps.len(),
                verdicts.join(", ")
            );
            rows += 1;
            continue;
        }
        for (d, member) in &lane.dumps {
            if rows >= TEXT_ROWS {
                left += 1;
                continue;
            }
            rows += 1;
            let t = secs(d);
            let linked: BTreeSet<String> = d
                .events
                .iter()
                .map(|e| {
                    let offset = t.map_or_else(String::new, |t| format!(" {}", offset(e.time.as_second() - t)));
                    let beside = if t.is_some_and(|t| (e.time.as_second() - t).abs() <= window) { " ✓" } else { "" };
                    format!("{} {}{offset}{beside}", short_name(&e.provider), e.event_id)
                })
                .collect();
            let whose = if *member { "" } else { " (other bucket)" };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td><span class=\"raw\">{}</span>{whose}</td><td>{} ({})</td><td>{}</td><td>{}</td></tr>",
                d.written_at.map(fmt_ts).unwrap_or_else(|| "no time".into()),
                Esc(&lane_name),
                Esc(&path_str(&d.path)),
                d.verdict.action.as_str(),
                Esc(&d.verdict.rule),
                coverage_str(d.log_coverage),
                Esc(&linked.into_iter().collect::<Vec<_>>().join("; "))
            );
        }
    }
    if left > 0 {
        let _ = writeln!(
            out,
            "<tr><td colspan=\"6\">… and {left} more dumps: see the dump table below and the JSON report.</td></tr>"
        );
    }
    let _ = writeln!(out, "</tbody></table></details>");
}

/// `+0 s`, `−1 h 5 min`, `+2 d`: how far an event is from its dump.
fn offset(d: i64) -> String {
    let sign = if d < 0 { "−" } else { "+" };
    let a = d.unsigned_abs();
    let body = match a {
        a if a < 120 => format!("{a} s"),
        a if a < 7200 => format!("{} min", a / 60),
        a if a < 2 * 86400 => format!("{} h", a / 3600),
        a => format!("{} d", a / 86400),
    };
    format!("{sign}{body}")
}
