//! The services of an entity and their forms, in the admin console. The pages only read the
//! forms' fields; the app's use cases check, authorize and audit every change, and the domain
//! says what a valid service and form are.

use super::{chosen_entity, entity_choices, message, EntityQuery};
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms::{self, Submitted};
use crate::kit::{options, Admin, Checkbox, CheckedForm, Named, NoFields, SelectOption};
use crate::pages::{answer, redirect, refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, Query};
use tawasul_app::catalogue::services::ServiceDraft;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::rows::ManagedServiceRow;
use tawasul_app::CatalogueError;
use tawasul_domain::catalogue::{Choice, FieldType, FormField};
use tawasul_domain::vocab::{Kind, Priority};
use tawasul_domain::Invalid;

fn services_href(entity: &str) -> String {
    let query = serde_urlencoded::to_string([("entity", entity)]).unwrap_or_default();
    format!("/staff/admin/services?{query}")
}

fn service_href(code: &str) -> String {
    format!("/staff/admin/services/{code}")
}

/// The properties form of a service, as shown (stored values, or what was typed).
pub struct ServiceForm {
    pub draft: ServiceDraft,
    pub kinds: Vec<Checkbox>,
    pub departments: Vec<SelectOption>,
    pub priorities: Vec<SelectOption>,
    /// Cases use the service: its code cannot change.
    pub code_locked: bool,
}

fn draft_of(row: &ManagedServiceRow) -> ServiceDraft {
    let s = &row.service;
    ServiceDraft {
        code: s.code.clone(),
        name_ar: s.name_ar.clone(),
        name_en: s.name_en.clone(),
        description_ar: s.description_ar.clone(),
        description_en: s.description_en.clone(),
        kinds: s.kinds.split(',').map(str::to_owned).collect(),
        default_department: s.default_department_code.clone().unwrap_or_default(),
        default_priority: s.default_priority.as_str().to_owned(),
        active: row.active,
        fix_photo_required: s.fix_photo_required,
    }
}

fn draft_from(form: &Submitted) -> ServiceDraft {
    ServiceDraft {
        code: form.get("code").unwrap_or("").to_owned(),
        name_ar: form.get("name_ar").unwrap_or("").to_owned(),
        name_en: form.get("name_en").unwrap_or("").to_owned(),
        description_ar: form.get("description_ar").unwrap_or("").to_owned(),
        description_en: form.get("description_en").unwrap_or("").to_owned(),
        kinds: form.all("kinds"),
        default_department: form.get("default_department").unwrap_or("").to_owned(),
        default_priority: form.get("default_priority").unwrap_or("").to_owned(),
        active: form.get("active").unwrap_or("") == "yes",
        fix_photo_required: form.get("fix_photo_required").unwrap_or("") == "yes",
    }
}

async fn service_form(
    state: &WebState,
    ctx: &Ctx,
    entity: &str,
    draft: ServiceDraft,
    code_locked: bool,
) -> WebResult<ServiceForm> {
    let departments = state.app.departments().await?;
    let none = std::iter::once((String::new(), ctx.t("admin-service-no-department")));
    let departments = options(
        none.chain(
            departments
                .into_iter()
                .filter(|d| d.entity_code == entity)
                .map(|d| (d.code.clone(), d.name_in(ctx.lang()).to_owned())),
        ),
        &draft.default_department,
    );
    let priorities = options(
        Priority::ALL
            .iter()
            .map(|p| (p.as_str().to_owned(), ctx.word("priority", p.as_str()))),
        &draft.default_priority,
    );
    let kinds = Kind::ALL
        .iter()
        .map(|k| {
            let kind = k.as_str();
            Checkbox::new(
                "kinds",
                kind,
                ctx.word("kind", kind),
                draft.kinds.iter().any(|d| d == kind),
            )
        })
        .collect();
    Ok(ServiceForm {
        draft,
        kinds,
        departments,
        priorities,
        code_locked,
    })
}

fn blank_draft() -> ServiceDraft {
    ServiceDraft {
        kinds: vec![Kind::Complaint.as_str().into()],
        default_priority: Priority::Normal.as_str().into(),
        active: true,
        ..ServiceDraft::default()
    }
}

// The list, with the form to add a service.

