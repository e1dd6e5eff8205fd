//! Forms that cannot skip the CSRF check: a handler takes its form through `CheckedForm` (a
//! urlencoded body) or `CheckedMultipart` (an upload form), and those hand it over only after
//! the form's `csrf_token` field has matched the visitor's CSRF cookie. A mismatch is the
//! same 403 page as ever, before the handler runs.

use crate::context::{Ctx, CSRF_FIELD};
use crate::error::WebError;
use crate::forms::{self, Submitted};
use crate::{WebState, MAX_PHOTOS};
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, RawForm, Request};
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Refuses a form whose CSRF field does not match the visitor's cookie.
fn check_csrf(ctx: Option<&Ctx>, submitted: Option<&str>) -> Result<(), WebError> {
    if ctx.is_some_and(|ctx| ctx.csrf_ok(submitted)) {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

/// A urlencoded form read as `T` (a struct, or `Submitted` for forms whose names repeat),
/// whose CSRF token has been checked. `T` need not have the token among its fields.
pub struct CheckedForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<WebState> for CheckedForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, Response> {
        let ctx = request.extensions().get::<Ctx>().cloned();
        let RawForm(body) = RawForm::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        // Read by axum's own form extractor, so a body that does not fit `T` is refused as
        // it always was, before the token is looked at.
        let reread = Request::builder()
            .method(Method::POST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.clone()))
            .map_err(|_| WebError::Unexpected.into_response())?;
        let Form(form) = Form::<T>::from_request(reread, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        let token = pairs.iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.as_str());
        check_csrf(ctx.as_ref(), token).map_err(IntoResponse::into_response)?;
        Ok(CheckedForm(form))
    }
}

/// A form that sends nothing but its CSRF token (sign-out and delete buttons).
#[derive(Deserialize)]
pub struct NoFields {}

/// An upload form (its files under `photos`, at most `MAX_PHOTOS` kept), whose CSRF token
/// has been checked.
pub struct CheckedMultipart(pub Submitted);

impl FromRequest<WebState> for CheckedMultipart {
    type Rejection = Response;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, Response> {
        let ctx = request.extensions().get::<Ctx>().cloned();
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| WebError::BadRequest(e.body_text()).into_response())?;
        let form = forms::read_multipart(multipart, "photos", MAX_PHOTOS)
            .await
            .map_err(IntoResponse::into_response)?;
        check_csrf(ctx.as_ref(), form.get(CSRF_FIELD)).map_err(IntoResponse::into_response)?;
        Ok(CheckedMultipart(form))
    }
}
