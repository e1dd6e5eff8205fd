//! Request extractors that fail in the API's own error shape.

use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use tawasul_app::identity::auth::Caller;
use tawasul_app::identity::authz::StaffUser;

pub const SESSION_COOKIE: &str = "tawasul_session";

/// A JSON body parsed into `T`. Broken JSON is a 400 `malformed_json`; a field of the wrong type or an unknown field is a
/// 422 naming the field; a body over the route's limit is a 413.
pub struct JsonBody<T> {
    pub value: T,
}

pub fn body_rejection(status: StatusCode, detail: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "payload_too_large",
            "the request body is larger than this endpoint accepts",
        )
    } else {
        ApiError::new(status, "unreadable_body", detail)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !has_media_type(&req, "application/json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as Content-Type: application/json",
            ));
        }
        let raw = Bytes::from_request(req, state)
            .await
            .map_err(|r| body_rejection(r.status(), r.body_text()))?;
        Ok(Self {
            value: parse_json(&raw)?,
        })
    }
}

/// A new case as `POST /api/v1/cases` takes it: a JSON body (`application/json`), or the
/// case with its photos in one request (`multipart/form-data`: a JSON part `case` and up to
/// five `photos` parts).
#[derive(utoipa::ToSchema)]
pub struct CaseSubmission {
    /// The case, as the JSON body would be.
    pub case: tawasul_domain::intake::IntakeDraft,
    /// Photos (JPEG, PNG, WebP, HEIC) or PDFs, recognised by their content.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub photos: Vec<tawasul_app::cases::intake::Upload>,
}

/// A transition as `POST /api/v1/cases/{reference}/transitions` takes it: a JSON body, or,
/// to resolve with a photo of the fix, `multipart/form-data` with a JSON part `transition`
/// and one `fix_photo` part.
#[derive(utoipa::ToSchema)]
pub struct TransitionSubmission {
    /// The transition, as the JSON body would be.
    pub transition: tawasul_app::cases::work::TransitionRequest,
    /// A photo (JPEG, PNG or WebP) of the fix, recognised by its content.
    #[schema(value_type = Option<String>, format = Binary)]
    pub fix_photo: Option<tawasul_app::cases::intake::Upload>,
}

impl<S: Send + Sync> FromRequest<S> for TransitionSubmission {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        const LAYOUT: &str = "a transition is sent as one part `transition` (JSON) and at most one `fix_photo` part";
        let shape = BodyShape {
            json: "transition",
            files: "fix_photo",
            max_files: 1,
            too_many: || invalid_part(LAYOUT, "fix_photo"),
            unsupported: "send the transition as Content-Type: application/json, or with a photo of the fix as multipart/form-data",
            layout: LAYOUT,
        };
        let (transition, files) = json_with_files(req, state, &shape).await?;
        Ok(Self {
            transition,
            fix_photo: files.into_iter().next(),
        })
    }
}

/// The layout of a body that is JSON alone, or `multipart/form-data` carrying that JSON as
/// one named part beside file parts.
struct BodyShape {
    /// The JSON part's name.
    json: &'static str,
    /// The file parts' name.
    files: &'static str,
    max_files: usize,
    /// The refusal of one file more than `max_files`.
    too_many: fn() -> ApiError,
    /// What to send instead of an unsupported media type.
    unsupported: &'static str,
    /// The parts expected, told when an unknown one comes.
    layout: &'static str,
}

fn invalid_part(layout: &str, field: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", layout).with_field(field)
}

/// The JSON value and the files of a body of this shape. JSON alone is held to the JSON limit
/// although the route admits files.
async fn json_with_files<T: DeserializeOwned, S: Send + Sync>(
    req: Request,
    state: &S,
    shape: &BodyShape,
) -> Result<(T, Vec<tawasul_app::cases::intake::Upload>), ApiError> {
    if !has_media_type(&req, "multipart/form-data") {
        if !has_media_type(&req, "application/json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                shape.unsupported,
            ));
        }
        let raw = axum::body::to_bytes(req.into_body(), crate::JSON_BODY_LIMIT)
            .await
            .map_err(|_| body_rejection(StatusCode::PAYLOAD_TOO_LARGE, String::new()))?;
        return Ok((parse_json(&raw)?, vec![]));
    }
    let mut multipart = axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|r| body_rejection(r.status(), r.body_text()))?;
    let (mut value, mut files) = (None, vec![]);
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == shape.json && value.is_none() {
            let raw = field.bytes().await.map_err(unreadable)?;
            if raw.len() > crate::JSON_BODY_LIMIT {
                return Err(body_rejection(StatusCode::PAYLOAD_TOO_LARGE, String::new()));
            }
            value = Some(parse_json(&raw).map_err(|e| e.within(shape.json))?);
        } else if name == shape.files {
            if files.len() == shape.max_files {
                return Err((shape.too_many)());
            }
            files.push(read_file(field).await?);
        } else {
            return Err(invalid_part(shape.layout, &name));
        }
    }
    let value = value.ok_or_else(|| {
        invalid_part(
            &format!("missing part `{}`: the {} as JSON", shape.json, shape.json),
            shape.json,
        )
    })?;
    Ok((value, files))
}

