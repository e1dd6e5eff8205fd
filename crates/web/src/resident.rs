//! The resident portal: find a service, report, get a reference, follow the case.

use crate::context::{cookie, Ctx, RESIDENT_COOKIE};
use crate::error::{WebError, WebResult};
use crate::forms::{self, Submitted};
use crate::pages::{refused, render, FieldErrors, Live};
use crate::search;
use crate::{WebState, MAX_PHOTOS};
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use tawasul_app::auth::Caller;
use tawasul_app::cases::CommentRequest;
use tawasul_app::escalation::IgnoredRequest;
use tawasul_app::intake::{service_from_row, Intake};
use tawasul_app::survey::{may_rate, SurveyRequest, SurveyView};
use tawasul_app::views::{CaseSummary, CaseView};
use tawasul_app::AppError;
use tawasul_domain::catalogue::{FieldType, Service};
use tawasul_domain::intake::{IntakeDraft, LocationDraft, NewCase, ReporterDraft};
use tawasul_domain::vocab::{Channel, Kind, Language};

const RESIDENT_SESSION_SECS: i64 = 30 * 24 * 3600;

pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

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

fn localised<'a>(ctx: &Ctx, ar: &'a str, en: &'a str) -> &'a str {
    if ctx.lang() == "ar" || en.is_empty() {
        ar
    } else {
        en
    }
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
                name: localised(&ctx, &service.name_ar, &service.name_en).to_owned(),
                description: localised(&ctx, &service.description_ar, &service.description_en).to_owned(),
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

/// One input of a service's own form.
pub struct FieldView {
    pub name: String,
    pub id: String,
    pub label: String,
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<Choice>,
    pub value: String,
    pub min: String,
    pub max: String,
}

/// What the resident typed, kept when the form comes back with errors.
#[derive(Default)]
pub struct Values {
    pub kind: String,
    pub description: String,
    pub address: String,
    pub lat: String,
    pub lon: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub anonymous: bool,
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    ctx: Ctx,
    code: String,
    title: String,
    intro: String,
    kinds: Vec<Choice>,
    fields: Vec<FieldView>,
    v: Values,
    errors: FieldErrors,
    idempotency_key: String,
    tile_url: String,
    max_photos: usize,
}

impl ReportPage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

fn report_page(
    state: &WebState,
    ctx: Ctx,
    service: &Service,
    v: Values,
    form: Option<&Submitted>,
    errors: FieldErrors,
) -> ReportPage {
    let kinds = service
        .kinds
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: ctx.word("kind", k.as_str()),
            checked: v.kind == k.as_str() || (v.kind.is_empty() && service.kinds.len() == 1),
        })
        .collect();
    let fields = service
        .fields
        .iter()
        .map(|f| {
            let name = format!("answers.{}", f.key);
            let sent = form.map(|s| s.all(&name)).unwrap_or_default();
            FieldView {
                id: format!("answer-{}", f.key),
                label: localised(&ctx, &f.label_ar, &f.label_en).to_owned(),
                kind: match f.field_type {
                    FieldType::Text => "text",
                    FieldType::Number => "number",
                    FieldType::Date => "date",
                    FieldType::SingleChoice => "single",
                    FieldType::MultipleChoice => "multiple",
                },
                required: f.required,
                options: f
                    .options
                    .iter()
                    .map(|o| Choice {
                        value: o.value.clone(),
                        label: localised(&ctx, &o.label_ar, &o.label_en).to_owned(),
                        checked: sent.contains(&o.value),
                    })
                    .collect(),
                value: sent.first().cloned().unwrap_or_default(),
                min: f.min.map(|n| n.to_string()).unwrap_or_default(),
                max: f.max.map(|n| n.to_string()).unwrap_or_default(),
                name,
            }
        })
        .collect();
    ReportPage {
        code: service.code.clone(),
        title: localised(&ctx, &service.name_ar, &service.name_en).to_owned(),
        intro: localised(&ctx, &service.description_ar, &service.description_en).to_owned(),
        kinds,
        fields,
        v,
        errors,
        idempotency_key: tawasul_app::auth::new_secret(),
        tile_url: state.settings.tile_url.clone(),
        max_photos: MAX_PHOTOS,
        ctx,
    }
}

async fn service(state: &WebState, code: &str) -> WebResult<Service> {
    let row = state
        .app
        .store
        .service_by_code(code)
        .await
        .map_err(AppError::from)?
        .ok_or(WebError::NotFound)?;
    Ok(service_from_row(&row)?)
}

