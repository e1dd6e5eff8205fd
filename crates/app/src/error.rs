use tawasul_domain::lifecycle::TransitionRefused;
use tawasul_domain::Invalid;
use tawasul_store::StoreError;

/// Why a use case did not happen. The edge turns each into a status and a stable code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("sign in first")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Transition(#[from] TransitionRefused),
    #[error("{0}")]
    Conflict(String),
    /// A merge the rules refuse: the two cases, as they stand, cannot become one.
    #[error("{0}")]
    NotMergeable(String),
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// Not possible yet; the message says when it will be.
    #[error("{0}")]
    NotEligible(String),
    #[error("the service is shutting down or its database is unavailable")]
    Unavailable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(now) => AppError::Conflict(format!("the case changed meanwhile; it is now {now}")),
            StoreError::IdempotencyKeyReused => AppError::IdempotencyKeyReused,
            StoreError::Duplicate(what) => AppError::Duplicate(what),
            StoreError::WriterGone => AppError::Unavailable,
            StoreError::Database(sqlx_error) if is_unavailable(&sqlx_error) => AppError::Unavailable,
            other => AppError::Unexpected(other.into()),
        }
    }
}

fn is_unavailable(e: &tawasul_store::SqlxError) -> bool {
    matches!(
        e,
        tawasul_store::SqlxError::PoolTimedOut | tawasul_store::SqlxError::PoolClosed | tawasul_store::SqlxError::Io(_)
    )
}
