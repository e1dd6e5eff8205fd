//! The staff console's second factor: the sign-in's second step (the authenticator app's
//! code, or the enrolment an entity's policy requires), and a signed-in user's own enrolment.
//! The sign-in between its password and its code is held in a short-lived HttpOnly cookie,
//! never in the page.

use crate::context::{cookie, Ctx};
use crate::error::WebResult;
use crate::forms;
use crate::kit::{CheckedForm, SignedIn, SESSION_COOKIE};
use crate::pages::{redirect, refused, render, FieldErrors};
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{AppendHeaders, IntoResponse, Redirect};
use serde::Deserialize;
use tawasul_app::identity::authz::StaffUser;
use tawasul_app::identity::second_factor::{Enrolment, SecondStep, CHALLENGE_MINUTES};
use tawasul_app::{Failure, IdentityError};

/// The cookie that holds a sign-in waiting for its second step.
pub const SIGN_IN_COOKIE: &str = "tawasul_sign_in";
const SESSION_SECS: i64 = tawasul_app::identity::auth::STAFF_SESSION_HOURS * 3600;

/// Where the browser goes after a right password, and the cookie that carries the sign-in.
pub fn second_step(ctx: &Ctx, challenge: &str, next: SecondStep) -> WebResult {
    let cookie = ctx.cookie(SIGN_IN_COOKIE, challenge, CHALLENGE_MINUTES * 60);
    let to = match next {
        SecondStep::Code => "/staff/login/code",
        SecondStep::Enrol => "/staff/login/enrol",
    };
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response())
}

/// A secret as a page shows it: the QR code, the otpauth:// link, the base32 text.
pub struct EnrolmentView {
    pub qr_svg: String,
    pub uri: String,
    /// The base32 secret in groups of four, easier to type.
    pub secret: String,
}

impl EnrolmentView {
    fn of(enrolment: Enrolment) -> Self {
        let secret = enrolment
            .secret
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            qr_svg: qr_svg(&enrolment.otpauth_uri),
            uri: enrolment.otpauth_uri,
            secret,
        }
    }
}

/// The QR code of `text` as an inline SVG: one path of the dark modules, with a quiet zone.
/// Only our own otpauth:// URIs reach it, far below the code's capacity.
fn qr_svg(text: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return String::new();
    };
    let width = code.width();
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", i % width + 4, i / width + 4));
        }
    }
    let size = width + 8;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"240\" height=\"240\" \
         role=\"img\" shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}

/// The sign-in's second step: the code, and for a user enrolling, the secret first.
#[derive(Template)]
#[template(path = "staff_login_code.html")]
pub struct CodePage {
    ctx: Ctx,
    enrolment: Option<EnrolmentView>,
    errors: FieldErrors,
}

impl CodePage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

/// The page of the step the sign-in is at; back to the sign-in form once it has expired.
async fn code_page(state: &WebState, ctx: Ctx, headers: &HeaderMap, enrol: bool, errors: FieldErrors) -> WebResult {
    let Some(challenge) = cookie(headers, SIGN_IN_COOKIE) else {
        return redirect("/staff");
    };
    let enrolment = match (enrol, state.app.pending_sign_in(challenge).await) {
        (false, Ok(SecondStep::Code)) => None,
        (true, Ok(SecondStep::Enrol)) => match state.app.enrolment_at_sign_in(challenge).await {
            Ok(enrolment) => Some(EnrolmentView::of(enrolment)),
            Err(IdentityError::Common(Failure::Unauthenticated)) => return redirect("/staff"),
            Err(e) => return Err(e.into()),
        },
        // The other step's page: the sign-in's own.
        (_, Ok(SecondStep::Code)) => return redirect("/staff/login/code"),
        (_, Ok(SecondStep::Enrol)) => return redirect("/staff/login/enrol"),
        (_, Err(IdentityError::Common(Failure::Unauthenticated))) => return redirect("/staff"),
        (_, Err(e)) => return Err(e.into()),
    };
    let page = CodePage {
        ctx,
        enrolment,
        errors: errors.clone(),
    };
    if errors.is_empty() {
        render(&page)
    } else {
        refused(&page)
    }
}

