//! The staff dashboard at `/staff/dashboard`: an entity's KPIs over a period against its
//! targets, the trend of its volume, its SLA gauges, its backlog by age, its ratings, its top
//! services (or departments, staff, channels, kinds, areas, languages) and a map of its open
//! cases by area. Every chart is SVG drawn here with the table of its figures; every figure
//! that has cases behind it links to them in the queue.

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::kit::charts::{self, Chart, Datum, Direction};
use crate::kit::{options, Named, SelectOption, SignedIn};
use crate::pages::render;
use crate::staff::Names;
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use chrono::{Datelike, NaiveDate, SecondsFormat};
use std::collections::HashMap;
use tawasul_app::identity::auth::Caller;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::kpis::{steps, KpiGroup, KpiQuery, KpiStep, KpiValue};
use tawasul_app::Failure;
use tawasul_domain::from_micros;
use tawasul_domain::vocab::{KpiGroupBy, KpiState, KpiUnit, Status};

/// The headline figures, in the order of their cards.
const HEADLINE: &[&str] = &[
    "volume",
    "backlog",
    "first_response_business_median",
    "resolution_business_median",
    "within_sla",
    "confirmed_resolution_rate",
    "quality_mean",
    "survey_response_rate",
];
/// The shares shown as gauges against their targets.
const GAUGES: &[&str] = &[
    "within_sla_first_response",
    "within_sla",
    "within_ola",
    "confirmed_resolution_rate",
];
/// The columns of the table of groups.
const GROUP_COLUMNS: &[&str] = &[
    "volume",
    "within_sla",
    "resolution_business_median",
    "confirmed_resolution_rate",
    "quality_mean",
];
const BACKLOG: &[&str] = &[
    "backlog_under_1d",
    "backlog_1d_3d",
    "backlog_3d_7d",
    "backlog_7d_30d",
    "backlog_over_30d",
];
/// The most groups a bar chart shows; the table lists them all.
const TOP: usize = 10;

#[derive(serde::Deserialize, Default)]
pub struct DashboardQuery {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    group_by: String,
}

/// A headline figure.
pub struct Card {
    pub title: String,
    pub value: String,
    pub target: Option<String>,
    /// `met`, `at_risk` or `missed`, for the badge's class.
    pub state: Option<&'static str>,
    pub state_label: String,
    /// The queue of the cases behind the figure.
    pub href: Option<String>,
}

/// A row of the table of groups.
pub struct GroupRow {
    pub label: String,
    pub href: Option<String>,
    pub cells: Vec<Cell>,
}

pub struct Cell {
    pub value: String,
    pub state: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "staff_dashboard.html")]
pub struct DashboardPage {
    ctx: Ctx,
    user: StaffUser,
    from: String,
    to: String,
    updated_at: String,
    entities: Vec<SelectOption>,
    groupings: Vec<SelectOption>,
    group_title: String,
    cards: Vec<Card>,
    gauges: Vec<Chart>,
    trend: Chart,
    backlog: Chart,
    ratings: Chart,
    top: Chart,
    columns: Vec<String>,
    groups: Vec<GroupRow>,
    map: Option<Chart>,
}

fn value_of<'a>(group: &'a KpiGroup, key: &str) -> Option<&'a KpiValue> {
    group.kpis.iter().find(|k| k.key == key)
}

fn state_class(state: Option<KpiState>) -> Option<&'static str> {
    state.map(|s| s.as_str())
}

/// A value as the page writes it: durations in the largest unit that keeps them readable.
pub fn shown(ctx: &Ctx, value: Option<f64>, unit: KpiUnit) -> String {
    let Some(v) = value else { return "—".into() };
    match unit {
        KpiUnit::Count => format!("{}", v.round() as i64),
        KpiUnit::Percent => ctx.t1("dash-percent", "n", format!("{v:.1}")),
        KpiUnit::Score => ctx.t1("dash-score", "n", format!("{v:.2}")),
        KpiUnit::Minutes | KpiUnit::BusinessMinutes => {
            if v < 120.0 {
                ctx.t1("dash-minutes", "n", format!("{v:.0}"))
            } else if v < 48.0 * 60.0 {
                ctx.t1("dash-hours", "n", format!("{:.1}", v / 60.0))
            } else {
                ctx.t1("dash-days", "n", format!("{:.1}", v / (24.0 * 60.0)))
            }
        }
    }
}

