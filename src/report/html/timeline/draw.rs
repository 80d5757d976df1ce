//! The SVG pieces of a timeline: lanes with their marks or bins, and the broken time axis.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{BIN_PX, EventClass, EventMark, Lane, MARK, MARKS_PER_LANE, PLOT_X0, TICK_PX, W, file_name, secs};
use crate::report::DumpRow;
use crate::report::html::axis::{self, Axis, GAP_PX};
use crate::report::html::escape::Esc;
use crate::report::html::{Ctx, coverage_str, fmt_ts, path_str};

pub(super) fn rect(out: &mut String, class: &str, x: f64, y: f64, w: f64, h: f64) {
    let _ = writeln!(out, "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\"/>");
}

pub(super) fn lane_svg(out: &mut String, ctx: &Ctx, axis: &Axis, lane: &Lane, top: f64) {
    let _ = writeln!(out, "<g class=\"lane\" data-lane=\"{}\">", lane.id);
    let _ = writeln!(out, "<line class=\"sep\" x1=\"0\" x2=\"{W}\" y1=\"{top:.1}\" y2=\"{top:.1}\"/>");
    let _ = writeln!(out, "<text class=\"lbl strong\" x=\"8\" y=\"{:.1}\">{}</text>", top + 17.0, Esc(&lane.label));
    let _ = writeln!(out, "<text class=\"lbl muted\" x=\"8\" y=\"{:.1}\">{}</text>", top + 32.0, Esc(&lane.sub));
    let (dump_y, event_y) = (top + 15.0, top + 35.0);
    let _ = writeln!(out, "<text class=\"row\" x=\"{:.1}\" y=\"{:.1}\">dumps</text>", PLOT_X0 - 6.0, dump_y + 3.5);
    let _ = writeln!(out, "<text class=\"row\" x=\"{:.1}\" y=\"{:.1}\">events</text>", PLOT_X0 - 6.0, event_y + 3.5);
    let dated: Vec<(&DumpRow, bool, i64)> = lane.dumps.iter().filter_map(|(d, m)| Some((*d, *m, secs(d)?))).collect();
    if dated.len() <= MARKS_PER_LANE {
        for (d, member, t) in &dated {
            let Some(x) = axis.x(*t) else { continue };
            dump_mark(out, ctx, lane, d, *member, x, dump_y);
        }
    } else {
        let mut verdicts: BTreeMap<&str, usize> = BTreeMap::new();
        for (d, _, _) in &dated {
            *verdicts.entry(d.verdict.action.as_str()).or_default() += 1;
        }
        let counts: Vec<String> = verdicts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = writeln!(
            out,
            "<title>{}: {} dumps drawn as counts ({})</title>",
            Esc(&lane.label),
            dated.len(),
            counts.join(", ")
        );
        let items = dated.iter().map(|(d, member, t)| (*t, dump_class(d.verdict.action, *member)));
        let order = ["v-keep", "v-review", "v-delete", "v-keep ctx", "v-review ctx", "v-delete ctx"];
        bins(out, axis, "dump", items, &order, dump_y);
    }
    if lane.events.len() <= MARKS_PER_LANE {
        for e in &lane.events {
            let Some(x) = axis.x(e.time) else { continue };
            event_mark(out, lane, e, x, event_y);
        }
    } else {
        let items = lane.events.iter().map(|e| (e.time, EventClass::of(e.event_id).css()));
        bins(out, axis, "event", items, &["c-crash", "c-handled", "c-service", "c-other"], event_y);
    }
    let _ = writeln!(out, "</g>");
}

fn dump_mark(out: &mut String, ctx: &Ctx, lane: &Lane, d: &DumpRow, member: bool, x: f64, y: f64) {
    let action = d.verdict.action.as_str();
    let path = path_str(&d.path);
    let time = d.written_at.map(|t| t.to_string()).unwrap_or_default();
    let coverage = coverage_str(d.log_coverage);
    let whose = if member {
        "this bucket".to_owned()
    } else {
        let other = d.bucket.as_deref().and_then(|b| ctx.bucket(b)).map_or("?", |b| b.title.as_str());
        format!("other bucket: {other}")
    };
    let _ = write!(
        out,
        "<use href=\"#m-{action}\" class=\"mark dump v-{action}{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{MARK}\" height=\"{MARK}\" data-kind=\"dump\" data-lane=\"{}\" data-path=\"{}\" data-time=\"{}\" data-verdict=\"{action}\" data-member=\"{member}\" data-coverage=\"{coverage}\">",
        if member { "" } else { " ctx" },
        x - MARK / 2.0,
        y - MARK / 2.0,
        lane.id,
        Esc(&path),
        Esc(&time),
    );
    let _ = writeln!(
        out,
        "<title>{} — {action} ({}), {} chance, {}; log coverage: {coverage}; {}</title></use>",
        Esc(&path),
        Esc(&d.verdict.rule),
        d.chance.value.as_str(),
        d.written_at.map(fmt_ts).unwrap_or_default(),
        Esc(&whose)
    );
}

