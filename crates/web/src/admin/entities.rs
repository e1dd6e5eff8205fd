//! The entities: the list (with the form to add one, for a global administrator) and one
//! entity's names and type.

use super::{entity_links, field_errors, EntityLink};
use crate::context::Ctx;
use crate::error::WebResult;
use crate::forms::Submitted;
use crate::kit::{options, Admin, CheckedForm, EntityAdmin, EntityAdminForm, Input, ManageCatalogue, Named, Select};
use crate::pages::{answer, redirect, refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::Path;
use tawasul_app::identity::authz::{Permission, StaffUser};
use tawasul_app::organisation::admin::{EntityRequest, ENTITY_TYPES};
use tawasul_app::rows::EntityRow;

#[derive(Template)]
#[template(path = "admin/entities.html")]
pub struct EntitiesPage {
    ctx: Ctx,
    user: StaffUser,
    section: &'static str,
    entities: Vec<EntityLink>,
    /// The form to add one, for a global administrator.
    add: Option<EntityForm>,
}

pub struct EntityForm {
    pub code: Input,
    pub name_ar: Input,
    pub name_en: Input,
    pub entity_type: Select,
}

fn entity_form(ctx: &Ctx, form: &Submitted, errors: &FieldErrors) -> EntityForm {
    let types = ENTITY_TYPES
        .iter()
        .map(|t| ((*t).to_owned(), ctx.word("entity-type", t)));
    EntityForm {
        code: Input::new(ctx, "code", "admin-code", &form.text("code"), "text", errors).required(),
        name_ar: Input::new(ctx, "name_ar", "admin-name-ar", &form.text("name_ar"), "text", errors).required(),
        name_en: Input::new(ctx, "name_en", "admin-name-en", &form.text("name_en"), "text", errors).required(),
        entity_type: Select::new(
            "entity_type",
            ctx.t("admin-entity-type"),
            options(types, &form.text("entity_type")),
            errors,
        ),
    }
}

async fn entities_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    form: &Submitted,
    errors: &FieldErrors,
) -> WebResult<EntitiesPage> {
    let entities = state.app.managed_entities(&user).await?;
    Ok(EntitiesPage {
        add: user
            .may(Permission::ManageCatalogue, None)
            .then(|| entity_form(&ctx, form, errors)),
        entities: entity_links(&ctx, entities),
        section: "entities",
        user,
        ctx,
    })
}

pub async fn entities(Admin { state, ctx, user }: Admin) -> WebResult {
    let blank = Submitted::from(vec![("entity_type".into(), ENTITY_TYPES[0].into())]);
    render(&entities_page(&state, ctx, user, &blank, &FieldErrors::new()).await?)
}

fn entity_request(form: &Submitted) -> EntityRequest {
    EntityRequest {
        code: form.text("code"),
        name_ar: form.text("name_ar"),
        name_en: form.text("name_en"),
        entity_type: form.text("entity_type"),
    }
}

pub async fn add_entity(Admin { state, ctx, user }: Admin, CheckedForm(form): CheckedForm<Submitted>) -> WebResult {
    let outcome = state.app.add_entity(&user, entity_request(&form)).await;
    let done = |entity: EntityRow| redirect(&format!("/staff/admin/entities/{}?saved=1", entity.code));
    answer(outcome, done, |invalid| async move {
        let errors = field_errors(&ctx, &invalid, invalid.field.clone());
        refused(&entities_page(&state, ctx, user, &form, &errors).await?)
    })
    .await
}

#[derive(Template)]
#[template(path = "admin/entity.html")]
pub struct EntityPage {
    ctx: Ctx,
    user: StaffUser,
    section: &'static str,
    entity: EntityRow,
    title: String,
    form: EntityForm,
    saved: bool,
}

fn entity_page(ctx: Ctx, user: StaffUser, entity: EntityRow, form: &Submitted, errors: &FieldErrors) -> EntityPage {
    EntityPage {
        title: entity.name_in(ctx.lang()).to_owned(),
        form: entity_form(&ctx, form, errors),
        saved: false,
        section: "entities",
        entity,
        user,
        ctx,
    }
}

pub async fn entity(EntityAdmin(Admin { ctx, user, .. }, entity, saved, _): EntityAdmin<ManageCatalogue>) -> WebResult {
    let current = Submitted::from(vec![
        ("name_ar".into(), entity.name_ar.clone()),
        ("name_en".into(), entity.name_en.clone()),
        ("entity_type".into(), entity.entity_type.clone()),
    ]);
    let mut page = entity_page(ctx, user, entity, &current, &FieldErrors::new());
    page.saved = saved;
    render(&page)
}

pub async fn update_entity(
    Path(code): Path<String>,
    EntityAdminForm(Admin { state, ctx, user }, entity, form, _): EntityAdminForm<ManageCatalogue, Submitted>,
) -> WebResult {
    let outcome = state.app.update_entity(&user, &code, entity_request(&form)).await;
    let done = |()| redirect(&format!("/staff/admin/entities/{code}?saved=1"));
    answer(outcome, done, |invalid| async move {
        let errors = field_errors(&ctx, &invalid, invalid.field.clone());
        refused(&entity_page(ctx, user, entity, &form, &errors))
    })
    .await
}
