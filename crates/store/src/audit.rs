//! The audit log of staff actions. Other aggregates write their audit rows in their own
//! transactions (`insert_audit_row`).

use crate::{Store, StoreResult};

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

for_both_backends! {
    pub async fn insert_audit_row(c: &mut Conn, a: &AuditInsert) -> StoreResult<()> {
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
}

impl Store {
    pub async fn audit(&self, a: AuditInsert) -> StoreResult<()> {
        write_op!(self, insert_audit, a)
    }

    pub async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditRow>> {
        read_op!(self, audit_log, limit)
    }
}
