//! Client applications of the open APIs (Open311) with their keys, and what the Open311
//! channel keeps beside a case: its public look-up token and the media URL it was given.
//! The public read of cases (no reporter, no staff) is here too, for the same channel.

use crate::cases::ENDED;
use crate::{Store, StoreError, StoreResult};
use tawasul_domain::vocab::Status;

#[derive(Debug, Clone)]
pub struct ClientKeyInsert {
    pub name: String,
    /// SHA-256 of the key; the key itself is never stored.
    pub key_hash: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientKeyRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Open311Insert {
    pub reference: String,
    pub token: String,
    pub client_id: i64,
    pub media_url: Option<String>,
    pub created_at: i64,
}

/// Which statuses a public list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicStatus {
    Open,
    Ended,
}

/// A filter on the public list of requests: by references (which override the rest), or by
/// services, a creation window and a status; newest first, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct PublicFilter {
    pub references: Vec<String>,
    pub service_ids: Vec<i64>,
    pub created_from: i64,
    pub created_to: i64,
    pub status: Option<PublicStatus>,
    pub limit: i64,
}

/// A case as the public sees it: nothing of its reporter, nothing of its staff.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PublicCaseRow {
    pub reference: String,
    pub status: Status,
    pub resolution: Option<String>,
    pub service_code: String,
    pub service_name_ar: String,
    pub service_name_en: String,
    pub entity_name_ar: String,
    pub entity_name_en: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolution_due: Option<i64>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub media_url: Option<String>,
}

const PUBLIC_SELECT: &str = "SELECT c.reference, c.status, c.resolution, s.code AS service_code, \
     s.name_ar AS service_name_ar, s.name_en AS service_name_en, e.name_ar AS entity_name_ar, \
     e.name_en AS entity_name_en, c.description, c.created_at, c.updated_at, c.resolution_due, \
     c.address, c.lat, c.lon, o.media_url FROM cases c";

/// After `PUBLIC_SELECT` (and an index hint): the service's and entity's names. Written as
/// cross joins so that SQLite reads cases first, in the order of their index, rather than
/// entity by entity with every case of the window sorted (135 ms instead of 2 at a million).
const PUBLIC_JOINS: &str = " CROSS JOIN services s CROSS JOIN entities e \
     LEFT JOIN open311_requests o ON o.case_id = c.id WHERE s.id = c.service_id AND e.id = c.entity_id";

for_both_backends! {
    pub async fn insert_client_key(c: &mut Conn, k: ClientKeyInsert) -> StoreResult<i64> {
        sqlx::query_scalar("INSERT INTO client_keys (name, key_hash, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(k.name).bind(k.key_hash).bind(k.created_at)
            .fetch_one(&mut *c).await
            .map_err(|e| StoreError::from(e).unique_as("client key"))
    }

    pub async fn client_keys(c: &mut Conn, _: ()) -> StoreResult<Vec<ClientKeyRow>> {
        Ok(sqlx::query_as("SELECT id, name, created_at, revoked_at FROM client_keys ORDER BY id")
            .fetch_all(&mut *c).await?)
    }

    pub async fn live_client_key(c: &mut Conn, key_hash: &str) -> StoreResult<Option<ClientKeyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, name, created_at, revoked_at FROM client_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash).fetch_optional(&mut *c).await?)
    }

    /// Revokes the live key of that name; whether there was one.
    pub async fn revoke_client_key(c: &mut Conn, (name, at): (String, i64)) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE client_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL")
            .bind(name).bind(at).execute(&mut *c).await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn insert_open311(c: &mut Conn, o: Open311Insert) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO open311_requests (case_id, token, client_id, media_url, created_at) \
             SELECT id, $2, $3, $4, $5 FROM cases WHERE reference = $1",
        )
        .bind(o.reference).bind(o.token).bind(o.client_id).bind(o.media_url).bind(o.created_at)
        .execute(&mut *c).await?;
        Ok(())
    }

    pub async fn open311_token(c: &mut Conn, token: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT c.reference FROM open311_requests o JOIN cases c ON c.id = o.case_id WHERE o.token = $1",
        )
        .bind(token).fetch_optional(&mut *c).await?)
    }

    /// The public list. Without references, the window and status are said in the words of
    /// the partial indexes (`cases_open`, `cases_ended`) and the order is theirs, so that the
    /// newest `limit` rows are read from an index, not sorted out of the whole window.
    pub async fn public_cases(c: &mut Conn, f: &PublicFilter) -> StoreResult<Vec<PublicCaseRow>> {
        // Ended cases of every service are read from their partial index in order; left to
        // itself, SQLite's planner reads each ended status's range and sorts the window.
        let hint = match (f.status, f.service_ids.is_empty(), f.references.is_empty()) {
            (Some(PublicStatus::Ended), true, true) => dialect::index_hint("cases_ended"),
            _ => String::new(),
        };
        let mut q = sqlx::QueryBuilder::<Db>::new(format!("{PUBLIC_SELECT}{hint}{PUBLIC_JOINS}"));
        if !f.references.is_empty() {
            q.push(" AND c.reference IN (");
            let mut each = q.separated(", ");
            for r in &f.references { each.push_bind(r.clone()); }
            q.push(") ORDER BY c.created_at DESC, c.id DESC");
        } else {
            q.push(" AND c.created_at >= ").push_bind(f.created_from);
            q.push(" AND c.created_at < ").push_bind(f.created_to);
            match f.status {
                Some(PublicStatus::Open) => { q.push(format!(" AND c.status NOT IN {ENDED}")); }
                Some(PublicStatus::Ended) => { q.push(format!(" AND c.status IN {ENDED}")); }
                None => {}
            }
            if !f.service_ids.is_empty() {
                q.push(" AND c.service_id IN (");
                let mut each = q.separated(", ");
                for s in &f.service_ids { each.push_bind(*s); }
                q.push(")");
            }
            q.push(" ORDER BY c.created_at DESC, c.id DESC");
        }
        q.push(" LIMIT ").push_bind(f.limit);
        Ok(q.build_query_as::<PublicCaseRow>().fetch_all(&mut *c).await?)
    }
}

impl Store {
    pub async fn insert_client_key(&self, key: ClientKeyInsert) -> StoreResult<i64> {
        write_op!(self, insert_client_key, key)
    }

    pub async fn client_keys(&self) -> StoreResult<Vec<ClientKeyRow>> {
        read_op!(self, client_keys, ())
    }

    /// The client whose live (not revoked) key has this hash.
    pub async fn live_client_key(&self, key_hash: &str) -> StoreResult<Option<ClientKeyRow>> {
        read_op!(self, live_client_key, key_hash)
    }

    pub async fn revoke_client_key(&self, name: String, at: i64) -> StoreResult<bool> {
        write_op!(self, revoke_client_key, (name, at))
    }

    pub async fn insert_open311(&self, row: Open311Insert) -> StoreResult<()> {
        write_op!(self, insert_open311, row)
    }

    /// The reference of the case an Open311 token stands for.
    pub async fn open311_token(&self, token: &str) -> StoreResult<Option<String>> {
        read_op!(self, open311_token, token)
    }

    pub async fn public_cases(&self, filter: PublicFilter) -> StoreResult<Vec<PublicCaseRow>> {
        read_op!(self, public_cases, &filter)
    }
}
