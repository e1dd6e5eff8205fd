//! Escalation: the SLA sweep that takes ladder steps as cases cross their thresholds, and
//! the reporter's "my report was ignored", which opens a linked escalation case.

use crate::cases::views::{IgnoredEligibility, Receipt};
use crate::error::Outcome;
use crate::identity::auth::{new_secret, Caller};
use crate::workflow::config::{clock_of, stored, working_day, WorkflowConfig};
use crate::workflow::{WorkflowError, WorkflowResult};
use crate::App;
use serde::Deserialize;
use tawasul_domain::sla::Notify;
use tawasul_domain::text::CaseText;
use tawasul_domain::vocab::{Kind, OutboundChannel, Priority, Role, Status};
use tawasul_domain::{from_micros, secret_digest, Micros};
use tawasul_store::{CaseChange, CaseInsert, CaseRow, EventInsert, OutboxInsert, StoreError};
use utoipa::ToSchema;

/// Cases one sweep run looks at before it hands the rest to the next run.
const SWEEP_BATCH: i64 = 500;
const MAX_COMPLAINT: usize = 5_000;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Cases whose next step was due.
    pub due: usize,
    /// Ladder steps taken (one case may take several after downtime).
    pub steps: usize,
    /// More due cases remain for the next run.
    pub more: bool,
    /// Resolved cases closed because their reporter did not answer the survey in time.
    pub closed: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IgnoredRequest {
    /// What the reporter wants the beneficiary-satisfaction unit to know.
    pub description: String,
}

impl App {
    /// Takes every ladder step that is due now on up to `SWEEP_BATCH` cases. Each step is
    /// written with the case's escalation level as it was read, so a step is taken once
    /// even if two sweeps meet on a case. Then closes the resolved cases whose survey went
    /// unanswered (`App::close_unanswered`).
    pub async fn sla_sweep(&self) -> WorkflowResult<SweepReport> {
        let now = self.now_micros();
        let config = self.workflow().await?;
        let due = self.store.due_escalations(now, SWEEP_BATCH).await?;
        let mut report = SweepReport {
            due: due.len(),
            more: due.len() as i64 == SWEEP_BATCH,
            ..SweepReport::default()
        };
        for case in due {
            match self.escalate(&case, &config, now).await {
                Ok(steps) => report.steps += steps,
                Err(WorkflowError::Conflict(_)) => {} // changed meanwhile; the next sweep sees it anew
                Err(e) => return Err(e),
            }
        }
        report.closed = self.close_unanswered().await?;
        Ok(report)
    }

    async fn escalate(&self, case: &CaseRow, config: &WorkflowConfig, now: Micros) -> WorkflowResult<usize> {
        let terms = config.terms(case.entity_id, case.service_id, case.priority);
        let mut clock = clock_of(&case.sla);
        let steps = clock.due_steps(now, &terms);
        let phase = clock.phase();
        let Some(&last) = steps.last() else {
            // The configuration changed since the step was planned: plan again.
            clock.recompute(&terms);
            self.store
                .set_sla(case.id, case.sla.escalation_level, stored(&clock))
                .await?;
            return Ok(0);
        };
        clock.escalated_to(last as i64 + 1, &terms);
        let due_at = match phase {
            "first_response" => case.sla.first_response_due,
            _ => case.sla.resolution_due,
        };
        let mut events = Vec::new();
        let mut notifications = Vec::new();
        for &i in &steps {
            let step = &terms.ladder.steps[i];
            let level = i as i64 + 1;
            let tells_reporter = step.notify.contains(&Notify::Reporter);
            events.push(EventInsert {
                case_id: case.id,
                at: now,
                actor_type: "system".into(),
                actor_name: "sla".into(),
                action: "escalated".into(),
                public: tells_reporter,
                details: serde_json::json!({
                    "level": level,
                    "percent": step.percent,
                    "phase": phase,
                    "notify": step.notify,
                })
                .to_string(),
                ..EventInsert::default()
            });
            for target in &step.notify {
                if *target == Notify::Reporter {
                    notifications.extend(
                        self.notify_reporter(case, "case_escalated", serde_json::json!({ "level": level }))
                            .await?,
                    );
                } else {
                    let fields = serde_json::json!({
                        "reference": case.reference,
                        "level": level,
                        "due": due_at.map(|d| from_micros(d).to_rfc3339()),
                    });
                    notifications.extend(
                        self.notify_staff(case, *target, "staff_escalation", &fields, now)
                            .await?,
                    );
                }
            }
        }
        let mut events = events.into_iter();
        let first = events.next().unwrap_or_default();
        let change = CaseChange {
            case_id: case.id,
            expected_status: case.status,
            expected_escalation_level: Some(case.sla.escalation_level),
            sla: Some(stored(&clock)),
            at: now,
            event: first,
            more_events: events.collect(),
            notifications,
            ..Default::default()
        };
        self.store.change_case(change).await?;
        Ok(steps.len())
    }

