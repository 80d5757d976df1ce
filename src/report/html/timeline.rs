//! One bucket's timeline, as inline SVG plus a text alternative.
//!
//! The picture answers "which dumps line up with which events, and where are the logs
//! silent?". It shows the bucket's dumps *and* the other dumps of the same process (faded), so
//! the Q275494 burst is seen next to the real crash of the same process instance and the dump
//! of the next morning. Rows, top to bottom:
//!
//! * one row per log that reaches the drawn time range, with the span it covers as a band (and
//!   the correlation window either side, lighter); the union of the bands is also shaded behind
//!   the lanes, so a dump on white has no log coverage;
//! * one lane per process instance (pid + process start time): dumps as marks whose shape and
//!   colour give the verdict, and below them the events linked to those dumps, whose shape gives
//!   their meaning (crash, handled by Perflib, dump service, other);
//! * the time axis, broken where nothing happens for long (see [`super::axis`]).
//!
//! Limits keep a 10,000-dump report small: at most [`LANES`] lanes (the rest merged into one
//! "other instances" lane), and beyond [`MARKS_PER_LANE`] marks a lane shows counts per
//! [`BIN_PX`]-pixel bin instead of one mark per dump or event.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::axis::{self, Axis, GAP_PX};
use super::escape::Esc;
use super::{Ctx, coverage_str, fmt_ts, path_str, short_name};
use crate::report::{BucketRow, DumpRow, EventLinkRow};

/// Lanes per timeline; instances beyond `LANES - 1` share one merged lane.
pub const LANES: usize = 6;
/// Dump (or event) marks a lane draws one by one; beyond this it draws counts per bin.
pub const MARKS_PER_LANE: usize = 40;
/// Width of one bin, pixels, when a lane aggregates.
pub const BIN_PX: f64 = 16.0;
/// Log rows drawn; further logs share the last row.
pub const LOG_ROWS: usize = 6;
/// Rows in the text alternative.
pub const TEXT_ROWS: usize = 40;

const W: f64 = 1060.0;
const PLOT_X0: f64 = 236.0;
const PLOT_X1: f64 = 1044.0;
const LOG_ROW_H: f64 = 15.0;
const LANE_H: f64 = 48.0;
const AXIS_H: f64 = 44.0;
const MARK: f64 = 12.0;

/// What an event means on the timeline, by event id (the decoder already matched the
/// provider, and only crash-type WER 1001 reports are ever linked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventClass {
    /// The process died: Application Error 1000, WER 1001, Dr. Watson 4097, SCM 7031/7034,
    /// WAS 5011, .NET Runtime 1026.
    Crash,
    /// Perflib 1008/1010: Perflib caught the exception (first chance).
    Handled,
    /// Udmpsvc 201: the dump service was running.
    Service,
    /// Application Hang 1002, Application Popup 26, anything else.
    Other,
}

impl EventClass {
    pub fn of(event_id: u16) -> EventClass {
        match event_id {
            1000 | 1001 | 4097 | 7031 | 7034 | 5011 | 1026 => EventClass::Crash,
            1008 | 1010 => EventClass::Handled,
            201 => EventClass::Service,
            _ => EventClass::Other,
        }
    }

    /// The CSS class that colours it.
    fn css(self) -> &'static str {
        match self {
            EventClass::Crash => "c-crash",
            EventClass::Handled => "c-handled",
            EventClass::Service => "c-service",
            EventClass::Other => "c-other",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventClass::Crash => "crash",
            EventClass::Handled => "handled",
            EventClass::Service => "service",
            EventClass::Other => "other",
        }
    }
}

/// Events at the same second with the same provider and id (the same record seen in several
/// copies of a log, or repeats) share one mark.
struct EventMark<'a> {
    time: i64,
    event_id: u16,
    provider: String,
    links: Vec<&'a EventLinkRow>,
}

struct Lane<'a> {
    id: String,
    label: String,
    sub: String,
    /// (dump, is a member of this bucket), sorted by time then path.
    dumps: Vec<(&'a DumpRow, bool)>,
    events: Vec<EventMark<'a>>,
}

type LaneKey = (Option<u32>, Option<i64>);

