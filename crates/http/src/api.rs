//! REST API under /api/v1.

use crate::client::ClientOf;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{
    body_rejection, CallerOf, CaseSubmission, JsonBody, PathOf, QueryOf, Staff, TransitionSubmission, SESSION_COOKIE,
};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tawasul_app::cases::export::ExportQuery;
use tawasul_app::cases::intake::Intake;
use tawasul_app::cases::survey::{SurveyRequest, SurveyView};
use tawasul_app::cases::views::*;
use tawasul_app::cases::work::{CaseQuery, CommentRequest, TransitionRequest};
use tawasul_app::identity::auth::{Credentials, Session};
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::identity::second_factor::{Challenge, Enrolment, SignIn};
use tawasul_app::kpis::{KpiQuery, KpiReport, KpiSeries, KpiStep, KpiTargetRequest, KpiTargetView, KpisError};
use tawasul_domain::intake::IntakeDraft;
use tawasul_domain::vocab::Channel;
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_services))
        .routes(routes!(put_fix_photo))
        .routes(routes!(create_case, list_cases).layer(DefaultBodyLimit::max(crate::body_limit(crate::CASES_ROUTE))))
        .routes(routes!(get_case))
        .routes(routes!(transition).layer(DefaultBodyLimit::max(crate::body_limit(crate::TRANSITION_ROUTE))))
        .routes(routes!(comment))
        .routes(routes!(get_survey, rate))
        .routes(routes!(upload_attachment).layer(DefaultBodyLimit::max(crate::body_limit(crate::UPLOAD_ROUTE))))
        .routes(routes!(download_attachment))
        .routes(routes!(login))
        .routes(routes!(login_code))
        .routes(routes!(login_enrolment))
        .routes(routes!(begin_second_factor))
        .routes(routes!(confirm_second_factor))
        .routes(routes!(reset_second_factor))
        .routes(routes!(logout))
        .routes(routes!(request_code))
        .routes(routes!(verify_code))
        .routes(routes!(my_cases))
        .routes(routes!(kpis))
        .routes(routes!(kpi_series))
        .routes(routes!(kpi_targets, set_kpi_target))
        .routes(routes!(export_cases))
}

/// The service catalogue: what residents can ask for, with each service's form.
#[utoipa::path(get, path = "/api/v1/services", tag = "catalogue", responses((status = 200, body = ServiceList)))]
async fn list_services(State(state): State<AppState>) -> ApiResult<Json<ServiceList>> {
    Ok(Json(ServiceList {
        items: state.app.service_views().await?,
    }))
}

/// Admin: whether each resolution of a service must bring a photo of the fix (see the
/// transitions endpoint). Answers with the service as the catalogue shows it.
#[utoipa::path(put, path = "/api/v1/admin/services/{code}/fix-photo", tag = "catalogue", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = tawasul_app::catalogue::services::FixPhotoRequest,
    responses((status = 200, body = ServiceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_fix_photo(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(code): PathOf<String>,
    body: JsonBody<tawasul_app::catalogue::services::FixPhotoRequest>,
) -> ApiResult<Json<ServiceView>> {
    let row = state
        .app
        .set_fix_photo_required(&user, &code, body.value.required)
        .await?;
    Ok(Json(ServiceView::from_row(&row.service)))
}

/// Submit a case, as JSON or, with its photos, as `multipart/form-data` (a JSON part `case`
/// and up to five `photos` parts), written in one transaction. With an `Idempotency-Key`, a
/// retry returns the same case and token.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases",
    request_body(content((IntakeDraft = "application/json"), (CaseSubmission = "multipart/form-data"))),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the case the first attempt made")),
    responses(
        (status = 201, body = Receipt, description = "Created, or replayed for a retry"),
        (status = 400, body = ErrorBody, description = "Malformed JSON"),
        (status = 413, body = ErrorBody, description = "Body too large"),
        (status = 415, body = ErrorBody, description = "Neither JSON nor multipart"),
        (status = 422, body = ErrorBody, description = "Invalid field"),
        (status = 429, body = ErrorBody, description = "Too many cases from this address, key or contact; see Retry-After"),
        (status = 503, body = ErrorBody, description = "The database is out of reach; nothing was saved, see Retry-After"),
        (status = 507, body = ErrorBody, description = "No room to store the files; nothing was saved, see Retry-After")))]
