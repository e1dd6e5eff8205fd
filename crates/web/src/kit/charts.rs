//! Charts drawn on the server as SVG: horizontal bars (rankings, distributions), a trend line
//! and a compliance gauge. Each is an image with its title and summary for screen readers and
//! comes with the table of its figures, which the page shows beside it; in a right-to-left
//! page the bars grow from the right and time runs from right to left, as the text does.
//! Every label is escaped here: labels come from names staff typed. An image holds nothing to
//! focus, so a figure's link to its cases is in the table, not on the drawing.

use std::fmt::Write;
use tawasul_domain::text::xml_escape as escape;

/// The page's direction, which the charts follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ltr,
    Rtl,
}

impl Direction {
    pub fn of(dir: &str) -> Self {
        if dir == "rtl" {
            Direction::Rtl
        } else {
            Direction::Ltr
        }
    }
}

/// One figure of a chart: its label, its value, the value as the page writes it, and where
/// the cases behind it are listed.
#[derive(Debug, Clone)]
pub struct Datum {
    pub label: String,
    pub value: f64,
    pub shown: String,
    pub href: Option<String>,
}

/// A chart ready for a template: the SVG markup (already escaped) and its figures.
#[derive(Debug, Clone)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub svg: String,
    pub rows: Vec<Datum>,
}

const WIDTH: f64 = 640.0;
const BAR_HEIGHT: f64 = 22.0;
const BAR_GAP: f64 = 8.0;
const LABEL_WIDTH: f64 = 200.0;
const VALUE_WIDTH: f64 = 80.0;

/// Opens the drawing. Its text runs in the page's direction, stated rather than inherited, so
/// that `start` and `end` anchors mean the same wherever the SVG is shown: in a right-to-left
/// drawing a text's start is its right end.
/// The most characters of a bar's label that fit beside it; the whole label is in the bar's
/// title and in the table.
const LABEL_CHARS: usize = 26;

fn shortened(label: &str) -> String {
    if label.chars().count() > LABEL_CHARS {
        label.chars().take(LABEL_CHARS - 1).chain(['…']).collect()
    } else {
        label.to_owned()
    }
}

fn open_svg(out: &mut String, id: &str, title: &str, summary: &str, height: f64, dir: Direction) {
    let (id, title, summary) = (escape(id), escape(title), escape(summary));
    let direction = match dir {
        Direction::Ltr => "ltr",
        Direction::Rtl => "rtl",
    };
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" direction="{direction}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{title}</title><desc id="{id}-desc">{summary}</desc>"#
    );
}

/// Horizontal bars, one per datum, scaled to the largest (or to `max` when given, e.g. 100
/// for shares).
pub fn bars(id: &str, title: &str, summary: &str, data: Vec<Datum>, max: Option<f64>, dir: Direction) -> Chart {
    let height = (data.len().max(1) as f64) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP;
    let top = max
        .unwrap_or_else(|| data.iter().map(|d| d.value).fold(0.0, f64::max))
        .max(f64::MIN_POSITIVE);
    let span = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let mut svg = String::new();
    open_svg(&mut svg, id, title, summary, height, dir);
    for (i, d) in data.iter().enumerate() {
        let y = BAR_GAP + i as f64 * (BAR_HEIGHT + BAR_GAP);
        let length = (d.value.max(0.0) / top).min(1.0) * span;
        let text_y = y + BAR_HEIGHT * 0.72;
        // Label at the start of the line, then the bar, then its value, in reading order.
        let (label_x, anchor, bar_x, value_x, value_anchor) = match dir {
            Direction::Ltr => (8.0, "start", LABEL_WIDTH, LABEL_WIDTH + length + 6.0, "start"),
            // Right to left, `start` is the right end of a text.
            Direction::Rtl => (
                WIDTH - 8.0,
                "start",
                WIDTH - LABEL_WIDTH - length,
                WIDTH - LABEL_WIDTH - length - 6.0,
                "start",
            ),
        };
        let label = escape(&d.label);
        let short = escape(&shortened(&d.label));
        let shown = escape(&d.shown);
        let _ = write!(
            svg,
            r#"<text x="{label_x:.1}" y="{text_y:.1}" text-anchor="{anchor}" class="chart-label">{short}</text><rect x="{bar_x:.1}" y="{y:.1}" width="{length:.1}" height="{BAR_HEIGHT}" class="chart-bar"><title>{label}: {shown}</title></rect><text x="{value_x:.1}" y="{text_y:.1}" text-anchor="{value_anchor}" class="chart-value">{shown}</text>"#
        );
    }
    svg.push_str("</svg>");
    Chart {
        id: id.into(),
        title: title.into(),
        svg,
        rows: data,
    }
}