fn unreadable(e: axum::extract::multipart::MultipartError) -> ApiError {
    body_rejection(e.status(), e.body_text())
}

/// A file part, streamed into its own buffer and refused as soon as it is too large.
async fn read_file(
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<tawasul_app::cases::intake::Upload, ApiError> {
    let filename = field.file_name().map(str::to_owned).filter(|f| !f.is_empty());
    let content_type = field.content_type().map(str::to_owned);
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
        if bytes.len() + chunk.len() > tawasul_domain::attachment::MAX_ATTACHMENT_BYTES {
            return Err(body_rejection(StatusCode::PAYLOAD_TOO_LARGE, String::new()));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(tawasul_app::cases::intake::Upload {
        bytes,
        content_type,
        filename,
    })
}

/// Whether the request says its body is of this media type.
fn has_media_type(req: &Request, media_type: &str) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(media_type))
}

impl<S: Send + Sync> FromRequest<S> for CaseSubmission {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let shape = BodyShape {
            json: "case",
            files: "photos",
            max_files: tawasul_domain::attachment::MAX_FILES_AT_INTAKE,
            too_many: || {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "too_many_files",
                    format!(
                        "a report may bring at most {} files",
                        tawasul_domain::attachment::MAX_FILES_AT_INTAKE
                    ),
                )
                .with_field("photos")
            },
            unsupported: "send the case as Content-Type: application/json, or with its photos as multipart/form-data",
            layout: "a case is sent as one part `case` (JSON) and any number of `photos` parts",
        };
        let (case, photos) = json_with_files(req, state, &shape).await?;
        Ok(Self { case, photos })
    }
}

/// serde names a missing field only in its message, at the path of the object lacking it.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(raw);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            let container = if path == "." { String::new() } else { path };
            let field = match missing_field(&inner.to_string()) {
                Some(name) if container.is_empty() => name.to_owned(),
                Some(name) => format!("{container}.{name}"),
                None => container,
            };
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", inner.to_string()).with_field(field)
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {inner}"),
            )
        }
    })?;
    de.end().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("trailing data after the JSON value: {e}"),
        )
    })?;
    Ok(value)
}

/// The bearer secret of a request: the Authorization header, else the session cookie.
pub fn bearer(parts: &Parts) -> Option<String> {
    let from_header = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned());
    from_header.or_else(|| {
        parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == SESSION_COOKIE)
            .map(|(_, v)| v.to_owned())
    })
}

/// Refuses with 413 a body whose Content-Length is over the route's limit. A client that
/// asked `Expect: 100-continue` is answered at once, before it sends anything; any other client
/// is writing the body already, so up to `DRAIN_LIMIT` of it is read and dropped first (as
/// nginx's lingering close does): closing on a client mid-write would cost it the answer.
pub async fn refuse_declared_oversize(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let route = request.extensions().get::<MatchedPath>().map_or("", |p| p.as_str());
    let limit = if route == crate::CASES_ROUTE && !has_media_type(&request, "multipart/form-data") {
        crate::JSON_BODY_LIMIT
    } else {
        crate::body_limit(route)
    };
    let Some(declared) = declared.filter(|n| *n > limit as u64) else {
        return next.run(request).await;
    };
    let waits_for_go_ahead = request
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if !waits_for_go_ahead && declared <= DRAIN_LIMIT {
        let mut body = request.into_body();
        let drain = async { while let Some(Ok(_)) = body.frame().await {} };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), drain).await;
    }
    // The body was not read (or only in part): the connection cannot carry another request,
    // and saying so keeps a client from reusing it.
    let mut refused = body_rejection(StatusCode::PAYLOAD_TOO_LARGE, String::new()).into_response();
    refused
        .headers_mut()
        .insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    refused
}

/// The most of a refused body read before answering; beyond it the connection is just closed.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

/// Whoever the request's credentials say it is (possibly nobody).
pub struct CallerOf(pub Caller);

impl FromRequestParts<AppState> for CallerOf {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(state.app.authenticate(bearer(parts).as_deref()).await?))
    }
}

/// A signed-in staff user, or 401.
pub struct Staff(pub StaffUser);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match CallerOf::from_request_parts(parts, state).await?.0 {
            Caller::Staff(user) => Ok(Self(user)),
            _ => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in as staff first",
            )),
        }
    }
}

/// Path parameters parsed into `T`. One that does not parse (an attachment id that is no
/// number) names nothing there is: a 404 in the API's shape, not axum's plain-text 400.
pub struct PathOf<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|rejection| ApiError::new(StatusCode::NOT_FOUND, "not_found", rejection.body_text()))
    }
}

/// Query parameters parsed into `T`, unknown or malformed ones refused with a 422.
pub struct QueryOf<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(QueryOf).map_err(|e| {
            let field = e.path().to_string();
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                e.into_inner().to_string(),
            )
            .with_field(field)
        })
    }
}
