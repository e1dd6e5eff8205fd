//! Open311 GeoReport v2 at `/open311/v2/`: the service discovery, the service list and each
//! service's definition (its form, as attributes), posting a request (an `Intake` through
//! `App::submit`, channel `open311`) and reading requests back, in JSON and in XML.
//!
//! Writes need a client application's `api_key` (`tawasul open311 key add NAME`); reads are
//! public and show nothing of who reported a case. Names come in the caller's language
//! (`locale`, else `Accept-Language`), Arabic by default. Errors are the specification's: a
//! list of `{code, description}` (XML `<errors><error>`), 403 for a missing or bad key, 404
//! for an unknown service, request or token, 400 for anything else wrong with the input.

mod doc;
mod media;
mod requests;
mod services;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use doc::{Answer, Format, Value};
pub use requests::MAX_DESCRIPTION;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tawasul_app::{App, CasesError, Failure, IdentityError};

/// Where the routes live.
pub const ROOT: &str = "/open311/v2";

#[derive(Clone)]
struct State {
    app: App,
    /// Posts per client application in the current minute.
    posts: Arc<Mutex<HashMap<i64, (Instant, u32)>>>,
}

/// The channel's routes, to be merged into the server's router.
pub fn router<S: Clone + Send + Sync + 'static>(app: App) -> Router<S> {
    let state = State {
        app,
        posts: Arc::default(),
    };
    Router::new()
        .route(&format!("{ROOT}/{{file}}"), get(top_get).post(requests::post))
        .route(&format!("{ROOT}/services/{{file}}"), get(services::definition))
        .route(&format!("{ROOT}/requests/{{file}}"), get(requests::one))
        .route(&format!("{ROOT}/tokens/{{file}}"), get(requests::token))
        .with_state(state)
}

/// `discovery`, `services` and `requests`, each `.json` or `.xml`.
async fn top_get(
    axum::extract::State(state): axum::extract::State<State>,
    axum::extract::Path(file): axum::extract::Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
) -> Result<Answer, Refused> {
    let (stem, format) = resource(&file)?;
    let call = Call::new(&state, format, query.as_deref(), &headers)?;
    match stem {
        "discovery" => Ok(services::discovery(&state, &call, &headers)),
        "services" => services::list(&state, &call).await,
        "requests" => requests::list(&state, &call).await,
        _ => Err(Refused::new(format, StatusCode::NOT_FOUND, "no such resource")),
    }
}

/// The stem and format of `name.json` / `name.xml`; anything else is a 404 in XML, the
/// specification's required format.
fn resource(file: &str) -> Result<(&str, Format), Refused> {
    Format::split(file).ok_or_else(|| {
        Refused::new(
            Format::Xml,
            StatusCode::NOT_FOUND,
            "no such resource: ask for NAME.json or NAME.xml",
        )
    })
}

/// The language names are given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ar,
    En,
}

impl Lang {
    fn of_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ar" => Some(Lang::Ar),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// `locale` first, then the best of `Accept-Language` that we speak, then Arabic.
    fn choose(locale: Option<&str>, accept: Option<&str>) -> Lang {
        if let Some(lang) = locale.and_then(Lang::of_tag) {
            return lang;
        }
        let mut offered: Vec<(f32, Lang)> = accept
            .unwrap_or("")
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Lang::of_tag(pieces.next()?)?;
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0));
        offered.first().map_or(Lang::Ar, |(_, lang)| *lang)
    }

    pub fn pick<'a>(self, ar: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ar => ar,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }
}

/// What every call brings: its format, its language and its query's parameters (checked
/// for the jurisdiction).
pub(crate) struct Call {
    pub format: Format,
    pub lang: Lang,
    pub params: Params,
}

impl Call {
    fn new(state: &State, format: Format, query: Option<&str>, headers: &HeaderMap) -> Result<Self, Refused> {
        let params = Params::parse(query.unwrap_or("").as_bytes()).map_err(|m| Refused::bad(format, m))?;
        Self::with(state, format, params, headers)
    }

    fn with(state: &State, format: Format, params: Params, headers: &HeaderMap) -> Result<Self, Refused> {
        check_jurisdiction(state, format, params.one("jurisdiction_id"))?;
        let accept = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Ok(Self::read(format, params, accept))
    }

    /// The call's parameters and its language (`locale`, else `Accept-Language`).
    fn read(format: Format, params: Params, accept_language: Option<&str>) -> Self {
        let lang = Lang::choose(params.one("locale"), accept_language);
        Self { format, lang, params }
    }
}

/// A posted request's form read for `service` as `POST requests` reads it once the client
/// and the service are known: the draft of its case, or the 400's description. Public for
/// the fuzz targets (`fuzz/`).
pub fn read_request(
    form: &[u8],
    accept_language: Option<&str>,
    service: &tawasul_domain::catalogue::Service,
) -> Result<tawasul_domain::intake::IntakeDraft, String> {
    let call = Call::read(Format::Json, Params::parse(form)?, accept_language);
    requests::draft(&call, service).map_err(|r| r.description)
}

/// The query of `GET requests` read as the endpoint reads it, at `now` (microseconds): what
/// it asks the store for, or the 400's description. Public for the fuzz targets (`fuzz/`).
pub fn read_list_query(query: &[u8], now: i64) -> Result<tawasul_app::cases::public::PublicQuery, String> {
    let call = Call::read(Format::Json, Params::parse(query)?, None);
    requests::public_query(&call, now).map_err(|r| r.description)
}

