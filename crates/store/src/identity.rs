//! Sign-in: staff and resident sessions, and the one-time codes that open a resident's.

use crate::audit::AuditInsert;
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
    /// When the session ends unless it is used before; each use moves it on.
    pub idle_expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub staff_id: Option<i64>,
    pub contact: Option<String>,
    pub expires_at: i64,
    pub idle_expires_at: i64,
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

/// A staff user's second factor: the sealed secret, whether a first code confirmed it, and
/// the last time step a code was accepted for.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecondFactorRow {
    pub staff_id: i64,
    pub secret: String,
    pub confirmed_at: Option<i64>,
    pub last_step: i64,
}

/// A sign-in past its password, waiting for its code (or for the user's enrolment).
#[derive(Debug, Clone)]
pub struct ChallengeInsert {
    pub token_hash: String,
    pub staff_id: i64,
    pub enrol: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    pub staff_id: i64,
    pub enrol: bool,
}

for_both_backends! {
    uses { jobs: insert_outbox; audit: insert_audit_row; }

    pub async fn insert_session(c: &mut Conn, s: SessionInsert) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (token_hash, staff_id, contact, created_at, expires_at, idle_expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(s.token_hash).bind(s.staff_id).bind(s.contact).bind(s.created_at).bind(s.expires_at).bind(s.idle_expires_at)
            .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn session(c: &mut Conn, (token_hash, now): (&str, i64)) -> StoreResult<Option<SessionRow>> {
        Ok(sqlx::query_as(
            "SELECT s.staff_id, s.contact, s.expires_at, s.idle_expires_at FROM sessions s LEFT JOIN staff_users u ON u.id = s.staff_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.idle_expires_at > $2 AND (s.staff_id IS NULL OR u.active)",
        )
        .bind(token_hash).bind(now).fetch_optional(&mut *c).await?)
    }

    /// Moves a live session's idle end to `until`, when it would move by more than a minute
    /// (so that a burst of requests writes once).
    pub async fn touch_session(c: &mut Conn, (token_hash, now, until): (String, i64, i64)) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sessions SET idle_expires_at = $3 WHERE token_hash = $1 AND idle_expires_at > $2 \
             AND expires_at > $2 AND idle_expires_at < $3 - 60000000",
        )
        .bind(token_hash).bind(now).bind(until).execute(&mut *c).await?;
        Ok(())
    }

    /// Ends sessions and one-time codes past their end, and counters past their window.
    pub async fn purge_identity(c: &mut Conn, (now, counters_before): (i64, i64)) -> StoreResult<u64> {
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR idle_expires_at <= $1")
            .bind(now).execute(&mut *c).await?;
        let codes = sqlx::query("DELETE FROM otp_codes WHERE expires_at <= $1").bind(now).execute(&mut *c).await?;
        let counters = sqlx::query("DELETE FROM throttles WHERE window_start < $1 AND blocked_until <= $2")
            .bind(counters_before).bind(now).execute(&mut *c).await?;
        let challenges = sqlx::query("DELETE FROM sign_in_challenges WHERE expires_at <= $1")
            .bind(now).execute(&mut *c).await?;
        Ok(sessions.rows_affected() + codes.rows_affected() + counters.rows_affected() + challenges.rows_affected())
    }

    /// Counts one hit on `key` in a fixed window that starts again once `window_start` is
    /// older than `since`; returns the hits in the window, this one included. One statement,
    /// so that hits from any number of nodes are all counted.
    pub async fn throttle_hit(c: &mut Conn, (key, now, since): (String, i64, i64)) -> StoreResult<(i64, i64)> {
        Ok(sqlx::query_as(
            "INSERT INTO throttles (key, hits, window_start, blocked_until) VALUES ($1, 1, $2, 0) \
             ON CONFLICT (key) DO UPDATE SET \
             hits = CASE WHEN throttles.window_start <= $3 THEN 1 ELSE throttles.hits + 1 END, \
             window_start = CASE WHEN throttles.window_start <= $3 THEN $2 ELSE throttles.window_start END \
             RETURNING hits, window_start",
        )
        .bind(key).bind(now).bind(since).fetch_one(&mut *c).await?)
    }

    /// Blocks `key` until `until` (or later, if it is blocked longer already).
    pub async fn throttle_block(c: &mut Conn, (key, until): (String, i64)) -> StoreResult<()> {
        sqlx::query("UPDATE throttles SET blocked_until = CASE WHEN blocked_until > $2 THEN blocked_until ELSE $2 END WHERE key = $1")
            .bind(key).bind(until).execute(&mut *c).await?;
        Ok(())
    }

    /// The latest block of either key (0 when neither is blocked).
    pub async fn throttle_blocked_until(c: &mut Conn, (a, b): (&str, &str)) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COALESCE(MAX(blocked_until), 0) FROM throttles WHERE key = $1 OR key = $2")
            .bind(a).bind(b).fetch_one(&mut *c).await?)
    }

    pub async fn throttle_clear(c: &mut Conn, key: String) -> StoreResult<()> {
        sqlx::query("DELETE FROM throttles WHERE key = $1").bind(key).execute(&mut *c).await?;
        Ok(())
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

    /// One statement, so that parallel guesses cannot all read the same count: the attempt
    /// is counted on the contact's live code that matches, else on its newest live one, and
    /// only while that code has attempts left. A newer code does not cancel an older one.
    pub async fn redeem_otp(c: &mut Conn, a: OtpAttempt) -> StoreResult<bool> {
        let used: Option<bool> = sqlx::query_scalar(
            "UPDATE otp_codes SET attempts = attempts + 1, used = (code_hash = $2) \
             WHERE id = (SELECT id FROM otp_codes WHERE contact = $1 AND NOT used AND expires_at > $3 AND attempts < $4 \
                         ORDER BY CASE WHEN code_hash = $2 THEN 0 ELSE 1 END, id DESC LIMIT 1) \
             AND NOT used AND attempts < $4 \
             RETURNING used",
        )
        .bind(&a.contact).bind(&a.code_hash).bind(a.now).bind(a.max_attempts)
        .fetch_optional(&mut *c).await?;
        Ok(used.unwrap_or(false))
    }

    pub async fn otp_attempts(c: &mut Conn, (contact, now): (&str, i64)) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT CAST(COALESCE(SUM(attempts), 0) AS BIGINT) FROM otp_codes WHERE contact = $1 AND expires_at > $2")
            .bind(contact).bind(now).fetch_one(&mut *c).await?)
    }

    pub async fn second_factor(c: &mut Conn, staff_id: i64) -> StoreResult<Option<SecondFactorRow>> {
        Ok(sqlx::query_as("SELECT staff_id, secret, confirmed_at, last_step FROM staff_second_factors WHERE staff_id = $1")
            .bind(staff_id).fetch_optional(&mut *c).await?)
    }

    /// Keeps a new, unconfirmed secret for the user; false (and nothing written) when they
    /// have a confirmed one already.
    pub async fn put_pending_second_factor(c: &mut Conn, (staff_id, secret, now): (i64, String, i64)) -> StoreResult<bool> {
        let written = sqlx::query(
            "INSERT INTO staff_second_factors (staff_id, secret, confirmed_at, last_step, created_at) VALUES ($1, $2, NULL, 0, $3) \
             ON CONFLICT (staff_id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at \
             WHERE staff_second_factors.confirmed_at IS NULL",
        )
        .bind(staff_id).bind(secret).bind(now).execute(&mut *c).await?;
        Ok(written.rows_affected() == 1)
    }

    /// Confirms the user's pending secret with the step its first code was for, with its
    /// audit row; false when there was none pending or the step was used.
    pub async fn confirm_second_factor(c: &mut Conn, (staff_id, step, audit): (i64, i64, AuditInsert)) -> StoreResult<bool> {
        let confirmed = sqlx::query(
            "UPDATE staff_second_factors SET confirmed_at = $3, last_step = $2 \
             WHERE staff_id = $1 AND confirmed_at IS NULL AND last_step < $2",
        )
        .bind(staff_id).bind(step).bind(audit.at).execute(&mut *c).await?;
        if confirmed.rows_affected() != 1 {
            return Ok(false);
        }
        insert_audit_row(c, &audit).await?;
        Ok(true)
    }

    /// Spends a time step of the user's confirmed secret: one statement, so that the same
    /// code sent twice at once, to any nodes, is taken once. False when the step (or a later
    /// one) was used already.
    pub async fn use_second_factor_step(c: &mut Conn, (staff_id, step): (i64, i64)) -> StoreResult<bool> {
        let used = sqlx::query(
            "UPDATE staff_second_factors SET last_step = $2 WHERE staff_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2",
        )
        .bind(staff_id).bind(step).execute(&mut *c).await?;
        Ok(used.rows_affected() == 1)
    }

    /// Removes the user's second factor (and their sign-ins waiting for a code), with its
    /// audit row; false when they had none.
    pub async fn delete_second_factor(c: &mut Conn, (staff_id, audit): (i64, AuditInsert)) -> StoreResult<bool> {
        let deleted = sqlx::query("DELETE FROM staff_second_factors WHERE staff_id = $1")
            .bind(staff_id).execute(&mut *c).await?;
        if deleted.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sign_in_challenges WHERE staff_id = $1").bind(staff_id).execute(&mut *c).await?;
        insert_audit_row(c, &audit).await?;
        Ok(true)
    }

    /// Whether the entity's policy requires a second factor of its administrators and
    /// supervisors (false where it has set no policy).
    pub async fn second_factor_required(c: &mut Conn, entity_id: i64) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT COALESCE((SELECT second_factor_required FROM entity_policies WHERE entity_id = $1), false)",
        )
        .bind(entity_id).fetch_one(&mut *c).await?)
    }

    pub async fn insert_challenge(c: &mut Conn, ch: ChallengeInsert) -> StoreResult<()> {
        sqlx::query("INSERT INTO sign_in_challenges (token_hash, staff_id, enrol, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(ch.token_hash).bind(ch.staff_id).bind(ch.enrol).bind(ch.created_at).bind(ch.expires_at)
            .execute(&mut *c).await?;
        Ok(())
    }

    /// A live challenge of an active user.
    pub async fn challenge(c: &mut Conn, (token_hash, now): (&str, i64)) -> StoreResult<Option<ChallengeRow>> {
        Ok(sqlx::query_as(
            "SELECT ch.staff_id, ch.enrol FROM sign_in_challenges ch JOIN staff_users u ON u.id = ch.staff_id \
             WHERE ch.token_hash = $1 AND ch.expires_at > $2 AND u.active",
        )
        .bind(token_hash).bind(now).fetch_optional(&mut *c).await?)
    }

    /// Ends a challenge; true when it was there to end (so that one code opens one session).
    pub async fn delete_challenge(c: &mut Conn, token_hash: String) -> StoreResult<bool> {
        let deleted = sqlx::query("DELETE FROM sign_in_challenges WHERE token_hash = $1").bind(token_hash).execute(&mut *c).await?;
        Ok(deleted.rows_affected() == 1)
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

    /// Moves a live session's idle end to `until` (written at most once a minute).
    pub async fn touch_session(&self, token_hash: String, now: i64, until: i64) -> StoreResult<()> {
        write_op!(self, touch_session, (token_hash, now, until))
    }

    /// Deletes ended sessions and one-time codes, and counters whose window started before
    /// `counters_before` and that block nothing any more. Returns how many rows went.
    pub async fn purge_identity(&self, now: i64, counters_before: i64) -> StoreResult<u64> {
        write_op!(self, purge_identity, (now, counters_before))
    }

    /// One more hit on a shared counter: the hits in its window and when the window began
    /// (see `throttle_hit` above).
    pub async fn throttle_hit(&self, key: String, now: i64, since: i64) -> StoreResult<(i64, i64)> {
        write_op!(self, throttle_hit, (key, now, since))
    }

    pub async fn throttle_block(&self, key: String, until: i64) -> StoreResult<()> {
        write_op!(self, throttle_block, (key, until))
    }

    pub async fn throttle_blocked_until(&self, a: &str, b: &str) -> StoreResult<i64> {
        read_op!(self, throttle_blocked_until, (a, b))
    }

    pub async fn throttle_clear(&self, key: String) -> StoreResult<()> {
        write_op!(self, throttle_clear, key)
    }

    /// The attempts counted on the contact's codes that are still live, for tests and audits.
    pub async fn otp_attempts(&self, contact: &str, now: i64) -> StoreResult<i64> {
        read_op!(self, otp_attempts, (contact, now))
    }

    /// Stores a one-time code and the notification that carries it, together.
    pub async fn insert_otp(&self, otp: OtpInsert, message: OutboxInsert) -> StoreResult<()> {
        write_op!(self, insert_otp, (otp, message))
    }

    /// Checks a code against the contact's live ones, counting the attempt; a match uses the
    /// code up. Returns whether it matched.
    pub async fn redeem_otp(&self, attempt: OtpAttempt) -> StoreResult<bool> {
        write_op!(self, redeem_otp, attempt)
    }

    pub async fn recent_otp_count(&self, contact: &str, since: i64) -> StoreResult<i64> {
        read_op!(self, recent_otp_count, (contact, since))
    }

    pub async fn second_factor(&self, staff_id: i64) -> StoreResult<Option<SecondFactorRow>> {
        read_op!(self, second_factor, staff_id)
    }

    /// Keeps a new unconfirmed secret (sealed) for the user, replacing an unconfirmed one;
    /// false when the user has a confirmed one.
    pub async fn put_pending_second_factor(&self, staff_id: i64, sealed_secret: String, now: i64) -> StoreResult<bool> {
        write_op!(self, put_pending_second_factor, (staff_id, sealed_secret, now))
    }

    pub async fn confirm_second_factor(&self, staff_id: i64, step: i64, audit: AuditInsert) -> StoreResult<bool> {
        write_op!(self, confirm_second_factor, (staff_id, step, audit))
    }

    pub async fn use_second_factor_step(&self, staff_id: i64, step: i64) -> StoreResult<bool> {
        write_op!(self, use_second_factor_step, (staff_id, step))
    }

    pub async fn delete_second_factor(&self, staff_id: i64, audit: AuditInsert) -> StoreResult<bool> {
        write_op!(self, delete_second_factor, (staff_id, audit))
    }

    pub async fn second_factor_required(&self, entity_id: i64) -> StoreResult<bool> {
        read_op!(self, second_factor_required, entity_id)
    }

    pub async fn insert_challenge(&self, challenge: ChallengeInsert) -> StoreResult<()> {
        write_op!(self, insert_challenge, challenge)
    }

    pub async fn challenge(&self, token_hash: &str, now: i64) -> StoreResult<Option<ChallengeRow>> {
        read_op!(self, challenge, (token_hash, now))
    }

    pub async fn delete_challenge(&self, token_hash: String) -> StoreResult<bool> {
        write_op!(self, delete_challenge, token_hash)
    }
}
