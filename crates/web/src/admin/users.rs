//! Staff users and their roles: an entity's staff with the form to add one, and one user's
//! details, role, standing and password.

use super::field_errors;
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms::Submitted;
use crate::kit::SavedQuery;
use crate::kit::{
    options, Admin, CheckedForm, EntityAdmin, EntityAdminForm, Input, ManageStaff, Named, NoFields, Select,
    SelectOption,
};
use crate::pages::{answer, redirect, refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, Query};
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::organisation::admin::{NewStaff, StaffChange};
use tawasul_app::rows::{DepartmentRow, EntityRow, StaffRow};
use tawasul_domain::vocab::Role;
use tawasul_domain::Invalid;

pub struct StaffLine {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub department: String,
    pub role: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    ctx: Ctx,
    user: StaffUser,
    section: &'static str,
    entity: EntityRow,
    title: String,
    staff: Vec<StaffLine>,
    username: Input,
    display_name: Input,
    email: Input,
    department: Select,
    role: Select,
    password: Input,
    saved: bool,
}

/// The department a user works in (or none), as chosen in `form`.
fn department_select(ctx: &Ctx, departments: &[DepartmentRow], form: &Submitted, errors: &FieldErrors) -> Select {
    let options = department_options(ctx, departments, &form.text("department"));
    Select::new("department", ctx.t("col-department"), options, errors)
}

/// The user's role, as chosen in `form`.
fn role_select(ctx: &Ctx, form: &Submitted, errors: &FieldErrors) -> Select {
    Select::new(
        "role",
        ctx.t("admin-role"),
        role_options(ctx, &form.text("role")),
        errors,
    )
}

fn department_options(ctx: &Ctx, departments: &[DepartmentRow], selected: &str) -> Vec<SelectOption> {
    let all = std::iter::once((String::new(), ctx.t("admin-none"))).chain(
        departments
            .iter()
            .map(|d| (d.code.clone(), d.name_in(ctx.lang()).to_owned())),
    );
    options(all, selected)
}

fn role_options(ctx: &Ctx, selected: &str) -> Vec<SelectOption> {
    options(
        Role::ALL
            .iter()
            .map(|r| (r.as_str().to_owned(), ctx.word("role", r.as_str()))),
        selected,
    )
}

async fn users_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    entity: EntityRow,
    form: &Submitted,
    errors: &FieldErrors,
) -> WebResult<UsersPage> {
    let staff = state.app.staff_of(&user, &entity.code).await?;
    let departments = state.app.departments().await?;
    let departments: Vec<DepartmentRow> = departments.into_iter().filter(|d| d.entity_id == entity.id).collect();
    let department_name = |id: Option<i64>| {
        departments
            .iter()
            .find(|d| Some(d.id) == id)
            .map(|d| d.name_in(ctx.lang()).to_owned())
            .unwrap_or_default()
    };
    let staff = staff
        .into_iter()
        .map(|s: StaffRow| StaffLine {
            department: department_name(s.department_id),
            role: ctx.word("role", s.role.as_str()),
            email: s.email.unwrap_or_default(),
            username: s.username,
            display_name: s.display_name,
            active: s.active,
        })
        .collect();
    let text =
        |name: &str, label: &str, kind: &'static str| Input::new(&ctx, name, label, &form.text(name), kind, errors);
    Ok(UsersPage {
        username: text("username", "staff-username", "text").required(),
        display_name: text("display_name", "admin-display-name", "text").required(),
        email: text("email", "admin-email", "email"),
        // A refused password is not sent back.
        password: Input::new(&ctx, "password", "admin-initial-password", "", "password", errors).required(),
        department: department_select(&ctx, &departments, form, errors),
        role: role_select(&ctx, form, errors),
        staff,
        title: entity.name_in(ctx.lang()).to_owned(),
        saved: false,
        section: "users",
        entity,
        user,
        ctx,
    })
}

pub async fn users(EntityAdmin(Admin { state, ctx, user }, entity, saved, _): EntityAdmin<ManageStaff>) -> WebResult {
    let blank = Submitted::from(vec![("role".into(), Role::Agent.as_str().into())]);
    let mut page = users_page(&state, ctx, user, entity, &blank, &FieldErrors::new()).await?;
    page.saved = saved;
    render(&page)
}

pub async fn add_user(
    Path(code): Path<String>,
    EntityAdminForm(Admin { state, ctx, user }, entity, form, _): EntityAdminForm<ManageStaff, Submitted>,
) -> WebResult {
    let request = NewStaff {
        username: form.text("username"),
        display_name: form.text("display_name"),
        email: form.text("email"),
        entity: code.clone(),
        department: form.text("department"),
        role: form.text("role"),
        password: form.text("password"),
    };
    let outcome = state.app.create_staff(&user, request).await;
    let done = |_| redirect(&format!("/staff/admin/entities/{code}/users?saved=1"));
    answer(outcome, done, |invalid| async move {
        let errors = field_errors(&ctx, &invalid, invalid.field.clone());
        refused(&users_page(&state, ctx, user, entity, &form, &errors).await?)
    })
    .await
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    ctx: Ctx,
    user: StaffUser,
    section: &'static str,
    staff: StaffRow,
    /// The entity's code, for the way back to its list.
    entity: Option<String>,
    display_name: Input,
    email: Input,
    department: Select,
    role: Select,
    password: Input,
    active_error: Option<String>,
    is_self: bool,
    saved: bool,
    /// Whether the user has a second factor the viewer (a platform administrator) may reset.
    second_factor: bool,
}

