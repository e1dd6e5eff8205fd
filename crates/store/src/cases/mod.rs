//! Cases: their intake (with idempotency), their timeline of events, and the changes staff
//! make to them; queues, search, attachments and the closure survey in the submodules.

mod attachments;
mod bulk;
mod counts;
mod export;
mod mail;
mod privacy;
mod queue;
mod search;
mod survey;

pub use attachments::*;
pub use bulk::*;
pub use export::*;
pub use mail::*;
pub use privacy::*;
pub use queue::*;
pub use survey::*;

use crate::audit::AuditInsert;
use crate::jobs::OutboxInsert;
use crate::reporters::{Cipher, ReporterColumns};
use crate::workflow::TransferWrite;
use crate::{Store, StoreError, StoreResult};
use chrono::Datelike;
use tawasul_domain::vocab::{Channel, Kind, Language, Priority, Status};

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
    /// Where the author of a public post hears back privately (`fb-comment:…`, `x:…`).
    pub reporter_handle: Option<String>,
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
    /// The service point whose QR code the report came through; its count of cases is kept
    /// with the case.
    pub point_id: Option<i64>,
    /// The routing area containing the case's location (KPIs per area).
    pub area_id: Option<i64>,
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
    pub kind: Kind,
    pub status: Status,
    pub channel: Channel,
    pub language: Language,
    pub priority: Priority,
    pub description: String,
    pub answers: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_language: Option<Language>,
    /// Where the author of a public post hears back privately (`fb-comment:…`, `x:…`).
    pub reporter_handle: Option<String>,
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
    /// The service point the case was reported at.
    pub point_id: Option<i64>,
    /// The reporter's details encrypted (`crate::reporters`), as stored: the store opens
    /// them into `reporter_name`, `reporter_phone` and `reporter_email` and leaves this `None`.
    pub reporter_sealed: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct EventInsert {
    pub case_id: i64,
    pub at: i64,
    /// system, staff, reporter, or social (a public post that named the case).
    pub actor_type: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
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
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub public: bool,
    pub body: Option<String>,
    pub details: String,
}

/// One change to a case, applied only while it is still in `expected_status` (and, when
/// given, at `expected_escalation_level`, so that one ladder step is taken once).
#[derive(Debug, Clone)]
pub struct CaseChange {
    pub case_id: i64,
    pub expected_status: Status,
    pub expected_escalation_level: Option<i64>,
    pub status: Option<Status>,
    pub entity_id: Option<i64>,
    pub service_id: Option<i64>,
    pub priority: Option<Priority>,
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
    /// A provider's message the change was made of, as (channel, message id): taken once, in
    /// the same transaction (`Duplicate("inbound message")` when it was taken before).
    pub inbound: Option<(String, String)>,
    /// Files that go with the change (a resolution's photo of the fix), their blobs already
    /// stored, each with its event.
    pub attachments: Vec<AttachmentInsert>,
    /// The reporter's invitation to the survey of this resolution, replacing the one before.
    pub invitation: Option<InvitationWrite>,
    /// A call to the reporter telling them of the change (a case reported by phone).
    pub callback: Option<crate::CallbackInsert>,
}

/// The fields a change leaves alone, for `..CaseChange::default()`; every change names its
/// own `case_id`, `expected_status`, `at` and `event`, so the status here is never relied on.
impl Default for CaseChange {
    fn default() -> Self {
        Self {
            case_id: 0,
            expected_status: Status::New,
            expected_escalation_level: None,
            status: None,
            entity_id: None,
            service_id: None,
            priority: None,
            department_id: None,
            assignee_id: None,
            resolution: None,
            merged_into_id: None,
            sla: None,
            at: 0,
            event: EventInsert::default(),
            more_events: Vec::new(),
            audit: None,
            notifications: Vec::new(),
            transfer: None,
            inbound: None,
            attachments: Vec::new(),
            invitation: None,
            callback: None,
        }
    }
}

/// The statuses of a case no one has to act on any more (`Status::is_open` is false), in SQL.
pub(crate) const ENDED: &str = "('resolved', 'closed', 'rejected', 'merged')";

