//! Tawasul's server-rendered pages: the resident portal at `/` and the staff console at
//! `/staff`. Arabic first (right to left), every word from a Fluent file, every form working
//! without JavaScript, and every page under a strict Content-Security-Policy.

mod admin;
mod assets;
mod context;
mod dates;
pub mod error;
mod forms;
mod i18n;
mod kit;
mod pages;
mod resident;
mod staff;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use resident::{chat, home as portal, my, report, survey, track};
use staff::{actions, board, case, chats, dashboard, export, queue, second_factor, sign_in};
use std::sync::Arc;
use tawasul_app::App;

pub use context::{csrf_for_sessions, set_cookie, CSRF_FIELD, LANG_COOKIE, RESIDENT_COOKIE};
/// The live chat's reading of a page's WebSocket frame, for the fuzz targets.
pub use kit::chat::{read_frame, Incoming as ChatFrame, MAX_FRAME as MAX_CHAT_FRAME};
/// The REST API answers its exports as the staff console does.
pub use kit::download::export_response;

/// A resident's report form carries up to five photos of up to 10 MiB each.
pub const MAX_PHOTOS: usize = tawasul_domain::attachment::MAX_FILES_AT_INTAKE;
const UPLOAD_LIMIT: usize = MAX_PHOTOS * tawasul_domain::attachment::MAX_ATTACHMENT_BYTES + 1024 * 1024;
const REPORT_ROUTE: &str = "/report/{service}";
const PHOTOS_ROUTE: &str = "/track/{reference}/photos";
/// A resolution with its photo of the fix.
const RESOLVE_ROUTE: &str = "/staff/cases/{reference}/resolve";
/// What a service point's QR code opens: the report form, with photos.
const POINT_ROUTE: &str = "/p/{code}";
const POINTS_IMPORT_ROUTE: &str = "/staff/admin/entities/{code}/points/import";
/// A pasted CSV file of points, form-encoded (each byte of Arabic text becomes three).
const POINTS_IMPORT_LIMIT: usize = 3 * tawasul_app::catalogue::points::MAX_IMPORT_BYTES + 64 * 1024;

/// The most a request to one of these pages' routes may send, for the HTTP edge's early
/// Content-Length check; `None` for routes that are not upload forms.
pub fn body_limit(route: &str) -> Option<usize> {
    if route == POINTS_IMPORT_ROUTE {
        return Some(POINTS_IMPORT_LIMIT);
    }
    [REPORT_ROUTE, PHOTOS_ROUTE, POINT_ROUTE, RESOLVE_ROUTE]
        .contains(&route)
        .then_some(UPLOAD_LIMIT)
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
    /// The live chat's guided dialogue and this node's wake-ups of its waiters.
    dialogue: tawasul_channels_dialogue::Dialogue,
    chats: kit::chat::Hub,
    /// The transparency page's recent figures.
    transparency: Arc<resident::transparency::PublicCache>,
}

/// The pages, for the HTTP edge to merge into its router (whatever its state type).
pub fn router<S: Clone + Send + Sync + 'static>(app: App) -> Router<S> {
    router_with(app, WebSettings::from_env())
}

