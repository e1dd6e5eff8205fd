//! An entity's calendar and policy: working days and hours, holidays, hour overrides, the
//! escalation ladder, when an ignored case may be complained about, and who runs the
//! satisfaction survey. Lists are rows of inputs (`holidays[2].from`) with blank rows to add.

use super::field_errors;
use crate::context::Ctx;
use crate::error::WebResult;
use crate::forms::{self, Submitted};
use crate::kit::{options, Admin, Checkbox, EntityAdmin, EntityAdminForm, Input, ManageCatalogue, Named, Select};
use crate::pages::{redirect, refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::Path;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::rows::EntityRow;
use tawasul_app::workflow::admin::PolicyRequest;
use tawasul_app::{Failure, WorkflowError};
use tawasul_domain::calendar::{CalendarSpec, HolidaySpec, HoursOverrideSpec};
use tawasul_domain::sla::{EscalationLadder, EscalationStep, Notify};
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

#[derive(Template)]
#[template(path = "admin/calendar.html")]
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
    survey_days: Input,
    second_factor: Checkbox,
    satisfaction_department: Select,
    holidays: Vec<Row>,
    holidays_error: Option<String>,
    overrides: Vec<Row>,
    overrides_error: Option<String>,
    steps: Vec<StepRow>,
    steps_error: Option<String>,
    saved: bool,
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
        (
            "survey_days".into(),
            policy.survey_days.map(|d| d.to_string()).unwrap_or_default(),
        ),
    ];
    if policy.second_factor_required {
        f.push(("second_factor_required".into(), "on".into()));
    }
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
    let survey = form.text("survey_days");
    let survey_days = match survey.trim() {
        "" => None,
        raw => Some(
            forms::parse_number(raw)
                .filter(|d| d.fract() == 0.0 && d.abs() < 1e9)
                .ok_or_else(|| Invalid::new("invalid_type", "survey_days", "a whole number of days"))?
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
        second_factor_required: form.text("second_factor_required") == "on",
        survey_days,
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
            Checkbox::new(
                "working_days",
                d,
                t.word("weekday", d),
                chosen_days.iter().any(|c| c == d),
            )
        })
        .collect();
    let remove = |list: &str, i: usize| {
        let name = format!("{list}[{i}].remove");
        Checkbox::new(&name, "1", t.t("admin-remove"), form.get(&name).is_some())
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
                        Checkbox::new(
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
            .map(|d| (d.code.clone(), d.name_in(t.lang()).to_owned())),
    );
    Ok(CalendarPage {
        time_zone: field("time_zone".into(), "admin-time-zone", "text").required(),
        working_days,
        working_days_error: errors.get("working_days").cloned(),
        opens: field("opens".into(), "admin-opens", "time").required(),
        closes: field("closes".into(), "admin-closes", "time").required(),
        ignored_after_days: field("ignored_after_days".into(), "admin-ignored-after-days", "number"),
        survey_days: field("survey_days".into(), "admin-survey-days", "number"),
        second_factor: Checkbox::new(
            "second_factor_required",
            "on",
            t.t("calendar-second-factor"),
            form.text("second_factor_required") == "on",
        ),
        satisfaction_department: Select::new(
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
        title: entity.name_in(t.lang()).to_owned(),
        saved: false,
        section: "calendar",
        entity,
        user,
        ctx,
    })
}

pub async fn calendar(
    Path(code): Path<String>,
    EntityAdmin(Admin { state, ctx, user }, entity, saved, _): EntityAdmin<ManageCatalogue>,
) -> WebResult {
    let policy = state.app.policy_of(&user, &code).await?;
    let mut page = calendar_page(&state, ctx, user, entity, &policy_form(&policy), &FieldErrors::new()).await?;
    page.saved = saved;
    render(&page)
}

pub async fn set_calendar(
    Path(code): Path<String>,
    EntityAdminForm(Admin { state, ctx, user }, entity, form, _): EntityAdminForm<ManageCatalogue, Submitted>,
) -> WebResult {
    let (invalid, field) = match parse_policy(&form) {
        Err(invalid) => {
            let field = invalid.field.clone();
            (invalid, field)
        }
        Ok((request, rows)) => match state.app.set_policy(&user, &code, request).await {
            Ok(_) => return redirect(&format!("/staff/admin/entities/{code}/calendar?saved=1")),
            Err(WorkflowError::Common(Failure::Invalid(invalid))) => {
                let field = policy_field(&invalid.field, &rows);
                (invalid, field)
            }
            Err(e) => return Err(e.into()),
        },
    };
    let errors = field_errors(&ctx, &invalid, field);
    refused(&calendar_page(&state, ctx, user, entity, &form, &errors).await?)
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
