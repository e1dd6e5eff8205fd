//! Administration of the workflow: entity policies (calendar, ladder), SLA targets, areas,
//! routing rules and OLAs. Each change is validated, audited, and takes effect on this node
//! at once (on the others within the configuration snapshot's lifetime).

use crate::error::{Failure, Outcome};
use crate::identity::authz::{Permission, StaffUser};
use crate::workflow::WorkflowResult;
use crate::App;
use serde::{Deserialize, Serialize};
use tawasul_domain::calendar::{BusinessCalendar, CalendarSpec};
use tawasul_domain::sla::EscalationLadder;
use tawasul_domain::text::normalise_for_search;
use tawasul_domain::vocab::{Language, Priority};
use tawasul_domain::Invalid;
use tawasul_routing::AreaShape;
use tawasul_store::{AreaInsert, AuditInsert, EntityRow, PolicyRow, RuleInsert, SlaTargetRow};
use utoipa::ToSchema;

/// Targets longer than a working year are typing mistakes.
const MAX_TARGET_MINUTES: i64 = 250 * 24 * 60;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    pub calendar: CalendarSpec,
    /// Defaults to 75 % → assignee, 100 % → supervisor, 150 % → director and satisfaction unit.
    #[serde(default)]
    pub escalation: Option<EscalationLadder>,
    /// Business days without a public update after which the reporter may say the report
    /// was ignored (1–60, default 5).
    #[serde(default)]
    pub ignored_after_days: Option<i64>,
    /// Department code of the beneficiary-satisfaction unit.
    #[serde(default)]
    pub satisfaction_department: Option<String>,
    /// The entity's administrators and supervisors sign in with a second factor (an
    /// authenticator app's code); those who have none set it up at their next sign-in.
    #[serde(default)]
    pub second_factor_required: bool,
    /// Calendar days a resolved case waits for its reporter's verdict (the survey link's
    /// life) before it closes by itself (1–60, default 7).
    #[serde(default)]
    pub survey_days: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaTargetRequest {
    pub entity: String,
    /// Omit for the entity's default for this priority.
    #[serde(default)]
    pub service: Option<String>,
    pub priority: Priority,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    pub entity: String,
    pub department: String,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub language: Option<Language>,
    /// Lower runs first.
    #[serde(default)]
    pub position: i64,
}

/// One cell of an entity's SLA grid (`service` `None`: the entity's default).
#[derive(Debug, Clone, PartialEq)]
pub struct SlaCell {
    pub service: Option<String>,
    pub priority: Priority,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    /// A row is set for exactly this cell; otherwise the values are inherited.
    pub set: bool,
}

const MICROS_PER_MINUTE: i64 = 60_000_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    /// How many rows the change wrote (areas imported, for an area import).
    pub count: usize,
    /// For an area import by the platform administrator: the imported features that share
    /// ground with another entity of the same level (an entity's own administrator is refused
    /// such an import).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overlaps: Vec<Overlap>,
}

impl Saved {
    pub(crate) fn one() -> Self {
        Saved {
            count: 1,
            overlaps: vec![],
        }
    }
}

/// An imported feature that shares ground with an area another entity of the same level
/// serves: where routing picks the smaller of the two, a neighbour could otherwise take over
/// cases by drawing tiny polygons over them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Overlap {
    /// The feature's position in the imported document (from 0).
    pub feature: usize,
    /// The other entity's code.
    pub entity: String,
}

pub(crate) fn minutes(value: i64, field: &str) -> Outcome<i64> {
    if (1..=MAX_TARGET_MINUTES).contains(&value) {
        Ok(value)
    } else {
        Err(Invalid::new(
            "out_of_range",
            field,
            format!("between 1 and {MAX_TARGET_MINUTES} business minutes"),
        )
        .into())
    }
}

