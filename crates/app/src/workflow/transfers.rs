//! Transfers of misrouted cases: to another department of the same entity at once, or to
//! another entity under an OLA, which that entity's liaison accepts or returns.

use crate::cases::views::{CaseView, Handover};
use crate::identity::authz::{Permission, StaffUser};
use crate::workflow::config::{clock_of, stored};
use crate::workflow::{WorkflowError, WorkflowResult};
use crate::App;
use serde::Deserialize;
use tawasul_domain::lifecycle;
use tawasul_domain::sla::SlaClock;
use tawasul_domain::text::CaseText;
use tawasul_domain::vocab::Status;
use tawasul_domain::Invalid;
use tawasul_store::{CaseChange, CaseRow, EventInsert, TransferInsert, TransferWrite};
use utoipa::ToSchema;

const MAX_REASON: usize = 1_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The receiving entity's code; omit to move the case between departments of its entity.
    #[serde(default)]
    pub entity: Option<String>,
    /// The receiving department's code (in the receiving entity); omit to leave the choice to
    /// the receiver's triage.
    #[serde(default)]
    pub department: Option<String>,
    /// Why the case was misrouted.
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferDecision {
    /// Accepting: the department that takes the case (optional).
    #[serde(default)]
    pub department: Option<String>,
    /// Returning: why (required).
    #[serde(default)]
    pub reason: Option<String>,
}

impl App {
    pub async fn transfer(
        &self,
        user: &StaffUser,
        reference: &str,
        request: TransferRequest,
    ) -> WorkflowResult<CaseView> {
        let case = self.staff_case(user, reference).await?;
        user.require(Permission::Transfer, Some(case.entity_id))?;
        let reason = CaseText::parse(&request.reason, "reason", MAX_REASON)?;
        let status = case.status;
        if !lifecycle::may_transfer(status) {
            return Err(WorkflowError::Conflict(format!(
                "a case that is {status} cannot be transferred"
            )));
        }
        let config = self.workflow().await?;
        let to_entity = match &request.entity {
            None => case.entity_id,
            Some(code) => {
                self.store
                    .entity_by_code(code)
                    .await?
                    .ok_or_else(|| Invalid::new("unknown_entity", "entity", format!("no entity {code:?}")))?
                    .id
            }
        };
        let to_department = match &request.department {
            None => None,
            Some(code) => Some(
                self.store
                    .department_by_code(to_entity, code)
                    .await?
                    .ok_or_else(|| {
                        Invalid::new(
                            "unknown_department",
                            "department",
                            format!("no department {code:?} in the receiving entity"),
                        )
                    })?
                    .id,
            ),
        };
        let between_entities = to_entity != case.entity_id;
        if !between_entities && (to_department.is_none() || to_department == case.department_id) {
            return Err(Invalid::new(
                "same_place",
                "department",
                "name another department, or another entity, to transfer to",
            )
            .into());
        }
        let at = self.now_micros();
        let mut details = serde_json::json!({
            "from_entity": case.entity_code,
            "to_entity": config.entity_code(to_entity),
            "from_department": case.department_code,
            "to_department": config.department_code(to_department),
        });
        let mut change = CaseChange {
            case_id: case.id,
            expected_status: case.status,
            entity_id: Some(to_entity),
            department_id: Some(to_department),
            assignee_id: Some(None),
            at,
            ..Default::default()
        };
        let mut transfer = TransferInsert {
            from_entity_id: case.entity_id,
            to_entity_id: to_entity,
            from_department_id: case.department_id,
            to_department_id: to_department,
            from_status: case.status,
            reason: reason.as_str().to_owned(),
            status: "done".into(),
            requested_by: user.id,
            requested_at: at,
            accept_due: None,
            resolve_due: None,
        };
        if between_entities {
            // The OLA's own clock starts now, on the receiver's calendar; accepting the case is
            // the receiver's first response.
            let (terms, under_ola) = config.ola_terms(case.entity_id, to_entity, case.service_id, case.priority);
            let clock = SlaClock::start(at, &terms);
            transfer.status = "pending".into();
            transfer.accept_due = clock.first_response_due;
            transfer.resolve_due = clock.resolution_due;
            details["under_ola"] = under_ola.into();
            change.status = Some(Status::Transferred);
            change.sla = Some(stored(&clock));
            let receiver = config.entities.get(&to_entity);
            change.notifications = self
                .notify_reporter(
                    &case,
                    "case_transferred",
                    serde_json::json!({
                        "entity_ar": receiver.map(|e| e.name_ar.clone()),
                        "entity_en": receiver.map(|e| e.name_en.clone()),
                    }),
                )
                .await?;
        } else if status != Status::New {
            // A new department starts from acknowledgement: nobody there is assigned yet.
            change.status = Some(Status::Acknowledged);
        }
        let to_status = change.status;
        change.event = EventInsert {
            body: Some(reason.into_string()),
            details: details.to_string(),
            ..self.staff_event(user, &case, "transferred", to_status)
        };
        change.audit = Some(self.audit_of(user, &case, "transfer", details));
        change.transfer = Some(TransferWrite::Open(transfer));
        self.store.change_case(change).await?;
        Ok(self
            .read_case(&crate::identity::auth::Caller::Staff(user.clone()), reference)
            .await?)
    }

