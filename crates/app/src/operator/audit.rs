//! `tawasul audit verify`: walks the audit log's hash chain from its first row to its head.

use crate::error::Outcome;
use crate::operator::Operator;
use tawasul_domain::audit::{AuditLink, ChainBreak, ChainWalk};

/// Rows read at a time.
const PAGE: i64 = 1000;

/// What the walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerdict {
    /// Every row follows the one before, and the last is the head's.
    Intact { rows: u64 },
    /// The first row that does not (see `ChainBreak::row`).
    Broken(ChainBreak),
}

impl Operator<'_> {
    /// How many rows the audit log holds, for a progress bar.
    pub async fn audit_row_count(&self) -> Outcome<u64> {
        Ok(self.app.store.audit_count().await?)
    }

    /// Checks every row of the audit log against the one before it, in id order, and the last
    /// against the chain's head; `progress` hears each page's rows as they are checked. Rows
    /// written while the walk runs are walked too: the head is read once the walk reaches the
    /// end, and a head past it sends the walk on.
    pub async fn verify_audit_log(&self, mut progress: impl FnMut(u64)) -> Outcome<AuditVerdict> {
        let store = &self.app.store;
        let mut walk = ChainWalk::default();
        loop {
            let rows = store.audit_chain_after(walk.last_id(), PAGE).await?;
            if rows.is_empty() {
                let head = store.audit_head().await?;
                if walk.ends_at(head.last_id, &head.hash) {
                    return Ok(AuditVerdict::Intact { rows: walk.rows() });
                }
                if head.last_id > walk.last_id() && !store.audit_chain_after(walk.last_id(), 1).await?.is_empty() {
                    continue;
                }
                // The head is behind the last row (rows written around the chain), or names
                // a row that is gone or other than the last.
                let broken = match head.last_id < walk.last_id() {
                    true => {
                        let past = store.audit_chain_after(head.last_id, 1).await?;
                        ChainBreak::PastHead(past.first().map_or(walk.last_id(), |r| r.id))
                    }
                    false => ChainBreak::HeadMismatch { last_id: head.last_id },
                };
                return Ok(AuditVerdict::Broken(broken));
            }
            for row in &rows {
                let link = AuditLink {
                    id: row.id,
                    prev_hash: row.prev_hash.as_deref(),
                    hash: row.hash.as_deref(),
                    content: row.content(),
                };
                if let Err(broken) = walk.step(link) {
                    return Ok(AuditVerdict::Broken(broken));
                }
            }
            progress(rows.len() as u64);
        }
    }
}
