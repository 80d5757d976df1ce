//! The timeline's time axis: one linear scale per *segment*, with breaks between segments.
//!
//! A bucket's dumps, their events and the logs' coverage often sit hours or years apart (a
//! Q275494 burst over half an hour, one dump the next morning, a legacy dump whose only time is
//! its copy's modification time). One linear scale would squeeze the burst into a pixel, so the
//! axis breaks a gap that is both long ([`BREAK_MIN_SECS`]) and most of its segment
//! ([`BREAK_SHARE`]), at most [`MAX_SEGMENTS`] times. Each segment gets a width that grows with
//! the number of distinct times in it, and a small margin so marks at its ends stay visible.

use jiff::Timestamp;

/// A gap shorter than this is never broken: minutes between dumps are the picture itself.
pub const BREAK_MIN_SECS: i64 = 6 * 3600;
/// A gap is broken only when it is at least this share of its segment's span.
pub const BREAK_SHARE: f64 = 0.5;
/// At most this many segments (so at most `MAX_SEGMENTS - 1` breaks).
pub const MAX_SEGMENTS: usize = 5;
/// Pixels between two segments, where the break is drawn.
pub const GAP_PX: f64 = 22.0;

/// One linearly scaled piece of the axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// First and last point in the segment (seconds since the epoch).
    pub start: i64,
    pub end: i64,
    /// The time domain drawn: `start`/`end` widened by a margin.
    pub d0: f64,
    pub d1: f64,
    /// Pixel range.
    pub x0: f64,
    pub x1: f64,
}