async fn create_case(
    State(state): State<AppState>,
    ClientOf(client): ClientOf,
    CallerOf(caller): CallerOf,
    headers: HeaderMap,
    submission: CaseSubmission,
) -> ApiResult<Response> {
    let idempotency_key = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_idempotency_key",
                "must be visible ASCII",
            )
            .with_field("Idempotency-Key")
        })?),
        None => None,
    };
    let mut draft = submission.case;
    draft.channel = Some(Channel::Api);
    let intake = Intake {
        draft,
        files: submission.photos,
        idempotency_key: idempotency_key.map(str::to_owned),
    };
    let receipt = state.app.submit_from(intake, &client, &caller).await?;
    let mut response = (StatusCode::CREATED, Json(&receipt)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/cases/{}", receipt.reference)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    if receipt.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Staff: list and filter cases of the caller's entity, newest first, keyset-paged.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery), security(("bearer" = [])),
    responses((status = 200, body = CasePage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_cases(
    State(state): State<AppState>,
    Staff(user): Staff,
    QueryOf(query): QueryOf<CaseQuery>,
) -> ApiResult<Json<CasePage>> {
    Ok(Json(state.app.list_cases(&user, query).await?))
}

/// Staff: the cases they may see as a file, oldest first, streamed as it is read: `csv` (the
/// staff's spreadsheet, UTF-8 with a BOM; the reporter masked for roles that see them masked),
/// `xlsx` (the same as a workbook), or `nyc311` (open data in the column layout of NYC's 311
/// Service Requests, without personal data). Cells that a spreadsheet would read as a formula
/// are given a leading apostrophe in CSV. Staff of one entity export their own entity's cases.
#[utoipa::path(get, path = "/api/v1/exports/cases", tag = "cases", params(ExportQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, with a Content-Disposition naming it",
            content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Another entity's cases"),
        (status = 422, body = ErrorBody, description = "Unknown format or entity, a malformed date, an empty period")))]
async fn export_cases(
    State(state): State<AppState>,
    Staff(user): Staff,
    QueryOf(query): QueryOf<ExportQuery>,
) -> ApiResult<Response> {
    let export = state.app.export_cases(&user, query).await?;
    Ok(tawasul_web::export_response(export).await?)
}

/// A case with its timeline: the reporter (bearer = tracking token, or a resident session)
/// sees the public part; staff see it by role and entity. Without credentials the answer is
/// 401 whether the case exists or not; to staff of another entity and to a wrong token, a
/// case that exists is 404 like one that does not.
#[utoipa::path(get, path = "/api/v1/cases/{reference}", tag = "cases", security(("bearer" = [])),
    params(("reference" = String, Path, description = "e.g. TW-2026-0000123")),
    responses((status = 200, body = CaseView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_case(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    PathOf(reference): PathOf<String>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.app.read_case(&caller, &reference).await?))
}

/// Staff: move a case through its lifecycle (acknowledge, assign, start, wait_on_reporter,
/// resume, resolve, close, reopen, reject).
/// To resolve a case whose service asks for a photo of the fix, send it with the
/// resolution as `multipart/form-data` (a JSON part `transition` and a `fix_photo` part);
/// without it the resolution is refused (422, field `fix_photo`). Resolving invites the
/// reporter to the closure survey by a single-use link.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/transitions", tag = "cases", security(("bearer" = [])),
    params(("reference" = String, Path)),
    request_body(content((TransitionRequest = "application/json"), (TransitionSubmission = "multipart/form-data"))),
    responses((status = 200, body = CaseView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "Not allowed from the case's status"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn transition(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(reference): PathOf<String>,
    body: TransitionSubmission,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(
        state
            .app
            .transition_with(&user, &reference, body.transition, body.fix_photo)
            .await?,
    ))
}

/// A public reply or an internal note (staff), or the reporter's own comment.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/comments", tag = "cases", security(("bearer" = [])),
    params(("reference" = String, Path)), request_body = CommentRequest,
    responses((status = 201, body = CaseView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn comment(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    PathOf(reference): PathOf<String>,
    body: JsonBody<CommentRequest>,
) -> ApiResult<(StatusCode, Json<CaseView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.comment(&caller, &reference, body.value).await?),
    ))
}

