//! The Message-IDs of each case's mails, ours and the reporter's: what threads a reply.

use crate::{Store, StoreResult};

/// A mail of a case: its Message-ID (without angle brackets) and whether we sent it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseMailRow {
    pub message_id: String,
    pub case_id: i64,
    pub outgoing: bool,
    pub created_at: i64,
}

for_both_backends! {
    /// Records a mail of a case; one already recorded keeps its case.
    pub async fn insert_case_mail(c: &mut Conn, m: CaseMailRow) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO case_mail (message_id, case_id, outgoing, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(&m.message_id).bind(m.case_id).bind(m.outgoing).bind(m.created_at)
        .execute(&mut *c).await?;
        Ok(done.rows_affected() == 1)
    }

    /// The first of `ids` (in their order) that is a mail of some case.
    pub async fn case_mail_among(c: &mut Conn, ids: Vec<String>) -> StoreResult<Option<CaseMailRow>> {
        for id in ids.iter().take(50) {
            let row: Option<CaseMailRow> = sqlx::query_as(
                "SELECT message_id, case_id, outgoing, created_at FROM case_mail WHERE message_id = $1",
            )
            .bind(id).fetch_optional(&mut *c).await?;
            if row.is_some() {
                return Ok(row);
            }
        }
        Ok(None)
    }

    pub async fn case_reference(c: &mut Conn, case_id: i64) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar("SELECT reference FROM cases WHERE id = $1").bind(case_id).fetch_optional(&mut *c).await?)
    }

    /// A case's mails, oldest first.
    pub async fn case_mails(c: &mut Conn, case_id: i64) -> StoreResult<Vec<CaseMailRow>> {
        Ok(sqlx::query_as(
            "SELECT message_id, case_id, outgoing, created_at FROM case_mail WHERE case_id = $1 \
             ORDER BY created_at, message_id",
        )
        .bind(case_id).fetch_all(&mut *c).await?)
    }
}

impl Store {
    /// Whether the mail was new (a Message-ID seen before keeps its first case).
    pub async fn insert_case_mail(&self, mail: CaseMailRow) -> StoreResult<bool> {
        write_op!(self, insert_case_mail, mail)
    }

    pub async fn case_mail_among(&self, ids: &[String]) -> StoreResult<Option<CaseMailRow>> {
        read_op!(self, case_mail_among, ids.to_vec())
    }

    pub async fn case_reference(&self, case_id: i64) -> StoreResult<Option<String>> {
        read_op!(self, case_reference, case_id)
    }

    pub async fn case_mails(&self, case_id: i64) -> StoreResult<Vec<CaseMailRow>> {
        read_op!(self, case_mails, case_id)
    }
}