/// A line over time: the data are in time order, the oldest first; in a right-to-left page the
/// oldest is on the right.
pub fn trend(id: &str, title: &str, summary: &str, data: Vec<Datum>, dir: Direction) -> Chart {
    const HEIGHT: f64 = 220.0;
    const PAD: f64 = 28.0;
    let top = data.iter().map(|d| d.value).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let n = data.len();
    let step = if n > 1 {
        (WIDTH - 2.0 * PAD) / (n - 1) as f64
    } else {
        0.0
    };
    let x_of = |i: usize| match dir {
        Direction::Ltr => PAD + i as f64 * step,
        Direction::Rtl => WIDTH - PAD - i as f64 * step,
    };
    let y_of = |v: f64| HEIGHT - PAD - (v.max(0.0) / top) * (HEIGHT - 2.0 * PAD);
    let mut svg = String::new();
    open_svg(&mut svg, id, title, summary, HEIGHT, dir);
    let _ = write!(
        svg,
        r#"<line x1="{PAD}" y1="{base:.1}" x2="{right:.1}" y2="{base:.1}" class="chart-axis"/>"#,
        base = HEIGHT - PAD,
        right = WIDTH - PAD
    );
    if n > 1 {
        let points: Vec<String> = data
            .iter()
            .enumerate()
            .map(|(i, d)| format!("{:.1},{:.1}", x_of(i), y_of(d.value)))
            .collect();
        let _ = write!(svg, r#"<polyline points="{}" class="chart-line"/>"#, points.join(" "));
    }
    for (i, d) in data.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<circle cx="{:.1}" cy="{:.1}" r="3" class="chart-point"><title>{}: {}</title></circle>"#,
            x_of(i),
            y_of(d.value),
            escape(&d.label),
            escape(&d.shown)
        );
    }
    // The first and the last date under the axis, at their ends.
    for i in [0, n.saturating_sub(1)].into_iter().take(n.min(2)) {
        // The first date reads from its point inwards, the last towards it, in either direction.
        let anchor = if i == 0 { "start" } else { "end" };
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}" class="chart-label">{}</text>"#,
            x_of(i),
            HEIGHT - 8.0,
            escape(&data[i].label)
        );
    }
    svg.push_str("</svg>");
    Chart {
        id: id.into(),
        title: title.into(),
        svg,
        rows: data,
    }
}

