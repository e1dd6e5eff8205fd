//! REST routes of the workflow: transfers, "my report was ignored", and the administration
//! of policies, SLA targets, areas, routing rules and OLAs.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{body_rejection, CallerOf, JsonBody, PathOf, Staff};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::Json;
use tawasul_app::cases::merge::MergeRequest;
use tawasul_app::cases::views::{CaseView, Handover, Receipt};
use tawasul_app::cases::work::ReclassifyRequest;
use tawasul_app::workflow::admin::{PolicyRequest, RuleRequest, Saved, SlaTargetRequest};
use tawasul_app::workflow::escalation::IgnoredRequest;
use tawasul_app::workflow::olas::{OlaPair, OlaRequest, OlaView};
use tawasul_app::workflow::transfers::{TransferDecision, TransferRequest};
use tawasul_domain::Invalid;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reclassify))
        .routes(routes!(transfer))
        .routes(routes!(accept_transfer))
        .routes(routes!(return_transfer))
        .routes(routes!(merge))
        .routes(routes!(ignored))
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(put_areas).layer(DefaultBodyLimit::max(crate::body_limit(crate::AREAS_ROUTE))))
        .routes(routes!(put_sla_target))
        .routes(routes!(post_rule))
        .routes(routes!(put_ola))
        .routes(routes!(accept_ola))
        .routes(routes!(decline_ola))
        .routes(routes!(get_olas))
}

/// Staff who dispatch cases: change a case's service or priority; its SLA due times are
/// recomputed against the new targets.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/classification", tag = "workflow", security(("bearer" = [])),
    params(("reference" = String, Path)), request_body = ReclassifyRequest,
    responses((status = 200, body = CaseView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reclassify(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(reference): PathOf<String>,
    body: JsonBody<ReclassifyRequest>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.app.reclassify(&user, &reference, body.value).await?))
}

/// Staff: hand a misrouted case to another department, or to another entity (under the
/// OLA between the two, which the receiver accepts or returns).
#[utoipa::path(post, path = "/api/v1/cases/{reference}/transfer", tag = "workflow", security(("bearer" = [])),
    params(("reference" = String, Path)), request_body = TransferRequest,
    responses((status = 200, body = CaseView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn transfer(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(reference): PathOf<String>,
    body: JsonBody<TransferRequest>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.app.transfer(&user, &reference, body.value).await?))
}

/// The receiving entity's liaison (or supervisor) accepts a transferred case.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/transfer/accept", tag = "workflow", security(("bearer" = [])),
    params(("reference" = String, Path)), request_body = TransferDecision,
    responses((status = 200, body = CaseView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn accept_transfer(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(reference): PathOf<String>,
    body: JsonBody<TransferDecision>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.app.accept_transfer(&user, &reference, body.value).await?))
}

/// The receiving entity returns a transferred case, with its reason.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/transfer/return", tag = "workflow", security(("bearer" = [])),
    params(("reference" = String, Path)), request_body = TransferDecision,
    responses((status = 200, body = Handover), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn return_transfer(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(reference): PathOf<String>,
    body: JsonBody<TransferDecision>,
) -> ApiResult<Json<Handover>> {
    Ok(Json(state.app.return_transfer(&user, &reference, body.value).await?))
}

/// Staff (supervisors, agents, officers): merge a duplicate report into the case that stays.
/// Both must be open cases of one entity, neither merged nor awaiting a transfer: else 409
/// `not_mergeable`; an unknown target is 404; a malformed reference or no reason is 422.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/merge", tag = "workflow", security(("bearer" = [])),
    params(("reference" = String, Path)), request_body = MergeRequest,
    responses((status = 200, body = CaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn merge(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(reference): PathOf<String>,
    body: JsonBody<MergeRequest>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.app.merge(&user, &reference, body.value).await?))
}

/// The reporter (tracking token or resident session): "my report was ignored". Opens a
/// linked escalation case for the beneficiary-satisfaction unit; refused with 409
/// `not_eligible`, saying from when, while the case is neither overdue nor left silent.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/ignored", tag = "workflow", security(("bearer" = [])),
    params(("reference" = String, Path)), request_body = IgnoredRequest,
    responses((status = 201, body = Receipt), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Only the reporter says so, not staff"),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn ignored(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    PathOf(reference): PathOf<String>,
    body: JsonBody<IgnoredRequest>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.complain_ignored(&caller, &reference, body.value).await?),
    ))
}

/// Admin: an entity's calendar, escalation ladder and "ignored" threshold in force.
#[utoipa::path(get, path = "/api/v1/admin/entities/{code}/policy", tag = "admin", security(("bearer" = [])),
    params(("code" = String, Path)), responses((status = 200, body = PolicyRequest), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "No such entity")))]
async fn get_policy(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(code): PathOf<String>,
) -> ApiResult<Json<PolicyRequest>> {
    Ok(Json(state.app.policy_of(&user, &code).await?))
}

