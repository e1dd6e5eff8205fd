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
     c.reporter_email, c.reporter_language, c.resolution, c.created_at, c.updated_at \
     FROM cases c JOIN entities e ON e.id = c.entity_id JOIN services s ON s.id = c.service_id \
     LEFT JOIN departments d ON d.id = c.department_id LEFT JOIN staff_users u ON u.id = c.assignee_id";

const SERVICE_SELECT: &str = "SELECT s.id, s.entity_id, e.code AS entity_code, s.code, s.name_ar, s.name_en, \
     s.description_ar, s.description_en, s.kinds, s.fields, s.default_department_id, \
     d.code AS default_department_code, s.default_priority \
     FROM services s JOIN entities e ON e.id = s.entity_id \
     LEFT JOIN departments d ON d.id = s.default_department_id";

const STAFF_SELECT: &str = "SELECT u.id, u.username, u.password_hash, u.role, u.entity_id, e.code AS entity_code, \
     u.department_id, u.display_name, u.active FROM staff_users u LEFT JOIN entities e ON e.id = u.entity_id";

/// `%word%` for LIKE, with LIKE's own wildcards in the word taken literally.
fn like_pattern(word: &str) -> String {
    let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
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
            "INSERT INTO staff_users (username, password_hash, role, entity_id, department_id, display_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(s.username).bind(s.password_hash).bind(s.role).bind(s.entity_id).bind(s.department_id)
        .bind(s.display_name).bind(s.created_at)
        .fetch_one(&mut *c).await?)
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

    async fn insert_outbox(c: &mut Conn, m: &OutboxInsert) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO outbox (channel, recipient, template, language, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&m.channel).bind(&m.recipient).bind(&m.template).bind(&m.language).bind(&m.payload).bind(m.created_at)
        .execute(&mut *c).await?;
        Ok(())
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
             reporter_language, search_text, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22)",
        )
        .bind(id).bind(&reference).bind(&case.token_hash).bind(case.entity_id).bind(case.department_id)
        .bind(case.service_id).bind(&case.kind).bind(&case.status).bind(&case.channel).bind(&case.language)
        .bind(&case.priority).bind(&case.description).bind(&case.answers).bind(case.lat).bind(case.lon)
        .bind(&case.address).bind(&case.reporter_name).bind(&case.reporter_phone).bind(&case.reporter_email)
        .bind(&case.reporter_language).bind(&case.search_text).bind(case.created_at)
        .execute(&mut *c).await?;
        if let Some(key) = &case.idempotency {
            sqlx::query("INSERT INTO idempotency_keys (key, fingerprint, case_id, token, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&key.key).bind(&key.fingerprint).bind(id).bind(&case.token).bind(case.created_at)
                .execute(&mut *c).await?;
        }
        for event in &case.events {
            insert_event(c, &EventInsert { case_id: id, ..event.clone() }).await?;
        }
        for message in &case.notifications {
            insert_outbox(c, message).await?;
        }
        Ok(Inserted::Created { id, reference })
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
        let updated = sqlx::query(
            "UPDATE cases SET status = COALESCE($3, status), \
             department_id = CASE WHEN $4 THEN $5 ELSE department_id END, \
             assignee_id = CASE WHEN $6 THEN $7 ELSE assignee_id END, \
             resolution = COALESCE($8, resolution), updated_at = $9 \
             WHERE id = $1 AND status = $2",
        )
        .bind(change.case_id).bind(&change.expected_status).bind(&change.status)
        .bind(change.department_id.is_some()).bind(change.department_id.flatten())
        .bind(change.assignee_id.is_some()).bind(change.assignee_id.flatten())
        .bind(&change.resolution).bind(change.at)
        .execute(&mut *c).await?;
        if updated.rows_affected() != 1 {
            let now: Option<String> = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
                .bind(change.case_id).fetch_optional(&mut *c).await?;
            return Err(StoreError::Conflict(now.unwrap_or_else(|| "gone".into())));
        }
        insert_event(c, &change.event).await?;
        if let Some(audit) = &change.audit {
            insert_audit_row(c, audit).await?;
        }
        for message in &change.notifications {
            insert_outbox(c, message).await?;
        }
        Ok(())
    }

    pub async fn list_cases(c: &mut Conn, f: &CaseFilter) -> StoreResult<Vec<CaseRow>> {
        let mut q = sqlx::QueryBuilder::<Db>::new(CASE_SELECT);
        q.push(" WHERE 1 = 1");
        if let Some(v) = f.entity_id { q.push(" AND c.entity_id = ").push_bind(v); }
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
        if let Some((at, id)) = f.before {
            q.push(" AND (c.created_at < ").push_bind(at);
            q.push(" OR (c.created_at = ").push_bind(at).push(" AND c.id < ").push_bind(id).push("))");
        }
        q.push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ").push_bind(f.limit);
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
}
