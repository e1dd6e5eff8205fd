//! The oversight dashboard at `/staff/oversight`, for installation-wide staff (the platform's
//! administrators, a ministry): every entity side by side on the same KPIs and targets,
//! ranked by the share of their targets they meet, each linking to its own dashboard.
//! Breaches are told to the entities' administrators by the job runner (`kpis::alerts`).

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::kit::charts::{self, Chart, Datum, Direction};
use crate::kit::{Named, SignedIn};
use crate::pages::render;
use crate::staff::dashboard::shown;
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use tawasul_app::identity::auth::Caller;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::kpis::{KpiGroup, KpiGroupBy, KpiQuery, KpiState};
use tawasul_app::Failure;
use tawasul_domain::vocab::KpiUnit;

/// The KPIs the entities are compared on, in the table's order.
const COMPARED: &[&str] = &[
    "volume",
    "within_sla_first_response",
    "within_sla",
    "resolution_business_median",
    "confirmed_resolution_rate",
    "reopen_rate",
    "escalation_rate",
    "ignored",
    "quality_mean",
    "survey_response_rate",
];

#[derive(serde::Deserialize, Default)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub struct Cell {
    pub value: String,
    pub state: Option<&'static str>,
}

pub struct EntityRow {
    pub rank: usize,
    pub name: String,
    pub href: String,
    pub met: usize,
    pub judged: usize,
    pub missed: usize,
    pub cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "staff_oversight.html")]
pub struct OversightPage {
    ctx: Ctx,
    user: StaffUser,
    from: String,
    to: String,
    updated_at: String,
    columns: Vec<String>,
    rows: Vec<EntityRow>,
    ranking: Chart,
}

/// (targets met, targets judged, targets missed) of a group.
fn score(group: &KpiGroup) -> (usize, usize, usize) {
    let states: Vec<KpiState> = group.kpis.iter().filter_map(|k| k.state).collect();
    let met = states.iter().filter(|s| **s == KpiState::Met).count();
    let missed = states.iter().filter(|s| **s == KpiState::Missed).count();
    (met, states.len(), missed)
}

pub async fn oversight(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Query(q): Query<PeriodQuery>,
) -> WebResult {
    if user.entity_id.is_some() {
        return Err(WebError::Forbidden(
            "the oversight dashboard is for installation-wide staff".into(),
        ));
    }
    let mut query = KpiQuery::parse(None, Some(&q.from), Some(&q.to), None).map_err(Failure::from)?;
    query.group_by = Some(KpiGroupBy::Entity);
    let report = state.app.kpis(&Caller::Staff(user.clone()), query).await?;
    let entities = state.app.entities().await?;
    let lang = ctx.lang().to_owned();
    let (from, to) = (report.from.to_string(), report.to.to_string());
    // An entity that received nothing in the period has no group: it is listed all the same.
    let silent: Vec<KpiGroup> = entities
        .iter()
        .filter(|e| {
            !report
                .groups
                .iter()
                .any(|g| g.group.get("entity") == Some(&Some(e.code.clone())))
        })
        .map(|e| KpiGroup {
            group: [("entity".to_owned(), Some(e.code.clone()))].into(),
            kpis: Vec::new(),
        })
        .collect();
    let mut ranked: Vec<&KpiGroup> = report.groups.iter().chain(&silent).collect();
    // The most targets met in share first; ties by the fewest missed.
    let share = |g: &KpiGroup| {
        let (met, judged, _) = score(g);
        if judged == 0 {
            0.0
        } else {
            met as f64 / judged as f64
        }
    };
    ranked.sort_by(|a, b| share(b).total_cmp(&share(a)).then(score(a).2.cmp(&score(b).2)));
    let name_of = |g: &KpiGroup| {
        let code = g.group.get("entity").cloned().flatten().unwrap_or_default();
        let name = entities
            .iter()
            .find(|e| e.code == code)
            .map_or(code.clone(), |e| e.name_in(&lang).to_owned());
        (code, name)
    };
    let rows: Vec<EntityRow> = ranked
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let (code, name) = name_of(g);
            let (met, judged, missed) = score(g);
            let query = serde_urlencoded::to_string([("entity", code.as_str()), ("from", &from), ("to", &to)])
                .unwrap_or_default();
            EntityRow {
                rank: i + 1,
                name,
                href: format!("/staff/dashboard?{query}"),
                met,
                judged,
                missed,
                cells: COMPARED
                    .iter()
                    .map(|key| match g.kpis.iter().find(|k| k.key == *key) {
                        Some(k) => Cell {
                            value: shown(&ctx, k.value, k.unit),
                            state: k.state.map(|s| s.as_str()),
                        },
                        None if *key == "volume" => Cell {
                            value: "0".into(),
                            state: None,
                        },
                        None => Cell {
                            value: "—".into(),
                            state: None,
                        },
                    })
                    .collect(),
            }
        })
        .collect();
    let ranking = charts::bars(
        "ranking",
        &ctx.t("oversight-ranking"),
        &ctx.t("oversight-ranking-summary"),
        rows.iter()
            .map(|r| {
                let value = if r.judged == 0 {
                    0.0
                } else {
                    100.0 * r.met as f64 / r.judged as f64
                };
                Datum {
                    label: r.name.clone(),
                    value,
                    shown: shown(&ctx, Some(value), KpiUnit::Percent),
                    href: Some(r.href.clone()),
                }
            })
            .collect(),
        Some(100.0),
        Direction::of(ctx.dir()),
    );
    render(&OversightPage {
        from,
        to,
        updated_at: ctx.date(&report.updated_at),
        columns: COMPARED.iter().map(|k| ctx.word("kpi", k)).collect(),
        rows,
        ranking,
        user,
        ctx,
    })
}