/// Admin: set an entity's business calendar (time zone, working days and hours, holidays,
/// overrides such as Ramadan hours), escalation ladder and "ignored" threshold.
#[utoipa::path(put, path = "/api/v1/admin/entities/{code}/policy", tag = "admin", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = PolicyRequest,
    responses((status = 200, body = Saved), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_policy(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(code): PathOf<String>,
    body: JsonBody<PolicyRequest>,
) -> ApiResult<Json<Saved>> {
    Ok(Json(state.app.set_policy(&user, &code, body.value).await?))
}

/// Admin: replace the areas an entity serves with the polygons of a GeoJSON document
/// (FeatureCollection, Feature, Polygon or MultiPolygon; up to 20 MiB).
#[utoipa::path(put, path = "/api/v1/admin/entities/{code}/areas", tag = "admin", security(("bearer" = [])),
    params(("code" = String, Path)), request_body(content = String, content_type = "application/geo+json"),
    responses((status = 200, body = Saved), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_areas(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(code): PathOf<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<Saved>> {
    let bytes = body.map_err(|r| body_rejection(r.status(), r.body_text()))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| tawasul_app::Failure::from(Invalid::new("not_utf8", "", "GeoJSON must be UTF-8 text")))?;
    Ok(Json(state.app.import_areas(&user, &code, text).await?))
}

/// Admin: SLA targets in business minutes for a service × priority (or the entity's default
/// for a priority).
#[utoipa::path(put, path = "/api/v1/admin/sla-targets", tag = "admin", security(("bearer" = [])),
    request_body = SlaTargetRequest,
    responses((status = 200, body = Saved), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_sla_target(
    State(state): State<AppState>,
    Staff(user): Staff,
    body: JsonBody<SlaTargetRequest>,
) -> ApiResult<Json<Saved>> {
    Ok(Json(state.app.set_sla_target(&user, body.value).await?))
}

/// Admin: a routing rule placing cases of an entity in a department by service, keywords
/// (Arabic spelling variants folded) and language.
#[utoipa::path(post, path = "/api/v1/admin/routing-rules", tag = "admin", security(("bearer" = [])),
    request_body = RuleRequest,
    responses((status = 201, body = Saved), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_rule(
    State(state): State<AppState>,
    Staff(user): Staff,
    body: JsonBody<RuleRequest>,
) -> ApiResult<(StatusCode, Json<Saved>)> {
    Ok((StatusCode::CREATED, Json(state.app.add_rule(&user, body.value).await?)))
}

/// Admin: the OLA from one entity to another (for a service, or any), in the receiver's
/// business minutes. Set by the platform administrator it is agreed at once; set by the
/// sending entity's administrator it is a proposal, binding once the receiver accepts it.
#[utoipa::path(put, path = "/api/v1/admin/olas", tag = "admin", security(("bearer" = [])),
    request_body = OlaRequest,
    responses((status = 200, body = OlaView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_ola(
    State(state): State<AppState>,
    Staff(user): Staff,
    body: JsonBody<OlaRequest>,
) -> ApiResult<Json<OlaView>> {
    Ok(Json(state.app.set_ola(&user, body.value).await?))
}

/// Admin of the receiving entity: accept the proposed OLA, which then replaces the terms
/// agreed before for transfers made from now on.
#[utoipa::path(post, path = "/api/v1/admin/olas/accept", tag = "admin", security(("bearer" = [])),
    request_body = OlaPair,
    responses((status = 200, body = OlaView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn accept_ola(
    State(state): State<AppState>,
    Staff(user): Staff,
    body: JsonBody<OlaPair>,
) -> ApiResult<Json<OlaView>> {
    Ok(Json(state.app.accept_ola(&user, body.value).await?))
}

/// Admin of either entity: decline (receiver) or withdraw (sender) a proposed OLA; the terms
/// agreed before stay.
#[utoipa::path(post, path = "/api/v1/admin/olas/decline", tag = "admin", security(("bearer" = [])),
    request_body = OlaPair,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn decline_ola(
    State(state): State<AppState>,
    Staff(user): Staff,
    body: JsonBody<OlaPair>,
) -> ApiResult<StatusCode> {
    state.app.decline_ola(&user, body.value).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Admin: the OLAs an entity sends and receives under, agreed and proposed.
#[utoipa::path(get, path = "/api/v1/admin/entities/{code}/olas", tag = "admin", security(("bearer" = [])),
    params(("code" = String, Path)),
    responses((status = 200, body = Vec<OlaView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_olas(
    State(state): State<AppState>,
    Staff(user): Staff,
    PathOf(code): PathOf<String>,
) -> ApiResult<Json<Vec<OlaView>>> {
    Ok(Json(state.app.olas_of(&user, &code).await?))
}