    /// The receiving entity takes a transferred case.
    pub async fn accept_transfer(
        &self,
        user: &StaffUser,
        reference: &str,
        decision: TransferDecision,
    ) -> WorkflowResult<CaseView> {
        let (case, pending) = self.pending_transfer(user, reference).await?;
        let config = self.workflow().await?;
        let department = match &decision.department {
            None => case.department_id,
            Some(code) => Some(
                self.store
                    .department_by_code(case.entity_id, code)
                    .await?
                    .ok_or_else(|| Invalid::new("unknown_department", "department", format!("no department {code:?}")))?
                    .id,
            ),
        };
        let at = self.now_micros();
        let (terms, _) = config.ola_terms(pending.from_entity_id, case.entity_id, case.service_id, case.priority);
        let mut clock = clock_of(&case.sla);
        clock.respond(at, &terms);
        let to = lifecycle::ACCEPTED;
        let details = serde_json::json!({ "department": config.department_code(department) });
        let change = CaseChange {
            case_id: case.id,
            expected_status: case.status,
            status: Some(to),
            department_id: Some(department),
            sla: Some(stored(&clock)),
            at,
            event: EventInsert {
                details: details.to_string(),
                ..self.staff_event(user, &case, "transfer_accepted", Some(to))
            },
            audit: Some(self.audit_of(user, &case, "transfer_accept", details)),
            notifications: self
                .notify_reporter(&case, "case_acknowledged", serde_json::json!({}))
                .await?,
            transfer: Some(TransferWrite::Decide {
                id: pending.id,
                status: "accepted".into(),
                decided_by: user.id,
                decided_at: at,
                reason: None,
            }),
            ..Default::default()
        };
        self.store.change_case(change).await?;
        Ok(self
            .read_case(&crate::identity::auth::Caller::Staff(user.clone()), reference)
            .await?)
    }

    /// The receiving entity sends a transferred case back, with its reason: the case returns
    /// to where it was, held again to its original clock.
    pub async fn return_transfer(
        &self,
        user: &StaffUser,
        reference: &str,
        decision: TransferDecision,
    ) -> WorkflowResult<Handover> {
        let (case, pending) = self.pending_transfer(user, reference).await?;
        let reason = CaseText::parse(decision.reason.as_deref().unwrap_or_default(), "reason", MAX_REASON)?;
        if reason.as_str().trim().is_empty() {
            return Err(Invalid::new("required", "reason", "say why the case is returned").into());
        }
        let config = self.workflow().await?;
        let at = self.now_micros();
        let back = pending.from_status;
        let terms = config.terms(pending.from_entity_id, case.service_id, case.priority);
        let mut clock = SlaClock {
            targets: terms.targets,
            started_at: Some(case.created_at),
            first_responded_at: Some(pending.requested_at),
            ..SlaClock::default()
        };
        clock.recompute(&terms);
        let details = serde_json::json!({ "to_entity": pending.from_entity_code });
        let staff_view_only = EventInsert {
            public: false,
            body: Some(reason.as_str().to_owned()),
            details: details.to_string(),
            ..self.staff_event(user, &case, "transfer_returned", Some(back))
        };
        let change = CaseChange {
            case_id: case.id,
            expected_status: case.status,
            status: Some(back),
            entity_id: Some(pending.from_entity_id),
            department_id: Some(pending.from_department_id),
            sla: Some(stored(&clock)),
            at,
            event: staff_view_only,
            audit: Some(self.audit_of(user, &case, "transfer_return", details)),
            transfer: Some(TransferWrite::Decide {
                id: pending.id,
                status: "returned".into(),
                decided_by: user.id,
                decided_at: at,
                reason: Some(reason.into_string()),
            }),
            ..Default::default()
        };
        self.store.change_case(change).await?;
        // The receiver may no longer see the case; it answers with where the case went.
        Ok(Handover {
            reference: case.reference,
            status: back.as_str().into(),
            entity: pending.from_entity_code,
        })
    }

    async fn pending_transfer(
        &self,
        user: &StaffUser,
        reference: &str,
    ) -> WorkflowResult<(CaseRow, tawasul_store::TransferRow)> {
        let case = self.staff_case(user, reference).await?;
        user.require(Permission::DecideTransfer, Some(case.entity_id))?;
        let pending = self
            .store
            .transfers_of(case.id)
            .await?
            .into_iter()
            .rfind(|t| t.status == "pending" && t.to_entity_id == case.entity_id)
            .filter(|_| case.status == Status::Transferred)
            .ok_or_else(|| WorkflowError::Conflict("the case has no transfer waiting for a decision".into()))?;
        Ok((case, pending))
    }
}