pub struct ServiceLine {
    pub code: String,
    pub name: String,
    pub kinds: String,
    pub fields: usize,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "admin/services.html")]
pub struct ServicesPage {
    ctx: Ctx,
    user: StaffUser,
    entity: String,
    entities: Vec<SelectOption>,
    services: Vec<ServiceLine>,
    form: ServiceForm,
    errors: FieldErrors,
}

impl ServicesPage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

async fn services_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    entity: String,
    draft: ServiceDraft,
    errors: FieldErrors,
) -> WebResult<ServicesPage> {
    let rows = state.app.managed_services(&user, &entity).await?;
    let services = rows
        .iter()
        .map(|row| {
            let s = &row.service;
            ServiceLine {
                code: s.code.clone(),
                name: s.name_in(ctx.lang()).to_owned(),
                kinds: s
                    .kinds
                    .split(',')
                    .map(|k| ctx.word("kind", k))
                    .collect::<Vec<_>>()
                    .join("، "),
                fields: serde_json::from_str::<Vec<FormField>>(&s.fields).map_or(0, |f| f.len()),
                active: row.active,
            }
        })
        .collect();
    Ok(ServicesPage {
        entities: entity_choices(state, &ctx, &user, &entity).await?,
        form: service_form(state, &ctx, &entity, draft, false).await?,
        services,
        errors,
        entity,
        user,
        ctx,
    })
}

pub async fn list(Admin { state, ctx, user }: Admin, Query(query): Query<EntityQuery>) -> WebResult {
    let entity = chosen_entity(&state, &user, &query.entity).await?;
    render(&services_page(&state, ctx, user, entity, blank_draft(), FieldErrors::new()).await?)
}

/// The form input an error of a service's properties belongs beside.
fn service_error(ctx: &Ctx, invalid: &Invalid) -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.insert(format!("service.{}", invalid.field), message(ctx, invalid));
    errors
}

pub async fn add(Admin { state, ctx, user }: Admin, CheckedForm(form): CheckedForm<Submitted>) -> WebResult {
    let entity = form.get("entity").unwrap_or("").to_owned();
    let draft = draft_from(&form);
    let outcome = state.app.add_service(&user, &entity, draft.clone()).await;
    answer(
        outcome,
        |code| redirect(&service_href(&code)),
        |invalid| async move {
            // The entity is not one the form offers: a forged form.
            if invalid.field == "entity" {
                return Err(WebError::BadRequest(invalid.to_string()));
            }
            let errors = service_error(&ctx, &invalid);
            refused(&services_page(&state, ctx, user, entity, draft, errors).await?)
        },
    )
    .await
}

// One service: its properties and its form.

/// A question of the form, as its edit form shows it.
#[derive(Clone, Default)]
pub struct FieldView {
    /// The key the question had (its edit form's address); empty for a new one.
    pub original: String,
    /// Where its form posts, and the prefix of its inputs' ids.
    pub action: String,
    pub fid: String,
    pub key: String,
    pub label_ar: String,
    pub label_en: String,
    pub field_type: String,
    pub required: bool,
    pub min: String,
    pub max: String,
    /// One option a line: `value | Arabic label | English label`.
    pub choices: String,
}

