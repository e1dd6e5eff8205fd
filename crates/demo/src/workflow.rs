//! The demo's workflow: Bahraini business calendars with the 2026–2027 holidays and Ramadan
//! hours, SLA targets, the areas the two entities serve, a routing rule, an OLA between
//! them, and staff e-mail addresses.

use crate::data::DemoData;
use crate::DemoLogin;
use anyhow::Result;
use tawasul_app::workflow::config::default_calendar;
use tawasul_app::App;
use tawasul_domain::calendar::CalendarSpec;
use tawasul_domain::sla::EscalationLadder;
use tawasul_store::{OlaRow, PolicyRow, RuleInsert, SlaTargetRow};

/// Cases nobody has answered for this many days may be reported as ignored.
const IGNORED_AFTER_DAYS: i64 = 5;
/// A working day of the demo calendar, in minutes.
const WORKING_DAY: i64 = 7 * 60;

pub fn demo_calendar(data: &DemoData) -> CalendarSpec {
    CalendarSpec {
        holidays: data.calendar.holidays.clone(),
        overrides: data.calendar.overrides.clone(),
        ..default_calendar()
    }
}

pub async fn seed_workflow(app: &App, data: &DemoData, logins: &[DemoLogin]) -> Result<()> {
    let operator = app.operator();
    let calendar = serde_json::to_string(&demo_calendar(data))?;
    let ladder = serde_json::to_string(&EscalationLadder::default())?;
    let now = app.now_micros();
    let mut ids = vec![];
    for area in &data.routing.areas {
        let Some(entity_id) = operator.entity_id(&area.entity).await? else {
            continue;
        };
        ids.push((area.entity.as_str(), entity_id));
        let satisfaction = operator.department_id(entity_id, "satisfaction").await?;
        operator
            .set_policy(PolicyRow {
                entity_id,
                calendar: calendar.clone(),
                escalation: ladder.clone(),
                ignored_after_days: IGNORED_AFTER_DAYS,
                satisfaction_department_id: satisfaction,
                updated_at: now,
                // Off in the demo: its logins are shown on the console to anyone trying it.
                second_factor_required: false,
                survey_days: tawasul_app::workflow::config::DEFAULT_SURVEY_DAYS,
            })
            .await?;
        // Urgent reports are answered within the hour and settled within a working day.
        operator
            .set_sla_target(SlaTargetRow {
                entity_id,
                service_id: None,
                priority: tawasul_domain::vocab::Priority::Urgent,
                first_response_minutes: 60,
                resolution_minutes: WORKING_DAY,
            })
            .await?;
        operator.replace_areas(entity_id, &area.area.to_string()).await?;
    }
    // Each entity accepts the other's transfers within four hours and settles them within
    // five working days.
    for &(_, from) in &ids {
        for &(_, to) in ids.iter().filter(|(_, to)| *to != from) {
            operator
                .set_ola(OlaRow {
                    from_entity_id: from,
                    to_entity_id: to,
                    service_id: None,
                    accept_minutes: 4 * 60,
                    resolve_minutes: 5 * WORKING_DAY,
                })
                .await?;
        }
    }
    for rule in &data.routing.rules {
        let Some(&(_, entity_id)) = ids.iter().find(|(code, _)| *code == rule.entity) else {
            continue;
        };
        if let Some(department_id) = operator.department_id(entity_id, &rule.department).await? {
            operator
                .add_rule(RuleInsert {
                    entity_id,
                    department_id,
                    service_code: None,
                    keywords: serde_json::to_string(&rule.keywords)?,
                    language: None,
                    position: rule.position,
                })
                .await?;
        }
    }
    for login in logins {
        let email = format!("{}@demo.tawasul.example", login.username);
        app.set_staff_email(&login.username, Some(&email)).await?;
    }
    app.workflow_changed().await;
    Ok(())
}