impl Segment {
    fn x(&self, t: f64) -> f64 {
        self.x0 + (t - self.d0) / (self.d1 - self.d0) * (self.x1 - self.x0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub segments: Vec<Segment>,
}

impl Axis {
    /// Build the axis for `points` (any order, duplicates allowed) over pixels `x0..x1`.
    /// `None` when there is no point.
    pub fn new(points: &[i64], x0: f64, x1: f64) -> Option<Axis> {
        let mut pts = points.to_vec();
        pts.sort_unstable();
        pts.dedup();
        if pts.is_empty() {
            return None;
        }
        // Index ranges into `pts`; split the segment with the largest qualifying gap first.
        let mut ranges: Vec<(usize, usize)> = vec![(0, pts.len() - 1)];
        while ranges.len() < MAX_SEGMENTS {
            let best = ranges
                .iter()
                .enumerate()
                .filter_map(|(ri, &(a, b))| {
                    let span = (pts[b] - pts[a]) as f64;
                    (a..b)
                        .map(|i| (pts[i + 1] - pts[i], i))
                        .max()
                        .filter(|&(gap, _)| gap >= BREAK_MIN_SECS && gap as f64 >= BREAK_SHARE * span)
                        .map(|(gap, i)| (gap, ri, i))
                })
                .max();
            let Some((_, ri, i)) = best else { break };
            let (a, b) = ranges[ri];
            ranges.splice(ri..=ri, [(a, i), (i + 1, b)]);
        }
        let weights: Vec<f64> = ranges.iter().map(|&(a, b)| 1.0 + ((b - a + 1).min(24) as f64) / 2.0).collect();
        let total: f64 = weights.iter().sum();
        let avail = (x1 - x0) - GAP_PX * (ranges.len() - 1) as f64;
        let mut x = x0;
        let segments = ranges
            .iter()
            .zip(&weights)
            .map(|(&(a, b), w)| {
                let (start, end) = (pts[a], pts[b]);
                let span = (end - start) as f64;
                // A lone instant gets a quarter of an hour either side; a span 6 % of itself.
                let margin = if span == 0.0 { 900.0 } else { (span * 0.06).max(30.0) };
                let width = avail * w / total;
                let seg =
                    Segment { start, end, d0: start as f64 - margin, d1: end as f64 + margin, x0: x, x1: x + width };
                x += width + GAP_PX;
                seg
            })
            .collect();
        Some(Axis { segments })
    }

    /// Pixel position of time `t`, when a segment's domain contains it.
    pub fn x(&self, t: i64) -> Option<f64> {
        let t = t as f64;
        self.segments.iter().find(|s| s.d0 <= t && t <= s.d1).map(|s| s.x(t))
    }

    /// The pixel ranges that the time span `a..=b` covers, one per segment it reaches.
    pub fn clip(&self, a: i64, b: i64) -> Vec<(f64, f64)> {
        let (a, b) = (a as f64, b as f64);
        self.segments.iter().filter(|s| a <= s.d1 && b >= s.d0).map(|s| (s.x(a.max(s.d0)), s.x(b.min(s.d1)))).collect()
    }

    /// The breaks: pixel centre and skipped seconds, between consecutive segments.
    pub fn breaks(&self) -> Vec<(f64, i64)> {
        self.segments.windows(2).map(|w| ((w[0].x1 + w[1].x0) / 2.0, w[1].start - w[0].end)).collect()
    }
}

/// Tick steps, seconds: the first that keeps ticks at least `min_px` apart is used.
const STEPS: &[i64] = &[
    1,
    5,
    10,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
    172_800,
    604_800,
    1_209_600,
    2_592_000,
    7_776_000,
    15_552_000,
    31_536_000,
    157_680_000,
    315_360_000,
];

/// One tick: pixel position, time label, and the date when it is the first on its date.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub x: f64,
    pub time: String,
    pub date: Option<String>,
}

/// Ticks for one segment, labelled `HH:MM` (plus the date where it changes) or by date.
pub fn ticks(seg: &Segment, min_px: f64) -> Vec<Tick> {
    let fmt = |t: i64, f: &str| Timestamp::from_second(t).map(|ts| ts.strftime(f).to_string()).unwrap_or_default();
    if seg.start == seg.end {
        return vec![Tick {
            x: seg.x(seg.start as f64),
            time: fmt(seg.start, "%H:%M:%S"),
            date: Some(fmt(seg.start, "%Y-%m-%d")),
        }];
    }
    let px_per_sec = (seg.x1 - seg.x0) / (seg.d1 - seg.d0);
    let step = STEPS.iter().copied().find(|s| *s as f64 * px_per_sec >= min_px).unwrap_or(315_360_000);
    let first = (seg.d0 / step as f64).ceil() as i64 * step;
    let mut out = Vec::new();
    let mut last_date = String::new();
    let mut t = first;
    while (t as f64) <= seg.d1 && out.len() < 64 {
        let date = fmt(t, "%Y-%m-%d");
        let (time, date) = if step >= 86400 {
            (date, None)
        } else {
            let time = fmt(t, if step < 60 { "%H:%M:%S" } else { "%H:%M" });
            let new_date = (date != last_date).then(|| date.clone());
            last_date = date;
            (time, new_date)
        };
        out.push(Tick { x: seg.x(t as f64), time, date });
        t = t.saturating_add(step);
    }
    if out.is_empty() {
        out.push(Tick {
            x: seg.x(seg.start as f64),
            time: fmt(seg.start, "%H:%M"),
            date: Some(fmt(seg.start, "%Y-%m-%d")),
        });
    }
    out
}

/// A gap for people: `40 min`, `23 h`, `12 d`, `25 y`.
pub fn human_gap(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 2 * 86400 => format!("{} h", s / 3600),
        s if s < 365 * 86400 => format!("{} d", s / 86400),
        s => format!("{} y", s / (365 * 86400)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn a_burst_a_day_later_and_years_later_make_three_segments() {
        let points = [
            t("2001-03-12T08:00:00Z"),
            t("2001-03-12T09:00:00Z"),
            t("2001-03-12T09:10:00Z"),
            t("2001-03-12T10:30:00Z"),
            t("2001-03-13T09:00:00Z"),
            t("2026-12-02T15:41:57Z"),
        ];
        let axis = Axis::new(&points, 0.0, 1000.0).unwrap();
        let starts: Vec<i64> = axis.segments.iter().map(|s| s.start).collect();
        assert_eq!(starts, [points[0], points[4], points[5]]);
        assert_eq!(axis.segments[0].end, points[3]);
        // The burst gets the widest segment, and the scale is monotonic inside it.
        let w: Vec<f64> = axis.segments.iter().map(|s| s.x1 - s.x0).collect();
        assert!(w[0] > w[1] && w[0] > w[2], "{w:?}");
        let xs: Vec<f64> = points[..4].iter().map(|p| axis.x(*p).unwrap()).collect();
        assert!(xs.windows(2).all(|p| p[0] < p[1]), "{xs:?}");
        // 10:30 (end of coverage) is in the first segment; 13 March is not.
        let band = axis.clip(points[0], points[3]);
        assert_eq!(band.len(), 1);
        let x13 = axis.x(points[4]).unwrap();
        assert!(x13 > band[0].1 + GAP_PX, "13 March is right of the band and the break");
        assert_eq!(axis.breaks().len(), 2);
        assert_eq!(human_gap(axis.breaks()[0].1), "22 h");
    }

    #[test]
    fn minutes_apart_is_one_segment() {
        let points = [t("2026-03-23T10:15:00Z"), t("2026-03-23T10:16:30Z"), t("2026-03-23T10:20:05Z")];
        let axis = Axis::new(&points, 0.0, 800.0).unwrap();
        assert_eq!(axis.segments.len(), 1);
        let ticks = ticks(&axis.segments[0], 70.0);
        assert!(ticks.len() >= 2, "{ticks:?}");
        assert_eq!(ticks[0].date.as_deref(), Some("2026-03-23"));
        assert!(ticks.iter().skip(1).all(|t| t.date.is_none()));
    }

    #[test]
    fn a_single_instant_is_centred() {
        let axis = Axis::new(&[100_000, 100_000], 0.0, 200.0).unwrap();
        assert_eq!(axis.x(100_000), Some(100.0));
        assert_eq!(axis.x(100_000 + 3600), None, "outside every segment");
        assert!(Axis::new(&[], 0.0, 1.0).is_none());
    }
}