fn number_text(n: Option<f64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

fn view_of(field: &FormField) -> FieldView {
    FieldView {
        original: field.key.clone(),
        action: String::new(),
        fid: String::new(),
        key: field.key.clone(),
        label_ar: field.label_ar.clone(),
        label_en: field.label_en.clone(),
        field_type: field.field_type.as_str().to_owned(),
        required: field.required,
        min: number_text(field.min),
        max: number_text(field.max),
        choices: field
            .options
            .iter()
            .map(|o| format!("{} | {} | {}", o.value, o.label_ar, o.label_en))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn view_from(form: &Submitted, original: &str) -> FieldView {
    FieldView {
        original: original.to_owned(),
        action: String::new(),
        fid: String::new(),
        key: form.get("key").unwrap_or("").trim().to_owned(),
        label_ar: form.get("label_ar").unwrap_or("").to_owned(),
        label_en: form.get("label_en").unwrap_or("").to_owned(),
        field_type: form.get("type").unwrap_or("").to_owned(),
        required: form.get("required").unwrap_or("") == "yes",
        min: form.get("min").unwrap_or("").to_owned(),
        max: form.get("max").unwrap_or("").to_owned(),
        choices: form.get("choices").unwrap_or("").to_owned(),
    }
}

/// The question a field view describes; a refusal names the input (`type`, `min`, `max`,
/// `choices`) the page cannot read. The rest the domain checks with the whole form.
fn field_of(view: &FieldView) -> Result<FormField, Invalid> {
    let field_type = FieldType::parse(&view.field_type, "type")?;
    let number = |raw: &str, name: &str| match raw.trim() {
        "" => Ok(None),
        raw => forms::parse_number(raw)
            .map(Some)
            .ok_or_else(|| Invalid::new("invalid_type", name, "not a number")),
    };
    let mut options = Vec::new();
    for line in view.choices.lines().filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let [value, label_ar, label_en] = parts[..] else {
            return Err(Invalid::new(
                "invalid_choices",
                "choices",
                "value | Arabic label | English label",
            ));
        };
        options.push(Choice {
            value: value.to_owned(),
            label_ar: label_ar.to_owned(),
            label_en: label_en.to_owned(),
        });
    }
    Ok(FormField {
        key: view.key.clone(),
        label_ar: view.label_ar.clone(),
        label_en: view.label_en.clone(),
        field_type,
        required: view.required,
        options,
        min: number(&view.min, "min")?,
        max: number(&view.max, "max")?,
    })
}

/// `fields[2].options` → `choices`: the input of the field form a domain error concerns.
fn field_input(invalid_field: &str) -> String {
    let name = invalid_field.rsplit_once('.').map_or("key", |(_, name)| name);
    match name {
        "options" => "choices".into(),
        other => other.into(),
    }
}

#[derive(Template)]
#[template(path = "admin/service.html")]
pub struct ServicePage {
    ctx: Ctx,
    user: StaffUser,
    entity: String,
    entities: Vec<SelectOption>,
    code: String,
    list_href: String,
    update_action: String,
    name: String,
    form: ServiceForm,
    fields: Vec<FieldView>,
    new_field: FieldView,
    types: Vec<(String, String)>,
    errors: FieldErrors,
}

impl ServicePage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }

    /// The errors of one field form are kept under `field:{original key}.` (`field:` alone
    /// for the new question).
    fn field_error(&self, view: &FieldView, input: &str) -> Option<&String> {
        self.errors.get(&format!("field:{}.{input}", view.original))
    }
}

/// What a refused page keeps: the properties typed, or one question typed.
enum Typed {
    Nothing,
    Service(ServiceDraft),
    Field(FieldView),
}

async fn service_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    code: &str,
    typed: Typed,
    errors: FieldErrors,
) -> WebResult<ServicePage> {
    let row = state.app.managed_service(&user, code).await?;
    let entity = row.service.entity_code.clone();
    let stored: Vec<FormField> = serde_json::from_str(&row.service.fields).map_err(|e| {
        tracing::error!(service = code, error = %e, "a stored form does not read");
        WebError::Unexpected
    })?;
    let mut fields: Vec<FieldView> = stored.iter().map(view_of).collect();
    let mut new_field = FieldView {
        field_type: FieldType::Text.as_str().into(),
        ..FieldView::default()
    };
    let draft = match typed {
        Typed::Service(draft) => draft,
        Typed::Field(view) => {
            match fields
                .iter_mut()
                .find(|f| f.original == view.original && !view.original.is_empty())
            {
                Some(shown) => *shown = view,
                None => new_field = view,
            }
            draft_of(&row)
        }
        Typed::Nothing => draft_of(&row),
    };
    let code = row.service.code.clone();
    for f in fields.iter_mut() {
        f.action = format!("{}/fields/{}", service_href(&code), f.original);
        f.fid = format!("q-{}", f.original);
    }
    new_field.action = format!("{}/fields", service_href(&code));
    new_field.fid = "new".into();
    let types = FieldType::ALL
        .iter()
        .map(|t| (t.as_str().to_owned(), ctx.word("field-type", t.as_str())))
        .collect();
    Ok(ServicePage {
        entities: vec![],
        form: service_form(state, &ctx, &entity, draft, row.has_cases).await?,
        list_href: services_href(&entity),
        update_action: service_href(&code),
        code,
        name: row.name_in(ctx.lang()).to_owned(),
        fields,
        new_field,
        types,
        errors,
        entity,
        user,
        ctx,
    })
}