/// The closure survey of a case, for its reporter or for staff who may see the case; 204
/// while it has not been rated.
#[utoipa::path(get, path = "/api/v1/cases/{reference}/survey", tag = "cases", security(("bearer" = [])),
    params(("reference" = String, Path)),
    responses((status = 200, body = SurveyView), (status = 204, description = "Not rated yet"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_survey(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    PathOf(reference): PathOf<String>,
) -> ApiResult<Response> {
    Ok(match state.app.survey(&caller, &reference).await? {
        Some(survey) => Json(survey).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// The reporter rates a resolved or closed case, once: quality and speed of the closure and
/// the agent, 1–5 each, and a comment. Any score of 2 or less flags a low rating for the
/// satisfaction unit.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/survey", tag = "cases", security(("bearer" = [])),
    params(("reference" = String, Path)), request_body = SurveyRequest,
    responses((status = 201, body = SurveyView), (status = 403, body = ErrorBody, description = "Only the reporter rates"),
        (status = 409, body = ErrorBody, description = "Not resolved or closed yet, or rated already"), (status = 422, body = ErrorBody)))]
async fn rate(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    PathOf(reference): PathOf<String>,
    body: JsonBody<SurveyRequest>,
) -> ApiResult<(StatusCode, Json<SurveyView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.rate(&caller, &reference, body.value).await?),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    filename: Option<String>,
    /// Staff uploads are internal unless `public=true`; the reporter's are always public.
    #[serde(default)]
    public: bool,
}

/// Attach a photo (JPEG, PNG, WebP, HEIC) or a PDF, sent as the raw request body. The type
/// is read from the content; a Content-Type that disagrees is refused.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/attachments", tag = "cases", security(("bearer" = [])),
    params(("reference" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentView), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody, description = "Signed in by cookie, and the body's Content-Type is not a file type"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 507, body = ErrorBody, description = "No room to store the file; see Retry-After")))]
async fn upload_attachment(
    State(state): State<AppState>,
    ClientOf(client): ClientOf,
    CallerOf(caller): CallerOf,
    PathOf(reference): PathOf<String>,
    QueryOf(query): QueryOf<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let claimed = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    // A cookie goes with any request the browser makes, including a form another site posts
    // (whose body can only be text/plain, urlencoded or multipart, and needs no preflight):
    // signed in by cookie, the body must say it is a file.
    if !headers.contains_key(header::AUTHORIZATION) && !is_file_type(claimed) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file with its own Content-Type (image/jpeg, image/png, image/webp, image/heic, application/pdf or application/octet-stream)",
        ));
    }
    state.app.admit_upload(&client)?;
    let bytes = body.map_err(|r| body_rejection(r.status(), r.body_text()))?;
    let view = state
        .app
        .attach(
            &caller,
            &reference,
            bytes.to_vec(),
            claimed,
            query.filename.as_deref(),
            query.public,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Whether a Content-Type names a file of a kind attachments can be (not a form's body).
fn is_file_type(claimed: Option<&str>) -> bool {
    let Some(media) = claimed.and_then(|c| c.split(';').next()).map(str::trim) else {
        return false;
    };
    [
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "image/heif",
        "application/pdf",
        "application/octet-stream",
    ]
    .iter()
    .any(|t| media.eq_ignore_ascii_case(t))
}

/// Download an attachment the caller may see.
#[utoipa::path(get, path = "/api/v1/cases/{reference}/attachments/{id}", tag = "cases", security(("bearer" = [])),
    params(("reference" = String, Path), ("id" = i64, Path)),
    responses((status = 200, description = "The file, served as the type it was recognised as",
            content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"), (Vec<u8> = "image/heic"),
                (Vec<u8> = "application/pdf"), (Vec<u8> = "audio/wav"), (Vec<u8> = "audio/mpeg"))),
        (status = 404, body = ErrorBody, description = "No such case or attachment, or not one the caller may see")))]