/// A half-circle gauge of a share (0–100) with the target marked on it.
pub fn gauge(id: &str, title: &str, summary: &str, share: Datum, target: Option<Datum>, dir: Direction) -> Chart {
    const HEIGHT: f64 = 150.0;
    const R: f64 = 100.0;
    let (cx, cy) = (WIDTH / 2.0, 120.0);
    // The arc starts at the reading side: the left in a left-to-right page.
    let point = |fraction: f64| {
        let fraction = fraction.clamp(0.0, 1.0);
        let angle = std::f64::consts::PI * fraction;
        let x = match dir {
            Direction::Ltr => cx - R * angle.cos(),
            Direction::Rtl => cx + R * angle.cos(),
        };
        (x, cy - R * angle.sin())
    };
    let sweep = if dir == Direction::Ltr { 1 } else { 0 };
    let (sx, sy) = point(0.0);
    let (ex, ey) = point(1.0);
    let (vx, vy) = point(share.value / 100.0);
    let mut svg = String::new();
    open_svg(&mut svg, id, title, summary, HEIGHT, dir);
    let _ = write!(
        svg,
        r#"<path d="M {sx:.1} {sy:.1} A {R} {R} 0 0 {sweep} {ex:.1} {ey:.1}" class="chart-track"/><path d="M {sx:.1} {sy:.1} A {R} {R} 0 0 {sweep} {vx:.1} {vy:.1}" class="chart-fill"/>"#
    );
    if let Some(t) = &target {
        let (tx, ty) = point(t.value / 100.0);
        let _ = write!(
            svg,
            r#"<circle cx="{tx:.1}" cy="{ty:.1}" r="5" class="chart-target"><title>{}: {}</title></circle>"#,
            escape(&t.label),
            escape(&t.shown)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" class="chart-big">{}</text></svg>"#,
        cy - 10.0,
        escape(&share.shown)
    );
    let mut rows = vec![share];
    rows.extend(target);
    Chart {
        id: id.into(),
        title: title.into(),
        svg,
        rows,
    }
}

/// An area of a map: its figure and its outline's rings as (longitude, latitude).
#[derive(Debug, Clone)]
pub struct Region {
    pub label: String,
    pub value: f64,
    pub shown: String,
    pub href: Option<String>,
    pub rings: Vec<Vec<(f64, f64)>>,
}

/// Areas shaded by their figure in five steps (a map reads the same in both directions).
/// Longitudes are shrunk by the cosine of the middle latitude so that shapes keep their
/// proportions.
pub fn map(id: &str, title: &str, summary: &str, regions: Vec<Region>) -> Chart {
    const HEIGHT: f64 = 420.0;
    const PAD: f64 = 10.0;
    let points = || regions.iter().flat_map(|r| r.rings.iter().flatten());
    let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(lon, lat) in points() {
        west = west.min(lon);
        east = east.max(lon);
        south = south.min(lat);
        north = north.max(lat);
    }
    let shrink = ((south + north) / 2.0).to_radians().cos().max(0.1);
    let (span_x, span_y) = (((east - west) * shrink).max(1e-9), (north - south).max(1e-9));
    let scale = ((WIDTH - 2.0 * PAD) / span_x).min((HEIGHT - 2.0 * PAD) / span_y);
    let top = regions
        .iter()
        .map(|r| r.value)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut svg = String::new();
    open_svg(&mut svg, id, title, summary, HEIGHT, Direction::Ltr);
    for r in &regions {
        let mut d = String::new();
        for ring in &r.rings {
            for (i, &(lon, lat)) in ring.iter().enumerate() {
                let x = PAD + (lon - west) * shrink * scale;
                let y = PAD + (north - lat) * scale;
                let _ = write!(d, "{}{x:.1} {y:.1} ", if i == 0 { "M" } else { "L" });
            }
            d.push_str("Z ");
        }
        let step = ((r.value / top) * 4.0).round().clamp(0.0, 4.0) as u8;
        let _ = write!(
            svg,
            r#"<path d="{}" class="chart-area chart-shade-{step}"><title>{}: {}</title></path>"#,
            d.trim_end(),
            escape(&r.label),
            escape(&r.shown)
        );
    }
    svg.push_str("</svg>");
    let rows = regions
        .into_iter()
        .map(|r| Datum {
            label: r.label,
            value: r.value,
            shown: r.shown,
            href: r.href,
        })
        .collect();
    Chart {
        id: id.into(),
        title: title.into(),
        svg,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datum(label: &str, value: f64) -> Datum {
        Datum {
            label: label.into(),
            value,
            shown: format!("{value}"),
            href: Some(format!("/staff?service={label}")),
        }
    }

    fn parse(chart: &Chart) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(&chart.svg).expect("the chart is well-formed XML")
    }

    #[test]
    fn hostile_labels_stay_text() {
        let chart = bars(
            "top",
            "<script>alert(1)</script>",
            "a & b",
            vec![datum("\"><script>x</script>", 3.0), datum("ok\u{0}", 1.0)],
            None,
            Direction::Rtl,
        );
        let doc = parse(&chart);
        assert!(doc.descendants().all(|n| n.tag_name().name() != "script"));
        assert_eq!(doc.root_element().attribute("role"), Some("img"));
        let title = doc
            .descendants()
            .find(|n| n.has_tag_name("title"))
            .expect("as written in the test");
        assert_eq!(title.text(), Some("<script>alert(1)</script>"));
    }

    #[test]
    fn bars_scale_to_the_largest_and_grow_from_the_reading_side() {
        let data = vec![datum("a", 10.0), datum("b", 5.0)];
        for dir in [Direction::Ltr, Direction::Rtl] {
            let chart = bars("b", "t", "s", data.clone(), None, dir);
            let doc = parse(&chart);
            let rects: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("rect")).collect();
            let width = |i: usize| {
                rects[i]
                    .attribute("width")
                    .expect("as written in the test")
                    .parse::<f64>()
                    .expect("as written in the test")
            };
            let x = |i: usize| {
                rects[i]
                    .attribute("x")
                    .expect("as written in the test")
                    .parse::<f64>()
                    .expect("as written in the test")
            };
            assert!((width(0) - 2.0 * width(1)).abs() < 0.2, "{dir:?}");
            match dir {
                Direction::Ltr => assert_eq!(x(0), x(1)),
                // Right-aligned: both bars end at the same place.
                Direction::Rtl => assert!((x(0) + width(0) - (x(1) + width(1))).abs() < 0.2),
            }
            assert_eq!(
                doc.descendants().filter(|n| n.has_tag_name("a")).count(),
                0,
                "nothing to focus in an image"
            );
            // The label starts the line: at the right edge, reading leftwards, in Arabic.
            let label = doc
                .descendants()
                .find(|n| n.has_tag_name("text"))
                .expect("as written in the test");
            let label_x = label
                .attribute("x")
                .expect("as written in the test")
                .parse::<f64>()
                .expect("as written in the test");
            assert_eq!(label.attribute("text-anchor"), Some("start"));
            match dir {
                Direction::Ltr => assert!(label_x < x(0), "{dir:?}"),
                Direction::Rtl => {
                    assert_eq!(doc.root_element().attribute("direction"), Some("rtl"));
                    assert!(label_x > x(0) + width(0), "{dir:?}")
                }
            }
        }
    }

    #[test]
    fn time_runs_with_the_text() {
        let data = vec![datum("1 Jan", 1.0), datum("2 Jan", 2.0), datum("3 Jan", 0.0)];
        let first_x = |dir| {
            let chart = trend("t", "t", "s", data.clone(), dir);
            let doc = parse(&chart);
            let first = doc
                .descendants()
                .find(|n| n.has_tag_name("circle"))
                .expect("as written in the test");
            first
                .attribute("cx")
                .expect("as written in the test")
                .parse::<f64>()
                .expect("as written in the test")
        };
        assert!(first_x(Direction::Ltr) < WIDTH / 2.0);
        assert!(first_x(Direction::Rtl) > WIDTH / 2.0);
    }

    #[test]
    fn a_gauge_holds_its_share_and_target_and_an_empty_chart_is_valid() {
        let chart = gauge(
            "g",
            "t",
            "s",
            datum("share", 80.0),
            Some(datum("target", 95.0)),
            Direction::Ltr,
        );
        parse(&chart);
        assert_eq!(chart.rows.len(), 2);
        parse(&bars("e", "t", "s", vec![], None, Direction::Ltr));
        parse(&trend("e", "t", "s", vec![], Direction::Rtl));
        parse(&map("e", "t", "s", vec![]));
    }

    #[test]
    fn a_map_shades_the_busiest_area_darkest_and_keeps_its_proportions() {
        let square = |x: f64, y: f64| vec![vec![(x, y), (x + 0.1, y), (x + 0.1, y + 0.1), (x, y + 0.1), (x, y)]];
        let region = |label: &str, value: f64, rings| Region {
            label: label.into(),
            value,
            shown: format!("{value}"),
            href: None,
            rings,
        };
        let chart = map(
            "m",
            "t",
            "s",
            vec![
                region("<a>", 10.0, square(46.0, 24.0)),
                region("b", 0.0, square(46.1, 24.0)),
            ],
        );
        let doc = parse(&chart);
        let paths: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("path")).collect();
        assert_eq!(paths[0].attribute("class"), Some("chart-area chart-shade-4"));
        assert_eq!(paths[1].attribute("class"), Some("chart-area chart-shade-0"));
        // Two squares of 0.1° side by side at 24° N: 2 × cos 24° ≈ 1.83 times as wide as high.
        let xs: Vec<f64> = paths[1]
            .attribute("d")
            .expect("as written in the test")
            .split([' ', 'M', 'L', 'Z'])
            .filter(|t| !t.is_empty())
            .map(|t| t.parse().expect("as written in the test"))
            .collect();
        let right = xs.iter().step_by(2).fold(0.0, |a: f64, b| a.max(*b));
        let bottom = xs.iter().skip(1).step_by(2).fold(0.0, |a: f64, b| a.max(*b));
        let ratio = (right - 10.0) / (bottom - 10.0);
        assert!((ratio - 2.0 * 24f64.to_radians().cos()).abs() < 0.02, "{ratio}");
    }
}
