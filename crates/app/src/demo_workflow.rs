//! The demo's workflow: Bahraini business calendars with the 2026–2027 holidays and Ramadan
//! hours, SLA targets, the areas the two entities serve, a routing rule, an OLA between
//! them, staff e-mail addresses, and SLA clocks for the seeded cases replayed from their
//! timelines.

use crate::workflow::{clock_of, default_calendar, stored};
use crate::{App, AppResult};
use tawasul_domain::calendar::{CalendarSpec, HolidaySpec, HoursOverrideSpec};
use tawasul_domain::sla::SlaClock;
use tawasul_domain::vocab::{Priority, Status};
use tawasul_store::{AreaInsert, CaseFilter, OlaRow, PolicyRow, RuleInsert, SlaTargetRow};

/// Public holidays of Bahrain (the lunar ones as announced or expected).
const HOLIDAYS: &[(&str, &str, &str)] = &[
    ("عيد الفطر ١٤٤٧ / Eid al-Fitr 1447", "2026-03-20", "2026-03-22"),
    ("يوم العمال / Labour Day", "2026-05-01", "2026-05-01"),
    ("عيد الأضحى ١٤٤٧ / Eid al-Adha 1447", "2026-05-26", "2026-05-29"),
    ("رأس السنة الهجرية / Islamic New Year", "2026-06-16", "2026-06-16"),
    ("عاشوراء / Ashura", "2026-06-24", "2026-06-25"),
    ("المولد النبوي / the Prophet's Birthday", "2026-08-25", "2026-08-25"),
    ("العيد الوطني / National Day", "2026-12-16", "2026-12-17"),
    ("رأس السنة / New Year", "2027-01-01", "2027-01-01"),
    ("عيد الفطر ١٤٤٨ / Eid al-Fitr 1448", "2027-03-10", "2027-03-12"),
    ("عيد الأضحى ١٤٤٨ / Eid al-Adha 1448", "2027-05-16", "2027-05-19"),
];

/// Shorter working hours in Ramadan.
const RAMADAN: &[(&str, &str, &str)] = &[
    ("رمضان ١٤٤٧ / Ramadan 1447", "2026-02-18", "2026-03-19"),
    ("رمضان ١٤٤٨ / Ramadan 1448", "2027-02-08", "2027-03-09"),
];

pub fn demo_calendar() -> CalendarSpec {
    CalendarSpec {
        holidays: HOLIDAYS
            .iter()
            .map(|(name, from, to)| HolidaySpec {
                name: (*name).into(),
                from: (*from).into(),
                to: (*to).into(),
            })
            .collect(),
        overrides: RAMADAN
            .iter()
            .map(|(name, from, to)| HoursOverrideSpec {
                name: (*name).into(),
                from: (*from).into(),
                to: (*to).into(),
                opens: "09:00".into(),
                closes: "14:00".into(),
            })
            .collect(),
        ..default_calendar()
    }
}

/// The Capital Governorate, roughly, with Manama's municipal area (below) inside it.
const CAPITAL: &str = r#"{"type":"Feature","properties":{"name":"محافظة العاصمة"},"geometry":{"type":"Polygon","coordinates":[[[50.53,26.15],[50.66,26.15],[50.66,26.26],[50.53,26.26],[50.53,26.15]]]}}"#;
const MANAMA: &str = r#"{"type":"Feature","properties":{"name":"بلدية المنامة"},"geometry":{"type":"Polygon","coordinates":[[[50.555,26.195],[50.615,26.195],[50.615,26.245],[50.555,26.245],[50.555,26.195]]]}}"#;