fn title(ctx: &Ctx, key: &str) -> String {
    ctx.word("kpi", key)
}

fn card(ctx: &Ctx, group: &KpiGroup, key: &str, href: Option<String>) -> Card {
    // A period with no case has no group: its counts are nought, the rest not measured.
    let (value, unit, target, state) = value_of(group, key).map_or_else(
        || {
            let unit = tawasul_domain::kpi::kpi(key).map_or(KpiUnit::Count, |d| d.unit);
            ((unit == KpiUnit::Count).then_some(0.0), unit, None, None)
        },
        |k| (k.value, k.unit, k.target, k.state),
    );
    Card {
        title: title(ctx, key),
        value: shown(ctx, value, unit),
        target: target.map(|t| shown(ctx, Some(t), unit)),
        state: state_class(state),
        state_label: state.map(|s| ctx.word("kpi-state", s.as_str())).unwrap_or_default(),
        href,
    }
}

/// The trend's first day and step, ending on `to`: days for a month or less (the last 31),
/// weeks up to a quarter (the last 14), beyond that the last twelve months.
pub fn trend(from: NaiveDate, to: NaiveDate) -> (NaiveDate, KpiStep) {
    let days = (to - from).num_days() + 1;
    let (step, most) = if days <= 31 {
        (KpiStep::Day, 31)
    } else if days <= 92 {
        (KpiStep::Week, 14)
    } else {
        (KpiStep::Month, 12)
    };
    let all = steps(from, to, step);
    let first = all.get(all.len().saturating_sub(most)).map_or(from, |s| s.0);
    (first, step)
}

/// The consecutive periods of the trend, ending on `to` (what the series answers).
#[cfg(test)]
fn periods(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let (first, step) = trend(from, to);
    steps(first, to, step)
}

/// A period by its first day, or by its month when it is one.
fn period_label((start, end): (NaiveDate, NaiveDate)) -> String {
    let whole_month = start.day() == 1 && end.succ_opt().is_some_and(|next| next.day() == 1);
    if whole_month && start != end {
        start.format("%Y-%m").to_string()
    } else {
        start.format("%Y-%m-%d").to_string()
    }
}

fn query(entity: &str, from: NaiveDate, to: NaiveDate, group_by: Option<KpiGroupBy>) -> KpiQuery {
    KpiQuery {
        entity: (!entity.is_empty()).then(|| entity.to_owned()),
        from: Some(from),
        to: Some(to),
        group_by,
    }
}