fn secs(d: &DumpRow) -> Option<i64> {
    d.written_at.map(|t| t.as_second())
}

fn build_lanes<'a>(members: &[&'a DumpRow], context: &[&'a DumpRow]) -> Vec<Lane<'a>> {
    let mut by_key: BTreeMap<LaneKey, Vec<(&'a DumpRow, bool)>> = BTreeMap::new();
    let tagged = members.iter().map(|d| (*d, true)).chain(context.iter().map(|d| (*d, false)));
    for (d, member) in tagged {
        by_key.entry((d.process.pid, d.process.started_at.map(|t| t.as_second()))).or_default().push((d, member));
    }
    let mut drafts: Vec<(LaneKey, Vec<(&DumpRow, bool)>)> = by_key.into_iter().collect();
    // Which lanes survive the limit: those with members of this bucket, then the busiest.
    drafts.sort_by_key(|(key, ds)| (!ds.iter().any(|(_, m)| *m), std::cmp::Reverse(ds.len()), *key));
    let merged: Vec<(LaneKey, Vec<(&DumpRow, bool)>)> =
        if drafts.len() > LANES { drafts.split_off(LANES - 1) } else { Vec::new() };
    drafts.sort_by_key(|(key, ds)| (ds.iter().filter_map(|(d, _)| secs(d)).min().unwrap_or(i64::MAX), *key));
    let mut lanes: Vec<Lane> = drafts
        .into_iter()
        .map(|((pid, started), dumps)| {
            let label = pid.map_or_else(|| "pid unknown".to_owned(), |p| format!("pid {p}"));
            let sub = match started.and_then(|s| jiff::Timestamp::from_second(s).ok()) {
                Some(t) => format!("started {}", fmt_ts(t)),
                None => "start time unknown".to_owned(),
            };
            Lane { id: String::new(), label, sub, dumps, events: Vec::new() }
        })
        .collect();
    if !merged.is_empty() {
        let n = merged.len();
        let dumps = merged.into_iter().flat_map(|(_, ds)| ds).collect();
        lanes.push(Lane {
            id: String::new(),
            label: format!("{n} other instances"),
            sub: "merged into one lane".to_owned(),
            dumps,
            events: Vec::new(),
        });
    }
    for (i, lane) in lanes.iter_mut().enumerate() {
        lane.id = format!("L{}", i + 1);
        lane.dumps.sort_by(|a, b| secs(a.0).cmp(&secs(b.0)).then_with(|| a.0.path.cmp(&b.0.path)));
        lane.events = event_marks(&lane.dumps);
    }
    lanes
}

fn event_marks<'a>(dumps: &[(&'a DumpRow, bool)]) -> Vec<EventMark<'a>> {
    let mut unique: BTreeMap<(i64, &std::path::Path, u64), &EventLinkRow> = BTreeMap::new();
    for (d, _) in dumps {
        for e in &d.events {
            unique.entry((e.time.as_second(), e.log.as_path(), e.record_id)).or_insert(e);
        }
    }
    let mut marks: BTreeMap<(i64, u16, String), Vec<&EventLinkRow>> = BTreeMap::new();
    for ((t, _, _), e) in unique {
        marks.entry((t, e.event_id, short_name(&e.provider).to_owned())).or_default().push(e);
    }
    marks.into_iter().map(|((time, event_id, provider), links)| EventMark { time, event_id, provider, links }).collect()
}

