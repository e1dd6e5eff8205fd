//! Tawasul's use cases. Handlers at the edge turn requests into calls here; everything that
//! decides (who may do what, what a case becomes) happens here or in the domain.

pub mod auth;
pub mod authz;
pub mod blobs;
pub mod cases;
pub mod demo;
pub mod error;
pub mod intake;
pub mod survey;
pub mod views;

use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use tawasul_store::Store;

pub use error::{AppError, AppResult};

/// Where time comes from: the wall clock in production, a settable one in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Demo mode prints one-time codes to the log, since no SMS or e-mail leaves the machine.
    pub demo: bool,
}

#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub blobs: Arc<dyn blobs::BlobStore>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
}

impl App {
    pub async fn open(settings: Settings) -> anyhow::Result<Self> {
        let store = Store::open(&settings.data_dir, settings.database_url.as_deref()).await?;
        let blobs = Arc::new(blobs::LocalDir::new(settings.data_dir.join("blobs"))?);
        Ok(Self {
            store,
            blobs,
            clock: Arc::new(SystemClock),
            settings: Arc::new(settings),
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn now_micros(&self) -> i64 {
        tawasul_domain::micros(self.now())
    }
}
