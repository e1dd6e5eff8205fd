//! Every failure leaves as `{"error": {"code", "message", "field"}}` with the right status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tawasul_app::{CasesError, CatalogueError, Failure, IdentityError, KpisError, OrganisationError, WorkflowError};
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
    /// Seconds for `Retry-After` (429, 503 and 507 answers).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            field: None,
            retry_after: None,
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

/// The shared failures; each context's own failures follow, every one with the code and
/// status it has always had.
impl From<Failure> for ApiError {
    fn from(e: Failure) -> Self {
        let message = e.to_string();
        match e {
            Failure::Invalid(invalid) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, invalid.code, invalid.message).with_field(invalid.field)
            }
            Failure::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
            Failure::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message),
            Failure::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            Failure::Unavailable => ApiError {
                retry_after: Some(tawasul_app::UNAVAILABLE_RETRY_AFTER_SECS),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            },
            Failure::StorageFull => ApiError {
                retry_after: Some(tawasul_app::UNAVAILABLE_RETRY_AFTER_SECS),
                ..ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "insufficient_storage", message)
            },
            Failure::TooManyRequests(throttled) => ApiError {
                retry_after: Some(throttled.retry_after_secs),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
            },
            Failure::Unexpected(cause) => {
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

fn conflict(message: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "conflict", message)
}

fn duplicate(message: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "duplicate", message)
}

impl From<CasesError> for ApiError {
    fn from(e: CasesError) -> Self {
        let message = e.to_string();
        match e {
            CasesError::Common(failure) => failure.into(),
            CasesError::Transition(_) => ApiError::new(StatusCode::CONFLICT, "invalid_transition", message),
            CasesError::Conflict(_) => conflict(message),
            CasesError::NotMergeable(_) => ApiError::new(StatusCode::CONFLICT, "not_mergeable", message),
            CasesError::IdempotencyKeyReused => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", message)
                    .with_field("Idempotency-Key")
            }
            CasesError::SurveyLink(refused) => {
                use tawasul_app::cases::survey::LinkRefused;
                let (status, code) = match refused {
                    LinkRefused::Unknown => (StatusCode::NOT_FOUND, "survey_link_unknown"),
                    LinkRefused::Used => (StatusCode::CONFLICT, "survey_link_used"),
                    LinkRefused::Expired => (StatusCode::GONE, "survey_link_expired"),
                };
                ApiError::new(status, code, message)
            }
        }
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        let message = e.to_string();
        match e {
            WorkflowError::Common(failure) => failure.into(),
            WorkflowError::Conflict(_) => conflict(message),
            WorkflowError::NotEligible(_) => ApiError::new(StatusCode::CONFLICT, "not_eligible", message),
        }
    }
}

impl From<KpisError> for ApiError {
    fn from(e: KpisError) -> Self {
        match e {
            KpisError::Common(failure) => failure.into(),
        }
    }
}

impl From<OrganisationError> for ApiError {
    fn from(e: OrganisationError) -> Self {
        match e {
            OrganisationError::Common(failure) => failure.into(),
            OrganisationError::Duplicate(_) => duplicate(e.to_string()),
        }
    }
}

impl From<CatalogueError> for ApiError {
    fn from(e: CatalogueError) -> Self {
        match e {
            CatalogueError::Common(failure) => failure.into(),
            CatalogueError::Duplicate(_) => duplicate(e.to_string()),
        }
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        let message = e.to_string();
        match e {
            IdentityError::Common(failure) => failure.into(),
            IdentityError::BadCredentials => ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", message),
            IdentityError::Duplicate(_) => duplicate(message),
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
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
