//! The monthly performance report of an entity: `/staff/report` as a printable page and
//! `/staff/report.pdf` as a PDF, both in the reader's language. The PDF's text is shaped and
//! drawn as outlines in the bundled font (`tawasul_print`), so that Arabic reads right in
//! any viewer, with or without Arabic fonts.

use crate::context::Ctx;
use crate::error::WebResult;
use crate::kit::{Named, SignedIn};
use crate::pages::render;
use crate::staff::dashboard::shown;
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate};
use tawasul_app::identity::auth::Caller;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::kpis::{KpiQuery, KpiReport};
use tawasul_app::Failure;
use tawasul_domain::Invalid;
use tawasul_print::pdf::{document, A4};
use tawasul_print::text::{line_aligned, Align, LineStyle};
use tawasul_print::Shape;

#[derive(serde::Deserialize, Default)]
pub struct ReportQuery {
    #[serde(default)]
    entity: String,
    /// `YYYY-MM`; by default the last complete month.
    #[serde(default)]
    month: String,
}

/// A line of the report: a KPI, its value, its target and whether it was met.
pub struct Line {
    pub name: String,
    pub value: String,
    pub target: String,
    pub state: Option<&'static str>,
    pub state_label: String,
}

#[derive(Template)]
#[template(path = "staff_report.html")]
pub struct ReportPage {
    ctx: Ctx,
    user: StaffUser,
    title: String,
    entity: String,
    month: String,
    pdf_href: String,
    updated_at: String,
    lines: Vec<Line>,
}

/// The first and last day of `month` (`YYYY-MM`), by default of the month before `today`'s.
pub fn month_of(month: &str, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), Invalid> {
    let first = if month.is_empty() {
        today.with_day(1).and_then(|d| d.checked_sub_months(Months::new(1)))
    } else {
        NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
            .ok()
            .filter(|_| month.len() == 7)
    }
    .ok_or_else(|| Invalid::new("invalid_month", "month", "expected a month YYYY-MM"))?;
    let last = first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .ok_or_else(|| Invalid::new("invalid_month", "month", "expected a month YYYY-MM"))?;
    Ok((first, last))
}

/// The report's figures and the name of what it covers.
async fn figures(
    state: &WebState,
    ctx: &Ctx,
    user: &StaffUser,
    q: &ReportQuery,
) -> WebResult<(KpiReport, String, String)> {
    let (from, to) = month_of(&q.month, state.app.kpi_today(user.entity_id).await?).map_err(Failure::from)?;
    let mut query = KpiQuery::parse(Some(&q.entity), None, None, None).map_err(Failure::from)?;
    (query.from, query.to) = (Some(from), Some(to));
    let report = state.app.kpis(&Caller::Staff(user.clone()), query).await?;
    let entities = state.app.entities().await?;
    let code = if q.entity.is_empty() {
        user.entity_id
            .and_then(|id| entities.iter().find(|e| e.id == id))
            .map(|e| e.code.clone())
    } else {
        Some(q.entity.clone())
    };
    let name = match code {
        Some(code) => entities
            .iter()
            .find(|e| e.code == code)
            .map_or(code, |e| e.name_in(ctx.lang()).to_owned()),
        None => ctx.t("dash-all-entities"),
    };
    Ok((report, name, from.format("%Y-%m").to_string()))
}

fn lines(ctx: &Ctx, report: &KpiReport) -> Vec<Line> {
    let Some(group) = report.groups.first() else {
        return Vec::new();
    };
    group
        .kpis
        .iter()
        // The distributions (`quality_1` …) are in the dashboard's charts, not in the report.
        .filter(|k| !k.key.ends_with(|c: char| c.is_ascii_digit()))
        .map(|k| Line {
            name: ctx.word("kpi", &k.key),
            value: shown(ctx, k.value, k.unit),
            target: k.target.map_or_else(String::new, |t| shown(ctx, Some(t), k.unit)),
            state: k.state.map(|s| s.as_str()),
            state_label: k.state.map(|s| ctx.word("kpi-state", s.as_str())).unwrap_or_default(),
        })
        .collect()
}

pub async fn report_page(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Query(q): Query<ReportQuery>,
) -> WebResult {
    let (report, entity, month) = figures(&state, &ctx, &user, &q).await?;
    let query = serde_urlencoded::to_string([("entity", q.entity.as_str()), ("month", &month), ("lang", ctx.lang())])
        .unwrap_or_default();
    render(&ReportPage {
        title: ctx.t1("report-title", "month", &month),
        pdf_href: format!("/staff/report.pdf?{query}"),
        updated_at: ctx.date(&report.updated_at),
        lines: lines(&ctx, &report),
        entity,
        month,
        user,
        ctx,
    })
}

const MARGIN: f32 = 50.0;
const ROW: f32 = 22.0;
const ROWS_PER_PAGE: usize = 30;

/// A line of text at (`x`, baseline `y`), standing against `x` as `align` says.
fn text(shapes: &mut Vec<Shape>, text: &str, (x, y): (f32, f32), style: LineStyle, align: Align) {
    shapes.push(line_aligned(text, x, y, style, align).0);
}