    /// E-mails to the staff a ladder step names, in Arabic (staff work in the entity's
    /// language; their own language preference is not recorded yet).
    async fn notify_staff(
        &self,
        case: &CaseRow,
        target: Notify,
        template: &str,
        fields: &serde_json::Value,
        now: Micros,
    ) -> WorkflowResult<Vec<OutboxInsert>> {
        let people = match target {
            Notify::Reporter => vec![],
            Notify::Assignee => match case.assignee_id {
                Some(id) => self.store.staff_by_id(id).await?.into_iter().collect(),
                None => {
                    self.store
                        .staff_to_notify(case.entity_id, vec![Role::Officer], case.department_id)
                        .await?
                }
            },
            Notify::Supervisor => {
                self.store
                    .staff_to_notify(case.entity_id, vec![Role::Supervisor], case.department_id)
                    .await?
            }
            Notify::Director => {
                self.store
                    .staff_to_notify(case.entity_id, vec![Role::Admin], None)
                    .await?
            }
            Notify::Satisfaction => {
                self.store
                    .staff_to_notify(case.entity_id, vec![Role::Satisfaction], None)
                    .await?
            }
        };
        Ok(people
            .into_iter()
            .filter(|p| p.active)
            .filter_map(|p| p.email)
            .map(|email| OutboxInsert {
                channel: OutboundChannel::Email.as_str().into(),
                recipient: email,
                template: template.into(),
                language: "ar".into(),
                payload: fields.to_string(),
                secret: None,
                created_at: now,
            })
            .collect())
    }

    /// Whether the reporter may now say their report was ignored: the case is open and past
    /// the due time in force, or staff have said nothing public for the entity's number of
    /// business days. If not yet, from when.
    pub(crate) async fn ignored_eligibility(&self, case: &CaseRow, now: Micros) -> Outcome<IgnoredEligibility> {
        let open_escalation = self.store.open_escalations_of(case.id).await?.into_iter().next();
        let status = case.status;
        let from = if !status.is_open() || case.kind == Kind::Escalation {
            None
        } else {
            let config = self.workflow().await?;
            let policy = config.policy(case.entity_id);
            let last_update = self.store.last_public_update(case.id).await?.unwrap_or(case.created_at);
            let silence = policy
                .calendar
                .add(last_update, working_day(&policy.calendar) * policy.ignored_after_days);
            let clock = clock_of(&case.sla);
            let due = if clock.paused_at.is_some() {
                None
            } else if clock.first_responded_at.is_none() {
                clock.first_response_due
            } else {
                clock.resolution_due
            };
            Some(due.map_or(silence, |d| d.min(silence)))
        };
        let eligible = open_escalation.is_none() && from.is_some_and(|f| f <= now);
        Ok(IgnoredEligibility {
            eligible,
            eligible_from: from.filter(|f| *f > now).map(|f| from_micros(f).to_rfc3339()),
            open_escalation,
        })
    }

