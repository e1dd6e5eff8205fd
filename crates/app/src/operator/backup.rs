//! Backups of an installation (`tawasul backup`) and putting one back on another machine
//! (`tawasul restore`).
//!
//! A backup is a directory: the database (one consistent copy, taken while the server runs),
//! the attachments, the server key that opens the sealed secrets, and `manifest.json`, which
//! names each file with its size and SHA-256. It is written as `PATH.partial` and renamed
//! once complete, so an interrupted backup never looks like one. The database is copied
//! before the attachments: a case's files are stored before its row commits, so every file
//! the copied database refers to is there when the attachments are copied after it.
//!
//! Restoring checks every file against the manifest before it touches anything, writes into
//! an empty data directory (and empty PostgreSQL database), then brings the schema up to date.

use super::Operator;
use crate::identity::sealing::KEY_FILE;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use tawasul_store::backup::BackendKind;
use tawasul_store::{Store, StoreError};

/// The manifest's file in a backup.
pub const MANIFEST: &str = "manifest.json";
/// The layout of backups this version writes and reads.
pub const FORMAT: u32 = 1;
/// The attachments' directory, in the data directory and in a backup.
const BLOBS: &str = "blobs";

/// What a backup holds, written beside its files as `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub tawasul_version: String,
    /// The newest migration applied to the database copied.
    pub schema_version: i64,
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub created_at: DateTime<Utc>,
    /// The server key came from configuration (`TAWASUL_SECRET_KEY`), so the backup does not
    /// hold it: whoever restores must configure the same key.
    pub server_key_configured: bool,
    pub files: Vec<FileEntry>,
}

/// One file of a backup, by its path inside the backup (with `/` between folders).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// Why a backup could not be taken or put back. Nothing is left half-done: a backup that fails
/// leaves only `PATH.partial`, a restore that refuses has written nothing.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists and is not empty: back up into a new directory")]
    TargetExists(PathBuf),
    #[error("{0} exists: another backup is being written there, or one was interrupted (remove it and try again)")]
    PartialExists(PathBuf),
    #[error("{path} is not a backup: {reason}")]
    NotABackup { path: PathBuf, reason: String },
    #[error("the backup is damaged: {file} {reason}; nothing was restored")]
    Damaged { file: String, reason: String },
    #[error("the backup's schema (migration {backup}) is newer than this tawasul knows (migration {known}): restore it with the version that made it ({version}) or newer")]
    NewerSchema { backup: i64, known: i64, version: String },
    #[error("the backup is of a {backup} database; {asked}")]
    BackendMismatch { backup: String, asked: String },
    #[error("{0}; nothing was restored (--force restores over it)")]
    TargetInUse(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

type BackupResult<T> = Result<T, BackupError>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    pub manifest: Manifest,
    /// The schema after migrating: the backup's, or this binary's newest if it was older.
    pub schema_version: i64,
}

/// Where and what to restore.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    pub from: PathBuf,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Restore over a data directory or database that holds something already.
    pub force: bool,
}

impl Operator<'_> {
    /// Takes a backup of this installation into the new directory `to` (see the module's
    /// documentation) and returns its manifest.
    pub async fn backup(&self, to: &Path) -> BackupResult<Manifest> {
        let partial = partial_path(to);
        let prepared = (to.to_path_buf(), partial.clone());
        tokio::task::spawn_blocking(move || prepare_target(&prepared.0, &prepared.1))
            .await
            .map_err(anyhow::Error::from)??;
        let written = self.write_backup(&partial, to).await;
        if written.is_err() {
            // A failure seen (not a crash) leaves nothing behind, so the next backup may start.
            let _ = tokio::fs::remove_dir_all(&partial).await;
        }
        written
    }

    async fn write_backup(&self, partial: &Path, to: &Path) -> BackupResult<Manifest> {
        let settings = &self.app.settings;
        let store = &self.app.store;
        let schema_version = store.schema_version().await?;
        let database = store
            .copy_database_into(partial, settings.database_url.as_deref())
            .await?;
        let data_dir = settings.data_dir.clone();
        let server_key_configured = settings.secret_key.is_some();
        let mut manifest = Manifest {
            format: FORMAT,
            tawasul_version: env!("CARGO_PKG_VERSION").to_owned(),
            schema_version,
            backend: store.backend_kind().name().to_owned(),
            created_at: self.app.now(),
            server_key_configured,
            files: vec![],
        };
        let (partial, target) = (partial.to_path_buf(), to.to_path_buf());
        tokio::task::spawn_blocking(move || {
            manifest.files.push(entry_of(&partial, &database)?);
            if !server_key_configured {
                let key = data_dir.join(KEY_FILE);
                manifest.files.push(copy_hashed(&key, &partial, KEY_FILE)?);
                restrict(&partial.join(KEY_FILE))?;
            }
            manifest.files.extend(copy_blobs(&data_dir.join(BLOBS), &partial)?);
            let manifest_path = partial.join(MANIFEST);
            let text = serde_json::to_vec_pretty(&manifest).map_err(anyhow::Error::from)?;
            write_synced(&manifest_path, &text)?;
            sync_dir(&partial)?;
            // Onto an empty directory too: rename(2) replaces one.
            std::fs::rename(&partial, &target).map_err(io(&target))?;
            sync_dir(
                target
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new(".")),
            )?;
            Ok(manifest)
        })
        .await
        .map_err(anyhow::Error::from)?
    }
}

