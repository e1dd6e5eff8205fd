//! The database's part of a backup: one consistent copy taken while the server keeps writing,
//! and putting it back.
//!
//! SQLite: `VACUUM INTO` a new file, the snapshot of one read transaction. PostgreSQL:
//! `pg_dump --format=custom` (one snapshot too), put back with `pg_restore`; both are
//! PostgreSQL's client tools, run as processes, whose version must be the server's or newer.

use crate::{Backend, Store, StoreError, StoreResult};
use sqlx::{Connection, PgConnection};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;

/// The SQLite database's file, in the data directory and in a backup.
pub const SQLITE_FILE: &str = "tawasul.db";
/// PostgreSQL's dump in a backup.
pub const POSTGRES_DUMP: &str = "database.pgdump";

/// The SQLite database of a data directory.
pub fn sqlite_file(data_dir: &Path) -> PathBuf {
    data_dir.join(SQLITE_FILE)
}

/// Which database a store or a backup is on; named as `Store::backend_name` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Sqlite, Self::Postgres].into_iter().find(|k| k.name() == name)
    }

    /// The backup's file that holds the database.
    pub fn database_file(self) -> &'static str {
        match self {
            Self::Sqlite => SQLITE_FILE,
            Self::Postgres => POSTGRES_DUMP,
        }
    }

    /// The newest migration this binary has: a database beyond it is from a newer Tawasul.
    pub fn latest_migration(self) -> i64 {
        let migrator = match self {
            Self::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Self::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }
}

fn backup_error(message: impl Into<String>) -> StoreError {
    StoreError::Backup(message.into())
}

impl Store {
    pub fn backend_kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite { .. } => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// The newest migration applied to this database.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        const SQL: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";
        let version: Option<i64> = match &self.backend {
            Backend::Sqlite { read, .. } => sqlx::query_scalar(SQL).fetch_one(read).await?,
            Backend::Postgres(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await?,
        };
        Ok(version.unwrap_or(0))
    }

    /// Writes a consistent copy of the database into the directory `dir` (its file named by
    /// [`BackendKind::database_file`]) while writers go on. PostgreSQL's copy is `pg_dump`'s,
    /// which connects to `database_url` itself.
    pub async fn copy_database_into(&self, dir: &Path, database_url: Option<&str>) -> StoreResult<PathBuf> {
        let file = dir.join(self.backend_kind().database_file());
        match &self.backend {
            Backend::Sqlite { read, .. } => {
                // One read transaction: the copy is the database as of one commit.
                sqlx::query("VACUUM INTO ?")
                    .bind(file.to_string_lossy().into_owned())
                    .execute(read)
                    .await?;
                // SQLite does not sync the file VACUUM INTO writes.
                let synced = file.clone();
                tokio::task::spawn_blocking(move || std::fs::File::open(&synced)?.sync_all())
                    .await
                    .map_err(|e| backup_error(e.to_string()))?
                    .map_err(sqlx::Error::Io)?;
            }
            Backend::Postgres(_) => {
                let url = database_url.ok_or_else(|| backup_error("pg_dump needs the database's URL"))?;
                let mut args = vec!["--format=custom".to_owned(), format!("--file={}", file.display())];
                args.push("--no-password".into());
                run_tool("pg_dump", args, url).await?;
            }
        }
        Ok(file)
    }
}

/// The first table of the PostgreSQL database at `url`, if it has any: a database in use.
pub async fn postgres_table(url: &str) -> StoreResult<Option<String>> {
    let options = sqlx::postgres::PgConnectOptions::from_str(url)?;
    let mut c = PgConnection::connect_with(&options).await?;
    let table = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() ORDER BY table_name LIMIT 1",
    )
    .fetch_optional(&mut c)
    .await?;
    c.close().await?;
    Ok(table)
}

/// Loads `dump` (`pg_dump --format=custom`) into the database at `url`, in one transaction;
/// with `replace`, the dump's tables that are there already are dropped first.
pub async fn restore_postgres(dump: &Path, url: &str, replace: bool) -> StoreResult<()> {
    let mut args = vec![
        "--single-transaction".to_owned(),
        "--exit-on-error".into(),
        "--no-owner".into(),
        "--no-password".into(),
    ];
    if replace {
        args.extend(["--clean".into(), "--if-exists".into()]);
    }
    args.push(dump.display().to_string());
    run_tool("pg_restore", args, url).await
}

/// Puts the SQLite database `copy` in place as `data_dir`'s, replacing any there (and its
/// write-ahead log, which belongs to the database replaced and would be replayed into the copy).
pub fn restore_sqlite(copy: &Path, data_dir: &Path) -> StoreResult<()> {
    let target = sqlite_file(data_dir);
    let staged = data_dir.join(format!("{SQLITE_FILE}.restoring"));
    std::fs::copy(copy, &staged).map_err(sqlx::Error::Io)?;
    std::fs::File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(sqlx::Error::Io)?;
    for stale in ["-wal", "-shm"] {
        match std::fs::remove_file(data_dir.join(format!("{SQLITE_FILE}{stale}"))) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(sqlx::Error::Io(e).into()),
            _ => {}
        }
    }
    std::fs::rename(&staged, &target).map_err(sqlx::Error::Io)?;
    std::fs::File::open(data_dir)
        .and_then(|d| d.sync_all())
        .map_err(sqlx::Error::Io)?;
    Ok(())
}

/// Runs one of PostgreSQL's client tools against `url`. The password goes in the environment,
/// not on the command line where other users of the machine could read it.
async fn run_tool(tool: &str, mut args: Vec<String>, url: &str) -> StoreResult<()> {
    let mut parsed = url::Url::parse(url).map_err(|e| backup_error(format!("the database URL: {e}")))?;
    let password = parsed
        .password()
        .map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned());
    let _ = parsed.set_password(None);
    args.push(format!("--dbname={parsed}"));
    let mut command = tokio::process::Command::new(tool);
    command
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => backup_error(format!(
            "{tool} was not found on PATH: install PostgreSQL's client tools (the server's major version or newer)"
        )),
        _ => backup_error(format!("running {tool}: {e}")),
    })?;
    if !output.status.success() {
        return Err(backup_error(format!(
            "{tool} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}
