//! Tawasul's HTTP edge: routes translate requests into use cases and results into JSON.

mod api;
mod client;
pub mod error;
mod extract;
mod metrics;
mod ops;
mod workflow_api;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use std::sync::Arc;
use tawasul_app::App;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use extract::SESSION_COOKIE;
/// The API's readers of a case's and a transition's body, for the fuzz targets.
pub use extract::{parse_json, CaseSubmission, TransitionSubmission};

/// JSON bodies are small; uploads get their own, larger limit on their route.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;
const UPLOAD_ROUTE: &str = "/api/v1/cases/{reference}/attachments";
const CASES_ROUTE: &str = "/api/v1/cases";
const TRANSITION_ROUTE: &str = "/api/v1/cases/{reference}/transitions";
/// A resolution with its photo of the fix: the JSON part stays under `JSON_BODY_LIMIT`.
const TRANSITION_LIMIT: usize = tawasul_domain::attachment::MAX_ATTACHMENT_BYTES + JSON_BODY_LIMIT + 64 * 1024;
/// A case with its photos in one request: the JSON part stays under `JSON_BODY_LIMIT`.
const INTAKE_LIMIT: usize =
    tawasul_domain::attachment::MAX_FILES_AT_INTAKE * tawasul_domain::attachment::MAX_ATTACHMENT_BYTES + 1024 * 1024;
const AREAS_ROUTE: &str = "/api/v1/admin/entities/{code}/areas";
/// An entity's areas, as GeoJSON, may be detailed coastlines.
const AREAS_LIMIT: usize = 20 * 1024 * 1024;

/// The most a request to `route` may send. `DefaultBodyLimit` enforces it while reading;
/// `extract::refuse_declared_oversize` answers at once when Content-Length already says more.
fn body_limit(route: &str) -> usize {
    match route {
        UPLOAD_ROUTE => tawasul_domain::attachment::MAX_ATTACHMENT_BYTES,
        CASES_ROUTE => INTAKE_LIMIT,
        TRANSITION_ROUTE => TRANSITION_LIMIT,
        AREAS_ROUTE => AREAS_LIMIT,
        _ => tawasul_web::body_limit(route)
            .or_else(|| tawasul_channels_ivr::body_limit(route))
            .unwrap_or(JSON_BODY_LIMIT),
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: Arc<metrics::Metrics>,
    pub openapi: Arc<utoipa::openapi::OpenApi>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tawasul API",
        description = "Complaints, suggestions, inquiries, reports and compliments from residents to the government entities that act on them."
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The whole HTTP application: API, OpenAPI document, health and metrics.
pub fn router(app: App) -> Router {
    let (api_router, openapi) = api_parts();
    let state = AppState {
        app,
        metrics: Arc::new(metrics::Metrics::new()),
        openapi: Arc::new(openapi),
    };
    api_router
        .route("/api/openapi.json", axum::routing::get(ops::openapi_json))
        .merge(tawasul_web::router(state.app.clone()))
        .merge(tawasul_channels_open311::router(state.app.clone()))
        .merge(tawasul_channels_messaging::router(state.app.clone()))
        .merge(tawasul_channels_ivr::router(state.app.clone()))
        .fallback(ops::not_found)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(axum::middleware::from_fn(extract::refuse_declared_oversize))
        .layer(axum::middleware::from_fn_with_state(state.clone(), client::resolve))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(ops::panic_response))
        .with_state(state)
}

/// Every documented (method, path) pair, for the test that the document covers the router.
pub fn documented_routes(openapi: &utoipa::openapi::OpenApi) -> Vec<(String, String)> {
    let mut routes = vec![];
    for (path, item) in &openapi.paths.paths {
        let methods = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ];
        for (method, present) in methods {
            if present {
                routes.push((method.to_owned(), path.clone()));
            }
        }
    }
    routes.sort();
    routes
}

/// The OpenAPI document as the server publishes it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_parts().1
}

/// The API's routes and their document, with the answers every operation shares.
fn api_parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::routes())
        .merge(workflow_api::routes())
        .merge(ops::routes())
        .split_for_parts();
    document_shared_answers(&mut openapi);
    (router, openapi)
}

/// Adds to each operation the answers given before its handler runs, where its own
/// annotation does not name them: its extractors' refusals of a JSON body (400 not JSON, 413
/// over the route's limit, 415 another media type, 422 a field of the wrong shape), of a
/// query (422), of a credential that is not or no longer valid (401, on every operation that
/// takes one), and a case that does not exist or is not the caller's (404, on every path
/// naming a case). Written once here, so a new operation cannot forget them.
fn document_shared_answers(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in openapi.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let mut shared = vec![];
            let json_body = operation
                .request_body
                .as_ref()
                .is_some_and(|b| b.content.contains_key("application/json"));
            if json_body {
                shared.push(("400", "The body is not JSON"));
                shared.push(("415", "The body is not of a type this operation takes"));
            }
            if operation.request_body.is_some() {
                shared.push(("413", "The body is larger than this operation takes"));
                shared.push(("422", "A field is missing, unknown or of the wrong shape"));
            }
            let query = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| p.parameter_in == ParameterIn::Query);
            if query {
                shared.push(("422", "A query parameter is unknown or of the wrong shape"));
            }
            if operation.security.is_some() {
                shared.push(("401", "No credential, or one that is not or no longer valid"));
            }
            if path.contains("{reference}") {
                shared.push(("404", "No such case, or not one the caller may see"));
            }
            for (status, description) in shared {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error(description));
            }
        }
    }
}