/// Puts the backup `request.from` into `request.data_dir` (and the PostgreSQL database
/// `request.database_url`), after checking every file against its manifest, and migrates it.
pub async fn restore(request: RestoreRequest) -> BackupResult<Restored> {
    let checked = request.clone();
    let (manifest, backend) = tokio::task::spawn_blocking(move || check_backup(&checked))
        .await
        .map_err(anyhow::Error::from)??;
    if let Some(url) = &request.database_url {
        if !request.force {
            if let Some(table) = tawasul_store::backup::postgres_table(url).await? {
                return Err(BackupError::TargetInUse(format!(
                    "the database already has tables (e.g. {table})"
                )));
            }
        }
    }
    let copied = request.clone();
    let listed = manifest.clone();
    tokio::task::spawn_blocking(move || copy_files_back(&copied, &listed, backend))
        .await
        .map_err(anyhow::Error::from)??;
    if let Some(url) = &request.database_url {
        let dump = request.from.join(backend.database_file());
        tawasul_store::backup::restore_postgres(&dump, url, request.force).await?;
    }
    // Opening the store brings an older schema up to date.
    let store = Store::open(&request.data_dir, request.database_url.as_deref()).await?;
    let schema_version = store.schema_version().await;
    store.close().await;
    Ok(Restored {
        manifest,
        schema_version: schema_version?,
    })
}

/// The manifest read and every file it lists checked; the target's backend and data
/// directory fit it. Nothing is written.
fn check_backup(request: &RestoreRequest) -> BackupResult<(Manifest, BackendKind)> {
    let not_a_backup = |reason: String| BackupError::NotABackup {
        path: request.from.clone(),
        reason,
    };
    let manifest_path = request.from.join(MANIFEST);
    let text = match std::fs::read(&manifest_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(not_a_backup(format!(
                "it has no {MANIFEST} (an interrupted backup is left as PATH.partial)"
            )))
        }
        Err(e) => return Err(io(&manifest_path)(e)),
    };
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| not_a_backup(format!("{MANIFEST} is not a complete manifest ({e})")))?;
    if manifest.format != FORMAT {
        return Err(not_a_backup(format!(
            "its format is {}, this tawasul reads format {FORMAT}",
            manifest.format
        )));
    }
    let backend = BackendKind::parse(&manifest.backend)
        .ok_or_else(|| not_a_backup(format!("unknown backend {:?}", manifest.backend)))?;
    let mut seen = BTreeSet::new();
    for file in &manifest.files {
        if !allowed_path(&file.path, backend) {
            return Err(not_a_backup(format!(
                "{MANIFEST} lists {:?}, which a backup does not hold",
                file.path
            )));
        }
        if !seen.insert(file.path.as_str()) {
            return Err(not_a_backup(format!("{MANIFEST} lists {:?} twice", file.path)));
        }
    }
    let database = backend.database_file();
    if !seen.contains(database) {
        return Err(not_a_backup(format!("{MANIFEST} lists no {database}")));
    }
    if !manifest.server_key_configured && !seen.contains(KEY_FILE) {
        return Err(not_a_backup(format!("{MANIFEST} lists no {KEY_FILE}")));
    }
    for file in &manifest.files {
        verify(&request.from, file)?;
    }
    let known = backend.latest_migration();
    if manifest.schema_version > known {
        return Err(BackupError::NewerSchema {
            backup: manifest.schema_version,
            known,
            version: manifest.tawasul_version.clone(),
        });
    }
    let postgres_url = request
        .database_url
        .as_deref()
        .is_some_and(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
    match (backend, &request.database_url) {
        (BackendKind::Sqlite, None) => {}
        (BackendKind::Postgres, Some(_)) if postgres_url => {}
        (BackendKind::Sqlite, Some(_)) => {
            return Err(BackupError::BackendMismatch {
                backup: "SQLite".into(),
                asked: "restore it without --database-url (then `tawasul migrate-store` moves it into PostgreSQL)"
                    .into(),
            })
        }
        (BackendKind::Postgres, _) => {
            return Err(BackupError::BackendMismatch {
                backup: "PostgreSQL".into(),
                asked: "give --database-url postgres://… of an empty database".into(),
            })
        }
    }
    if !request.force && !is_empty_or_absent(&request.data_dir)? {
        return Err(BackupError::TargetInUse(format!(
            "{} is not empty",
            request.data_dir.display()
        )));
    }
    Ok((manifest, backend))
}

