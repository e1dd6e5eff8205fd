//! The organisation: entities, their departments and their staff users.

use crate::{Store, StoreResult};
use tawasul_domain::vocab::Role;

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
pub struct StaffInsert {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
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
    pub role: Role,
    pub department_id: Option<i64>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub entity_id: Option<i64>,
    pub entity_code: Option<String>,
    pub department_id: Option<i64>,
    pub display_name: String,
    pub email: Option<String>,
    pub active: bool,
}

const STAFF_SELECT: &str = "SELECT u.id, u.username, u.password_hash, u.role, u.entity_id, e.code AS entity_code, \
     u.department_id, u.display_name, u.email, u.active FROM staff_users u LEFT JOIN entities e ON e.id = u.entity_id";

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

    pub async fn entities(c: &mut Conn, _: ()) -> StoreResult<Vec<EntityRow>> {
        Ok(sqlx::query_as("SELECT id, code, name_ar, name_en, entity_type FROM entities ORDER BY id")
            .fetch_all(&mut *c).await?)
    }

    /// Active staff of an entity with an e-mail address, by role (and department, when given).
    pub async fn staff_to_notify(c: &mut Conn, (entity_id, roles, department_id): (i64, Vec<Role>, Option<i64>)) -> StoreResult<Vec<StaffRow>> {
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
}

impl Store {
    pub async fn is_empty(&self) -> StoreResult<bool> {
        read_op!(self, is_empty, ())
    }

    pub async fn insert_entity(&self, e: EntityInsert) -> StoreResult<i64> {
        write_op!(self, insert_entity, e).map_err(|e| e.unique_as("entity"))
    }

    pub async fn insert_department(&self, d: DepartmentInsert) -> StoreResult<i64> {
        write_op!(self, insert_department, d).map_err(|e| e.unique_as("department"))
    }

    pub async fn insert_staff(&self, s: StaffInsert) -> StoreResult<i64> {
        write_op!(self, insert_staff, s).map_err(|e| e.unique_as("username"))
    }

    /// Whether the user exists.
    pub async fn set_staff_email(&self, username: &str, email: Option<String>) -> StoreResult<bool> {
        write_op!(self, set_staff_email, (username.to_owned(), email))
    }

    /// Whether the entity exists.
    pub async fn update_entity(&self, u: EntityUpdate) -> StoreResult<bool> {
        write_op!(self, update_entity, u)
    }

    /// Whether the department exists.
    pub async fn update_department(&self, id: i64, name_ar: String, name_en: String) -> StoreResult<bool> {
        write_op!(self, update_department, (id, name_ar, name_en))
    }

    /// Whether the staff user exists.
    pub async fn update_staff(&self, u: StaffUpdate) -> StoreResult<bool> {
        write_op!(self, update_staff, u)
    }

    /// Whether the staff user exists. Deactivating also ends their sessions.
    pub async fn set_staff_active(&self, id: i64, active: bool) -> StoreResult<bool> {
        write_op!(self, set_staff_active, (id, active))
    }

    /// Whether the staff user exists. Their sessions end, so the old password's holder is out.
    pub async fn set_staff_password(&self, id: i64, password_hash: String) -> StoreResult<bool> {
        write_op!(self, set_staff_password, (id, password_hash))
    }

    pub async fn entity_by_code(&self, code: &str) -> StoreResult<Option<EntityRow>> {
        read_op!(self, entity_by_code, code)
    }

    pub async fn department_by_code(&self, entity_id: i64, code: &str) -> StoreResult<Option<DepartmentRow>> {
        read_op!(self, department_by_code, (entity_id, code))
    }

    pub async fn departments(&self) -> StoreResult<Vec<DepartmentRow>> {
        read_op!(self, departments, ())
    }

    pub async fn staff_by_username(&self, username: &str) -> StoreResult<Option<StaffRow>> {
        read_op!(self, staff_by_username, username)
    }

    pub async fn staff_by_id(&self, id: i64) -> StoreResult<Option<StaffRow>> {
        read_op!(self, staff_by_id, id)
    }

    pub async fn staff(&self) -> StoreResult<Vec<StaffRow>> {
        read_op!(self, staff, ())
    }

    pub async fn entities(&self) -> StoreResult<Vec<EntityRow>> {
        read_op!(self, entities, ())
    }

    pub async fn staff_to_notify(
        &self,
        entity_id: i64,
        roles: Vec<Role>,
        department_id: Option<i64>,
    ) -> StoreResult<Vec<StaffRow>> {
        read_op!(self, staff_to_notify, (entity_id, roles, department_id))
    }
}
