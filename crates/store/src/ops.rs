//! Every store operation, written once and compiled for each backend (`sqlite`, `pg`).
//! The SQL here is the shared dialect: `$n` placeholders, integer instants, JSON as text.

use crate::records::*;
use crate::{StoreError, StoreResult};
use chrono::Datelike;

macro_rules! for_both_backends {
    ($($item:item)*) => {
        pub mod sqlite {
            use super::*;
            use crate::dialect::sqlite as dialect;
            pub type Db = sqlx::Sqlite;
            pub type Conn = sqlx::SqliteConnection;
            $($item)*
        }
        pub mod pg {
            use super::*;
            use crate::dialect::pg as dialect;
            pub type Db = sqlx::Postgres;
            pub type Conn = sqlx::PgConnection;
            $($item)*
        }
    };
}

const CASE_SELECT: &str = "SELECT c.id, c.reference, c.token_hash, c.entity_id, e.code AS entity_code, \
     c.department_id, d.code AS department_code, c.assignee_id, u.username AS assignee_username, \
     c.service_id, s.code AS service_code, c.kind, c.status, c.channel, c.language, c.priority, \
     c.description, c.answers, c.lat, c.lon, c.address, c.reporter_name, c.reporter_phone, \
     c.reporter_email, c.reporter_language, c.resolution, c.created_at, c.updated_at, \
     c.sla_response_target, c.sla_resolution_target, c.sla_started_at, c.sla_paused_at, c.sla_paused_micros, c.first_response_due, c.first_responded_at, \
     c.resolution_due, c.escalation_level, c.next_escalation_at, c.linked_case_id, lc.reference AS linked_reference, \
     c.merged_into_id, mc.reference AS merged_into_reference \
     FROM cases c JOIN entities e ON e.id = c.entity_id JOIN services s ON s.id = c.service_id \
     LEFT JOIN departments d ON d.id = c.department_id LEFT JOIN staff_users u ON u.id = c.assignee_id \
     LEFT JOIN cases lc ON lc.id = c.linked_case_id LEFT JOIN cases mc ON mc.id = c.merged_into_id";

const TRANSFER_SELECT: &str = "SELECT t.id, t.case_id, t.from_entity_id, fe.code AS from_entity_code, t.to_entity_id, \
     te.code AS to_entity_code, t.from_department_id, t.to_department_id, t.from_status, t.reason, t.status, \
     t.requested_by, t.requested_at, t.accept_due, t.resolve_due, t.decided_at, t.decision_reason \
     FROM transfers t JOIN entities fe ON fe.id = t.from_entity_id JOIN entities te ON te.id = t.to_entity_id";

const SERVICE_SELECT: &str = "SELECT s.id, s.entity_id, e.code AS entity_code, s.code, s.name_ar, s.name_en, \
     s.description_ar, s.description_en, s.kinds, s.fields, s.default_department_id, \
     d.code AS default_department_code, s.default_priority \
     FROM services s JOIN entities e ON e.id = s.entity_id \
     LEFT JOIN departments d ON d.id = s.default_department_id";

const MANAGED_SERVICE_SELECT: &str = "SELECT s.id, s.entity_id, e.code AS entity_code, s.code, s.name_ar, s.name_en, \
     s.description_ar, s.description_en, s.kinds, s.fields, s.default_department_id, \
     d.code AS default_department_code, s.default_priority, s.active, \
     EXISTS (SELECT 1 FROM cases c WHERE c.service_id = s.id) AS has_cases \
     FROM services s JOIN entities e ON e.id = s.entity_id \
     LEFT JOIN departments d ON d.id = s.default_department_id";

const STAFF_SELECT: &str = "SELECT u.id, u.username, u.password_hash, u.role, u.entity_id, e.code AS entity_code, \
     u.department_id, u.display_name, u.email, u.active FROM staff_users u LEFT JOIN entities e ON e.id = u.entity_id";