/// Render the timeline figure of one bucket into `out`.
pub(crate) fn render(out: &mut String, ctx: &Ctx, bucket: &BucketRow, anchor: &str) {
    let members = ctx.members(bucket);
    let context = ctx.context(bucket);
    let lanes = build_lanes(&members, &context);
    let mut points: Vec<i64> = Vec::new();
    for lane in &lanes {
        points.extend(lane.dumps.iter().filter_map(|(d, _)| secs(d)));
        points.extend(lane.events.iter().map(|e| e.time));
    }
    // Coverage edges near a dump or event are axis points too (the end of a log must be drawn
    // where it is, not cut off at the last dump); edges far from everything are not, or every
    // log's start and end would fill the gaps the axis should break.
    points.sort_unstable();
    let near = |t: i64| {
        let i = points.partition_point(|p| *p < t);
        [i.checked_sub(1), Some(i)]
            .into_iter()
            .flatten()
            .filter_map(|i| points.get(i))
            .any(|p| (p - t).abs() < axis::BREAK_MIN_SECS)
    };
    let spans: Vec<(usize, i64, i64)> = ctx
        .report
        .logs
        .iter()
        .enumerate()
        .filter_map(|(i, l)| Some((i, l.first_event?.as_second(), l.last_event?.as_second())))
        .filter(|(_, a, b)| a <= b)
        .collect();
    let edges: Vec<i64> = spans.iter().flat_map(|&(_, a, b)| [a, b]).filter(|t| near(*t)).collect();
    points.extend(edges);
    let undated = lanes.iter().flat_map(|l| &l.dumps).filter(|(d, _)| d.written_at.is_none()).count();
    let Some(axis) = Axis::new(&points, PLOT_X0, PLOT_X1) else {
        let _ = writeln!(
            out,
            "<p class=\"note\">No timeline: none of the {} dumps of this process has a time.</p>",
            members.len() + context.len()
        );
        return;
    };
    let drawn: Vec<(usize, i64, i64)> =
        spans.iter().copied().filter(|(_, a, b)| !axis.clip(*a, *b).is_empty()).collect();

    let log_rows = drawn.len().clamp(1, LOG_ROWS);
    let lanes_top = 8.0 + log_rows as f64 * LOG_ROW_H + 8.0;
    let lanes_bottom = lanes_top + lanes.len() as f64 * LANE_H;
    let height = lanes_bottom + AXIS_H;
    let title_id = format!("{anchor}-tl-title");
    let desc_id = format!("{anchor}-tl-desc");
    let process = Esc(&bucket.process);

    let _ = writeln!(out, "<figure class=\"timeline\">");
    let _ = writeln!(
        out,
        "<svg class=\"tl\" viewBox=\"0 0 {W} {height:.0}\" role=\"img\" aria-labelledby=\"{title_id}\" aria-describedby=\"{desc_id}\" data-bucket=\"{}\">",
        Esc(&bucket.id)
    );
    let _ = writeln!(out, "<title id=\"{title_id}\">Timeline of {process} dumps, events and log coverage</title>");

    // Log rows and the shaded coverage behind the lanes.
    let window = ctx.report.inputs.window_secs as i64;
    let _ = writeln!(out, "<g class=\"logs\">");
    if drawn.is_empty() {
        let _ = writeln!(
            out,
            "<text class=\"lbl muted\" x=\"8\" y=\"{:.1}\">{}</text>",
            8.0 + LOG_ROW_H * 0.7,
            if ctx.report.logs.is_empty() { "no logs given" } else { "no log covers this time range" }
        );
    }
    for (row, &(li, a, b)) in drawn.iter().enumerate() {
        let log = &ctx.report.logs[li];
        let row = row.min(LOG_ROWS - 1);
        let y = 8.0 + row as f64 * LOG_ROW_H;
        let path = path_str(&log.path);
        if row < LOG_ROWS - 1 || drawn.len() == LOG_ROWS {
            let name = truncate(file_name(&path), 28);
            let _ = writeln!(
                out,
                "<text class=\"lbl\" x=\"8\" y=\"{:.1}\">{}<title>{}</title></text>",
                y + LOG_ROW_H * 0.7,
                Esc(&name),
                Esc(&path)
            );
        } else if drawn.len() > LOG_ROWS && li == drawn[LOG_ROWS - 1].0 {
            let _ = writeln!(
                out,
                "<text class=\"lbl\" x=\"8\" y=\"{:.1}\">{} more logs</text>",
                y + LOG_ROW_H * 0.7,
                drawn.len() - (LOG_ROWS - 1)
            );
        }
        for (x0, x1) in axis.clip(a - window, a) {
            rect(out, "slack", x0, y + 3.0, x1 - x0, LOG_ROW_H - 6.0);
        }
        for (x0, x1) in axis.clip(b, b + window) {
            rect(out, "slack", x0, y + 3.0, x1 - x0, LOG_ROW_H - 6.0);
        }
        let (first, last) = (log.first_event.map(fmt_ts), log.last_event.map(fmt_ts));
        let (first, last) = (first.unwrap_or_default(), last.unwrap_or_default());
        for (x0, x1) in axis.clip(a, b) {
            let _ = writeln!(
                out,
                "<rect class=\"band\" data-log=\"{}\" data-first=\"{}\" data-last=\"{}\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{} covers {first} – {last}</title></rect>",
                Esc(&path),
                Esc(&first),
                Esc(&last),
                y + 2.0,
                (x1 - x0).max(1.0),
                LOG_ROW_H - 4.0,
                Esc(&path)
            );
        }
    }
    let _ = writeln!(out, "</g>");
    let _ = writeln!(out, "<g class=\"covbg\" aria-hidden=\"true\">");
    for (a, b) in union(drawn.iter().map(|&(_, a, b)| (a, b))) {
        for (x0, x1) in axis.clip(a, b) {
            rect(out, "cov", x0, lanes_top, (x1 - x0).max(1.0), lanes_bottom - lanes_top);
        }
    }
    let _ = writeln!(out, "</g>");

    for (i, lane) in lanes.iter().enumerate() {
        lane_svg(out, ctx, &axis, lane, lanes_top + i as f64 * LANE_H);
    }
    axis_svg(out, &axis, lanes_top, lanes_bottom);
    let _ = writeln!(out, "</svg>");

    let caption = caption(ctx, bucket, &lanes, &drawn, undated);
    let _ = writeln!(out, "<figcaption id=\"{desc_id}\">{}</figcaption>", Esc(&caption));
    text_alternative(out, ctx, &lanes, &drawn, window);
    let _ = writeln!(out, "</figure>");
}