fn event_mark(out: &mut String, lane: &Lane, e: &EventMark, x: f64, y: f64) {
    let class = EventClass::of(e.event_id).as_str();
    let time = jiff::Timestamp::from_second(e.time).map(|t| t.to_string()).unwrap_or_default();
    let records: Vec<String> = e
        .links
        .iter()
        .map(|l| format!("{} #{} ({})", file_name(&path_str(&l.log)), l.record_id, l.relation.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "<use href=\"#e-{class}\" class=\"mark event c-{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{MARK}\" height=\"{MARK}\" data-kind=\"event\" data-lane=\"{}\" data-event=\"{}\" data-provider=\"{}\" data-class=\"{class}\" data-time=\"{}\" data-records=\"{}\"><title>{} {} at {}: {}</title></use>",
        x - MARK / 2.0,
        y - MARK / 2.0,
        lane.id,
        e.event_id,
        Esc(&e.provider),
        Esc(&time),
        e.links.len(),
        Esc(&e.provider),
        e.event_id,
        Esc(&time),
        Esc(&records.join(", ")),
    );
}

/// The CSS classes of a dump's bin part: verdict colour, faded when from another bucket.
fn dump_class(action: crate::rules::Action, member: bool) -> &'static str {
    use crate::rules::Action;
    match (action, member) {
        (Action::Keep, true) => "v-keep",
        (Action::Review, true) => "v-review",
        (Action::Delete, true) => "v-delete",
        (Action::Keep, false) => "v-keep ctx",
        (Action::Review, false) => "v-review ctx",
        (Action::Delete, false) => "v-delete ctx",
    }
}

/// Counts per bin and kind, drawn as a stacked bar whose height grows with the log of the
/// count (a bin of 1 is still visible next to a bin of 5,000).
fn bins<'k>(
    out: &mut String,
    axis: &Axis,
    kind: &str,
    items: impl Iterator<Item = (i64, &'k str)>,
    order: &[&'k str],
    y: f64,
) {
    let mut counts: BTreeMap<(usize, i64), BTreeMap<&str, usize>> = BTreeMap::new();
    for (t, k) in items {
        let Some(x) = axis.x(t) else { continue };
        let Some(si) = axis.segments.iter().position(|s| s.x0 <= x && x <= s.x1) else { continue };
        let bin = ((x - axis.segments[si].x0) / BIN_PX).floor() as i64;
        *counts.entry((si, bin)).or_default().entry(k).or_default() += 1;
    }
    let max = counts.values().map(|m| m.values().sum::<usize>()).max().unwrap_or(1).max(2) as f64;
    for ((si, bin), by_kind) in &counts {
        let seg = &axis.segments[*si];
        let x0 = seg.x0 + *bin as f64 * BIN_PX;
        let w = (BIN_PX - 1.5).min(seg.x1 - x0).max(1.0);
        let total: usize = by_kind.values().sum();
        let h = 4.0 + 12.0 * (1.0 + total as f64).ln() / (1.0 + max).ln();
        let mut top = y + 8.0 - h;
        for k in order {
            let Some(&n) = by_kind.get(k) else { continue };
            let part = (h * n as f64 / total as f64).max(1.0);
            // No tooltip per bin: thousands of them would double the page; the lane's row in
            // the text alternative gives the counts.
            let _ = writeln!(
                out,
                "<rect class=\"bin {k}\" data-kind=\"{kind}-bin\" data-n=\"{n}\" x=\"{x0:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"{part:.1}\"/>"
            );
            top += part;
        }
    }
}

/// Grid lines at the ticks and dashed lines at the breaks, drawn behind the marks.
pub(super) fn grid_svg(out: &mut String, axis: &Axis, lanes_top: f64, lanes_bottom: f64) {
    let _ = writeln!(out, "<g class=\"gridlines\" aria-hidden=\"true\">");
    for seg in &axis.segments {
        for t in axis::ticks(seg, TICK_PX) {
            let _ = writeln!(
                out,
                "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{lanes_top:.1}\" y2=\"{:.1}\"/>",
                lanes_bottom + 8.0,
                x = t.x
            );
        }
    }
    for (x, _) in axis.breaks() {
        let _ = writeln!(
            out,
            "<line class=\"brkline\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{lanes_top:.1}\" y2=\"{:.1}\"/>",
            lanes_bottom + 4.0
        );
    }
    let _ = writeln!(out, "</g>");
}

/// The axis line per segment, tick labels (the date where it changes), and the breaks with
/// the time each leaves out.
pub(super) fn axis_svg(out: &mut String, axis: &Axis, lanes_bottom: f64) {
    let y = lanes_bottom + 4.0;
    let _ = writeln!(out, "<g class=\"axis\">");
    for seg in &axis.segments {
        let _ =
            writeln!(out, "<line class=\"ax\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>", seg.x0, seg.x1);
        for t in axis::ticks(seg, TICK_PX) {
            let _ =
                writeln!(out, "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\">{}</text>", t.x, y + 16.0, Esc(&t.time));
            if let Some(date) = t.date {
                let _ = writeln!(
                    out,
                    "<text class=\"tick date\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                    t.x,
                    y + 30.0,
                    Esc(&date)
                );
            }
        }
    }
    for (x, gap) in axis.breaks() {
        let half = GAP_PX / 2.0 - 3.0;
        let gap = axis::human_gap(gap);
        let _ = writeln!(
            out,
            "<g class=\"brk\"><path d=\"M{:.1} {:.1} l4 -8 M{:.1} {:.1} l4 -8\"/><text class=\"tick gap\" x=\"{x:.1}\" y=\"{:.1}\">{gap}</text><title>{gap} with nothing to draw left out here</title></g>",
            x - half,
            y + 4.0,
            x + half - 4.0,
            y + 4.0,
            y + 16.0,
        );
    }
    let _ = writeln!(out, "</g>");
}