/// The areas of a GeoJSON document as rows to store; a document that does not read is
/// refused naming its problem and where.
fn parse_areas(geojson: &str) -> Outcome<Vec<AreaShape>> {
    Ok(tawasul_routing::parse_areas(geojson).map_err(|e| Invalid {
        code: e.code(),
        field: e.field().to_owned(),
        message: e.to_string(),
    })?)
}

fn inserts(shapes: &[AreaShape]) -> Vec<AreaInsert> {
    shapes
        .iter()
        .map(|s| AreaInsert {
            name: s.name.clone(),
            geometry: tawasul_routing::geometry_json(&s.geometry),
        })
        .collect()
}

pub(crate) fn area_inserts(geojson: &str) -> Outcome<Vec<AreaInsert>> {
    Ok(inserts(&parse_areas(geojson)?))
}

impl App {
    pub(crate) async fn managed_entity(&self, user: &StaffUser, code: &str, field: &str) -> Outcome<EntityRow> {
        let entity = self
            .store
            .entity_by_code(code)
            .await?
            .ok_or_else(|| Invalid::new("unknown_entity", field, format!("no entity {code:?}")))?;
        user.require(Permission::ManageCatalogue, Some(entity.id))?;
        Ok(entity)
    }

    pub(crate) async fn service_id(&self, code: Option<&str>, entity_id: Option<i64>) -> WorkflowResult<Option<i64>> {
        let Some(code) = code else { return Ok(None) };
        let service = self
            .store
            .service_by_code(code)
            .await?
            .filter(|s| entity_id.is_none_or(|e| e == s.entity_id))
            .ok_or_else(|| Invalid::new("unknown_service", "service", format!("no service {code:?} here")))?;
        Ok(Some(service.id))
    }

    /// Records an administrative change (by `user`, or by the operator at the command line)
    /// and makes this node read the configuration again.
    pub(crate) async fn audited(
        &self,
        user: Option<&StaffUser>,
        action: &str,
        target: String,
        details: serde_json::Value,
    ) -> Outcome<()> {
        self.store
            .audit(AuditInsert {
                at: self.now_micros(),
                staff_id: user.map(|u| u.id),
                action: action.into(),
                target,
                details: details.to_string(),
            })
            .await?;
        self.workflow_changed().await;
        Ok(())
    }

