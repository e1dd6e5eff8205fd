//! Attachment bytes live outside the database, behind one interface: a local directory by
//! default; S3-compatible storage can take its place.

use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores the bytes under `key` durably before returning. Storing the same key twice is
    /// fine, and marks the blob as stored now: the orphan sweep leaves a blob alone for a
    /// grace period after its last `put`, long enough for the row that uses it to commit.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()>;
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
    /// Removes a blob; removing one that is not there is fine.
    async fn delete(&self, key: &str) -> anyhow::Result<()>;
    /// The keys of the blobs last stored before `before`, for the orphan sweep; it also
    /// removes what a write cut short left behind before then.
    async fn stored_before(&self, before: SystemTime) -> anyhow::Result<Vec<String>>;
    /// Removes the blob if it was last stored before `before` (no `put` of it since): whether
    /// it did. A `put` of the same key either comes first, and the blob is kept, or after, and
    /// stores it anew.
    async fn delete_if_stored_before(&self, key: &str, before: SystemTime) -> anyhow::Result<bool>;
}

/// A blob no attachment uses is kept this long after it was last stored: the row that stores
/// it commits well within it (an intake in milliseconds, a recorded call's case within the
/// call).
pub const ORPHAN_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

impl crate::App {
    /// Removes the blobs no attachment uses that were last stored more than [`ORPHAN_GRACE`]
    /// ago: a failed report's, a recording whose call made no case, a write cut short.
    /// Returns how many. The blobs are listed, then the store is asked which of them are
    /// used, then each is removed only if nothing stored it since it was listed: a report
    /// committed before the question keeps its blob, one storing it after marks it anew.
    pub async fn sweep_orphan_blobs(&self) -> crate::Outcome<usize> {
        let before = SystemTime::from(self.now()) - ORPHAN_GRACE;
        let listed = self.blobs.stored_before(before).await?;
        let mut removed = 0;
        for key in self.store.unreferenced_blobs(listed).await? {
            if self.blobs.delete_if_stored_before(&key, before).await? {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// What storing a file failed as: a full disk (or quota) is `StorageFull`, anything else
/// unexpected.
pub(crate) fn storing_failed(e: anyhow::Error) -> crate::Failure {
    use std::io::ErrorKind::{QuotaExceeded, StorageFull};
    let full = e
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| matches!(io.kind(), StorageFull | QuotaExceeded));
    match full {
        true => crate::Failure::StorageFull,
        false => crate::Failure::Unexpected(e.context("storing a file")),
    }
}

pub struct LocalDir {
    root: PathBuf,
    /// Held by a `put` that finds its blob stored (while it marks it stored now) and by the
    /// sweep while it checks and removes one, so that neither happens between the other's two
    /// steps.
    sweeping: Arc<Mutex<()>>,
}

/// Temporary files of writes in progress start with this; a crash can leave one.
const TEMPORARY: &str = ".tmp-";

impl LocalDir {
    pub fn new(root: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&root)?;
        Ok(Self {
            root,
            sweeping: Arc::default(),
        })
    }

    fn path(&self, key: &str) -> anyhow::Result<PathBuf> {
        // Keys are content digests; anything else could walk out of the directory.
        anyhow::ensure!(
            key.len() >= 8 && key.bytes().all(|b| b.is_ascii_hexdigit()),
            "invalid blob key"
        );
        Ok(self.root.join(&key[..2]).join(key))
    }
}

/// Whether the file was last written before `before` (false when it is gone).
fn written_before(path: &Path, before: SystemTime) -> std::io::Result<bool> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(meta.modified()? < before),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl BlobStore for LocalDir {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        let path = self.path(key)?;
        let sweeping = self.sweeping.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            {
                let _sweeping = sweeping
                    .lock()
                    .map_err(|_| anyhow::anyhow!("the blob lock is poisoned"))?;
                if path.exists() {
                    std::fs::File::options()
                        .write(true)
                        .open(&path)?
                        .set_modified(SystemTime::now())?;
                    return Ok(());
                }
            }
            let dir = path
                .parent()
                .ok_or_else(|| anyhow::anyhow!("blob path has no parent"))?;
            std::fs::create_dir_all(dir)?;
            write_new(dir, &path, &bytes)
        })
        .await?
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let path = self.path(key)?;
        match tokio::fs::read(path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn stored_before(&self, before: SystemTime) -> anyhow::Result<Vec<String>> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
            let mut keys = vec![];
            for shard in std::fs::read_dir(&root)? {
                let shard = shard?;
                if !shard.file_type()?.is_dir() {
                    continue;
                }
                for file in std::fs::read_dir(shard.path())? {
                    let file = file?;
                    let path = file.path();
                    let Some(name) = file.file_name().to_str().map(str::to_owned) else {
                        continue;
                    };
                    if !written_before(&path, before)? {
                        continue;
                    }
                    if name.starts_with(TEMPORARY) {
                        // A write that never finished: nothing refers to it.
                        let _ = std::fs::remove_file(&path);
                    } else {
                        keys.push(name);
                    }
                }
            }
            Ok(keys)
        })
        .await?
    }

    async fn delete_if_stored_before(&self, key: &str, before: SystemTime) -> anyhow::Result<bool> {
        let path = self.path(key)?;
        let sweeping = self.sweeping.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
            let _sweeping = sweeping
                .lock()
                .map_err(|_| anyhow::anyhow!("the blob lock is poisoned"))?;
            if !written_before(&path, before)? {
                return Ok(false);
            }
            std::fs::remove_file(&path)?;
            Ok(true)
        })
        .await?
    }
}

