//! The audit log's hash chain. Each row's `hash` is SHA-256 over the hash before it and the
//! row's own content, so that a row edited, removed, inserted or moved breaks the chain from
//! that row on; the chain's head (the last row and its hash) is kept beside the log, so that
//! removing rows from the end breaks it too.
//!
//! What is hashed, byte for byte: the previous hash as 64 lowercase hex digits, then each of
//! `at` (decimal), `staff_id` (decimal, or nothing), `action`, `target` and `details` as a
//! netstring (`<length in bytes>:<bytes>,`). Netstrings leave no two rows with the same bytes,
//! whatever their fields hold, and any language can recompute them.

use sha2::{Digest, Sha256};

/// The hash the first row follows.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a row says, as the chain covers it (its id is its place, not its content).
#[derive(Debug, Clone, Copy)]
pub struct AuditContent<'a> {
    pub at: i64,
    pub staff_id: Option<i64>,
    pub action: &'a str,
    pub target: &'a str,
    pub details: &'a str,
}

/// The hash of a row with `content` that follows the row whose hash is `prev_hash`.
pub fn chain_hash(prev_hash: &str, content: AuditContent<'_>) -> String {
    let mut digest = Sha256::new();
    digest.update(prev_hash.as_bytes());
    let staff = content.staff_id.map(|id| id.to_string()).unwrap_or_default();
    for field in [
        content.at.to_string().as_bytes(),
        staff.as_bytes(),
        content.action.as_bytes(),
        content.target.as_bytes(),
        content.details.as_bytes(),
    ] {
        digest.update(format!("{}:", field.len()).as_bytes());
        digest.update(field);
        digest.update(b",");
    }
    hex::encode(digest.finalize())
}

/// A row as the walk reads it.
#[derive(Debug, Clone, Copy)]
pub struct AuditLink<'a> {
    pub id: i64,
    pub prev_hash: Option<&'a str>,
    pub hash: Option<&'a str>,
    pub content: AuditContent<'a>,
}

/// Where the chain breaks: the first row that is not what the chain says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("row {0} was changed: its content does not give its hash")]
    Changed(i64),
    #[error("row {id} does not follow {after}: a row between was removed, or this one was inserted or moved")]
    OutOfChain { id: i64, after: String },
    #[error("row {0} is not chained (it has no hash)")]
    Unchained(i64),
    #[error("row {0} is written after the chain's head: it was inserted out of chain")]
    PastHead(i64),
    #[error(
        "the chain's head does not match row {last_id}: rows were removed from the end, or the last one rewritten"
    )]
    HeadMismatch { last_id: i64 },
}

impl ChainBreak {
    /// The first row that breaks the chain (for a removed end, the last row the head names).
    pub fn row(&self) -> i64 {
        match self {
            ChainBreak::Changed(id) | ChainBreak::Unchained(id) | ChainBreak::PastHead(id) => *id,
            ChainBreak::OutOfChain { id, .. } => *id,
            ChainBreak::HeadMismatch { last_id } => *last_id,
        }
    }
}

/// Walks the rows in id order, checking each against the one before.
#[derive(Debug, Clone)]
pub struct ChainWalk {
    hash: String,
    last_id: Option<i64>,
    rows: u64,
}

impl Default for ChainWalk {
    fn default() -> Self {
        Self {
            hash: GENESIS.to_owned(),
            last_id: None,
            rows: 0,
        }
    }
}

impl ChainWalk {
    /// Checks the next row (in id order).
    pub fn step(&mut self, link: AuditLink<'_>) -> Result<(), ChainBreak> {
        let (Some(prev), Some(hash)) = (link.prev_hash, link.hash) else {
            return Err(ChainBreak::Unchained(link.id));
        };
        if prev != self.hash {
            let after = self.last_id.map_or("the start".to_owned(), |id| format!("row {id}"));
            return Err(ChainBreak::OutOfChain { id: link.id, after });
        }
        if chain_hash(prev, link.content) != hash {
            return Err(ChainBreak::Changed(link.id));
        }
        self.hash = hash.to_owned();
        self.last_id = Some(link.id);
        self.rows += 1;
        Ok(())
    }

