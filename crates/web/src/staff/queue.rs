//! The queues at `/staff`: mine, my department's, the workflow engine's and all, narrowed by
//! filters and read a page at a time.

use super::sign_in::LoginPage;
use super::Names;
use crate::context::Ctx;
use crate::error::WebResult;
use crate::forms;
use crate::kit::{options, signed_in, Named, SelectOption};
use crate::pages::{render, Live};
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use tawasul_app::cases::views::CaseSummary;
use tawasul_app::cases::work::CaseQuery;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::{CasesError, Failure};
use tawasul_domain::vocab::{Channel, Kind, Language, Priority, Status};

const PAGE_SIZE: i64 = 25;

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    queue: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    sla: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    point: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    cursor: String,
}

impl QueueQuery {
    /// This query as a link, with `cursor` replaced.
    fn href(&self, queue: &str, cursor: &str) -> String {
        let pairs = [
            ("queue", queue),
            ("q", &self.q),
            ("status", &self.status),
            ("service", &self.service),
            ("channel", &self.channel),
            ("priority", &self.priority),
            ("sla", &self.sla),
            ("sort", &self.sort),
            ("from", &self.from),
            ("to", &self.to),
            ("point", &self.point),
            ("department", &self.department),
            ("assignee", &self.assignee),
            ("kind", &self.kind),
            ("area", &self.area),
            ("language", &self.language),
            ("entity", &self.entity),
            ("cursor", cursor),
        ];
        let kept: Vec<_> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        format!("/staff?{}", serde_urlencoded::to_string(kept).unwrap_or_default())
    }
}

/// A queue tab. The workflow engine's queues (transferred, followed, escalated) are more
/// entries of `queue_tabs`.
pub struct Tab {
    pub key: &'static str,
    pub label: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "staff_queue.html")]
pub struct QueuePage {
    ctx: Ctx,
    user: StaffUser,
    tabs: Vec<Tab>,
    query: QueueQuery,
    statuses: Vec<SelectOption>,
    services: Vec<SelectOption>,
    /// The service points of the user's entity, each labelled with its count of cases.
    points: Vec<SelectOption>,
    /// For installation-wide staff only; empty for the others.
    entities: Vec<SelectOption>,
    departments: Vec<SelectOption>,
    assignees: Vec<SelectOption>,
    kinds: Vec<SelectOption>,
    areas: Vec<SelectOption>,
    languages: Vec<SelectOption>,
    channels: Vec<SelectOption>,
    priorities: Vec<SelectOption>,
    sla_states: Vec<SelectOption>,
    sorts: Vec<SelectOption>,
    cases: Vec<CaseSummary>,
    next: Option<String>,
    first: Option<String>,
    error: Option<String>,
    live: Live,
    names: Names,
}

/// The SLA states a queue can be narrowed to, and the orders it can be sorted in (the
/// first is the default); the application layer knows each by these names.
const SLA_FILTERS: [&str; 2] = ["overdue", "due_soon"];
const SORTS: [&str; 4] = ["newest", "oldest", "due", "priority"];

/// The workflow engine's queues, beside mine, my department's and all.
const WORKFLOW_QUEUES: [&str; 4] = ["triage", "transferred", "followed", "escalated"];

fn queue_tabs(ctx: &Ctx, user: &StaffUser, query: &QueueQuery, current: &str) -> Vec<Tab> {
    let mut keys = vec!["mine"];
    if user.department_id.is_some() {
        keys.push("department");
    }
    keys.extend(WORKFLOW_QUEUES);
    keys.push("all");
    keys.into_iter()
        .map(|key| Tab {
            key,
            label: ctx.t(&format!("queue-{key}")),
            href: query.href(key, ""),
            current: key == current,
        })
        .collect()
}

