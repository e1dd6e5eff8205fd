//! Cases: intake from every channel, reading and working a case, merging duplicates, the
//! closure survey, the supervisor's board, the attachments' bytes, social posts that name a case,
//! and exports of cases.

pub mod blobs;
pub mod board;
pub mod callbacks;
pub mod export;
pub mod intake;
pub mod mail;
pub mod merge;
pub mod photos;
pub mod privacy;
pub mod public;
pub mod social;
pub mod survey;
pub mod views;
pub mod work;

use crate::error::{changed_meanwhile, embeds_failure, Failure};
use tawasul_domain::lifecycle::TransitionRefused;
use tawasul_store::StoreError;

/// Why a use case on cases did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CasesError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error(transparent)]
    Transition(#[from] TransitionRefused),
    /// The case changed meanwhile, or is no longer in a state that allows the change.
    #[error("{0}")]
    Conflict(String),
    /// A merge the rules refuse: the two cases, as they stand, cannot become one.
    #[error("{0}")]
    NotMergeable(String),
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    /// A survey link that cannot be answered.
    #[error(transparent)]
    SurveyLink(#[from] survey::LinkRefused),
}

pub type CasesResult<T> = Result<T, CasesError>;

embeds_failure!(CasesError);

impl From<StoreError> for CasesError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(now) => CasesError::Conflict(changed_meanwhile(&now)),
            StoreError::IdempotencyKeyReused => CasesError::IdempotencyKeyReused,
            other => CasesError::Common(other.into()),
        }
    }
}
