//! Sign-in: staff and resident sessions, and the one-time codes that open a resident's.

use crate::jobs::OutboxInsert;
use crate::{Store, StoreResult};

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

for_both_backends! {
    uses { jobs: insert_outbox; }

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
        insert_outbox(c, &message).await.map(|_| ())
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
}

impl Store {
    pub async fn insert_session(&self, s: SessionInsert) -> StoreResult<()> {
        write_op!(self, insert_session, s)
    }

    pub async fn session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRow>> {
        read_op!(self, session, (token_hash, now))
    }

    pub async fn delete_session(&self, token_hash: String) -> StoreResult<()> {
        write_op!(self, delete_session, token_hash)
    }

    /// Stores a one-time code and the notification that carries it, together.
    pub async fn insert_otp(&self, otp: OtpInsert, message: OutboxInsert) -> StoreResult<()> {
        write_op!(self, insert_otp, (otp, message))
    }

    /// Checks a code against the contact's latest live one, counting the attempt; a match
    /// uses the code up. Returns whether it matched.
    pub async fn redeem_otp(&self, attempt: OtpAttempt) -> StoreResult<bool> {
        write_op!(self, redeem_otp, attempt)
    }

    pub async fn recent_otp_count(&self, contact: &str, since: i64) -> StoreResult<i64> {
        read_op!(self, recent_otp_count, (contact, since))
    }
}