/// `%word%` for LIKE, with LIKE's own wildcards in the word taken literally.
fn like_pattern(word: &str) -> String {
    let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

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
    pub async fn is_empty(c: &mut Conn, _: ()) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM entities").fetch_one(&mut *c).await?;
        Ok(n == 0)
    }

    pub async fn insert_entity(c: &mut Conn, e: EntityInsert) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO entities (code, name_ar, name_en, entity_type) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(e.code).bind(e.name_ar).bind(e.name_en).bind(e.entity_type)
        .fetch_one(&mut *c).await?)
    }

    pub async fn insert_department(c: &mut Conn, d: DepartmentInsert) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO departments (entity_id, code, name_ar, name_en) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(d.entity_id).bind(d.code).bind(d.name_ar).bind(d.name_en)
        .fetch_one(&mut *c).await?)
    }

    pub async fn insert_service(c: &mut Conn, s: ServiceInsert) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO services (entity_id, code, name_ar, name_en, description_ar, description_en, kinds, fields, \
             default_department_id, default_priority) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(s.entity_id).bind(s.code).bind(s.name_ar).bind(s.name_en).bind(s.description_ar)
        .bind(s.description_en).bind(s.kinds).bind(s.fields).bind(s.default_department_id).bind(s.default_priority)
        .fetch_one(&mut *c).await?)
    }

    pub async fn insert_staff(c: &mut Conn, s: StaffInsert) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO staff_users (username, password_hash, role, entity_id, department_id, display_name, email, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(s.username).bind(s.password_hash).bind(s.role).bind(s.entity_id).bind(s.department_id)
        .bind(s.display_name).bind(s.email).bind(s.created_at)
        .fetch_one(&mut *c).await?)
    }

    pub async fn set_staff_email(c: &mut Conn, (username, email): (String, Option<String>)) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE staff_users SET email = $2 WHERE username = $1")
            .bind(username).bind(email).execute(&mut *c).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Renames an entity; whether it exists.
    pub async fn update_entity(c: &mut Conn, u: EntityUpdate) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE entities SET name_ar = $2, name_en = $3, entity_type = $4 WHERE id = $1")
            .bind(u.id).bind(u.name_ar).bind(u.name_en).bind(u.entity_type).execute(&mut *c).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Renames a department; whether it exists.
    pub async fn update_department(c: &mut Conn, (id, name_ar, name_en): (i64, String, String)) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE departments SET name_ar = $2, name_en = $3 WHERE id = $1")
            .bind(id).bind(name_ar).bind(name_en).execute(&mut *c).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Changes a staff user's name, role, department and e-mail; whether they exist.
    pub async fn update_staff(c: &mut Conn, u: StaffUpdate) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE staff_users SET display_name = $2, role = $3, department_id = $4, email = $5 WHERE id = $1",
        )
        .bind(u.id).bind(u.display_name).bind(u.role).bind(u.department_id).bind(u.email)
        .execute(&mut *c).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deactivates (ending every session) or reactivates a staff user; whether they exist.
    pub async fn set_staff_active(c: &mut Conn, (id, active): (i64, bool)) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE staff_users SET active = $2 WHERE id = $1")
            .bind(id).bind(active).execute(&mut *c).await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(id).execute(&mut *c).await?;
        }
        Ok(done.rows_affected() == 1)
    }

    /// Replaces a staff user's password hash and ends their sessions; whether they exist.
    pub async fn set_staff_password(c: &mut Conn, (id, password_hash): (i64, String)) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE staff_users SET password_hash = $2 WHERE id = $1")
            .bind(id).bind(password_hash).execute(&mut *c).await?;
        sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(id).execute(&mut *c).await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn entity_by_code(c: &mut Conn, code: &str) -> StoreResult<Option<EntityRow>> {
        Ok(sqlx::query_as("SELECT id, code, name_ar, name_en, entity_type FROM entities WHERE code = $1")
            .bind(code).fetch_optional(&mut *c).await?)
    }

    pub async fn department_by_code(c: &mut Conn, (entity_id, code): (i64, &str)) -> StoreResult<Option<DepartmentRow>> {
        Ok(sqlx::query_as(
            "SELECT d.id, d.entity_id, e.code AS entity_code, d.code, d.name_ar, d.name_en \
             FROM departments d JOIN entities e ON e.id = d.entity_id WHERE d.entity_id = $1 AND d.code = $2",
        )
        .bind(entity_id).bind(code).fetch_optional(&mut *c).await?)
    }

    pub async fn departments(c: &mut Conn, _: ()) -> StoreResult<Vec<DepartmentRow>> {
        Ok(sqlx::query_as(
            "SELECT d.id, d.entity_id, e.code AS entity_code, d.code, d.name_ar, d.name_en \
             FROM departments d JOIN entities e ON e.id = d.entity_id ORDER BY d.id",
        )
        .fetch_all(&mut *c).await?)
    }

    pub async fn services(c: &mut Conn, _: ()) -> StoreResult<Vec<ServiceRow>> {
        Ok(sqlx::query_as(&format!("{SERVICE_SELECT} WHERE s.active ORDER BY s.id"))
            .fetch_all(&mut *c).await?)
    }

    pub async fn service_by_code(c: &mut Conn, code: &str) -> StoreResult<Option<ServiceRow>> {
        Ok(sqlx::query_as(&format!("{SERVICE_SELECT} WHERE s.active AND s.code = $1"))
            .bind(code).fetch_optional(&mut *c).await?)
    }

    pub async fn staff_by_username(c: &mut Conn, username: &str) -> StoreResult<Option<StaffRow>> {
        Ok(sqlx::query_as(&format!("{STAFF_SELECT} WHERE u.username = $1"))
            .bind(username).fetch_optional(&mut *c).await?)
    }

    pub async fn staff_by_id(c: &mut Conn, id: i64) -> StoreResult<Option<StaffRow>> {
        Ok(sqlx::query_as(&format!("{STAFF_SELECT} WHERE u.id = $1"))
            .bind(id).fetch_optional(&mut *c).await?)
    }

    pub async fn staff(c: &mut Conn, _: ()) -> StoreResult<Vec<StaffRow>> {
        Ok(sqlx::query_as(&format!("{STAFF_SELECT} ORDER BY u.id")).fetch_all(&mut *c).await?)
    }

    pub async fn insert_session(c: &mut Conn, s: SessionInsert) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (token_hash, staff_id, contact, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(s.token_hash).bind(s.staff_id).bind(s.contact).bind(s.created_at).bind(s.expires_at)
            .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn session(c: &mut Conn, (token_hash, now): (&str, i64)) -> StoreResult<Option<SessionRow>> {
        Ok(sqlx::query_as(
            "SELECT s.staff_id, s.contact, s.expires_at FROM sessions s LEFT JOIN staff_users u ON u.id = s.staff_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND (s.staff_id IS NULL OR u.active)",
        )
        .bind(token_hash).bind(now).fetch_optional(&mut *c).await?)
    }

    pub async fn delete_session(c: &mut Conn, token_hash: String) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *c).await?;
        Ok(())
    }

    pub async fn insert_otp(c: &mut Conn, (otp, message): (OtpInsert, OutboxInsert)) -> StoreResult<()> {
        sqlx::query("INSERT INTO otp_codes (contact, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(otp.contact).bind(otp.code_hash).bind(otp.created_at).bind(otp.expires_at)
            .execute(&mut *c).await?;
        insert_outbox(c, &message).await
    }

    pub async fn redeem_otp(c: &mut Conn, a: OtpAttempt) -> StoreResult<bool> {
        let latest: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT id, code_hash, attempts FROM otp_codes WHERE contact = $1 AND NOT used AND expires_at > $2 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(&a.contact).bind(a.now).fetch_optional(&mut *c).await?;
        let Some((id, code_hash, attempts)) = latest else { return Ok(false) };
        if attempts >= a.max_attempts {
            return Ok(false);
        }
        let matched = code_hash == a.code_hash;
        sqlx::query("UPDATE otp_codes SET attempts = attempts + 1, used = $2 WHERE id = $1")
            .bind(id).bind(matched).execute(&mut *c).await?;
        Ok(matched)
    }

    pub async fn recent_otp_count(c: &mut Conn, (contact, since): (&str, i64)) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM otp_codes WHERE contact = $1 AND created_at > $2")
            .bind(contact).bind(since).fetch_one(&mut *c).await?)
    }

    pub async fn outbox(c: &mut Conn, limit: i64) -> StoreResult<Vec<OutboxRow>> {
        Ok(sqlx::query_as(
            "SELECT id, channel, recipient, template, language, payload, status, created_at FROM outbox ORDER BY id DESC LIMIT $1",
        )
        .bind(limit).fetch_all(&mut *c).await?)
    }

    /// A notification and the job that delivers it, in the caller's transaction: a committed
    /// notification is always delivered, and only once enqueued.
    async fn insert_outbox(c: &mut Conn, m: &OutboxInsert) -> StoreResult<()> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (channel, recipient, template, language, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&m.channel).bind(&m.recipient).bind(&m.template).bind(&m.language).bind(&m.payload).bind(m.created_at)
        .fetch_one(&mut *c).await?;
        let job = JobInsert {
            kind: "deliver".into(),
            key: format!("deliver:{id}"),
            payload: serde_json::json!({ "outbox_id": id }).to_string(),
            run_at: m.created_at,
        };
        enqueue_job(c, job).await
    }

    async fn insert_event(c: &mut Conn, e: &EventInsert) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO case_events (case_id, at, actor_type, actor_id, actor_name, action, from_status, to_status, \
             public, body, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(e.case_id).bind(e.at).bind(&e.actor_type).bind(e.actor_id).bind(&e.actor_name).bind(&e.action)
        .bind(&e.from_status).bind(&e.to_status).bind(e.public).bind(&e.body).bind(&e.details)
        .fetch_one(&mut *c).await?)
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

    pub async fn insert_case(c: &mut Conn, case: CaseInsert) -> StoreResult<Inserted> {
        if let Some(key) = &case.idempotency {
            if let Some(earlier) = replay_idempotent(c, key).await? {
                return Ok(earlier);
            }
        }
        let id = dialect::next_case_id(c).await?;
        let year = tawasul_domain::from_micros(case.created_at).year();
        let reference = tawasul_domain::reference(year, id);
        sqlx::query(
            "INSERT INTO cases (id, reference, token_hash, entity_id, department_id, service_id, kind, status, channel, \
             language, priority, description, answers, lat, lon, address, reporter_name, reporter_phone, reporter_email, \
             reporter_language, search_text, created_at, updated_at, sla_started_at, sla_paused_at, sla_paused_micros, \
             first_response_due, first_responded_at, resolution_due, escalation_level, next_escalation_at, linked_case_id, \
             sla_response_target, sla_resolution_target) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22, \
             $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)",
        )
        .bind(id).bind(&reference).bind(&case.token_hash).bind(case.entity_id).bind(case.department_id)
        .bind(case.service_id).bind(&case.kind).bind(&case.status).bind(&case.channel).bind(&case.language)
        .bind(&case.priority).bind(&case.description).bind(&case.answers).bind(case.lat).bind(case.lon)
        .bind(&case.address).bind(&case.reporter_name).bind(&case.reporter_phone).bind(&case.reporter_email)
        .bind(&case.reporter_language).bind(&case.search_text).bind(case.created_at)
        .bind(case.sla.sla_started_at).bind(case.sla.sla_paused_at).bind(case.sla.sla_paused_micros)
        .bind(case.sla.first_response_due).bind(case.sla.first_responded_at).bind(case.sla.resolution_due)
        .bind(case.sla.escalation_level).bind(case.sla.next_escalation_at).bind(case.linked_case_id)
        .bind(case.sla.sla_response_target).bind(case.sla.sla_resolution_target)
        .execute(&mut *c).await?;
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
            insert_outbox(c, &with_reference(message, &reference)).await?;
        }
        for attachment in case.attachments {
            let event = EventInsert { case_id: id, ..attachment.event };
            insert_attachment(c, AttachmentInsert { case_id: id, event, ..attachment }).await?;
        }
        Ok(Inserted::Created { id, reference })
    }

    /// Many cases in one transaction (imports, load benchmarks); returns how many.
    pub async fn insert_cases(c: &mut Conn, cases: Vec<CaseInsert>) -> StoreResult<usize> {
        let n = cases.len();
        for case in cases {
            insert_case(c, case).await?;
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

    pub async fn change_case(c: &mut Conn, change: CaseChange) -> StoreResult<()> {
        let mut q = sqlx::QueryBuilder::<Db>::new("UPDATE cases SET updated_at = ");
        q.push_bind(change.at);
        if let Some(v) = &change.status { q.push(", status = ").push_bind(v.clone()); }
        if let Some(v) = change.entity_id { q.push(", entity_id = ").push_bind(v); }
        if let Some(v) = change.service_id { q.push(", service_id = ").push_bind(v); }
        if let Some(v) = &change.priority { q.push(", priority = ").push_bind(v.clone()); }
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
        q.push(" AND status = ").push_bind(change.expected_status.clone());
        if let Some(level) = change.expected_escalation_level {
            q.push(" AND escalation_level = ").push_bind(level);
        }
        let updated = q.build().execute(&mut *c).await?;
        if updated.rows_affected() != 1 {
            let now: Option<String> = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
                .bind(change.case_id).fetch_optional(&mut *c).await?;
            return Err(StoreError::Conflict(now.unwrap_or_else(|| "gone".into())));
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
        insert_event(c, &change.event).await?;
        for event in &change.more_events {
            insert_event(c, event).await?;
        }
        if let Some(audit) = &change.audit {
            insert_audit_row(c, audit).await?;
        }
        for message in &change.notifications {
            insert_outbox(c, message).await?;
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
                .bind(t.to_department_id).bind(&t.from_status).bind(&t.reason).bind(&t.status).bind(t.requested_by)
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

    pub async fn list_cases(c: &mut Conn, f: &CaseFilter) -> StoreResult<Vec<CaseRow>> {
        let mut q = sqlx::QueryBuilder::<Db>::new(CASE_SELECT);
        q.push(" WHERE 1 = 1");
        match (f.scope, f.entity_id) {
            (QueueScope::Followed, Some(v)) => {
                q.push(" AND c.entity_id <> ").push_bind(v);
                q.push(" AND EXISTS (SELECT 1 FROM transfers t WHERE t.case_id = c.id AND t.from_entity_id = ").push_bind(v).push(")");
            }
            (QueueScope::Followed, None) => {
                q.push(" AND EXISTS (SELECT 1 FROM transfers t WHERE t.case_id = c.id AND t.from_entity_id <> t.to_entity_id)");
            }
            (_, Some(v)) => { q.push(" AND c.entity_id = ").push_bind(v); }
            (_, None) => {}
        }
        match f.scope {
            QueueScope::Entity | QueueScope::Followed => {}
            QueueScope::Triage => { q.push(" AND c.department_id IS NULL"); }
            QueueScope::TransferredIn => { q.push(" AND c.status = 'transferred'"); }
            QueueScope::Escalated => { q.push(" AND (c.escalation_level > 0 OR c.kind = 'escalation')"); }
        }
        match f.sla {
            None => {}
            Some(SlaFilter::Overdue { now }) => {
                q.push(format!(" AND c.status NOT IN {ENDED} AND c.sla_paused_at IS NULL AND ((c.first_responded_at IS NULL AND c.first_response_due < "))
                    .push_bind(now).push(") OR c.resolution_due < ").push_bind(now).push(")");
            }
            Some(SlaFilter::DueBefore { now, before }) => {
                q.push(format!(" AND c.status NOT IN {ENDED} AND c.sla_paused_at IS NULL AND c.resolution_due >= "))
                    .push_bind(now).push(" AND c.resolution_due < ").push_bind(before);
            }
        }
        if let Some(v) = &f.priority { q.push(" AND c.priority = ").push_bind(v.clone()); }
        if !f.statuses.is_empty() {
            q.push(" AND c.status IN (");
            let mut each = q.separated(", ");
            for s in &f.statuses { each.push_bind(s.clone()); }
            q.push(")");
        }
        if let Some(v) = f.service_id { q.push(" AND c.service_id = ").push_bind(v); }
        if let Some(v) = f.department_id { q.push(" AND c.department_id = ").push_bind(v); }
        if let Some(v) = f.assignee_id { q.push(" AND c.assignee_id = ").push_bind(v); }
        if let Some(v) = &f.channel { q.push(" AND c.channel = ").push_bind(v.clone()); }
        if let Some(v) = &f.kind { q.push(" AND c.kind = ").push_bind(v.clone()); }
        if let Some(v) = f.created_from { q.push(" AND c.created_at >= ").push_bind(v); }
        if let Some(v) = f.created_to { q.push(" AND c.created_at < ").push_bind(v); }
        for w in &f.words {
            q.push(" AND c.search_text LIKE ").push_bind(like_pattern(w)).push(" ESCAPE '\\'");
        }
        let (first, second) = f.order.key_sql();
        let (beyond, direction) = if f.order.descending() { ("<", "DESC") } else { (">", "ASC") };
        let keys = match second { Some(second) => format!("{first}, {second}, c.id"), None => format!("{first}, c.id") };
        if let Some(after) = f.after {
            q.push(format!(" AND ({keys}) {beyond} (")).push_bind(after.first).push(", ");
            if second.is_some() { q.push_bind(after.second).push(", "); }
            q.push_bind(after.id).push(")");
        }
        let order = match second {
            Some(second) => format!("{first} {direction}, {second} {direction}, c.id {direction}"),
            None => format!("{first} {direction}, c.id {direction}"),
        };
        q.push(format!(" ORDER BY {order} LIMIT ")).push_bind(f.limit);
        Ok(q.build_query_as::<CaseRow>().fetch_all(&mut *c).await?)
    }

    pub async fn cases_for_contact(c: &mut Conn, (phone, email, limit): (Option<String>, Option<String>, i64)) -> StoreResult<Vec<CaseRow>> {
        Ok(sqlx::query_as(&format!(
            "{CASE_SELECT} WHERE c.reporter_phone = $1 OR c.reporter_email = $2 ORDER BY c.created_at DESC, c.id DESC LIMIT $3"
        ))
        .bind(phone).bind(email).bind(limit).fetch_all(&mut *c).await?)
    }

    pub async fn count_by_status(c: &mut Conn, _: ()) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT status, COUNT(*) FROM cases GROUP BY status ORDER BY status")
            .fetch_all(&mut *c).await?)
    }

    pub async fn insert_attachment(c: &mut Conn, a: AttachmentInsert) -> StoreResult<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO attachments (case_id, blob_key, mime, size_bytes, filename, public, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(a.case_id).bind(&a.blob_key).bind(&a.mime).bind(a.size_bytes).bind(&a.filename).bind(a.public)
        .bind(&a.uploaded_by).bind(a.created_at)
        .fetch_one(&mut *c).await?;
        insert_event(c, &a.event).await?;
        Ok(id)
    }

    pub async fn attachments(c: &mut Conn, case_id: i64) -> StoreResult<Vec<AttachmentRow>> {
        Ok(sqlx::query_as(
            "SELECT id, case_id, blob_key, mime, size_bytes, filename, public, uploaded_by, created_at \
             FROM attachments WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id).fetch_all(&mut *c).await?)
    }

    async fn insert_audit_row(c: &mut Conn, a: &AuditInsert) -> StoreResult<()> {
        sqlx::query("INSERT INTO audit_log (at, staff_id, action, target, details) VALUES ($1, $2, $3, $4, $5)")
            .bind(a.at).bind(a.staff_id).bind(&a.action).bind(&a.target).bind(&a.details)
            .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn insert_audit(c: &mut Conn, a: AuditInsert) -> StoreResult<()> {
        insert_audit_row(c, &a).await
    }

    pub async fn audit_log(c: &mut Conn, limit: i64) -> StoreResult<Vec<AuditRow>> {
        Ok(sqlx::query_as("SELECT id, at, staff_id, action, target, details FROM audit_log ORDER BY id DESC LIMIT $1")
            .bind(limit).fetch_all(&mut *c).await?)
    }

    // Workflow configuration.

    pub async fn upsert_policy(c: &mut Conn, p: PolicyRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO entity_policies (entity_id, calendar, escalation, ignored_after_days, satisfaction_department_id, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (entity_id) DO UPDATE SET calendar = $2, \
             escalation = $3, ignored_after_days = $4, satisfaction_department_id = $5, updated_at = $6",
        )
        .bind(p.entity_id).bind(p.calendar).bind(p.escalation).bind(p.ignored_after_days)
        .bind(p.satisfaction_department_id).bind(p.updated_at)
        .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn policies(c: &mut Conn, _: ()) -> StoreResult<Vec<PolicyRow>> {
        Ok(sqlx::query_as(
            "SELECT entity_id, calendar, escalation, ignored_after_days, satisfaction_department_id, updated_at \
             FROM entity_policies ORDER BY entity_id",
        )
        .fetch_all(&mut *c).await?)
    }

    pub async fn upsert_sla_target(c: &mut Conn, t: SlaTargetRow) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM sla_targets WHERE entity_id = $1 AND COALESCE(service_id, 0) = COALESCE($2, 0) AND priority = $3",
        )
        .bind(t.entity_id).bind(t.service_id).bind(&t.priority).execute(&mut *c).await?;
        sqlx::query(
            "INSERT INTO sla_targets (entity_id, service_id, priority, first_response_minutes, resolution_minutes) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(t.entity_id).bind(t.service_id).bind(&t.priority).bind(t.first_response_minutes).bind(t.resolution_minutes)
        .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn sla_targets(c: &mut Conn, _: ()) -> StoreResult<Vec<SlaTargetRow>> {
        Ok(sqlx::query_as(
            "SELECT entity_id, service_id, priority, first_response_minutes, resolution_minutes FROM sla_targets ORDER BY id",
        )
        .fetch_all(&mut *c).await?)
    }

    /// Replaces the areas an entity serves with `areas`, in one transaction.
    pub async fn replace_areas(c: &mut Conn, (entity_id, areas, at): (i64, Vec<AreaInsert>, i64)) -> StoreResult<usize> {
        sqlx::query("DELETE FROM areas WHERE entity_id = $1").bind(entity_id).execute(&mut *c).await?;
        for a in &areas {
            sqlx::query("INSERT INTO areas (entity_id, name, geometry, created_at) VALUES ($1, $2, $3, $4)")
                .bind(entity_id).bind(&a.name).bind(&a.geometry).bind(at)
                .execute(&mut *c).await?;
        }
        Ok(areas.len())
    }

    pub async fn areas(c: &mut Conn, _: ()) -> StoreResult<Vec<AreaRow>> {
        Ok(sqlx::query_as("SELECT id, entity_id, name, geometry FROM areas ORDER BY id").fetch_all(&mut *c).await?)
    }

    pub async fn insert_rule(c: &mut Conn, r: RuleInsert) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO routing_rules (entity_id, department_id, service_code, keywords, language, position) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(r.entity_id).bind(r.department_id).bind(r.service_code).bind(r.keywords).bind(r.language).bind(r.position)
        .fetch_one(&mut *c).await?)
    }

    pub async fn rules(c: &mut Conn, _: ()) -> StoreResult<Vec<RuleRow>> {
        Ok(sqlx::query_as(
            "SELECT id, entity_id, department_id, service_code, keywords, language, position FROM routing_rules \
             ORDER BY entity_id, position, id",
        )
        .fetch_all(&mut *c).await?)
    }

    pub async fn upsert_ola(c: &mut Conn, o: OlaRow) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM olas WHERE from_entity_id = $1 AND to_entity_id = $2 AND COALESCE(service_id, 0) = COALESCE($3, 0)",
        )
        .bind(o.from_entity_id).bind(o.to_entity_id).bind(o.service_id).execute(&mut *c).await?;
        sqlx::query(
            "INSERT INTO olas (from_entity_id, to_entity_id, service_id, accept_minutes, resolve_minutes) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(o.from_entity_id).bind(o.to_entity_id).bind(o.service_id).bind(o.accept_minutes).bind(o.resolve_minutes)
        .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn olas(c: &mut Conn, _: ()) -> StoreResult<Vec<OlaRow>> {
        Ok(sqlx::query_as(
            "SELECT from_entity_id, to_entity_id, service_id, accept_minutes, resolve_minutes FROM olas ORDER BY id",
        )
        .fetch_all(&mut *c).await?)
    }

    pub async fn entities(c: &mut Conn, _: ()) -> StoreResult<Vec<EntityRow>> {
        Ok(sqlx::query_as("SELECT id, code, name_ar, name_en, entity_type FROM entities ORDER BY id")
            .fetch_all(&mut *c).await?)
    }

    // Workflow state.

    pub async fn transfers_of(c: &mut Conn, case_id: i64) -> StoreResult<Vec<TransferRow>> {
        Ok(sqlx::query_as(&format!("{TRANSFER_SELECT} WHERE t.case_id = $1 ORDER BY t.id"))
            .bind(case_id).fetch_all(&mut *c).await?)
    }

    /// Cases whose next escalation step is due, earliest first: read from the index on
    /// next_escalation_at, so the cost follows the due cases only.
    pub async fn due_escalations(c: &mut Conn, (now, limit): (i64, i64)) -> StoreResult<Vec<CaseRow>> {
        Ok(sqlx::query_as(&format!(
            "{CASE_SELECT} WHERE c.next_escalation_at <= $1 ORDER BY c.next_escalation_at, c.id LIMIT $2"
        ))
        .bind(now).bind(limit).fetch_all(&mut *c).await?)
    }

    /// When staff last said something the reporter can see (a public event by staff).
    pub async fn last_public_update(c: &mut Conn, case_id: i64) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MAX(at) FROM case_events WHERE case_id = $1 AND public AND actor_type = 'staff'")
            .bind(case_id).fetch_one(&mut *c).await?)
    }

    /// Open escalation cases ("my report was ignored") of a case.
    pub async fn open_escalations_of(c: &mut Conn, case_id: i64) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT reference FROM cases WHERE linked_case_id = $1 AND status NOT IN {ENDED} ORDER BY id"
        ))
        .bind(case_id).fetch_all(&mut *c).await?)
    }

    /// Active staff of an entity with an e-mail address, by role (and department, when given).
    pub async fn staff_to_notify(c: &mut Conn, (entity_id, roles, department_id): (i64, Vec<String>, Option<i64>)) -> StoreResult<Vec<StaffRow>> {
        let mut q = sqlx::QueryBuilder::<Db>::new(STAFF_SELECT);
        q.push(" WHERE u.active AND u.email IS NOT NULL AND u.entity_id = ").push_bind(entity_id);
        q.push(" AND u.role IN (");
        let mut each = q.separated(", ");
        for r in roles { each.push_bind(r); }
        q.push(")");
        if let Some(d) = department_id {
            q.push(" AND (u.department_id IS NULL OR u.department_id = ").push_bind(d).push(")");
        }
        q.push(" ORDER BY u.id");
        Ok(q.build_query_as::<StaffRow>().fetch_all(&mut *c).await?)
    }

    /// Rewrites a case's SLA clock alone, if its escalation level is still `expected_level`.
    pub async fn set_sla(c: &mut Conn, (case_id, expected_level, sla): (i64, i64, CaseSla)) -> StoreResult<()> {
        sqlx::query(
            "UPDATE cases SET sla_started_at = $3, sla_paused_at = $4, sla_paused_micros = $5, first_response_due = $6, \
             first_responded_at = $7, resolution_due = $8, escalation_level = $9, next_escalation_at = $10, \
             sla_response_target = $11, sla_resolution_target = $12 WHERE id = $1 AND escalation_level = $2",
        )
        .bind(case_id).bind(expected_level).bind(sla.sla_started_at).bind(sla.sla_paused_at).bind(sla.sla_paused_micros)
        .bind(sla.first_response_due).bind(sla.first_responded_at).bind(sla.resolution_due).bind(sla.escalation_level)
        .bind(sla.next_escalation_at).bind(sla.sla_response_target).bind(sla.sla_resolution_target)
        .execute(&mut *c).await?;
        Ok(())
    }

    /// Transfers by status: each one is a case that first reached the wrong desk.
    pub async fn count_transfers(c: &mut Conn, _: ()) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT status, COUNT(*) FROM transfers GROUP BY status ORDER BY status").fetch_all(&mut *c).await?)
    }

    pub async fn count_open_cases(c: &mut Conn, _: ()) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM cases WHERE status NOT IN {ENDED}")).fetch_one(&mut *c).await?)
    }

    // Jobs and delivery.

    pub async fn enqueue_job(c: &mut Conn, j: JobInsert) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO jobs (kind, key, payload, status, run_at, created_at, updated_at) \
             VALUES ($1, $2, $3, 'ready', $4, $4, $4) ON CONFLICT (key) DO NOTHING",
        )
        .bind(j.kind).bind(j.key).bind(j.payload).bind(j.run_at)
        .execute(&mut *c).await?;
        Ok(())
    }

    /// Takes up to `limit` jobs that are due, or whose holder's lease ran out, under a lease
    /// for `owner` until `lease_until`. On PostgreSQL, rows another node is claiming are
    /// skipped (`FOR UPDATE SKIP LOCKED`); SQLite has one writer, so claims never overlap.
    pub async fn claim_jobs(c: &mut Conn, (owner, now, lease_until, limit): (String, i64, i64, i64)) -> StoreResult<Vec<JobRow>> {
        Ok(sqlx::query_as(&format!(
            "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2, run_at = $2, \
             attempts = attempts + 1, updated_at = $3 WHERE id IN (SELECT id FROM jobs WHERE status IN ('ready', 'running') \
             AND run_at <= $3 ORDER BY run_at, id LIMIT $4{}) RETURNING id, kind, key, payload, attempts",
            dialect::SKIP_LOCKED
        ))
        .bind(owner).bind(lease_until).bind(now).bind(limit)
        .fetch_all(&mut *c).await?)
    }

    /// Records how a claimed job ended; a job whose lease was taken over meanwhile is left to
    /// its new holder.
    pub async fn finish_job(c: &mut Conn, (id, owner, now, outcome): (i64, String, i64, JobOutcome)) -> StoreResult<bool> {
        let (status, run_at, error, reset) = match outcome {
            JobOutcome::Done => ("done", now, None, false),
            JobOutcome::Again { run_at } => ("ready", run_at, None, true),
            JobOutcome::Retry { run_at, error } => ("ready", run_at, Some(error), false),
            JobOutcome::Dead { error } => ("dead", now, Some(error), false),
        };
        let done = sqlx::query(
            "UPDATE jobs SET status = $3, run_at = $4, last_error = $5, lease_owner = NULL, lease_until = NULL, \
             attempts = CASE WHEN $6 THEN 0 ELSE attempts END, updated_at = $7 \
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id).bind(owner).bind(status).bind(run_at).bind(error).bind(reset).bind(now)
        .execute(&mut *c).await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn job_counts(c: &mut Conn, _: ()) -> StoreResult<Vec<(String, String, i64)>> {
        Ok(sqlx::query_as("SELECT kind, status, COUNT(*) FROM jobs GROUP BY kind, status ORDER BY kind, status")
            .fetch_all(&mut *c).await?)
    }

    /// Forgets finished jobs and idempotency keys older than `before`.
    pub async fn purge(c: &mut Conn, before: i64) -> StoreResult<u64> {
        let jobs = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at < $1").bind(before).execute(&mut *c).await?;
        let keys = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before).execute(&mut *c).await?;
        Ok(jobs.rows_affected() + keys.rows_affected())
    }

    pub async fn outbox_delivery(c: &mut Conn, id: i64) -> StoreResult<Option<OutboxDelivery>> {
        Ok(sqlx::query_as(
            "SELECT id, channel, recipient, template, language, payload, status, attempts, delivered_at, last_error \
             FROM outbox WHERE id = $1",
        )
        .bind(id).fetch_optional(&mut *c).await?)
    }

    pub async fn outbox_deliveries(c: &mut Conn, limit: i64) -> StoreResult<Vec<OutboxDelivery>> {
        Ok(sqlx::query_as(
            "SELECT id, channel, recipient, template, language, payload, status, attempts, delivered_at, last_error \
             FROM outbox ORDER BY id LIMIT $1",
        )
        .bind(limit).fetch_all(&mut *c).await?)
    }

    pub async fn mark_outbox(c: &mut Conn, (id, status, delivered_at, error): (i64, String, Option<i64>, Option<String>)) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = $2, attempts = attempts + 1, delivered_at = COALESCE($3, delivered_at), \
             last_error = $4 WHERE id = $1",
        )
        .bind(id).bind(status).bind(delivered_at).bind(error)
        .execute(&mut *c).await?;
        Ok(())
    }

    // web: the closure survey.

    pub async fn insert_survey(c: &mut Conn, s: SurveyInsert) -> StoreResult<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO case_surveys (case_id, quality, speed, agent, comment, low, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(s.case_id).bind(s.quality).bind(s.speed).bind(s.agent).bind(&s.comment).bind(s.low).bind(s.created_at)
        .fetch_one(&mut *c).await?;
        insert_event(c, &s.event).await?;
        Ok(id)
    }

    pub async fn survey(c: &mut Conn, case_id: i64) -> StoreResult<Option<SurveyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, case_id, quality, speed, agent, comment, low, created_at FROM case_surveys WHERE case_id = $1",
        )
        .bind(case_id).fetch_optional(&mut *c).await?)
    }

    // Reply templates: each write carries its audit row, committed with it.

    pub async fn reply_templates(c: &mut Conn, entity_id: i64) -> StoreResult<Vec<ReplyTemplateRow>> {
        Ok(sqlx::query_as(
            "SELECT id, entity_id, key, language, title, body, updated_at FROM reply_templates \
             WHERE entity_id = $1 ORDER BY key, language",
        )
        .bind(entity_id).fetch_all(&mut *c).await?)
    }

    pub async fn reply_template(c: &mut Conn, id: i64) -> StoreResult<Option<ReplyTemplateRow>> {
        Ok(sqlx::query_as(
            "SELECT id, entity_id, key, language, title, body, updated_at FROM reply_templates WHERE id = $1",
        )
        .bind(id).fetch_optional(&mut *c).await?)
    }

    pub async fn insert_reply_template(c: &mut Conn, (t, audit): (ReplyTemplateInsert, AuditInsert)) -> StoreResult<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO reply_templates (entity_id, key, language, title, body, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(t.entity_id).bind(t.key).bind(t.language).bind(t.title).bind(t.body).bind(t.updated_at)
        .fetch_one(&mut *c).await?;
        insert_audit_row(c, &audit).await?;
        Ok(id)
    }

    /// False (and nothing written) when there is no template `id`.
    pub async fn update_reply_template(c: &mut Conn, (t, audit): (ReplyTemplateEdit, AuditInsert)) -> StoreResult<bool> {
        let changed = sqlx::query("UPDATE reply_templates SET title = $1, body = $2, updated_at = $3 WHERE id = $4")
            .bind(t.title).bind(t.body).bind(t.updated_at).bind(t.id)
            .execute(&mut *c).await?.rows_affected();
        if changed == 1 {
            insert_audit_row(c, &audit).await?;
        }
        Ok(changed == 1)
    }

    /// False (and nothing written) when there is no template `id`.
    pub async fn delete_reply_template(c: &mut Conn, (id, audit): (i64, AuditInsert)) -> StoreResult<bool> {
        let deleted = sqlx::query("DELETE FROM reply_templates WHERE id = $1")
            .bind(id).execute(&mut *c).await?.rows_affected();
        if deleted == 1 {
            insert_audit_row(c, &audit).await?;
        }
        Ok(deleted == 1)
    }

    // Catalogue administration: each write carries its audit row, committed with it.

    pub async fn managed_services(c: &mut Conn, entity_id: i64) -> StoreResult<Vec<ManagedServiceRow>> {
        Ok(sqlx::query_as(&format!("{MANAGED_SERVICE_SELECT} WHERE s.entity_id = $1 ORDER BY s.id"))
            .bind(entity_id).fetch_all(&mut *c).await?)
    }

    pub async fn managed_service(c: &mut Conn, code: &str) -> StoreResult<Option<ManagedServiceRow>> {
        Ok(sqlx::query_as(&format!("{MANAGED_SERVICE_SELECT} WHERE s.code = $1"))
            .bind(code).fetch_optional(&mut *c).await?)
    }

    pub async fn add_service(c: &mut Conn, (s, active, audit): (ServiceInsert, bool, AuditInsert)) -> StoreResult<i64> {
        let id = insert_service(c, s).await?;
        sqlx::query("UPDATE services SET active = $1 WHERE id = $2").bind(active).bind(id).execute(&mut *c).await?;
        insert_audit_row(c, &audit).await?;
        Ok(id)
    }

    /// False (and nothing written) when there is no service `id`, or when it would change
    /// the code of a service that cases use. Routing rules naming the old code follow it.
    pub async fn update_service(c: &mut Conn, (s, audit): (ServiceUpdate, AuditInsert)) -> StoreResult<bool> {
        let old: Option<String> = sqlx::query_scalar("SELECT code FROM services WHERE id = $1")
            .bind(s.id).fetch_optional(&mut *c).await?;
        let changed = sqlx::query(
            "UPDATE services SET code = $2, name_ar = $3, name_en = $4, description_ar = $5, description_en = $6, \
             kinds = $7, default_department_id = $8, default_priority = $9, active = $10 \
             WHERE id = $1 AND (code = $2 OR NOT EXISTS (SELECT 1 FROM cases WHERE service_id = $1))",
        )
        .bind(s.id).bind(&s.code).bind(s.name_ar).bind(s.name_en).bind(s.description_ar).bind(s.description_en)
        .bind(s.kinds).bind(s.default_department_id).bind(s.default_priority).bind(s.active)
        .execute(&mut *c).await?.rows_affected();
        if changed != 1 {
            return Ok(false);
        }
        if let Some(old) = old.filter(|old| old != &s.code) {
            sqlx::query("UPDATE routing_rules SET service_code = $1 WHERE service_code = $2")
                .bind(&s.code).bind(old).execute(&mut *c).await?;
        }
        insert_audit_row(c, &audit).await?;
        Ok(true)
    }

    /// Replaces a service's form (JSON); false (and nothing written) when there is no service `id`.
    pub async fn set_service_fields(c: &mut Conn, (id, fields, audit): (i64, String, AuditInsert)) -> StoreResult<bool> {
        let changed = sqlx::query("UPDATE services SET fields = $1 WHERE id = $2")
            .bind(fields).bind(id).execute(&mut *c).await?.rows_affected();
        if changed == 1 {
            insert_audit_row(c, &audit).await?;
        }
        Ok(changed == 1)
    }
}
