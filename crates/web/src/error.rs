//! Why a page could not be shown. Handlers return a `WebError`; the context middleware, which
//! knows the visitor's language, turns it into a page with the right status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tawasul_app::{
    CasesError, CatalogueError, ConversationsError, Failure, IdentityError, KpisError, OrganisationError, WorkflowError,
};

#[derive(Debug, Clone, thiserror::Error)]
pub enum WebError {
    #[error("the form's security token is missing or wrong")]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("the upload is too large")]
    TooLarge,
    #[error("conflict: {0}")]
    Conflict(String),
    /// A limit reached; the page says so and `Retry-After` says when to come back.
    #[error("too many requests: {0}")]
    TooMany(String, u64),
    #[error("unavailable")]
    Unavailable,
    /// The attachment store's disk is full; the page says nothing was saved.
    #[error("insufficient storage")]
    StorageFull,
    /// Logged in full where it happened; the visitor sees only that something went wrong.
    #[error("unexpected")]
    Unexpected,
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::Csrf | WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::TooMany(..) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            WebError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            WebError::Unexpected => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message id of the page's explanation.
    pub fn message_id(&self) -> &'static str {
        match self {
            WebError::Csrf => "error-csrf",
            WebError::NotFound => "error-not-found",
            WebError::Forbidden(_) => "error-forbidden",
            WebError::BadRequest(_) => "error-bad-request",
            WebError::TooLarge => "error-too-large",
            WebError::Conflict(_) => "error-conflict",
            WebError::TooMany(..) => "error-too-many",
            WebError::Unavailable => "error-unavailable",
            WebError::StorageFull => "error-storage-full",
            WebError::Unexpected => "error-unexpected",
        }
    }
}

/// The shared failures; each context's own failures follow, every one shown as the page it
/// has always been.
impl From<Failure> for WebError {
    fn from(e: Failure) -> Self {
        match e {
            Failure::NotFound(_) | Failure::Unauthenticated => WebError::NotFound,
            Failure::Forbidden(why) => WebError::Forbidden(why),
            Failure::Invalid(invalid) => WebError::BadRequest(invalid.to_string()),
            Failure::Unavailable => WebError::Unavailable,
            Failure::StorageFull => WebError::StorageFull,
            Failure::TooManyRequests(t) => WebError::TooMany(t.message, t.retry_after_secs),
            Failure::Unexpected(_) => unexpected(e),
        }
    }
}

/// A failure no page explains: logged in full, shown as "something went wrong".
fn unexpected(e: impl std::fmt::Debug) -> WebError {
    tracing::error!(error = ?e, "a page failed");
    WebError::Unexpected
}

impl From<CasesError> for WebError {
    fn from(e: CasesError) -> Self {
        match e {
            CasesError::Common(failure) => failure.into(),
            CasesError::Transition(refused) => WebError::Conflict(refused.to_string()),
            CasesError::Conflict(why) | CasesError::NotMergeable(why) => WebError::Conflict(why),
            CasesError::IdempotencyKeyReused => unexpected(e),
            CasesError::SurveyLink(tawasul_app::cases::survey::LinkRefused::Unknown) => WebError::NotFound,
            CasesError::SurveyLink(refused) => WebError::Conflict(refused.to_string()),
        }
    }
}

impl From<WorkflowError> for WebError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Common(failure) => failure.into(),
            WorkflowError::Conflict(why) => WebError::Conflict(why),
            WorkflowError::NotEligible(_) => unexpected(e),
        }
    }
}

impl From<KpisError> for WebError {
    fn from(e: KpisError) -> Self {
        match e {
            KpisError::Common(failure) => failure.into(),
        }
    }
}

impl From<OrganisationError> for WebError {
    fn from(e: OrganisationError) -> Self {
        match e {
            OrganisationError::Common(failure) => failure.into(),
            OrganisationError::Duplicate(_) => unexpected(e),
        }
    }
}

impl From<ConversationsError> for WebError {
    fn from(e: ConversationsError) -> Self {
        match e {
            ConversationsError::Common(failure) => failure.into(),
            ConversationsError::Taken => WebError::Conflict(e.to_string()),
            ConversationsError::Moved | ConversationsError::Replayed => unexpected(e),
        }
    }
}

impl From<CatalogueError> for WebError {
    fn from(e: CatalogueError) -> Self {
        match e {
            CatalogueError::Common(failure) => failure.into(),
            CatalogueError::Duplicate(_) => unexpected(e),
        }
    }
}

impl From<IdentityError> for WebError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Common(failure) => failure.into(),
            IdentityError::BadCredentials | IdentityError::Duplicate(_) => unexpected(e),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "a template failed to render");
        WebError::Unexpected
    }
}

/// The error rides in the response's extensions to the middleware, which renders it.
impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

pub type WebResult<T = Response> = Result<T, WebError>;