pub async fn show(Admin { state, ctx, user }: Admin, Path(code): Path<String>) -> WebResult {
    render(&service_page(&state, ctx, user, &code, Typed::Nothing, FieldErrors::new()).await?)
}

pub async fn update(
    Admin { state, ctx, user }: Admin,
    Path(code): Path<String>,
    CheckedForm(form): CheckedForm<Submitted>,
) -> WebResult {
    let draft = draft_from(&form);
    let outcome = state.app.update_service(&user, &code, draft.clone()).await;
    answer(
        outcome,
        |code| redirect(&service_href(&code)),
        |invalid| async move {
            let errors = service_error(&ctx, &invalid);
            refused(&service_page(&state, ctx, user, &code, Typed::Service(draft), errors).await?)
        },
    )
    .await
}

/// The stored form of a service the user may manage.
async fn stored_fields(state: &WebState, user: &StaffUser, code: &str) -> WebResult<Vec<FormField>> {
    let row = state.app.managed_service(user, code).await?;
    serde_json::from_str(&row.service.fields).map_err(|e| {
        tracing::error!(service = code, error = %e, "a stored form does not read");
        WebError::Unexpected
    })
}

/// Adds a question (`original` empty) or changes the question `original`.
async fn save_field(state: WebState, ctx: Ctx, user: StaffUser, code: String, view: FieldView) -> WebResult {
    let mut fields = stored_fields(&state, &user, &code).await?;
    let at = match view.original.as_str() {
        "" => None,
        original => Some(
            fields
                .iter()
                .position(|f| f.key == original)
                .ok_or(WebError::NotFound)?,
        ),
    };
    let outcome = match field_of(&view) {
        Err(invalid) => Err(CatalogueError::from(invalid)),
        Ok(field) => {
            match at {
                Some(i) => fields[i] = field,
                None => fields.push(field),
            }
            state.app.set_service_fields(&user, &code, fields).await
        }
    };
    let back = format!("{}#fields", service_href(&code));
    answer(
        outcome,
        |()| redirect(&back),
        |invalid| async move {
            let input = if invalid.field.starts_with("fields[") || invalid.field == "fields" {
                field_input(&invalid.field)
            } else {
                invalid.field.clone()
            };
            let errors = FieldErrors::from([(format!("field:{}.{input}", view.original), message(&ctx, &invalid))]);
            refused(&service_page(&state, ctx, user, &code, Typed::Field(view), errors).await?)
        },
    )
    .await
}

pub async fn add_field(
    Admin { state, ctx, user }: Admin,
    Path(code): Path<String>,
    CheckedForm(form): CheckedForm<Submitted>,
) -> WebResult {
    let view = view_from(&form, "");
    save_field(state, ctx, user, code, view).await
}

pub async fn edit_field(
    Admin { state, ctx, user }: Admin,
    Path((code, key)): Path<(String, String)>,
    CheckedForm(form): CheckedForm<Submitted>,
) -> WebResult {
    if key.is_empty() {
        return Err(WebError::NotFound);
    }
    let view = view_from(&form, &key);
    save_field(state, ctx, user, code, view).await
}

/// Moves a question up or down the form, or removes it.
pub async fn arrange_field(
    Admin { state, user, .. }: Admin,
    Path((code, key, op)): Path<(String, String, String)>,
    CheckedForm(_): CheckedForm<NoFields>,
) -> WebResult {
    let mut fields = stored_fields(&state, &user, &code).await?;
    let at = fields.iter().position(|f| f.key == key).ok_or(WebError::NotFound)?;
    match op.as_str() {
        "up" if at > 0 => fields.swap(at, at - 1),
        "down" if at + 1 < fields.len() => fields.swap(at, at + 1),
        // Already first or last: nothing to change.
        "up" | "down" => return redirect(&format!("{}#fields", service_href(&code))),
        "remove" => {
            fields.remove(at);
        }
        other => return Err(WebError::BadRequest(format!("no field operation {other:?}"))),
    }
    state.app.set_service_fields(&user, &code, fields).await?;
    redirect(&format!("{}#fields", service_href(&code)))
}