/// The report laid out on A4 pages: a heading, then one row per KPI (name, value, target,
/// state), columns from the right in Arabic and from the left in English.
pub fn pdf(title: &str, entity: &str, updated: &str, headings: [&str; 4], lines: &[Line], rtl: bool) -> Vec<u8> {
    let (width, _) = A4;
    let inner = width - 2.0 * MARGIN;
    // Each column's edge where its text starts, and how wide it is: name, value, target, state.
    let columns = [(0.0, 0.45), (0.45, 0.2), (0.65, 0.2), (0.85, 0.15)];
    let place = |(start, span): (f32, f32)| -> (f32, f32, Align) {
        if rtl {
            (width - MARGIN - start * inner, span * inner - 6.0, Align::Right)
        } else {
            (MARGIN + start * inner, span * inner - 6.0, Align::Left)
        }
    };
    let mut pages = Vec::new();
    let chunks: Vec<&[Line]> = if lines.is_empty() {
        vec![&[]]
    } else {
        lines.chunks(ROWS_PER_PAGE).collect()
    };
    for chunk in chunks {
        let mut shapes = Vec::new();
        let centre = width / 2.0;
        text(
            &mut shapes,
            title,
            (centre, MARGIN + 24.0),
            LineStyle {
                size: 20.0,
                max_width: inner,
                rtl,
            },
            Align::Centre,
        );
        text(
            &mut shapes,
            entity,
            (centre, MARGIN + 50.0),
            LineStyle {
                size: 14.0,
                max_width: inner,
                rtl,
            },
            Align::Centre,
        );
        text(
            &mut shapes,
            updated,
            (centre, MARGIN + 70.0),
            LineStyle {
                size: 9.0,
                max_width: inner,
                rtl,
            },
            Align::Centre,
        );
        let mut y = MARGIN + 105.0;
        for (heading, column) in headings.iter().zip(columns) {
            let (x, span, align) = place(column);
            text(
                &mut shapes,
                heading,
                (x, y),
                LineStyle {
                    size: 11.0,
                    max_width: span,
                    rtl,
                },
                align,
            );
        }
        shapes.push(Shape::Rect(MARGIN, y + 6.0, inner, 1.0));
        for l in chunk {
            y += ROW;
            let state = if l.state_label.is_empty() {
                ""
            } else {
                l.state_label.as_str()
            };
            for (cell, column) in [l.name.as_str(), &l.value, &l.target, state].into_iter().zip(columns) {
                let (x, span, align) = place(column);
                text(
                    &mut shapes,
                    cell,
                    (x, y),
                    LineStyle {
                        size: 10.0,
                        max_width: span,
                        rtl,
                    },
                    align,
                );
            }
            shapes.push(Shape::Rect(MARGIN, y + 6.0, inner, 0.3));
        }
        pages.push(shapes);
    }
    document(title, &pages, A4)
}

pub async fn report_pdf(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Query(q): Query<ReportQuery>,
) -> WebResult<Response> {
    let (report, entity, month) = figures(&state, &ctx, &user, &q).await?;
    let title = ctx.t1("report-title", "month", &month);
    let updated = ctx.t1("dash-updated", "at", ctx.date(&report.updated_at));
    let headings = ["report-kpi", "report-value", "dash-target", "report-state"].map(|id| ctx.t(id));
    let lines = lines(&ctx, &report);
    let bytes = pdf(
        &plain(&title),
        &plain(&entity),
        &plain(&updated),
        [&headings[0], &headings[1], &headings[2], &headings[3]].map(|h| h.as_str()),
        &lines
            .into_iter()
            .map(|l| Line {
                name: plain(&l.name),
                value: plain(&l.value),
                target: plain(&l.target),
                ..l
            })
            .collect::<Vec<_>>(),
        ctx.dir() == "rtl",
    );
    let name = format!("tawasul-report-{month}.pdf");
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// Text without the isolation marks Fluent puts around its arguments: the PDF's lines are
/// ordered by the bidi algorithm itself, and the font has no glyph for the marks.
fn plain(text: &str) -> String {
    text.chars().filter(|c| !matches!(c, '\u{2066}'..='\u{2069}')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("as written in the test")
    }

    #[test]
    fn a_month_is_read_whole_and_a_bad_one_refused() {
        assert_eq!(
            month_of("2026-02", d("2026-12-05")).expect("as written in the test"),
            (d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(
            month_of("", d("2026-01-15")).expect("as written in the test"),
            (d("2025-12-01"), d("2025-12-31"))
        );
        for bad in ["2026-13", "2026-2", "2026-02-01", "soon", "2026-00"] {
            assert!(month_of(bad, d("2026-12-05")).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_pdf_has_a_page_per_thirty_lines_in_both_directions() {
        let line = |i: usize| Line {
            name: format!("المؤشر {i}"),
            value: "٩٠٫٠ ٪".into(),
            target: "95 %".into(),
            state: Some("missed"),
            state_label: "غير متحقق".into(),
        };
        for (n, pages) in [(0, 1), (30, 1), (31, 2), (61, 3)] {
            let lines: Vec<Line> = (0..n).map(line).collect();
            for rtl in [true, false] {
                let bytes = pdf(
                    "تقرير الأداء الشهري",
                    "أمانة العاصمة",
                    "2026-11",
                    ["a", "b", "c", "d"],
                    &lines,
                    rtl,
                );
                assert!(bytes.starts_with(b"%PDF-"));
                let text = String::from_utf8_lossy(&bytes);
                assert!(text.contains(&format!("/Count {pages}")), "{n} lines: {pages} pages");
                assert_eq!(text.matches("/MediaBox").count(), pages, "{n} lines");
            }
        }
    }
}
