//! The admin console: the organisation (entities, their departments, calendars and policy,
//! staff users with their roles) and the catalogue (services with their forms, SLA targets,
//! reply templates). Every form posts to a use case of the application, which authorizes,
//! validates and audits; a refusal comes back as the same form with the message beside its
//! field, the data kept and status 422.

pub mod calendar;
pub mod departments;
pub mod entities;
pub mod points;
pub mod services;
pub mod sla;
pub mod templates;
pub mod users;

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms;
use crate::kit::{options, Admin, Named, SelectOption, SignedIn};
use crate::pages::{redirect, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::Path;
use serde::Deserialize;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::rows::EntityRow;
use tawasul_domain::Invalid;

/// A refusal of a use case as the message beside the form field `field`.
fn field_errors(ctx: &Ctx, invalid: &Invalid, field: String) -> FieldErrors {
    FieldErrors::from([(field, forms::message(ctx, invalid.code))])
}

/// The message beside a field of the catalogue's forms: the domain's code in the page's
/// language.
fn message(ctx: &Ctx, invalid: &Invalid) -> String {
    match (invalid.field.as_str(), invalid.code) {
        ("key" | "code", "invalid_code") => ctx.t("admin-invalid-key"),
        _ => forms::message(ctx, invalid.code),
    }
}

/// `?entity=CODE`: whose catalogue a page shows (and, on the SLA page, the cell to edit).
#[derive(Deserialize, Default)]
pub struct EntityQuery {
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    priority: String,
}

/// The entity whose catalogue the page shows: the one asked for, else the user's own, else
/// (for an installation-wide administrator) the first.
async fn chosen_entity(state: &WebState, user: &StaffUser, asked: &str) -> WebResult<String> {
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
async fn entity_choices(state: &WebState, ctx: &Ctx, user: &StaffUser, entity: &str) -> WebResult<Vec<SelectOption>> {
    if user.entity_id.is_some() {
        return Ok(vec![]);
    }
    let entities = state.app.entities().await?;
    Ok(options(
        entities
            .iter()
            .map(|e| (e.code.clone(), e.name_in(ctx.lang()).to_owned())),
        entity,
    ))
}

/// The organisation's pages are for administrators (of one entity or of all).
fn require_administrator(user: &StaffUser) -> WebResult<()> {
    if user.may_administer() {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "only administrators manage the organisation".into(),
        ))
    }
}

// The start page.

#[derive(Template)]
#[template(path = "admin/home.html")]
pub struct HomePage {
    ctx: Ctx,
    user: StaffUser,
    section: &'static str,
    entities: Vec<EntityLink>,
}

pub struct EntityLink {
    pub code: String,
    pub name: String,
    pub entity_type: String,
}

fn entity_links(ctx: &Ctx, entities: Vec<EntityRow>) -> Vec<EntityLink> {
    entities
        .into_iter()
        .map(|e| EntityLink {
            name: e.name_in(ctx.lang()).to_owned(),
            entity_type: ctx.word("entity-type", &e.entity_type),
            code: e.code,
        })
        .collect()
}

pub async fn home(Admin { state, ctx, user }: Admin) -> WebResult {
    require_administrator(&user)?;
    let entities = state.app.managed_entities(&user).await?;
    render(&HomePage {
        entities: entity_links(&ctx, entities),
        section: "home",
        user,
        ctx,
    })
}

/// A section for one entity: an entity administrator goes straight to theirs; a global one
/// chooses on the entities page.
pub async fn section(SignedIn(user): SignedIn, Path(section): Path<String>) -> WebResult {
    if !["departments", "calendar", "users", "points"].contains(&section.as_str()) {
        return Err(WebError::NotFound);
    }
    require_administrator(&user)?;
    match &user.entity_code {
        Some(code) => redirect(&format!("/staff/admin/entities/{code}/{section}")),
        None => redirect("/staff/admin/entities"),
    }
}
