//! Who a request comes from: its client address and whether the browser reached us over TLS
//! (`tawasul_app::identity::limits::Client`), worked out once per request, before any route.
//! Forwarding headers count only from configured proxies. Over TLS the service's cookies are
//! named with the `__Host-` prefix; this also reads them back under their plain names, so
//! that nothing else needs to know, and drops plain-named ones a subdomain could have set.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::convert::Infallible;
use std::net::SocketAddr;
use tawasul_app::identity::limits::Client;

/// The prefix of every cookie of the service.
const OURS: &str = "tawasul_";
const HOST_PREFIX: &str = "__Host-";

pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let headers = request.headers();
    let forwarded_for: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let proto = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok());
    let client = Client::resolve(state.app.limits(), state.app.public_tls(), peer, &forwarded_for, proto);
    if client.tls {
        unprefix_cookies(request.headers_mut());
    }
    request.extensions_mut().insert(client);
    next.run(request).await
}

/// Keeps only `__Host-tawasul_*` of our cookies, under their plain names.
fn unprefix_cookies(headers: &mut axum::http::HeaderMap) {
    let pairs: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|kv| !kv.is_empty() && !kv.starts_with(OURS))
        .map(|kv| {
            kv.strip_prefix(HOST_PREFIX)
                .filter(|rest| rest.starts_with(OURS))
                .unwrap_or(kv)
                .to_owned()
        })
        .collect();
    headers.remove(header::COOKIE);
    if let Ok(value) = HeaderValue::from_str(&pairs.join("; ")) {
        if !pairs.is_empty() {
            headers.insert(header::COOKIE, value);
        }
    }
}

/// The request's client, as `resolve` found it.
pub struct ClientOf(pub Client);

impl<S: Send + Sync> FromRequestParts<S> for ClientOf {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self(parts.extensions.get::<Client>().cloned().unwrap_or_default()))
    }
}
