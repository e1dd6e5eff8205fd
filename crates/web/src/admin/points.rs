//! An entity's QR service points: the list with each point's count of cases and its
//! printable code (PNG, SVG, PDF), the form to add one, the CSV import, and the PDF sheet of
//! them all.

use super::field_errors;
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms::Submitted;
use crate::kit::{options, Admin, EntityAdmin, EntityAdminForm, Input, ManageCatalogue, Named, SelectOption};
use crate::pages::{answer, redirect, refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::Path;
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::rows::{EntityRow, PointRow};
use tawasul_channels_qr::Format;
use tawasul_domain::points::{parse_decimal, PointDraft};

#[derive(Template)]
#[template(path = "admin/points.html")]
pub struct PointsPage {
    ctx: Ctx,
    user: StaffUser,
    section: &'static str,
    entity: EntityRow,
    title: String,
    points: Vec<PointRow>,
    services: Vec<SelectOption>,
    code: Input,
    name_ar: Input,
    name_en: Input,
    lat: Input,
    lon: Input,
    asset_kind: Input,
    service_error: Option<String>,
    csv: String,
    csv_error: Option<String>,
    saved: bool,
}

impl PointsPage {
    fn point_name<'a>(&self, p: &'a PointRow) -> &'a str {
        p.name_in(self.ctx.lang())
    }

    fn service_name(&self, code: &str) -> String {
        self.services
            .iter()
            .find(|s| s.value == code)
            .map_or_else(|| code.to_owned(), |s| s.label.clone())
    }
}

/// What a refused form sent back: the add form's fields, or the import's text and problem.
enum Sent<'a> {
    Nothing,
    Add(&'a Submitted, &'a FieldErrors),
    Import(&'a str, String),
}

async fn points_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    entity: EntityRow,
    sent: Sent<'_>,
) -> WebResult<PointsPage> {
    let points = state.app.points(&user, &entity.code).await?;
    let services = state.app.services().await?;
    let none = FieldErrors::new();
    let blank = Submitted::default();
    let (form, errors) = match &sent {
        Sent::Add(form, errors) => (*form, *errors),
        _ => (&blank, &none),
    };
    let chosen = form.text("service");
    let services = options(
        services
            .iter()
            .filter(|s| s.entity_id == entity.id)
            .map(|s| (s.code.clone(), s.name_in(ctx.lang()).to_owned())),
        &chosen,
    );
    let input = |name: &str, label: &str| Input::new(&ctx, name, label, &form.text(name), "text", errors);
    let (csv, csv_error) = match sent {
        Sent::Import(text, problem) => (text.to_owned(), Some(problem)),
        _ => (String::new(), None),
    };
    Ok(PointsPage {
        code: input("code", "points-code"),
        name_ar: input("name_ar", "admin-name-ar").required(),
        name_en: input("name_en", "admin-name-en"),
        lat: input("lat", "form-lat").required(),
        lon: input("lon", "form-lon").required(),
        asset_kind: input("asset_kind", "points-asset-kind"),
        service_error: errors.get("service").cloned(),
        title: entity.name_in(ctx.lang()).to_owned(),
        section: "points",
        saved: false,
        points,
        services,
        csv,
        csv_error,
        entity,
        user,
        ctx,
    })
}

fn saved(code: &str) -> WebResult {
    redirect(&format!("/staff/admin/entities/{code}/points?saved=1"))
}

pub async fn points(
    EntityAdmin(Admin { state, ctx, user }, entity, saved, _): EntityAdmin<ManageCatalogue>,
) -> WebResult {
    let mut page = points_page(&state, ctx, user, entity, Sent::Nothing).await?;
    page.saved = saved;
    render(&page)
}

/// A coordinate typed in the form; one that is not a number is left for the domain to refuse
/// as out of range (NaN), beside its field.
fn coordinate(form: &Submitted, name: &str) -> f64 {
    parse_decimal(&form.text(name)).unwrap_or(f64::NAN)
}

