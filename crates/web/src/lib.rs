//! Tawasul's server-rendered pages: the resident portal at `/` and the staff console at
//! `/staff`. Arabic first (right to left), every word from a Fluent file, every form working
//! without JavaScript, and every page under a strict Content-Security-Policy.

mod admin_catalogue;
mod admin_services;
mod assets;
mod board;
mod context;
mod dates;
pub mod error;
mod forms;
mod i18n;
mod org_admin;
mod pages;
mod resident;
mod search;
mod staff;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use tawasul_app::App;

pub use context::{CSRF_FIELD, LANG_COOKIE, RESIDENT_COOKIE};

/// A resident's report form carries up to five photos of up to 10 MiB each.
pub const MAX_PHOTOS: usize = tawasul_domain::attachment::MAX_FILES_AT_INTAKE;
const UPLOAD_LIMIT: usize = MAX_PHOTOS * tawasul_domain::attachment::MAX_ATTACHMENT_BYTES + 1024 * 1024;
const REPORT_ROUTE: &str = "/report/{service}";
const PHOTOS_ROUTE: &str = "/track/{reference}/photos";

/// The most a request to one of these pages' routes may send, for the HTTP edge's early
/// Content-Length check; `None` for routes that are not upload forms.
pub fn body_limit(route: &str) -> Option<usize> {
    [REPORT_ROUTE, PHOTOS_ROUTE].contains(&route).then_some(UPLOAD_LIMIT)
}

/// Settings of the pages, read once at start.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Map tiles, `{z}/{x}/{y}` style (`TAWASUL_TILE_URL`); empty turns the map off.
    pub tile_url: String,
    /// How often open case, tracking and queue pages refresh themselves
    /// (`TAWASUL_LIVE_POLL_SECONDS`, default 30); 0 turns live updates off.
    pub live_poll_secs: u64,
}

impl WebSettings {
    pub fn from_env() -> Self {
        Self {
            tile_url: std::env::var("TAWASUL_TILE_URL")
                .unwrap_or_else(|_| "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into()),
            live_poll_secs: std::env::var("TAWASUL_LIVE_POLL_SECONDS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(30),
        }
    }

    /// `https://host[:port]` of the tile URL, for the CSP's img-src.
    fn tile_origin(&self) -> Option<String> {
        let (scheme, rest) = self.tile_url.split_once("://")?;
        let host = rest.split('/').next()?;
        (!host.is_empty() && !host.contains(['{', ' ', ';', '\''])).then(|| format!("{scheme}://{host}"))
    }
}

#[derive(Clone)]
pub struct WebState {
    pub app: App,
    catalog: Arc<i18n::Catalog>,
    languages: Arc<Vec<(String, String)>>,
    settings: Arc<WebSettings>,
    csp: Arc<String>,
}

/// The pages, for the HTTP edge to merge into its router (whatever its state type).
pub fn router<S: Clone + Send + Sync + 'static>(app: App) -> Router<S> {
    router_with(app, WebSettings::from_env())
}

pub fn router_with<S: Clone + Send + Sync + 'static>(app: App, settings: WebSettings) -> Router<S> {
    // The message files are compiled in and checked by the tests; failing here is a build bug.
    let catalog = Arc::new(i18n::Catalog::load().expect("embedded message files parse"));
    let state = WebState {
        app,
        languages: Arc::new(catalog.languages()),
        catalog,
        csp: Arc::new(context::content_security_policy(settings.tile_origin().as_deref())),
        settings: Arc::new(settings),
    };
    let uploads = DefaultBodyLimit::max(UPLOAD_LIMIT);
    Router::new()
        .route("/", get(resident::home))
        .route(
            REPORT_ROUTE,
            get(resident::report_form).post(resident::report_submit).layer(uploads),
        )
        .route("/submitted/{reference}", get(resident::submitted))
        .route("/track", get(resident::track_start))
        .route("/track/code", post(resident::track_code))
        .route("/track/verify", post(resident::track_verify))
        .route("/track/{reference}", get(resident::track_case))
        .route("/track/{reference}/comment", post(resident::track_comment))
        .route(PHOTOS_ROUTE, post(resident::track_photos).layer(uploads))
        .route("/track/{reference}/survey", post(resident::track_survey))
        .route("/track/{reference}/ignored", post(resident::track_ignored))
        .route("/track/{reference}/attachments/{id}", get(resident::track_attachment))
        .route("/my", get(resident::my_cases))
        .route("/my/logout", post(resident::my_logout))
        .route("/staff", get(staff::home))
        .route("/staff/login", post(staff::login))
        .route("/staff/logout", post(staff::logout))
        .route("/staff/cases/{reference}", get(staff::case))
        .route("/staff/cases/{reference}/comment", post(staff::comment))
        .route("/staff/cases/{reference}/transition", post(staff::transition))
        .route("/staff/cases/{reference}/transfer", post(staff::transfer))
        .route(
            "/staff/cases/{reference}/transfer/{decision}",
            post(staff::decide_transfer),
        )
        .route("/staff/cases/{reference}/merge", post(staff::merge))
        .route("/staff/cases/{reference}/attachments/{id}", get(staff::attachment))
        .route("/staff/admin", get(org_admin::home))
        .route(
            "/staff/admin/entities",
            get(org_admin::entities).post(org_admin::add_entity),
        )
        .route(
            "/staff/admin/entities/{code}",
            get(org_admin::entity).post(org_admin::update_entity),
        )
        .route(
            "/staff/admin/entities/{code}/departments",
            get(org_admin::departments).post(org_admin::add_department),
        )
        .route(
            "/staff/admin/entities/{code}/departments/{department}",
            post(org_admin::rename_department),
        )
        .route(
            "/staff/admin/entities/{code}/calendar",
            get(org_admin::calendar).post(org_admin::set_calendar),
        )
        .route(
            "/staff/admin/entities/{code}/users",
            get(org_admin::users).post(org_admin::add_user),
        )
        .route(
            "/staff/admin/users/{username}",
            get(org_admin::user).post(org_admin::change_user),
        )
        .route("/staff/admin/users/{username}/active", post(org_admin::set_user_active))
        .route(
            "/staff/admin/users/{username}/password",
            post(org_admin::reset_password),
        )
        // After the fixed paths above: departments, calendar or users of one's own entity.
        .route("/staff/admin/{section}", get(org_admin::section))
        .route("/staff/board", get(board::board))
        .route("/staff/board/reassign", post(board::reassign))
        .route(
            "/staff/admin/services",
            get(admin_services::list).post(admin_services::add),
        )
        .route(
            "/staff/admin/services/{code}",
            get(admin_services::show).post(admin_services::update),
        )
        .route("/staff/admin/services/{code}/fields", post(admin_services::add_field))
        .route(
            "/staff/admin/services/{code}/fields/{key}",
            post(admin_services::edit_field),
        )
        .route(
            "/staff/admin/services/{code}/fields/{key}/{op}",
            post(admin_services::arrange_field),
        )
        .route(
            "/staff/admin/sla",
            get(admin_catalogue::sla).post(admin_catalogue::set_sla),
        )
        .route(
            "/staff/admin/templates",
            get(admin_catalogue::templates).post(admin_catalogue::add_template),
        )
        .route("/staff/admin/templates/{id}", post(admin_catalogue::edit_template))
        .route(
            "/staff/admin/templates/{id}/delete",
            post(admin_catalogue::delete_template),
        )
        .layer(axum::middleware::from_fn_with_state(state.clone(), context::middleware))
        .route("/assets/{*path}", get(assets::serve))
        .with_state(state)
}
