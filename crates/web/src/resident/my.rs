//! Finding one's cases: by reference and tracking token, or by a code sent to one's phone
//! or email, which signs the resident in to the list of their cases.

use super::resident;
use crate::context::{Ctx, RESIDENT_COOKIE};
use crate::error::WebResult;
use crate::forms;
use crate::kit::{sign_out, CheckedForm, NoFields};
use crate::pages::{redirect, refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tawasul_app::cases::views::CaseSummary;
use tawasul_app::identity::auth::Caller;
use tawasul_app::{Failure, IdentityError};

const RESIDENT_SESSION_SECS: i64 = tawasul_app::identity::auth::RESIDENT_SESSION_DAYS * 24 * 3600;

#[derive(Template)]
#[template(path = "track_start.html")]
pub struct TrackStartPage {
    ctx: Ctx,
    reference: String,
    contact: String,
    errors: FieldErrors,
}

impl TrackStartPage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

#[derive(Deserialize, Default)]
pub struct TrackQuery {
    #[serde(default)]
    reference: String,
    #[serde(default)]
    token: String,
}

pub async fn track_start(ctx: Ctx, Query(query): Query<TrackQuery>) -> WebResult {
    let reference = query.reference.trim().to_ascii_uppercase();
    let token = query.token.trim();
    if !reference.is_empty() && !token.is_empty() {
        let path = format!(
            "/track/{}?{}",
            urlencode(&reference),
            serde_urlencoded::to_string([("token", token)]).unwrap_or_default()
        );
        return redirect(&path);
    }
    let mut errors = FieldErrors::new();
    if !reference.is_empty() || !token.is_empty() {
        let missing = if reference.is_empty() { "reference" } else { "token" };
        errors.insert(missing.into(), forms::message(&ctx, "required"));
    }
    let page = TrackStartPage {
        ctx,
        reference,
        contact: String::new(),
        errors,
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        refused(&page)
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_owned()
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    contact: String,
    #[serde(default)]
    code: Option<String>,
}

#[derive(Template)]
#[template(path = "track_code.html")]
pub struct TrackCodePage {
    ctx: Ctx,
    contact: String,
    errors: FieldErrors,
}

impl TrackCodePage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

pub async fn track_code(
    State(state): State<WebState>,
    ctx: Ctx,
    CheckedForm(form): CheckedForm<ContactForm>,
) -> WebResult {
    match state.app.request_code(&form.contact, &ctx.client).await {
        Ok(()) => render(&TrackCodePage {
            ctx,
            contact: form.contact,
            errors: FieldErrors::new(),
        }),
        Err(IdentityError::Common(Failure::Invalid(invalid))) => {
            let mut errors = FieldErrors::new();
            errors.insert("contact".into(), forms::message(&ctx, invalid.code));
            refused(&TrackStartPage {
                ctx,
                reference: String::new(),
                contact: form.contact,
                errors,
            })
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn track_verify(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<ContactForm>,
) -> WebResult {
    match state
        .app
        .verify_code(&form.contact, form.code.as_deref().unwrap_or(""))
        .await
    {
        Ok(session) => {
            // A new session at each sign-in: whatever session the browser held before ends.
            if let Some(previous) = crate::context::cookie(&headers, RESIDENT_COOKIE) {
                state.app.logout(previous).await?;
            }
            let cookie = ctx.cookie(RESIDENT_COOKIE, &session.token, RESIDENT_SESSION_SECS);
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/my")).into_response())
        }
        Err(IdentityError::Common(Failure::Invalid(invalid))) => {
            let mut errors = FieldErrors::new();
            errors.insert(forms::form_field(&invalid.field), forms::message(&ctx, invalid.code));
            refused(&TrackCodePage {
                ctx,
                contact: form.contact,
                errors,
            })
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "my_cases.html")]
pub struct MyCasesPage {
    ctx: Ctx,
    cases: Vec<CaseSummary>,
    contact: String,
}

pub async fn my_cases(State(state): State<WebState>, ctx: Ctx, headers: HeaderMap) -> WebResult {
    let caller = resident(&state, &headers, "").await?;
    let Caller::Resident { contact } = &caller else {
        return redirect("/track");
    };
    let cases = state.app.my_cases(&caller).await?;
    render(&MyCasesPage {
        ctx,
        cases,
        contact: contact.clone(),
    })
}

pub async fn my_logout(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    CheckedForm(_): CheckedForm<NoFields>,
) -> WebResult {
    sign_out(&state, &ctx, &headers, RESIDENT_COOKIE, "/").await
}
