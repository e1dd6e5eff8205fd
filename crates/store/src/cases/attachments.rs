//! Files attached to a case, each with its timeline entry.

use super::EventInsert;
use crate::{Store, StoreResult};

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
    /// A photo of the fix, sent with a resolution (the "after").
    pub fix: bool,
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
    pub fix: bool,
}

for_both_backends! {
    uses { cases: insert_event; }

    pub async fn insert_attachment(c: &mut Conn, a: AttachmentInsert) -> StoreResult<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO attachments (case_id, blob_key, mime, size_bytes, filename, public, uploaded_by, created_at, fix) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(a.case_id).bind(&a.blob_key).bind(&a.mime).bind(a.size_bytes).bind(&a.filename).bind(a.public)
        .bind(&a.uploaded_by).bind(a.created_at).bind(a.fix)
        .fetch_one(&mut *c).await?;
        insert_event(c, &a.event).await?;
        Ok(id)
    }

    pub async fn attachments(c: &mut Conn, case_id: i64) -> StoreResult<Vec<AttachmentRow>> {
        Ok(sqlx::query_as(
            "SELECT id, case_id, blob_key, mime, size_bytes, filename, public, uploaded_by, created_at, fix \
             FROM attachments WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id).fetch_all(&mut *c).await?)
    }
}

impl Store {
    pub async fn insert_attachment(&self, a: AttachmentInsert) -> StoreResult<i64> {
        write_op!(self, insert_attachment, a)
    }

    pub async fn attachments(&self, case_id: i64) -> StoreResult<Vec<AttachmentRow>> {
        read_op!(self, attachments, case_id)
    }
}