    pub async fn set_policy(&self, user: &StaffUser, entity: &str, request: PolicyRequest) -> WorkflowResult<Saved> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        BusinessCalendar::from_spec(&request.calendar).map_err(|e| e.within("calendar"))?;
        let ladder = request.escalation.clone().unwrap_or_default();
        ladder.validate().map_err(|e| e.within("escalation"))?;
        let days = request
            .ignored_after_days
            .unwrap_or(crate::workflow::config::DEFAULT_IGNORED_AFTER_DAYS);
        if !(1..=60).contains(&days) {
            return Err(Invalid::new("out_of_range", "ignored_after_days", "between 1 and 60 business days").into());
        }
        let survey_days = request
            .survey_days
            .unwrap_or(crate::workflow::config::DEFAULT_SURVEY_DAYS);
        if !(1..=60).contains(&survey_days) {
            return Err(Invalid::new("out_of_range", "survey_days", "between 1 and 60 days").into());
        }
        let satisfaction = match &request.satisfaction_department {
            None => None,
            Some(code) => Some(
                self.store
                    .department_by_code(entity.id, code)
                    .await?
                    .ok_or_else(|| {
                        Invalid::new(
                            "unknown_department",
                            "satisfaction_department",
                            format!("no department {code:?}"),
                        )
                    })?
                    .id,
            ),
        };
        let calendar = serde_json::to_string(&request.calendar).map_err(anyhow::Error::from)?;
        self.store
            .upsert_policy(PolicyRow {
                entity_id: entity.id,
                calendar,
                escalation: serde_json::to_string(&ladder).map_err(anyhow::Error::from)?,
                ignored_after_days: days,
                satisfaction_department_id: satisfaction,
                updated_at: self.now_micros(),
                second_factor_required: request.second_factor_required,
                survey_days,
            })
            .await?;
        let details = serde_json::to_value(&request).unwrap_or_default();
        self.audited(Some(user), "set_policy", format!("entity:{}", entity.code), details)
            .await?;
        Ok(Saved::one())
    }

    /// The policy in force for an entity (the default where it has set none).
    pub async fn policy_of(&self, user: &StaffUser, entity: &str) -> WorkflowResult<PolicyRequest> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        let config = self.workflow().await?;
        let policy = config.policy(entity.id);
        Ok(PolicyRequest {
            calendar: policy.calendar.spec().clone(),
            escalation: Some(policy.ladder.clone()),
            ignored_after_days: Some(policy.ignored_after_days),
            satisfaction_department: config.department_code(policy.satisfaction_department_id),
            second_factor_required: policy.second_factor_required,
            survey_days: Some(policy.survey_days),
        })
    }

    pub async fn set_sla_target(&self, user: &StaffUser, request: SlaTargetRequest) -> WorkflowResult<Saved> {
        let entity = self.managed_entity(user, &request.entity, "entity").await?;
        // A target binds only the entity's own services.
        let service_id = self.service_id(request.service.as_deref(), Some(entity.id)).await?;
        let first = minutes(request.first_response_minutes, "first_response_minutes")?;
        let resolution = minutes(request.resolution_minutes, "resolution_minutes")?;
        if resolution < first {
            return Err(Invalid::new(
                "out_of_range",
                "resolution_minutes",
                "resolution cannot come before the first response",
            )
            .into());
        }
        self.store
            .upsert_sla_target(SlaTargetRow {
                entity_id: entity.id,
                service_id,
                priority: request.priority,
                first_response_minutes: first,
                resolution_minutes: resolution,
            })
            .await?;
        let details = serde_json::json!({
            "service": request.service, "priority": request.priority,
            "first_response_minutes": first, "resolution_minutes": resolution,
        });
        self.audited(Some(user), "set_sla_target", format!("entity:{}", entity.code), details)
            .await?;
        Ok(Saved::one())
    }

    /// An entity's SLA targets for its default and each of its services, at every priority:
    /// the row set there, or (`set` false) the target that applies in its place.
    pub async fn sla_grid(&self, user: &StaffUser, entity: &str) -> WorkflowResult<Vec<SlaCell>> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        let (rows, services, config) = tokio::try_join!(
            async { Ok::<_, Failure>(self.store.sla_targets().await?) },
            async { Ok::<_, Failure>(self.store.services().await?) },
            self.workflow(),
        )?;
        let services = services.into_iter().filter(|s| s.entity_id == entity.id);
        let mut cells = Vec::new();
        for (service_id, service) in std::iter::once((None, None)).chain(services.map(|s| (Some(s.id), Some(s.code)))) {
            for priority in Priority::ALL {
                let set = rows
                    .iter()
                    .any(|r| r.entity_id == entity.id && r.service_id == service_id && r.priority == *priority);
                // No service has id 0, so the entity's own row or the default answers for it.
                let targets = config.targets(entity.id, service_id.unwrap_or(0), *priority);
                cells.push(SlaCell {
                    service: service.clone(),
                    priority: *priority,
                    first_response_minutes: targets.first_response / MICROS_PER_MINUTE,
                    resolution_minutes: targets.resolution / MICROS_PER_MINUTE,
                    set,
                });
            }
        }
        Ok(cells)
    }

    /// Replaces the areas an entity serves with those in a GeoJSON document.
    pub async fn import_areas(&self, user: &StaffUser, entity: &str, geojson: &str) -> WorkflowResult<Saved> {
        let entity = self.managed_entity(user, entity, "entity").await?;
        self.replace_areas(Some(user), &entity, geojson).await
    }

    /// The same, by the operator at the command line (`tawasul area import`).
    pub async fn import_areas_as_operator(&self, entity: &str, geojson: &str) -> WorkflowResult<Saved> {
        let entity = self
            .store
            .entity_by_code(entity)
            .await?
            .ok_or_else(|| Invalid::new("unknown_entity", "entity", format!("no entity {entity:?}")))?;
        self.replace_areas(None, &entity, geojson).await
    }

    async fn replace_areas(
        &self,
        user: Option<&StaffUser>,
        entity: &EntityRow,
        geojson: &str,
    ) -> WorkflowResult<Saved> {
        let shapes = parse_areas(geojson)?;
        let overlaps = self.overlaps(entity, &shapes).await?;
        if !overlaps.is_empty() && user.is_some_and(|u| u.entity_id.is_some()) {
            let list = overlaps
                .iter()
                .map(|o| format!("features[{}] overlaps {}", o.feature, o.entity))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Failure::Forbidden(format!(
                "these areas share ground with another entity's ({list}); only the platform administrator may import them"
            ))
            .into());
        }
        let count = self
            .store
            .replace_areas(entity.id, inserts(&shapes), self.now_micros())
            .await?;
        self.audited(
            user,
            "import_areas",
            format!("entity:{}", entity.code),
            serde_json::json!({ "areas": count, "overlaps": overlaps }),
        )
        .await?;
        Ok(Saved { count, overlaps })
    }

    /// Which of `shapes` share ground with the areas of other entities of `entity`'s level,
    /// read from the store (not this node's snapshot, which may be older).
    async fn overlaps(&self, entity: &EntityRow, shapes: &[AreaShape]) -> Outcome<Vec<Overlap>> {
        let config = self.load_workflow().await?;
        let others = config.areas_for(entity.id);
        let mut overlaps = Vec::new();
        for (feature, shape) in shapes.iter().enumerate() {
            let mut entities: Vec<i64> = others
                .overlapping(&shape.geometry)
                .iter()
                .map(|a| a.entity_id)
                .filter(|id| *id != entity.id)
                .collect();
            entities.sort_unstable();
            entities.dedup();
            overlaps.extend(entities.into_iter().map(|id| Overlap {
                feature,
                entity: config.entity_code(id),
            }));
        }
        Ok(overlaps)
    }

    pub async fn add_rule(&self, user: &StaffUser, request: RuleRequest) -> WorkflowResult<Saved> {
        let entity = self.managed_entity(user, &request.entity, "entity").await?;
        let department = self
            .store
            .department_by_code(entity.id, &request.department)
            .await?
            .ok_or_else(|| Invalid::new("unknown_department", "department", "no such department in the entity"))?;
        if let Some(code) = &request.service {
            self.service_id(Some(code), None).await?;
        }
        if request.keywords.len() > 50 {
            return Err(Invalid::new("too_many", "keywords", "at most 50 keywords").into());
        }
        let mut keywords = Vec::with_capacity(request.keywords.len());
        for (i, k) in request.keywords.iter().enumerate() {
            let folded = normalise_for_search(k);
            if folded.is_empty() || k.chars().count() > 100 {
                return Err(
                    Invalid::new("invalid_keyword", format!("keywords[{i}]"), "1–100 letters or digits").into(),
                );
            }
            keywords.push(folded);
        }
        if request.service.is_none() && keywords.is_empty() && request.language.is_none() {
            return Err(Invalid::new("required", "service", "a rule needs a service, keywords or a language").into());
        }
        self.store
            .insert_rule(RuleInsert {
                entity_id: entity.id,
                department_id: department.id,
                service_code: request.service.clone(),
                keywords: serde_json::to_string(&keywords).map_err(anyhow::Error::from)?,
                language: request.language,
                position: request.position,
            })
            .await?;
        let details =
            serde_json::json!({ "department": department.code, "service": request.service, "keywords": keywords });
        self.audited(
            Some(user),
            "add_routing_rule",
            format!("entity:{}", entity.code),
            details,
        )
        .await?;
        Ok(Saved::one())
    }
}
