//! Workflow: the configuration cases are judged by (routing, calendars, SLA targets, the
//! escalation ladder, OLAs) and its administration, the SLA sweep and escalation, transfers.

pub mod admin;
pub mod config;
pub mod escalation;
pub mod olas;
pub mod transfers;

use crate::cases::CasesError;
use crate::error::{changed_meanwhile, embeds_failure, Failure};
use tawasul_store::StoreError;

/// Why a workflow use case (a transfer, an escalation, a change of the configuration) did
/// not happen.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Common(#[from] Failure),
    /// The case changed meanwhile, or is no longer in a state that allows the change.
    #[error("{0}")]
    Conflict(String),
    /// Not possible yet; the message says when it will be.
    #[error("{0}")]
    NotEligible(String),
}

pub type WorkflowResult<T> = Result<T, WorkflowError>;

embeds_failure!(WorkflowError);

impl From<StoreError> for WorkflowError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(now) => WorkflowError::Conflict(changed_meanwhile(&now)),
            other => WorkflowError::Common(other.into()),
        }
    }
}

/// Workflow use cases read cases through the cases context.
impl From<CasesError> for WorkflowError {
    fn from(e: CasesError) -> Self {
        match e {
            CasesError::Common(failure) => WorkflowError::Common(failure),
            CasesError::Conflict(why) => WorkflowError::Conflict(why),
            other => WorkflowError::Common(Failure::Unexpected(other.into())),
        }
    }
}
