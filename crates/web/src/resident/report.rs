//! Reporting: a service's form, the report sent with its photos, and the page that gives
//! the reference and the tracking link.

use super::{service, TokenQuery};
use crate::context::Ctx;
use crate::error::WebResult;
use crate::forms::{self, Submitted};
use crate::kit::{ByLanguage, Checkbox, CheckedMultipart, Named};
use crate::pages::{redirect, refused, render, FieldErrors};
use crate::{WebState, MAX_PHOTOS};
use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use tawasul_app::cases::intake::Intake;
use tawasul_app::cases::views::CaseView;
use tawasul_app::catalogue::points::point_path;
use tawasul_app::identity::auth::Caller;
use tawasul_app::rows::PointRow;
use tawasul_app::{CasesError, Failure};
use tawasul_domain::catalogue::{FieldType, Service};
use tawasul_domain::intake::{IntakeDraft, LocationDraft, NewCase, ReporterDraft};
use tawasul_domain::vocab::{Channel, Language};

/// One input of a service's own form.
pub struct FieldView {
    pub name: String,
    pub id: String,
    pub label: String,
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<Checkbox>,
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
    title: String,
    intro: String,
    kinds: Vec<Checkbox>,
    fields: Vec<FieldView>,
    v: Values,
    errors: FieldErrors,
    idempotency_key: String,
    tile_url: String,
    max_photos: usize,
    /// Where the form posts: the service's report page, or the service point's.
    action: String,
    /// The asset or place of the QR code the resident scanned.
    point: Option<PointView>,
    /// The service's expected response and resolution times, in words.
    expected: String,
}

/// The service point a report is made at, as its form shows it.
pub struct PointView {
    pub code: String,
    pub name: String,
    pub asset_kind: Option<String>,
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
        .map(|k| {
            let kind = k.as_str();
            let checked = v.kind == kind || (v.kind.is_empty() && service.kinds.len() == 1);
            Checkbox::new("kind", kind, ctx.word("kind", kind), checked)
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
                label: f.name_in(ctx.lang()).to_owned(),
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
                    .map(|o| {
                        Checkbox::new(
                            &name,
                            &o.value,
                            o.name_in(ctx.lang()).to_owned(),
                            sent.contains(&o.value),
                        )
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
        title: service.name_in(ctx.lang()).to_owned(),
        intro: ByLanguage::new(&service.description_ar, &service.description_en)
            .pick(ctx.lang())
            .to_owned(),
        kinds,
        fields,
        v,
        errors,
        idempotency_key: tawasul_app::identity::auth::new_secret(),
        tile_url: state.settings.tile_url.clone(),
        max_photos: MAX_PHOTOS,
        action: format!("/report/{}", service.code),
        point: None,
        expected: String::new(),
        ctx,
    }
}

/// The form with what residents may expect of the service `code` (its SLA, in words).
async fn with_expected(state: &WebState, mut page: ReportPage, code: &str) -> WebResult<ReportPage> {
    if let Some(times) = state.app.expected_times().await?.get(code) {
        page.expected = page.ctx.expected(times);
    }
    Ok(page)
}

/// The report form of a service point: its service's form, posting to the point, with the
/// point shown and its location filled in.
fn point_page(
    state: &WebState,
    ctx: Ctx,
    service: &Service,
    point: &PointRow,
    v: Values,
    form: Option<&Submitted>,
    errors: FieldErrors,
) -> ReportPage {
    let view = PointView {
        code: point.code.clone(),
        name: point.name_in(ctx.lang()).to_owned(),
        asset_kind: point.asset_kind.clone(),
    };
    ReportPage {
        action: point_path(&point.code),
        point: Some(view),
        ..report_page(state, ctx, service, v, form, errors)
    }
}

/// The point `code` and its service; an unknown point, or one whose service is no longer
/// offered, is not found.
async fn point_and_service(state: &WebState, code: &str) -> WebResult<(PointRow, Service)> {
    let point = state.app.point(code).await?.ok_or(crate::error::WebError::NotFound)?;
    let service = service(state, &point.service_code).await?;
    Ok((point, service))
}

/// `/p/{code}`, what a service point's QR code opens: the report form of the point's service
/// with the point and its location filled in.
pub async fn point_form(State(state): State<WebState>, ctx: Ctx, Path(code): Path<String>) -> WebResult {
    let (point, service) = point_and_service(&state, &code).await?;
    let v = Values {
        lat: point.lat.to_string(),
        lon: point.lon.to_string(),
        ..Values::default()
    };
    let page = point_page(&state, ctx, &service, &point, v, None, FieldErrors::new());
    render(&with_expected(&state, page, &service.code).await?)
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
    let page = report_page(&state, ctx, &service, v, None, FieldErrors::new());
    render(&with_expected(&state, page, &service.code).await?)
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

pub async fn report_submit(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CheckedMultipart(form): CheckedMultipart,
) -> WebResult {
    let service = service(&state, &code).await?;
    send_report(state, ctx, service, None, form).await
}

/// A report sent from the form of a service point: the case carries the point.
pub async fn point_submit(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CheckedMultipart(form): CheckedMultipart,
) -> WebResult {
    let (point, service) = point_and_service(&state, &code).await?;
    send_report(state, ctx, service, Some(point), form).await
}

async fn send_report(
    state: WebState,
    ctx: Ctx,
    service: Service,
    point: Option<PointRow>,
    mut form: Submitted,
) -> WebResult {
    let page = |state: &WebState, ctx: Ctx, v: Values, form: &Submitted, errors: FieldErrors| match &point {
        Some(p) => point_page(state, ctx, &service, p, v, Some(form), errors),
        None => report_page(state, ctx, &service, v, Some(form), errors),
    };
    let v = values_of(&form);
    let (draft, mut errors) = draft_of(&ctx, &service, &form, &v);
    // Counted before anything is checked: refused forms cost a sender as much as good ones.
    state
        .app
        .admit_intake(&draft, &ctx.client, &tawasul_app::identity::auth::Caller::Anonymous)?;
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
        return refused(&page(&state, ctx, v, &form, errors));
    }
    let intake = Intake {
        draft,
        idempotency_key: form.get("idempotency_key").filter(|k| !k.is_empty()).map(str::to_owned),
        // The page sent back on a refusal shows the typed values only, never the files.
        files: std::mem::take(&mut form.files),
    };
    let submitted = match &point {
        Some(p) => state.app.submit_at_point(&p.code, intake).await,
        None => state.app.submit(intake).await,
    };
    let receipt = match submitted {
        Ok(receipt) => receipt,
        Err(CasesError::Common(Failure::Invalid(invalid))) => {
            errors.insert(forms::form_field(&invalid.field), forms::message(&ctx, invalid.code));
            return refused(&page(&state, ctx, v, &form, errors));
        }
        Err(e) => return Err(e.into()),
    };
    redirect(&format!("/submitted/{}?token={}", receipt.reference, receipt.token))
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
        service_name: service.name_in(ctx.lang()).to_owned(),
        case,
        ctx,
    })
}
