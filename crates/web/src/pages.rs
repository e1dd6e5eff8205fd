//! The page types: each a template compiled in by askama (HTML-escaped by default, so text
//! from residents is shown, never run).

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use std::collections::BTreeMap;

pub fn render(page: &impl Template) -> WebResult {
    Ok(Html(page.render()?).into_response())
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
    (error.status(), Html(body)).into_response()
}