/// The paths a backup holds: the database file of its backend, the server key and the
/// attachments, each without `..`, roots or anything that could lead out of the data directory.
fn allowed_path(path: &str, backend: BackendKind) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let plain = |part: &str| {
        !part.is_empty()
            && matches!(
                Path::new(part).components().collect::<Vec<_>>().as_slice(),
                [Component::Normal(_)]
            )
            && !part.contains('\\')
    };
    match parts.as_slice() {
        [one] => *one == backend.database_file() || *one == KEY_FILE,
        [BLOBS, folder, key] => plain(folder) && plain(key) && key.bytes().all(|b| b.is_ascii_hexdigit()),
        _ => false,
    }
}

/// The file is there, of the manifest's size and SHA-256.
fn verify(root: &Path, entry: &FileEntry) -> BackupResult<()> {
    let damaged = |reason: String| BackupError::Damaged {
        file: entry.path.clone(),
        reason,
    };
    let path = root.join(&entry.path);
    let (size, sha256) = match hash_file(&path) {
        Ok(found) => found,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(damaged("is missing".into())),
        Err(e) => return Err(io(&path)(e)),
    };
    if size != entry.size {
        return Err(damaged(format!("has {size} bytes, the manifest says {}", entry.size)));
    }
    if sha256 != entry.sha256 {
        return Err(damaged("does not have the SHA-256 the manifest says".into()));
    }
    Ok(())
}

/// The backup's files into the data directory, the SQLite database last; a PostgreSQL dump
/// is loaded by the caller.
fn copy_files_back(request: &RestoreRequest, manifest: &Manifest, backend: BackendKind) -> BackupResult<()> {
    let data_dir = &request.data_dir;
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    for file in manifest.files.iter().filter(|f| f.path != backend.database_file()) {
        let target = data_dir.join(&file.path);
        let dir = target.parent().unwrap_or(data_dir);
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let staged = dir.join(format!(
            ".restoring-{}",
            target.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
        ));
        copy_synced(&request.from.join(&file.path), &staged)?;
        if file.path == KEY_FILE {
            restrict(&staged)?;
        }
        std::fs::rename(&staged, &target).map_err(io(&target))?;
    }
    if backend == BackendKind::Sqlite {
        tawasul_store::backup::restore_sqlite(&request.from.join(backend.database_file()), data_dir)?;
    }
    sync_dir(data_dir)
}

fn partial_path(to: &Path) -> PathBuf {
    let mut name = to.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// `to` is absent or an empty directory, and `partial` is made new, empty.
fn prepare_target(to: &Path, partial: &Path) -> BackupResult<()> {
    if !is_empty_or_absent(to)? {
        return Err(BackupError::TargetExists(to.to_path_buf()));
    }
    match std::fs::create_dir(partial) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(BackupError::PartialExists(partial.to_path_buf()))
        }
        Err(e) => Err(io(partial)(e)),
    }
}

