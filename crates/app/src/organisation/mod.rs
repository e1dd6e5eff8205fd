//! Organisation: entities, their departments, and staff users with their roles.

pub mod admin;

use crate::error::{embeds_failure, Failure};
use tawasul_store::StoreError;

/// Why a change to entities, departments or staff did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OrganisationError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error("{0} already exists")]
    Duplicate(String),
}

pub type OrganisationResult<T> = Result<T, OrganisationError>;

embeds_failure!(OrganisationError);

impl From<StoreError> for OrganisationError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => OrganisationError::Duplicate(what),
            other => OrganisationError::Common(other.into()),
        }
    }
}
