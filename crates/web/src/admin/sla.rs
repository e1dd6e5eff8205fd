//! SLA targets per service × priority: the grid of an entity's targets (its default and each
//! service's), and the form that edits one cell, in business hours.

use super::{chosen_entity, entity_choices, message, EntityQuery};
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms;
use crate::kit::{Admin, CheckedForm, Named, SelectOption};
use crate::pages::{redirect, refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::Query;
use serde::Deserialize;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::workflow::admin::{SlaCell, SlaTargetRequest};
use tawasul_app::{Failure, WorkflowError};
use tawasul_domain::vocab::Priority;

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
#[template(path = "admin/sla.html")]
pub struct SlaPage {
    ctx: Ctx,
    user: StaffUser,
    entity: String,
    entities: Vec<SelectOption>,
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
    let label = |service: &Option<String>| match service {
        None => ctx.t("admin-sla-default"),
        Some(code) => services
            .iter()
            .find(|s| &s.code == code)
            .map(|s| s.name_in(ctx.lang()).to_owned())
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

pub async fn sla(Admin { state, ctx, user }: Admin, Query(query): Query<EntityQuery>) -> WebResult {
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

pub async fn set_sla(Admin { state, ctx, user }: Admin, CheckedForm(form): CheckedForm<SlaForm>) -> WebResult {
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
                    return redirect(&format!("/staff/admin/sla?{back}"));
                }
                // The entity or service named is not one the form offers: a forged form.
                Err(WorkflowError::Common(Failure::Invalid(invalid)))
                    if invalid.field == "entity" || invalid.field == "service" =>
                {
                    return Err(WebError::BadRequest(invalid.to_string()))
                }
                Err(WorkflowError::Common(Failure::Invalid(invalid))) => {
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
