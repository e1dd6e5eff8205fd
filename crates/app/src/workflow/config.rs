//! The workflow configuration every case is judged by: each entity's calendar, escalation
//! ladder and SLA targets, the OLAs between entities, the areas they serve and the routing
//! rules. Read from the store into one immutable snapshot that intake and the sweep share;
//! a node reloads it after its own changes at once and after others' within `CONFIG_TTL`.

use crate::error::Outcome;
use crate::App;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tawasul_domain::calendar::{business_minutes, BusinessCalendar, CalendarSpec};
use tawasul_domain::sla::{EscalationLadder, SlaClock, SlaTerms, Targets};
use tawasul_domain::vocab::Priority;
use tawasul_domain::Micros;
use tawasul_routing::{Area, AreaIndex, Rule};
use tawasul_store::{CaseSla, DepartmentRow, EntityRow};
use tokio::sync::RwLock;

/// How stale another node's configuration change may be here.
const CONFIG_TTL: Duration = Duration::from_secs(30);

/// The calendar of an entity that has not set one: the Gulf working week.
pub fn default_calendar() -> CalendarSpec {
    CalendarSpec {
        time_zone: "Asia/Bahrain".into(),
        working_days: ["sunday", "monday", "tuesday", "wednesday", "thursday"]
            .map(String::from)
            .to_vec(),
        opens: "07:00".into(),
        closes: "14:00".into(),
        holidays: vec![],
        overrides: vec![],
    }
}

/// Business days without a public update after which a reporter may say they were ignored,
/// where the entity has not said otherwise.
pub const DEFAULT_IGNORED_AFTER_DAYS: i64 = 5;
/// Days a resolved case waits for its reporter's verdict when its entity set none.
pub const DEFAULT_SURVEY_DAYS: i64 = 7;

/// Targets (first response, resolution) in business minutes where no row applies, so that
/// every case is held to a clock: an hour and a day for urgent cases, up to two and ten
/// working days for low ones (a working day counts as 7 hours).
fn default_targets(priority: Priority) -> Targets {
    let day = 7 * 60;
    let (first, resolution) = match priority {
        Priority::Urgent => (60, day),
        Priority::High => (4 * 60, 3 * day),
        Priority::Normal => (day, 5 * day),
        Priority::Low => (2 * day, 10 * day),
    };
    Targets {
        first_response: business_minutes(first),
        resolution: business_minutes(resolution),
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub calendar: BusinessCalendar,
    pub ladder: EscalationLadder,
    pub ignored_after_days: i64,
    pub satisfaction_department_id: Option<i64>,
    pub second_factor_required: bool,
    /// Days a resolved case waits for its reporter's verdict before it closes by itself.
    pub survey_days: i64,
}

/// One snapshot of the workflow configuration.
pub struct WorkflowConfig {
    pub entities: HashMap<i64, EntityRow>,
    pub departments: HashMap<i64, DepartmentRow>,
    policies: HashMap<i64, Policy>,
    default_policy: Policy,
    targets: HashMap<(i64, Option<i64>, Priority), Targets>,
    olas: HashMap<(i64, i64, Option<i64>), Targets>,
    /// The areas of each kind of entity (governorate, municipality, …): every level of
    /// government covers the map once, so a location chooses among entities of the level of
    /// the service's owner, never moves a municipal service to a governorate.
    areas: HashMap<String, AreaIndex>,
    no_areas: AreaIndex,
    pub rules: Vec<Rule>,
}

impl WorkflowConfig {
    pub fn policy(&self, entity_id: i64) -> &Policy {
        self.policies.get(&entity_id).unwrap_or(&self.default_policy)
    }

    /// The calendar whose days an entity's reports count in; the installation's default for
    /// none (every entity at once).
    pub fn calendar_of(&self, entity_id: Option<i64>) -> &BusinessCalendar {
        &entity_id.map_or(&self.default_policy, |id| self.policy(id)).calendar
    }

    /// What residents are told to expect of a service × priority: its targets in business
    /// minutes, and the entity's working day to say them in days.
    pub fn expected(&self, entity_id: i64, service_id: i64, priority: Priority) -> crate::cases::views::ExpectedTimes {
        let targets = self.targets(entity_id, service_id, priority);
        let minutes = |micros: Micros| micros / 60_000_000;
        crate::cases::views::ExpectedTimes {
            response_minutes: minutes(targets.first_response),
            resolution_minutes: minutes(targets.resolution),
            working_day_minutes: minutes(working_day(&self.policy(entity_id).calendar)),
        }
    }

    /// SLA targets of a service × priority in an entity: the service's row, else the
    /// entity's row for the priority, else the defaults.
    pub fn targets(&self, entity_id: i64, service_id: i64, priority: Priority) -> Targets {
        let key = |service| (entity_id, service, priority);
        self.targets
            .get(&key(Some(service_id)))
            .or_else(|| self.targets.get(&key(None)))
            .copied()
            .unwrap_or_else(|| default_targets(priority))
    }

    pub fn terms(&self, entity_id: i64, service_id: i64, priority: Priority) -> SlaTerms<'_> {
        let policy = self.policy(entity_id);
        SlaTerms {
            calendar: &policy.calendar,
            targets: Some(self.targets(entity_id, service_id, priority)),
            ladder: &policy.ladder,
        }
    }

    /// The terms of a case transferred between entities: the OLA of the pair (for the
    /// service, else for any service), on the receiver's calendar; without an OLA, the
    /// receiver's own SLA targets.
    pub fn ola_terms(&self, from: i64, to: i64, service_id: i64, priority: Priority) -> (SlaTerms<'_>, bool) {
        let ola = self
            .olas
            .get(&(from, to, Some(service_id)))
            .or_else(|| self.olas.get(&(from, to, None)))
            .copied();
        let mut terms = self.terms(to, service_id, priority);
        if ola.is_some() {
            terms.targets = ola;
        }
        (terms, ola.is_some())
    }

    /// The areas a case of a service owned by `owner` may be located in.
    pub fn areas_for(&self, owner: i64) -> &AreaIndex {
        self.entities
            .get(&owner)
            .and_then(|e| self.areas.get(&e.entity_type))
            .unwrap_or(&self.no_areas)
    }

    pub fn entity_code(&self, id: i64) -> String {
        self.entities.get(&id).map(|e| e.code.clone()).unwrap_or_default()
    }

    pub fn department_code(&self, id: Option<i64>) -> Option<String> {
        id.and_then(|id| self.departments.get(&id)).map(|d| d.code.clone())
    }
}

