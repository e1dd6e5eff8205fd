//! The admin console's organisation half: entities, their departments, calendars and policy,
//! and staff users with their roles. Every form posts to a use case of the application, which
//! authorizes, validates and audits; a refusal comes back as the same form with the message
//! beside its field, the data kept and status 422.

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::forms::{self, Submitted};
use crate::pages::{refused, render, FieldErrors};
use crate::staff::{options, Option2, SignedIn};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::Deserialize;
use tawasul_app::admin::PolicyRequest;
use tawasul_app::authz::{Permission, StaffUser};
use tawasul_app::org::{DepartmentRequest, EntityRequest, NewStaff, StaffChange, ENTITY_TYPES};
use tawasul_app::rows::{DepartmentRow, EntityRow, StaffRow};
use tawasul_app::AppError;
use tawasul_domain::calendar::{CalendarSpec, HolidaySpec, HoursOverrideSpec};
use tawasul_domain::sla::{EscalationLadder, EscalationStep, Notify};
use tawasul_domain::vocab::Role;
use tawasul_domain::Invalid;

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const NOTIFY: [(Notify, &str); 5] = [
    (Notify::Assignee, "assignee"),
    (Notify::Supervisor, "supervisor"),
    (Notify::Director, "director"),
    (Notify::Satisfaction, "satisfaction"),
    (Notify::Reporter, "reporter"),
];
/// Empty rows offered under the holidays, hour overrides and escalation steps, for adding.
const BLANK_ROWS: usize = 2;
/// More rows than the calendar accepts (400 holidays or overrides), so the domain refuses them.
const MAX_ROWS: usize = 500;

/// One form input with its label, kept value and error.
pub struct Input {
    pub id: String,
    pub name: String,
    pub label: String,
    pub value: String,
    pub kind: &'static str,
    pub error: Option<String>,
    pub required: bool,
}

impl Input {
    fn new(ctx: &Ctx, name: &str, label: &str, value: &str, kind: &'static str, errors: &FieldErrors) -> Self {
        Self {
            id: format!(
                "f-{}",
                name.replace(['[', ']', '.'], "-")
                    .replace("--", "-")
                    .trim_end_matches('-')
            ),
            name: name.to_owned(),
            label: ctx.t(label),
            value: value.to_owned(),
            kind,
            error: errors.get(name).cloned(),
            required: false,
        }
    }

    fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The same input, inside the form of `prefix` (several forms on one page).
    fn within(mut self, prefix: &str) -> Self {
        self.id = format!("{}-{prefix}", self.id);
        self
    }
}

/// A select with its options, kept choice and error.
pub struct Choice {
    pub id: String,
    pub name: String,
    pub label: String,
    pub options: Vec<Option2>,
    pub error: Option<String>,
}

fn choice(name: &str, label: String, options: Vec<Option2>, errors: &FieldErrors) -> Choice {
    Choice {
        id: format!("f-{name}"),
        name: name.to_owned(),
        label,
        options,
        error: errors.get(name).cloned(),
    }
}

fn localized(ctx: &Ctx, ar: &str, en: &str) -> String {
    if ctx.lang() == "ar" { ar } else { en }.to_owned()
}

/// Refusals of a use case: an invalid field becomes a message beside `field_of(its name)`;
/// everything else is an error page.
fn field_errors(ctx: &Ctx, invalid: &Invalid, field: String) -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.insert(field, forms::message(ctx, invalid.code));
    errors
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

// The start page.

#[derive(Template)]
#[template(path = "admin_home.html")]
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
            name: localized(ctx, &e.name_ar, &e.name_en),
            entity_type: ctx.word("entity-type", &e.entity_type),
            code: e.code,
        })
        .collect()
}

