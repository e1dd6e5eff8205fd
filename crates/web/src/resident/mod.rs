//! The resident portal: find a service, report, get a reference, follow the case.

pub mod chat;
pub mod home;
pub mod my;
pub mod report;
pub mod survey;
pub mod track;
pub mod transparency;

use crate::context::{cookie, RESIDENT_COOKIE};
use crate::error::{WebError, WebResult};
use crate::WebState;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tawasul_app::identity::auth::Caller;
use tawasul_domain::catalogue::Service;

/// The active service `code`, with its form; a service not (or no longer) offered is not found.
async fn service(state: &WebState, code: &str) -> WebResult<Service> {
    state.app.service(code).await?.ok_or(WebError::NotFound)
}

/// `?token=`: the case's tracking token, which lets its reporter see it without signing in.
#[derive(Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The resident behind a request: the case's tracking token when the page has one, else the
/// resident's signed-in session.
async fn resident(state: &WebState, headers: &HeaderMap, token: &str) -> WebResult<Caller> {
    if !token.is_empty() {
        return Ok(Caller::CaseToken(token.to_owned()));
    }
    match cookie(headers, RESIDENT_COOKIE) {
        Some(session) => match state.app.authenticate(Some(session)).await? {
            caller @ Caller::Resident { .. } => Ok(caller),
            _ => Ok(Caller::Anonymous),
        },
        None => Ok(Caller::Anonymous),
    }
}

/// A stored file, served so that a browser never runs it: its sniffed type, no sniffing by
/// the browser (the middleware's nosniff), a sandboxing policy, and images shown inline only.
pub fn attachment_response(mime: String, filename: &str, bytes: Vec<u8>) -> Response {
    let disposition = if mime.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let safe_name: String = filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || ".-_".contains(*c))
        .collect();
    (
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{safe_name}\""),
            ),
            (header::CACHE_CONTROL, "private, max-age=3600".into()),
        ],
        bytes,
    )
        .into_response()
}
