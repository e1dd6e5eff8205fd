//! The portal's start page: the services, narrowed by kind of case and a search.

use crate::context::Ctx;
use crate::error::WebResult;
use crate::kit::{ByLanguage, Named};
use crate::pages::render;
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;
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
    /// The expected response and resolution times, in words.
    pub expected: String,
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
    let kind = Kind::parse(&query.kind).ok();
    let q = query.q.trim().to_owned();
    let kind_param = kind.map(|k| format!("?kind={k}")).unwrap_or_default();
    let expected = state.app.expected_times().await?;
    let cards = state
        .app
        .find_services(&q, kind)
        .await?
        .iter()
        .map(|service| ServiceCard {
            expected: expected
                .get(&service.code)
                .map(|times| ctx.expected(times))
                .unwrap_or_default(),
            name: service.name_in(ctx.lang()).to_owned(),
            description: ByLanguage::new(&service.description_ar, &service.description_en)
                .pick(ctx.lang())
                .to_owned(),
            href: format!("/report/{}{kind_param}", service.code),
        })
        .collect();
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
        services: cards,
        q,
        kind: kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        ctx,
    })
}