pub async fn home(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(query): Query<QueueQuery>,
) -> WebResult {
    let Some(user) = signed_in(&state, &headers).await? else {
        return render(&LoginPage {
            ctx,
            username: String::new(),
            failed: false,
        });
    };
    let queue = match query.queue.as_str() {
        "department" if user.department_id.is_some() => "department",
        "all" => "all",
        other => WORKFLOW_QUEUES.into_iter().find(|q| *q == other).unwrap_or("mine"),
    };
    let (departments, staff) = tokio::try_join!(state.app.departments(), state.app.staff_directory(&user))?;
    let blank = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let department = match (queue, user.department_id) {
        ("department", Some(id)) => departments.iter().find(|d| d.id == id).map(|d| d.code.clone()),
        _ => blank(&query.department),
    };
    let assignee = if queue == "mine" {
        Some("me".to_owned())
    } else {
        blank(&query.assignee)
    };
    let case_query = CaseQuery {
        q: blank(&query.q),
        status: blank(&query.status),
        service: blank(&query.service),
        channel: blank(&query.channel),
        priority: blank(&query.priority),
        sla: blank(&query.sla),
        sort: blank(&query.sort),
        department,
        assignee,
        kind: blank(&query.kind),
        area: blank(&query.area),
        language: blank(&query.language),
        entity: blank(&query.entity),
        queue: WORKFLOW_QUEUES.contains(&queue).then(|| queue.to_owned()),
        from: blank(&query.from),
        to: blank(&query.to),
        cursor: blank(&query.cursor),
        point: blank(&query.point),
        limit: Some(PAGE_SIZE),
    };
    let (cases, next, error) = match state.app.list_cases(&user, case_query).await {
        Ok(page) => (page.items, page.next_cursor, None),
        Err(CasesError::Common(Failure::Invalid(invalid))) => (vec![], None, Some(forms::message(&ctx, invalid.code))),
        Err(e) => return Err(e.into()),
    };
    let (services, entities, areas) =
        tokio::try_join!(state.app.services(), state.app.entities(), state.app.area_names())?;
    // The entity in view: the user's, or the one an installation-wide user narrowed to.
    let in_view = user
        .entity_id
        .or_else(|| entities.iter().find(|e| e.code == query.entity.trim()).map(|e| e.id));
    let none = |label: &str, selected: &str| SelectOption {
        value: "none".into(),
        label: ctx.t(label),
        selected: selected == "none",
    };
    // Counts per point come from the points' own rollups, not from counting cases.
    let points = state.app.points_for_queue(&user).await?;
    let page = QueuePage {
        points: options(
            points.iter().map(|p| {
                let label = format!("{} ({})", p.name_in(ctx.lang()), p.case_count);
                (p.code.clone(), label)
            }),
            &query.point,
        ),
        entities: if user.entity_id.is_none() {
            options(
                entities
                    .iter()
                    .map(|e| (e.code.clone(), e.name_in(ctx.lang()).to_owned())),
                query.entity.trim(),
            )
        } else {
            Vec::new()
        },
        departments: {
            let mut o = vec![none("filter-no-department", query.department.trim())];
            o.extend(options(
                departments
                    .iter()
                    .filter(|d| in_view.is_none_or(|e| e == d.entity_id))
                    .map(|d| (d.code.clone(), d.name_in(ctx.lang()).to_owned())),
                query.department.trim(),
            ));
            o
        },
        assignees: {
            let mut o = vec![none("filter-unassigned", query.assignee.trim())];
            o.extend(options(
                staff
                    .iter()
                    .filter(|s| s.active && in_view.is_none_or(|e| s.entity_id == Some(e)))
                    .map(|s| (s.username.clone(), s.display_name.clone())),
                query.assignee.trim(),
            ));
            o
        },
        kinds: options(
            Kind::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), ctx.word("kind", k.as_str()))),
            query.kind.trim(),
        ),
        areas: {
            let mut o = vec![none("filter-no-area", query.area.trim())];
            o.extend(options(
                areas
                    .iter()
                    .filter(|a| in_view.is_none_or(|e| e == a.entity_id))
                    .map(|a| (a.id.to_string(), a.name.clone().unwrap_or_else(|| format!("#{}", a.id)))),
                query.area.trim(),
            ));
            o
        },
        languages: options(
            Language::ALL
                .iter()
                .map(|l| (l.as_str().to_owned(), ctx.word("language-of", l.as_str()))),
            query.language.trim(),
        ),
        names: Names::new(&departments, &staff, ctx.lang()),
        tabs: queue_tabs(&ctx, &user, &query, queue),
        statuses: options(
            Status::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), ctx.word("status", s.as_str()))),
            &query.status,
        ),
        services: options(
            services
                .iter()
                .filter(|s| user.entity_id.is_none_or(|e| e == s.entity_id))
                .map(|s| (s.code.clone(), s.name_in(ctx.lang()).to_owned())),
            &query.service,
        ),
        channels: options(
            Channel::ALL
                .iter()
                .map(|c| (c.as_str().to_owned(), ctx.word("channel", c.as_str()))),
            &query.channel,
        ),
        priorities: options(
            Priority::ALL
                .iter()
                .rev()
                .map(|p| (p.as_str().to_owned(), ctx.word("priority", p.as_str()))),
            &query.priority,
        ),
        sla_states: options(
            SLA_FILTERS.into_iter().map(|s| (s.to_owned(), ctx.word("sla", s))),
            &query.sla,
        ),
        sorts: options(
            SORTS.into_iter().map(|s| (s.to_owned(), ctx.word("sort", s))),
            &query.sort,
        ),
        next: next.map(|cursor| query.href(queue, &cursor)),
        first: (!query.cursor.is_empty()).then(|| query.href(queue, "")),
        live: Live::queue(&cases, query.href(queue, &query.cursor), state.settings.live_poll_secs),
        cases,
        error,
        user,
        query,
        ctx,
    };
    render(&page)
}
