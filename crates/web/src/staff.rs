//! The staff console: sign-in, queues with filters, and the case page with its actions.

use crate::context::{cookie, Ctx};
use crate::error::{WebError, WebResult};
use crate::forms;
use crate::pages::{refused, render, FieldErrors, Live};
use crate::resident::attachment_response;
use crate::WebState;
use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::collections::HashMap;
use tawasul_app::auth::{Caller, Credentials};
use tawasul_app::authz::{Permission, StaffUser};
use tawasul_app::cases::{CaseQuery, CommentRequest, TransitionRequest, Visibility};
use tawasul_app::merge::{MergeRequest, MERGE_TARGET};
use tawasul_app::rows::{DepartmentRow, ReplyTemplateRow, StaffRow};
use tawasul_app::survey::SurveyView;
use tawasul_app::transfers::{TransferDecision, TransferRequest};
use tawasul_app::views::{CaseSummary, CaseView};
use tawasul_app::AppError;
use tawasul_domain::lifecycle::{self, Action};
use tawasul_domain::reply;
use tawasul_domain::vocab::{Channel, Priority, Status};

/// The cookie the API's login sets too, so one sign-in serves both.
const SESSION_COOKIE: &str = "tawasul_session";
const SESSION_SECS: i64 = 12 * 3600;
const PAGE_SIZE: i64 = 25;

pub(crate) async fn signed_in(state: &WebState, headers: &HeaderMap) -> WebResult<Option<StaffUser>> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    match state.app.authenticate(Some(token)).await? {
        Caller::Staff(user) => Ok(Some(user)),
        _ => Ok(None),
    }
}

#[derive(Template)]
#[template(path = "staff_login.html")]
pub struct LoginPage {
    ctx: Ctx,
    username: String,
    failed: bool,
}

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

pub struct Option2 {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "staff_queue.html")]
pub struct QueuePage {
    ctx: Ctx,
    user: StaffUser,
    tabs: Vec<Tab>,
    query: QueueQuery,
    statuses: Vec<Option2>,
    services: Vec<Option2>,
    channels: Vec<Option2>,
    priorities: Vec<Option2>,
    sla_states: Vec<Option2>,
    sorts: Vec<Option2>,
    cases: Vec<CaseSummary>,
    next: Option<String>,
    first: Option<String>,
    error: Option<String>,
    live: Live,
    names: Names,
}

/// Names, in the page's language, for the department codes and staff usernames that cases
/// carry; a code or username not found is shown as it is.
pub struct Names {
    departments: HashMap<(String, String), String>,
    staff: HashMap<String, String>,
}

impl Names {
    pub(crate) fn new(departments: &[DepartmentRow], staff: &[StaffRow], ar: bool) -> Self {
        Self {
            departments: departments
                .iter()
                .map(|d| {
                    let name = if ar { &d.name_ar } else { &d.name_en };
                    ((d.entity_code.clone(), d.code.clone()), name.clone())
                })
                .collect(),
            staff: staff
                .iter()
                .map(|s| (s.username.clone(), s.display_name.clone()))
                .collect(),
        }
    }

    pub fn department<'a>(&'a self, entity: &str, code: &'a str) -> &'a str {
        self.departments
            .get(&(entity.to_owned(), code.to_owned()))
            .map_or(code, String::as_str)
    }

    pub fn staff<'a>(&'a self, username: &'a str) -> &'a str {
        self.staff.get(username).map_or(username, String::as_str)
    }
}

