//! The reply templates staff start their answers from, per entity, key and language.

use super::{chosen_entity, entity_choices, message, EntityQuery};
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::kit::{options, Admin, CheckedForm, NoFields, SelectOption};
use crate::pages::{answer, redirect, refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, Query};
use serde::Deserialize;
use tawasul_app::catalogue::reply_templates::NewReplyTemplate;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::rows::ReplyTemplateRow;

#[derive(Template)]
#[template(path = "admin/templates.html")]
pub struct TemplatesPage {
    ctx: Ctx,
    user: StaffUser,
    entity: String,
    entities: Vec<SelectOption>,
    templates: Vec<ReplyTemplateRow>,
    languages: Vec<SelectOption>,
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

pub async fn templates(Admin { state, ctx, user }: Admin, Query(query): Query<EntityQuery>) -> WebResult {
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
    Admin { state, ctx, user }: Admin,
    CheckedForm(form): CheckedForm<NewTemplateForm>,
) -> WebResult {
    let new = NewReplyTemplate {
        key: form.key,
        language: form.language,
        title: form.title,
        body: form.body,
    };
    let outcome = state.app.add_reply_template(&user, &form.entity, new.clone()).await;
    let back = templates_href(&form.entity);
    answer(
        outcome,
        |_| redirect(&back),
        |invalid| async move {
            // The entity is not one the form offers: a forged form.
            if invalid.field == "entity" {
                return Err(WebError::BadRequest(invalid.to_string()));
            }
            let errors = FieldErrors::from([(format!("new.{}", invalid.field), message(&ctx, &invalid))]);
            refused(&templates_page(&state, ctx, user, form.entity, new, None, errors).await?)
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct EditTemplateForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

pub async fn edit_template(
    Admin { state, ctx, user }: Admin,
    Path(id): Path<i64>,
    CheckedForm(form): CheckedForm<EditTemplateForm>,
) -> WebResult {
    let entity = state.app.reply_template_entity(&user, id).await?;
    let outcome = state.app.edit_reply_template(&user, id, &form.title, &form.body).await;
    let back = format!("{}#template-{id}", templates_href(&entity));
    answer(
        outcome,
        |()| redirect(&back),
        |invalid| async move {
            let errors = FieldErrors::from([(format!("{id}.{}", invalid.field), message(&ctx, &invalid))]);
            let new = blank_template(&ctx);
            let editing = Some((id, form.title, form.body));
            refused(&templates_page(&state, ctx, user, entity, new, editing, errors).await?)
        },
    )
    .await
}

pub async fn delete_template(
    Admin { state, user, .. }: Admin,
    Path(id): Path<i64>,
    CheckedForm(_): CheckedForm<NoFields>,
) -> WebResult {
    let entity = state.app.reply_template_entity(&user, id).await?;
    state.app.delete_reply_template(&user, id).await?;
    redirect(&templates_href(&entity))
}
