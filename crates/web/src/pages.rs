//! The page types: each a template compiled in by askama (HTML-escaped by default, so text
//! from residents is shown, never run).

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::BTreeMap;
use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use tawasul_app::cases::views::{CaseSummary, CaseView};
use tawasul_app::InputRefused;
use tawasul_domain::Invalid;

pub fn render(page: &impl Template) -> WebResult {
    Ok(Html(page.render()?).into_response())
}

/// Live updates of a page (`assets/app.js`): every `every_secs` the script fetches `url`,
/// swaps in the page's `data-live` regions that changed, and announces a new `version`
/// with `message` (a Fluent id) and a link to reload for the forms.
pub struct Live {
    pub url: String,
    pub version: String,
    pub every_secs: u64,
    pub message: &'static str,
}

impl Live {
    /// A case page: its status, timeline and last change make its version.
    pub fn case(case: &CaseView, url: String, every_secs: u64) -> Self {
        Self {
            url,
            version: format!("{}.{}.{}", case.status, case.timeline.len(), case.updated_at),
            every_secs,
            message: "live-case-changed",
        }
    }

    /// A queue page: which cases it lists, in which status, changed when, make its version.
    pub fn queue(cases: &[CaseSummary], url: String, every_secs: u64) -> Self {
        let mut hasher = DefaultHasher::new();
        for c in cases {
            (&c.reference, &c.status, &c.updated_at).hash(&mut hasher);
        }
        Self {
            url,
            version: format!("{:016x}", hasher.finish()),
            every_secs,
            message: "live-queue-changed",
        }
    }
}

/// A page shown again with errors beside its fields: 422, whatever the form.
pub fn refused(page: &impl Template) -> WebResult {
    let mut response = render(page)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// Field name → the message shown beside that field.
pub type FieldErrors = BTreeMap<String, String>;

impl Ctx {
    pub fn t(&self, id: &str) -> String {
        self.tr.t(id)
    }

    pub fn t1(&self, id: &str, name: &str, value: impl ToString) -> String {
        self.tr.t1(id, name, value)
    }

    pub fn word(&self, prefix: &str, key: &str) -> String {
        self.tr.word(prefix, key)
    }

    pub fn lang(&self) -> &str {
        &self.tr.lang
    }

    pub fn dir(&self) -> &'static str {
        self.tr.dir()
    }

    pub fn date(&self, rfc3339: &str) -> String {
        crate::dates::both(&self.tr, rfc3339)
    }

    /// The instant for a `datetime` attribute (HTML allows at most milliseconds).
    pub fn machine_date(&self, rfc3339: &str) -> String {
        crate::dates::machine(rfc3339)
    }

    pub fn short_date(&self, rfc3339: &str) -> String {
        crate::dates::short(rfc3339)
    }

    /// Askama passes a template's arguments by reference.
    pub fn time_left(&self, minutes: &i64) -> String {
        self.tr.time_left(*minutes)
    }

    /// The expected response and resolution times of a service, in words.
    pub fn expected(&self, times: &tawasul_app::cases::views::ExpectedTimes) -> String {
        self.tr.expected(times)
    }

    pub fn is_lang(&self, code: &str) -> bool {
        self.tr.lang == code
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: Ctx,
    pub status: u16,
    pub message: String,
}

pub fn error_page(ctx: Ctx, error: &WebError) -> Response {
    let page = ErrorPage {
        status: error.status().as_u16(),
        message: ctx.t(error.message_id()),
        ctx,
    };
    let body = page.render().unwrap_or_else(|_| error.to_string());
    let mut response = (error.status(), Html(body)).into_response();
    let retry_after = match error {
        WebError::TooMany(_, secs) => Some(*secs),
        WebError::Unavailable | WebError::StorageFull => Some(tawasul_app::UNAVAILABLE_RETRY_AFTER_SECS),
        _ => None,
    };
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
    }
    response
}

/// What a form's use case answered: `done` says where a success goes; a refusal of one of the
/// form's fields comes back through `refuse` (the form again, 422); any other failure is an
/// error page.
pub async fn answer<T, E: InputRefused + Into<WebError>, Refused: Future<Output = WebResult>>(
    outcome: Result<T, E>,
    done: impl FnOnce(T) -> WebResult,
    refuse: impl FnOnce(Invalid) -> Refused,
) -> WebResult {
    match outcome {
        Ok(value) => done(value),
        Err(e) => match e.into_invalid() {
            Ok(invalid) => refuse(invalid).await,
            Err(e) => Err(e.into()),
        },
    }
}

/// Where a form that went through goes next (303 See Other, so a reload does not post again).
pub fn redirect(to: &str) -> WebResult {
    Ok(Redirect::to(to).into_response())
}
