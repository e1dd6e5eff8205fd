//! Who is signed in: the staff session behind the console's pages, and signing out of either
//! the staff console or the resident portal.

use crate::context::{cookie, Ctx};
use crate::error::WebResult;
use crate::WebState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use tawasul_app::identity::auth::Caller;
use tawasul_app::identity::authz::StaffUser;

/// The cookie the API's login sets too, so one sign-in serves both.
pub const SESSION_COOKIE: &str = "tawasul_session";

/// The staff user whose session cookie the request carries, if any.
pub async fn signed_in(state: &WebState, headers: &HeaderMap) -> WebResult<Option<StaffUser>> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    match state.app.authenticate(Some(token)).await? {
        Caller::Staff(user) => Ok(Some(user)),
        _ => Ok(None),
    }
}

/// The signed-in staff user of a console request. Without a staff session the visitor is
/// sent to the sign-in page, before any form is read.
pub struct SignedIn(pub StaffUser);

impl FromRequestParts<WebState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        match signed_in(state, &parts.headers).await {
            Ok(Some(user)) => Ok(SignedIn(user)),
            Ok(None) => Err(Redirect::to("/staff").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Signs out (the form's CSRF token already checked): ends the session named by
/// `session_cookie`, clears the cookie, goes to `to`.
pub async fn sign_out(state: &WebState, ctx: &Ctx, headers: &HeaderMap, session_cookie: &str, to: &str) -> WebResult {
    if let Some(session) = cookie(headers, session_cookie) {
        state.app.logout(session).await?;
    }
    let cleared = ctx.cookie(session_cookie, "", 0);
    Ok(([(header::SET_COOKIE, cleared)], Redirect::to(to)).into_response())
}