/// The snapshot shared by every request of this node.
#[derive(Default)]
pub struct WorkflowCache {
    current: RwLock<Option<(Instant, Arc<WorkflowConfig>)>>,
}

impl App {
    /// The workflow configuration, reloaded when older than `CONFIG_TTL`.
    pub async fn workflow(&self) -> Outcome<Arc<WorkflowConfig>> {
        if let Some((at, config)) = &*self.workflow.current.read().await {
            if at.elapsed() < CONFIG_TTL {
                return Ok(config.clone());
            }
        }
        let mut slot = self.workflow.current.write().await;
        if let Some((at, config)) = &*slot {
            if at.elapsed() < CONFIG_TTL {
                return Ok(config.clone());
            }
        }
        let config = Arc::new(self.load_workflow().await?);
        *slot = Some((Instant::now(), config.clone()));
        Ok(config)
    }

    /// Forgets the snapshot after a configuration change on this node.
    pub async fn workflow_changed(&self) {
        *self.workflow.current.write().await = None;
    }

    pub(crate) async fn load_workflow(&self) -> Outcome<WorkflowConfig> {
        let s = &self.store;
        let (entities, departments, policies, targets, olas, areas, rules) = tokio::try_join!(
            s.entities(),
            s.departments(),
            s.policies(),
            s.sla_targets(),
            s.olas(),
            s.areas(),
            s.rules()
        )?;
        let default_policy = Policy {
            calendar: BusinessCalendar::from_spec(&default_calendar()).map_err(anyhow::Error::from)?,
            ladder: EscalationLadder::default(),
            ignored_after_days: DEFAULT_IGNORED_AFTER_DAYS,
            satisfaction_department_id: None,
            second_factor_required: false,
            survey_days: DEFAULT_SURVEY_DAYS,
        };
        let mut by_entity = HashMap::new();
        for row in policies {
            // Rows are validated when written; one that no longer parses (an edited database)
            // falls back to the default rather than stopping intake.
            let calendar = serde_json::from_str::<CalendarSpec>(&row.calendar)
                .ok()
                .and_then(|spec| BusinessCalendar::from_spec(&spec).ok());
            let ladder = serde_json::from_str::<EscalationLadder>(&row.escalation).ok();
            if calendar.is_none() || ladder.is_none() {
                tracing::warn!(entity = row.entity_id, "unreadable workflow policy; using the default");
            }
            by_entity.insert(
                row.entity_id,
                Policy {
                    calendar: calendar.unwrap_or_else(|| default_policy.calendar.clone()),
                    ladder: ladder.unwrap_or_default(),
                    ignored_after_days: row.ignored_after_days,
                    satisfaction_department_id: row.satisfaction_department_id,
                    second_factor_required: row.second_factor_required,
                    survey_days: row.survey_days,
                },
            );
        }
        let minutes = |first: i64, resolution: i64| Targets {
            first_response: business_minutes(first),
            resolution: business_minutes(resolution),
        };
        let kind_of: HashMap<i64, String> = entities.iter().map(|e| (e.id, e.entity_type.clone())).collect();
        let mut by_kind: HashMap<String, Vec<Area>> = HashMap::new();
        for row in areas {
            match tawasul_routing::parse_areas(&row.geometry) {
                Ok(shapes) => by_kind
                    .entry(kind_of.get(&row.entity_id).cloned().unwrap_or_default())
                    .or_default()
                    .extend(shapes.into_iter().map(|shape| Area {
                        id: row.id,
                        entity_id: row.entity_id,
                        geometry: shape.geometry,
                    })),
                Err(e) => tracing::warn!(area = row.id, error = %e, "unreadable stored area skipped"),
            }
        }
        Ok(WorkflowConfig {
            entities: entities.into_iter().map(|e| (e.id, e)).collect(),
            departments: departments.into_iter().map(|d| (d.id, d)).collect(),
            policies: by_entity,
            default_policy,
            targets: targets
                .into_iter()
                .map(|t| {
                    (
                        (t.entity_id, t.service_id, t.priority),
                        minutes(t.first_response_minutes, t.resolution_minutes),
                    )
                })
                .collect(),
            olas: olas
                .into_iter()
                .map(|o| {
                    (
                        (o.from_entity_id, o.to_entity_id, o.service_id),
                        minutes(o.accept_minutes, o.resolve_minutes),
                    )
                })
                .collect(),
            areas: by_kind
                .into_iter()
                .map(|(kind, areas)| (kind, AreaIndex::build(areas)))
                .collect(),
            no_areas: AreaIndex::build(vec![]),
            rules: rules
                .into_iter()
                .map(|r| Rule {
                    id: r.id,
                    entity_id: r.entity_id,
                    department_id: r.department_id,
                    service: r.service_code,
                    keywords: serde_json::from_str(&r.keywords).unwrap_or_default(),
                    language: r.language,
                    position: i32::try_from(r.position).unwrap_or(i32::MAX),
                })
                .collect(),
        })
    }
}