/// Absent, or an empty directory (a file is not empty).
fn is_empty_or_absent(path: &Path) -> BackupResult<bool> {
    match std::fs::read_dir(path) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(false),
        Err(e) => Err(io(path)(e)),
    }
}

/// Every attachment of `blobs` (`blobs/ab/abcd…`) copied into the backup. A blob being written
/// is a hidden temporary file until it is complete, and is left out.
fn copy_blobs(blobs: &Path, backup: &Path) -> BackupResult<Vec<FileEntry>> {
    let mut entries = vec![];
    let folders = match std::fs::read_dir(blobs) {
        Ok(folders) => folders,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(entries),
        Err(e) => return Err(io(blobs)(e)),
    };
    let is_key = |name: &str| !name.is_empty() && name.bytes().all(|b| b.is_ascii_hexdigit());
    for folder in folders {
        let folder = folder.map_err(io(blobs))?;
        let folder_name = folder.file_name().to_string_lossy().into_owned();
        if !is_key(&folder_name) || !folder.file_type().map_err(io(&folder.path()))?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(folder.path()).map_err(io(&folder.path()))? {
            let file = file.map_err(io(&folder.path()))?;
            let name = file.file_name().to_string_lossy().into_owned();
            if !is_key(&name) || !file.file_type().map_err(io(&file.path()))?.is_file() {
                continue;
            }
            let relative = format!("{BLOBS}/{folder_name}/{name}");
            entries.push(copy_hashed(&file.path(), backup, &relative)?);
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// Copies `source` to `backup/relative`, synced, and says what it wrote.
fn copy_hashed(source: &Path, backup: &Path, relative: &str) -> BackupResult<FileEntry> {
    let target = backup.join(relative);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let (size, sha256) = copy_synced(source, &target)?;
    Ok(FileEntry {
        path: relative.to_owned(),
        size,
        sha256,
    })
}

/// The entry of a file already in the backup.
fn entry_of(backup: &Path, file: &Path) -> BackupResult<FileEntry> {
    let (size, sha256) = hash_file(file).map_err(io(file))?;
    let relative = file.strip_prefix(backup).unwrap_or(file);
    Ok(FileEntry {
        path: relative.to_string_lossy().replace('\\', "/"),
        size,
        sha256,
    })
}

/// Copies `source` to the new file `target`, synced; returns the size and SHA-256 of the bytes
/// written.
fn copy_synced(source: &Path, target: &Path) -> BackupResult<(u64, String)> {
    let mut from = std::fs::File::open(source).map_err(io(source))?;
    let mut to = std::fs::File::create(target).map_err(io(target))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = from.read(&mut buffer).map_err(io(source))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        to.write_all(&buffer[..n]).map_err(io(target))?;
        size += n as u64;
    }
    to.sync_all().map_err(io(target))?;
    Ok((size, hex::encode(hasher.finalize())))
}

fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher)?;
    Ok((size, hex::encode(hasher.finalize())))
}

fn write_synced(path: &Path, bytes: &[u8]) -> BackupResult<()> {
    let mut file = std::fs::File::create(path).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

fn sync_dir(dir: &Path) -> BackupResult<()> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// The server key readable by its owner only, as the server makes it.
fn restrict(path: &Path) -> BackupResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io(path))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_names_only_what_a_backup_holds() {
        let sqlite = BackendKind::Sqlite;
        for good in ["tawasul.db", "secret.key", "blobs/ab/abcdef0123456789"] {
            assert!(allowed_path(good, sqlite), "{good}");
        }
        for hostile in [
            "../tawasul.db",
            "/etc/passwd",
            "blobs/../../x",
            "blobs/ab/../../../etc",
            "blobs/ab/abcd/ef",
            "blobs/ab/not-hex",
            "blobs//abcd",
            "database.pgdump",
            "manifest.json",
            "",
            "blobs/ab/..",
            "blobs/ab\\..\\x/abcd",
        ] {
            assert!(!allowed_path(hostile, sqlite), "{hostile:?}");
        }
        assert!(allowed_path("database.pgdump", BackendKind::Postgres));
        assert!(!allowed_path("tawasul.db", BackendKind::Postgres));
    }

    #[test]
    fn the_partial_directory_is_beside_the_backup() {
        assert_eq!(partial_path(Path::new("/b/nightly")), Path::new("/b/nightly.partial"));
    }
}
