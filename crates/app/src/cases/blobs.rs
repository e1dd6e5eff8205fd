//! Attachment bytes live outside the database, behind one interface: a local directory by
//! default; S3-compatible storage can take its place.

use async_trait::async_trait;
use std::path::PathBuf;

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores the bytes under `key` durably before returning. Storing the same key twice is
    /// fine; the answer says whether this call created it (only then may a failed intake
    /// remove it again).
    async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<Created>;
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
    /// Removes a blob; removing one that is not there is fine.
    async fn delete(&self, key: &str) -> anyhow::Result<()>;
}

/// Whether `put` wrote a new blob or found it stored already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New,
    AlreadyThere,
}

pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub fn new(root: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
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

#[async_trait]
impl BlobStore for LocalDir {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<Created> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || -> anyhow::Result<Created> {
            use std::io::Write;
            if path.exists() {
                return Ok(Created::AlreadyThere);
            }
            let dir = path
                .parent()
                .ok_or_else(|| anyhow::anyhow!("blob path has no parent"))?;
            std::fs::create_dir_all(dir)?;
            let mut tmp = tempfile_in(dir)?;
            tmp.1.write_all(&bytes)?;
            tmp.1.sync_all()?;
            std::fs::rename(&tmp.0, &path)?;
            std::fs::File::open(dir)?.sync_all()?;
            Ok(Created::New)
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
}

fn tempfile_in(dir: &std::path::Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    use rand::Rng;
    let name = format!(".tmp-{:016x}", rand::thread_rng().gen::<u64>());
    let path = dir.join(name);
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
    Ok((path, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_come_back_and_keys_cannot_escape() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalDir::new(dir.path().to_path_buf()).expect("store");
        let key = "ab".repeat(32);
        assert_eq!(store.put(&key, b"photo".to_vec()).await.expect("put"), Created::New);
        assert_eq!(
            store.put(&key, b"photo".to_vec()).await.expect("put twice"),
            Created::AlreadyThere
        );
        assert_eq!(store.get(&key).await.expect("get"), Some(b"photo".to_vec()));
        store.delete(&key).await.expect("delete");
        store.delete(&key).await.expect("delete twice");
        assert_eq!(store.get(&key).await.expect("get"), None);
        assert_eq!(store.get(&"cd".repeat(32)).await.expect("get"), None);
        assert!(store.put("../../etc/passwd", vec![]).await.is_err());
    }
}