async fn user_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    staff: StaffRow,
    form: &Submitted,
    errors: &FieldErrors,
) -> WebResult<UserPage> {
    let departments = state.app.departments().await?;
    let departments: Vec<DepartmentRow> = departments
        .into_iter()
        .filter(|d| Some(d.entity_id) == staff.entity_id)
        .collect();
    let second_factor = match (user.role, user.entity_id) {
        (Role::Admin, None) => state.app.staff_has_second_factor(&user, &staff.username).await?,
        _ => false,
    };
    let text =
        |name: &str, label: &str, kind: &'static str| Input::new(&ctx, name, label, &form.text(name), kind, errors);
    Ok(UserPage {
        second_factor,
        display_name: text("display_name", "admin-display-name", "text").required(),
        email: text("email", "admin-email", "email"),
        password: Input::new(&ctx, "password", "admin-new-password", "", "password", errors).required(),
        department: department_select(&ctx, &departments, form, errors),
        role: role_select(&ctx, form, errors),
        active_error: errors.get("active").cloned(),
        is_self: staff.id == user.id,
        entity: staff.entity_code.clone(),
        saved: false,
        section: "users",
        staff,
        user,
        ctx,
    })
}

fn staff_form(staff: &StaffRow, departments: &[DepartmentRow]) -> Submitted {
    let department = departments
        .iter()
        .find(|d| Some(d.id) == staff.department_id)
        .map(|d| d.code.clone())
        .unwrap_or_default();
    Submitted::from(vec![
        ("display_name".into(), staff.display_name.clone()),
        ("email".into(), staff.email.clone().unwrap_or_default()),
        ("department".into(), department),
        ("role".into(), staff.role.as_str().to_owned()),
    ])
}

pub async fn user(
    Admin { state, ctx, user }: Admin,
    Path(username): Path<String>,
    Query(query): Query<SavedQuery>,
) -> WebResult {
    let staff = state.app.managed_staff(&user, &username).await?;
    let departments = state.app.departments().await?;
    let form = staff_form(&staff, &departments);
    let mut page = user_page(&state, ctx, user, staff, &form, &FieldErrors::new()).await?;
    page.saved = !query.saved.is_empty();
    render(&page)
}

/// The user page again with a refusal beside its field; `form` holds what was sent, or the
/// user as stored when the refused form was another.
async fn user_refused(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    username: &str,
    form: Option<&Submitted>,
    invalid: Invalid,
) -> WebResult {
    let staff = state.app.managed_staff(&user, username).await?;
    let departments = state.app.departments().await?;
    let stored = staff_form(&staff, &departments);
    let errors = field_errors(&ctx, &invalid, invalid.field.clone());
    refused(&user_page(state, ctx, user, staff, form.unwrap_or(&stored), &errors).await?)
}

/// Back to user `username`'s page, saying the change was saved.
fn user_saved(username: &str) -> WebResult {
    redirect(&format!("/staff/admin/users/{username}?saved=1"))
}

pub async fn change_user(
    Admin { state, ctx, user }: Admin,
    Path(username): Path<String>,
    CheckedForm(form): CheckedForm<Submitted>,
) -> WebResult {
    let change = StaffChange {
        display_name: form.text("display_name"),
        email: form.text("email"),
        department: form.text("department"),
        role: form.text("role"),
    };
    let outcome = state.app.change_staff(&user, &username, change).await;
    answer(
        outcome,
        |()| user_saved(&username),
        |invalid| user_refused(&state, ctx, user, &username, Some(&form), invalid),
    )
    .await
}

pub async fn set_user_active(
    Admin { state, ctx, user }: Admin,
    Path(username): Path<String>,
    CheckedForm(form): CheckedForm<Submitted>,
) -> WebResult {
    let active = match form.get("active") {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(WebError::BadRequest("active is true or false".into())),
    };
    let outcome = state.app.set_staff_active(&user, &username, active).await;
    answer(
        outcome,
        |()| user_saved(&username),
        |invalid| user_refused(&state, ctx, user, &username, None, invalid),
    )
    .await
}

/// A platform administrator removes the user's second factor (a lost phone).
pub async fn reset_second_factor(
    Admin { state, ctx: _, user }: Admin,
    Path(username): Path<String>,
    CheckedForm(_): CheckedForm<NoFields>,
) -> WebResult {
    state.app.reset_second_factor(&user, &username).await?;
    user_saved(&username)
}

pub async fn reset_password(
    Admin { state, ctx, user }: Admin,
    Path(username): Path<String>,
    CheckedForm(form): CheckedForm<Submitted>,
) -> WebResult {
    let outcome = state
        .app
        .reset_staff_password(&user, &username, &form.text("password"))
        .await;
    answer(
        outcome,
        |()| user_saved(&username),
        |invalid| user_refused(&state, ctx, user, &username, None, invalid),
    )
    .await
}