    /// "My report was ignored": opens an escalation case linked to the reporter's case,
    /// routed to the entity's beneficiary-satisfaction unit with its own SLA; the original
    /// department is told, and both timelines show it.
    pub async fn complain_ignored(
        &self,
        caller: &Caller,
        reference: &str,
        request: IgnoredRequest,
    ) -> WorkflowResult<Receipt> {
        let case = self.case_for(caller, reference).await?;
        self.require_reporter(caller, &case)?;
        let description = CaseText::parse(&request.description, "description", MAX_COMPLAINT)?;
        let now = self.now_micros();
        let eligibility = self.ignored_eligibility(&case, now).await?;
        if let Some(open) = eligibility.open_escalation {
            return Err(WorkflowError::Conflict(format!(
                "an escalation case for this report is already open: {open}"
            )));
        }
        if !eligibility.eligible {
            return Err(WorkflowError::NotEligible(match eligibility.eligible_from {
                Some(from) => format!(
                    "this report is not overdue yet and was updated recently; you may say it was ignored from {from}"
                ),
                None => "only an open report can be said to be ignored".into(),
            }));
        }
        let config = self.workflow().await?;
        let policy = config.policy(case.entity_id);
        let priority = Priority::High;
        let terms = config.terms(case.entity_id, case.service_id, priority);
        let clock = tawasul_domain::sla::SlaClock::start(now, &terms);
        let token = new_secret();
        let department = policy.satisfaction_department_id;
        let event = |actor_type: &str, action: &str, details: serde_json::Value| EventInsert {
            at: now,
            actor_type: actor_type.into(),
            actor_name: crate::cases::work::REPORTER_ACTOR.into(),
            action: action.into(),
            to_status: (action == "received").then_some(Status::New),
            public: true,
            details: details.to_string(),
            ..EventInsert::default()
        };
        let routed = serde_json::json!({
            "entity": case.entity_code,
            "department": config.department_code(department),
            "queue": if department.is_some() { "department" } else { "triage" },
            "department_by": "beneficiary_satisfaction_unit",
            "escalates": case.reference,
        });
        let mut notifications = self
            .notify_reporter(
                &case,
                "escalation_received",
                serde_json::json!({ "original_reference": case.reference }),
            )
            .await?;
        // The reporter's message goes out under the new case's reference.
        for n in &mut notifications {
            let mut payload: serde_json::Value = serde_json::from_str(&n.payload).unwrap_or_default();
            payload.as_object_mut().map(|p| p.remove("reference"));
            n.payload = payload.to_string();
        }
        let department_notice = serde_json::json!({ "original_reference": case.reference });
        for role in [Notify::Assignee, Notify::Supervisor] {
            notifications.extend(
                self.notify_staff(&case, role, "staff_ignored_complaint", &department_notice, now)
                    .await?,
            );
        }
        let insert = CaseInsert {
            token_hash: secret_digest(&token),
            token: token.clone(),
            entity_id: case.entity_id,
            department_id: department,
            service_id: case.service_id,
            kind: Kind::Escalation.as_str().into(),
            status: Status::New.as_str().into(),
            channel: case.channel.as_str().into(),
            language: case.language.as_str().into(),
            priority: priority.as_str().into(),
            description: description.into_string(),
            answers: "{}".into(),
            reporter_name: case.reporter_name.clone(),
            reporter_phone: case.reporter_phone.clone(),
            reporter_email: case.reporter_email.clone(),
            reporter_language: case.reporter_language.map(|l| l.as_str().to_owned()),
            reporter_handle: case.reporter_handle.clone(),
            created_at: now,
            events: vec![
                event(
                    "reporter",
                    "received",
                    serde_json::json!({ "kind": "escalation", "escalates": case.reference }),
                ),
                EventInsert {
                    actor_type: "system".into(),
                    actor_name: "routing".into(),
                    ..event("system", "routed", routed)
                },
            ],
            notifications,
            sla: stored(&clock),
            linked_case_id: Some(case.id),
            linked_event: Some(event("reporter", "ignored_complaint", serde_json::json!({}))),
            ..CaseInsert::default()
        };
        match self.store.insert_case(insert).await {
            Ok(tawasul_store::Inserted::Created { reference, .. })
            | Ok(tawasul_store::Inserted::Replayed { reference, .. }) => Ok(Receipt {
                tracking_url: format!("/track/{reference}?token={token}"),
                reference,
                token,
                status: Status::New.as_str().into(),
                replayed: false,
            }),
            Err(StoreError::Conflict(s)) => Err(WorkflowError::Conflict(s)),
            Err(e) => Err(e.into()),
        }
    }
}
