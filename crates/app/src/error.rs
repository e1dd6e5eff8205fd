//! The failures every context shares. Each context has its own error enum (`CasesError`,
//! `WorkflowError`, `OrganisationError`, `CatalogueError`, `IdentityError`) that embeds
//! [`Failure`] and adds only what that context can fail with; the edges turn each into a
//! status and a stable code.

use tawasul_domain::Invalid;
use tawasul_store::StoreError;

/// What can go wrong in any use case, whatever its context.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("sign in first")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("the service is shutting down or its database is unavailable")]
    Unavailable,
    /// The disk of the attachment store is full: the file was not stored, and nothing that
    /// needed it was written.
    #[error("there is no room to store files now; nothing was saved, try again later")]
    StorageFull,
    /// A limit on how often (or how much at once) was reached: answered 429 with
    /// `Retry-After`.
    #[error("{0}")]
    TooManyRequests(Throttled),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub type Outcome<T> = Result<T, Failure>;

/// Which limit was reached, and in how many seconds asking again may succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    pub message: String,
    pub retry_after_secs: u64,
}

impl std::fmt::Display for Throttled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Failure {
    /// A limit reached: `message` says which, `retry_after_secs` when to come back (at least 1).
    pub fn throttled(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Failure::TooManyRequests(Throttled {
            message: message.into(),
            retry_after_secs: retry_after_secs.max(1),
        })
    }
}

/// A store error no context gives a meaning of its own: the database being out of reach is
/// `Unavailable`, anything else is unexpected.
impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::WriterGone => Failure::Unavailable,
            StoreError::Database(sqlx_error) if is_unavailable(&sqlx_error) => Failure::Unavailable,
            other => Failure::Unexpected(other.into()),
        }
    }
}

/// Seconds a client is asked to wait (`Retry-After`) when the service is unavailable: about
/// how long PostgreSQL takes to come back from a restart.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// The database out of reach, as opposed to a query gone wrong: no connection to be had, the
/// connection lost, or the server shutting down, starting up or refusing connections
/// (SQLSTATE class 08, and 57P01 to 57P03).
fn is_unavailable(e: &tawasul_store::SqlxError) -> bool {
    use tawasul_store::SqlxError;
    match e {
        SqlxError::PoolTimedOut | SqlxError::PoolClosed | SqlxError::Io(_) => true,
        SqlxError::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// The message of a case that changed between reading and writing it.
pub(crate) fn changed_meanwhile(now: &str) -> String {
    format!("the case changed meanwhile; it is now {now}")
}

/// Every context error: forms ask it whether their input was refused, to show the form again.
pub trait InputRefused: Sized {
    /// The refusal of the input, or the error as it was when it is something else.
    fn into_invalid(self) -> Result<Invalid, Self>;
}

/// The conversions every context error has: a shared failure, invalid input and an
/// unexpected error become its `Common` variant.
macro_rules! embeds_failure {
    ($context:ty) => {
        impl $crate::error::InputRefused for $context {
            fn into_invalid(self) -> Result<tawasul_domain::Invalid, Self> {
                match self {
                    Self::Common(Failure::Invalid(invalid)) => Ok(invalid),
                    other => Err(other),
                }
            }
        }

        impl From<tawasul_domain::Invalid> for $context {
            fn from(e: tawasul_domain::Invalid) -> Self {
                Self::Common(e.into())
            }
        }

        impl From<anyhow::Error> for $context {
            fn from(e: anyhow::Error) -> Self {
                Self::Common(e.into())
            }
        }
    };
}
pub(crate) use embeds_failure;
