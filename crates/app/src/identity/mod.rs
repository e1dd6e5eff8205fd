//! Identity: who the caller is (staff sign-in and its second factor, residents' one-time
//! codes, bearer secrets) and what they may do (the authorization table).

pub mod auth;
pub mod authz;
pub mod clients;
pub mod limits;
pub mod sealing;
pub mod second_factor;
pub(crate) mod views_log;

use crate::error::{embeds_failure, Failure};
use tawasul_store::StoreError;

/// Why signing in, a one-time code or adding a staff login did not happen.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error("wrong username or password")]
    BadCredentials,
    #[error("{0} already exists")]
    Duplicate(String),
}

pub type IdentityResult<T> = Result<T, IdentityError>;

embeds_failure!(IdentityError);

impl From<StoreError> for IdentityError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => IdentityError::Duplicate(what),
            other => IdentityError::Common(other.into()),
        }
    }
}