pub(crate) const CASE_SELECT: &str = "SELECT c.id, c.reference, c.token_hash, c.entity_id, e.code AS entity_code, \
     c.department_id, d.code AS department_code, c.assignee_id, u.username AS assignee_username, \
     c.service_id, s.code AS service_code, c.kind, c.status, c.channel, c.language, c.priority, \
     c.description, c.answers, c.lat, c.lon, c.address, c.reporter_name, c.reporter_phone, \
     c.reporter_email, c.reporter_language, c.reporter_handle, c.resolution, c.created_at, c.updated_at, \
     c.sla_response_target, c.sla_resolution_target, c.sla_started_at, c.sla_paused_at, c.sla_paused_micros, c.first_response_due, c.first_responded_at, \
     c.resolution_due, c.escalation_level, c.next_escalation_at, c.linked_case_id, lc.reference AS linked_reference, \
     c.merged_into_id, mc.reference AS merged_into_reference, c.point_id, c.reporter_sealed \
     FROM cases c JOIN entities e ON e.id = c.entity_id JOIN services s ON s.id = c.service_id \
     LEFT JOIN departments d ON d.id = c.department_id LEFT JOIN staff_users u ON u.id = c.assignee_id \
     LEFT JOIN cases lc ON lc.id = c.linked_case_id LEFT JOIN cases mc ON mc.id = c.merged_into_id";

/// A new case's notification gets the reference the store just gave the case: as
/// `reference` in its payload, and in place of `{reference}` in its tracking link.
fn with_reference(message: &OutboxInsert, reference: &str) -> OutboxInsert {
    let mut payload: serde_json::Value =
        serde_json::from_str(&message.payload).unwrap_or_else(|_| serde_json::json!({}));
    if let Some(fields) = payload.as_object_mut() {
        fields.insert("reference".into(), reference.into());
        if let Some(serde_json::Value::String(url)) = fields.get_mut("track_url") {
            *url = url.replace("{reference}", reference);
        }
    }
    OutboxInsert {
        payload: payload.to_string(),
        ..message.clone()
    }
}

