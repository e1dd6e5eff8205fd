//! The portal's start page: the services, narrowed by kind of case and a search.

use crate::context::Ctx;
use crate::error::WebResult;
use crate::kit::{ByLanguage, Named};
use crate::pages::render;
use crate::search;
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;
use tawasul_app::intake::service_from_row;
use tawasul_domain::vocab::Kind;

pub struct KindLink {
    pub value: &'static str,
    pub label: String,
    pub hint: String,
    pub href: String,
    pub selected: bool,
}

pub struct ServiceCard {
    pub name: String,
    pub description: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    ctx: Ctx,
    q: String,
    kind: String,
    kinds: Vec<KindLink>,
    services: Vec<ServiceCard>,
}

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
}

pub async fn home(State(state): State<WebState>, ctx: Ctx, Query(query): Query<HomeQuery>) -> WebResult {
    let rows = state.app.services().await?;
    let kind = Kind::parse(&query.kind).ok();
    let q = query.q.trim().to_owned();
    let mut scored: Vec<(u32, ServiceCard)> = vec![];
    for row in &rows {
        let service = service_from_row(row)?;
        if kind.is_some_and(|k| !service.kinds.contains(&k)) {
            continue;
        }
        let haystack = format!(
            "{} {} {} {}",
            service.name_ar, service.name_en, service.description_ar, service.description_en
        );
        let score = if q.is_empty() { 1 } else { search::score(&q, &haystack) };
        if score == 0 {
            continue;
        }
        let kind_param = kind.map(|k| format!("?kind={k}")).unwrap_or_default();
        scored.push((
            score,
            ServiceCard {
                name: service.name_in(ctx.lang()).to_owned(),
                description: ByLanguage::new(&service.description_ar, &service.description_en)
                    .pick(ctx.lang())
                    .to_owned(),
                href: format!("/report/{}{kind_param}", service.code),
            },
        ));
    }
    // Best matches first; among equals the catalogue's own order.
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    let kinds = Kind::ALL
        .iter()
        .map(|k| {
            let selected = kind == Some(*k);
            let mut params = vec![];
            if !selected {
                params.push(("kind", k.as_str().to_owned()));
            }
            if !q.is_empty() {
                params.push(("q", q.clone()));
            }
            let query = serde_urlencoded::to_string(&params).unwrap_or_default();
            KindLink {
                value: k.as_str(),
                label: ctx.word("kind", k.as_str()),
                hint: ctx.word("kind-hint", k.as_str()),
                href: if query.is_empty() {
                    "/".into()
                } else {
                    format!("/?{query}")
                },
                selected,
            }
        })
        .collect();
    render(&HomePage {
        kinds,
        services: scored.into_iter().map(|(_, s)| s).collect(),
        q,
        kind: kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        ctx,
    })
}
