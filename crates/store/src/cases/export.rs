//! Exports of cases: one keyset page at a time, oldest first, each row handed to the caller as
//! it is read and borrowed from the driver's row (no copy of its text), so that a file of any
//! size is written as it is read and no query holds more than a page.
//!
//! On SQLite the page is read on the pooled connection's own handle through rusqlite, not
//! through sqlx's driver: sqlx copies every value of every row and sends each row across
//! threads, which cost most of an export's time (BENCHMARKS.md, "Exports"). rusqlite's rows
//! are SQLite's own, read by position in place.

use super::ENDED;
use crate::{Backend, Store, StoreResult};
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
    /// The reporter's details encrypted (`crate::reporters`): `export_each` opens them into
    /// the three fields and hands on `None`.
    pub reporter_sealed: Option<&'r str>,
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

/// Why an export's page stopped early: its caller said so, or a row could not be read.
enum Stop<E> {
    Caller(E),
    Store(crate::StoreError),
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
         END AS closed_at, c.reporter_sealed \
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
        reporter_sealed: r.try_get(23)?,
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

/// The page's conditions after `export_select` and its parameters in order, each placeholder
/// written by `mark` from its number.
fn page_conditions(p: &ExportPage, mark: fn(usize) -> String) -> (String, Vec<i64>) {
    let mut sql = String::new();
    let mut params = Vec::with_capacity(6);
    let mut bind = |sql: &mut String, v: i64| {
        params.push(v);
        sql.push_str(&mark(params.len()));
    };
    // cases_entity_created (entity_id, created_at, id) or cases_created (created_at, id).
    if let Some(v) = p.entity_id {
        sql.push_str(" AND c.entity_id = ");
        bind(&mut sql, v);
    }
    if let Some(v) = p.from {
        sql.push_str(" AND c.created_at >= ");
        bind(&mut sql, v);
    }
    if let Some(v) = p.to {
        sql.push_str(" AND c.created_at < ");
        bind(&mut sql, v);
    }
    if let Some((at, id)) = p.after {
        sql.push_str(" AND (c.created_at, c.id) > (");
        bind(&mut sql, at);
        sql.push_str(", ");
        bind(&mut sql, id);
        sql.push(')');
    }
    sql.push_str(" ORDER BY c.created_at, c.id LIMIT ");
    bind(&mut sql, p.limit);
    (sql, params)
}

/// PostgreSQL: the page streamed through sqlx, each row read in place.
async fn pg_export_each<F, E>(c: &mut sqlx::PgConnection, p: ExportPage, each: &mut F) -> StoreResult<Result<(), E>>
where
    F: FnMut(&ExportRow<'_>) -> Result<(), E> + Send,
    E: Send,
{
    let (conditions, params) = page_conditions(&p, |n| format!("${n}"));
    let sql = format!("{}{conditions}", export_select());
    let mut query = sqlx::query(&sql);
    for v in params {
        query = query.bind(v);
    }
    let mut rows = query.fetch(&mut *c);
    while let Some(row) = rows.try_next().await? {
        if let Err(e) = each(&export_row(&row)?) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

/// SQLite: the page stepped on the connection's own handle, locked away from sqlx's worker
/// thread meanwhile. The page runs on the calling thread (a page of 5,000 rows is tens of
/// milliseconds).
async fn sqlite_export_each<F, E>(
    c: &mut sqlx::SqliteConnection,
    p: ExportPage,
    each: &mut F,
) -> StoreResult<Result<(), E>>
where
    F: FnMut(&ExportRow<'_>) -> Result<(), E> + Send,
    E: Send,
{
    let mut handle = c.lock_handle().await?;
    // SAFETY: sqlx makes no call on the handle while `handle` (its lock) lives, and the
    // rusqlite connection made from it, which neither closes it nor outlives this block, is
    // the only user meanwhile. Both link the one libsqlite3-sys.
    let conn = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }?;
    let (conditions, params) = page_conditions(&p, |n| format!("?{n}"));
    let mut statement = conn.prepare(&format!("{}{conditions}", export_select()))?;
    let mut rows = statement.query(rusqlite::params_from_iter(params))?;
    while let Some(row) = rows.next()? {
        if let Err(e) = each(&raw::export_row(row)?) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

/// Reading `export_select`'s columns from a rusqlite row, by position, borrowing the text.
mod raw {
    use super::ExportRow;
    use rusqlite::types::{FromSqlError, ValueRef};
    use rusqlite::{Error, Row};
    use tawasul_domain::vocab::{Channel, Kind, Language, Priority, Status};

    pub(super) fn export_row<'r>(r: &'r Row<'_>) -> rusqlite::Result<ExportRow<'r>> {
        Ok(ExportRow {
            id: int(r, 0)?,
            reference: text(r, 1)?,
            entity_id: int(r, 2)?,
            department_id: opt_int(r, 3)?,
            service_id: int(r, 4)?,
            kind: vocab(r, 5, Kind::parse)?,
            status: vocab(r, 6, Status::parse)?,
            channel: vocab(r, 7, Channel::parse)?,
            language: vocab(r, 8, Language::parse)?,
            priority: vocab(r, 9, Priority::parse)?,
            description: text(r, 10)?,
            lat: opt_real(r, 11)?,
            lon: opt_real(r, 12)?,
            address: opt_text(r, 13)?,
            reporter_name: opt_text(r, 14)?,
            reporter_phone: opt_text(r, 15)?,
            reporter_email: opt_text(r, 16)?,
            resolution: opt_text(r, 17)?,
            created_at: int(r, 18)?,
            updated_at: int(r, 19)?,
            first_responded_at: opt_int(r, 20)?,
            resolution_due: opt_int(r, 21)?,
            closed_at: opt_int(r, 22)?,
            reporter_sealed: opt_text(r, 23)?,
        })
    }

    fn wrong(index: usize, value: ValueRef<'_>) -> Error {
        Error::FromSqlConversionFailure(index, value.data_type(), Box::new(FromSqlError::InvalidType))
    }

    fn int(r: &Row<'_>, index: usize) -> rusqlite::Result<i64> {
        opt_int(r, index)?.ok_or_else(|| Error::InvalidColumnType(index, "NULL".into(), rusqlite::types::Type::Null))
    }

    fn opt_int(r: &Row<'_>, index: usize) -> rusqlite::Result<Option<i64>> {
        match r.get_ref(index)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(v) => Ok(Some(v)),
            other => Err(wrong(index, other)),
        }
    }

    /// A REAL column; an integral value SQLite kept as an integer reads as its number.
    fn opt_real(r: &Row<'_>, index: usize) -> rusqlite::Result<Option<f64>> {
        match r.get_ref(index)? {
            ValueRef::Null => Ok(None),
            ValueRef::Real(v) => Ok(Some(v)),
            ValueRef::Integer(v) => Ok(Some(v as f64)),
            other => Err(wrong(index, other)),
        }
    }

    fn text<'r>(r: &'r Row<'_>, index: usize) -> rusqlite::Result<&'r str> {
        opt_text(r, index)?.ok_or_else(|| Error::InvalidColumnType(index, "NULL".into(), rusqlite::types::Type::Null))
    }

    fn opt_text<'r>(r: &'r Row<'_>, index: usize) -> rusqlite::Result<Option<&'r str>> {
        match r.get_ref(index)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(bytes) => std::str::from_utf8(bytes).map(Some).map_err(Error::Utf8Error),
            other => Err(wrong(index, other)),
        }
    }

    fn vocab<T>(
        r: &Row<'_>,
        index: usize,
        parse: fn(&str) -> Result<T, tawasul_domain::Invalid>,
    ) -> rusqlite::Result<T> {
        parse(text(r, index)?)
            .map_err(|e| Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e)))
    }
}

for_both_backends! {
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
        // A sealed reporter is opened here; a row that does not open stops the page with the
        // store's error.
        let mut opened = |row: &ExportRow<'_>| -> Result<(), Stop<E>> {
            let Some(sealed) = row.reporter_sealed else {
                return each(row).map_err(Stop::Caller);
            };
            let (name, phone, email) = self.open_reporter_fields(row.id, sealed).map_err(Stop::Store)?;
            each(&ExportRow {
                reporter_name: name.as_deref(),
                reporter_phone: phone.as_deref(),
                reporter_email: email.as_deref(),
                reporter_sealed: None,
                ..*row
            })
            .map_err(Stop::Caller)
        };
        let read = match &self.backend {
            Backend::Sqlite { read, .. } => sqlite_export_each(&mut *read.acquire().await?, page, &mut opened).await,
            Backend::Postgres(pool) => pg_export_each(&mut *pool.acquire().await?, page, &mut opened).await,
        };
        match read? {
            Ok(()) => Ok(Ok(())),
            Err(Stop::Caller(e)) => Ok(Err(e)),
            Err(Stop::Store(e)) => Err(e),
        }
    }

    /// Every service's code and names, the inactive ones too.
    pub async fn service_names(&self) -> StoreResult<Vec<ServiceName>> {
        read_op!(self, service_names, ())
    }
}