for_both_backends! {
    uses { audit: insert_audit_row; cases::attachments: insert_attachment; cases::mail: insert_case_mail; cases::search: index_case, index_case_and_events, index_text, indexed_words, unindex; cases::survey: write_invitation; jobs: insert_outbox; callbacks: insert_callback; }

    /// Records an event; the words of its body (a reply, a note, a reason) become searchable.
    pub async fn insert_event(c: &mut Conn, e: &EventInsert) -> StoreResult<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO case_events (case_id, at, actor_type, actor_id, actor_name, action, from_status, to_status, \
             public, body, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(e.case_id).bind(e.at).bind(&e.actor_type).bind(e.actor_id).bind(&e.actor_name).bind(&e.action)
        .bind(e.from_status).bind(e.to_status).bind(e.public).bind(&e.body).bind(&e.details)
        .fetch_one(&mut *c).await?;
        if let Some(body) = &e.body {
            index_text(c, (e.case_id, body.as_str())).await?;
        }
        Ok(id)
    }

    pub async fn replay_idempotent(c: &mut Conn, key: &IdempotencyInsert) -> StoreResult<Option<Inserted>> {
        let seen: Option<(String, i64, String, String)> = sqlx::query_as(
            "SELECT k.fingerprint, c.id, c.reference, k.token FROM idempotency_keys k JOIN cases c ON c.id = k.case_id \
             WHERE k.key = $1",
        )
        .bind(&key.key).fetch_optional(&mut *c).await?;
        match seen {
            None => Ok(None),
            Some((fingerprint, _, _, _)) if fingerprint != key.fingerprint => Err(StoreError::IdempotencyKeyReused),
            Some((_, id, reference, token)) => Ok(Some(Inserted::Replayed { id, reference, token })),
        }
    }

    /// An e-mail notification of a case is one of the case's mails: a reply to it threads back.
    async fn remember_outgoing_mail(c: &mut Conn, (message, outbox_id, case_id): (&OutboxInsert, i64, i64)) -> StoreResult<()> {
        if message.channel == "email" {
            let mail = crate::CaseMailRow {
                message_id: tawasul_domain::notification_message_id(outbox_id),
                case_id,
                outgoing: true,
                created_at: message.created_at,
            };
            insert_case_mail(c, mail).await?;
        }
        Ok(())
    }

    /// Writes a case, its reporter's details sealed when there is a cipher.
    pub async fn insert_case(c: &mut Conn, (case, cipher): (CaseInsert, Cipher)) -> StoreResult<Inserted> {
        if let Some(key) = &case.idempotency {
            if let Some(earlier) = replay_idempotent(c, key).await? {
                return Ok(earlier);
            }
        }
        let id = dialect::next_case_id(c).await?;
        let year = tawasul_domain::from_micros(case.created_at).year();
        let reference = tawasul_domain::reference(year, id);
        let reporter = ReporterColumns::of(
            cipher.as_deref(), id, case.reporter_name.clone(), case.reporter_phone.clone(), case.reporter_email.clone(),
        );
        sqlx::query(
            "INSERT INTO cases (id, reference, token_hash, entity_id, department_id, service_id, kind, status, channel, \
             language, priority, description, answers, lat, lon, address, reporter_name, reporter_phone, reporter_email, \
             reporter_language, created_at, updated_at, sla_started_at, sla_paused_at, sla_paused_micros, \
             first_response_due, first_responded_at, resolution_due, escalation_level, next_escalation_at, linked_case_id, \
             sla_response_target, sla_resolution_target, area_id, reporter_handle, reporter_sealed, reporter_phone_index, \
             reporter_email_index) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21, \
             $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37)",
        )
        .bind(id).bind(&reference).bind(&case.token_hash).bind(case.entity_id).bind(case.department_id)
        .bind(case.service_id).bind(&case.kind).bind(&case.status).bind(&case.channel).bind(&case.language)
        .bind(&case.priority).bind(&case.description).bind(&case.answers).bind(case.lat).bind(case.lon)
        .bind(&case.address).bind(&reporter.name).bind(&reporter.phone).bind(&reporter.email)
        .bind(&case.reporter_language).bind(case.created_at)
        .bind(case.sla.sla_started_at).bind(case.sla.sla_paused_at).bind(case.sla.sla_paused_micros)
        .bind(case.sla.first_response_due).bind(case.sla.first_responded_at).bind(case.sla.resolution_due)
        .bind(case.sla.escalation_level).bind(case.sla.next_escalation_at).bind(case.linked_case_id)
        .bind(case.sla.sla_response_target).bind(case.sla.sla_resolution_target).bind(case.area_id)
        .bind(&case.reporter_handle).bind(&reporter.sealed).bind(&reporter.phone_index).bind(&reporter.email_index)
        .execute(&mut *c).await?;
        index_case(c, id).await?;
        if let Some(point) = case.point_id {
            sqlx::query("UPDATE cases SET point_id = $1 WHERE id = $2").bind(point).bind(id).execute(&mut *c).await?;
            sqlx::query("UPDATE service_points SET case_count = case_count + 1 WHERE id = $1")
                .bind(point).execute(&mut *c).await?;
        }
        if let (Some(linked), Some(event)) = (case.linked_case_id, &case.linked_event) {
            let mut details: serde_json::Value = serde_json::from_str(&event.details).unwrap_or_else(|_| serde_json::json!({}));
            details["linked_reference"] = reference.clone().into();
            insert_event(c, &EventInsert { case_id: linked, details: details.to_string(), ..event.clone() }).await?;
            sqlx::query("UPDATE cases SET updated_at = $2 WHERE id = $1").bind(linked).bind(case.created_at)
                .execute(&mut *c).await?;
        }
        if let Some(key) = &case.idempotency {
            sqlx::query("INSERT INTO idempotency_keys (key, fingerprint, case_id, token, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&key.key).bind(&key.fingerprint).bind(id).bind(&case.token).bind(case.created_at)
                .execute(&mut *c).await?;
        }
        for event in &case.events {
            insert_event(c, &EventInsert { case_id: id, ..event.clone() }).await?;
        }
        for message in &case.notifications {
            let outbox_id = insert_outbox(c, &with_reference(message, &reference)).await?;
            remember_outgoing_mail(c, (message, outbox_id, id)).await?;
        }
        for attachment in case.attachments {
            let event = EventInsert { case_id: id, ..attachment.event };
            insert_attachment(c, AttachmentInsert { case_id: id, event, ..attachment }).await?;
        }
        Ok(Inserted::Created { id, reference })
    }

    /// Many cases in one transaction (imports, load benchmarks); returns how many.
    pub async fn insert_cases(c: &mut Conn, (cases, cipher): (Vec<CaseInsert>, Cipher)) -> StoreResult<usize> {
        let n = cases.len();
        for case in cases {
            insert_case(c, (case, cipher.clone())).await?;
        }
        Ok(n)
    }

    pub async fn case_by_reference(c: &mut Conn, reference: &str) -> StoreResult<Option<CaseRow>> {
        Ok(sqlx::query_as(&format!("{CASE_SELECT} WHERE c.reference = $1"))
            .bind(reference).fetch_optional(&mut *c).await?)
    }

    pub async fn events(c: &mut Conn, case_id: i64) -> StoreResult<Vec<EventRow>> {
        Ok(sqlx::query_as(
            "SELECT id, case_id, at, actor_type, actor_id, actor_name, action, from_status, to_status, public, body, details \
             FROM case_events WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id).fetch_all(&mut *c).await?)
    }

    /// `cipher` seals the call-back's number, when the change asks for one.
    pub async fn change_case(c: &mut Conn, (change, cipher): (CaseChange, Cipher)) -> StoreResult<()> {
        if let Some((channel, message_id)) = &change.inbound {
            sqlx::query("INSERT INTO inbound_messages (channel, message_id, received_at) VALUES ($1, $2, $3)")
                .bind(channel).bind(message_id).bind(change.at)
                .execute(&mut *c).await
                .map_err(|e| StoreError::from(e).unique_as("inbound message"))?;
        }
        // A case moving to another entity takes its search words with it (read as they are
        // indexed now, before the move).
        let moving = match change.entity_id {
            Some(_) => indexed_words(c, change.case_id).await?,
            None => None,
        };
        let mut q = sqlx::QueryBuilder::<Db>::new("UPDATE cases SET updated_at = ");
        q.push_bind(change.at);
        if let Some(v) = change.status { q.push(", status = ").push_bind(v); }
        if let Some(v) = change.entity_id { q.push(", entity_id = ").push_bind(v); }
        if let Some(v) = change.service_id { q.push(", service_id = ").push_bind(v); }
        if let Some(v) = change.priority { q.push(", priority = ").push_bind(v); }
        if let Some(v) = change.department_id { q.push(", department_id = ").push_bind(v); }
        if let Some(v) = change.assignee_id { q.push(", assignee_id = ").push_bind(v); }
        if let Some(v) = &change.resolution { q.push(", resolution = ").push_bind(v.clone()); }
        if let Some(v) = change.merged_into_id { q.push(", merged_into_id = ").push_bind(v); }
        if let Some(sla) = &change.sla {
            q.push(", sla_response_target = ").push_bind(sla.sla_response_target);
            q.push(", sla_resolution_target = ").push_bind(sla.sla_resolution_target);
            q.push(", sla_started_at = ").push_bind(sla.sla_started_at);
            q.push(", sla_paused_at = ").push_bind(sla.sla_paused_at);
            q.push(", sla_paused_micros = ").push_bind(sla.sla_paused_micros);
            q.push(", first_response_due = ").push_bind(sla.first_response_due);
            q.push(", first_responded_at = ").push_bind(sla.first_responded_at);
            q.push(", resolution_due = ").push_bind(sla.resolution_due);
            q.push(", escalation_level = ").push_bind(sla.escalation_level);
            q.push(", next_escalation_at = ").push_bind(sla.next_escalation_at);
        }
        q.push(" WHERE id = ").push_bind(change.case_id);
        q.push(" AND status = ").push_bind(change.expected_status);
        if let Some(level) = change.expected_escalation_level {
            q.push(" AND escalation_level = ").push_bind(level);
        }
        let updated = q.build().execute(&mut *c).await?;
        if updated.rows_affected() != 1 {
            let now: Option<String> = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
                .bind(change.case_id).fetch_optional(&mut *c).await?;
            return Err(StoreError::Conflict(now.unwrap_or_else(|| "gone".into())));
        }
        match &moving {
            Some((old, words)) if Some(old.entity_id) != change.entity_id => {
                unindex(c, (old, words)).await?;
                index_case_and_events(c, change.case_id).await?;
            }
            // Found by its new service's name too.
            _ if change.service_id.is_some() => index_case(c, change.case_id).await?,
            _ => {}
        }
        if let Some(target) = change.merged_into_id {
            // The case that stays must still be open and not itself merged or handed away
            // when the duplicate joins it, whatever happened since the caller looked.
            let still_open = sqlx::query(&format!(
                "UPDATE cases SET updated_at = $2 WHERE id = $1 AND status NOT IN {ENDED} AND status <> 'transferred'"
            ))
            .bind(target).bind(change.at).execute(&mut *c).await?;
            if still_open.rows_affected() != 1 {
                return Err(StoreError::Conflict("the case to merge into is no longer open".into()));
            }
        }
        if let Some(resolution) = &change.resolution {
            index_text(c, (change.case_id, resolution)).await?;
        }
        insert_event(c, &change.event).await?;
        for event in &change.more_events {
            insert_event(c, event).await?;
        }
        for attachment in change.attachments {
            insert_attachment(c, attachment).await?;
        }
        if let Some(invitation) = &change.invitation {
            write_invitation(c, (change.case_id, invitation)).await?;
        }
        if let Some(callback) = &change.callback {
            insert_callback(c, (change.case_id, change.at, callback, &cipher)).await?;
        }
        if let Some(audit) = &change.audit {
            insert_audit_row(c, audit).await?;
        }
        for message in &change.notifications {
            let outbox_id = insert_outbox(c, message).await?;
            remember_outgoing_mail(c, (message, outbox_id, change.case_id)).await?;
        }
        match &change.transfer {
            None => {}
            Some(TransferWrite::Open(t)) => {
                sqlx::query(
                    "INSERT INTO transfers (case_id, from_entity_id, to_entity_id, from_department_id, to_department_id, \
                     from_status, reason, status, requested_by, requested_at, accept_due, resolve_due) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(change.case_id).bind(t.from_entity_id).bind(t.to_entity_id).bind(t.from_department_id)
                .bind(t.to_department_id).bind(t.from_status).bind(&t.reason).bind(&t.status).bind(t.requested_by)
                .bind(t.requested_at).bind(t.accept_due).bind(t.resolve_due)
                .execute(&mut *c).await?;
            }
            Some(TransferWrite::Decide { id, status, decided_by, decided_at, reason }) => {
                let decided = sqlx::query(
                    "UPDATE transfers SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5 \
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind(id).bind(status).bind(decided_by).bind(decided_at).bind(reason)
                .execute(&mut *c).await?;
                if decided.rows_affected() != 1 {
                    return Err(StoreError::Conflict(format!("transfer {id} already decided")));
                }
            }
        }
        Ok(())
    }
}

impl Store {
    /// Writes a new case with its first events, or, when its idempotency key was seen
    /// before with the same request, returns the case that key made.
    pub async fn insert_case(&self, case: CaseInsert) -> StoreResult<Inserted> {
        let key = case.idempotency.clone();
        match write_op!(self, insert_case, (case, self.cipher())) {
            // Two PostgreSQL nodes raced on one key: the loser finds the winner's case.
            Err(e)
                if key.is_some()
                    && matches!(&e, StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation()) =>
            {
                let Some(key) = key else { return Err(e) };
                read_op!(self, replay_idempotent, &key)?.ok_or(e)
            }
            other => other,
        }
    }

    /// Many cases in one transaction: all or none.
    pub async fn insert_cases(&self, cases: Vec<CaseInsert>) -> StoreResult<usize> {
        write_op!(self, insert_cases, (cases, self.cipher()))
    }

    pub async fn case_by_reference(&self, reference: &str) -> StoreResult<Option<CaseRow>> {
        read_op!(self, case_by_reference, reference)?
            .map(|row| self.open_case(row))
            .transpose()
    }

    pub async fn events(&self, case_id: i64) -> StoreResult<Vec<EventRow>> {
        read_op!(self, events, case_id)
    }

    /// Applies a change to a case if it is still in the status the caller saw.
    pub async fn change_case(&self, change: CaseChange) -> StoreResult<()> {
        write_op!(self, change_case, (change, self.cipher()))
    }
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