pub(crate) fn options(values: impl IntoIterator<Item = (String, String)>, selected: &str) -> Vec<Option2> {
    values
        .into_iter()
        .map(|(value, label)| Option2 {
            selected: value == selected,
            value,
            label,
        })
        .collect()
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
    let department = match (queue, user.department_id) {
        ("department", Some(id)) => departments.iter().find(|d| d.id == id).map(|d| d.code.clone()),
        _ => None,
    };
    let blank = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let case_query = CaseQuery {
        q: blank(&query.q),
        status: blank(&query.status),
        service: blank(&query.service),
        channel: blank(&query.channel),
        priority: blank(&query.priority),
        sla: blank(&query.sla),
        sort: blank(&query.sort),
        department,
        assignee: (queue == "mine").then(|| "me".to_owned()),
        queue: WORKFLOW_QUEUES.contains(&queue).then(|| queue.to_owned()),
        from: blank(&query.from),
        to: blank(&query.to),
        cursor: blank(&query.cursor),
        limit: Some(PAGE_SIZE),
        ..CaseQuery::default()
    };
    let (cases, next, error) = match state.app.list_cases(&user, case_query).await {
        Ok(page) => (page.items, page.next_cursor, None),
        Err(AppError::Invalid(invalid)) => (vec![], None, Some(forms::message(&ctx, invalid.code))),
        Err(e) => return Err(e.into()),
    };
    let services = state.app.services().await?;
    let ar = ctx.lang() == "ar";
    let page = QueuePage {
        names: Names::new(&departments, &staff, ar),
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
                .map(|s| (s.code.clone(), if ar { s.name_ar.clone() } else { s.name_en.clone() })),
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

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login(State(state): State<WebState>, ctx: Ctx, Form(form): Form<LoginForm>) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let credentials = Credentials {
        username: form.username.trim().to_owned(),
        password: form.password,
    };
    match state.app.login(credentials).await {
        Ok((session, _)) => {
            let cookie = ctx.cookie(SESSION_COOKIE, &session.token, SESSION_SECS);
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/staff")).into_response())
        }
        Err(AppError::BadCredentials) => {
            let mut response = render(&LoginPage {
                ctx,
                username: form.username,
                failed: true,
            })?;
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<forms::CsrfOnly>,
) -> WebResult {
    forms::sign_out(&state, &ctx, &headers, form, SESSION_COOKIE, "/staff").await
}

pub struct ActionForm {
    pub action: &'static str,
    pub label: String,
    /// Which extra input the action needs: "resolution", "reason", "assign" or "".
    pub needs: &'static str,
}

#[derive(Template)]
#[template(path = "staff_case.html")]
pub struct CasePage {
    ctx: Ctx,
    user: StaffUser,
    case: CaseView,
    actions: Vec<ActionForm>,
    departments: Vec<Option2>,
    assignees: Vec<Option2>,
    may_reply: bool,
    may_note: bool,
    errors: FieldErrors,
    comment: String,
    survey: Option<SurveyView>,
    tile_url: String,
    service_name: String,
    templates: Vec<TemplateLink>,
    /// Where the case may be handed: `department:CODE` of its entity, `entity:CODE` of others.
    transfer_targets: Vec<Option2>,
    /// The case waits for this user's entity to accept or return it.
    may_decide_transfer: bool,
    live: Live,
    names: Names,
    /// The merge form, and what was typed in it when it comes back refused.
    may_merge: bool,
    merge_into: String,
    merge_reason: String,
}

impl CasePage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

pub struct TemplateLink {
    pub label: String,
    pub href: String,
}

/// The reply template `key` filled in for this case: in the language the reporter reads,
/// else in another language the entity wrote it in (Arabic, then English, first).
fn fill_template(
    ctx: &Ctx,
    templates: &[ReplyTemplateRow],
    case: &CaseView,
    service: Option<(&str, &str)>,
    key: &str,
) -> Option<String> {
    let wanted = [
        case.reporter.as_ref().and_then(|r| r.language.clone()),
        Some(case.language.clone()),
        Some("ar".to_owned()),
        Some("en".to_owned()),
    ];
    let of_key: Vec<&ReplyTemplateRow> = templates.iter().filter(|t| t.key == key).collect();
    let template = wanted
        .iter()
        .flatten()
        .find_map(|lang| of_key.iter().find(|t| &t.language == lang))
        .or_else(|| of_key.first())?;
    let lang = template.language.as_str();
    let catalog = &ctx.tr.catalog;
    let name = case
        .reporter
        .as_ref()
        .filter(|r| !r.masked)
        .and_then(|r| r.name.clone())
        .unwrap_or_else(|| {
            let lang = if catalog.has(lang) { lang } else { ctx.lang() };
            catalog.format(lang, "reply-resident", None)
        });
    let service = service.map_or(case.service.as_str(), |(ar, en)| if lang == "ar" { ar } else { en });
    Some(reply::fill(&template.body, &name, &case.reference, service))
}

/// One link per template key, titled in the page's language where the entity wrote it.
fn template_links(ctx: &Ctx, templates: &[ReplyTemplateRow], reference: &str) -> Vec<TemplateLink> {
    let mut links: Vec<(String, TemplateLink)> = Vec::new();
    for t in templates {
        let href = format!("/staff/cases/{reference}?template={}#comment-title", t.key);
        match links.iter_mut().find(|(key, _)| key == &t.key) {
            Some((_, link)) if t.language == ctx.lang() => link.label.clone_from(&t.title),
            Some(_) => {}
            None => links.push((
                t.key.clone(),
                TemplateLink {
                    label: t.title.clone(),
                    href,
                },
            )),
        }
    }
    links.into_iter().map(|(_, link)| link).collect()
}

async fn case_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    reference: &str,
    errors: FieldErrors,
    comment: String,
    template: Option<&str>,
) -> WebResult<CasePage> {
    let caller = Caller::Staff(user.clone());
    let case = state.app.read_case(&caller, reference).await?;
    let service = state
        .app
        .store
        .service_by_code(&case.service)
        .await
        .map_err(AppError::from)?;
    let reply_templates = state.app.reply_templates_for_reply(&user, &case.entity).await?;
    let comment = match template.filter(|_| comment.is_empty()) {
        Some(key) => {
            let names = service.as_ref().map(|s| (s.name_ar.as_str(), s.name_en.as_str()));
            fill_template(&ctx, &reply_templates, &case, names, key).unwrap_or(comment)
        }
        None => comment,
    };
    let templates = template_links(&ctx, &reply_templates, &case.reference);
    // Staff of an entity that handed the case over follow it without its survey.
    let survey = match state.app.survey(&caller, reference).await {
        Err(AppError::Forbidden(_)) => None,
        other => other?,
    };
    let actions = case
        .available_actions
        .iter()
        .map(|a| ActionForm {
            action: a.as_str(),
            label: ctx.word("action", a.as_str()),
            needs: match a {
                Action::Resolve => "resolution",
                Action::Reject => "reason",
                Action::Assign => "assign",
                _ => "",
            },
        })
        .collect();
    let (departments, staff) = tokio::try_join!(state.app.departments(), state.app.staff_directory(&user))?;
    let ar = ctx.lang() == "ar";
    let names = Names::new(&departments, &staff, ar);
    let service_name = match service {
        Some(s) if ar => s.name_ar,
        Some(s) => s.name_en,
        None => case.service.clone(),
    };
    let departments = options(
        departments
            .into_iter()
            .filter(|d| d.entity_code == case.entity)
            .map(|d| (d.code, if ar { d.name_ar } else { d.name_en })),
        case.department.as_deref().unwrap_or(""),
    );
    let assignees = options(
        staff
            .into_iter()
            .filter(|s| s.active && s.entity_code.as_deref() == Some(case.entity.as_str()))
            .map(|s| (s.username, s.display_name)),
        case.assignee.as_deref().unwrap_or(""),
    );
    let entity = user.entity_id;
    let status = Status::parse(&case.status).map_err(AppError::from)?;
    let transfer_targets = if lifecycle::may_transfer(status) && user.may(Permission::Transfer, entity) {
        let entities = state.app.entities().await?;
        let other_departments = departments
            .iter()
            .filter(|d| Some(d.value.as_str()) != case.department.as_deref())
            .map(|d| (format!("department:{}", d.value), d.label.clone()));
        let other_entities = entities
            .into_iter()
            .filter(|e| e.code != case.entity)
            .map(|e| (format!("entity:{}", e.code), if ar { e.name_ar } else { e.name_en }));
        options(other_departments.chain(other_entities), "")
    } else {
        vec![]
    };
    Ok(CasePage {
        names,
        live: Live::case(
            &case,
            format!("/staff/cases/{}", case.reference),
            state.settings.live_poll_secs,
        ),
        may_decide_transfer: status == Status::Transferred && user.may(Permission::DecideTransfer, entity),
        may_merge: lifecycle::may_merge(status) && user.may(Permission::Merge, entity),
        merge_into: String::new(),
        merge_reason: String::new(),
        transfer_targets,
        may_reply: user.may(Permission::PublicReply, entity),
        may_note: user.may(Permission::InternalNote, entity),
        actions,
        departments,
        assignees,
        errors,
        comment,
        survey,
        tile_url: state.settings.tile_url.clone(),
        service_name,
        templates,
        case,
        user,
        ctx,
    })
}

/// The signed-in staff user of a console request. Without a staff session the visitor is
/// sent to the sign-in page, before any form is read.
pub struct SignedIn(pub StaffUser);

impl FromRequestParts<WebState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        match signed_in(state, &parts.headers).await {
            Ok(Some(user)) => Ok(SignedIn(user)),
            Ok(None) => Err(Redirect::to("/staff").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct TemplateQuery {
    #[serde(default)]
    template: String,
}

pub async fn case(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(reference): Path<String>,
    Query(query): Query<TemplateQuery>,
) -> WebResult {
    let template = Some(query.template.as_str()).filter(|t| !t.is_empty());
    render(
        &case_page(
            &state,
            ctx,
            user,
            &reference,
            FieldErrors::new(),
            String::new(),
            template,
        )
        .await?,
    )
}

/// The case page again, with `invalid`'s message beside the form field `field`.
async fn refused_at(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    reference: &str,
    field: String,
    code: &str,
    comment: String,
) -> WebResult {
    let mut errors = FieldErrors::new();
    errors.insert(field, forms::message(&ctx, code));
    refused(&case_page(state, ctx, user, reference, errors, comment, None).await?)
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    visibility: String,
}

pub async fn comment(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(reference): Path<String>,
    Form(form): Form<CommentForm>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let visibility = if form.visibility == "public" {
        Visibility::Public
    } else {
        Visibility::Internal
    };
    let request = CommentRequest {
        body: form.body.clone(),
        visibility: Some(visibility),
    };
    match state
        .app
        .comment(&Caller::Staff(user.clone()), &reference, request)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/staff/cases/{reference}#timeline")).into_response()),
        Err(AppError::Invalid(invalid)) => {
            refused_at(&state, ctx, user, &reference, "body".into(), invalid.code, form.body).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TransitionForm {
    #[serde(default)]
    csrf_token: Option<String>,
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    assignee: String,
}

pub async fn transition(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(reference): Path<String>,
    Form(form): Form<TransitionForm>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let action = Action::ALL
        .iter()
        .copied()
        .find(|a| a.as_str() == form.action)
        .ok_or_else(|| WebError::BadRequest(format!("no action {:?}", form.action)))?;
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
    let request = TransitionRequest {
        action,
        reason: some(&form.reason),
        resolution: some(&form.resolution),
        department: some(&form.department),
        assignee: some(&form.assignee),
    };
    match state.app.transition(&user, &reference, request).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/cases/{reference}")).into_response()),
        Err(AppError::Invalid(invalid)) => {
            let field = format!("{}.{}", form.action, invalid.field);
            refused_at(&state, ctx, user, &reference, field, invalid.code, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TransferForm {
    #[serde(default)]
    csrf_token: Option<String>,
    /// `department:CODE` or `entity:CODE` (handing over); a department code (accepting).
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
}

/// Hands a misrouted case to another department, or to another entity under their OLA.
pub async fn transfer(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(reference): Path<String>,
    Form(form): Form<TransferForm>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let (entity, department) = match form.to.split_once(':') {
        Some(("entity", code)) => (Some(code.to_owned()), None),
        Some(("department", code)) => (None, Some(code.to_owned())),
        _ => (None, None),
    };
    let request = TransferRequest {
        entity,
        department,
        reason: form.reason,
    };
    match state.app.transfer(&user, &reference, request).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/cases/{reference}")).into_response()),
        Err(AppError::Invalid(invalid)) => {
            let field = if invalid.field == "reason" {
                "transfer.reason"
            } else {
                "transfer.to"
            };
            refused_at(&state, ctx, user, &reference, field.into(), invalid.code, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The receiving entity accepts (`accept`) or returns (`return`) a transferred case.
pub async fn decide_transfer(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path((reference, decision)): Path<(String, String)>,
    Form(form): Form<TransferForm>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
    let request = TransferDecision {
        department: some(&form.to),
        reason: some(&form.reason),
    };
    let done = match decision.as_str() {
        "accept" => state
            .app
            .accept_transfer(&user, &reference, request)
            .await
            .map(|_| format!("/staff/cases/{reference}")),
        // Returned, the case is no longer this entity's to see.
        "return" => state
            .app
            .return_transfer(&user, &reference, request)
            .await
            .map(|_| "/staff?queue=transferred".to_owned()),
        other => return Err(WebError::BadRequest(format!("no transfer decision {other:?}"))),
    };
    match done {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(AppError::Invalid(invalid)) => {
            let field = format!("{decision}.{}", invalid.field);
            refused_at(&state, ctx, user, &reference, field, invalid.code, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    into: String,
    #[serde(default)]
    reason: String,
}

/// Merges a duplicate report into the case that stays; a refusal comes back beside the field.
pub async fn merge(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(reference): Path<String>,
    Form(form): Form<MergeForm>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let request = MergeRequest {
        into: form.into.clone(),
        reason: form.reason.clone(),
    };
    let (field, message) = match state.app.merge(&user, &reference, request).await {
        Ok(_) => return Ok(Redirect::to(&format!("/staff/cases/{reference}")).into_response()),
        Err(AppError::Invalid(invalid)) => (format!("merge.{}", invalid.field), forms::message(&ctx, invalid.code)),
        Err(AppError::NotFound(MERGE_TARGET)) => ("merge.into".to_owned(), ctx.t("merge-unknown-target")),
        Err(AppError::NotMergeable(_)) => ("merge.into".to_owned(), ctx.t("merge-not-mergeable")),
        Err(e) => return Err(e.into()),
    };
    let errors = FieldErrors::from([(field, message)]);
    let mut page = case_page(&state, ctx, user, &reference, errors, String::new(), None).await?;
    // The form comes back with its error even when the case can no longer be merged.
    page.may_merge = true;
    page.merge_into = form.into;
    page.merge_reason = form.reason;
    refused(&page)
}

pub async fn attachment(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((reference, id)): Path<(String, i64)>,
) -> WebResult {
    let Some(user) = signed_in(&state, &headers).await? else {
        return Err(WebError::NotFound);
    };
    let (mime, filename, bytes) = state.app.attachment(&Caller::Staff(user), &reference, id).await?;
    Ok(attachment_response(mime, &filename, bytes))
}
