//! The public transparency page at `/dashboard`: for anyone, per entity and per service, the
//! cases received, the median response and resolution times, the share resolved within
//! target, the share the residents confirmed solved and their satisfaction, with a map of the
//! cases received by area; never a person or a point. The figures of a period are kept for a
//! minute on this node (and the page may be cached as long), so that a crowd reading the page
//! costs the store one report a minute.

use crate::context::Ctx;
use crate::error::WebResult;
use crate::kit::charts::{self, Chart, Datum, Direction};
use crate::kit::Named;
use crate::pages::render;
use crate::staff::dashboard::shown;
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tawasul_app::kpis::{KpiGroup, KpiQuery, PublicFigures, PUBLIC_KPIS};
use tawasul_app::Failure;
use tawasul_domain::vocab::KpiUnit;

/// How long a period's figures are reused, and how long browsers and proxies may keep the page.
const FRESH: Duration = Duration::from_secs(60);
/// Periods kept at once; any more and the oldest are dropped (the query is the visitor's).
const KEPT: usize = 32;
/// The most services the chart shows; the table lists them all.
const TOP: usize = 10;

/// A period's figures and when they were computed.
type Kept = (Instant, Arc<PublicFigures>);

/// The figures of recently asked periods.
#[derive(Default)]
pub struct PublicCache(Mutex<HashMap<(NaiveDate, NaiveDate), Kept>>);

impl PublicCache {
    fn get(&self, period: (NaiveDate, NaiveDate)) -> Option<Arc<PublicFigures>> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(&period)
            .filter(|(at, _)| at.elapsed() < FRESH)
            .map(|(_, f)| f.clone())
    }

    fn put(&self, period: (NaiveDate, NaiveDate), figures: Arc<PublicFigures>) {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|_, (at, _)| at.elapsed() < FRESH);
        if kept.len() >= KEPT {
            kept.clear();
        }
        kept.insert(period, (Instant::now(), figures));
    }
}

#[derive(serde::Deserialize, Default)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub struct Row {
    pub label: String,
    pub entity: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "transparency.html")]
pub struct TransparencyPage {
    ctx: Ctx,
    from: String,
    to: String,
    updated_at: String,
    columns: Vec<String>,
    entities: Vec<Row>,
    services: Vec<Row>,
    within: Chart,
    top: Chart,
    map: Option<Chart>,
}

fn value(group: &KpiGroup, key: &str) -> (Option<f64>, KpiUnit) {
    group
        .kpis
        .iter()
        .find(|k| k.key == key)
        .map_or((None, KpiUnit::Count), |k| (k.value, k.unit))
}

pub async fn transparency(State(state): State<WebState>, ctx: Ctx, Query(q): Query<PeriodQuery>) -> WebResult {
    let query = KpiQuery::parse(None, Some(&q.from), Some(&q.to), None).map_err(Failure::from)?;
    let period = query.period(state.app.kpi_today(None).await?).map_err(Failure::from)?;
    let figures = match state.transparency.get(period) {
        Some(figures) => figures,
        None => {
            let figures = Arc::new(state.app.public_kpis(period.0, period.1).await?);
            state.transparency.put(period, figures.clone());
            figures
        }
    };
    let (entities, services, areas) =
        tokio::try_join!(state.app.entities(), state.app.services(), state.app.area_outlines())?;
    let lang = ctx.lang().to_owned();
    let dir = Direction::of(ctx.dir());
    let entity_name = |g: &KpiGroup| {
        let code = g.group.get("entity").cloned().flatten().unwrap_or_default();
        entities
            .iter()
            .find(|e| e.code == code)
            .map_or(code, |e| e.name_in(&lang).to_owned())
    };
    let cells = |g: &KpiGroup| {
        PUBLIC_KPIS
            .iter()
            .filter(|k| **k != "surveys")
            .map(|k| {
                let (v, unit) = value(g, k);
                shown(&ctx, v, unit)
            })
            .collect()
    };
    let columns = PUBLIC_KPIS
        .iter()
        .filter(|k| **k != "surveys")
        .map(|k| ctx.word("kpi", k))
        .collect();
    let entity_rows: Vec<Row> = figures
        .entities
        .groups
        .iter()
        .map(|g| Row {
            label: entity_name(g),
            entity: String::new(),
            cells: cells(g),
        })
        .collect();
    let service_name = |g: &KpiGroup| {
        let code = g.group.get("service").cloned().flatten().unwrap_or_default();
        services
            .iter()
            .find(|s| s.code == code)
            .map_or(code, |s| s.name_in(&lang).to_owned())
    };
    let volume = |g: &KpiGroup| value(g, "volume").0.unwrap_or(0.0);
    let mut by_volume: Vec<&KpiGroup> = figures.services.groups.iter().collect();
    by_volume.sort_by(|a, b| volume(b).total_cmp(&volume(a)));
    let service_rows = by_volume
        .iter()
        .map(|g| Row {
            label: service_name(g),
            entity: entity_name(g),
            cells: cells(g),
        })
        .collect();
    let within = charts::bars(
        "within",
        &ctx.word("kpi", "within_sla"),
        &ctx.t("open-within-summary"),
        figures
            .entities
            .groups
            .iter()
            .map(|g| {
                let (v, unit) = value(g, "within_sla");
                Datum {
                    label: entity_name(g),
                    value: v.unwrap_or(0.0),
                    shown: shown(&ctx, v, unit),
                    href: None,
                }
            })
            .collect(),
        Some(100.0),
        dir,
    );
    let top = charts::bars(
        "top-services",
        &ctx.t("open-top-services"),
        &ctx.t("open-top-services-summary"),
        by_volume
            .iter()
            .take(TOP)
            .map(|g| Datum {
                label: service_name(g),
                value: volume(g),
                shown: shown(&ctx, Some(volume(g)), KpiUnit::Count),
                href: None,
            })
            .collect(),
        None,
        dir,
    );
    let received: HashMap<String, f64> = figures
        .areas
        .groups
        .iter()
        .filter_map(|g| Some((g.group.get("area").cloned().flatten()?, volume(g))))
        .collect();
    let map = (!areas.is_empty()).then(|| {
        let regions = areas
            .iter()
            .map(|a| {
                // A small area's count is left out with it, as in the tables.
                let n = received.get(&a.id.to_string()).copied();
                charts::Region {
                    label: a.name.clone().unwrap_or_else(|| format!("#{}", a.id)),
                    value: n.unwrap_or(0.0),
                    shown: n.map_or_else(|| ctx.t("open-too-few"), |n| shown(&ctx, Some(n), KpiUnit::Count)),
                    href: None,
                    rings: a.rings.clone(),
                }
            })
            .collect();
        charts::map("areas", &ctx.t("open-map"), &ctx.t("open-map-summary"), regions)
    });
    let page = TransparencyPage {
        from: period.0.to_string(),
        to: period.1.to_string(),
        updated_at: ctx.date(&figures.entities.updated_at),
        columns,
        entities: entity_rows,
        services: service_rows,
        within,
        top,
        map,
        ctx,
    };
    let mut response = render(&page)?;
    if let Ok(v) = header::HeaderValue::from_str(&format!("public, max-age={}", FRESH.as_secs())) {
        response.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    Ok(response)
}