pub async fn code(State(state): State<WebState>, ctx: Ctx, headers: HeaderMap) -> WebResult {
    code_page(&state, ctx, &headers, false, FieldErrors::new()).await
}

pub async fn enrol(State(state): State<WebState>, ctx: Ctx, headers: HeaderMap) -> WebResult {
    code_page(&state, ctx, &headers, true, FieldErrors::new()).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    /// Whether the page was the enrolment's (to show it again after a wrong code).
    #[serde(default)]
    enrol: bool,
}

pub async fn submit_code(
    State(state): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    CheckedForm(form): CheckedForm<CodeForm>,
) -> WebResult {
    let Some(challenge) = cookie(&headers, SIGN_IN_COOKIE) else {
        return redirect("/staff");
    };
    match state.app.login_with_code(challenge, &form.code, &ctx.client).await {
        Ok((session, _)) => {
            if let Some(previous) = cookie(&headers, SESSION_COOKIE) {
                state.app.logout(previous).await?;
            }
            let signed_in = ctx.cookie(SESSION_COOKIE, &session.token, SESSION_SECS);
            let spent = ctx.cookie(SIGN_IN_COOKIE, "", 0);
            Ok((
                AppendHeaders([(header::SET_COOKIE, signed_in), (header::SET_COOKIE, spent)]),
                Redirect::to("/staff"),
            )
                .into_response())
        }
        Err(IdentityError::Common(Failure::Invalid(invalid))) => {
            let mut errors = FieldErrors::new();
            errors.insert("code".into(), forms::message(&ctx, invalid.code));
            code_page(&state, ctx, &headers, form.enrol, errors).await
        }
        Err(IdentityError::Common(Failure::Unauthenticated)) => redirect("/staff"),
        Err(e) => Err(e.into()),
    }
}

/// A signed-in user's own second factor: set up, or the secret and the form to confirm it.
#[derive(Template)]
#[template(path = "staff_second_factor.html")]
pub struct OwnPage {
    ctx: Ctx,
    user: StaffUser,
    enrolled: bool,
    required: bool,
    done: bool,
    enrolment: Option<EnrolmentView>,
    errors: FieldErrors,
}

impl OwnPage {
    fn error(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

async fn own_page(state: &WebState, ctx: Ctx, user: StaffUser, done: bool, errors: FieldErrors) -> WebResult {
    let status = state.app.second_factor_status(&user).await?;
    let enrolment = match status.enrolled {
        true => None,
        false => Some(EnrolmentView::of(state.app.begin_second_factor(&user).await?)),
    };
    let page = OwnPage {
        ctx,
        user,
        enrolled: status.enrolled,
        required: status.required,
        done,
        enrolment,
        errors: errors.clone(),
    };
    if errors.is_empty() {
        render(&page)
    } else {
        refused(&page)
    }
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

pub async fn own(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    Query(query): Query<DoneQuery>,
) -> WebResult {
    own_page(&state, ctx, user, query.done.is_some(), FieldErrors::new()).await
}

pub async fn confirm_own(
    State(state): State<WebState>,
    ctx: Ctx,
    SignedIn(user): SignedIn,
    CheckedForm(form): CheckedForm<CodeForm>,
) -> WebResult {
    match state.app.confirm_second_factor(&user, &form.code, &ctx.client).await {
        Ok(()) => redirect("/staff/second-factor?done=1"),
        Err(IdentityError::Common(Failure::Invalid(invalid))) => {
            let mut errors = FieldErrors::new();
            errors.insert("code".into(), forms::message(&ctx, invalid.code));
            own_page(&state, ctx, user, false, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_of_the_uri() {
        let svg = qr_svg("otpauth://totp/Tawasul:cap.admin?secret=AAAA&issuer=Tawasul");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<path d=\"M"));
        assert!(!svg.contains("otpauth"), "the secret is in the modules only");
    }
}