pub async fn home(State(state): State<WebState>, ctx: Ctx, SignedIn(user): SignedIn) -> WebResult {
    if !user.may_administer() {
        return Err(WebError::Forbidden(
            "only administrators manage the organisation".into(),
        ));
    }
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
    if !["departments", "calendar", "users"].contains(&section.as_str()) {
        return Err(WebError::NotFound);
    }
    if !user.may_administer() {
        return Err(WebError::Forbidden(
            "only administrators manage the organisation".into(),
        ));
    }
    let to = match &user.entity_code {
        Some(code) => format!("/staff/admin/entities/{code}/{section}"),
        None => "/staff/admin/entities".to_owned(),
    };
    Ok(Redirect::to(&to).into_response())
}

// Entities.

#[derive(Template)]
#[template(path = "admin_entities.html")]
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
    pub entity_type: Choice,
}

fn entity_form(ctx: &Ctx, form: &Submitted, errors: &FieldErrors) -> EntityForm {
    let types = ENTITY_TYPES
        .iter()
        .map(|t| ((*t).to_owned(), ctx.word("entity-type", t)));
    EntityForm {
        code: Input::new(ctx, "code", "admin-code", &form.text("code"), "text", errors).required(),
        name_ar: Input::new(ctx, "name_ar", "admin-name-ar", &form.text("name_ar"), "text", errors).required(),
        name_en: Input::new(ctx, "name_en", "admin-name-en", &form.text("name_en"), "text", errors).required(),
        entity_type: choice(
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

pub async fn entities(State(state): State<WebState>, ctx: Ctx, SignedIn(user): SignedIn) -> WebResult {
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

pub async fn add_entity(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let form = Submitted::from(fields);
    forms::check_csrf(&ctx, forms::csrf_of(&form))?;
    match state.app.add_entity(&user, entity_request(&form)).await {
        Ok(entity) => Ok(Redirect::to(&format!("/staff/admin/entities/{}?saved=1", entity.code)).into_response()),
        Err(AppError::Invalid(invalid)) => {
            let errors = field_errors(&ctx, &invalid, invalid.field.clone());
            refused(&entities_page(&state, ctx, user, &form, &errors).await?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_entity.html")]
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
        title: localized(&ctx, &entity.name_ar, &entity.name_en),
        form: entity_form(&ctx, form, errors),
        saved: false,
        section: "entities",
        entity,
        user,
        ctx,
    }
}

pub async fn entity(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(code): Path<String>,
    Query(query): Query<SavedQuery>,
) -> WebResult {
    let entity = state
        .app
        .administered_entity(&user, &code, Permission::ManageCatalogue)
        .await?;
    let current = Submitted::from(vec![
        ("name_ar".into(), entity.name_ar.clone()),
        ("name_en".into(), entity.name_en.clone()),
        ("entity_type".into(), entity.entity_type.clone()),
    ]);
    let mut page = entity_page(ctx, user, entity, &current, &FieldErrors::new());
    page.saved = !query.saved.is_empty();
    render(&page)
}

pub async fn update_entity(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let form = Submitted::from(fields);
    forms::check_csrf(&ctx, forms::csrf_of(&form))?;
    let entity = state
        .app
        .administered_entity(&user, &code, Permission::ManageCatalogue)
        .await?;
    match state.app.update_entity(&user, &code, entity_request(&form)).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/admin/entities/{code}?saved=1")).into_response()),
        Err(AppError::Invalid(invalid)) => {
            let errors = field_errors(&ctx, &invalid, invalid.field.clone());
            refused(&entity_page(ctx, user, entity, &form, &errors))
        }
        Err(e) => Err(e.into()),
    }
}

// Departments.

#[derive(Template)]
#[template(path = "admin_departments.html")]
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
        title: localized(&ctx, &entity.name_ar, &entity.name_en),
        saved: false,
        section: "departments",
        entity,
        user,
        ctx,
    })
}

pub async fn departments(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(code): Path<String>,
    Query(query): Query<SavedQuery>,
) -> WebResult {
    let entity = state
        .app
        .administered_entity(&user, &code, Permission::ManageCatalogue)
        .await?;
    let mut page = departments_page(&state, ctx, user, entity, None).await?;
    page.saved = !query.saved.is_empty();
    render(&page)
}

pub async fn add_department(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let form = Submitted::from(fields);
    forms::check_csrf(&ctx, forms::csrf_of(&form))?;
    let entity = state
        .app
        .administered_entity(&user, &code, Permission::ManageCatalogue)
        .await?;
    let request = DepartmentRequest {
        code: form.text("code"),
        name_ar: form.text("name_ar"),
        name_en: form.text("name_en"),
    };
    match state.app.add_department(&user, &code, request).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/admin/entities/{code}/departments?saved=1")).into_response()),
        Err(AppError::Invalid(invalid)) => {
            let errors = field_errors(&ctx, &invalid, invalid.field.clone());
            refused(&departments_page(&state, ctx, user, entity, Some((None, &form, &errors))).await?)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn rename_department(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path((code, department)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let form = Submitted::from(fields);
    forms::check_csrf(&ctx, forms::csrf_of(&form))?;
    let entity = state
        .app
        .administered_entity(&user, &code, Permission::ManageCatalogue)
        .await?;
    let request = DepartmentRequest {
        code: department.clone(),
        name_ar: form.text("name_ar"),
        name_en: form.text("name_en"),
    };
    match state.app.rename_department(&user, &code, &department, request).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/admin/entities/{code}/departments?saved=1")).into_response()),
        Err(AppError::Invalid(invalid)) => {
            let errors = field_errors(&ctx, &invalid, invalid.field.clone());
            let sent = Some((Some(department.as_str()), &form, &errors));
            refused(&departments_page(&state, ctx, user, entity, sent).await?)
        }
        Err(e) => Err(e.into()),
    }
}

// Calendar and policy.

#[derive(Template)]
#[template(path = "admin_calendar.html")]
pub struct CalendarPage {
    ctx: Ctx,
    user: StaffUser,
    section: &'static str,
    entity: EntityRow,
    title: String,
    time_zone: Input,
    working_days: Vec<Checkbox>,
    working_days_error: Option<String>,
    opens: Input,
    closes: Input,
    ignored_after_days: Input,
    satisfaction_department: Choice,
    holidays: Vec<Row>,
    holidays_error: Option<String>,
    overrides: Vec<Row>,
    overrides_error: Option<String>,
    steps: Vec<StepRow>,
    steps_error: Option<String>,
    saved: bool,
}

pub struct Checkbox {
    pub id: String,
    pub name: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// A row of a list (holiday, override): its inputs, and whether it is marked for removal.
pub struct Row {
    pub legend: String,
    pub inputs: Vec<Input>,
    pub remove: Checkbox,
}

pub struct StepRow {
    pub legend: String,
    pub percent: Input,
    pub notify: Vec<Checkbox>,
    pub notify_error: Option<String>,
    pub remove: Checkbox,
}

fn checkbox(name: &str, value: &str, label: String, checked: bool) -> Checkbox {
    Checkbox {
        id: format!("f-{}-{value}", name.replace(['[', ']', '.'], "-")),
        name: name.to_owned(),
        value: value.to_owned(),
        label,
        checked,
    }
}

/// How many rows of `list` (`holidays`, `overrides`, `escalation`) the form filled: up to
/// the last row with a value, so the blank rows sent back do not pile up on each refusal.
/// Capped: a row number beyond any real form's is no row at all.
fn row_count(form: &Submitted, list: &str) -> usize {
    let prefix = format!("{list}[");
    form.fields
        .iter()
        .filter(|(k, v)| !v.trim().is_empty() && !k.ends_with(".remove"))
        .filter_map(|(k, _)| k.strip_prefix(&prefix)?.split_once(']')?.0.parse::<usize>().ok())
        .filter(|i| *i < MAX_ROWS)
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
}

/// The policy as a form (what the page shows when it opens).
fn policy_form(policy: &PolicyRequest) -> Submitted {
    let c = &policy.calendar;
    let mut f: Vec<(String, String)> = vec![
        ("time_zone".into(), c.time_zone.clone()),
        ("opens".into(), c.opens.clone()),
        ("closes".into(), c.closes.clone()),
        (
            "ignored_after_days".into(),
            policy.ignored_after_days.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            "satisfaction_department".into(),
            policy.satisfaction_department.clone().unwrap_or_default(),
        ),
    ];
    f.extend(c.working_days.iter().map(|d| ("working_days".to_owned(), d.clone())));
    for (i, h) in c.holidays.iter().enumerate() {
        f.push((format!("holidays[{i}].name"), h.name.clone()));
        f.push((format!("holidays[{i}].from"), h.from.clone()));
        f.push((format!("holidays[{i}].to"), h.to.clone()));
    }
    for (i, o) in c.overrides.iter().enumerate() {
        f.push((format!("overrides[{i}].name"), o.name.clone()));
        f.push((format!("overrides[{i}].from"), o.from.clone()));
        f.push((format!("overrides[{i}].to"), o.to.clone()));
        f.push((format!("overrides[{i}].opens"), o.opens.clone()));
        f.push((format!("overrides[{i}].closes"), o.closes.clone()));
    }
    for (i, s) in policy.escalation.iter().flat_map(|l| l.steps.iter()).enumerate() {
        f.push((format!("escalation[{i}].percent"), s.percent.to_string()));
        for n in &s.notify {
            if let Some((_, key)) = NOTIFY.iter().find(|(v, _)| v == n) {
                f.push((format!("escalation[{i}].notify"), (*key).to_owned()));
            }
        }
    }
    Submitted::from(f)
}

/// For each list of the policy, the form row behind each item (blank rows and rows marked
/// for removal are left out), so a refusal finds its row again.
#[derive(Debug)]
struct FormRows {
    holiday_rows: Vec<usize>,
    override_rows: Vec<usize>,
    step_rows: Vec<usize>,
}

fn parse_policy(form: &Submitted) -> Result<(PolicyRequest, FormRows), Invalid> {
    let kept = |list: &str, keys: &[&str]| -> Vec<usize> {
        (0..row_count(form, list))
            .filter(|i| form.get(&format!("{list}[{i}].remove")).is_none())
            .filter(|i| {
                keys.iter().any(|k| {
                    !form
                        .all(&format!("{list}[{i}].{k}"))
                        .iter()
                        .all(|v| v.trim().is_empty())
                })
            })
            .collect()
    };
    let holiday_rows = kept("holidays", &["name", "from", "to"]);
    let override_rows = kept("overrides", &["name", "from", "to", "opens", "closes"]);
    let step_rows = kept("escalation", &["percent", "notify"]);
    let text = |name: String| form.text(&name).trim().to_owned();
    let mut steps = Vec::with_capacity(step_rows.len());
    for &i in &step_rows {
        let field = format!("escalation[{i}].percent");
        let percent = forms::parse_number(&form.text(&field))
            .filter(|p| p.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(p))
            .ok_or_else(|| Invalid::new("invalid_type", field, "a whole number of percent"))?;
        let chosen = form.all(&format!("escalation[{i}].notify"));
        let notify = NOTIFY
            .iter()
            .filter(|(_, key)| chosen.iter().any(|c| c == key))
            .map(|(n, _)| *n)
            .collect();
        steps.push(EscalationStep {
            percent: percent as u32,
            notify,
        });
    }
    let days = form.text("ignored_after_days");
    let ignored_after_days = match days.trim() {
        "" => None,
        raw => Some(
            forms::parse_number(raw)
                .filter(|d| d.fract() == 0.0 && d.abs() < 1e9)
                .ok_or_else(|| Invalid::new("invalid_type", "ignored_after_days", "a whole number of days"))?
                as i64,
        ),
    };
    let satisfaction = form.text("satisfaction_department");
    let request = PolicyRequest {
        calendar: CalendarSpec {
            time_zone: form.text("time_zone").trim().to_owned(),
            working_days: form.all("working_days"),
            opens: form.text("opens").trim().to_owned(),
            closes: form.text("closes").trim().to_owned(),
            holidays: holiday_rows
                .iter()
                .map(|i| HolidaySpec {
                    name: text(format!("holidays[{i}].name")),
                    from: text(format!("holidays[{i}].from")),
                    to: text(format!("holidays[{i}].to")),
                })
                .collect(),
            overrides: override_rows
                .iter()
                .map(|i| HoursOverrideSpec {
                    name: text(format!("overrides[{i}].name")),
                    from: text(format!("overrides[{i}].from")),
                    to: text(format!("overrides[{i}].to")),
                    opens: text(format!("overrides[{i}].opens")),
                    closes: text(format!("overrides[{i}].closes")),
                })
                .collect(),
        },
        escalation: Some(EscalationLadder { steps }),
        ignored_after_days,
        satisfaction_department: (!satisfaction.trim().is_empty()).then(|| satisfaction.trim().to_owned()),
    };
    let rows = FormRows {
        holiday_rows,
        override_rows,
        step_rows,
    };
    Ok((request, rows))
}

/// The form field a refusal of `set_policy` concerns: `calendar.holidays[1].to` is the `to`
/// of the form row behind holiday 1, `escalation.steps[0].percent` the first kept step's.
fn policy_field(invalid_field: &str, parsed: &FormRows) -> String {
    let field = invalid_field.strip_prefix("calendar.").unwrap_or(invalid_field);
    let (list, rows, rest) = if let Some(rest) = field.strip_prefix("holidays") {
        ("holidays", &parsed.holiday_rows, rest)
    } else if let Some(rest) = field.strip_prefix("overrides") {
        ("overrides", &parsed.override_rows, rest)
    } else if let Some(rest) = field.strip_prefix("escalation.steps") {
        ("escalation", &parsed.step_rows, rest)
    } else if field.starts_with("working_days") {
        return "working_days".into();
    } else if field == "escalation" {
        return "escalation".into();
    } else {
        return field.to_owned();
    };
    let indexed = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .and_then(|(n, tail)| Some((rows.get(n.parse::<usize>().ok()?)?, tail)));
    match indexed {
        Some((row, tail)) => format!("{list}[{row}]{tail}"),
        None => list.to_owned(),
    }
}

async fn calendar_page(
    state: &WebState,
    ctx: Ctx,
    user: StaffUser,
    entity: EntityRow,
    form: &Submitted,
    errors: &FieldErrors,
) -> WebResult<CalendarPage> {
    let departments = state.app.departments_of(&user, &entity.code).await?;
    let t = &ctx;
    let chosen_days = form.all("working_days");
    let working_days = WEEKDAYS
        .iter()
        .map(|d| {
            checkbox(
                "working_days",
                d,
                t.word("weekday", d),
                chosen_days.iter().any(|c| c == d),
            )
        })
        .collect();
    let remove = |list: &str, i: usize| {
        let name = format!("{list}[{i}].remove");
        checkbox(&name, "1", t.t("admin-remove"), form.get(&name).is_some())
    };
    let field =
        |name: String, label: &str, kind: &'static str| Input::new(t, &name, label, &form.text(&name), kind, errors);
    let holidays = (0..row_count(form, "holidays") + BLANK_ROWS)
        .map(|i| Row {
            legend: t.t1("admin-holiday-n", "n", i + 1),
            inputs: vec![
                field(format!("holidays[{i}].name"), "admin-holiday-name", "text"),
                field(format!("holidays[{i}].from"), "admin-from", "date"),
                field(format!("holidays[{i}].to"), "admin-to", "date"),
            ],
            remove: remove("holidays", i),
        })
        .collect();
    let overrides = (0..row_count(form, "overrides") + BLANK_ROWS)
        .map(|i| Row {
            legend: t.t1("admin-override-n", "n", i + 1),
            inputs: vec![
                field(format!("overrides[{i}].name"), "admin-override-name", "text"),
                field(format!("overrides[{i}].from"), "admin-from", "date"),
                field(format!("overrides[{i}].to"), "admin-to", "date"),
                field(format!("overrides[{i}].opens"), "admin-opens", "time"),
                field(format!("overrides[{i}].closes"), "admin-closes", "time"),
            ],
            remove: remove("overrides", i),
        })
        .collect();
    let steps = (0..row_count(form, "escalation") + 1)
        .map(|i| {
            let notify_name = format!("escalation[{i}].notify");
            let chosen = form.all(&notify_name);
            StepRow {
                legend: t.t1("admin-step-n", "n", i + 1),
                percent: field(format!("escalation[{i}].percent"), "admin-step-percent", "number"),
                notify: NOTIFY
                    .iter()
                    .map(|(_, key)| {
                        checkbox(
                            &notify_name,
                            key,
                            t.word("notify", key),
                            chosen.iter().any(|c| c == key),
                        )
                    })
                    .collect(),
                notify_error: errors.get(&notify_name).cloned(),
                remove: remove("escalation", i),
            }
        })
        .collect();
    let satisfaction = std::iter::once((String::new(), t.t("admin-none"))).chain(
        departments
            .into_iter()
            .map(|d| (d.code, localized(t, &d.name_ar, &d.name_en))),
    );
    Ok(CalendarPage {
        time_zone: field("time_zone".into(), "admin-time-zone", "text").required(),
        working_days,
        working_days_error: errors.get("working_days").cloned(),
        opens: field("opens".into(), "admin-opens", "time").required(),
        closes: field("closes".into(), "admin-closes", "time").required(),
        ignored_after_days: field("ignored_after_days".into(), "admin-ignored-after-days", "number"),
        satisfaction_department: choice(
            "satisfaction_department",
            t.t("admin-satisfaction-department"),
            options(satisfaction, &form.text("satisfaction_department")),
            errors,
        ),
        holidays,
        holidays_error: errors.get("holidays").cloned(),
        overrides,
        overrides_error: errors.get("overrides").cloned(),
        steps,
        steps_error: errors.get("escalation").cloned(),
        title: localized(t, &entity.name_ar, &entity.name_en),
        saved: false,
        section: "calendar",
        entity,
        user,
        ctx,
    })
}

pub async fn calendar(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(code): Path<String>,
    Query(query): Query<SavedQuery>,
) -> WebResult {
    let entity = state
        .app
        .administered_entity(&user, &code, Permission::ManageCatalogue)
        .await?;
    let policy = state.app.policy_of(&user, &code).await?;
    let mut page = calendar_page(&state, ctx, user, entity, &policy_form(&policy), &FieldErrors::new()).await?;
    page.saved = !query.saved.is_empty();
    render(&page)
}

pub async fn set_calendar(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let form = Submitted::from(fields);
    forms::check_csrf(&ctx, forms::csrf_of(&form))?;
    let entity = state
        .app
        .administered_entity(&user, &code, Permission::ManageCatalogue)
        .await?;
    let (invalid, field) = match parse_policy(&form) {
        Err(invalid) => {
            let field = invalid.field.clone();
            (invalid, field)
        }
        Ok((request, rows)) => match state.app.set_policy(&user, &code, request).await {
            Ok(_) => return Ok(Redirect::to(&format!("/staff/admin/entities/{code}/calendar?saved=1")).into_response()),
            Err(AppError::Invalid(invalid)) => {
                let field = policy_field(&invalid.field, &rows);
                (invalid, field)
            }
            Err(e) => return Err(e.into()),
        },
    };
    let errors = field_errors(&ctx, &invalid, field);
    refused(&calendar_page(&state, ctx, user, entity, &form, &errors).await?)
}

// Users and roles.

pub struct StaffLine {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub department: String,
    pub role: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
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
    department: Choice,
    role: Choice,
    password: Input,
    saved: bool,
}

fn department_options(ctx: &Ctx, departments: &[DepartmentRow], selected: &str) -> Vec<Option2> {
    let all = std::iter::once((String::new(), ctx.t("admin-none"))).chain(
        departments
            .iter()
            .map(|d| (d.code.clone(), localized(ctx, &d.name_ar, &d.name_en))),
    );
    options(all, selected)
}

fn role_options(ctx: &Ctx, selected: &str) -> Vec<Option2> {
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
            .map(|d| localized(&ctx, &d.name_ar, &d.name_en))
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
        department: choice(
            "department",
            ctx.t("col-department"),
            department_options(&ctx, &departments, &form.text("department")),
            errors,
        ),
        role: choice(
            "role",
            ctx.t("admin-role"),
            role_options(&ctx, &form.text("role")),
            errors,
        ),
        staff,
        title: localized(&ctx, &entity.name_ar, &entity.name_en),
        saved: false,
        section: "users",
        entity,
        user,
        ctx,
    })
}

pub async fn users(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(code): Path<String>,
    Query(query): Query<SavedQuery>,
) -> WebResult {
    let entity = state
        .app
        .administered_entity(&user, &code, Permission::ManageStaff)
        .await?;
    let blank = Submitted::from(vec![("role".into(), Role::Agent.as_str().into())]);
    let mut page = users_page(&state, ctx, user, entity, &blank, &FieldErrors::new()).await?;
    page.saved = !query.saved.is_empty();
    render(&page)
}

pub async fn add_user(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let form = Submitted::from(fields);
    forms::check_csrf(&ctx, forms::csrf_of(&form))?;
    let entity = state
        .app
        .administered_entity(&user, &code, Permission::ManageStaff)
        .await?;
    let request = NewStaff {
        username: form.text("username"),
        display_name: form.text("display_name"),
        email: form.text("email"),
        entity: code.clone(),
        department: form.text("department"),
        role: form.text("role"),
        password: form.text("password"),
    };
    match state.app.create_staff(&user, request).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/admin/entities/{code}/users?saved=1")).into_response()),
        Err(AppError::Invalid(invalid)) => {
            let errors = field_errors(&ctx, &invalid, invalid.field.clone());
            refused(&users_page(&state, ctx, user, entity, &form, &errors).await?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_user.html")]
pub struct UserPage {
    ctx: Ctx,
    user: StaffUser,
    section: &'static str,
    staff: StaffRow,
    /// The entity's code, for the way back to its list.
    entity: Option<String>,
    display_name: Input,
    email: Input,
    department: Choice,
    role: Choice,
    password: Input,
    active_error: Option<String>,
    is_self: bool,
    saved: bool,
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
    let text =
        |name: &str, label: &str, kind: &'static str| Input::new(&ctx, name, label, &form.text(name), kind, errors);
    Ok(UserPage {
        display_name: text("display_name", "admin-display-name", "text").required(),
        email: text("email", "admin-email", "email"),
        password: Input::new(&ctx, "password", "admin-new-password", "", "password", errors).required(),
        department: choice(
            "department",
            ctx.t("col-department"),
            department_options(&ctx, &departments, &form.text("department")),
            errors,
        ),
        role: choice(
            "role",
            ctx.t("admin-role"),
            role_options(&ctx, &form.text("role")),
            errors,
        ),
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
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
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
    invalid: &Invalid,
) -> WebResult {
    let staff = state.app.managed_staff(&user, username).await?;
    let departments = state.app.departments().await?;
    let stored = staff_form(&staff, &departments);
    let errors = field_errors(&ctx, invalid, invalid.field.clone());
    refused(&user_page(state, ctx, user, staff, form.unwrap_or(&stored), &errors).await?)
}

pub async fn change_user(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(username): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let form = Submitted::from(fields);
    forms::check_csrf(&ctx, forms::csrf_of(&form))?;
    let change = StaffChange {
        display_name: form.text("display_name"),
        email: form.text("email"),
        department: form.text("department"),
        role: form.text("role"),
    };
    match state.app.change_staff(&user, &username, change).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/admin/users/{username}?saved=1")).into_response()),
        Err(AppError::Invalid(invalid)) => user_refused(&state, ctx, user, &username, Some(&form), &invalid).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn set_user_active(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(username): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let form = Submitted::from(fields);
    forms::check_csrf(&ctx, forms::csrf_of(&form))?;
    let active = match form.get("active") {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(WebError::BadRequest("active is true or false".into())),
    };
    match state.app.set_staff_active(&user, &username, active).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/admin/users/{username}?saved=1")).into_response()),
        Err(AppError::Invalid(invalid)) => user_refused(&state, ctx, user, &username, None, &invalid).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn reset_password(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Path(username): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let form = Submitted::from(fields);
    forms::check_csrf(&ctx, forms::csrf_of(&form))?;
    match state
        .app
        .reset_staff_password(&user, &username, &form.text("password"))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/staff/admin/users/{username}?saved=1")).into_response()),
        Err(AppError::Invalid(invalid)) => user_refused(&state, ctx, user, &username, None, &invalid).await,
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Submitted {
        Submitted::from(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn blank_and_removed_rows_are_left_out_and_refusals_find_their_row() {
        let sent = form(&[
            ("time_zone", "Asia/Bahrain"),
            ("working_days", "sunday"),
            ("opens", "07:00"),
            ("closes", "14:00"),
            ("holidays[0].name", "Old"),
            ("holidays[0].from", "2026-01-01"),
            ("holidays[0].to", "2026-01-01"),
            ("holidays[0].remove", "1"),
            ("holidays[1].name", ""),
            ("holidays[2].name", "Eid"),
            ("holidays[2].from", "2026-03-20"),
            ("holidays[2].to", "2026-03-19"),
            ("escalation[0].percent", "٧٥"),
            ("escalation[0].notify", "assignee"),
            ("escalation[1].percent", ""),
        ]);
        let (request, parsed) = parse_policy(&sent).expect("parses");
        assert_eq!(request.calendar.holidays.len(), 1);
        assert_eq!(request.calendar.holidays[0].name, "Eid");
        assert_eq!(parsed.holiday_rows, vec![2]);
        let ladder = request.escalation.as_ref().expect("a ladder");
        assert_eq!(ladder.steps.len(), 1);
        assert_eq!(ladder.steps[0].percent, 75, "Arabic-Indic digits are numbers");
        assert_eq!(policy_field("calendar.holidays[0].to", &parsed), "holidays[2].to");
        assert_eq!(
            policy_field("escalation.steps[0].percent", &parsed),
            "escalation[0].percent"
        );
        assert_eq!(policy_field("calendar.working_days[1]", &parsed), "working_days");
        assert_eq!(policy_field("calendar.holidays", &parsed), "holidays");
        assert_eq!(policy_field("calendar.time_zone", &parsed), "time_zone");
    }

    #[test]
    fn blank_rows_sent_back_do_not_pile_up() {
        let sent = form(&[
            ("holidays[0].name", "Eid"),
            ("holidays[1].name", ""),
            ("holidays[2].name", " "),
            ("holidays[3].remove", "1"),
            ("holidays[999].name", "far"),
        ]);
        assert_eq!(row_count(&sent, "holidays"), 1, "rows past {MAX_ROWS} are ignored");
        assert_eq!(row_count(&sent, "overrides"), 0);
    }

    #[test]
    fn a_percent_that_is_not_a_number_is_refused_at_its_row() {
        let refused = parse_policy(&form(&[("escalation[3].percent", "half")])).expect_err("not a number");
        assert_eq!(refused.field, "escalation[3].percent");
    }
}
