//! The catalogue half of the admin console: SLA targets per service × priority and the reply
//! templates staff start their answers from. Every change goes through the app's use cases,
//! which check the permission (`ManageCatalogue`, in the user's entity) and write the audit.

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms;
use crate::pages::{refused, render, FieldErrors};
use crate::staff::{options, Option2, SignedIn};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::Deserialize;
use tawasul_app::admin::{SlaCell, SlaTargetRequest};
use tawasul_app::authz::StaffUser;
use tawasul_app::reply_templates::NewReplyTemplate;
use tawasul_app::rows::ReplyTemplateRow;
use tawasul_app::AppError;
use tawasul_domain::vocab::Priority;
use tawasul_domain::Invalid;

/// The entity whose catalogue the page shows: the one asked for, else the user's own, else
/// (for an installation-wide administrator) the first.
pub(crate) async fn chosen_entity(state: &WebState, user: &StaffUser, asked: &str) -> WebResult<String> {
    if !asked.trim().is_empty() {
        return Ok(asked.trim().to_owned());
    }
    if let Some(code) = &user.entity_code {
        return Ok(code.clone());
    }
    let entities = state.app.entities().await?;
    entities.into_iter().next().map(|e| e.code).ok_or(WebError::NotFound)
}

/// The entity chooser, for users who are not bound to one entity.
pub(crate) async fn entity_choices(
    state: &WebState,
    ctx: &Ctx,
    user: &StaffUser,
    entity: &str,
) -> WebResult<Vec<Option2>> {
    if user.entity_id.is_some() {
        return Ok(vec![]);
    }
    let entities = state.app.entities().await?;
    let ar = ctx.lang() == "ar";
    Ok(options(
        entities
            .into_iter()
            .map(|e| (e.code, if ar { e.name_ar } else { e.name_en })),
        entity,
    ))
}

/// The message beside a field: the domain's code in the page's language.
pub(crate) fn message(ctx: &Ctx, invalid: &Invalid) -> String {
    match (invalid.field.as_str(), invalid.code) {
        ("key" | "code", "invalid_code") => ctx.t("admin-invalid-key"),
        _ => forms::message(ctx, invalid.code),
    }
}

#[derive(Deserialize, Default)]
pub struct EntityQuery {
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    priority: String,
}

// SLA targets.

/// One row of the grid: the entity's default or a service, and its cell per priority.
pub struct SlaRow {
    pub service: Option<String>,
    pub label: String,
    pub cells: Vec<SlaCellView>,
}

pub struct SlaCellView {
    pub priority: &'static str,
    pub first_response: String,
    pub resolution: String,
    pub set: bool,
    pub edit_href: String,
}

/// The one cell being edited, with what was typed.
pub struct SlaEdit {
    pub service: String,
    pub service_label: String,
    pub priority: &'static str,
    pub first_response: String,
    pub resolution: String,
}

#[derive(Template)]
#[template(path = "admin_sla.html")]
pub struct SlaPage {
    ctx: Ctx,
    user: StaffUser,
    entity: String,
    entities: Vec<Option2>,
    priorities: Vec<&'static str>,
    rows: Vec<SlaRow>,
    edit: Option<SlaEdit>,
    errors: FieldErrors,
}

impl SlaPage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

