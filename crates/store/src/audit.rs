//! The audit log of staff actions, hash-chained (`tawasul_domain::audit`). Other aggregates
//! write their audit rows in their own transactions (`insert_audit_row`), which chains each
//! row to the head in that transaction.

use crate::{Store, StoreError, StoreResult};
use tawasul_domain::audit::{chain_hash, AuditContent, GENESIS};

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

/// A row with its place in the chain, as `tawasul audit verify` reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditChainRow {
    pub id: i64,
    pub at: i64,
    pub staff_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub details: String,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl AuditChainRow {
    pub fn content(&self) -> AuditContent<'_> {
        AuditContent {
            at: self.at,
            staff_id: self.staff_id,
            action: &self.action,
            target: &self.target,
            details: &self.details,
        }
    }
}

/// The last row written and its hash (0 and the genesis hash for an empty log).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditHead {
    pub last_id: i64,
    pub hash: String,
}

/// Rows chained in one transaction when a store first opens with the chain.
const CHAIN_BATCH: i64 = 1000;

for_both_backends! {
    /// Chains the row to the head, which it takes for the rest of the transaction (on
    /// PostgreSQL `FOR UPDATE`: another writer waits here until this one commits, so the
    /// chain follows the order of ids).
    pub async fn insert_audit_row(c: &mut Conn, a: &AuditInsert) -> StoreResult<()> {
        let prev: Option<String> = sqlx::query_scalar(&format!("SELECT hash FROM audit_head WHERE id = 1{}", dialect::FOR_UPDATE))
            .fetch_one(&mut *c).await?;
        let prev = prev.ok_or(StoreError::AuditUnchained)?;
        let hash = chain_hash(&prev, AuditContent {
            at: a.at,
            staff_id: a.staff_id,
            action: &a.action,
            target: &a.target,
            details: &a.details,
        });
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO audit_log (at, staff_id, action, target, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(a.at).bind(a.staff_id).bind(&a.action).bind(&a.target).bind(&a.details).bind(&prev).bind(&hash)
        .fetch_one(&mut *c).await?;
        sqlx::query("UPDATE audit_head SET last_id = $1, hash = $2 WHERE id = 1")
            .bind(id).bind(&hash).execute(&mut *c).await?;
        Ok(())
    }

    pub async fn insert_audit(c: &mut Conn, a: AuditInsert) -> StoreResult<()> {
        insert_audit_row(c, &a).await
    }

    /// Several rows in one transaction, chained in their order (the batched views of personal
    /// data: one commit for many reads).
    pub async fn insert_audit_rows(c: &mut Conn, rows: Vec<AuditInsert>) -> StoreResult<()> {
        for a in &rows {
            insert_audit_row(c, a).await?;
        }
        Ok(())
    }

    pub async fn audit_log(c: &mut Conn, limit: i64) -> StoreResult<Vec<AuditRow>> {
        Ok(sqlx::query_as("SELECT id, at, staff_id, action, target, details FROM audit_log ORDER BY id DESC LIMIT $1")
            .bind(limit).fetch_all(&mut *c).await?)
    }

    /// Chains the rows written before the chain existed, once: nothing when the head has a
    /// hash already (another node, or an earlier start, did it).
    pub async fn chain_audit_log(c: &mut Conn, _: ()) -> StoreResult<u64> {
        let head: Option<String> = sqlx::query_scalar(&format!("SELECT hash FROM audit_head WHERE id = 1{}", dialect::FOR_UPDATE))
            .fetch_one(&mut *c).await?;
        if head.is_some() {
            return Ok(0);
        }
        let (mut last_id, mut hash, mut chained) = (0_i64, GENESIS.to_owned(), 0_u64);
        loop {
            let rows: Vec<AuditChainRow> = sqlx::query_as(
                "SELECT id, at, staff_id, action, target, details, prev_hash, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(last_id).bind(CHAIN_BATCH).fetch_all(&mut *c).await?;
            let Some(last) = rows.last() else { break };
            last_id = last.id;
            for row in &rows {
                let next = chain_hash(&hash, row.content());
                sqlx::query("UPDATE audit_log SET prev_hash = $2, hash = $3 WHERE id = $1")
                    .bind(row.id).bind(&hash).bind(&next).execute(&mut *c).await?;
                hash = next;
                chained += 1;
            }
        }
        sqlx::query("UPDATE audit_head SET last_id = $1, hash = $2 WHERE id = 1")
            .bind(last_id).bind(&hash).execute(&mut *c).await?;
        Ok(chained)
    }

    pub async fn audit_head(c: &mut Conn, _: ()) -> StoreResult<Option<AuditHead>> {
        Ok(sqlx::query_as("SELECT last_id, hash FROM audit_head WHERE id = 1 AND hash IS NOT NULL")
            .fetch_optional(&mut *c).await?)
    }

    pub async fn audit_chain_after(c: &mut Conn, (after_id, limit): (i64, i64)) -> StoreResult<Vec<AuditChainRow>> {
        Ok(sqlx::query_as(
            "SELECT id, at, staff_id, action, target, details, prev_hash, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after_id).bind(limit).fetch_all(&mut *c).await?)
    }

    pub async fn audit_count(c: &mut Conn, _: ()) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(&mut *c).await?)
    }
}

impl Store {
    pub async fn audit(&self, a: AuditInsert) -> StoreResult<()> {
        write_op!(self, insert_audit, a)
    }

    pub async fn audit_batch(&self, rows: Vec<AuditInsert>) -> StoreResult<()> {
        write_op!(self, insert_audit_rows, rows)
    }

    pub async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditRow>> {
        read_op!(self, audit_log, limit)
    }

    /// Chains the rows an earlier version wrote without hashes (once, when the store opens).
    pub(crate) async fn chain_audit_log_if_new(&self) -> StoreResult<()> {
        let chained = write_op!(self, chain_audit_log, ())?;
        if chained > 0 {
            tracing::info!(rows = chained, "chained the audit log's earlier rows");
        }
        Ok(())
    }

    /// The chain's head: the last row written and its hash.
    pub async fn audit_head(&self) -> StoreResult<AuditHead> {
        read_op!(self, audit_head, ())?.ok_or(StoreError::AuditUnchained)
    }

    /// Up to `limit` rows after `after_id`, in id order, with their hashes.
    pub async fn audit_chain_after(&self, after_id: i64, limit: i64) -> StoreResult<Vec<AuditChainRow>> {
        read_op!(self, audit_chain_after, (after_id, limit))
    }

    /// How many rows the log holds (for a progress bar; an operator's count, not a request's).
    pub async fn audit_count(&self) -> StoreResult<u64> {
        Ok(u64::try_from(read_op!(self, audit_count, ())?).unwrap_or(0))
    }
}
