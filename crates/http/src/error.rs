//! Every failure leaves as `{"error": {"code", "message", "field"}}` with the right status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tawasul_app::AppError;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code for clients to act on.
    pub code: String,
    pub message: String,
    /// The input field at fault, as a JSON path (`location.lat`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            field: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The same error, for a field inside `parent` (a body sent as one part of several).
    pub fn within(mut self, parent: &str) -> Self {
        self.field = Some(match self.field.as_deref() {
            None | Some("") => parent.to_owned(),
            Some(field) => format!("{parent}.{field}"),
        });
        self
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let message = e.to_string();
        match e {
            AppError::Invalid(invalid) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, invalid.code, invalid.message).with_field(invalid.field)
            }
            AppError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
            AppError::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message),
            AppError::BadCredentials => ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", message),
            AppError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            AppError::Transition(_) => ApiError::new(StatusCode::CONFLICT, "invalid_transition", message),
            AppError::Conflict(_) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            AppError::NotMergeable(_) => ApiError::new(StatusCode::CONFLICT, "not_mergeable", message),
            AppError::IdempotencyKeyReused => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", message)
                    .with_field("Idempotency-Key")
            }
            AppError::Duplicate(_) => ApiError::new(StatusCode::CONFLICT, "duplicate", message),
            AppError::TooManyRequests(_) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message),
            AppError::NotEligible(_) => ApiError::new(StatusCode::CONFLICT, "not_eligible", message),
            AppError::Unavailable => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message),
            AppError::Unexpected(cause) => {
                // The whole cause chain goes to the log; the client gets no internals.
                tracing::error!(error = ?cause, "unexpected error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
