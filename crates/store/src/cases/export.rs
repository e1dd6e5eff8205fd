//! Exports of cases: one keyset page at a time, oldest first, so that a file of any size is
//! written as it is read and no query holds more than a page.

use super::ENDED;
use crate::{Store, StoreResult};
use tawasul_domain::vocab::{Channel, Kind, Language, Priority, Status};

/// What a row of an export needs: the case's own columns (names come from the small tables,
/// read once), and when it reached the status it ended in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub id: i64,
    pub reference: String,
    pub entity_id: i64,
    pub department_id: Option<i64>,
    pub service_id: i64,
    pub kind: Kind,
    pub status: Status,
    pub channel: Channel,
    pub language: Language,
    pub priority: Priority,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
    pub resolution: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub first_responded_at: Option<i64>,
    pub resolution_due: Option<i64>,
    /// When an ended case entered its status (its last event into it); `None` while open.
    pub closed_at: Option<i64>,
}

/// One page of an export: cases of `entity_id` (all when `None`) created in `[from, to)`,
/// strictly after `after` (created_at, id), oldest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportPage {
    pub entity_id: Option<i64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub after: Option<(i64, i64)>,
    pub limit: i64,
}

/// A service's code and names, active or not: an export names the services of old cases too.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceName {
    pub id: i64,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
}

for_both_backends! {
    pub async fn export_page(c: &mut Conn, p: ExportPage) -> StoreResult<Vec<ExportRow>> {
        let mut q = sqlx::QueryBuilder::<Db>::new(format!(
            "SELECT c.id, c.reference, c.entity_id, c.department_id, c.service_id, c.kind, c.status, \
             c.channel, c.language, c.priority, c.description, c.lat, c.lon, c.address, \
             c.reporter_name, c.reporter_phone, c.reporter_email, c.resolution, c.created_at, \
             c.updated_at, c.first_responded_at, c.resolution_due, \
             CASE WHEN c.status IN {ENDED} THEN \
               (SELECT MAX(ev.at) FROM case_events ev WHERE ev.case_id = c.id AND ev.to_status = c.status) \
             END AS closed_at \
             FROM cases c WHERE 1 = 1"
        ));
        // cases_entity_created (entity_id, created_at, id) or cases_created (created_at, id).
        if let Some(v) = p.entity_id { q.push(" AND c.entity_id = ").push_bind(v); }
        if let Some(v) = p.from { q.push(" AND c.created_at >= ").push_bind(v); }
        if let Some(v) = p.to { q.push(" AND c.created_at < ").push_bind(v); }
        if let Some((at, id)) = p.after {
            q.push(" AND (c.created_at, c.id) > (").push_bind(at).push(", ").push_bind(id).push(")");
        }
        q.push(" ORDER BY c.created_at, c.id LIMIT ").push_bind(p.limit);
        Ok(q.build_query_as::<ExportRow>().fetch_all(&mut *c).await?)
    }

    pub async fn service_names(c: &mut Conn, _: ()) -> StoreResult<Vec<ServiceName>> {
        Ok(sqlx::query_as("SELECT id, code, name_ar, name_en FROM services ORDER BY id").fetch_all(&mut *c).await?)
    }
}

impl Store {
    /// One page of an export (see `ExportPage`).
    pub async fn export_page(&self, page: ExportPage) -> StoreResult<Vec<ExportRow>> {
        read_op!(self, export_page, page)
    }

    /// Every service's code and names, the inactive ones too.
    pub async fn service_names(&self) -> StoreResult<Vec<ServiceName>> {
        read_op!(self, service_names, ())
    }
}