fn rect(out: &mut String, class: &str, x: f64, y: f64, w: f64, h: f64) {
    let _ = writeln!(out, "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\"/>");
}

/// Merge overlapping spans.
fn union(spans: impl Iterator<Item = (i64, i64)>) -> Vec<(i64, i64)> {
    let mut v: Vec<(i64, i64)> = spans.collect();
    v.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn lane_svg(out: &mut String, ctx: &Ctx, axis: &Axis, lane: &Lane, top: f64) {
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

fn fmt_secs(t: i64) -> String {
    jiff::Timestamp::from_second(t).map(fmt_ts).unwrap_or_default()
}

fn axis_svg(out: &mut String, axis: &Axis, lanes_top: f64, lanes_bottom: f64) {
    let y = lanes_bottom + 4.0;
    let _ = writeln!(out, "<g class=\"axis\">");
    for seg in &axis.segments {
        let _ =
            writeln!(out, "<line class=\"ax\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>", seg.x0, seg.x1);
        for t in axis::ticks(seg, 78.0) {
            let _ = writeln!(
                out,
                "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{lanes_top:.1}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
                y + 4.0,
                y + 16.0,
                Esc(&t.time),
                x = t.x
            );
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
        let _ = writeln!(
            out,
            "<g class=\"brk\"><line class=\"brkline\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{lanes_top:.1}\" y2=\"{y:.1}\"/><path d=\"M{:.1} {:.1} l4 -8 M{:.1} {:.1} l4 -8\"/><text class=\"tick gap\" x=\"{x:.1}\" y=\"{:.1}\">{}</text><title>{} with nothing to draw is left out here</title></g>",
            x - half,
            y + 4.0,
            x + half - 4.0,
            y + 4.0,
            y + 16.0,
            axis::human_gap(gap),
            axis::human_gap(gap)
        );
    }
    let _ = writeln!(out, "</g>");
}

fn caption(ctx: &Ctx, bucket: &BucketRow, lanes: &[Lane], drawn: &[(usize, i64, i64)], undated: usize) -> String {
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

fn text_alternative(out: &mut String, ctx: &Ctx, lanes: &[Lane], drawn: &[(usize, i64, i64)], window: i64) {
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

fn file_name(path: &str) -> &str {
    crate::text::file_name(path)
}

/// At most `n` characters, with an ellipsis when cut (labels in the SVG do not wrap).
fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).chain(['…']).collect() }
}
