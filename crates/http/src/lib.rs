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
    let (api_router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::routes())
        .merge(workflow_api::routes())
        .merge(ops::routes())
        .split_for_parts();
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
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::routes())
        .merge(workflow_api::routes())
        .merge(ops::routes())
        .split_for_parts()
        .1
}
