//! Signing in to the staff console and out of it.

use crate::context::{cookie, Ctx};
use crate::error::WebResult;
use crate::kit::{sign_out, CheckedForm, NoFields, SESSION_COOKIE};
use crate::pages::render;
use crate::staff::second_factor::second_step;
use crate::WebState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tawasul_app::identity::auth::Credentials;
use tawasul_app::identity::second_factor::SignIn;
use tawasul_app::IdentityError;

const SESSION_SECS: i64 = tawasul_app::identity::auth::STAFF_SESSION_HOURS * 3600;

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

pub async fn login(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<LoginForm>,
) -> WebResult {
    let credentials = Credentials {
        username: form.username.trim().to_owned(),
        password: form.password,
    };
    match state.app.login(credentials, &ctx.client).await {
        Ok(SignIn::SecondStep(challenge)) => second_step(&ctx, &challenge.challenge, challenge.next),
        Ok(SignIn::Done(session, _)) => {
            // A new session at each sign-in: whatever session the browser held before ends.
            if let Some(previous) = cookie(&headers, SESSION_COOKIE) {
                state.app.logout(previous).await?;
            }
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
