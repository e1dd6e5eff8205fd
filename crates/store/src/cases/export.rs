//! Exports of cases: one keyset page at a time, oldest first, each row handed to the caller as
//! it is read and borrowed from the driver's row (no copy of its text), so that a file of any
//! size is written as it is read and no query holds more than a page.

use super::ENDED;
use crate::{Store, StoreResult};
use futures::TryStreamExt;
use sqlx::Row;
use tawasul_domain::vocab::{Channel, Kind, Language, Priority, Status};

/// What a row of an export needs: the case's own columns (names come from the small tables,
/// read once), and when it reached the status it ended in. The text is borrowed from the row
/// the driver read: it lives for one call of the export's callback.
#[derive(Debug, Clone, Copy)]
pub struct ExportRow<'r> {
    pub id: i64,
    pub reference: &'r str,
    pub entity_id: i64,
    pub department_id: Option<i64>,
    pub service_id: i64,
    pub kind: Kind,
    pub status: Status,
    pub channel: Channel,
    pub language: Language,
    pub priority: Priority,
    pub description: &'r str,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<&'r str>,
    pub reporter_name: Option<&'r str>,
    pub reporter_phone: Option<&'r str>,
    pub reporter_email: Option<&'r str>,
    pub resolution: Option<&'r str>,
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

/// The columns of `ExportRow`, in its order: `export_row` reads them by position.
fn export_select() -> String {
    // The closed date is one seek in case_events_ended (migration 0022) per ended case; the
    // `IN {ENDED}` repeated inside lets the planner use that partial index.
    format!(
        "SELECT c.id, c.reference, c.entity_id, c.department_id, c.service_id, c.kind, c.status, \
         c.channel, c.language, c.priority, c.description, c.lat, c.lon, c.address, \
         c.reporter_name, c.reporter_phone, c.reporter_email, c.resolution, c.created_at, \
         c.updated_at, c.first_responded_at, c.resolution_due, \
         CASE WHEN c.status IN {ENDED} THEN \
           (SELECT MAX(ev.at) FROM case_events ev \
            WHERE ev.case_id = c.id AND ev.to_status = c.status AND ev.to_status IN {ENDED}) \
         END AS closed_at \
         FROM cases c WHERE 1 = 1"
    )
}

/// Reads a row of `export_select` by position, borrowing its text.
fn export_row<'r, R: Row>(r: &'r R) -> Result<ExportRow<'r>, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ExportRow {
        id: r.try_get(0)?,
        reference: r.try_get(1)?,
        entity_id: r.try_get(2)?,
        department_id: r.try_get(3)?,
        service_id: r.try_get(4)?,
        kind: vocab(r, 5, Kind::parse)?,
        status: vocab(r, 6, Status::parse)?,
        channel: vocab(r, 7, Channel::parse)?,
        language: vocab(r, 8, Language::parse)?,
        priority: vocab(r, 9, Priority::parse)?,
        description: r.try_get(10)?,
        lat: r.try_get(11)?,
        lon: r.try_get(12)?,
        address: r.try_get(13)?,
        reporter_name: r.try_get(14)?,
        reporter_phone: r.try_get(15)?,
        reporter_email: r.try_get(16)?,
        resolution: r.try_get(17)?,
        created_at: r.try_get(18)?,
        updated_at: r.try_get(19)?,
        first_responded_at: r.try_get(20)?,
        resolution_due: r.try_get(21)?,
        closed_at: r.try_get(22)?,
    })
}

/// A word of the vocabulary at `index`, parsed from the borrowed text.
fn vocab<'r, R: Row, T>(
    r: &'r R,
    index: usize,
    parse: fn(&str) -> Result<T, tawasul_domain::Invalid>,
) -> Result<T, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let word: &str = r.try_get(index)?;
    parse(word).map_err(|e| sqlx::Error::ColumnDecode {
        index: index.to_string(),
        source: Box::new(e),
    })
}

for_both_backends! {
    /// Calls `each` with every case of one page (see `ExportPage`) as it is read, oldest
    /// first; stops at the first error `each` returns and gives it back.
    pub async fn export_each<F, E>(c: &mut Conn, (p, each): (ExportPage, &mut F)) -> StoreResult<Result<(), E>>
    where
        F: FnMut(&ExportRow<'_>) -> Result<(), E> + Send,
        E: Send,
    {
        let mut q = sqlx::QueryBuilder::<Db>::new(export_select());
        // cases_entity_created (entity_id, created_at, id) or cases_created (created_at, id).
        if let Some(v) = p.entity_id { q.push(" AND c.entity_id = ").push_bind(v); }
        if let Some(v) = p.from { q.push(" AND c.created_at >= ").push_bind(v); }
        if let Some(v) = p.to { q.push(" AND c.created_at < ").push_bind(v); }
        if let Some((at, id)) = p.after {
            q.push(" AND (c.created_at, c.id) > (").push_bind(at).push(", ").push_bind(id).push(")");
        }
        q.push(" ORDER BY c.created_at, c.id LIMIT ").push_bind(p.limit);
        let query = q.build();
        let mut rows = query.fetch(&mut *c);
        while let Some(row) = rows.try_next().await? {
            if let Err(e) = each(&export_row(&row)?) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }

    pub async fn service_names(c: &mut Conn, _: ()) -> StoreResult<Vec<ServiceName>> {
        Ok(sqlx::query_as("SELECT id, code, name_ar, name_en FROM services ORDER BY id").fetch_all(&mut *c).await?)
    }
}

impl Store {
    /// One page of an export (see `ExportPage`), each case handed to `each` as it is read:
    /// `Err` from the store, `Ok(Err)` when `each` stopped the page.
    pub async fn export_each<F, E>(&self, page: ExportPage, each: &mut F) -> StoreResult<Result<(), E>>
    where
        F: FnMut(&ExportRow<'_>) -> Result<(), E> + Send,
        E: Send,
    {
        read_op!(self, export_each, (page, each))
    }

    /// Every service's code and names, the inactive ones too.
    pub async fn service_names(&self) -> StoreResult<Vec<ServiceName>> {
        read_op!(self, service_names, ())
    }
}
