//! What callers get back, shaped for JSON and documented for OpenAPI.

use serde::Serialize;
use serde_json::Value;
use tawasul_domain::catalogue::FormField;
use tawasul_domain::from_micros;
use tawasul_domain::lifecycle::Action;
use tawasul_store::{AttachmentRow, CaseRow, EventRow, ServiceRow, TransferRow};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub code: String,
    pub entity: String,
    pub name_ar: String,
    pub name_en: String,
    pub description_ar: String,
    pub description_en: String,
    /// The kinds of case this service accepts.
    pub kinds: Vec<String>,
    pub fields: Vec<FormField>,
    pub default_department: Option<String>,
    pub default_priority: String,
    /// Each resolution brings a photo of the fix.
    pub fix_photo_required: bool,
    /// How soon residents can expect an answer and a resolution, from the service's SLA.
    pub expected: Option<ExpectedTimes>,
}

/// The SLA targets of a service as residents are told them: in business minutes of the
/// entity's calendar, with the length of its working day to say them in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ExpectedTimes {
    pub response_minutes: i64,
    pub resolution_minutes: i64,
    pub working_day_minutes: i64,
}

impl ServiceView {
    pub fn from_row(row: &ServiceRow) -> Self {
        Self {
            code: row.code.clone(),
            entity: row.entity_code.clone(),
            name_ar: row.name_ar.clone(),
            name_en: row.name_en.clone(),
            description_ar: row.description_ar.clone(),
            description_en: row.description_en.clone(),
            kinds: row.kinds.split(',').map(str::to_owned).collect(),
            fields: serde_json::from_str(&row.fields).unwrap_or_default(),
            default_department: row.default_department_code.clone(),
            default_priority: row.default_priority.as_str().to_owned(),
            fix_photo_required: row.fix_photo_required,
            expected: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    pub items: Vec<ServiceView>,
}

/// Returned by `POST /api/v1/cases`. The token is shown once: keep it to follow the case.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    pub reference: String,
    pub token: String,
    pub status: String,
    /// Path of the resident's private tracking page.
    pub tracking_url: String,
    /// True when this answers a retry with an Idempotency-Key already used.
    pub replayed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocationView {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterView {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
    /// True when the caller may not see the details and they were masked.
    pub masked: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub at: String,
    /// system, staff, reporter, or social (a public post that named the case).
    pub actor_type: String,
    /// The staff member's name; omitted on the reporter's view.
    pub actor: Option<String>,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// Shown to the reporter; internal notes are not.
    pub public: bool,
    pub body: Option<String>,
    #[schema(value_type = Object)]
    pub details: Value,
}

impl EventView {
    pub fn from_row(row: &EventRow, for_staff: bool) -> Self {
        Self {
            at: from_micros(row.at).to_rfc3339(),
            actor_type: row.actor_type.clone(),
            actor: for_staff.then(|| row.actor_name.clone()),
            action: row.action.clone(),
            from_status: row.from_status.map(|s| s.as_str().to_owned()),
            to_status: row.to_status.map(|s| s.as_str().to_owned()),
            public: row.public,
            body: row.body.clone(),
            details: serde_json::from_str(&row.details).unwrap_or(Value::Null),
        }
    }

    /// What a closure event says of itself, as a key for the pages: the reporter's verdict
    /// that reopened the case (`not_solved`, `low_score`, with `_unit` when it went to the
    /// satisfaction unit), a closure `confirmed` by the reporter, or one made `auto`matically
    /// when the survey went unanswered.
    pub fn closure_note(&self) -> Option<String> {
        let details = self.details.as_object()?;
        let flag = |key: &str| details.get(key).and_then(Value::as_bool) == Some(true);
        if flag("auto") {
            return Some("auto".into());
        }
        if flag("confirmed") {
            return Some("confirmed".into());
        }
        let why = details.get("why").and_then(Value::as_str)?;
        let unit = details.get("department_by").and_then(Value::as_str) == Some("beneficiary_satisfaction_unit");
        Some(if unit { format!("{why}_unit") } else { why.to_owned() })
    }

    /// A public event as its reporter sees it: what happened, to which entity or department,
    /// never who on the staff did it, whom it was assigned to, or the staff's own reasons
    /// (a transfer's, a routing rule's). Only the bodies written for the reporter remain.
    pub fn for_reporter(row: &EventRow) -> Self {
        let mut view = Self::from_row(row, false);
        if !REPORTER_BODIES.contains(&row.action.as_str()) {
            view.body = None;
        }
        if let Value::Object(details) = &mut view.details {
            details.retain(|key, _| REPORTER_DETAILS.contains(&key.as_str()));
        }
        view
    }
}

/// The actions whose text is written to the reporter (or by them).
const REPORTER_BODIES: &[&str] = &["reply", "reporter_comment", "survey", "resolve", "reject"];

/// The details of an event a reporter may read: where the case is (entities and departments
/// by code), what they sent, what they rated.
const REPORTER_DETAILS: &[&str] = &[
    "entity",
    "department",
    "from_entity",
    "to_entity",
    "from_department",
    "to_department",
    "channel",
    "kind",
    "mime",
    "size_bytes",
    "quality",
    "speed",
    "agent",
    "solved",
    "escalates",
    "why",
    "auto",
    "confirmed",
];

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub mime: String,
    pub size_bytes: i64,
    pub filename: String,
    pub public: bool,
    pub url: String,
    pub created_at: String,
    /// Sent by the reporter (a photo of theirs is the "before").
    pub from_reporter: bool,
    /// A photo of the fix, sent with a resolution (the "after").
    pub fix: bool,
}

impl AttachmentView {
    pub fn from_row(row: &AttachmentRow, reference: &str) -> Self {
        Self {
            id: row.id,
            mime: row.mime.clone(),
            size_bytes: row.size_bytes,
            filename: row.filename.clone(),
            public: row.public,
            url: format!("/api/v1/cases/{reference}/attachments/{}", row.id),
            created_at: from_micros(row.created_at).to_rfc3339(),
            from_reporter: row.uploaded_by == "reporter",
            fix: row.fix,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub reference: String,
    pub kind: String,
    pub status: String,
    pub service: String,
    pub entity: String,
    pub department: Option<String>,
    pub assignee: Option<String>,
    pub channel: String,
    pub language: String,
    pub priority: String,
    pub description: String,
    #[schema(value_type = Object)]
    pub answers: Value,
    pub location: Option<LocationView>,
    pub address: Option<String>,
    pub reporter: Option<ReporterView>,
    pub resolution: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub timeline: Vec<EventView>,
    pub attachments: Vec<AttachmentView>,
    /// Actions the caller may take now (staff only).
    pub available_actions: Vec<Action>,
    pub sla: SlaView,
    /// The case this one escalates ("my report was ignored"), for an escalation case.
    pub linked_case: Option<String>,
    /// The case this duplicate was merged into, which is handled in its place.
    pub merged_into: Option<String>,
    /// Transfers between departments and entities, oldest first (staff only).
    pub transfers: Vec<TransferView>,
    /// May the reporter say the report was ignored, and if not yet, from when (reporter only).
    pub ignored_complaint: Option<IgnoredEligibility>,
    /// The expected response and resolution times of the case's service and priority.
    pub expected: ExpectedTimes,
    /// Its service asks for a photo of the fix with each resolution.
    pub fix_photo_required: bool,
}

/// The SLA clock of a case as people read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaView {
    pub first_response_due: Option<String>,
    pub first_responded_at: Option<String>,
    pub resolution_due: Option<String>,
    /// on_track, due_soon (a ladder step has passed), overdue, paused (waiting on the
    /// reporter), stopped (resolved, closed, rejected or merged) or none (no target).
    pub state: String,
    /// The due time in force: first response until the first response, then resolution.
    pub due: Option<String>,
    /// Ladder steps taken on the target in force.
    pub escalation_level: i64,
    /// Whole minutes from now to `due` (below zero: overdue by), while the clock runs.
    pub minutes_left: Option<i64>,
}

impl SlaView {
    pub fn from_row(row: &CaseRow, now: i64) -> Self {
        let iso = |m: Option<i64>| m.map(|m| from_micros(m).to_rfc3339());
        let sla = &row.sla;
        let due = if sla.first_responded_at.is_none() {
            sla.first_response_due
        } else {
            sla.resolution_due
        };
        let ended = !row.status.is_open();
        let state = match (ended, sla.sla_paused_at, due) {
            (true, _, _) => "stopped",
            (_, Some(_), _) => "paused",
            (_, _, None) => "none",
            (_, _, Some(d)) if d < now => "overdue",
            _ if sla.escalation_level > 0 => "due_soon",
            _ => "on_track",
        };
        Self {
            first_response_due: iso(sla.first_response_due),
            first_responded_at: iso(sla.first_responded_at),
            resolution_due: iso(sla.resolution_due),
            state: state.into(),
            due: iso(due),
            escalation_level: sla.escalation_level,
            minutes_left: due
                .filter(|_| matches!(state, "on_track" | "due_soon" | "overdue"))
                .map(|d| (d - now).div_euclid(60_000_000)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    pub from_entity: String,
    pub to_entity: String,
    pub reason: String,
    /// pending, accepted, returned, or done (between departments of one entity).
    pub status: String,
    pub requested_at: String,
    /// The OLA's (or the receiver's SLA) accept-by and resolve-by times.
    pub accept_due: Option<String>,
    pub resolve_due: Option<String>,
    pub decided_at: Option<String>,
    pub decision_reason: Option<String>,
}

impl TransferView {
    pub fn from_row(row: &TransferRow) -> Self {
        let iso = |m: Option<i64>| m.map(|m| from_micros(m).to_rfc3339());
        Self {
            from_entity: row.from_entity_code.clone(),
            to_entity: row.to_entity_code.clone(),
            reason: row.reason.clone(),
            status: row.status.clone(),
            requested_at: from_micros(row.requested_at).to_rfc3339(),
            accept_due: iso(row.accept_due),
            resolve_due: iso(row.resolve_due),
            decided_at: iso(row.decided_at),
            decision_reason: row.decision_reason.clone(),
        }
    }
}

/// Where a case went when it left the caller's hands.
#[derive(Debug, Serialize, ToSchema)]
pub struct Handover {
    pub reference: String,
    pub status: String,
    pub entity: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IgnoredEligibility {
    pub eligible: bool,
    /// When it becomes possible, if it is not yet.
    pub eligible_from: Option<String>,
    /// An escalation case already open for this case.
    pub open_escalation: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummary {
    pub reference: String,
    pub kind: String,
    pub status: String,
    pub service: String,
    pub entity: String,
    pub department: Option<String>,
    pub assignee: Option<String>,
    pub channel: String,
    pub priority: String,
    pub language: String,
    /// The first 160 characters of the description.
    pub excerpt: String,
    pub created_at: String,
    pub updated_at: String,
    pub sla: SlaView,
}

impl CaseSummary {
    /// The summary a resident sees of their own case: the department, never the assignee.
    pub fn for_reporter(row: &CaseRow, now: i64) -> Self {
        Self {
            assignee: None,
            ..Self::from_row(row, now)
        }
    }

    /// `now` decides the SLA state shown.
    pub fn from_row(row: &CaseRow, now: i64) -> Self {
        Self {
            reference: row.reference.clone(),
            kind: row.kind.as_str().to_owned(),
            status: row.status.as_str().to_owned(),
            service: row.service_code.clone(),
            entity: row.entity_code.clone(),
            department: row.department_code.clone(),
            assignee: row.assignee_username.clone(),
            channel: row.channel.as_str().to_owned(),
            priority: row.priority.as_str().to_owned(),
            language: row.language.as_str().to_owned(),
            excerpt: row.description.chars().take(160).collect(),
            created_at: from_micros(row.created_at).to_rfc3339(),
            updated_at: from_micros(row.updated_at).to_rfc3339(),
            sla: SlaView::from_row(row, now),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Masks all but the ends of a phone number: `+973****0000`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// Keeps the first letter of the mailbox and the domain: `r***@example.bh`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// Keeps the first letter of each word of a name.
pub fn mask_name(name: &str) -> String {
    name.split_whitespace()
        .map(|w| format!("{}***", w.chars().next().unwrap_or('*')))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_masked_to_its_ends() {
        assert_eq!(mask_phone("+97333001234"), "+973****1234");
        assert_eq!(mask_email("resident@example.bh"), "r***@example.bh");
        assert_eq!(mask_name("فاطمة أحمد"), "ف*** أ***");
    }
}
