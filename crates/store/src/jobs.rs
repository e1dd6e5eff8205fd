//! Background work: jobs under a lease, the notification outbox they deliver, and housekeeping
//! (purging finished jobs, old idempotency keys, delivered notifications' secrets and old
//! notifications).

use crate::{Store, StoreResult};

#[derive(Debug, Clone)]
pub struct OutboxInsert {
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub language: String,
    pub payload: String,
    /// Secrets rendered into the message only when it is delivered (a tracking token, a
    /// one-time code), sealed by the application; cleared once the notification has ended.
    pub secret: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub language: String,
    pub payload: String,
    pub status: String,
    pub created_at: i64,
}

/// A unit of background work, claimed under a lease.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub payload: String,
    pub attempts: i64,
}

#[derive(Debug, Clone)]
pub struct JobInsert {
    pub kind: String,
    /// Enqueueing the same key twice makes one job.
    pub key: String,
    pub payload: String,
    pub run_at: i64,
}

#[derive(Debug, Clone)]
pub enum JobOutcome {
    Done,
    /// Run again at this instant (periodic work, or a notification held by quiet hours).
    Again {
        run_at: i64,
    },
    Retry {
        run_at: i64,
        error: String,
    },
    Dead {
        error: String,
    },
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxDelivery {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub language: String,
    pub payload: String,
    pub secret: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub delivered_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

for_both_backends! {
    pub async fn outbox(c: &mut Conn, limit: i64) -> StoreResult<Vec<OutboxRow>> {
        Ok(sqlx::query_as(
            "SELECT id, channel, recipient, template, language, payload, status, created_at FROM outbox ORDER BY id DESC LIMIT $1",
        )
        .bind(limit).fetch_all(&mut *c).await?)
    }

    /// A notification and the job that delivers it, in the caller's transaction: a committed
    /// notification is always delivered, and only once enqueued.
    /// Returns the notification's id.
    pub async fn insert_outbox(c: &mut Conn, m: &OutboxInsert) -> StoreResult<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (channel, recipient, template, language, payload, secret, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&m.channel).bind(&m.recipient).bind(&m.template).bind(&m.language).bind(&m.payload).bind(&m.secret)
        .bind(m.created_at)
        .fetch_one(&mut *c).await?;
        let job = JobInsert {
            kind: "deliver".into(),
            key: format!("deliver:{id}"),
            payload: serde_json::json!({ "outbox_id": id }).to_string(),
            run_at: m.created_at,
        };
        enqueue_job(c, job).await?;
        Ok(id)
    }

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

    /// Jobs waiting, running or dead, by kind. Finished jobs are left out: they are history
    /// kept until `purge` (tens of thousands at a big city's volume, a scan at every scrape),
    /// and the runner counts them as they finish (`tawasul_jobs_finished_total`).
    pub async fn job_counts(c: &mut Conn, _: ()) -> StoreResult<Vec<(String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT kind, status, COUNT(*) FROM jobs WHERE status IN ('ready', 'running', 'dead') \
             GROUP BY kind, status ORDER BY kind, status",
        )
        .fetch_all(&mut *c).await?)
    }

    /// Forgets finished jobs and idempotency keys older than `before`.
    pub async fn purge(c: &mut Conn, before: i64) -> StoreResult<u64> {
        let jobs = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at < $1").bind(before).execute(&mut *c).await?;
        let keys = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before).execute(&mut *c).await?;
        Ok(jobs.rows_affected() + keys.rows_affected())
    }

    /// Clears the secrets of notifications made before `secrets_before` (whatever became of
    /// them) and forgets ended notifications delivered (or, never delivered, made) before
    /// `rows_before`.
    pub async fn purge_notifications(c: &mut Conn, (secrets_before, rows_before): (i64, i64)) -> StoreResult<u64> {
        let secrets = sqlx::query("UPDATE outbox SET secret = NULL WHERE secret IS NOT NULL AND created_at < $1")
            .bind(secrets_before).execute(&mut *c).await?;
        let rows = sqlx::query("DELETE FROM outbox WHERE status IN ('sent', 'failed', 'undeliverable') AND COALESCE(delivered_at, created_at) < $1")
            .bind(rows_before).execute(&mut *c).await?;
        Ok(secrets.rows_affected() + rows.rows_affected())
    }

    pub async fn outbox_delivery(c: &mut Conn, id: i64) -> StoreResult<Option<OutboxDelivery>> {
        Ok(sqlx::query_as(
            "SELECT id, channel, recipient, template, language, payload, secret, status, attempts, delivered_at, \
             last_error, created_at FROM outbox WHERE id = $1",
        )
        .bind(id).fetch_optional(&mut *c).await?)
    }

    pub async fn outbox_deliveries(c: &mut Conn, limit: i64) -> StoreResult<Vec<OutboxDelivery>> {
        Ok(sqlx::query_as(
            "SELECT id, channel, recipient, template, language, payload, secret, status, attempts, delivered_at, \
             last_error, created_at FROM outbox ORDER BY id LIMIT $1",
        )
        .bind(limit).fetch_all(&mut *c).await?)
    }

    /// The status of the nearest message before notification `id` to `recipient` on `channel`
    /// that is one of `templates`, was written at `since` or later and is still to be
    /// delivered (`pending` or `retrying`); none when there is no such message.
    pub async fn earlier_undelivered(
        c: &mut Conn,
        (channel, recipient, id, since, templates): (String, String, i64, i64, Vec<String>),
    ) -> StoreResult<Option<String>> {
        let placeholders: Vec<String> = (0..templates.len()).map(|i| format!("${}", i + 5)).collect();
        let sql = format!(
            "SELECT status FROM outbox WHERE status IN ('pending', 'retrying') AND id < $3 \
             AND channel = $1 AND recipient = $2 AND created_at >= $4 AND template IN ({}) \
             ORDER BY id DESC LIMIT 1",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_scalar(&sql).bind(channel).bind(recipient).bind(id).bind(since);
        for template in templates {
            query = query.bind(template);
        }
        Ok(query.fetch_optional(&mut *c).await?)
    }

    pub async fn mark_outbox(c: &mut Conn, (id, status, delivered_at, error): (i64, String, Option<i64>, Option<String>)) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = $2, attempts = attempts + 1, delivered_at = COALESCE($3, delivered_at), \
             last_error = $4, secret = CASE WHEN $2 IN ('sent', 'failed', 'undeliverable') THEN NULL ELSE secret END \
             WHERE id = $1",
        )
        .bind(id).bind(status).bind(delivered_at).bind(error)
        .execute(&mut *c).await?;
        Ok(())
    }
}