pub fn router_with<S: Clone + Send + Sync + 'static>(app: App, settings: WebSettings) -> Router<S> {
    // The message files are compiled in and checked by the tests; failing here is a build bug.
    let catalog = Arc::new(i18n::Catalog::load().expect("embedded message files parse"));
    let state = WebState {
        dialogue: tawasul_channels_dialogue::Dialogue::new(app.clone()),
        chats: app.chat_hub().clone(),
        transparency: Arc::default(),
        app,
        languages: Arc::new(catalog.languages()),
        catalog,
        csp: Arc::new(context::content_security_policy(settings.tile_origin().as_deref())),
        settings: Arc::new(settings),
    };
    let uploads = DefaultBodyLimit::max(UPLOAD_LIMIT);
    Router::new()
        .route("/", get(portal::home))
        .route(
            REPORT_ROUTE,
            get(report::report_form).post(report::report_submit).layer(uploads),
        )
        .route(
            POINT_ROUTE,
            get(report::point_form).post(report::point_submit).layer(uploads),
        )
        .route("/submitted/{reference}", get(report::submitted))
        .route("/dashboard", get(resident::transparency::transparency))
        .route("/track", get(my::track_start))
        .route("/track/code", post(my::track_code))
        .route("/track/verify", post(my::track_verify))
        .route("/survey/{token}", get(survey::survey_link).post(survey::survey_answer))
        .route("/track/{reference}", get(track::track_case))
        .route("/track/{reference}/comment", post(track::track_comment))
        .route(PHOTOS_ROUTE, post(track::track_photos).layer(uploads))
        .route("/track/{reference}/survey", post(track::track_survey))
        .route("/track/{reference}/ignored", post(track::track_ignored))
        .route("/track/{reference}/attachments/{id}", get(track::track_attachment))
        .route("/chat", get(chat::page).post(chat::say))
        .route("/chat/poll", get(chat::poll))
        .route("/chat/ws", get(chat::socket))
        .route("/chat/rate", post(chat::rate))
        .route("/staff/chats", get(chats::queue))
        .route("/staff/chats/{id}", get(chats::chat))
        .route("/staff/chats/{id}/pick", post(chats::pick))
        .route("/staff/chats/{id}/say", post(chats::say))
        .route("/staff/chats/{id}/case", post(chats::case))
        .route("/staff/chats/{id}/end", post(chats::end))
        .route("/staff/chats/{id}/poll", get(chats::poll))
        .route("/staff/chats/{id}/ws", get(chats::socket))
        .route("/my", get(my::my_cases))
        .route("/my/logout", post(my::my_logout))
        .route("/staff", get(queue::home))
        .route("/staff/login", post(sign_in::login))
        .route(
            "/staff/login/code",
            get(second_factor::code).post(second_factor::submit_code),
        )
        .route("/staff/login/enrol", get(second_factor::enrol))
        .route(
            "/staff/second-factor",
            get(second_factor::own).post(second_factor::confirm_own),
        )
        .route("/staff/logout", post(sign_in::logout))
        .route("/staff/cases/{reference}", get(case::case))
        .route("/staff/cases/{reference}/comment", post(actions::comment))
        .route("/staff/cases/{reference}/transition", post(actions::transition))
        .route(RESOLVE_ROUTE, post(actions::resolve))
        .route("/staff/cases/{reference}/transfer", post(actions::transfer))
        .route(
            "/staff/cases/{reference}/transfer/{decision}",
            post(actions::decide_transfer),
        )
        .route("/staff/cases/{reference}/merge", post(actions::merge))
        .route("/staff/cases/{reference}/attachments/{id}", get(case::attachment))
        .route("/staff/admin", get(admin::home))
        .route(
            "/staff/admin/entities",
            get(admin::entities::entities).post(admin::entities::add_entity),
        )
        .route(
            "/staff/admin/entities/{code}",
            get(admin::entities::entity).post(admin::entities::update_entity),
        )
        .route(
            "/staff/admin/entities/{code}/departments",
            get(admin::departments::departments).post(admin::departments::add_department),
        )
        .route(
            "/staff/admin/entities/{code}/departments/{department}",
            post(admin::departments::rename_department),
        )
        .route(
            "/staff/admin/entities/{code}/calendar",
            get(admin::calendar::calendar).post(admin::calendar::set_calendar),
        )
        .route(
            "/staff/admin/entities/{code}/users",
            get(admin::users::users).post(admin::users::add_user),
        )
        .route(
            "/staff/admin/users/{username}",
            get(admin::users::user).post(admin::users::change_user),
        )
        .route(
            "/staff/admin/users/{username}/active",
            post(admin::users::set_user_active),
        )
        .route(
            "/staff/admin/users/{username}/password",
            post(admin::users::reset_password),
        )
        .route(
            "/staff/admin/users/{username}/second-factor",
            post(admin::users::reset_second_factor),
        )
        .route(
            "/staff/admin/entities/{code}/points",
            get(admin::points::points).post(admin::points::add_point),
        )
        .route(
            POINTS_IMPORT_ROUTE,
            post(admin::points::import_points).layer(DefaultBodyLimit::max(POINTS_IMPORT_LIMIT)),
        )
        .route(
            "/staff/admin/entities/{code}/points/sheet",
            get(admin::points::points_sheet),
        )
        .route(
            "/staff/admin/entities/{code}/points/{point}/qr/{format}",
            get(admin::points::point_qr),
        )
        // After the fixed paths above: departments, calendar or users of one's own entity.
        .route("/staff/admin/{section}", get(admin::section))
        .route("/staff/board", get(board::board))
        .route("/staff/dashboard", get(dashboard::dashboard))
        .route("/staff/oversight", get(staff::oversight::oversight))
        .route("/staff/report", get(staff::report::report_page))
        .route("/staff/report.pdf", get(staff::report::report_pdf))
        .route("/staff/export", get(export::page))
        .route("/staff/export/download", get(export::download))
        .route("/staff/board/reassign", post(board::reassign))
        .route(
            "/staff/admin/services",
            get(admin::services::list).post(admin::services::add),
        )
        .route(
            "/staff/admin/services/{code}",
            get(admin::services::show).post(admin::services::update),
        )
        .route("/staff/admin/services/{code}/fields", post(admin::services::add_field))
        .route(
            "/staff/admin/services/{code}/fields/{key}",
            post(admin::services::edit_field),
        )
        .route(
            "/staff/admin/services/{code}/fields/{key}/{op}",
            post(admin::services::arrange_field),
        )
        .route("/staff/admin/sla", get(admin::sla::sla).post(admin::sla::set_sla))
        .route(
            "/staff/admin/templates",
            get(admin::templates::templates).post(admin::templates::add_template),
        )
        .route("/staff/admin/templates/{id}", post(admin::templates::edit_template))
        .route(
            "/staff/admin/templates/{id}/delete",
            post(admin::templates::delete_template),
        )
        .layer(axum::middleware::from_fn_with_state(state.clone(), context::middleware))
        .route("/assets/{*path}", get(assets::serve))
        .with_state(state)
}
