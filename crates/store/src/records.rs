//! What goes into the store and what comes out: plain rows, no behaviour.

use tawasul_domain::vocab::Status;

#[derive(Debug, Clone)]
pub struct EntityInsert {
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub entity_type: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntityRow {
    pub id: i64,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub entity_type: String,
}

/// New names (and type) of an existing entity; its code never changes.
#[derive(Debug, Clone)]
pub struct EntityUpdate {
    pub id: i64,
    pub name_ar: String,
    pub name_en: String,
    pub entity_type: String,
}

#[derive(Debug, Clone)]
pub struct DepartmentInsert {
    pub entity_id: i64,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepartmentRow {
    pub id: i64,
    pub entity_id: i64,
    pub entity_code: String,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
}

#[derive(Debug, Clone)]
pub struct ServiceInsert {
    pub entity_id: i64,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub description_ar: String,
    pub description_en: String,
    /// Comma-separated kinds.
    pub kinds: String,
    /// JSON array of form fields.
    pub fields: String,
    pub default_department_id: Option<i64>,
    pub default_priority: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceRow {
    pub id: i64,
    pub entity_id: i64,
    pub entity_code: String,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub description_ar: String,
    pub description_en: String,
    pub kinds: String,
    pub fields: String,
    pub default_department_id: Option<i64>,
    pub default_department_code: Option<String>,
    pub default_priority: String,
}

#[derive(Debug, Clone, Default)]
pub struct StaffInsert {
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub entity_id: Option<i64>,
    pub department_id: Option<i64>,
    pub display_name: String,
    /// Where escalations and staff notices reach them.
    pub email: Option<String>,
    pub created_at: i64,
}

/// What an administrator may change of a staff user; the username never changes.
#[derive(Debug, Clone)]
pub struct StaffUpdate {
    pub id: i64,
    pub display_name: String,
    pub role: String,
    pub department_id: Option<i64>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub entity_id: Option<i64>,
    pub entity_code: Option<String>,
    pub department_id: Option<i64>,
    pub display_name: String,
    pub email: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct SessionInsert {
    pub token_hash: String,
    pub staff_id: Option<i64>,
    /// A resident's verified phone or e-mail.
    pub contact: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub staff_id: Option<i64>,
    pub contact: Option<String>,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct OtpInsert {
    pub contact: String,
    pub code_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct OtpAttempt {
    pub contact: String,
    pub code_hash: String,
    pub now: i64,
    pub max_attempts: i64,
}

#[derive(Debug, Clone)]
pub struct OutboxInsert {
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub language: String,
    pub payload: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub language: String,
    pub payload: String,
    pub status: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct IdempotencyInsert {
    pub key: String,
    /// Digest of the request body: the same key with another body is refused.
    pub fingerprint: String,
}

#[derive(Debug, Clone, Default)]
pub struct CaseInsert {
    pub token_hash: String,
    /// The plain token, kept with the idempotency key only, so that a retry can be answered.
    pub token: String,
    pub idempotency: Option<IdempotencyInsert>,
    pub entity_id: i64,
    pub department_id: Option<i64>,
    pub service_id: i64,
    pub kind: String,
    pub status: String,
    pub channel: String,
    pub language: String,
    pub priority: String,
    pub description: String,
    pub answers: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_language: Option<String>,
    pub search_text: String,
    pub created_at: i64,
    /// Events recorded with the case (received, routed, …); `case_id` is filled in.
    pub events: Vec<EventInsert>,
    /// Notifications enqueued with the case, in the same transaction.
    pub notifications: Vec<OutboxInsert>,
    /// Files that came with the case (their blobs already stored), each with its event;
    /// `case_id` is filled in.
    pub attachments: Vec<AttachmentInsert>,
    pub sla: CaseSla,
    /// The case this one escalates ("my report was ignored").
    pub linked_case_id: Option<i64>,
    /// An event recorded on the linked case in the same transaction; the store adds the new
    /// case's reference to its details as `linked_reference`.
    pub linked_event: Option<EventInsert>,
}

/// The SLA clock of a case, as the application computed it. Written as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseSla {
    pub sla_response_target: Option<i64>,
    pub sla_resolution_target: Option<i64>,
    pub sla_started_at: Option<i64>,
    pub sla_paused_at: Option<i64>,
    pub sla_paused_micros: i64,
    pub first_response_due: Option<i64>,
    pub first_responded_at: Option<i64>,
    pub resolution_due: Option<i64>,
    pub escalation_level: i64,
    pub next_escalation_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    Created {
        id: i64,
        reference: String,
    },
    /// An earlier request with the same idempotency key made this case.
    Replayed {
        id: i64,
        reference: String,
        token: String,
    },
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub reference: String,
    pub token_hash: String,
    pub entity_id: i64,
    pub entity_code: String,
    pub department_id: Option<i64>,
    pub department_code: Option<String>,
    pub assignee_id: Option<i64>,
    pub assignee_username: Option<String>,
    pub service_id: i64,
    pub service_code: String,
    pub kind: String,
    pub status: String,
    pub channel: String,
    pub language: String,
    pub priority: String,
    pub description: String,
    pub answers: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_language: Option<String>,
    pub resolution: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    #[sqlx(flatten)]
    pub sla: CaseSla,
    pub linked_case_id: Option<i64>,
    pub linked_reference: Option<String>,
    /// The case this duplicate was merged into.
    pub merged_into_id: Option<i64>,
    pub merged_into_reference: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct EventInsert {
    pub case_id: i64,
    pub at: i64,
    /// system, staff or reporter.
    pub actor_type: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// Shown to the reporter on their timeline.
    pub public: bool,
    pub body: Option<String>,
    /// JSON object.
    pub details: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub case_id: i64,
    pub at: i64,
    pub actor_type: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub public: bool,
    pub body: Option<String>,
    pub details: String,
}

/// One change to a case, applied only while it is still in `expected_status` (and, when
/// given, at `expected_escalation_level`, so that one ladder step is taken once).
#[derive(Debug, Clone, Default)]
pub struct CaseChange {
    pub case_id: i64,
    pub expected_status: String,
    pub expected_escalation_level: Option<i64>,
    pub status: Option<String>,
    pub entity_id: Option<i64>,
    pub service_id: Option<i64>,
    pub priority: Option<String>,
    pub department_id: Option<Option<i64>>,
    pub assignee_id: Option<Option<i64>>,
    pub resolution: Option<String>,
    /// Merges the case into this one, which must still be open (not merged, not transferred);
    /// otherwise the change is a `Conflict` and nothing is written.
    pub merged_into_id: Option<i64>,
    pub sla: Option<CaseSla>,
    pub at: i64,
    pub event: EventInsert,
    pub more_events: Vec<EventInsert>,
    pub audit: Option<AuditInsert>,
    pub notifications: Vec<OutboxInsert>,
    pub transfer: Option<TransferWrite>,
}

#[derive(Debug, Clone)]
pub enum TransferWrite {
    Open(TransferInsert),
    /// The receiving entity accepted or returned the pending transfer `id`.
    Decide {
        id: i64,
        status: String,
        decided_by: i64,
        decided_at: i64,
        reason: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct TransferInsert {
    pub from_entity_id: i64,
    pub to_entity_id: i64,
    pub from_department_id: Option<i64>,
    pub to_department_id: Option<i64>,
    pub from_status: String,
    pub reason: String,
    /// pending (between entities, until accepted or returned) or done (between departments).
    pub status: String,
    pub requested_by: i64,
    pub requested_at: i64,
    pub accept_due: Option<i64>,
    pub resolve_due: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransferRow {
    pub id: i64,
    pub case_id: i64,
    pub from_entity_id: i64,
    pub from_entity_code: String,
    pub to_entity_id: i64,
    pub to_entity_code: String,
    pub from_department_id: Option<i64>,
    pub to_department_id: Option<i64>,
    pub from_status: String,
    pub reason: String,
    pub status: String,
    pub requested_by: Option<i64>,
    pub requested_at: i64,
    pub accept_due: Option<i64>,
    pub resolve_due: Option<i64>,
    pub decided_at: Option<i64>,
    pub decision_reason: Option<String>,
}

/// Which queue a staff list shows, beyond the plain filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueScope {
    /// Cases of the filter's entity (or all, for installation-wide staff).
    #[default]
    Entity,
    /// Cases with no department yet: the entity's triage queue.
    Triage,
    /// Cases transferred to the entity and not yet accepted.
    TransferredIn,
    /// Cases the entity handed over to another entity, wherever they are now.
    Followed,
    /// Cases past a ladder step, and escalation cases.
    Escalated,
}

/// The statuses of a case no one has to act on any more (`Status::is_open` is false), in SQL.
pub(crate) const ENDED: &str = "('resolved', 'closed', 'rejected', 'merged')";

/// The order of a staff list. Each order is a descending or ascending sort on two integer
/// keys and the id, so one keyset cursor (`CaseCursor`) pages them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseOrder {
    /// Newest received first.
    #[default]
    Newest,
    /// Oldest received first.
    Oldest,
    /// Soonest due time in force first; paused, ended and untimed cases last.
    DueFirst,
    /// Urgent first, then high, normal and low; newest first within a priority.
    PriorityFirst,
}

/// Where the previous page ended: the last row's two sort keys and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseCursor {
    pub first: i64,
    pub second: i64,
    pub id: i64,
}

impl CaseOrder {
    /// The SQL of the sort keys, which `cursor_after` computes from a row. An order with one
    /// key has none second, so that the (created_at, id) indexes serve it.
    pub(crate) fn key_sql(self) -> (String, Option<&'static str>) {
        match self {
            CaseOrder::Newest | CaseOrder::Oldest => ("c.created_at".into(), None),
            CaseOrder::DueFirst => (
                format!(
                    "CASE WHEN c.status IN {ENDED} OR c.sla_paused_at IS NOT NULL THEN 9223372036854775807 \
                     ELSE COALESCE(CASE WHEN c.first_responded_at IS NULL THEN c.first_response_due ELSE c.resolution_due END, 9223372036854775807) END"
                ),
                None,
            ),
            CaseOrder::PriorityFirst => (
                "CASE c.priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END".into(),
                Some("c.created_at"),
            ),
        }
    }

    pub(crate) fn descending(self) -> bool {
        matches!(self, CaseOrder::Newest | CaseOrder::PriorityFirst)
    }

    /// The cursor that continues after `row`.
    pub fn cursor_after(self, row: &CaseRow) -> CaseCursor {
        let (first, second) = match self {
            CaseOrder::Newest | CaseOrder::Oldest => (row.created_at, 0),
            CaseOrder::DueFirst => {
                let sla = &row.sla;
                let ended = Status::parse(&row.status).is_ok_and(|s| !s.is_open());
                let due = match sla.first_responded_at {
                    None => sla.first_response_due,
                    Some(_) => sla.resolution_due,
                };
                let due = due.filter(|_| !ended && sla.sla_paused_at.is_none());
                (due.unwrap_or(i64::MAX), 0)
            }
            CaseOrder::PriorityFirst => {
                let rank = match row.priority.as_str() {
                    "urgent" => 3,
                    "high" => 2,
                    "normal" => 1,
                    _ => 0,
                };
                (rank, row.created_at)
            }
        };
        CaseCursor {
            first,
            second,
            id: row.id,
        }
    }
}

/// SLA state filter: due times compared with `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaFilter {
    Overdue { now: i64 },
    DueBefore { now: i64, before: i64 },
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only cases of this entity (staff of one entity); `None` for the whole installation.
    pub entity_id: Option<i64>,
    pub scope: QueueScope,
    pub sla: Option<SlaFilter>,
    pub priority: Option<String>,
    pub statuses: Vec<String>,
    pub service_id: Option<i64>,
    pub department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub channel: Option<String>,
    pub kind: Option<String>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    /// Normalised search words; every one must occur.
    pub words: Vec<String>,
    pub order: CaseOrder,
    /// Keyset cursor: rows strictly after this one in `order`.
    pub after: Option<CaseCursor>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct AttachmentInsert {
    pub case_id: i64,
    pub blob_key: String,
    pub mime: String,
    pub size_bytes: i64,
    pub filename: String,
    pub public: bool,
    pub uploaded_by: String,
    pub created_at: i64,
    pub event: EventInsert,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: i64,
    pub case_id: i64,
    pub blob_key: String,
    pub mime: String,
    pub size_bytes: i64,
    pub filename: String,
    pub public: bool,
    pub uploaded_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct AuditInsert {
    pub at: i64,
    pub staff_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub details: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub staff_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub details: String,
}

/// An entity's workflow policy: its calendar and escalation ladder as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    pub entity_id: i64,
    pub calendar: String,
    pub escalation: String,
    pub ignored_after_days: i64,
    pub satisfaction_department_id: Option<i64>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SlaTargetRow {
    pub entity_id: i64,
    pub service_id: Option<i64>,
    pub priority: String,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AreaRow {
    pub id: i64,
    pub entity_id: i64,
    pub name: Option<String>,
    pub geometry: String,
}

#[derive(Debug, Clone)]
pub struct AreaInsert {
    pub name: Option<String>,
    pub geometry: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    pub id: i64,
    pub entity_id: i64,
    pub department_id: i64,
    pub service_code: Option<String>,
    /// JSON array of words.
    pub keywords: String,
    pub language: Option<String>,
    pub position: i64,
}

#[derive(Debug, Clone)]
pub struct RuleInsert {
    pub entity_id: i64,
    pub department_id: i64,
    pub service_code: Option<String>,
    pub keywords: String,
    pub language: Option<String>,
    pub position: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OlaRow {
    pub from_entity_id: i64,
    pub to_entity_id: i64,
    pub service_id: Option<i64>,
    pub accept_minutes: i64,
    pub resolve_minutes: i64,
}

/// A unit of background work, claimed under a lease.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub payload: String,
    pub attempts: i64,
}

#[derive(Debug, Clone)]
pub struct JobInsert {
    pub kind: String,
    /// Enqueueing the same key twice makes one job.
    pub key: String,
    pub payload: String,
    pub run_at: i64,
}

#[derive(Debug, Clone)]
pub enum JobOutcome {
    Done,
    /// Run again at this instant (periodic work, or a notification held by quiet hours).
    Again {
        run_at: i64,
    },
    Retry {
        run_at: i64,
        error: String,
    },
    Dead {
        error: String,
    },
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxDelivery {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub language: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub delivered_at: Option<i64>,
    pub last_error: Option<String>,
}

// web: the closure survey.

#[derive(Debug, Clone)]
pub struct SurveyInsert {
    pub case_id: i64,
    pub quality: i64,
    pub speed: i64,
    pub agent: i64,
    pub comment: Option<String>,
    /// Any rating of 2 or less: the satisfaction unit looks at these.
    pub low: bool,
    pub created_at: i64,
    /// The timeline entry written with it.
    pub event: EventInsert,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SurveyRow {
    pub id: i64,
    pub case_id: i64,
    pub quality: i64,
    pub speed: i64,
    pub agent: i64,
    pub comment: Option<String>,
    pub low: bool,
    pub created_at: i64,
}

/// A reply template of an entity in one language; its body holds `{name}`, `{reference}`
/// and `{service}` placeholders.
#[derive(Debug, Clone)]
pub struct ReplyTemplateInsert {
    pub entity_id: i64,
    pub key: String,
    pub language: String,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReplyTemplateRow {
    pub id: i64,
    pub entity_id: i64,
    pub key: String,
    pub language: String,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

/// A new title and body for the reply template `id`.
#[derive(Debug, Clone)]
pub struct ReplyTemplateEdit {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

/// A service as its administrators see it: inactive ones too, and whether cases use it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ManagedServiceRow {
    #[sqlx(flatten)]
    pub service: ServiceRow,
    pub active: bool,
    /// A service with cases keeps its code (references, exports and clients name it).
    pub has_cases: bool,
}

/// New properties of the service `id` (its form is changed on its own).
#[derive(Debug, Clone)]
pub struct ServiceUpdate {
    pub id: i64,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub description_ar: String,
    pub description_en: String,
    /// Comma-separated kinds.
    pub kinds: String,
    pub default_department_id: Option<i64>,
    pub default_priority: String,
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ended_statuses_in_sql_are_those_that_are_not_open() {
        for status in Status::ALL {
            let listed = ENDED.contains(&format!("'{}'", status.as_str()));
            assert_eq!(listed, !status.is_open(), "{status}");
        }
    }
}
