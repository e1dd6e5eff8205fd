//! What every page request carries: its language, its CSRF token, the security headers.
//!
//! One middleware decides the language (`?lang=` switch, else the `tawasul_lang` cookie, else
//! `Accept-Language`), makes sure the visitor has a CSRF cookie, and adds the
//! Content-Security-Policy and friends to every answer, error pages included.

use crate::error::WebError;
use crate::i18n::Tr;
use crate::WebState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;
use std::convert::Infallible;
use std::sync::Arc;

pub const LANG_COOKIE: &str = "tawasul_lang";
pub const CSRF_COOKIE: &str = "tawasul_csrf";
/// The form field every POST form carries. A visitor without a session has a random token in
/// the CSRF cookie that the field must equal (double submit: another site can make the browser
/// send the cookie, but cannot read it to fill the field). A signed-in visitor's token is
/// derived from their session cookies instead (`csrf_for_sessions`), so it is bound to the
/// session: it changes at each sign-in, and a token planted in the CSRF cookie is worth nothing.
pub const CSRF_FIELD: &str = "csrf_token";
pub const RESIDENT_COOKIE: &str = "tawasul_resident";

/// The request's language and CSRF token, for handlers and templates.
#[derive(Clone)]
pub struct Ctx {
    pub tr: Tr,
    pub csrf: String,
    /// The path and query of this page, without `lang`, for the language switch links.
    pub path: String,
    /// Set cookies with `Secure` and the `__Host-` prefix: the public URL is https, or a
    /// trusted proxy says the request came over TLS.
    pub secure: bool,
    /// Who sent the request (its address, for limits), as the HTTP edge worked it out.
    pub client: tawasul_app::identity::limits::Client,
    /// Every language offered, with its own name, for the switch on every page.
    pub languages: Arc<Vec<(String, String)>>,
}

impl Ctx {
    /// Whether a submitted form's token matches this visitor's cookie.
    pub fn csrf_ok(&self, submitted: Option<&str>) -> bool {
        submitted.is_some_and(|s| {
            s.len() == self.csrf.len() && s.bytes().zip(self.csrf.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
        })
    }

    /// A `Set-Cookie` value with the foundation's attributes.
    pub fn cookie(&self, name: &str, value: &str, max_age_secs: i64) -> String {
        set_cookie(self.secure, name, value, max_age_secs)
    }

    /// The link that shows this same page in `lang`.
    pub fn switch_to(&self, lang: &str) -> String {
        let joiner = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{joiner}lang={lang}", self.path)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        // The middleware runs on every web route, so this is always present.
        Ok(parts.extensions.get::<Ctx>().cloned().expect("context middleware ran"))
    }
}

/// A `Set-Cookie` value for one of the service's cookies; over TLS it is `Secure` and named
/// with the `__Host-` prefix (no subdomain can set or shadow it). The HTTP edge reads such
/// cookies back under their plain names.
pub fn set_cookie(tls: bool, name: &str, value: &str, max_age_secs: i64) -> String {
    if tls {
        format!("__Host-{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}; Secure")
    } else {
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}")
    }
}

/// The CSRF token of a visitor holding these session cookies (staff, resident), or `None`
/// without either: a digest of the sessions' secrets, which another site cannot know.
pub fn csrf_for_sessions(staff: Option<&str>, resident: Option<&str>) -> Option<String> {
    if staff.is_none() && resident.is_none() {
        return None;
    }
    let bound = format!("tawasul-csrf\0{}\0{}", staff.unwrap_or(""), resident.unwrap_or(""));
    tawasul_domain::secret_digest(&bound).get(..40).map(str::to_owned)
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn query_lang(query: Option<&str>) -> Option<String> {
    form_pairs(query.unwrap_or(""))
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v)
}

fn form_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .into_iter()
}

fn path_without_lang(uri: &axum::http::Uri) -> String {
    let rest: Vec<(String, String)> = form_pairs(uri.query().unwrap_or(""))
        .filter(|(k, _)| k != "lang")
        .collect();
    if rest.is_empty() {
        uri.path().to_owned()
    } else {
        format!(
            "{}?{}",
            uri.path(),
            serde_urlencoded::to_string(rest).unwrap_or_default()
        )
    }
}

pub async fn middleware(State(state): State<WebState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let switched = query_lang(request.uri().query()).filter(|l| state.catalog.has(l));
    let lang = switched
        .clone()
        .or_else(|| {
            cookie(headers, LANG_COOKIE)
                .filter(|l| state.catalog.has(l))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| {
            state
                .catalog
                .negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
        });
    let existing_csrf = cookie(headers, CSRF_COOKIE)
        .filter(|t| t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned);
    // Worked out by the HTTP edge from configuration and trusted proxies only.
    let client = request
        .extensions()
        .get::<tawasul_app::identity::limits::Client>()
        .cloned()
        .unwrap_or_default();
    let secure = client.tls;
    let bound_csrf = csrf_for_sessions(
        cookie(headers, crate::kit::SESSION_COOKIE),
        cookie(headers, RESIDENT_COOKIE),
    );
    let new_csrf = existing_csrf
        .is_none()
        .then(|| hex::encode(rand::thread_rng().gen::<[u8; 20]>()));
    let ctx = Ctx {
        tr: Tr {
            catalog: state.catalog.clone(),
            lang: lang.clone(),
        },
        csrf: bound_csrf
            .or(existing_csrf)
            .or_else(|| new_csrf.clone())
            .unwrap_or_default(),
        path: path_without_lang(request.uri()),
        secure,
        client,
        languages: state.languages.clone(),
    };
    request.extensions_mut().insert(ctx.clone());
    let mut response = next.run(request).await;
    if let Some(error) = response.extensions().get::<WebError>().cloned() {
        response = crate::pages::error_page(ctx.clone(), &error);
    }
    let headers = response.headers_mut();
    let mut set = |value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.append(header::SET_COOKIE, v);
        }
    };
    if let Some(token) = new_csrf {
        set(ctx.cookie(CSRF_COOKIE, &token, 30 * 24 * 3600));
    }
    if switched.is_some() {
        set(ctx.cookie(LANG_COOKIE, &lang, 365 * 24 * 3600));
    }
    security_headers(&state, response.headers_mut());
    response
}

/// A strict policy: scripts and styles only from our own files (no inline code), images from
/// us, `data:` URLs (photo previews) and the configured map tile host.
pub fn content_security_policy(tile_origin: Option<&str>) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{}; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
        tile_origin.map(|o| format!(" {o}")).unwrap_or_default()
    )
}

fn security_headers(state: &WebState, headers: &mut HeaderMap) {
    let pairs = [
        (header::CONTENT_SECURITY_POLICY, state.csp.as_str()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Tracking links carry a secret token: never send them on to another site.
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
}