/// The one jurisdiction this installation answers to (`--open311-jurisdiction`); without
/// one configured, a request may not name any.
fn check_jurisdiction(state: &State, format: Format, given: Option<&str>) -> Result<(), Refused> {
    let configured = state.app.settings.open311.jurisdiction_id.as_deref();
    match (given.filter(|g| !g.is_empty()), configured) {
        (None, _) => Ok(()),
        (Some(g), Some(c)) if g == c => Ok(()),
        (Some(_), _) => Err(Refused::bad(
            format,
            "jurisdiction_id: this endpoint does not serve that jurisdiction",
        )),
    }
}

/// The parameters of a query or a form body, in order, repeated names kept.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

/// More parameters than any request of the specification needs.
const MAX_PARAMS: usize = 400;

impl Params {
    /// Percent-decoded pairs; bytes that are not UTF-8 are refused, not replaced.
    fn parse(raw: &[u8]) -> Result<Self, String> {
        let mut pairs = vec![];
        for (name, value) in form_urlencoded::parse(raw) {
            if name.contains('\u{FFFD}') || value.contains('\u{FFFD}') {
                return Err("parameters must be UTF-8".into());
            }
            pairs.push((name.into_owned(), value.into_owned()));
            if pairs.len() > MAX_PARAMS {
                return Err(format!("at most {MAX_PARAMS} parameters"));
            }
        }
        Ok(Self(pairs))
    }

    /// The parameter's value; the first, if it is given more than once.
    pub fn one(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The parameter's non-empty value, trimmed.
    pub fn given(&self, name: &str) -> Option<&str> {
        self.one(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Every value of a comma list, across repetitions of the parameter.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// A refusal in the specification's error format.
#[derive(Debug)]
pub(crate) struct Refused {
    format: Format,
    status: StatusCode,
    description: String,
    /// Seconds before asking again may succeed, sent as `Retry-After` (429, 503 and 507).
    retry_after: Option<u64>,
}

impl Refused {
    fn new(format: Format, status: StatusCode, description: impl Into<String>) -> Self {
        Self {
            format,
            status,
            description: description.into(),
            retry_after: None,
        }
    }

    pub(crate) fn throttled(format: Format, description: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after: Some(retry_after_secs.max(1)),
            ..Self::new(format, StatusCode::TOO_MANY_REQUESTS, description)
        }
    }

    fn bad(format: Format, description: impl Into<String>) -> Self {
        Self::new(format, StatusCode::BAD_REQUEST, description)
    }

    fn of_failure(format: Format, failure: Failure) -> Self {
        match failure {
            Failure::Invalid(e) => Self::bad(format, format!("{}: {}", e.field, e.message)),
            Failure::NotFound(what) => Self::new(format, StatusCode::NOT_FOUND, format!("no such {what}")),
            Failure::Unauthenticated => {
                Self::new(format, StatusCode::FORBIDDEN, "api_key: missing, unknown or revoked")
            }
            Failure::Forbidden(why) => Self::new(format, StatusCode::FORBIDDEN, why),
            Failure::TooManyRequests(t) => Self::throttled(format, t.message, t.retry_after_secs),
            Failure::StorageFull => Self {
                retry_after: Some(tawasul_app::UNAVAILABLE_RETRY_AFTER_SECS),
                ..Self::new(
                    format,
                    StatusCode::INSUFFICIENT_STORAGE,
                    "no room to store files; try again later",
                )
            },
            Failure::Unavailable => Self {
                retry_after: Some(tawasul_app::UNAVAILABLE_RETRY_AFTER_SECS),
                ..Self::new(format, StatusCode::SERVICE_UNAVAILABLE, "unavailable; try again later")
            },
            Failure::Unexpected(e) => {
                tracing::error!(error = format!("{e:#}"), "an Open311 call failed");
                Self::new(format, StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }

    fn of_cases(format: Format, e: CasesError) -> Self {
        match e {
            CasesError::Common(f) => Self::of_failure(format, f),
            other => Self::bad(format, other.to_string()),
        }
    }

    fn of_identity(format: Format, e: IdentityError) -> Self {
        match e {
            IdentityError::Common(f) => Self::of_failure(format, f),
            IdentityError::BadCredentials => Self::of_failure(format, Failure::Unauthenticated),
            other => Self::bad(format, other.to_string()),
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let error = Value::Object(vec![
            ("code", Value::Int(i64::from(self.status.as_u16()))),
            ("description", Value::Text(self.description)),
        ]);
        let mut response = Answer {
            status: self.status,
            root: "errors",
            value: Value::List("error", vec![error]),
            format: self.format,
        }
        .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// An instant of the store (microseconds) as a W3C datetime, in UTC.
pub(crate) fn w3c(micros: i64) -> Value {
    match chrono::DateTime::from_timestamp_micros(micros) {
        Some(t) => Value::Text(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        None => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_is_the_locale_then_the_best_accepted_then_arabic() {
        assert_eq!(Lang::choose(Some("en_US"), Some("ar")), Lang::En);
        assert_eq!(Lang::choose(Some("fr"), Some("fr;q=1, en;q=0.8, ar;q=0.5")), Lang::En);
        assert_eq!(Lang::choose(None, Some("en;q=0.2, ar-BH")), Lang::Ar);
        assert_eq!(Lang::choose(None, Some("en;q=0")), Lang::Ar);
        assert_eq!(Lang::choose(None, Some(";;,q=,")), Lang::Ar);
        assert_eq!(Lang::choose(None, None), Lang::Ar);
    }

    #[test]
    fn parameters_keep_repetitions_and_refuse_broken_utf8() {
        let p = Params::parse(b"service_code=a,b&service_code=c&x=%D8%B9").expect("parses");
        assert_eq!(p.list("service_code"), ["a", "b", "c"]);
        assert_eq!(p.one("x"), Some("ع"));
        assert!(Params::parse(b"x=%FF").is_err());
        assert!(Params::parse("a=1&".repeat(MAX_PARAMS + 1).as_bytes()).is_err());
    }
}
