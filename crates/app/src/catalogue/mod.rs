//! Catalogue: services with their forms, and reply templates.

pub mod points;
pub mod reply_templates;
pub mod services;

use crate::error::{embeds_failure, Failure};
use tawasul_store::StoreError;

/// Why a change to the catalogue (services, forms, reply templates) did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error("{0} already exists")]
    Duplicate(String),
}

pub type CatalogueResult<T> = Result<T, CatalogueError>;

embeds_failure!(CatalogueError);

impl From<StoreError> for CatalogueError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => CatalogueError::Duplicate(what),
            other => CatalogueError::Common(other.into()),
        }
    }
}
