//! Why a page could not be shown. Handlers return a `WebError`; the context middleware, which
//! knows the visitor's language, turns it into a page with the right status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tawasul_app::AppError;

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
    #[error("too many requests: {0}")]
    TooMany(String),
    #[error("unavailable")]
    Unavailable,
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
            WebError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
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
            WebError::TooMany(_) => "error-too-many",
            WebError::Unavailable => "error-unavailable",
            WebError::Unexpected => "error-unexpected",
        }
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(_) | AppError::Unauthenticated => WebError::NotFound,
            AppError::Forbidden(why) => WebError::Forbidden(why),
            AppError::Invalid(invalid) => WebError::BadRequest(invalid.to_string()),
            AppError::Transition(refused) => WebError::Conflict(refused.to_string()),
            AppError::Conflict(why) | AppError::NotMergeable(why) => WebError::Conflict(why),
            AppError::TooManyRequests(why) => WebError::TooMany(why),
            AppError::Unavailable => WebError::Unavailable,
            other => {
                tracing::error!(error = ?other, "a page failed");
                WebError::Unexpected
            }
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