pub async fn add_point(
    Path(code): Path<String>,
    EntityAdminForm(Admin { state, ctx, user }, entity, form, _): EntityAdminForm<ManageCatalogue, Submitted>,
) -> WebResult {
    let draft = PointDraft {
        code: Some(form.text("code")),
        entity: code.clone(),
        service: form.text("service"),
        name_ar: form.text("name_ar"),
        name_en: Some(form.text("name_en")),
        lat: coordinate(&form, "lat"),
        lon: coordinate(&form, "lon"),
        asset_kind: Some(form.text("asset_kind")),
    };
    let outcome = state.app.add_point(&user, draft).await;
    answer(
        outcome,
        |_| saved(&code),
        |invalid| async move {
            let errors = field_errors(&ctx, &invalid, invalid.field.clone());
            refused(&points_page(&state, ctx, user, entity, Sent::Add(&form, &errors)).await?)
        },
    )
    .await
}

pub async fn import_points(
    Path(code): Path<String>,
    EntityAdminForm(Admin { state, ctx, user }, entity, form, _): EntityAdminForm<ManageCatalogue, Submitted>,
) -> WebResult {
    let csv = form.get("csv").unwrap_or_default().to_owned();
    let outcome = state.app.import_points(&user, &code, csv.as_bytes()).await;
    answer(
        outcome,
        |_| saved(&code),
        |invalid| async move {
            // The app's message says which line and column; the page says what failed first.
            let problem = format!("{} {}", crate::forms::message(&ctx, invalid.code), invalid.message);
            refused(&points_page(&state, ctx, user, entity, Sent::Import(&csv, problem)).await?)
        },
    )
    .await
}

/// Where the printed codes point: the installation's public address when it is configured,
/// else the address this page was asked at.
fn base_url(state: &WebState, headers: &HeaderMap) -> String {
    if let Some(url) = state.app.public_url() {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("localhost");
    let scheme = match headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()) {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

fn drawing_failed(e: tawasul_channels_qr::QrError) -> WebError {
    tracing::error!(error = %e, "drawing a QR label");
    WebError::Unexpected
}

fn file(format: Format, name: &str, bytes: Vec<u8>) -> WebResult {
    let disposition = format!("inline; filename=\"{name}\"");
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// `/staff/admin/entities/{code}/points/{point}/qr/{format}`: one point's label.
pub async fn point_qr(
    Path((_, point, format)): Path<(String, String, String)>,
    headers: HeaderMap,
    EntityAdmin(Admin { state, .. }, entity, _, _): EntityAdmin<ManageCatalogue>,
) -> WebResult {
    let format = Format::of_file_name(&format!("x.{format}")).ok_or(WebError::NotFound)?;
    let row = state
        .app
        .point(&point)
        .await?
        .filter(|p| p.entity_id == entity.id)
        .ok_or(WebError::NotFound)?;
    let label = tawasul_channels_qr::point_label(&row, &base_url(&state, &headers));
    let bytes = tawasul_channels_qr::render(&label, format).map_err(drawing_failed)?;
    let ext = match format {
        Format::Png => "png",
        Format::Svg => "svg",
        Format::Pdf => "pdf",
    };
    file(format, &format!("point-{}.{ext}", row.code), bytes)
}

/// `/staff/admin/entities/{code}/points/sheet`: every point of the entity on PDF pages.
pub async fn points_sheet(
    headers: HeaderMap,
    EntityAdmin(Admin { state, user, .. }, entity, _, _): EntityAdmin<ManageCatalogue>,
) -> WebResult {
    let points = state.app.points(&user, &entity.code).await?;
    if points.is_empty() {
        return Err(WebError::NotFound);
    }
    let base = base_url(&state, &headers);
    let labels: Vec<_> = points
        .iter()
        .map(|p| tawasul_channels_qr::point_label(p, &base))
        .collect();
    let bytes = tawasul_channels_qr::pdf(&labels).map_err(drawing_failed)?;
    file(Format::Pdf, &format!("points-{}.pdf", entity.code), bytes)
}
