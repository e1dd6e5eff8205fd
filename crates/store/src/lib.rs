//! Persistence for Tawasul: one schema in two dialects, SQLite (embedded default) and PostgreSQL.
//!
//! One module per aggregate holds its records, its operations (written once and compiled
//! for both backends by `for_both_backends!`) and its `Store` methods. Writes on SQLite go
//! through a single writer task that commits queued writes together (group commit); on
//! PostgreSQL each write is its own transaction on a pooled connection.

#[macro_use]
mod macros;
mod dialect;
mod sqlite_writer;

mod audit;
pub mod backup;
mod callbacks;
mod cases;
mod catalogue;
mod clients;
mod conversations;
mod copy;
mod identity;
mod jobs;
mod kpi_alerts;
mod kpis;
mod organisation;
mod points;
mod reporters;
mod workflow;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, PgPool, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub use audit::*;
pub use callbacks::*;
pub use cases::*;
pub use catalogue::*;
pub use clients::*;
pub use conversations::*;
pub use copy::CopyReport;
pub use identity::*;
pub use jobs::*;
pub use kpi_alerts::*;
pub use kpis::*;
pub use organisation::*;
pub use points::*;
pub use reporters::{ReporterCipher, Rotated};
use sqlite_writer::Writer;
pub use workflow::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the case changed meanwhile (it is now {0})")]
    Conflict(String),
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("commit failed: {0}")]
    Commit(String),
    /// Moving a store into another could not start or finish; nothing was written.
    #[error("cannot copy the store: {0}")]
    Copy(String),
    /// Copying the database for a backup, or putting one back, failed.
    #[error("{0}")]
    Backup(String),
    /// The audit log's rows from before its hash chain have not been chained yet.
    #[error("the audit log is not chained yet")]
    AuditUnchained,
    /// Cases' reporter details are stored encrypted and this node has no reporter key.
    #[error(
        "the store holds encrypted reporter details but no reporter key is configured \
         (TAWASUL_REPORTER_KEY / --reporter-key): start with the key they were encrypted with"
    )]
    ReporterKeyMissing,
    /// A case's sealed reporter details do not open with the configured key.
    #[error(
        "the reporter details of case {0} cannot be opened with the configured reporter key \
         (another key, or a changed value)"
    )]
    ReporterUnreadable(i64),
    /// Sealed values name another reporter key than the configured one.
    #[error(
        "encrypted reporter details are sealed under reporter key {found} and cannot be opened with the \
         configured reporter key {configured}: start with the key they were sealed with, or, every node \
         stopped, move them to this key with `tawasul privacy rotate-key --reporter-key NEW --old-reporter-key OLD`"
    )]
    ReporterKeyOther { found: String, configured: String },
    /// A sealed conversation address or call-back number does not open with the configured key.
    #[error("the {0} cannot be opened with the configured reporter key (another key, or a changed value)")]
    ContactUnreadable(String),
    /// A rotation of the reporter key was started and has not finished: values are sealed
    /// under both keys.
    #[error(
        "a rotation of the reporter key from {from} to {to} has not finished (values are sealed under both): \
         with every node stopped, run `tawasul privacy rotate-key --reporter-key NEW --old-reporter-key OLD` \
         again to finish it, then start with the new key"
    )]
    RotationUnfinished { from: String, to: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// From reading SQLite's rows in place (an export), past sqlx's driver.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// A unique-constraint violation becomes `Duplicate(what)`; anything else stays as it is.
    fn unique_as(self, what: &str) -> Self {
        match &self {
            StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                StoreError::Duplicate(what.to_owned())
            }
            _ => self,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Seals reporters' details at rest, when a key is configured (`reporters`).
    reporters: reporters::Cipher,
}

#[derive(Clone)]
enum Backend {
    Sqlite { read: SqlitePool, writer: Writer },
    Postgres(PgPool),
}

impl Store {
    /// Opens the database named by `database_url` (PostgreSQL), or else the SQLite file in
    /// `data_dir`, and brings its schema up to date (building the search index the first time).
    pub async fn open(data_dir: &Path, database_url: Option<&str>) -> StoreResult<Self> {
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::open_postgres(url).await
            }
            Some(url) if url.starts_with("sqlite:") => {
                Self::open_sqlite(SqliteConnectOptions::from_str(url)?.create_if_missing(true)).await
            }
            Some(other) => Err(StoreError::Database(sqlx::Error::Configuration(
                format!("unsupported database URL {other:?}: use postgres://… or sqlite:…").into(),
            ))),
            None => {
                std::fs::create_dir_all(data_dir).map_err(sqlx::Error::Io)?;
                let file = backup::sqlite_file(data_dir);
                Self::open_sqlite(SqliteConnectOptions::new().filename(file).create_if_missing(true)).await
            }
        }
    }

    async fn open_sqlite(options: SqliteConnectOptions) -> StoreResult<Self> {
        // FULL: a commit is on disk before the writer acknowledges it, so an acknowledged case
        // survives a crash or power loss. Group commit pays the fsync once per batch.
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-32000")
            .disable_statement_logging();
        let mut conn = options.connect().await?;
        sqlx::migrate!("./migrations/sqlite").run(&mut conn).await?;
        // The query planner's statistics, refreshed where they are missing or stale, each
        // index sampled briefly so that opening a store of millions stays quick (SQLite's
        // advice for long-lived connections).
        sqlx::query("PRAGMA analysis_limit = 1000").execute(&mut conn).await?;
        sqlx::query("PRAGMA optimize = 0x10002").execute(&mut conn).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options.read_only(true))
            .await?;
        let store = Self {
            backend: Backend::Sqlite {
                read,
                writer: Writer::spawn(conn),
            },
            reporters: None,
        };
        store.build_search_index_if_new().await?;
        store.chain_audit_log_if_new().await?;
        Ok(store)
    }

    async fn open_postgres(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?.disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(24)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        // sqlx takes an advisory lock while migrating, so nodes starting together are safe.
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let store = Self {
            backend: Backend::Postgres(pool),
            reporters: None,
        };
        store.build_search_index_if_new().await?;
        store.chain_audit_log_if_new().await?;
        Ok(store)
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Waits for queued writes to commit and closes the connections.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { read, writer } => {
                writer.shutdown().await;
                read.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// Gathers the query planner's statistics anew, after a bulk load changed the shape of the
    /// data.
    pub async fn analyze(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                writer
                    .run(|c| Box::pin(async move { Ok(sqlx::query("ANALYZE").execute(&mut *c).await.map(drop)?) }))
                    .await
            }
            Backend::Postgres(pool) => Ok(sqlx::query("ANALYZE").execute(pool).await.map(drop)?),
        }
    }

    pub async fn ping(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite { read, .. } => read.acquire().await?.ping().await?,
            Backend::Postgres(pool) => pool.acquire().await?.ping().await?,
        }
        Ok(())
    }
}

pub use sqlx::Error as SqlxError;

/// How long a request waits for a PostgreSQL connection. While the server is down the pool
/// keeps trying to connect until this runs out, so it is how long a request takes to be told
/// 503: short, since a refusal now is worth more than an answer that never comes; a busy pool
/// hands connections back in milliseconds.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