/// The queue of every case (the "all" tab) narrowed by `extra`: a link to the cases behind a
/// figure. Dates are local days of the entity in view there as here; the queue's `to` is
/// exclusive, the report's last day is not.
fn queue_href(extra: &[(&str, &str)], from: NaiveDate, to: NaiveDate) -> String {
    let (from, to) = (from.to_string(), to.succ_opt().unwrap_or(to).to_string());
    let mut pairs: Vec<(&str, &str)> = vec![("queue", "all"), ("from", &from), ("to", &to)];
    pairs.extend_from_slice(extra);
    format!("/staff?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
}

/// The queue of the open cases (every status not ended) narrowed by `extra`, received in
/// `[from, to)` when given: the cases behind a backlog figure.
fn open_href(extra: &[(&str, &str)], period: Option<(i64, i64)>) -> String {
    let open: Vec<&str> = Status::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
    let open = open.join(",");
    let instant = |at: i64| from_micros(at).to_rfc3339_opts(SecondsFormat::Micros, true);
    let bounds = period.map(|(from, to)| (instant(from), instant(to)));
    let mut pairs: Vec<(&str, &str)> = vec![("queue", "all"), ("status", &open)];
    if let Some((from, to)) = &bounds {
        pairs.push(("from", from));
        pairs.push(("to", to));
    }
    pairs.extend_from_slice(extra);
    format!("/staff?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
}

/// The queue parameter that narrows to a group's member: `none` for the cases without one
/// where the queue can say it, else no link.
fn member_filter(group_by: KpiGroupBy, member: Option<&str>) -> Option<(&'static str, String)> {
    let key = match group_by {
        KpiGroupBy::Service => "service",
        KpiGroupBy::Channel => "channel",
        KpiGroupBy::Department => "department",
        KpiGroupBy::Employee => "assignee",
        KpiGroupBy::Kind => "kind",
        KpiGroupBy::Area => "area",
        KpiGroupBy::Language => "language",
        KpiGroupBy::Entity => "entity",
    };
    match (member, group_by) {
        (Some(m), _) => Some((key, m.to_owned())),
        (None, KpiGroupBy::Department | KpiGroupBy::Employee | KpiGroupBy::Area) => Some((key, "none".to_owned())),
        (None, _) => None,
    }
}

/// A group's own filters: its entity (when the report is per entity) and its member.
fn group_filters(group_by: KpiGroupBy, g: &KpiGroup) -> Option<Vec<(&'static str, String)>> {
    let dimension = group_by.as_str();
    let mut out = Vec::new();
    if group_by != KpiGroupBy::Entity {
        if let Some(entity) = g.group.get("entity").cloned().flatten() {
            out.push(("entity", entity));
        }
    }
    out.push(member_filter(
        group_by,
        g.group.get(dimension).cloned().flatten().as_deref(),
    )?);
    Some(out)
}

fn pairs<'a>(filters: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    filters.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

pub async fn dashboard(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Query(q): Query<DashboardQuery>,
) -> WebResult {
    let caller = Caller::Staff(user.clone());
    let parsed =
        KpiQuery::parse(Some(&q.entity), Some(&q.from), Some(&q.to), Some(&q.group_by)).map_err(Failure::from)?;
    let group_by = parsed.group_by.unwrap_or(KpiGroupBy::Service);
    let (from, to) = state.app.kpi_period(&caller, &parsed).await?;
    let entity = q.entity.as_str();
    // The total, the grouping and the open cases by area, and the trend as one series: the
    // marks folded once, the reports read side by side, with the names the page shows.
    let mut queries = vec![query(entity, from, to, None), query(entity, from, to, Some(group_by))];
    if group_by != KpiGroupBy::Area {
        queries.push(query(entity, from, to, Some(KpiGroupBy::Area)));
    }
    let (first, step) = trend(from, to);
    let figures = async {
        Ok::<_, WebError>(
            state
                .app
                .kpi_page(&caller, queries, Some((query(entity, first, to, None), step)))
                .await?,
        )
    };
    let directory = async {
        Ok::<_, WebError>(tokio::try_join!(
            state.app.departments(),
            state.app.staff_directory(&user),
            state.app.services(),
            state.app.entities(),
            state.app.area_outlines(),
        )?)
    };
    let ((reports, series), (departments, staff, services, entities, areas)) = tokio::try_join!(figures, directory)?;
    let mut reports = reports.into_iter();
    let (Some(total), Some(grouped)) = (reports.next(), reports.next()) else {
        return Err(Failure::Unexpected(anyhow::anyhow!("the dashboard's reports are missing")).into());
    };
    let by_area = reports.next().unwrap_or_else(|| grouped.clone());
    let volumes: Vec<((NaiveDate, NaiveDate), Option<f64>)> = series
        .map(|s| s.points.iter().map(|p| ((p.from, p.to), p.value("volume"))).collect())
        .unwrap_or_default();
    let lang = ctx.lang().to_owned();
    let dir = Direction::of(ctx.dir());
    let names = Names::new(&departments, &staff, &lang);
    let empty = KpiGroup {
        group: Default::default(),
        kpis: Vec::new(),
    };
    let whole = total.groups.first().unwrap_or(&empty);

    // The entity in view, for the links of the totals: the one asked for, else the user's own
    // (the queue's default).
    let entity_pair: Vec<(&str, &str)> = if entity.is_empty() {
        vec![]
    } else {
        vec![("entity", entity)]
    };
    let period_href = queue_href(&entity_pair, from, to);
    let cards = HEADLINE
        .iter()
        .map(|k| {
            let href = if *k == "backlog" {
                open_href(&entity_pair, None)
            } else {
                period_href.clone()
            };
            card(&ctx, whole, k, Some(href))
        })
        .collect();
    let gauges = GAUGES
        .iter()
        .filter_map(|key| {
            let k = value_of(whole, key)?;
            let share = Datum {
                label: title(&ctx, key),
                value: k.value.unwrap_or(0.0),
                shown: shown(&ctx, k.value, k.unit),
                href: Some(period_href.clone()),
            };
            let target = k.target.map(|t| Datum {
                label: ctx.t("dash-target"),
                value: t,
                shown: shown(&ctx, Some(t), k.unit),
                href: None,
            });
            Some(charts::gauge(
                &format!("gauge-{key}"),
                &title(&ctx, key),
                &share.shown.clone(),
                share,
                target,
                dir,
            ))
        })
        .collect();
    let trend_data = volumes
        .into_iter()
        .map(|(period, volume)| Datum {
            label: period_label(period),
            value: volume.unwrap_or(0.0),
            shown: shown(&ctx, volume, KpiUnit::Count),
            href: Some(queue_href(&entity_pair, period.0, period.1)),
        })
        .collect();
    let trend_title = ctx.t("dash-trend");
    let trend = charts::trend("trend", &trend_title, &ctx.t("dash-trend-summary"), trend_data, dir);
    // The ages of the backlog, as the report counts them at `now`: under a day is received
    // after now − 1 day, and so on, each bound's own instant in the later bucket.
    const DAY: i64 = 86_400_000_000;
    let now = state.app.now_micros();
    let ages: [(Option<i64>, Option<i64>); 5] = [
        (Some(1), None),
        (Some(3), Some(1)),
        (Some(7), Some(3)),
        (Some(30), Some(7)),
        (None, Some(30)),
    ];
    let backlog_data = BACKLOG
        .iter()
        .zip(ages)
        .map(|(key, (older, newer))| {
            let v = value_of(whole, key).and_then(|k| k.value);
            let from = older.map_or(0, |d| now - d * DAY + 1);
            let to = newer.map_or(now + 1, |d| now - d * DAY + 1);
            Datum {
                label: title(&ctx, key),
                value: v.unwrap_or(0.0),
                shown: shown(&ctx, v, KpiUnit::Count),
                href: Some(open_href(&entity_pair, Some((from, to)))),
            }
        })
        .collect();
    let backlog = charts::bars(
        "backlog",
        &title(&ctx, "backlog"),
        &ctx.t("dash-backlog-summary"),
        backlog_data,
        None,
        dir,
    );
    let ratings_data = (1..=5)
        .map(|score| {
            let key = format!("quality_{score}");
            let v = value_of(whole, &key).and_then(|k| k.value);
            Datum {
                label: ctx.t1("dash-stars", "n", score),
                value: v.unwrap_or(0.0),
                shown: shown(&ctx, v, KpiUnit::Count),
                href: None,
            }
        })
        .collect();
    let ratings = charts::bars(
        "ratings",
        &title(&ctx, "quality_mean"),
        &ctx.t("dash-ratings-summary"),
        ratings_data,
        None,
        dir,
    );

    let service_names: HashMap<&str, &str> = services.iter().map(|s| (s.code.as_str(), s.name_in(&lang))).collect();
    let area_names: HashMap<String, String> = areas
        .iter()
        .map(|a| (a.id.to_string(), a.name.clone().unwrap_or_else(|| format!("#{}", a.id))))
        .collect();
    let dimension = group_by.as_str();
    let label_of = |g: &KpiGroup| -> String {
        let entity_code = g.group.get("entity").cloned().flatten().unwrap_or_default();
        match g.group.get(dimension).cloned().flatten() {
            None => ctx.t("dash-none"),
            Some(member) => match group_by {
                KpiGroupBy::Service => service_names
                    .get(member.as_str())
                    .map_or(member.clone(), |n| (*n).to_owned()),
                KpiGroupBy::Department => names.department(&entity_code, &member).to_owned(),
                KpiGroupBy::Employee => names.staff(&member).to_owned(),
                KpiGroupBy::Channel => ctx.word("channel", &member),
                KpiGroupBy::Kind => ctx.word("kind", &member),
                KpiGroupBy::Language => ctx.word("language-of", &member),
                KpiGroupBy::Area => area_names.get(&member).cloned().unwrap_or(member),
                KpiGroupBy::Entity => entities
                    .iter()
                    .find(|e| e.code == member)
                    .map_or(member.clone(), |e| e.name_in(&lang).to_owned()),
            },
        }
    };
    let href_of = |g: &KpiGroup| -> Option<String> {
        let filters = group_filters(group_by, g)?;
        let mut all = pairs(&filters);
        if !all.iter().any(|(k, _)| *k == "entity") {
            all.extend_from_slice(&entity_pair);
        }
        Some(queue_href(&all, from, to))
    };
    let mut ranked: Vec<&KpiGroup> = grouped.groups.iter().collect();
    let volume = |g: &KpiGroup| value_of(g, "volume").and_then(|k| k.value).unwrap_or(0.0);
    ranked.sort_by(|a, b| volume(b).total_cmp(&volume(a)));
    let top_data = ranked
        .iter()
        .take(TOP)
        .map(|g| Datum {
            label: label_of(g),
            value: volume(g),
            shown: shown(&ctx, Some(volume(g)), KpiUnit::Count),
            href: href_of(g),
        })
        .collect();
    let group_title = ctx.word("dash-group", dimension);
    let top = charts::bars("top", &group_title, &ctx.t("dash-top-summary"), top_data, None, dir);
    let groups = ranked
        .iter()
        .map(|g| GroupRow {
            label: label_of(g),
            href: href_of(g),
            cells: GROUP_COLUMNS
                .iter()
                .map(|key| {
                    let k = value_of(g, key);
                    Cell {
                        value: k.map_or_else(|| "—".into(), |k| shown(&ctx, k.value, k.unit)),
                        state: k.and_then(|k| state_class(k.state)),
                    }
                })
                .collect(),
        })
        .collect();
    let columns = GROUP_COLUMNS.iter().map(|k| title(&ctx, k)).collect();

    // The open cases by area, on the areas' outlines.
    let open: HashMap<i64, f64> = by_area
        .groups
        .iter()
        .filter_map(|g| {
            let id = g.group.get("area").cloned().flatten()?.parse().ok()?;
            Some((id, value_of(g, "backlog").and_then(|k| k.value).unwrap_or(0.0)))
        })
        .collect();
    let scope = entities
        .iter()
        .find(|e| e.code == entity)
        .map(|e| e.id)
        .or(user.entity_id);
    let shapes: Vec<_> = areas
        .iter()
        .filter(|a| scope.is_none_or(|id| a.entity_id == id))
        .collect();
    let map = (!shapes.is_empty()).then(|| {
        let data = shapes
            .iter()
            .map(|a| {
                let n = open.get(&a.id).copied().unwrap_or(0.0);
                charts::Region {
                    label: area_names.get(&a.id.to_string()).cloned().unwrap_or_default(),
                    value: n,
                    shown: shown(&ctx, Some(n), KpiUnit::Count),
                    href: Some({
                        let id = a.id.to_string();
                        let mut extra = vec![("area", id.as_str())];
                        if let Some(e) = entities.iter().find(|e| e.id == a.entity_id) {
                            extra.push(("entity", e.code.as_str()));
                        }
                        open_href(&extra, None)
                    }),
                    rings: a.rings.clone(),
                }
            })
            .collect();
        charts::map("map", &ctx.t("dash-map"), &ctx.t("dash-map-summary"), data)
    });

    let entity_options = if user.entity_id.is_none() {
        let mut o = vec![SelectOption {
            value: String::new(),
            label: ctx.t("dash-all-entities"),
            selected: entity.is_empty(),
        }];
        o.extend(options(
            entities.iter().map(|e| (e.code.clone(), e.name_in(&lang).to_owned())),
            entity,
        ));
        o
    } else {
        Vec::new()
    };
    let groupings = options(
        KpiGroupBy::ALL
            .iter()
            .filter(|g| **g != KpiGroupBy::Entity || user.entity_id.is_none())
            .map(|g| (g.as_str().to_owned(), ctx.word("dash-group", g.as_str()))),
        group_by.as_str(),
    );
    render(&DashboardPage {
        from: from.to_string(),
        to: to.to_string(),
        updated_at: ctx.date(&total.updated_at),
        entities: entity_options,
        groupings,
        group_title,
        cards,
        gauges,
        trend,
        backlog,
        ratings,
        top,
        columns,
        groups,
        map,
        user,
        ctx,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("as written in the test")
    }

    #[test]
    fn trend_periods_cover_the_end_of_the_period_without_gaps() {
        for (from, to, first, count) in [
            ("2026-11-01", "2026-11-30", "2026-11-01", 30),
            ("2026-09-01", "2026-11-30", "2026-09-01", 13),
            ("2024-01-01", "2026-11-30", "2025-12-01", 12),
        ] {
            let p = periods(d(from), d(to));
            assert_eq!(p.len(), count, "{from}..{to}");
            assert_eq!(p.first().expect("as written in the test").0, d(first), "{from}..{to}");
            assert_eq!(p.last().expect("as written in the test").1, d(to));
            for w in p.windows(2) {
                assert_eq!(w[0].1.succ_opt(), Some(w[1].0), "{from}..{to}: a gap or an overlap");
            }
        }
    }
}
