//! The departments of an entity: one rename form each, and the form to add one.

use super::field_errors;
use crate::context::Ctx;
use crate::error::WebResult;
use crate::forms::Submitted;
use crate::kit::{Admin, EntityAdmin, EntityAdminForm, Input, ManageCatalogue, Named};
use crate::pages::{answer, redirect, refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::Path;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::organisation::admin::DepartmentRequest;
use tawasul_app::rows::{DepartmentRow, EntityRow};

#[derive(Template)]
#[template(path = "admin/departments.html")]
pub struct DepartmentsPage {
    ctx: Ctx,
    user: StaffUser,
    section: &'static str,
    entity: EntityRow,
    title: String,
    departments: Vec<DepartmentForm>,
    /// The add form: its code, and its names as `add.name_ar` and `add.name_en`.
    add_code: Input,
    add: DepartmentForm,
    saved: bool,
}

pub struct DepartmentForm {
    pub code: String,
    pub name_ar: Input,
    pub name_en: Input,
}

/// The rename form of department `d`: its inputs are `name_ar` and `name_en`, its errors
/// those of `errors` when it is the form that was sent (`sent` = its code).
fn department_form(ctx: &Ctx, d: &DepartmentRow, sent: Option<(&str, &Submitted, &FieldErrors)>) -> DepartmentForm {
    let none = FieldErrors::new();
    let (name_ar, name_en, errors) = match sent {
        Some((code, form, errors)) if code == d.code => (form.text("name_ar"), form.text("name_en"), errors),
        _ => (d.name_ar.clone(), d.name_en.clone(), &none),
    };
    DepartmentForm {
        name_ar: Input::new(ctx, "name_ar", "admin-name-ar", &name_ar, "text", errors)
            .required()
            .within(&d.code),
        name_en: Input::new(ctx, "name_en", "admin-name-en", &name_en, "text", errors)
            .required()
            .within(&d.code),
        code: d.code.clone(),
    }
}

/// The page; `sent` is the form that came back refused: `None` for the add form, or the code
/// of the department whose rename was refused.
async fn departments_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    entity: EntityRow,
    sent: Option<(Option<&str>, &Submitted, &FieldErrors)>,
) -> WebResult<DepartmentsPage> {
    let departments = state.app.departments_of(&user, &entity.code).await?;
    let none = FieldErrors::new();
    let blank = Submitted::default();
    let (add_form, add_errors) = match sent {
        Some((None, form, errors)) => (form, errors),
        _ => (&blank, &none),
    };
    let renamed = match sent {
        Some((Some(code), form, errors)) => Some((code, form, errors)),
        _ => None,
    };
    Ok(DepartmentsPage {
        departments: departments.iter().map(|d| department_form(&ctx, d, renamed)).collect(),
        add_code: Input::new(&ctx, "code", "admin-code", &add_form.text("code"), "text", add_errors).required(),
        add: DepartmentForm {
            code: String::new(),
            name_ar: Input::new(
                &ctx,
                "name_ar",
                "admin-name-ar",
                &add_form.text("name_ar"),
                "text",
                add_errors,
            )
            .required(),
            name_en: Input::new(
                &ctx,
                "name_en",
                "admin-name-en",
                &add_form.text("name_en"),
                "text",
                add_errors,
            )
            .required(),
        },
        title: entity.name_in(ctx.lang()).to_owned(),
        saved: false,
        section: "departments",
        entity,
        user,
        ctx,
    })
}

/// Back to the departments of entity `code`, saying the change was saved.
fn saved(code: &str) -> WebResult {
    redirect(&format!("/staff/admin/entities/{code}/departments?saved=1"))
}

pub async fn departments(
    EntityAdmin(Admin { state, ctx, user }, entity, saved, _): EntityAdmin<ManageCatalogue>,
) -> WebResult {
    let mut page = departments_page(&state, ctx, user, entity, None).await?;
    page.saved = saved;
    render(&page)
}

pub async fn add_department(
    Path(code): Path<String>,
    EntityAdminForm(Admin { state, ctx, user }, entity, form, _): EntityAdminForm<ManageCatalogue, Submitted>,
) -> WebResult {
    let request = DepartmentRequest {
        code: form.text("code"),
        name_ar: form.text("name_ar"),
        name_en: form.text("name_en"),
    };
    let outcome = state.app.add_department(&user, &code, request).await;
    answer(
        outcome,
        |()| saved(&code),
        |invalid| async move {
            let errors = field_errors(&ctx, &invalid, invalid.field.clone());
            refused(&departments_page(&state, ctx, user, entity, Some((None, &form, &errors))).await?)
        },
    )
    .await
}

pub async fn rename_department(
    Path((code, department)): Path<(String, String)>,
    EntityAdminForm(Admin { state, ctx, user }, entity, form, _): EntityAdminForm<ManageCatalogue, Submitted>,
) -> WebResult {
    let request = DepartmentRequest {
        code: department.clone(),
        name_ar: form.text("name_ar"),
        name_en: form.text("name_en"),
    };
    let outcome = state.app.rename_department(&user, &code, &department, request).await;
    answer(
        outcome,
        |()| saved(&code),
        |invalid| async move {
            let errors = field_errors(&ctx, &invalid, invalid.field.clone());
            let sent = Some((Some(department.as_str()), &form, &errors));
            refused(&departments_page(&state, ctx, user, entity, sent).await?)
        },
    )
    .await
}