/// Business minutes as hours, the way people say them: 90 → "1.5", 420 → "7".
fn hours(minutes: i64) -> String {
    let hours = minutes as f64 / 60.0;
    let text = format!("{hours:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The cell to edit (`service` empty: the entity's default), with what was typed into it.
struct CellChoice {
    service: String,
    priority: Priority,
    typed: Option<(String, String)>,
}

async fn sla_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    entity: String,
    edit: Option<CellChoice>,
    errors: FieldErrors,
) -> WebResult<SlaPage> {
    let cells = state.app.sla_grid(&user, &entity).await?;
    let services = state.app.services().await?;
    let ar = ctx.lang() == "ar";
    let label = |service: &Option<String>| match service {
        None => ctx.t("admin-sla-default"),
        Some(code) => services
            .iter()
            .find(|s| &s.code == code)
            .map(|s| if ar { s.name_ar.clone() } else { s.name_en.clone() })
            .unwrap_or_else(|| code.clone()),
    };
    let mut rows: Vec<SlaRow> = Vec::new();
    for cell in &cells {
        if rows.last().is_none_or(|r| r.service != cell.service) {
            rows.push(SlaRow {
                service: cell.service.clone(),
                label: label(&cell.service),
                cells: vec![],
            });
        }
        let href = serde_urlencoded::to_string([
            ("entity", entity.as_str()),
            ("service", cell.service.as_deref().unwrap_or("")),
            ("priority", cell.priority.as_str()),
        ])
        .unwrap_or_default();
        if let Some(row) = rows.last_mut() {
            row.cells.push(SlaCellView {
                priority: cell.priority.as_str(),
                first_response: hours(cell.first_response_minutes),
                resolution: hours(cell.resolution_minutes),
                set: cell.set,
                edit_href: format!("/staff/admin/sla?{href}#sla-edit"),
            });
        }
    }
    let edit = match edit {
        None => None,
        Some(CellChoice {
            service,
            priority,
            typed,
        }) => {
            let service_key = (!service.is_empty()).then(|| service.clone());
            let cell: Option<&SlaCell> = cells
                .iter()
                .find(|c| c.service == service_key && c.priority == priority);
            let Some(cell) = cell else {
                return Err(WebError::NotFound);
            };
            let (first_response, resolution) =
                typed.unwrap_or_else(|| (hours(cell.first_response_minutes), hours(cell.resolution_minutes)));
            Some(SlaEdit {
                service_label: label(&service_key),
                service,
                priority: priority.as_str(),
                first_response,
                resolution,
            })
        }
    };
    Ok(SlaPage {
        entities: entity_choices(state, &ctx, &user, &entity).await?,
        priorities: Priority::ALL.iter().map(|p| p.as_str()).collect(),
        rows,
        edit,
        errors,
        entity,
        user,
        ctx,
    })
}

pub async fn sla(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Query(query): Query<EntityQuery>,
) -> WebResult {
    let entity = chosen_entity(&state, &user, &query.entity).await?;
    let edit = match query.priority.as_str() {
        "" => None,
        p => Some(CellChoice {
            service: query.service.clone(),
            priority: Priority::parse(p).map_err(|_| WebError::NotFound)?,
            typed: None,
        }),
    };
    render(&sla_page(&state, ctx, user, entity, edit, FieldErrors::new()).await?)
}

#[derive(Deserialize)]
pub struct SlaForm {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    first_response: String,
    #[serde(default)]
    resolution: String,
}

/// Business hours typed in a form (Arabic-Indic digits too) as whole business minutes.
fn typed_minutes(raw: &str) -> Option<i64> {
    forms::parse_number(raw)
        .map(|h| (h * 60.0).round())
        .filter(|m| m.abs() < 1e12)
        .map(|m| m as i64)
}

pub async fn set_sla(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Form(form): Form<SlaForm>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let priority = Priority::parse(&form.priority).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let typed = (form.first_response.clone(), form.resolution.clone());
    let refuse = |field: &str, message: String| {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), message);
        errors
    };
    let errors = match (typed_minutes(&form.first_response), typed_minutes(&form.resolution)) {
        (None, _) => refuse("first_response", forms::message(&ctx, "invalid_type")),
        (_, None) => refuse("resolution", forms::message(&ctx, "invalid_type")),
        (Some(first), Some(resolution)) => {
            let request = SlaTargetRequest {
                entity: form.entity.clone(),
                service: (!form.service.is_empty()).then(|| form.service.clone()),
                priority,
                first_response_minutes: first,
                resolution_minutes: resolution,
            };
            match state.app.set_sla_target(&user, request).await {
                Ok(_) => {
                    let back = serde_urlencoded::to_string([("entity", form.entity.as_str())]).unwrap_or_default();
                    return Ok(Redirect::to(&format!("/staff/admin/sla?{back}")).into_response());
                }
                // The entity or service named is not one the form offers: a forged form.
                Err(AppError::Invalid(invalid)) if invalid.field == "entity" || invalid.field == "service" => {
                    return Err(WebError::BadRequest(invalid.to_string()))
                }
                Err(AppError::Invalid(invalid)) => {
                    let field = invalid.field.trim_end_matches("_minutes").to_owned();
                    refuse(&field, message(&ctx, &invalid))
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let page = sla_page(
        &state,
        ctx,
        user,
        form.entity,
        Some(CellChoice {
            service: form.service,
            priority,
            typed: Some(typed),
        }),
        errors,
    )
    .await?;
    refused(&page)
}

// Reply templates.

#[derive(Template)]
#[template(path = "admin_templates.html")]
pub struct TemplatesPage {
    ctx: Ctx,
    user: StaffUser,
    entity: String,
    entities: Vec<Option2>,
    templates: Vec<ReplyTemplateRow>,
    languages: Vec<Option2>,
    new: NewReplyTemplate,
    /// The template whose edit was refused, with what was typed.
    editing: Option<(i64, String, String)>,
    errors: FieldErrors,
}

impl TemplatesPage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }

    fn language_name(&self, code: &str) -> String {
        self.ctx
            .languages
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_owned(), |(_, name)| name.clone())
    }

    fn title_of<'a>(&'a self, t: &'a ReplyTemplateRow) -> &'a str {
        match &self.editing {
            Some((id, title, _)) if *id == t.id => title,
            _ => &t.title,
        }
    }

    fn body_of<'a>(&'a self, t: &'a ReplyTemplateRow) -> &'a str {
        match &self.editing {
            Some((id, _, body)) if *id == t.id => body,
            _ => &t.body,
        }
    }
}