pub fn clock_of(sla: &CaseSla) -> SlaClock {
    SlaClock {
        targets: sla
            .sla_response_target
            .zip(sla.sla_resolution_target)
            .map(|(first_response, resolution)| Targets {
                first_response,
                resolution,
            }),
        started_at: sla.sla_started_at,
        paused_at: sla.sla_paused_at,
        paused: sla.sla_paused_micros,
        first_response_due: sla.first_response_due,
        first_responded_at: sla.first_responded_at,
        resolution_due: sla.resolution_due,
        level: sla.escalation_level,
        next_escalation_at: sla.next_escalation_at,
    }
}

pub fn stored(clock: &SlaClock) -> CaseSla {
    CaseSla {
        sla_response_target: clock.targets.map(|t| t.first_response),
        sla_resolution_target: clock.targets.map(|t| t.resolution),
        sla_started_at: clock.started_at,
        sla_paused_at: clock.paused_at,
        sla_paused_micros: clock.paused,
        first_response_due: clock.first_response_due,
        first_responded_at: clock.first_responded_at,
        resolution_due: clock.resolution_due,
        escalation_level: clock.level,
        next_escalation_at: clock.next_escalation_at,
    }
}

/// The length of an entity's normal working day, for "N business days".
pub fn working_day(calendar: &BusinessCalendar) -> Micros {
    let spec = calendar.spec();
    let minutes = |hhmm: &str| {
        hhmm.split_once(':')
            .and_then(|(h, m)| Some(h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?))
            .unwrap_or(0)
    };
    business_minutes((minutes(&spec.closes) - minutes(&spec.opens)).max(1))
}