impl App {
    pub(crate) async fn seed_demo_workflow(&self) -> AppResult<()> {
        let s = &self.store;
        let calendar = serde_json::to_string(&demo_calendar()).map_err(anyhow::Error::from)?;
        let ladder =
            serde_json::to_string(&tawasul_domain::sla::EscalationLadder::default()).map_err(anyhow::Error::from)?;
        let now = self.now_micros();
        let mut ids = vec![];
        for (code, area) in [("cap", CAPITAL), ("mun", MANAMA)] {
            let Some(entity) = s.entity_by_code(code).await? else {
                continue;
            };
            ids.push((code, entity.id));
            let satisfaction = s.department_by_code(entity.id, "satisfaction").await?.map(|d| d.id);
            s.upsert_policy(PolicyRow {
                entity_id: entity.id,
                calendar: calendar.clone(),
                escalation: ladder.clone(),
                ignored_after_days: 5,
                satisfaction_department_id: satisfaction,
                updated_at: now,
            })
            .await?;
            // Urgent reports are answered within the hour and settled within a working day.
            s.upsert_sla_target(SlaTargetRow {
                entity_id: entity.id,
                service_id: None,
                priority: Priority::Urgent,
                first_response_minutes: 60,
                resolution_minutes: 7 * 60,
            })
            .await?;
            let shapes = tawasul_routing::parse_areas(area).map_err(|e| anyhow::anyhow!("demo area: {e}"))?;
            let areas = shapes
                .iter()
                .map(|a| AreaInsert {
                    name: a.name.clone(),
                    geometry: tawasul_routing::geometry_json(&a.geometry),
                })
                .collect();
            s.replace_areas(entity.id, areas, now).await?;
        }
        if let [(_, cap), (_, mun)] = ids[..] {
            for (from, to) in [(cap, mun), (mun, cap)] {
                s.upsert_ola(OlaRow {
                    from_entity_id: from,
                    to_entity_id: to,
                    service_id: None,
                    accept_minutes: 4 * 60,
                    resolve_minutes: 5 * 7 * 60,
                })
                .await?;
            }
            // Sewage overflow reported under "water" is the municipality's cleaning work
            // when it is in its own area; here a keyword rule sends it to the governorate's
            // public-order department for the joint response.
            if let Some(department) = s.department_by_code(cap, "public-order").await? {
                s.insert_rule(RuleInsert {
                    entity_id: cap,
                    department_id: department.id,
                    service_code: None,
                    keywords: serde_json::to_string(&["مجاري", "sewage"]).map_err(anyhow::Error::from)?,
                    language: None,
                    position: 10,
                })
                .await?;
            }
        }
        for login in crate::demo::demo_logins() {
            let email = format!("{}@demo.tawasul.example", login.username);
            self.set_staff_email(&login.username, Some(&email)).await?;
        }
        self.workflow_changed().await;
        Ok(())
    }

    /// Gives the seeded cases the SLA clocks their timelines imply: started at intake,
    /// answered by the first staff action, paused while waiting on the reporter, stopped
    /// once resolved, closed or rejected, restarted on reopening.
    pub(crate) async fn replay_demo_clocks(&self) -> AppResult<()> {
        let config = self.workflow().await?;
        let cases = self
            .store
            .list_cases(CaseFilter {
                limit: 100_000,
                ..CaseFilter::default()
            })
            .await?;
        for case in cases {
            let terms = config.terms(case.entity_id, case.service_id, case.priority);
            let mut clock = SlaClock::start(case.created_at, &terms);
            for event in self
                .store
                .events(case.id)
                .await?
                .iter()
                .filter(|e| e.actor_type == "staff")
            {
                match (event.from_status, event.to_status) {
                    (_, Some(Status::Assigned)) if event.action == "reopen" => clock.reopen(event.at, &terms),
                    (Some(Status::WaitingOnReporter), _) => clock.resume(event.at, &terms),
                    _ => clock.respond(event.at, &terms),
                }
                match event.to_status {
                    Some(Status::WaitingOnReporter) => clock.pause(event.at),
                    Some(Status::Resolved | Status::Closed | Status::Rejected | Status::Merged) => clock.stop(),
                    _ => {}
                }
            }
            let level = clock_of(&case.sla).level;
            self.store.set_sla(case.id, level, stored(&clock)).await?;
        }
        Ok(())
    }
}
