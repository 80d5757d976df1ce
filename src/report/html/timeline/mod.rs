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

use std::collections::BTreeMap;
use std::fmt::Write;

mod draw;
mod text;

use self::draw::{axis_svg, grid_svg, lane_svg, rect};
use self::text::{caption, text_alternative};
use super::axis::{self, Axis};
use super::escape::Esc;
use super::{Ctx, fmt_ts, path_str, short_name};
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
/// Tick labels at least this far apart, pixels.
const TICK_PX: f64 = 78.0;

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
            unique.entry((e.time.as_second(), &*e.log, e.record_id)).or_insert(e);
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
    grid_svg(out, &axis, lanes_top, lanes_bottom);
    for (i, lane) in lanes.iter().enumerate() {
        lane_svg(out, ctx, &axis, lane, lanes_top + i as f64 * LANE_H);
    }
    axis_svg(out, &axis, lanes_bottom);
    let _ = writeln!(out, "</svg>");

    let caption = caption(ctx, bucket, &lanes, &drawn, undated);
    let _ = writeln!(out, "<figcaption id=\"{desc_id}\">{}</figcaption>", Esc(&caption));
    text_alternative(out, ctx, &lanes, &drawn, window);
    let _ = writeln!(out, "</figure>");
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

pub(super) fn fmt_secs(t: i64) -> String {
    jiff::Timestamp::from_second(t).map(fmt_ts).unwrap_or_default()
}

pub(super) fn file_name(path: &str) -> &str {
    crate::text::file_name(path)
}

/// At most `n` characters, with an ellipsis when cut (labels in the SVG do not wrap).
pub(super) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).chain(['…']).collect() }
}