async fn download_attachment(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    PathOf((reference, id)): PathOf<(String, i64)>,
) -> ApiResult<Response> {
    let (mime, filename, bytes) = state.app.attachment(&caller, &reference, id).await?;
    let safe_name: String = filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || ".-_".contains(*c))
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe_name}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
struct LoginResponse {
    token: String,
    expires_at: String,
    username: String,
    role: String,
    entity: Option<String>,
}

/// Staff sign-in: returns a bearer token and sets the same as an HttpOnly session cookie.
/// A user with a second factor, or whose entity requires one of them, gets 202 with a
/// challenge instead: `next` is `code` (send it with the authenticator app's code to
/// `/api/v1/auth/login/code`) or `enrol` (first `/api/v1/auth/login/enrolment`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = Credentials,
    responses((status = 200, body = LoginResponse), (status = 202, body = Challenge, description = "The password is right; the second factor comes next"),
        (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Too many failed sign-ins, or too many at once; see Retry-After")))]
async fn login(
    State(state): State<AppState>,
    ClientOf(client): ClientOf,
    parts: axum::http::request::Parts,
    body: JsonBody<Credentials>,
) -> ApiResult<Response> {
    match state.app.login(body.value, &client).await? {
        SignIn::Done(session, user) => signed_in(&state, &client, &parts, session, user).await,
        SignIn::SecondStep(challenge) => Ok((StatusCode::ACCEPTED, Json(challenge)).into_response()),
    }
}

/// The answer to a finished sign-in: the token, and the same as the session cookie.
async fn signed_in(
    state: &AppState,
    client: &tawasul_app::identity::limits::Client,
    parts: &axum::http::request::Parts,
    session: Session,
    user: StaffUser,
) -> ApiResult<Response> {
    // A new session at each sign-in: the one the request carried, if any, ends.
    if let Some(previous) = crate::extract::bearer(parts) {
        state.app.logout(&previous).await?;
    }
    let cookie = tawasul_web::set_cookie(
        client.tls,
        SESSION_COOKIE,
        &session.token,
        tawasul_app::identity::auth::STAFF_SESSION_HOURS * 3600,
    );
    let mut response = Json(LoginResponse {
        token: session.token,
        expires_at: session.expires_at,
        username: user.username,
        role: user.role.as_str().to_owned(),
        entity: user.entity_code,
    })
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeSignIn {
    /// The challenge `POST /api/v1/auth/login` answered with.
    challenge: String,
    /// The authenticator app's 6 digits.
    code: String,
}

/// The second step of a staff sign-in: the authenticator app's code (for a user enrolling,
/// the first code, which confirms the enrolment). A code is good once; wrong codes count as
/// failed sign-ins.
#[utoipa::path(post, path = "/api/v1/auth/login/code", tag = "auth", request_body = CodeSignIn,
    responses((status = 200, body = LoginResponse),
        (status = 401, body = ErrorBody, description = "No such challenge, or it expired"),
        (status = 422, body = ErrorBody, description = "A malformed, wrong or used code (`invalid_code`, `wrong_code`), or none enrolled yet (`not_enrolled`)"),
        (status = 429, body = ErrorBody, description = "Too many failed sign-ins; see Retry-After")))]
async fn login_code(
    State(state): State<AppState>,
    ClientOf(client): ClientOf,
    parts: axum::http::request::Parts,
    body: JsonBody<CodeSignIn>,
) -> ApiResult<Response> {
    let (session, user) = state
        .app
        .login_with_code(&body.value.challenge, &body.value.code, &client)
        .await?;
    signed_in(&state, &client, &parts, session, user).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChallengeRequest {
    challenge: String,
}

/// For a sign-in answered `next: enrol`: the secret to put into an authenticator app (the
/// same one until it is confirmed with a first code at `/api/v1/auth/login/code`).
#[utoipa::path(post, path = "/api/v1/auth/login/enrolment", tag = "auth", request_body = ChallengeRequest,
    responses((status = 200, body = Enrolment), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The user has a second factor already")))]
async fn login_enrolment(
    State(state): State<AppState>,
    body: JsonBody<ChallengeRequest>,
) -> ApiResult<Json<Enrolment>> {
    Ok(Json(state.app.enrolment_at_sign_in(&body.value.challenge).await?))
}

/// Staff: set up one's own second factor: the secret to put into an authenticator app (the
/// same one until it is confirmed).
#[utoipa::path(post, path = "/api/v1/auth/second-factor", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Enrolment), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "A second factor is set up already")))]
async fn begin_second_factor(State(state): State<AppState>, Staff(user): Staff) -> ApiResult<Json<Enrolment>> {
    Ok(Json(state.app.begin_second_factor(&user).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeConfirmation {
    code: String,
}

/// Staff: confirm one's enrolment with the app's first code; from then on sign-in asks for a
/// code.
#[utoipa::path(post, path = "/api/v1/auth/second-factor/confirm", tag = "auth", security(("bearer" = [])),
    request_body = CodeConfirmation,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn confirm_second_factor(
    State(state): State<AppState>,
    ClientOf(client): ClientOf,
    Staff(user): Staff,
    body: JsonBody<CodeConfirmation>,
) -> ApiResult<StatusCode> {
    state
        .app
        .confirm_second_factor(&user, &body.value.code, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Platform administrator: remove a staff user's second factor (a lost phone), audited.
#[utoipa::path(delete, path = "/api/v1/admin/staff/{username}/second-factor", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such user, or none set up")))]
async fn reset_second_factor(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(username): PathOf<String>,
) -> ApiResult<StatusCode> {
    state.app.reset_second_factor(&user, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends the session of the bearer token or cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses((status = 204)))]
async fn logout(
    State(state): State<AppState>,
    ClientOf(client): ClientOf,
    parts: axum::http::request::Parts,
) -> ApiResult<Response> {
    if let Some(token) = crate::extract::bearer(&parts) {
        state.app.logout(&token).await?;
    }
    let clear = HeaderValue::from_str(&tawasul_web::set_cookie(client.tls, SESSION_COOKIE, "", 0))
        .map_err(|e| tawasul_app::Failure::Unexpected(e.into()))?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeRequest {
    /// A phone number (+973…) or an e-mail address.
    contact: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeVerification {
    contact: String,
    code: String,
}

/// Residents: send a one-time code to a phone or e-mail address.
#[utoipa::path(post, path = "/api/v1/auth/code", tag = "auth", request_body = CodeRequest,
    responses((status = 202), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn request_code(
    State(state): State<AppState>,
    ClientOf(client): ClientOf,
    body: JsonBody<CodeRequest>,
) -> ApiResult<StatusCode> {
    state.app.request_code(&body.value.contact, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Residents: exchange the one-time code for a session token.
#[utoipa::path(post, path = "/api/v1/auth/code/verify", tag = "auth", request_body = CodeVerification,
    responses((status = 200, body = Session), (status = 422, body = ErrorBody)))]
async fn verify_code(State(state): State<AppState>, body: JsonBody<CodeVerification>) -> ApiResult<Json<Session>> {
    Ok(Json(
        state.app.verify_code(&body.value.contact, &body.value.code).await?,
    ))
}

#[derive(Serialize, ToSchema)]
struct MyCases {
    items: Vec<CaseSummary>,
}

/// Residents: the cases submitted with the verified phone or e-mail.
#[utoipa::path(get, path = "/api/v1/me/cases", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = MyCases), (status = 401, body = ErrorBody)))]
async fn my_cases(State(state): State<AppState>, CallerOf(caller): CallerOf) -> ApiResult<Json<MyCases>> {
    Ok(Json(MyCases {
        items: state.app.my_cases(&caller).await?,
    }))
}

/// The query of `GET /api/v1/kpis`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct KpiParams {
    /// An entity's code; by default the caller's (every entity for a platform administrator).
    entity: Option<String>,
    /// First day, `YYYY-MM-DD`, in the entity's time zone; by default 29 days before `to`.
    from: Option<String>,
    /// Last day, `YYYY-MM-DD`, included; by default today. At most 1,098 days in all.
    to: Option<String>,
    /// entity, department, employee, service, channel, kind, area or language; by default none
    /// (the entity's total).
    group_by: Option<String>,
}

/// Staff (supervisors, administrators, the satisfaction unit; by entity, a platform
/// administrator any): the KPIs of the cases received from `from` to `to`, with each one's
/// target and state (keys in the README, "KPI keys"). The backlog is the open cases now.
#[utoipa::path(get, path = "/api/v1/kpis", tag = "kpis", params(KpiParams), security(("bearer" = [])),
    responses((status = 200, body = KpiReport), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Another entity's, or a role that does not read KPIs"),
        (status = 422, body = ErrorBody, description = "A bad date, period, grouping or entity")))]
async fn kpis(
    State(state): State<AppState>,
    Staff(user): Staff,
    QueryOf(params): QueryOf<KpiParams>,
) -> ApiResult<Json<KpiReport>> {
    let query = KpiQuery::parse(
        params.entity.as_deref(),
        params.from.as_deref(),
        params.to.as_deref(),
        params.group_by.as_deref(),
    )
    .map_err(KpisError::from)?;
    Ok(Json(
        state
            .app
            .kpis(&tawasul_app::identity::auth::Caller::Staff(user), query)
            .await?,
    ))
}

/// The query of `GET /api/v1/kpis/series`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SeriesParams {
    /// An entity's code; by default the caller's (every entity together for a platform
    /// administrator).
    entity: Option<String>,
    /// First day, `YYYY-MM-DD`, in the entity's time zone; by default 29 days before `to`.
    from: Option<String>,
    /// Last day, `YYYY-MM-DD`, included; by default today. At most 1,098 days in all.
    to: Option<String>,
    /// Required: `day`, `week` (seven days, the last ending on `to`) or `month` (calendar
    /// months).
    step: Option<String>,
}

/// Staff who read KPIs: the figures of the cases received from `from` to `to`, step by step
/// (a day, a week or a month each), every KPI but the backlog against its target, read in one
/// pass over the daily figures.
#[utoipa::path(get, path = "/api/v1/kpis/series", tag = "kpis", params(SeriesParams), security(("bearer" = [])),
    responses((status = 200, body = KpiSeries), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Another entity's, or a role that does not read KPIs"),
        (status = 422, body = ErrorBody, description = "A bad date, period, step or entity")))]
async fn kpi_series(
    State(state): State<AppState>,
    Staff(user): Staff,
    QueryOf(params): QueryOf<SeriesParams>,
) -> ApiResult<Json<KpiSeries>> {
    let query = KpiQuery::parse(
        params.entity.as_deref(),
        params.from.as_deref(),
        params.to.as_deref(),
        None,
    )
    .map_err(KpisError::from)?;
    let step = KpiStep::parse(params.step.as_deref().unwrap_or_default()).map_err(KpisError::from)?;
    Ok(Json(
        state
            .app
            .kpi_series(&tawasul_app::identity::auth::Caller::Staff(user), query, step)
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TargetParams {
    /// An entity's code; by default the caller's.
    entity: Option<String>,
}

/// Staff who read KPIs: every KPI's target of an entity and its "at risk" margin.
#[utoipa::path(get, path = "/api/v1/kpis/targets", tag = "kpis", params(TargetParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<KpiTargetView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn kpi_targets(
    State(state): State<AppState>,
    Staff(user): Staff,
    QueryOf(params): QueryOf<TargetParams>,
) -> ApiResult<Json<Vec<KpiTargetView>>> {
    Ok(Json(state.app.kpi_targets(&user, params.entity.as_deref()).await?))
}

/// An administrator of the entity (or the platform's): sets one KPI's target and margin
/// (`target: null` goes back to the default).
#[utoipa::path(put, path = "/api/v1/kpis/targets", tag = "kpis", request_body = KpiTargetRequest, security(("bearer" = [])),
    responses((status = 200, body = KpiTargetView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn set_kpi_target(
    State(state): State<AppState>,
    Staff(user): Staff,
    body: JsonBody<KpiTargetRequest>,
) -> ApiResult<Json<KpiTargetView>> {
    Ok(Json(state.app.set_kpi_target(&user, body.value).await?))
}