/// Writes `bytes` to `path` through a temporary file in `dir`, synced, then renamed: a reader
/// never sees part of a blob. A failed write (a full disk) removes its temporary file.
fn write_new(dir: &Path, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use rand::Rng;
    use std::io::Write;
    let temporary = dir.join(format!("{TEMPORARY}{:016x}", rand::thread_rng().gen::<u64>()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(e.into());
    }
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_come_back_and_keys_cannot_escape() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalDir::new(dir.path().to_path_buf()).expect("store");
        let key = "ab".repeat(32);
        store.put(&key, b"photo".to_vec()).await.expect("put");
        store.put(&key, b"photo".to_vec()).await.expect("put twice");
        assert_eq!(store.get(&key).await.expect("get"), Some(b"photo".to_vec()));
        store.delete(&key).await.expect("delete");
        store.delete(&key).await.expect("delete twice");
        assert_eq!(store.get(&key).await.expect("get"), None);
        assert_eq!(store.get(&"cd".repeat(32)).await.expect("get"), None);
        assert!(store.put("../../etc/passwd", vec![]).await.is_err());
    }

    #[tokio::test]
    async fn the_sweep_takes_only_blobs_not_stored_since_and_unfinished_writes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalDir::new(dir.path().to_path_buf()).expect("store");
        let (old, reused) = ("ab".repeat(32), "cd".repeat(32));
        let hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
        let two_hours_ago = hour_ago - std::time::Duration::from_secs(3600);
        for key in [&old, &reused] {
            store.put(key, b"photo".to_vec()).await.expect("put");
            let path = store.path(key).expect("path");
            let file = std::fs::File::options().write(true).open(path).expect("open");
            file.set_modified(two_hours_ago).expect("age the blob");
        }
        let unfinished = dir.path().join("ab").join(format!("{TEMPORARY}0123456789abcdef"));
        let file = std::fs::File::create(&unfinished).expect("a write cut short");
        file.set_modified(two_hours_ago).expect("age it");
        // Stored again: its grace starts anew.
        store.put(&reused, b"photo".to_vec()).await.expect("put again");

        assert_eq!(store.stored_before(hour_ago).await.expect("list"), vec![old.clone()]);
        assert!(!unfinished.exists(), "an unfinished write is removed");
        assert!(!store.delete_if_stored_before(&reused, hour_ago).await.expect("kept"));
        assert!(store.delete_if_stored_before(&old, hour_ago).await.expect("removed"));
        assert_eq!(store.get(&old).await.expect("get"), None);
        assert_eq!(store.get(&reused).await.expect("get"), Some(b"photo".to_vec()));
    }
}