#[derive(Deserialize)]
pub struct KindQuery {
    #[serde(default)]
    kind: String,
}

pub async fn report_form(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(query): Query<KindQuery>,
) -> WebResult {
    let service = service(&state, &code).await?;
    let v = Values {
        kind: query.kind,
        ..Values::default()
    };
    render(&report_page(&state, ctx, &service, v, None, FieldErrors::new()))
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The draft the form describes, and the errors found before the domain looks at it.
fn draft_of(ctx: &Ctx, service: &Service, form: &Submitted, v: &Values) -> (IntakeDraft, FieldErrors) {
    let (answers, codes) = forms::answers(&service.fields, form);
    let mut errors: FieldErrors = codes
        .into_iter()
        .map(|(k, code)| (k, forms::message(ctx, &code)))
        .collect();
    let location = match (non_empty(&v.lat), non_empty(&v.lon)) {
        (None, None) => None,
        (Some(lat), Some(lon)) => match (forms::parse_number(&lat), forms::parse_number(&lon)) {
            (Some(lat), Some(lon)) => Some(LocationDraft { lat, lon }),
            _ => {
                errors.insert("location".into(), forms::message(ctx, "invalid_type"));
                None
            }
        },
        _ => {
            errors.insert("location".into(), forms::message(ctx, "incomplete_location"));
            None
        }
    };
    let reporter = (!v.anonymous)
        .then(|| ReporterDraft {
            name: non_empty(&v.name),
            phone: non_empty(&v.phone),
            email: non_empty(&v.email),
            language: Language::parse(ctx.lang()).ok().map(|l| l.as_str().to_owned()),
        })
        .filter(|r| r.name.is_some() || r.phone.is_some() || r.email.is_some());
    let draft = IntakeDraft {
        service: service.code.clone(),
        kind: v.kind.clone(),
        description: v.description.clone(),
        answers: Some(answers),
        location,
        address: non_empty(&v.address),
        reporter,
        language: Language::parse(ctx.lang()).ok().map(|l| l.as_str().to_owned()),
        channel: Some(Channel::Web),
    };
    (draft, errors)
}

fn values_of(form: &Submitted) -> Values {
    Values {
        kind: form.text("kind"),
        description: form.text("description"),
        address: form.text("address"),
        lat: form.text("lat"),
        lon: form.text("lon"),
        name: form.text("name"),
        phone: form.text("phone"),
        email: form.text("email"),
        anonymous: form.get("anonymous").is_some(),
    }
}

fn multipart(m: Result<Multipart, MultipartRejection>) -> WebResult<Multipart> {
    m.map_err(|e| WebError::BadRequest(e.body_text()))
}

pub async fn report_submit(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(code): Path<String>,
    body: Result<Multipart, MultipartRejection>,
) -> WebResult {
    let form = forms::read_multipart(multipart(body)?, "photos", MAX_PHOTOS).await?;
    forms::check_csrf(&ctx, forms::csrf_of(&form))?;
    let service = service(&state, &code).await?;
    let v = values_of(&form);
    let (draft, mut errors) = draft_of(&ctx, &service, &form, &v);
    if let Err(invalid) = forms::check_uploads(&form) {
        errors.insert("photos".into(), forms::message(&ctx, invalid.code));
    }
    // Found errors of our own: add the domain's first one, so the resident sees more at once.
    if !errors.is_empty() {
        if let Err(invalid) = NewCase::parse(&draft, &service) {
            errors
                .entry(forms::form_field(&invalid.field))
                .or_insert_with(|| forms::message(&ctx, invalid.code));
        }
        return refused(&report_page(&state, ctx, &service, v, Some(&form), errors));
    }
    let intake = Intake {
        draft,
        idempotency_key: form.get("idempotency_key").filter(|k| !k.is_empty()).map(str::to_owned),
        files: form.files.clone(),
    };
    let receipt = match state.app.submit(intake).await {
        Ok(receipt) => receipt,
        Err(AppError::Invalid(invalid)) => {
            errors.insert(forms::form_field(&invalid.field), forms::message(&ctx, invalid.code));
            return refused(&report_page(&state, ctx, &service, v, Some(&form), errors));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/submitted/{}?token={}", receipt.reference, receipt.token)).into_response())
}

/// A form sent back for correction: 422, with what was typed and the errors beside the fields.
#[derive(Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Template)]
#[template(path = "submitted.html")]
pub struct SubmittedPage {
    ctx: Ctx,
    case: CaseView,
    tracking_url: String,
    service_name: String,
}

pub async fn submitted(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(reference): Path<String>,
    Query(query): Query<TokenQuery>,
) -> WebResult {
    let case = state
        .app
        .read_case(&Caller::CaseToken(query.token.clone()), &reference)
        .await?;
    let service = service(&state, &case.service).await?;
    render(&SubmittedPage {
        tracking_url: format!("/track/{}?token={}", case.reference, query.token),
        service_name: localised(&ctx, &service.name_ar, &service.name_en).to_owned(),
        case,
        ctx,
    })
}

#[derive(Template)]
#[template(path = "track_start.html")]
pub struct TrackStartPage {
    ctx: Ctx,
    reference: String,
    contact: String,
    errors: FieldErrors,
}

impl TrackStartPage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

#[derive(Deserialize, Default)]
pub struct TrackQuery {
    #[serde(default)]
    reference: String,
    #[serde(default)]
    token: String,
}

pub async fn track_start(ctx: Ctx, Query(query): Query<TrackQuery>) -> WebResult {
    let reference = query.reference.trim().to_ascii_uppercase();
    let token = query.token.trim();
    if !reference.is_empty() && !token.is_empty() {
        let path = format!(
            "/track/{}?{}",
            urlencode(&reference),
            serde_urlencoded::to_string([("token", token)]).unwrap_or_default()
        );
        return Ok(Redirect::to(&path).into_response());
    }
    let mut errors = FieldErrors::new();
    if !reference.is_empty() || !token.is_empty() {
        let missing = if reference.is_empty() { "reference" } else { "token" };
        errors.insert(missing.into(), forms::message(&ctx, "required"));
    }
    let page = TrackStartPage {
        ctx,
        reference,
        contact: String::new(),
        errors,
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        refused(&page)
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_owned()
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    code: Option<String>,
}

#[derive(Template)]
#[template(path = "track_code.html")]
pub struct TrackCodePage {
    ctx: Ctx,
    contact: String,
    errors: FieldErrors,
}

impl TrackCodePage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

pub async fn track_code(State(state): State<WebState>, ctx: Ctx, Form(form): Form<ContactForm>) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    match state.app.request_code(&form.contact).await {
        Ok(()) => render(&TrackCodePage {
            ctx,
            contact: form.contact,
            errors: FieldErrors::new(),
        }),
        Err(AppError::Invalid(invalid)) => {
            let mut errors = FieldErrors::new();
            errors.insert("contact".into(), forms::message(&ctx, invalid.code));
            refused(&TrackStartPage {
                ctx,
                reference: String::new(),
                contact: form.contact,
                errors,
            })
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn track_verify(State(state): State<WebState>, ctx: Ctx, Form(form): Form<ContactForm>) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    match state
        .app
        .verify_code(&form.contact, form.code.as_deref().unwrap_or(""))
        .await
    {
        Ok(session) => {
            let cookie = ctx.cookie(RESIDENT_COOKIE, &session.token, RESIDENT_SESSION_SECS);
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/my")).into_response())
        }
        Err(AppError::Invalid(invalid)) => {
            let mut errors = FieldErrors::new();
            errors.insert(forms::form_field(&invalid.field), forms::message(&ctx, invalid.code));
            refused(&TrackCodePage {
                ctx,
                contact: form.contact,
                errors,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// The resident behind a request: the case's tracking token when the page has one, else the
/// resident's signed-in session.
async fn resident(state: &WebState, headers: &HeaderMap, token: &str) -> WebResult<Caller> {
    if !token.is_empty() {
        return Ok(Caller::CaseToken(token.to_owned()));
    }
    match cookie(headers, RESIDENT_COOKIE) {
        Some(session) => match state.app.authenticate(Some(session)).await? {
            caller @ Caller::Resident { .. } => Ok(caller),
            _ => Ok(Caller::Anonymous),
        },
        None => Ok(Caller::Anonymous),
    }
}

#[derive(Template)]
#[template(path = "track.html")]
pub struct TrackPage {
    ctx: Ctx,
    case: CaseView,
    service_name: String,
    token: String,
    comment: String,
    errors: FieldErrors,
    max_photos: usize,
    survey: Option<SurveyView>,
    can_rate: bool,
    /// The scores and comment sent with a refused survey, kept for the form.
    rating: Rating,
    live: Live,
}

/// Scores offered in the survey form, best first.
const SCORES: [i64; 5] = [5, 4, 3, 2, 1];

/// What a refused form sent, shown again beside its errors.
#[derive(Default)]
pub struct Kept {
    pub comment: String,
    pub errors: FieldErrors,
    pub rating: Rating,
}

#[derive(Default)]
pub struct Rating {
    pub quality: String,
    pub speed: String,
    pub agent: String,
    pub comment: String,
}

impl TrackPage {
    fn scores(&self) -> [i64; 5] {
        SCORES
    }

    fn rated(&self, question: &str, score: &i64) -> bool {
        let chosen = match question {
            "quality" => &self.rating.quality,
            "speed" => &self.rating.speed,
            _ => &self.rating.agent,
        };
        *chosen == score.to_string()
    }

    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }

    /// Where an attachment of this case is fetched from by this visitor.
    fn attachment_href(&self, id: &i64) -> String {
        let token = if self.token.is_empty() {
            String::new()
        } else {
            format!("?token={}", self.token)
        };
        format!("/track/{}/attachments/{id}{token}", self.case.reference)
    }

    fn is_image(mime: &str) -> bool {
        mime.starts_with("image/") && mime != "image/heic"
    }
}

async fn track_page(
    state: &WebState,
    ctx: Ctx,
    caller: &Caller,
    reference: &str,
    token: String,
    kept: Kept,
) -> WebResult<TrackPage> {
    let Kept {
        comment,
        errors,
        rating,
    } = kept;
    let case = state.app.read_case(caller, reference).await?;
    let service = service(state, &case.service).await?;
    let survey = state.app.survey(caller, reference).await?;
    let url = if token.is_empty() {
        format!("/track/{}", case.reference)
    } else {
        let query = serde_urlencoded::to_string([("token", &token)]).unwrap_or_default();
        format!("/track/{}?{query}", case.reference)
    };
    Ok(TrackPage {
        live: Live::case(&case, url, state.settings.live_poll_secs),
        can_rate: survey.is_none() && may_rate(&case.status),
        survey,
        rating,
        service_name: localised(&ctx, &service.name_ar, &service.name_en).to_owned(),
        case,
        token,
        comment,
        errors,
        max_photos: MAX_PHOTOS,
        ctx,
    })
}

pub async fn track_case(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Query(query): Query<TokenQuery>,
) -> WebResult {
    let caller = resident(&state, &headers, &query.token).await?;
    if matches!(caller, Caller::Anonymous) {
        return Ok(Redirect::to("/track").into_response());
    }
    render(&track_page(&state, ctx, &caller, &reference, query.token, Kept::default()).await?)
}

fn back_to_case(reference: &str, token: &str, anchor: &str) -> Response {
    let query = if token.is_empty() {
        String::new()
    } else {
        format!("?token={token}")
    };
    Redirect::to(&format!("/track/{reference}{query}#{anchor}")).into_response()
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    token: String,
    #[serde(default)]
    body: String,
}

pub async fn track_comment(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<CommentForm>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let caller = resident(&state, &headers, &form.token).await?;
    let request = CommentRequest {
        body: form.body.clone(),
        visibility: None,
    };
    match state.app.comment(&caller, &reference, request).await {
        Ok(_) => Ok(back_to_case(&reference, &form.token, "timeline")),
        Err(AppError::Invalid(invalid)) => {
            let mut errors = FieldErrors::new();
            errors.insert("body".into(), forms::message(&ctx, invalid.code));
            let kept = Kept {
                comment: form.body,
                errors,
                ..Kept::default()
            };
            refused(&track_page(&state, ctx, &caller, &reference, form.token, kept).await?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct IgnoredForm {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    token: String,
    #[serde(default)]
    description: String,
}

/// "My report was ignored": opens the linked escalation case and shows its confirmation.
pub async fn track_ignored(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<IgnoredForm>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let caller = resident(&state, &headers, &form.token).await?;
    let request = IgnoredRequest {
        description: form.description.clone(),
    };
    match state.app.complain_ignored(&caller, &reference, request).await {
        Ok(receipt) => {
            Ok(Redirect::to(&format!("/submitted/{}?token={}", receipt.reference, receipt.token)).into_response())
        }
        Err(AppError::Invalid(invalid)) => {
            let mut errors = FieldErrors::new();
            errors.insert("ignored".into(), forms::message(&ctx, invalid.code));
            let kept = Kept {
                errors,
                ..Kept::default()
            };
            refused(&track_page(&state, ctx, &caller, &reference, form.token, kept).await?)
        }
        // Not eligible (any more) or already complained: the page says which.
        Err(AppError::NotEligible(_) | AppError::Conflict(_)) => Ok(back_to_case(&reference, &form.token, "ignored")),
        Err(e) => Err(e.into()),
    }
}

pub async fn track_photos(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Result<Multipart, MultipartRejection>,
) -> WebResult {
    let form = forms::read_multipart(multipart(body)?, "photos", MAX_PHOTOS).await?;
    forms::check_csrf(&ctx, forms::csrf_of(&form))?;
    let token = form.text("token");
    let caller = resident(&state, &headers, &token).await?;
    let mut errors = FieldErrors::new();
    if form.files.is_empty() {
        errors.insert("photos".into(), forms::message(&ctx, "required"));
    } else if let Err(invalid) = forms::check_uploads(&form) {
        errors.insert("photos".into(), forms::message(&ctx, invalid.code));
    }
    if !errors.is_empty() {
        let kept = Kept {
            errors,
            ..Kept::default()
        };
        return refused(&track_page(&state, ctx, &caller, &reference, token, kept).await?);
    }
    for f in form.files {
        state
            .app
            .attach(
                &caller,
                &reference,
                f.bytes,
                f.content_type.as_deref(),
                f.filename.as_deref(),
                true,
            )
            .await?;
    }
    Ok(back_to_case(&reference, &token, "attachments"))
}

#[derive(Deserialize)]
pub struct SurveyForm {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    token: String,
    #[serde(default)]
    quality: String,
    #[serde(default)]
    speed: String,
    #[serde(default)]
    agent: String,
    #[serde(default)]
    comment: String,
}

pub async fn track_survey(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<SurveyForm>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let caller = resident(&state, &headers, &form.token).await?;
    let mut errors = FieldErrors::new();
    let mut score = |name: &str, raw: &str| match raw.parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            errors.insert(name.to_owned(), forms::message(&ctx, "required"));
            0
        }
    };
    let request = SurveyRequest {
        quality: score("quality", &form.quality),
        speed: score("speed", &form.speed),
        agent: score("agent", &form.agent),
        comment: Some(form.comment.clone()),
    };
    let outcome = if errors.is_empty() {
        state.app.rate(&caller, &reference, request).await.map(|_| ())
    } else {
        Ok(())
    };
    match outcome {
        Ok(()) if errors.is_empty() => return Ok(back_to_case(&reference, &form.token, "survey")),
        Ok(()) => {}
        Err(AppError::Invalid(invalid)) => {
            errors.insert(invalid.field.clone(), forms::message(&ctx, invalid.code));
        }
        Err(e) => return Err(e.into()),
    }
    let rating = Rating {
        quality: form.quality,
        speed: form.speed,
        agent: form.agent,
        comment: form.comment,
    };
    let kept = Kept {
        errors,
        rating,
        ..Kept::default()
    };
    refused(&track_page(&state, ctx, &caller, &reference, form.token, kept).await?)
}

pub async fn track_attachment(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((reference, id)): Path<(String, i64)>,
    Query(query): Query<TokenQuery>,
) -> WebResult {
    let caller = resident(&state, &headers, &query.token).await?;
    let (mime, filename, bytes) = state.app.attachment(&caller, &reference, id).await?;
    Ok(attachment_response(mime, &filename, bytes))
}

/// A stored file, served so that a browser never runs it: its sniffed type, no sniffing by
/// the browser (the middleware's nosniff), a sandboxing policy, and images shown inline only.
pub fn attachment_response(mime: String, filename: &str, bytes: Vec<u8>) -> Response {
    let disposition = if mime.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let safe_name: String = filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || ".-_".contains(*c))
        .collect();
    (
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{safe_name}\""),
            ),
            (header::CACHE_CONTROL, "private, max-age=3600".into()),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "my_cases.html")]
pub struct MyCasesPage {
    ctx: Ctx,
    cases: Vec<CaseSummary>,
    contact: String,
}

pub async fn my_cases(State(state): State<WebState>, ctx: Ctx, headers: HeaderMap) -> WebResult {
    let caller = resident(&state, &headers, "").await?;
    let Caller::Resident { contact } = &caller else {
        return Ok(Redirect::to("/track").into_response());
    };
    let cases = state.app.my_cases(&caller).await?;
    render(&MyCasesPage {
        ctx,
        cases,
        contact: contact.clone(),
    })
}

pub async fn my_logout(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<forms::CsrfOnly>,
) -> WebResult {
    forms::sign_out(&state, &ctx, &headers, form, RESIDENT_COOKIE, "/").await
}
