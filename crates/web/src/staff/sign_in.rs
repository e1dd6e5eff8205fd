//! Signing in to the staff console and out of it.

use crate::context::Ctx;
use crate::error::WebResult;
use crate::kit::{sign_out, CheckedForm, NoFields, SESSION_COOKIE};
use crate::pages::render;
use crate::WebState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tawasul_app::identity::auth::Credentials;
use tawasul_app::IdentityError;

const SESSION_SECS: i64 = 12 * 3600;

/// The sign-in form: what `/staff` shows a visitor without a staff session.
#[derive(Template)]
#[template(path = "staff_login.html")]
pub struct LoginPage {
    pub ctx: Ctx,
    pub username: String,
    pub failed: bool,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login(State(state): State<WebState>, ctx: Ctx, CheckedForm(form): CheckedForm<LoginForm>) -> WebResult {
    let credentials = Credentials {
        username: form.username.trim().to_owned(),
        password: form.password,
    };
    match state.app.login(credentials).await {
        Ok((session, _)) => {
            let cookie = ctx.cookie(SESSION_COOKIE, &session.token, SESSION_SECS);
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/staff")).into_response())
        }
        Err(IdentityError::BadCredentials) => {
            let mut response = render(&LoginPage {
                ctx,
                username: form.username,
                failed: true,
            })?;
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    CheckedForm(_): CheckedForm<NoFields>,
) -> WebResult {
    sign_out(&state, &ctx, &headers, SESSION_COOKIE, "/staff").await
}