fn blank_template(ctx: &Ctx) -> NewReplyTemplate {
    NewReplyTemplate {
        key: String::new(),
        language: ctx.lang().to_owned(),
        title: String::new(),
        body: String::new(),
    }
}

async fn templates_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    entity: String,
    new: NewReplyTemplate,
    editing: Option<(i64, String, String)>,
    errors: FieldErrors,
) -> WebResult<TemplatesPage> {
    let templates = state.app.reply_templates(&user, &entity).await?;
    let languages = options(ctx.languages.iter().cloned(), &new.language);
    Ok(TemplatesPage {
        entities: entity_choices(state, &ctx, &user, &entity).await?,
        templates,
        languages,
        new,
        editing,
        errors,
        entity,
        user,
        ctx,
    })
}

pub async fn templates(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Query(query): Query<EntityQuery>,
) -> WebResult {
    let entity = chosen_entity(&state, &user, &query.entity).await?;
    let new = blank_template(&ctx);
    render(&templates_page(&state, ctx, user, entity, new, None, FieldErrors::new()).await?)
}

fn templates_href(entity: &str) -> String {
    let query = serde_urlencoded::to_string([("entity", entity)]).unwrap_or_default();
    format!("/staff/admin/templates?{query}")
}

#[derive(Deserialize)]
pub struct NewTemplateForm {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

pub async fn add_template(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Form(form): Form<NewTemplateForm>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let new = NewReplyTemplate {
        key: form.key,
        language: form.language,
        title: form.title,
        body: form.body,
    };
    match state.app.add_reply_template(&user, &form.entity, new.clone()).await {
        Ok(_) => Ok(Redirect::to(&templates_href(&form.entity)).into_response()),
        Err(AppError::Invalid(invalid)) if invalid.field == "entity" => Err(WebError::BadRequest(invalid.to_string())),
        Err(AppError::Invalid(invalid)) => {
            let mut errors = FieldErrors::new();
            errors.insert(format!("new.{}", invalid.field), message(&ctx, &invalid));
            let page = templates_page(&state, ctx, user, form.entity, new, None, errors).await?;
            refused(&page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct EditTemplateForm {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

pub async fn edit_template(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<EditTemplateForm>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let entity = state.app.reply_template_entity(&user, id).await?;
    match state.app.edit_reply_template(&user, id, &form.title, &form.body).await {
        Ok(()) => Ok(Redirect::to(&format!("{}#template-{id}", templates_href(&entity))).into_response()),
        Err(AppError::Invalid(invalid)) => {
            let mut errors = FieldErrors::new();
            errors.insert(format!("{id}.{}", invalid.field), message(&ctx, &invalid));
            let new = blank_template(&ctx);
            let editing = Some((id, form.title, form.body));
            let page = templates_page(&state, ctx, user, entity, new, editing, errors).await?;
            refused(&page)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_template(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<forms::CsrfOnly>,
) -> WebResult {
    forms::check_csrf(&ctx, form.csrf_token.as_deref())?;
    let entity = state.app.reply_template_entity(&user, id).await?;
    state.app.delete_reply_template(&user, id).await?;
    Ok(Redirect::to(&templates_href(&entity)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_read_as_hours_and_back() {
        assert_eq!(hours(90), "1.5");
        assert_eq!(hours(420), "7");
        assert_eq!(hours(20), "0.33");
        assert_eq!(typed_minutes("١٫٥"), Some(90));
        assert_eq!(typed_minutes("7"), Some(420));
        assert_eq!(typed_minutes("soon"), None);
        assert_eq!(typed_minutes("1e300"), None);
    }
}