    /// The last row walked (0 before the first).
    pub fn last_id(&self) -> i64 {
        self.last_id.unwrap_or(0)
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Whether the walk ended where the head (the last row written and its hash, 0 and
    /// [`GENESIS`] for an empty log) says the chain ends.
    pub fn ends_at(&self, head_last_id: i64, head_hash: &str) -> bool {
        self.last_id() == head_last_id && self.hash == head_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: AuditContent<'static> = AuditContent {
        at: 1_767_225_600_000_000,
        staff_id: Some(7),
        action: "login",
        target: "staff:admin",
        details: "{}",
    };
    const SECOND: AuditContent<'static> = AuditContent {
        at: 1_767_225_601_000_000,
        staff_id: None,
        action: "add_reply_template",
        target: "entity:mun",
        details: "{\"key\":\"شكر\"}",
    };

    #[test]
    fn hashes_match_an_independent_implementation() {
        // Computed with Python's hashlib from the rule in the module's documentation.
        let first = chain_hash(GENESIS, FIRST);
        assert_eq!(
            first,
            "6aaca24c335013d4473e1390129fb24776ae603563f3c966a78087547ba47b99"
        );
        assert_eq!(
            chain_hash(&first, SECOND),
            "53a9045bc34e7e235ce0851c6f41d2e3538c2d4398d297b9040d58c00609da2a"
        );
    }

    #[test]
    fn fields_cannot_trade_bytes() {
        let moved = AuditContent {
            action: "logi",
            target: "nstaff:admin",
            ..FIRST
        };
        assert_ne!(chain_hash(GENESIS, FIRST), chain_hash(GENESIS, moved));
        let no_staff = AuditContent {
            staff_id: None,
            ..FIRST
        };
        assert_ne!(chain_hash(GENESIS, FIRST), chain_hash(GENESIS, no_staff));
    }

    type Row = (i64, String, String, AuditContent<'static>);

    fn chained() -> Vec<Row> {
        let mut prev = GENESIS.to_owned();
        let mut out = vec![];
        for (id, content) in [(1, FIRST), (2, SECOND), (3, FIRST)] {
            let hash = chain_hash(&prev, content);
            out.push((id, prev.clone(), hash.clone(), content));
            prev = hash;
        }
        out
    }

    fn walk(rows: &[Row]) -> Result<ChainWalk, ChainBreak> {
        let mut walk = ChainWalk::default();
        for (id, prev, hash, content) in rows {
            walk.step(AuditLink {
                id: *id,
                prev_hash: Some(prev),
                hash: Some(hash),
                content: *content,
            })?;
        }
        Ok(walk)
    }

    #[test]
    fn an_intact_chain_walks_to_its_head() {
        let rows = chained();
        let walked = walk(&rows).expect("intact");
        assert_eq!(walked.rows(), 3);
        assert!(walked.ends_at(3, &rows[2].2));
        assert!(!walked.ends_at(4, &rows[2].2), "a row past the end was removed");
        assert!(ChainWalk::default().ends_at(0, GENESIS), "an empty log");
    }

    #[test]
    fn each_kind_of_tampering_names_its_row() {
        let mut edited = chained();
        edited[1].3.details = "{}";
        assert_eq!(walk(&edited).expect_err("edited"), ChainBreak::Changed(2));

        let mut removed = chained();
        removed.remove(1);
        let broken = walk(&removed).expect_err("removed");
        assert_eq!(
            broken,
            ChainBreak::OutOfChain {
                id: 3,
                after: "row 1".into()
            }
        );
        assert_eq!(broken.row(), 3);

        let mut swapped = chained();
        swapped.swap(0, 1);
        assert_eq!(walk(&swapped).expect_err("swapped").row(), 2);

        let (id, _, _, content) = chained()[0];
        let unchained = AuditLink {
            id,
            prev_hash: None,
            hash: None,
            content,
        };
        assert_eq!(ChainWalk::default().step(unchained), Err(ChainBreak::Unchained(1)));
    }
}
