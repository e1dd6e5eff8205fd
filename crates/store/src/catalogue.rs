//! The catalogue: services with their forms, and reply templates.

use crate::audit::AuditInsert;
use crate::{Store, StoreResult};
use tawasul_domain::vocab::Priority;

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
    pub default_priority: Priority,
    /// Each resolution must bring a photo of the fix.
    pub fix_photo_required: bool,
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
    pub default_priority: Priority,
    pub fix_photo_required: bool,
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
    pub default_priority: Priority,
    pub fix_photo_required: bool,
    pub active: bool,
}

const SERVICE_SELECT: &str = "SELECT s.id, s.entity_id, e.code AS entity_code, s.code, s.name_ar, s.name_en, \
     s.description_ar, s.description_en, s.kinds, s.fields, s.default_department_id, \
     d.code AS default_department_code, s.default_priority, s.fix_photo_required \
     FROM services s JOIN entities e ON e.id = s.entity_id \
     LEFT JOIN departments d ON d.id = s.default_department_id";

const MANAGED_SERVICE_SELECT: &str = "SELECT s.id, s.entity_id, e.code AS entity_code, s.code, s.name_ar, s.name_en, \
     s.description_ar, s.description_en, s.kinds, s.fields, s.default_department_id, \
     d.code AS default_department_code, s.default_priority, s.fix_photo_required, s.active, \
     EXISTS (SELECT 1 FROM cases c WHERE c.service_id = s.id) AS has_cases \
     FROM services s JOIN entities e ON e.id = s.entity_id \
     LEFT JOIN departments d ON d.id = s.default_department_id";

for_both_backends! {
    uses { audit: insert_audit_row; }

    pub async fn insert_service(c: &mut Conn, s: ServiceInsert) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO services (entity_id, code, name_ar, name_en, description_ar, description_en, kinds, fields, \
             default_department_id, default_priority, fix_photo_required) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(s.entity_id).bind(s.code).bind(s.name_ar).bind(s.name_en).bind(s.description_ar)
        .bind(s.description_en).bind(s.kinds).bind(s.fields).bind(s.default_department_id).bind(s.default_priority)
        .bind(s.fix_photo_required)
        .fetch_one(&mut *c).await?)
    }

    pub async fn services(c: &mut Conn, _: ()) -> StoreResult<Vec<ServiceRow>> {
        Ok(sqlx::query_as(&format!("{SERVICE_SELECT} WHERE s.active ORDER BY s.id"))
            .fetch_all(&mut *c).await?)
    }

    pub async fn service_by_code(c: &mut Conn, code: &str) -> StoreResult<Option<ServiceRow>> {
        Ok(sqlx::query_as(&format!("{SERVICE_SELECT} WHERE s.active AND s.code = $1"))
            .bind(code).fetch_optional(&mut *c).await?)
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
             kinds = $7, default_department_id = $8, default_priority = $9, active = $10, fix_photo_required = $11 \
             WHERE id = $1 AND (code = $2 OR NOT EXISTS (SELECT 1 FROM cases WHERE service_id = $1))",
        )
        .bind(s.id).bind(&s.code).bind(s.name_ar).bind(s.name_en).bind(s.description_ar).bind(s.description_en)
        .bind(s.kinds).bind(s.default_department_id).bind(s.default_priority).bind(s.active).bind(s.fix_photo_required)
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

impl Store {
    pub async fn insert_service(&self, s: ServiceInsert) -> StoreResult<i64> {
        write_op!(self, insert_service, s).map_err(|e| e.unique_as("service"))
    }

    pub async fn services(&self) -> StoreResult<Vec<ServiceRow>> {
        read_op!(self, services, ())
    }

    pub async fn service_by_code(&self, code: &str) -> StoreResult<Option<ServiceRow>> {
        read_op!(self, service_by_code, code)
    }

    /// An entity's services, inactive ones too, for its administrators.
    pub async fn managed_services(&self, entity_id: i64) -> StoreResult<Vec<ManagedServiceRow>> {
        read_op!(self, managed_services, entity_id)
    }

    pub async fn managed_service(&self, code: &str) -> StoreResult<Option<ManagedServiceRow>> {
        read_op!(self, managed_service, code)
    }

    pub async fn add_service(&self, s: ServiceInsert, active: bool, audit: AuditInsert) -> StoreResult<i64> {
        write_op!(self, add_service, (s, active, audit)).map_err(|e| e.unique_as("service"))
    }

    pub async fn update_service(&self, s: ServiceUpdate, audit: AuditInsert) -> StoreResult<bool> {
        write_op!(self, update_service, (s, audit)).map_err(|e| e.unique_as("service"))
    }

    pub async fn set_service_fields(&self, id: i64, fields: String, audit: AuditInsert) -> StoreResult<bool> {
        write_op!(self, set_service_fields, (id, fields, audit))
    }

    pub async fn reply_templates(&self, entity_id: i64) -> StoreResult<Vec<ReplyTemplateRow>> {
        read_op!(self, reply_templates, entity_id)
    }

    pub async fn reply_template(&self, id: i64) -> StoreResult<Option<ReplyTemplateRow>> {
        read_op!(self, reply_template, id)
    }

    /// Adds a template with its audit row; a second one of the same entity, key and
    /// language is `Duplicate`.
    pub async fn insert_reply_template(&self, t: ReplyTemplateInsert, audit: AuditInsert) -> StoreResult<i64> {
        write_op!(self, insert_reply_template, (t, audit)).map_err(|e| e.unique_as("reply template"))
    }

    pub async fn update_reply_template(&self, t: ReplyTemplateEdit, audit: AuditInsert) -> StoreResult<bool> {
        write_op!(self, update_reply_template, (t, audit))
    }

    pub async fn delete_reply_template(&self, id: i64, audit: AuditInsert) -> StoreResult<bool> {
        write_op!(self, delete_reply_template, (id, audit))
    }
}
