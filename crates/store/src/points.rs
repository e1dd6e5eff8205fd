//! Service points: assets and places with a printed QR code that opens the resident form
//! prefilled. Each keeps the count of cases reported at it (`case_count`), written with the
//! case, so the staff console reads counts per point without counting cases.

use crate::audit::AuditInsert;
use crate::{Store, StoreResult};

#[derive(Debug, Clone)]
pub struct PointInsert {
    pub code: String,
    pub entity_id: i64,
    pub service_id: i64,
    pub name_ar: String,
    pub name_en: String,
    pub asset_kind: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PointRow {
    pub id: i64,
    pub code: String,
    pub entity_id: i64,
    pub entity_code: String,
    pub entity_name_ar: String,
    pub entity_name_en: String,
    pub service_id: i64,
    pub service_code: String,
    pub name_ar: String,
    pub name_en: String,
    pub asset_kind: Option<String>,
    pub lat: f64,
    pub lon: f64,
    /// Cases reported at the point (a rollup kept with each case).
    pub case_count: i64,
    pub created_at: i64,
}

const POINT_SELECT: &str = "SELECT p.id, p.code, p.entity_id, e.code AS entity_code, e.name_ar AS entity_name_ar, \
     e.name_en AS entity_name_en, p.service_id, s.code AS service_code, p.name_ar, p.name_en, p.asset_kind, \
     p.lat, p.lon, p.case_count, p.created_at \
     FROM service_points p JOIN entities e ON e.id = p.entity_id JOIN services s ON s.id = p.service_id";

for_both_backends! {
    uses { audit: insert_audit_row; }

    /// All the points or none, with one audit row; a code taken already (by a stored point or
    /// by another in the batch) refuses the whole batch.
    pub async fn insert_points(c: &mut Conn, (points, audit): (Vec<PointInsert>, AuditInsert)) -> StoreResult<Vec<i64>> {
        let mut ids = Vec::with_capacity(points.len());
        for p in points {
            let id = sqlx::query_scalar(
                "INSERT INTO service_points (code, entity_id, service_id, name_ar, name_en, asset_kind, lat, lon, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(p.code).bind(p.entity_id).bind(p.service_id).bind(p.name_ar).bind(p.name_en)
            .bind(p.asset_kind).bind(p.lat).bind(p.lon).bind(p.created_at)
            .fetch_one(&mut *c).await?;
            ids.push(id);
        }
        insert_audit_row(c, &audit).await?;
        Ok(ids)
    }

    /// An entity's points in the order they were added; every point when `entity_id` is `None`.
    pub async fn points(c: &mut Conn, entity_id: Option<i64>) -> StoreResult<Vec<PointRow>> {
        Ok(match entity_id {
            Some(id) => sqlx::query_as(&format!("{POINT_SELECT} WHERE p.entity_id = $1 ORDER BY p.id"))
                .bind(id).fetch_all(&mut *c).await?,
            None => sqlx::query_as(&format!("{POINT_SELECT} ORDER BY p.id")).fetch_all(&mut *c).await?,
        })
    }

    pub async fn point_by_code(c: &mut Conn, code: &str) -> StoreResult<Option<PointRow>> {
        Ok(sqlx::query_as(&format!("{POINT_SELECT} WHERE p.code = $1"))
            .bind(code).fetch_optional(&mut *c).await?)
    }

    /// Which of `codes` are taken already.
    pub async fn taken_point_codes(c: &mut Conn, codes: Vec<String>) -> StoreResult<Vec<String>> {
        let mut taken = Vec::new();
        // A bounded IN list per query, so that a large import stays within placeholder limits.
        for chunk in codes.chunks(500) {
            let mut q = sqlx::QueryBuilder::<Db>::new("SELECT code FROM service_points WHERE code IN (");
            let mut each = q.separated(", ");
            for code in chunk { each.push_bind(code.clone()); }
            q.push(")");
            let found: Vec<String> = q.build_query_scalar().fetch_all(&mut *c).await?;
            taken.extend(found);
        }
        Ok(taken)
    }
}

impl Store {
    /// Writes all the points and their audit row in one transaction; a code already taken
    /// is `Duplicate("service point")` and nothing is written.
    pub async fn insert_points(&self, points: Vec<PointInsert>, audit: AuditInsert) -> StoreResult<Vec<i64>> {
        write_op!(self, insert_points, (points, audit)).map_err(|e| e.unique_as("service point"))
    }

    pub async fn points(&self, entity_id: Option<i64>) -> StoreResult<Vec<PointRow>> {
        read_op!(self, points, entity_id)
    }

    pub async fn point_by_code(&self, code: &str) -> StoreResult<Option<PointRow>> {
        read_op!(self, point_by_code, code)
    }

    pub async fn taken_point_codes(&self, codes: Vec<String>) -> StoreResult<Vec<String>> {
        read_op!(self, taken_point_codes, codes)
    }
}