impl Store {
    pub async fn outbox(&self, limit: i64) -> StoreResult<Vec<OutboxRow>> {
        read_op!(self, outbox, limit)
    }

    pub async fn enqueue_job(&self, job: JobInsert) -> StoreResult<()> {
        write_op!(self, enqueue_job, job)
    }

    pub async fn claim_jobs(&self, owner: &str, now: i64, lease_until: i64, limit: i64) -> StoreResult<Vec<JobRow>> {
        write_op!(self, claim_jobs, (owner.to_owned(), now, lease_until, limit))
    }

    /// Whether the job was still ours to finish.
    pub async fn finish_job(&self, id: i64, owner: &str, now: i64, outcome: JobOutcome) -> StoreResult<bool> {
        write_op!(self, finish_job, (id, owner.to_owned(), now, outcome))
    }

    pub async fn job_counts(&self) -> StoreResult<Vec<(String, String, i64)>> {
        read_op!(self, job_counts, ())
    }

    pub async fn purge(&self, before: i64) -> StoreResult<u64> {
        write_op!(self, purge, before)
    }

    pub async fn purge_notifications(&self, secrets_before: i64, rows_before: i64) -> StoreResult<u64> {
        write_op!(self, purge_notifications, (secrets_before, rows_before))
    }

    pub async fn outbox_delivery(&self, id: i64) -> StoreResult<Option<OutboxDelivery>> {
        read_op!(self, outbox_delivery, id)
    }

    pub async fn outbox_deliveries(&self, limit: i64) -> StoreResult<Vec<OutboxDelivery>> {
        read_op!(self, outbox_deliveries, limit)
    }

    pub async fn earlier_undelivered(
        &self,
        channel: &str,
        recipient: &str,
        id: i64,
        since: i64,
        templates: &[&str],
    ) -> StoreResult<Option<String>> {
        let templates = templates.iter().map(|t| (*t).to_owned()).collect();
        read_op!(
            self,
            earlier_undelivered,
            (channel.to_owned(), recipient.to_owned(), id, since, templates)
        )
    }

    pub async fn mark_outbox(
        &self,
        id: i64,
        status: &str,
        delivered_at: Option<i64>,
        error: Option<String>,
    ) -> StoreResult<()> {
        write_op!(self, mark_outbox, (id, status.to_owned(), delivered_at, error))
    }
}
